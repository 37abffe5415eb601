import { GraphBuilder } from "../graph-builder.js";
import { DECODER_IO } from "./io-names.js";

export { DECODER_IO } from "./io-names.js";
import type { TextModelConfig } from "./config.js";
import { applyRotary, linear, linearWith, rmsNorm, silu, softmax32 } from "./layers.js";
import { transpose2d } from "../tensor-data.js";
import type { WeightSource } from "./weights.js";

/** Additive mask value: finite so fully masked (left-padding) rows stay NaN-free. */
const MASKED = -1e9;


/** Which RGE additions {@link buildDecoderGraph} makes; both default to true. */
export interface DecoderGraphOptions {
  /** Add the `last_hidden_state` output. Default true; false mimics a plain transformers.js export. */
  hiddenStateOutput?: boolean;
  /** Add the `num_logits_to_keep` input and its Slice before the head. Default true; false computes logits for all positions. */
  logitsToKeepInput?: boolean;
  /**
   * `"present"` (default): `present.{i}.*` hold past + new keys and values, the transformers.js contract.
   * `"new"`: `new_key_values.{i}.*` hold only this call's keys and values and attention reads the past in place,
   * so no step copies the whole cache; the caller appends the new entries to its own cache.
   */
  kvOutputs?: "present" | "new";
}

/**
 * Builds the Qwen2.5-VL text decoder (M-RoPE, grouped-query attention with KV cache, SwiGLU MLP,
 * RMSNorm) from standard ONNX ops.
 *
 * Inputs: `inputs_embeds [B,S,H]`, `attention_mask [B,P+S]` (int64, 0 = padding), `position_ids [3,B,S]`,
 * `past_key_values.{i}.key|value [B,kvHeads,P,headDim]`, `num_logits_to_keep` (int64 scalar, 0 = all).
 * Outputs: `logits [B,k,V]`, `last_hidden_state [B,S,H]` (after the final norm), `present.{i}.key|value`.
 */
