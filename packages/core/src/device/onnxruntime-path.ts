import { createRequire } from "node:module";

/** The file `onnxruntime-node` resolves to from this package (its CommonJS entry). */
export function onnxRuntimeNodePath(): string {
  return createRequire(import.meta.url).resolve("onnxruntime-node");
}
