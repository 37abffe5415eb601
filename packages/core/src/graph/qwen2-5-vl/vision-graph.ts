import type { GraphBuilder } from "../graph-builder.js";
import { asFloat32, float32Tensor, transpose2d } from "../tensor-data.js";
import type { VisionModelConfig } from "./config.js";
import { applyRotary, gelu, linear, rmsNorm, silu, softmax32 } from "./layers.js";
import type { WeightSource } from "./weights.js";
import { VISION_IO } from "./io-names.js";

export { VISION_IO } from "./io-names.js";


/** Additive mask value outside a patch's attention window. */
const MASKED = -1e9;

/**
 * Builds the Qwen2.5-VL vision encoder for one image: Conv3d patch embedding (a MatMul over flattened
 * patches), transformer blocks with 2-D rotary embeddings and windowed attention (full attention in the
 * `fullAttnBlockIndexes` blocks), and the 2x2 patch merger.
 *
 * Inputs: `pixel_values [N, C*T*P*P]` in the processor's patch order, `patch_positions [N, 2]` and
 * `window_ids [N]` (computed from the image grid in TypeScript, so the graph stays static; absent when
 * `depth` is 0). Output: `image_features [N/merge^2, outHidden]` in the same order.
 *
 * The reference reorders patches window by window before the blocks and restores the order after the
 * merger. Attention restricted to equal window ids is the same computation without the reordering
 * (blocks, merger groups and rotary embeddings are per patch or per merge unit), so the graph skips it.
 */
export function buildVisionGraph(g: GraphBuilder, cfg: VisionModelConfig, w: WeightSource): void {
  const patchDim = cfg.inChannels * cfg.temporalPatchSize * cfg.patchSize * cfg.patchSize;
  const unit = cfg.spatialMergeSize * cfg.spatialMergeSize;
  const pixels = g.input(VISION_IO.pixelValues, "float32", ["num_patches", patchDim]);

  // Conv3d with stride = kernel over pre-cut patches is a MatMul with the kernel flattened to [D, C*T*P*P].
  const conv = w.get("visual.patch_embed.proj.weight");
  const kernel = g.floatWeight("visual.patch_embed.proj.weight.T", transpose2d(float32Tensor([cfg.hiddenSize, patchDim], asFloat32(conv))));
  let h = g.op("MatMul", [g.cast(pixels, "float32", g.floatType), kernel]);

  if (cfg.depth > 0) {
    const positions = g.input(VISION_IO.patchPositions, "int64", ["num_patches", 2]);
    const windows = g.input(VISION_IO.windowIds, "int64", ["num_patches"]);
    const headDim = cfg.hiddenSize / cfg.numHeads;
    const { cos, sin } = visionRotary(g, positions, headDim);
    const sameWindow = g.op("Equal", [g.op("Unsqueeze", [windows, g.int64([1])]), g.op("Unsqueeze", [windows, g.int64([0])])]);
    const windowBias = g.op("Where", [sameWindow, g.float32(0), g.float32(MASKED)]);
    for (let i = 0; i < cfg.depth; i++) {
      const bias = cfg.fullAttnBlockIndexes.includes(i) ? undefined : windowBias;
      h = visionBlock(g, w, cfg, `visual.blocks.${i}`, h, cos, sin, bias);
    }
  }

  const normed = rmsNorm(g, w, h, "visual.merger.ln_q.weight", 1e-6);
  const grouped = g.op("Reshape", [normed, g.int64([-1, cfg.hiddenSize * unit])]);
  const hidden = gelu(g, linear(g, w, grouped, "visual.merger.mlp.0", true));
  const features = linear(g, w, hidden, "visual.merger.mlp.2", true);
  g.output(g.cast(features, g.floatType, "float32"), VISION_IO.imageFeatures, "float32", ["num_image_tokens", cfg.outHiddenSize]);
}

/** cos/sin `[N, 1, headDim]`: the first half of the rotary frequencies follow the row, the second the column. */
function visionRotary(g: GraphBuilder, positions: string, headDim: number): { cos: string; sin: string } {
  const dim = headDim / 2; // the rotary embedding's own dimension
  const invFreq = Array.from({ length: dim / 2 }, (_, i) => Math.fround(1 / Math.pow(10000, Math.fround((2 * i) / dim))));
  const pos = g.op("Unsqueeze", [g.op("Cast", [positions], { attrs: { to: 1 } }), g.int64([-1])]); // [N,2,1]
  const freqs = g.op("Reshape", [g.op("Mul", [pos, g.float32(invFreq, [dim / 2])]), g.int64([0, dim])]); // [N, dim]
  const emb = g.op("Unsqueeze", [g.op("Concat", [freqs, freqs], { attrs: { axis: -1 } }), g.int64([1])]); // [N,1,headDim]
  return { cos: g.cast(g.op("Cos", [emb]), "float32", g.floatType), sin: g.cast(g.op("Sin", [emb]), "float32", g.floatType) };
}

function visionBlock(
  g: GraphBuilder,
  w: WeightSource,
  cfg: VisionModelConfig,
  p: string,
  x: string,
  cos: string,
  sin: string,
  bias: string | undefined,
): string {
  const headDim = cfg.hiddenSize / cfg.numHeads;
  const normed = rmsNorm(g, w, x, `${p}.norm1.weight`, 1e-6);
  const qkv = g.op("Reshape", [linear(g, w, normed, `${p}.attn.qkv`, true), g.int64([0, 3, cfg.numHeads, headDim])]);
  const part = (k: number) => g.op("Gather", [qkv, g.int64(k)], { attrs: { axis: 1 } }); // [N, heads, hd]
  const q = g.op("Transpose", [applyRotary(g, part(0), cos, sin, headDim)], { attrs: { perm: [1, 0, 2] } });
  const k = g.op("Transpose", [applyRotary(g, part(1), cos, sin, headDim)], { attrs: { perm: [1, 2, 0] } });
  const v = g.op("Transpose", [part(2)], { attrs: { perm: [1, 0, 2] } });
  const scores = g.op("Mul", [g.op("MatMul", [q, k]), g.float(1 / Math.sqrt(headDim))]); // [heads, N, N]
  const ctx = g.op("MatMul", [softmax32(g, scores, bias), v]); // [heads, N, hd]
  const merged = g.op("Reshape", [g.op("Transpose", [ctx], { attrs: { perm: [1, 0, 2] } }), g.int64([0, -1])]);
  const h = g.op("Add", [x, linear(g, w, merged, `${p}.attn.proj`, true)]);
  const normed2 = rmsNorm(g, w, h, `${p}.norm2.weight`, 1e-6);
  const gate = silu(g, linear(g, w, normed2, `${p}.mlp.gate_proj`, true));
  const up = linear(g, w, normed2, `${p}.mlp.up_proj`, true);
  return g.op("Add", [h, linear(g, w, g.op("Mul", [gate, up]), `${p}.mlp.down_proj`, true)]);
}
