import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** PCI vendors whose GPUs have hardware Vulkan (or Metal/D3D12) drivers. Virtual display adapters are not among them. */
const GPU_VENDORS: Record<string, string> = {
  "0x10de": "NVIDIA",
  "0x1002": "AMD",
  "0x8086": "Intel",
  "0x13b5": "Arm",
  "0x5143": "Qualcomm",
  "0x1010": "Imagination",
};

/**
 * Whether this machine has a GPU that a WebGPU adapter could be backed by, and what it is. On Linux a WebGPU
 * adapter with no GPU device behind it is a software renderer (Mesa's lavapipe or llvmpipe, SwiftShader), which
 * is slower than ONNX Runtime's CPU provider, so `device: "auto"` skips WebGPU there. onnxruntime-node gives no
 * way to read the adapter's own description, so this looks at the devices the kernel exposes, as ONNX Runtime's
 * own device discovery does. Elsewhere (macOS Metal, Windows D3D12) the adapter is taken to be hardware.
 */
export function findGpuHardware(): { found: boolean; detail: string } {
  if (process.platform !== "linux") return { found: true, detail: `${process.platform} GPU API` };
  if (existsSync("/dev/nvidia0") || existsSync("/dev/nvidiactl")) return { found: true, detail: "NVIDIA device (/dev/nvidia0)" };
  const drm = "/sys/class/drm";
  const cards = existsSync(drm) ? readdirSync(drm).filter((n) => /^card\d+$/.test(n)) : [];
  for (const card of cards) {
    const vendor = readTrimmed(join(drm, card, "device", "vendor"));
    if (vendor && GPU_VENDORS[vendor]) return { found: true, detail: `${GPU_VENDORS[vendor]} GPU (${card})` };
  }
  return {
    found: false,
    detail: cards.length > 0 ? `only virtual display adapters in ${drm}` : `no GPU device (nothing in ${drm}, no /dev/nvidia0)`,
  };
}

function readTrimmed(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}
