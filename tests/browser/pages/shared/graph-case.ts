/**
 * What a test hands a page to run, and what the page hands back. The graph is served as `<bundle>/graph.onnx`
 * and its inputs as `<bundle>/inputs.json`; float32 tensors only.
 */
export interface Float32Tensor {
  dims: number[];
  data: number[];
}

export type GraphInputs = Record<string, Float32Tensor>;

export interface GraphRun {
  /** The execution provider the session was created with. */
  executionProvider: string;
  outputs: Record<string, Float32Tensor>;
  /** Kernels onnxruntime-web's profiler saw run on WebGPU, e.g. ["MatMul", "Add"]; only with `webgpu`. */
  webgpuKernels?: string[];
}