export function buildDecoderGraph(g: GraphBuilder, cfg: TextModelConfig, w: WeightSource, options: DecoderGraphOptions = {}): void {
  const { hiddenSize: H, headDim: D, numHeads, numKvHeads, vocabSize } = cfg;
  const groups = numHeads / numKvHeads;
  const f = g.floatType;
  const appendOnly = options.kvOutputs === "new";
  const x0 = g.input(DECODER_IO.inputsEmbeds, "float32", ["batch_size", "sequence_length", H]);
  const mask = g.input(DECODER_IO.attentionMask, "int64", ["batch_size", "total_sequence_length"]);
  const positions = g.input(DECODER_IO.positionIds, "int64", [3, "batch_size", "sequence_length"]);
  const past = Array.from({ length: cfg.numLayers }, (_, i) => ({
    key: g.input(DECODER_IO.pastKey(i), f, ["batch_size", numKvHeads, "past_sequence_length", D]),
    value: g.input(DECODER_IO.pastValue(i), f, ["batch_size", numKvHeads, "past_sequence_length", D]),
  }));
  const keep = options.logitsToKeepInput === false ? undefined : g.input(DECODER_IO.numLogitsToKeep, "int64", []);

  const bias = attentionBias(g, x0, mask);
  const angles = mropeCosSin(g, cfg, positions);
  const cos = g.cast(angles.cos, "float32", f);
  const sin = g.cast(angles.sin, "float32", f);
  const cosQ = g.op("Unsqueeze", [cos, g.int64([1, 2])]); // [B,1,1,S,D] for q in [B,kv,G,S,D]
  const sinQ = g.op("Unsqueeze", [sin, g.int64([1, 2])]);
  const cosK = g.op("Unsqueeze", [cos, g.int64([1])]); // [B,1,S,D] for k in [B,kv,S,D]
  const sinK = g.op("Unsqueeze", [sin, g.int64([1])]);

  let h = g.cast(x0, "float32", f);
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}`;
    const normed = rmsNorm(g, w, h, `${p}.input_layernorm.weight`, cfg.rmsNormEps);
    const q = linear(g, w, normed, `${p}.self_attn.q_proj`, true);
    const k = linear(g, w, normed, `${p}.self_attn.k_proj`, true);
    const v = linear(g, w, normed, `${p}.self_attn.v_proj`, true);
    // q: [B,S,kv*G*D] -> [B,kv,G,S,D]; k, v: [B,S,kv*D] -> [B,kv,S,D]
    const q5 = g.op("Transpose", [g.op("Reshape", [q, g.int64([0, 0, numKvHeads, groups, D])])], { attrs: { perm: [0, 2, 3, 1, 4] } });
    const k4 = g.op("Transpose", [g.op("Reshape", [k, g.int64([0, 0, numKvHeads, D])])], { attrs: { perm: [0, 2, 1, 3] } });
    const v4 = g.op("Transpose", [g.op("Reshape", [v, g.int64([0, 0, numKvHeads, D])])], { attrs: { perm: [0, 2, 1, 3] } });
    const qr = applyRotary(g, q5, cosQ, sinQ, D);
    const kr = applyRotary(g, k4, cosK, sinK, D);
    const ctx = appendOnly
      ? splitAttention(g, qr, past[i]!, kr, v4, bias, D, i)
      : concatAttention(g, qr, past[i]!, kr, v4, bias, D, i);
    const merged = g.op("Reshape", [g.op("Transpose", [ctx], { attrs: { perm: [0, 3, 1, 2, 4] } }), g.int64([0, 0, -1])]);
    h = g.op("Add", [h, linear(g, w, merged, `${p}.self_attn.o_proj`, false)]);

    const normed2 = rmsNorm(g, w, h, `${p}.post_attention_layernorm.weight`, cfg.rmsNormEps);
    const gate = silu(g, linear(g, w, normed2, `${p}.mlp.gate_proj`, false));
    const up = linear(g, w, normed2, `${p}.mlp.up_proj`, false);
    h = g.op("Add", [h, linear(g, w, g.op("Mul", [gate, up]), `${p}.mlp.down_proj`, false)]);
  }

  const hidden = rmsNorm(g, w, h, "model.norm.weight", cfg.rmsNormEps);
  if (options.hiddenStateOutput !== false) {
    g.output(g.cast(hidden, f, "float32"), DECODER_IO.lastHiddenState, "float32", ["batch_size", "sequence_length", H]);
  }

  const kept = keep === undefined ? hidden : keepLastPositions(g, hidden, keep);
  const headName = cfg.tieWordEmbeddings || !w.has("lm_head.weight") ? "model.embed_tokens.weight" : "lm_head.weight";
  const logits =
    g.precision.linear === "float"
      ? g.op("MatMul", [kept, g.floatWeight("lm_head.weight.T", transpose2d(w.get(headName)))])
      : linearWith(g, kept, "lm_head", w.get(headName));
  g.output(g.cast(logits, f, "float32"), DECODER_IO.logits, "float32", ["batch_size", "logits_length", vocabSize]);
  for (let i = 0; i < cfg.numLayers; i++) {
    const [key, value, length] = appendOnly
      ? [DECODER_IO.newKey(i), DECODER_IO.newValue(i), "sequence_length"]
      : [DECODER_IO.presentKey(i), DECODER_IO.presentValue(i), "total_sequence_length"];
    g.output(key, key, f, ["batch_size", numKvHeads, length, D]);
    g.output(value, value, f, ["batch_size", numKvHeads, length, D]);
  }
}

/** Attention over `Concat(past, new)`, which is also the `present` output (a copy of the cache per call). */
function concatAttention(g: GraphBuilder, q: string, past: { key: string; value: string }, k: string, v: string, bias: string, D: number, i: number): string {
  const keys = g.op("Concat", [past.key, k], { attrs: { axis: 2 }, outputs: [DECODER_IO.presentKey(i)] });
  const values = g.op("Concat", [past.value, v], { attrs: { axis: 2 }, outputs: [DECODER_IO.presentValue(i)] });
  // Grouped-query attention by broadcasting: [B,kv,G,S,D] @ [B,kv,1,D,T] -> [B,kv,G,S,T]
  const kT = g.op("Transpose", [g.op("Unsqueeze", [keys, g.int64([2])])], { attrs: { perm: [0, 1, 2, 4, 3] } });
  const probs = softmax32(g, g.op("Mul", [g.op("MatMul", [q, kT]), g.float(1 / Math.sqrt(D))]), bias);
  return g.op("MatMul", [probs, g.op("Unsqueeze", [values, g.int64([2])])]);
}

/**
 * The same attention with past and new keys scored separately and the softmax taken over both, so the cache
 * is only read; the new keys and values are the layer's outputs.
 */
function splitAttention(g: GraphBuilder, q: string, past: { key: string; value: string }, k: string, v: string, bias: string, D: number, i: number): string {
  g.op("Identity", [k], { outputs: [DECODER_IO.newKey(i)] });
  g.op("Identity", [v], { outputs: [DECODER_IO.newValue(i)] });
  const pastLen = g.op("Unsqueeze", [g.op("Gather", [g.op("Shape", [past.key]), g.int64(2)]), g.int64([0])]);
  const transposed = (x: string) => g.op("Transpose", [g.op("Unsqueeze", [x, g.int64([2])])], { attrs: { perm: [0, 1, 2, 4, 3] } });
  const scale = g.float(1 / Math.sqrt(D));
  const scores = g.op("Concat", [g.op("MatMul", [q, transposed(past.key)]), g.op("MatMul", [q, transposed(k)])], { attrs: { axis: -1 } });
  const probs = softmax32(g, g.op("Mul", [scores, scale]), bias);
  const end = g.int64([Number.MAX_SAFE_INTEGER]);
  const pPast = g.op("Slice", [probs, g.int64([0]), pastLen, g.int64([-1])]);
  const pNew = g.op("Slice", [probs, pastLen, end, g.int64([-1])]);
  return g.op("Add", [
    g.op("MatMul", [pPast, g.op("Unsqueeze", [past.value, g.int64([2])])]),
    g.op("MatMul", [pNew, g.op("Unsqueeze", [v, g.int64([2])])]),
  ]);
}

/** Logits only for the last `num_logits_to_keep` positions (0 keeps all): targets need none of them. */
function keepLastPositions(g: GraphBuilder, hidden: string, keep: string): string {
  const isAll = g.op("Equal", [keep, g.int64(0)]);
  const start = g.op("Where", [isAll, g.int64(0), g.op("Neg", [keep])]);
  return g.op("Slice", [hidden, g.op("Unsqueeze", [start, g.int64([0])]), g.int64([Number.MAX_SAFE_INTEGER]), g.int64([1])]);
}

/** Causal + padding mask as an additive bias `[B,1,1,S,T]` (0 where attention is allowed). */
function attentionBias(g: GraphBuilder, x: string, mask: string): string {
  const seqLen = g.op("Gather", [g.op("Shape", [x]), g.int64(1)]);
  const total = g.op("Gather", [g.op("Shape", [mask]), g.int64(1)]);
  const pastLen = g.op("Sub", [total, seqLen]);
  const queryPos = g.op("Range", [pastLen, total, g.int64(1)]); // absolute positions of the new tokens
  const keyPos = g.op("Range", [g.int64(0), total, g.int64(1)]);
  const causal = g.op("LessOrEqual", [g.op("Unsqueeze", [keyPos, g.int64([0])]), g.op("Unsqueeze", [queryPos, g.int64([1])])]);
  const notPad = g.op("Unsqueeze", [g.op("Cast", [mask], { attrs: { to: 9 } }), g.int64([1, 2, 3])]);
  const allowed = g.op("And", [causal, notPad]);
  return g.op("Where", [allowed, g.float32(0), g.float32(MASKED)]);
}

/** M-RoPE: each rotary frequency takes its angle from the t, h or w position, by `mropeSection`. */
function mropeCosSin(g: GraphBuilder, cfg: TextModelConfig, positions: string): { cos: string; sin: string } {
  const half = cfg.headDim / 2;
  const invFreq = Array.from({ length: half }, (_, i) => 1 / Math.pow(cfg.ropeTheta, (2 * i) / cfg.headDim));
  const select = new Array<number>(3 * half).fill(0);
  let offset = 0;
  cfg.mropeSection.forEach((size, axis) => {
    for (let j = offset; j < offset + size; j++) select[axis * half + j] = 1;
    offset += size;
  });
  const pos = g.op("Unsqueeze", [g.op("Cast", [positions], { attrs: { to: 1 } }), g.int64([-1])]); // [3,B,S,1]
  const angles = g.op("Mul", [pos, g.float32(invFreq, [half])]); // [3,B,S,half]
  const picked = g.op("ReduceSum", [g.op("Mul", [angles, g.float32(select, [3, 1, 1, half])]), g.int64([0])], {
    attrs: { keepdims: 0 },
  });
  const emb = g.op("Concat", [picked, picked], { attrs: { axis: -1 } }); // [B,S,D]
  return { cos: g.op("Cos", [emb]), sin: g.op("Sin", [emb]) };
}
