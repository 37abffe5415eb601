import type { GraphBuilder } from "../graph-builder.js";
import { asFloat32, float32Tensor, transpose2d } from "../tensor-data.js";
import type { VisionModelConfig } from "./config.js";
import { gelu, linear, rmsNorm } from "./layers.js";
import type { WeightSource } from "./weights.js";

export const VISION_IO = {
  pixelValues: "pixel_values",
  imageGridThw: "image_grid_thw",
  imageFeatures: "image_features",
} as const;

/**
 * Builds the Qwen2.5-VL vision encoder for one image: Conv3d patch embedding (as a MatMul over flattened
 * patches), the transformer blocks, and the 2x2 patch merger.
 *
 * Inputs: `pixel_values [N, C*T*P*P]` in the processor's patch order, `image_grid_thw [1,3]`.
 * Output: `image_features [N/merge^2, outHidden]`.
 *
 * Transformer blocks (windowed attention with 2-D rotary) are not built yet: this builder accepts
 * `depth: 0` only, which is the exact Qwen2.5-VL computation for a model without blocks (the window
 * reordering before the blocks and its inverse after the merger cancel out).
 */
export function buildVisionGraph(g: GraphBuilder, cfg: VisionModelConfig, w: WeightSource): void {
  if (cfg.depth !== 0) {
    throw new Error(`vision encoder with ${cfg.depth} transformer blocks is not supported yet (only depth 0)`);
  }
  const patchDim = cfg.inChannels * cfg.temporalPatchSize * cfg.patchSize * cfg.patchSize;
  const unit = cfg.spatialMergeSize * cfg.spatialMergeSize;
  const pixels = g.input(VISION_IO.pixelValues, "float32", ["num_patches", patchDim]);
  g.input(VISION_IO.imageGridThw, "int64", ["num_images", 3]);

  // Conv3d with stride = kernel over pre-cut patches is a MatMul with the kernel flattened to [D, C*T*P*P].
  const conv = w.get("visual.patch_embed.proj.weight");
  const convFlat = float32Tensor([cfg.hiddenSize, patchDim], asFloat32(conv));
  const kernel = g.initializer("visual.patch_embed.proj.weight.T", transpose2d(convFlat));
  const patches = g.op("MatMul", [pixels, kernel]);

  const normed = rmsNorm(g, w, patches, "visual.merger.ln_q.weight", 1e-6);
  const grouped = g.op("Reshape", [normed, g.int64([-1, cfg.hiddenSize * unit])]);
  const hidden = gelu(g, linear(g, w, grouped, "visual.merger.mlp.0", true));
  const features = linear(g, w, hidden, "visual.merger.mlp.2", true);
  g.output(features, VISION_IO.imageFeatures, "float32", ["num_image_tokens", cfg.outHiddenSize]);
}
