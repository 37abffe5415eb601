import * as ort from "#ort";
import type { PreparedItem } from "./prepared-item.js";

/** Per layer: key and value of the prefix, `[1, kvHeads, L, headDim]`. */
export type PrefixLayers = { key: ort.Tensor; value: ort.Tensor }[];

/**
 * KV caches of the prompt prefixes that many inputs share: the chat template's system turn and the start of the
 * user turn, alone or followed by a default instruction. The candidates are fixed when the model loads, so how
 * a prompt is split depends only on the batch it runs in, never on earlier calls. Each candidate's KV is
 * computed once, the first time a batch starts with it; prefill then runs only the rest of each prompt.
 */
export class PrefixCache {
  private readonly computed = new Map<number, PrefixLayers>();

  constructor(
    /** Candidate prefixes as token ids (text only). */
    private readonly candidates: readonly (readonly number[])[],
  ) {}

  /** Every prefix KV computed so far (to release device tensors when the model is disposed). */
  computedLayers(): PrefixLayers[] {
    return [...this.computed.values()];
  }

  /** The longest candidate every item starts with (leaving each at least one token), with its KV. */
  async resolve(items: readonly PreparedItem[], compute: (ids: number[]) => Promise<PrefixLayers>): Promise<{ length: number; layers: PrefixLayers } | undefined> {
    let best = -1;
    this.candidates.forEach((candidate, i) => {
      const fits = items.every((item) => item.ids.length > candidate.length && candidate.every((id, k) => item.ids[k] === id));
      if (fits && candidate.length > 0 && (best < 0 || candidate.length > this.candidates[best]!.length)) best = i;
    });
    if (best < 0) return undefined;
    let layers = this.computed.get(best);
    if (!layers) {
      layers = await compute([...this.candidates[best]!]);
      this.computed.set(best, layers);
    }
    return { length: this.candidates[best]!.length, layers };
  }
}

/** Repeats a `[1, H, L, D]` prefix tensor for `batch` rows. */
export function repeatRows(t: ort.Tensor, batch: number): ort.Tensor {
  const src = t.data as Float32Array | Uint16Array;
  const out = new (src.constructor as Float32ArrayConstructor)(src.length * batch);
  for (let b = 0; b < batch; b++) out.set(src as Float32Array, b * src.length);
  return new ort.Tensor(t.type as "float32", out, [batch, ...t.dims.slice(1)]);
}
