/** Index of the first NaN or ±Infinity in `vector`, or -1: such a value makes every cosine score NaN. */
export function firstNonFinite(vector: ArrayLike<number>): number {
  for (let i = 0; i < vector.length; i++) if (!Number.isFinite(vector[i])) return i;
  return -1;
}
