import type { GraphBuilder } from "../graph-builder.js";
import { transpose2d } from "../tensor-data.js";
import type { WeightSource } from "./weights.js";

/** `x @ W^T + b` for a Hugging Face Linear weight `[out, in]` (stored transposed for MatMul). */
export function linear(g: GraphBuilder, w: WeightSource, x: string, prefix: string, bias: boolean): string {
  const weight = g.initializer(`${prefix}.weight`, transpose2d(w.get(`${prefix}.weight`)));
  const y = g.op("MatMul", [x, weight]);
  return bias ? g.op("Add", [y, g.initializer(`${prefix}.bias`, w.get(`${prefix}.bias`))]) : y;
}

/** RMSNorm over the last axis, computed in float32 like the reference (`x * rsqrt(mean(x^2) + eps) * w`). */
export function rmsNorm(g: GraphBuilder, w: WeightSource, x: string, weightName: string, eps: number): string {
  const variance = g.op("ReduceMean", [g.op("Mul", [x, x])], { attrs: { axes: [-1], keepdims: 1 } });
  const inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [variance, g.float32(eps)])])]);
  return g.op("Mul", [g.op("Mul", [x, inv]), g.initializer(weightName, w.get(weightName))]);
}

export function silu(g: GraphBuilder, x: string): string {
  return g.op("Mul", [x, g.op("Sigmoid", [x])]);
}

/** Exact (erf) GELU, as torch.nn.GELU() computes it. */
export function gelu(g: GraphBuilder, x: string): string {
  const erf = g.op("Erf", [g.op("Mul", [x, g.float32(Math.SQRT1_2)])]);
  return g.op("Mul", [g.op("Mul", [x, g.float32(0.5)]), g.op("Add", [erf, g.float32(1)])]);
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
