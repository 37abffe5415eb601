import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { QWEN2_5_VL_3B_SHAPES, writeRandomCheckpoint, type CheckpointShapes } from "@rge/core/testing";
import { treeBytes } from "../../packages/core/src/hub/bundle-cache.js";

const root = join(import.meta.dirname, "..", "..");
const templateFiles = join(root, "packages/core/src/convert/__fixtures__/reference/checkpoint");

/**
 * Qwen2.5-VL-3B's shapes with fewer text decoder layers or vision blocks (each layer keeps its real size), for a
 * quick run of a benchmark's pipeline; the defaults are the real model's.
 */
export function shapes3b(layers = QWEN2_5_VL_3B_SHAPES.num_hidden_layers, visionDepth = QWEN2_5_VL_3B_SHAPES.vision_config.depth): CheckpointShapes {
  const v = QWEN2_5_VL_3B_SHAPES.vision_config;
  return {
    ...QWEN2_5_VL_3B_SHAPES,
    num_hidden_layers: layers,
    vision_config: { ...v, depth: visionDepth, fullatt_block_indexes: v.fullatt_block_indexes.filter((i) => i < visionDepth) },
  };
}

/**
 * The random bf16 checkpoint of `shapes` (default Qwen2.5-VL-3B's, ~7.5 GB) under `work/checkpoint`, written once;
 * a work folder holds one set of shapes (`work/shapes.json`).
 */
export function ensure3bCheckpoint(work: string, log: (line: string) => void = console.log, shapes: CheckpointShapes = QWEN2_5_VL_3B_SHAPES): string {
  const checkpoint = join(work, "checkpoint");
  const recorded = join(work, "shapes.json");
  if (existsSync(recorded) && readFileSync(recorded, "utf8") !== JSON.stringify(shapes)) {
    throw new Error(`${work} holds a checkpoint of other shapes (${recorded}); use another --work folder`);
  }
  if (!existsSync(join(checkpoint, "model.safetensors.index.json"))) {
    const t0 = performance.now();
    writeRandomCheckpoint(checkpoint, shapes, templateFiles);
    writeFileSync(recorded, JSON.stringify(shapes));
    log(`wrote random 3B-shaped checkpoint in ${((performance.now() - t0) / 1000).toFixed(0)} s (${(treeBytes(checkpoint) / 1e9).toFixed(2)} GB)`);
  }
  return checkpoint;
}

