import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** The x86 features that decide which ONNX Runtime (MLAS) kernels run; the int8 ones matter most. */
const FEATURES = ["avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8"];

/**
 * One line naming this CPU and its vector features, for benchmark headers: kernels differ per feature (int8 GEMMs
 * are several times faster with VNNI), so figures are comparable only between machines with the same line.
 */
export function describeCpu(): string {
  const model = cpus()[0]?.model.trim() ?? "unknown CPU";
  let info = "";
  try {
    info = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return model; // not Linux: the model name is all there is
  }
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(info)?.[1]?.trim();
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  const family = field("cpu family");
  const modelNumber = field("model");
  const present = FEATURES.filter((f) => flags.has(f));
  const absent = FEATURES.filter((f) => !flags.has(f));
  const lacks = absent.length > 0 ? `; lacks ${absent.join(", ")}` : "";
  return `${model} (family ${family ?? "?"}, model ${modelNumber ?? "?"}); has ${present.join(", ") || "none of these"}${lacks}`;
}
