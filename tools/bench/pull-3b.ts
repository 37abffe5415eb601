/**
 * The one-call path at real size: serves a random bf16 checkpoint with Qwen2.5-VL-3B's shapes (written unless one
 * exists, as bench/convert-3b.ts does) from a local mock hub in this process, then runs `rge pull` on it in a child
 * process under /usr/bin/time for each dtype given, into fresh caches, and prints wall time, peak RSS and what the
 * caches hold. The download runs over loopback, so its time is this machine's, not a network's. Needs ~8 GB of disk
 * for the checkpoint, as much again for the hub cache, plus the bundles.
 *
 *   node_modules/.bin/tsx --conditions=@rge/source tools/bench/pull-3b.ts [work-dir] [dtype ...]
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { listCache } from "@rge/core";
import { MockHub, QWEN2_5_VL_3B_SHAPES, writeRandomCheckpoint, type MockHubContent } from "@rge/core/testing";

const root = join(import.meta.dirname, "..", "..");
const work = process.argv[2] ?? "/tmp/rge-bench-3b";
const dtypes = process.argv.slice(3).length ? process.argv.slice(3) : ["q8"];
const checkpoint = join(work, "checkpoint");
const templateFiles = join(root, "packages/core/src/convert/__fixtures__/reference/checkpoint");

if (!existsSync(join(checkpoint, "model.safetensors.index.json"))) writeRandomCheckpoint(checkpoint, QWEN2_5_VL_3B_SHAPES, templateFiles);

// Shards are served from disk (their hashes computed once, streaming); the small files from memory.
const files = new Map<string, MockHubContent>();
for (const name of readdirSync(checkpoint)) {
  const path = join(checkpoint, name);
  if (!name.endsWith(".safetensors")) files.set(name, readFileSync(path));
  else files.set(name, { path, size: statSync(path).size, sha256: await sha256File(path) });
}
const hub = await MockHub.start();
hub.addFiles("bench/rge-3b", files);
const caches = join(work, "pull-caches");
try {
  for (const dtype of dtypes) {
    rmSync(caches, { recursive: true, force: true });
    const where = ["--endpoint", hub.url, "--cache-dir", join(caches, "rge"), "--hub-cache-dir", join(caches, "hf")];
    const cli = [join(root, "packages/core/node_modules/.bin/tsx"), "--conditions=@rge/source", join(root, "packages/core/src/cli/main.ts")];
    const { status, stderr } = await run("/usr/bin/time", ["-v", ...cli, "pull", "bench/rge-3b", "--dtype", dtype, ...where]);
    if (status !== 0) throw new Error(`rge pull --dtype ${dtype} failed:\n${stderr}`);
    const wall = /Elapsed \(wall clock\) time.*: (.*)/.exec(stderr)?.[1];
    const rss = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1]) / 1024 / 1024;
    const listing = listCache({ cacheDir: join(caches, "rge"), hubCacheDir: join(caches, "hf") });
    const gb = (b: number) => (b / 1e9).toFixed(2);
    console.log(
      `${dtype}: rge pull (download + verify + convert) wall ${wall}, peak RSS ${rss.toFixed(2)} GiB; ` +
        `checkpoint ${gb(listing.checkpoints[0]?.bytes ?? 0)} GB in the hub cache, bundle ${gb(listing.bundles[0]?.bytes ?? 0)} GB`,
    );
  }
} finally {
  await hub.close();
  rmSync(caches, { recursive: true, force: true });
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Runs a command without blocking this process, which serves the mock hub. */
function run(command: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(command, args, { stdio: ["ignore", "inherit", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  return new Promise((resolve) => child.on("close", (status) => resolve({ status, stderr })));
}
