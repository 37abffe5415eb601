/** Copies `[offset, offset + dim)` of `source` into a new unit-length vector (L2 norm accumulated in float64). */
export function normalizedSlice(source: Float32Array, offset: number, dim: number): Float32Array {
  const out = source.slice(offset, offset + dim);
  let sum = 0;
  for (let i = 0; i < dim; i++) sum += out[i]! * out[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < dim; i++) out[i] = out[i]! / norm;
  return out;
}

/** Dot product; for unit vectors this is their cosine similarity. */
export function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`dot: lengths differ (${a.length} vs ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
