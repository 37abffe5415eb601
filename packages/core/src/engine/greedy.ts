/**
 * Picks the next token the way the reference `generate()` does with a greedy-equivalent config: optional
 * repetition penalty over every token already in the row (prompt included, as Hugging Face applies it),
 * then the first maximum.
 */
export function pickToken(logits: Float32Array, offset: number, vocab: number, seen: Uint8Array | undefined, penalty: number): number {
  let best = -1;
  let bestScore = -Infinity;
  for (let v = 0; v < vocab; v++) {
    let score = logits[offset + v]!;
    if (seen && seen[v]) score = score < 0 ? score * penalty : score / penalty;
    if (score > bestScore) {
      bestScore = score;
      best = v;
    }
  }
  return best;
}
