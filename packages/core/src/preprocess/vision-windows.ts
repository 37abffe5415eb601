/**
 * Per-patch inputs of the vision encoder, computed from the image grid the way Qwen2.5-VL's
 * `rot_pos_emb` and `get_window_index` do: each patch's (row, column) in the patch grid, and the
 * attention window it belongs to. Patches come in the processor's order: merge unit by merge unit
 * (row-major over the merged grid), and within a unit row-major over its `merge x merge` patches.
 */
export interface VisionPatchLayout {
  /** `[N * 2]` row, column pairs. */
  positions: BigInt64Array;
  /** `[N]` window id per patch. */
  windows: BigInt64Array;
}

/**
 * @param grid `[t, h, w]` in patches
 * @param windowSize the vision config's `window_size` in pixels (112 for Qwen2.5-VL)
 */
export function visionPatchLayout(
  grid: readonly [number, number, number],
  mergeSize: number,
  patchSize: number,
  windowSize: number,
): VisionPatchLayout {
  const [t, gh, gw] = grid;
  const unitsH = gh / mergeSize;
  const unitsW = gw / mergeSize;
  const perWindow = Math.floor(windowSize / mergeSize / patchSize); // merged units per window side
  const windowsW = Math.ceil((unitsW + 1) / perWindow); // the reference pads even when divisible; ids only need to be distinct
  const windowsPerFrame = Math.ceil((unitsH + 1) / perWindow) * windowsW;
  const count = t * gh * gw;
  const positions = new BigInt64Array(count * 2);
  const windows = new BigInt64Array(count);
  let n = 0;
  for (let f = 0; f < t; f++) {
    for (let r = 0; r < unitsH; r++) {
      for (let c = 0; c < unitsW; c++) {
        const window = f * windowsPerFrame + Math.floor(r / perWindow) * windowsW + Math.floor(c / perWindow);
        for (let dr = 0; dr < mergeSize; dr++) {
          for (let dc = 0; dc < mergeSize; dc++) {
            positions[2 * n] = BigInt(r * mergeSize + dr);
            positions[2 * n + 1] = BigInt(c * mergeSize + dc);
            windows[n] = BigInt(window);
            n++;
          }
        }
      }
    }
  }
  return { positions, windows };
}
