/**
 * M-RoPE position ids for one unpadded row, as Qwen2.5-VL's `get_rope_index` computes them for images:
 * text tokens advance all three axes together; the tokens of an image take (t, h, w) from the merged
 * patch grid (t = 0 for still images), offset by the position where the image starts; text after an
 * image resumes at max + 1.
 */
export interface RowPositions {
  /** Positions on the temporal, height and width axes, one per token. */
  t: number[];
  h: number[];
  w: number[];
  /** Position of the next token to be appended (all three axes). */
  next: number;
}

export function ropePositions(
  ids: readonly number[],
  grids: readonly (readonly [number, number, number])[],
  imageTokenId: number,
  mergeSize: number,
): RowPositions {
  const t: number[] = [];
  const h: number[] = [];
  const w: number[] = [];
  let next = 0;
  let image = 0;
  for (let i = 0; i < ids.length; ) {
    if (ids[i] !== imageTokenId) {
      t.push(next);
      h.push(next);
      w.push(next);
      next++;
      i++;
      continue;
    }
    const grid = grids[image++];
    if (!grid) throw new Error(`prompt has more image placeholders than images (${grids.length})`);
    const gh = grid[1] / mergeSize;
    const gw = grid[2] / mergeSize;
    const count = grid[0] * gh * gw;
    const start = next;
    let max = start;
    for (let k = 0; k < count; k++) {
      if (ids[i + k] !== imageTokenId) throw new Error(`image ${image - 1} expects ${count} placeholder tokens`);
      const y = Math.floor(k / gw) % gh;
      const x = k % gw;
      t.push(start);
      h.push(start + y);
      w.push(start + x);
      max = Math.max(max, start + y, start + x);
    }
    next = max + 1;
    i += count;
  }
  if (image !== grids.length) throw new Error(`prompt has ${image} image placeholders for ${grids.length} images`);
  return { t, h, w, next };
}
