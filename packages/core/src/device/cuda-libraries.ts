import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { onnxRuntimeNodePath } from "./onnxruntime-path.js";

/**
 * What onnxruntime-node's CUDA provider lacks on this machine, or undefined when nothing is visibly missing.
 * The provider's libraries are not in the npm package (its install script fetches them); once there, they
 * need CUDA 13 and cuDNN 9 (the 1.30.0 provider links libcudart.so.13, libcublas.so.13 and libcublasLt.so.13,
 * and opens libcudnn.so.9 at run time). Checking first spares the user ONNX Runtime's own error line and names
 * the missing files. Only Linux is checked; elsewhere ONNX Runtime's error is reported as is.
 */
export function missingCudaPieces(): string | undefined {
  if (process.platform !== "linux") return undefined;
  const bin = join(dirname(onnxRuntimeNodePath()), "..", "bin", "napi-v6", "linux", process.arch);
  const provider = join(bin, "libonnxruntime_providers_cuda.so");
  const missing = ["libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so"].filter((f) => !existsSync(join(bin, f)));
  if (missing.length > 0) {
    return `onnxruntime-node's CUDA provider libraries are not installed (${missing.join(", ")} missing in ${bin})`;
  }
  try {
    const unresolved = execFileSync("ldd", [provider], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")
      .filter((line) => line.includes("not found"))
      .map((line) => line.trim().split(/\s+/)[0]!);
    if (unresolved.length > 0) return `the CUDA provider cannot load ${unresolved.join(", ")} (CUDA 13 and cuDNN 9 libraries on the library path)`;
  } catch {
    // No ldd (or it failed): let ONNX Runtime try and report.
  }
  return undefined;
}
