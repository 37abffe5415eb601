import type { RgeModel } from "@rge/core";
import { bundleIdentity } from "./bundle-identity.js";
import type { MmebEmbedder, MmebEmbedInput } from "./embedder.js";

/**
 * Adapts a loaded `RgeModel` to the evaluation: inputs go in as `rawUserText` so the prompt is the reference's
 * byte for byte. `settings` names what changed the model's outputs beyond the bundle (pixel bounds, small-image
 * rule), so the cache never mixes embeddings made differently.
 *
 * @example
 * const model = await loadRgeModel(dir, MMEB_MODEL_OPTIONS);
 * const embedder = rgeModelEmbedder(model, MMEB_MODEL_OPTIONS);
 */
export function rgeModelEmbedder(model: RgeModel, settings: Record<string, unknown> = {}): MmebEmbedder {
  const base = JSON.stringify({ bundle: bundleIdentity(model.bundle), dtype: model.dtype, settings });
  const toInput = (i: MmebEmbedInput) => ({ rawUserText: i.userText, ...(i.image !== undefined ? { image: i.image } : {}) });
  const signalOption = (signal?: AbortSignal) => (signal ? { signal } : {});
  return {
    cacheIdentity: (kind) => (kind === "query-reasoning" ? `${base}|${kind}|maxNewTokens=${model.maxNewTokens}` : `${base}|${kind}`),
    async embedQueries(inputs, { reasoning, signal }) {
      const settled = await model.embedQueriesSettled(inputs.map(toInput), { reasoning, ...signalOption(signal) });
      return settled.map((s) =>
        s.status === "fulfilled"
          ? { status: "fulfilled", value: { embedding: s.value.embedding, rationale: s.value.rationale, stoppedBy: s.value.stoppedBy } }
          : s,
      );
    },
    async embedTargets(inputs, { signal }) {
      const settled = await model.embedTargetsSettled(inputs.map(toInput), signalOption(signal));
      return settled.map((s) => (s.status === "fulfilled" ? { status: "fulfilled", value: { embedding: s.value.embedding } } : s));
    },
  };
}
