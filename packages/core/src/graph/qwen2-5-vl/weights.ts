import type { TensorData } from "../tensor-data.js";

/**
 * Where graph builders get weights from, by Hugging Face parameter name (e.g.
 * `model.layers.0.self_attn.q_proj.weight`). Tensors come back as float32 in the checkpoint's layout.
 * The converter reads them from safetensors; the tiny-model builder makes them up.
 */
export interface WeightSource {
  get(name: string): TensorData;
  has(name: string): boolean;
}
