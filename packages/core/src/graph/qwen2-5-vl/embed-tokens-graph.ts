import type { GraphBuilder } from "../graph-builder.js";
import type { TextModelConfig } from "./config.js";
import type { WeightSource } from "./weights.js";
import { EMBED_TOKENS_IO } from "./io-names.js";

export { EMBED_TOKENS_IO } from "./io-names.js";


/** `input_ids [B,S]` (int64) → `inputs_embeds [B,S,H]`: a lookup in the token embedding table. */
export function buildEmbedTokensGraph(g: GraphBuilder, cfg: TextModelConfig, w: WeightSource): void {
  const ids = g.input(EMBED_TOKENS_IO.inputIds, "int64", ["batch_size", "sequence_length"]);
  const type = g.precision.embeddings;
  const table = g.floatWeight("model.embed_tokens.weight", w.get("model.embed_tokens.weight"), type);
  const out = g.cast(g.op("Gather", [table, ids], { attrs: { axis: 0 } }), type, "float32");
  g.output(out, EMBED_TOKENS_IO.inputsEmbeds, "float32", ["batch_size", "sequence_length", cfg.hiddenSize]);
}
