import { BundleMismatchError } from "../errors.js";

/**
 * What the reference `generate()` does with a checkpoint's `generation_config.json`, reduced to what
 * changes greedy decoding. RGE's reference passes only `max_new_tokens` and `eos_token_id=<emb>`, so the
 * rest (e.g. a repetition penalty) comes from this file. Sampling settings (`do_sample` with a tiny
 * temperature, top-k, top-p) do not move the argmax and are ignored; the runtime always decodes greedily.
 */
export interface GenerationSettings {
  /** HF `repetition_penalty`: logits of tokens already in the row are divided (positive) or multiplied (negative) by it. */
  repetitionPenalty: number;
}

/** Reads the settings; a `repetition_penalty` that is not a positive finite number is an invalid bundle. */
export function parseGenerationSettings(json: Record<string, unknown> | undefined, file = "generation_config.json"): GenerationSettings {
  const penalty = json?.repetition_penalty;
  if (penalty === undefined || penalty === null) return { repetitionPenalty: 1 };
  if (typeof penalty !== "number" || !Number.isFinite(penalty) || penalty <= 0) {
    throw new BundleMismatchError(`${file}: repetition_penalty must be a positive number (1 = none), got ${JSON.stringify(penalty)}.`);
  }
  return { repetitionPenalty: penalty };
}
