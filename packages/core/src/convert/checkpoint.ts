import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CheckpointInvalidError } from "../errors.js";
import { parseQwen25VlConfig, type Qwen25VlConfig } from "../graph/qwen2-5-vl/config.js";
import type { WeightSource } from "../graph/qwen2-5-vl/weights.js";
import type { TensorData } from "../graph/tensor-data.js";
import { SafetensorsFile } from "./safetensors.js";

type Json = Record<string, unknown>;

/** A Hugging Face Qwen2.5-VL checkpoint directory opened for conversion. */
export interface Checkpoint extends WeightSource {
  dir: string;
  config: Qwen25VlConfig;
  configJson: Json;
  /** Bytes of all tensors as stored (for progress and the external-data decision). */
  totalBytes: number;
  /** Canonical tensor names (transformers 4.51 layout: `model.*`, `visual.*`, `lm_head.*`). */
  names: string[];
  /** Size of a tensor as stored in the checkpoint. */
  storedBytes(name: string): number;
  close(): void;
}

const ARCHITECTURE = "Qwen2_5_VLForConditionalGeneration";

/**
 * Opens a checkpoint: checks its architecture, finds every safetensors shard (single file or sharded with
 * an index) and maps tensor names to the 4.51 layout, so `model.language_model.*` / `model.visual.*`
 * checkpoints of newer transformers read the same.
 */
export function openCheckpoint(dir: string): Checkpoint {
  const configPath = join(dir, "config.json");
  if (!existsSync(configPath)) throw new CheckpointInvalidError(`${dir} has no config.json; is it a Hugging Face checkpoint directory?`);
  const configJson = JSON.parse(readFileSync(configPath, "utf8")) as Json;
  const architectures = (configJson.architectures as string[] | undefined) ?? [];
  if (!architectures.includes(ARCHITECTURE) || configJson.model_type !== "qwen2_5_vl") {
    throw new CheckpointInvalidError(
      `${configPath} describes ${architectures.join(", ") || "an unknown architecture"} (model_type ${JSON.stringify(configJson.model_type)}); ` +
        `the converter reads ${ARCHITECTURE} checkpoints such as MCG-NJU/RGE.`,
    );
  }
  let config: Qwen25VlConfig;
  try {
    config = parseQwen25VlConfig(configJson);
  } catch (cause) {
    throw new CheckpointInvalidError(`${configPath}: ${(cause as Error).message}`, { cause });
  }
  const files = shardFiles(dir);
  const opened = files.map((f) => new SafetensorsFile(join(dir, f)));
  const where = new Map<string, { file: SafetensorsFile; stored: string }>();
  let totalBytes = 0;
  for (const file of opened) {
    for (const [stored, entry] of file.entries) {
      where.set(canonicalName(stored), { file, stored });
      totalBytes += entry.end - entry.begin;
    }
  }
  return {
    dir,
    config,
    configJson,
    totalBytes,
    names: [...where.keys()],
    has: (name) => where.has(name),
    get: (name): TensorData => {
      const found = where.get(name);
      if (!found) throw new CheckpointInvalidError(`The checkpoint in ${dir} has no tensor "${name}" (is a shard missing?).`);
      return found.file.read(found.stored);
    },
    storedBytes: (name) => {
      const found = where.get(name);
      const entry = found?.file.entries.get(found.stored);
      return entry ? entry.end - entry.begin : 0;
    },
    close: () => opened.forEach((f) => f.close()),
  };
}

/** Shard file names: from `model.safetensors.index.json`, or the single `model.safetensors`. */
function shardFiles(dir: string): string[] {
  const index = join(dir, "model.safetensors.index.json");
  if (existsSync(index)) {
    const map = (JSON.parse(readFileSync(index, "utf8")) as { weight_map?: Record<string, string> }).weight_map ?? {};
    const files = [...new Set(Object.values(map))].sort();
    const missing = files.filter((f) => !existsSync(join(dir, f)));
    if (missing.length > 0) {
      throw new CheckpointInvalidError(`The checkpoint in ${dir} is missing shard${missing.length > 1 ? "s" : ""} ${missing.join(", ")} listed in model.safetensors.index.json.`);
    }
    return files;
  }
  if (existsSync(join(dir, "model.safetensors"))) return ["model.safetensors"];
  throw new CheckpointInvalidError(`${dir} has no model.safetensors or model.safetensors.index.json.`);
}

/** Maps newer transformers names (`model.language_model.x`, `model.visual.x`) to the 4.51 layout. */
export function canonicalName(name: string): string {
  if (name.startsWith("model.language_model.")) return `model.${name.slice("model.language_model.".length)}`;
  if (name.startsWith("model.visual.")) return `visual.${name.slice("model.visual.".length)}`;
  return name;
}
