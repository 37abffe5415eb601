import * as ort from "#ort";

/**
 * The decoder's KV cache for a batch, with its attention mask. Rows can leave (a finished rationale)
 * without disturbing the others: their slices are dropped and, when every remaining row has padding at
 * the left, those columns go too, so long-running rows do not keep paying for short finished ones.
 */
export class KvCache {
  constructor(
    /** Per layer: key and value tensors `[B, kvHeads, T, headDim]`. */
    public layers: { key: ort.Tensor; value: ort.Tensor }[],
    /** `[B, T]`, 1 for real tokens, 0 for left padding. */
    public mask: BigInt64Array,
    public batch: number,
  ) {}

  /**
   * A cache that holds no token yet: one masked column of zeros per row, not zero columns, because GPU
   * providers crash on operations with a zero-length dimension (WebGPU segfaults on a MatMul over an empty past).
   * The masked column adds an exactly zero term to attention.
   */
  static empty(layers: number, batch: number, kvHeads: number, headDim: number, type: "float32" | "float16" = "float32"): KvCache {
    const size = batch * kvHeads * headDim;
    const sink = () =>
      type === "float16"
        ? new ort.Tensor("float16", new Uint16Array(size), [batch, kvHeads, 1, headDim])
        : new ort.Tensor("float32", new Float32Array(size), [batch, kvHeads, 1, headDim]);
    return new KvCache(
      Array.from({ length: layers }, () => ({ key: sink(), value: sink() })),
      new BigInt64Array(batch),
      batch,
    );
  }

  /** True when some row holds a real token (not only masked columns). */
  get holdsTokens(): boolean {
    return this.mask.includes(1n);
  }

  get length(): number {
    return this.mask.length / Math.max(this.batch, 1);
  }

  /** Mask for the next step: the cache's mask plus `newTokens` real columns. */
  maskWith(newTokens: number): BigInt64Array {
    return maskWithColumns(this.mask, this.batch, this.length, newTokens);
  }

  /**
   * Keeps only `rows` (in that order), then drops leading columns that are padding in every kept row. Returns,
   * for each new row, the old row it holds (here: `rows` itself).
   */
  retain(rows: readonly number[]): number[] {
    if (rows.length === 0) {
      this.layers = this.layers.map(({ key, value }) => ({ key: gatherRows(key, [], 0), value: gatherRows(value, [], 0) }));
      this.mask = new BigInt64Array(0);
      this.batch = 0;
      return [];
    }
    const { drop, mask } = retainedMask(this.mask, this.length, rows);
    if (rows.length === this.batch && rows.every((r, i) => r === i) && drop === 0) return [...rows];
    this.layers = this.layers.map(({ key, value }) => ({ key: gatherRows(key, rows, drop), value: gatherRows(value, rows, drop) }));
    this.mask = mask;
    this.batch = rows.length;
    return [...rows];
  }
}

/**
 * The mask of `rows` (in that order) of a `[B, t]` mask without the leading columns that are padding in all of
 * them (at least one column stays), and how many columns were dropped.
 */
export function retainedMask(mask: BigInt64Array, t: number, rows: readonly number[]): { drop: number; mask: BigInt64Array } {
  let drop = t - 1;
  for (const r of rows) {
    let pad = 0;
    while (pad < drop && mask[r * t + pad] === 0n) pad++;
    drop = Math.min(drop, pad);
  }
  const keep = t - drop;
  const out = new BigInt64Array(rows.length * keep);
  rows.forEach((r, i) => out.set(mask.subarray(r * t + drop, (r + 1) * t), i * keep));
  return { drop, mask: out };
}

/** Two caches' masks stacked along the batch, each right-aligned to the longer one's length. */
export function stackedMask(a: { mask: BigInt64Array; batch: number; length: number }, b: { mask: BigInt64Array; batch: number; length: number }): BigInt64Array {
  const length = Math.max(a.length, b.length);
  const mask = new BigInt64Array((a.batch + b.batch) * length);
  const place = (c: typeof a, firstRow: number) => {
    const pad = length - c.length;
    for (let r = 0; r < c.batch; r++) mask.set(c.mask.subarray(r * c.length, (r + 1) * c.length), (firstRow + r) * length + pad);
  };
  place(a, 0);
  place(b, a.batch);
  return mask;
}

/** A `[batch, t]` mask with `newTokens` real columns appended to each row. */
export function maskWithColumns(mask: BigInt64Array, batch: number, t: number, newTokens: number): BigInt64Array {
  const out = new BigInt64Array(batch * (t + newTokens)).fill(1n);
  for (let b = 0; b < batch; b++) out.set(mask.subarray(b * t, (b + 1) * t), b * (t + newTokens));
  return out;
}

/**
 * Stacks two caches along the batch axis, left-padding the shorter one with masked columns, so rows
 * admitted mid-generation (continuous batching) join a running batch.
 */
export function concatCaches(a: KvCache, b: KvCache): KvCache {
  if (a.batch === 0) return b;
  if (b.batch === 0) return a;
  const length = Math.max(a.length, b.length);
  const layers = a.layers.map((la, i) => {
    const lb = b.layers[i]!;
    return { key: stackPadded(la.key, lb.key, length), value: stackPadded(la.value, lb.value, length) };
  });
  return new KvCache(layers, stackedMask(a, b), a.batch + b.batch);
}

/** `[Ba,H,Ta,D]` and `[Bb,H,Tb,D]` → `[Ba+Bb,H,T,D]`, each right-aligned in time (zeros on the left). */
function stackPadded(a: ort.Tensor, b: ort.Tensor, length: number): ort.Tensor {
  const [ba, heads, , d] = a.dims as [number, number, number, number];
  const bb = b.dims[0]!;
  const src = [a, b];
  const out = new ((a.data as Float32Array | Uint16Array).constructor as Float32ArrayConstructor)((ba + bb) * heads * length * d);
  let row = 0;
  for (const t of src) {
    const [rows, , tl] = t.dims as [number, number, number, number];
    const data = t.data as Float32Array;
    for (let r = 0; r < rows; r++, row++) {
      for (let h = 0; h < heads; h++) {
        out.set(data.subarray((r * heads + h) * tl * d, (r * heads + h + 1) * tl * d), ((row * heads + h) * length + (length - tl)) * d);
      }
    }
  }
  return new ort.Tensor(a.type as "float32", out, [ba + bb, heads, length, d]);
}

/** Copies the given batch rows of a `[B, H, T, D]` tensor (float32 or float16), skipping the first `drop` time steps. */
function gatherRows(tensor: ort.Tensor, rows: readonly number[], drop: number): ort.Tensor {
  const [, heads, t, d] = tensor.dims as [number, number, number, number];
  const src = tensor.data as Float32Array | Uint16Array;
  const keep = t - drop;
  const out = new (src.constructor as Float32ArrayConstructor | Uint16ArrayConstructor)(rows.length * heads * keep * d);
  rows.forEach((r, i) => {
    for (let h = 0; h < heads; h++) {
      const from = ((r * heads + h) * t + drop) * d;
      out.set(src.subarray(from, from + keep * d), (i * heads + h) * keep * d);
    }
  });
  return new ort.Tensor(tensor.type as "float32", out as Float32Array, [rows.length, heads, keep, d]);
}
