import { disposeDecoderCache, type Forward } from "./forward.js";
import type { PreparedItem } from "./prepared-item.js";
import { normalizedSlice } from "./vector.js";

/**
 * One forward pass over prompts that already end in `<emb>`; the embedding is the final-norm hidden state
 * of the last position (left padding puts every row's `<emb>` there). Logits are computed for one
 * position only, so no vocabulary-wide tensor is built.
 */
export async function encodeTargetBatch(forward: Forward, items: readonly PreparedItem[], hiddenSize: number): Promise<Float32Array[]> {
  const { lastHidden, cache } = await forward.prefill(items, 1);
  disposeDecoderCache(cache);
  return items.map((_, b) => normalizedSlice(lastHidden, b * hiddenSize, hiddenSize));
}
