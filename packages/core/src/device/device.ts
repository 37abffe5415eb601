import { UnknownDeviceError } from "../errors.js";

/** Where ONNX Runtime runs the graphs. `auto` tries CUDA, then WebGPU, then falls back to CPU (and says so). */
export type RgeDevice = "cpu" | "cuda" | "webgpu" | "auto";

const DEVICES: RgeDevice[] = ["cpu", "cuda", "webgpu", "auto"];

export function parseDevice(value: string): RgeDevice {
  if ((DEVICES as string[]).includes(value)) return value as RgeDevice;
  throw new UnknownDeviceError(`Unknown device ${JSON.stringify(value)}; expected one of ${DEVICES.join(", ")}.`);
}

/** Execution providers to try, in order, for a device. */
export function candidateProviders(device: RgeDevice): ("cpu" | "cuda" | "webgpu")[] {
  return device === "auto" ? ["cuda", "webgpu", "cpu"] : [device];
}
