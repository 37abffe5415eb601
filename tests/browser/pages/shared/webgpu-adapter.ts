import type { AdapterInfo } from "./adapter-info.js";

// TypeScript 5.9's DOM library has no WebGPU types; this is the little the page reads.
interface GpuAdapter {
  info?: { vendor: string; architecture: string; description: string; isFallbackAdapter?: boolean };
}
interface Gpu {
  requestAdapter(): Promise<GpuAdapter | null>;
}

/** Asks for the default adapter, as onnxruntime-web's WebGPU provider will. */
export async function describeAdapter(): Promise<AdapterInfo> {
  const gpu = (navigator as Navigator & { gpu?: Gpu }).gpu;
  if (!gpu) return { available: false, reason: `navigator.gpu is missing (${isSecureContext ? "WebGPU is disabled" : "not a secure context"})` };
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { available: false, reason: "navigator.gpu.requestAdapter() returned null" };
  const info = adapter.info ?? { vendor: "", architecture: "", description: "" };
  return { available: true, vendor: info.vendor, architecture: info.architecture, description: info.description, isFallbackAdapter: info.isFallbackAdapter ?? false };
}
