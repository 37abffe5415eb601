/**
 * Index of the best-scoring candidate by cosine similarity, the first on ties, as the reference's `get_pred`
 * (`np.argmax` over re-normalized dot products). Computed in float64.
 */
export function predictCandidate(query: Float32Array, candidates: readonly Float32Array[]): number {
  const qNorm = Math.sqrt(dot(query, query));
  let best = -1;
  let bestScore = -Infinity;
  candidates.forEach((c, i) => {
    const score = dot(query, c) / (qNorm * Math.sqrt(dot(c, c)));
    if (score > bestScore || best === -1) {
      best = i;
      bestScore = score;
    }
  });
  return best;
}

/** A hit: candidate 0, the positive, ranks first. */
export function isHit(query: Float32Array, candidates: readonly Float32Array[]): boolean {
  return predictCandidate(query, candidates) === 0;
}

function dot(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`embedding lengths differ: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
