import type { GraphBuilder } from "../graph-builder.js";
import { matMulNBits } from "../matmul-nbits.js";
import { matMulInt8PerToken, quantizeInt8PerChannel } from "../matmul-int8.js";
import { quantizeNBits } from "../quantize-nbits.js";
import { transpose2d, type TensorData } from "../tensor-data.js";
import type { WeightSource } from "./weights.js";

/**
 * `x @ W^T + b` for a Hugging Face Linear weight `[out, in]`: a MatMul with the weight stored transposed, one
 * `MatMulNBits` node when the graph's precision block-quantizes Linear weights, or the per-token `MatMulInteger`
 * form of {@link matMulInt8PerToken} for int8.
 */
export function linear(g: GraphBuilder, w: WeightSource, x: string, prefix: string, bias: boolean): string {
  return linearWith(g, x, prefix, w.get(`${prefix}.weight`), bias ? w.get(`${prefix}.bias`) : undefined);
}

/** {@link linear} for a weight already in hand (e.g. a tied lm_head). */
export function linearWith(g: GraphBuilder, x: string, name: string, weight: TensorData, bias?: TensorData): string {
  const b = bias ? g.floatWeight(`${name}.bias`, bias) : undefined;
  if (g.precision.linear === "int8") {
    return matMulInt8PerToken(g, x, quantizeInt8PerChannel(weight), name, b);
  }
  if (g.precision.linear === "int4") {
    const q = quantizeNBits(weight, { bits: 4 });
    return matMulNBits(g, x, q, name, b ? { bias: b } : {});
  }
  const y = g.op("MatMul", [x, g.floatWeight(`${name}.weight`, transpose2d(weight))]);
  return b ? g.op("Add", [y, b]) : y;
}

/**
 * RMSNorm over the last axis, computed in float32 like the reference (`x * rsqrt(mean(x^2) + eps)`), cast
 * back to the compute type, then scaled by the weight.
 */
export function rmsNorm(g: GraphBuilder, w: WeightSource, x: string, weightName: string, eps: number): string {
  const x32 = g.cast(x, g.floatType, "float32");
  const variance = g.op("ReduceMean", [g.op("Mul", [x32, x32])], { attrs: { axes: [-1], keepdims: 1 } });
  const inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, g.float32(eps)])])]);
  const normed = g.cast(g.op("Mul", [x32, inv]), "float32", g.floatType);
  return g.op("Mul", [normed, g.floatWeight(weightName, w.get(weightName))]);
}

/** Softmax over the last axis in float32 after adding an optional float32 bias, back in the compute type. */
export function softmax32(g: GraphBuilder, scores: string, bias?: string): string {
  let s = g.cast(scores, g.floatType, "float32");
  if (bias) s = g.op("Add", [s, bias]);
  return g.cast(g.op("Softmax", [s], { attrs: { axis: -1 } }), "float32", g.floatType);
}

export function silu(g: GraphBuilder, x: string): string {
  return g.op("Mul", [x, g.op("Sigmoid", [x])]);
}

/** Exact (erf) GELU, as torch.nn.GELU() computes it. */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op("Erf", [g.op("Mul", [x, g.float(Math.SQRT1_2)])]);
  return g.op("Mul", [g.op("Mul", [x, g.float(0.5)]), g.op("Add", [erf, g.float(1)])]);
}

/** `cat(-x2, x1)` over the last axis of size `dim`. */
export function rotateHalf(g: GraphBuilder, x: string, dim: number): string {
  const half = dim / 2;
  const x1 = g.op("Slice", [x, g.int64([0]), g.int64([half]), g.int64([-1])]);
  const x2 = g.op("Slice", [x, g.int64([half]), g.int64([dim]), g.int64([-1])]);
  return g.op("Concat", [g.op("Neg", [x2]), x1], { attrs: { axis: -1 } });
}

/** `x * cos + rotate_half(x) * sin`. */
export function applyRotary(g: GraphBuilder, x: string, cos: string, sin: string, dim: number): string {
  return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rotateHalf(g, x, dim), sin])]);
}
