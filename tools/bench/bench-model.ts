import { existsSync } from "node:fs";
import { join } from "node:path";
import { convertCheckpoint } from "@rge/core";
import { writeRandomCheckpoint, type CheckpointShapes } from "@rge/core/testing";
import { writeBenchTemplate } from "./bench-template.js";

/**
 * The benchmark model: Qwen2.5-VL-shaped, random weights, ~125M parameters in the text decoder (large enough
 * that reading weights dominates a decode step), a 32k vocabulary of Qwen's BPE (see `writeBenchTemplate`), and
 * an `<emb>` logit tuned so that a few rationales end early on `<emb>`; the benchmark's per-query budgets
 * (16 to 128 tokens) end the rest.
 */
export const BENCH_SHAPES: CheckpointShapes = {
  hidden_size: 768,
  intermediate_size: 2048,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  num_key_value_heads: 4,
  vocab_size: 32000,
  tie_word_embeddings: false,
  vision_config: {
    depth: 2,
    hidden_size: 256,
    intermediate_size: 512,
    num_heads: 4,
    out_hidden_size: 768,
    patch_size: 14,
    temporal_patch_size: 2,
    spatial_merge_size: 2,
    window_size: 112,
    fullatt_block_indexes: [1],
    in_chans: 3,
  },
};

export const EMB_STRENGTH = Number(process.env.RGE_BENCH_EMB_STRENGTH ?? 0.075);

/** Writes (once) the checkpoint and its fp32 bundle under `work`; returns their paths. */
export async function benchModel(work: string, shapes = BENCH_SHAPES, tag = "bench"): Promise<{ checkpoint: string; bundle: string }> {
  const checkpoint = join(work, `${tag}-checkpoint-${EMB_STRENGTH}-qwen-tok`);
  const bundle = join(work, `${tag}-bundle-${EMB_STRENGTH}-qwen-tok`);
  if (!existsSync(join(checkpoint, "model.safetensors.index.json"))) {
    const templateFiles = writeBenchTemplate(join(work, `template-${shapes.vocab_size}`), shapes.vocab_size);
    writeRandomCheckpoint(checkpoint, shapes, templateFiles, { embStrength: EMB_STRENGTH, seed: 7 });
  }
  if (!existsSync(join(bundle, "rge.json"))) await convertCheckpoint(checkpoint, bundle, { overwrite: true });
  return { checkpoint, bundle };
}
