/**
 * Converter benchmark: writes a random bf16 checkpoint with Qwen2.5-VL-3B's shapes (unless one exists),
 * converts it with the built CLI for each dtype given, and prints wall time, peak resident memory and
 * bundle sizes. Needs ~8 GB of disk for the checkpoint plus the bundles (fp32 ~15 GB).
 *
 *   node scripts/pnpm.mjs --filter @rge/core build
 *   node_modules/.bin/tsx --conditions=@rge/source tools/bench/convert-3b.ts [work-dir] [dtype ...]
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { treeBytes } from "../../packages/core/src/hub/bundle-cache.js";
import { ensure3bCheckpoint } from "./checkpoint-3b.js";

const root = join(import.meta.dirname, "..", "..");
const work = process.argv[2] ?? "/tmp/rge-bench-3b";
const dtypes = process.argv.slice(3).length ? process.argv.slice(3) : ["fp32"];
const checkpoint = ensure3bCheckpoint(work);

for (const dtype of dtypes) {
  const out = join(work, `bundle-${dtype}`);
  const cli = join(root, "packages/core/dist/cli/main.js");
  const r = spawnSync("/usr/bin/time", ["-v", process.execPath, cli, "convert", checkpoint, out, "--dtype", dtype, "--overwrite"], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`convert ${dtype} failed:\n${r.stdout}\n${r.stderr}`);
  const wall = /Elapsed \(wall clock\) time.*: (.*)/.exec(r.stderr)?.[1];
  const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]) / 1024 / 1024;
  console.log(`${dtype}: wall ${wall}, peak RSS ${rss.toFixed(2)} GiB, bundle ${(treeBytes(out) / 1e9).toFixed(2)} GB`);
  for (const f of readdirSync(join(out, "onnx"))) console.log(`  onnx/${f}: ${(statSync(join(out, "onnx", f)).size / 1e9).toFixed(3)} GB`);
}
