/**
 * `pnpm bench:download [--gib N]`: memory of a hub download of one file of N GiB (default 4), to show that it stays
 * flat in the file's size. A mock hub in a child process (so its memory is not measured) serves a tiny RGE bundle
 * whose decoder graph is replaced by N GiB of incompressible bytes on disk; this process pulls it with `pullModel`
 * and samples its RSS every 50 ms and on progress. A second run aborts at half and resumes, and checks that the
 * resumed request starts where the kept `.incomplete` file ends. Times are of whole `pullModel` calls (re-hashing the
 * kept part on resume, fsync and linking included). Temporary files (N GiB twice at most) are removed at the end,
 * also on failure.
 *
 *   npx tsx --conditions=@rge/source --expose-gc --no-memory-reducer bench/download-memory.ts --gib 4     (from tools/)
 *
 * --expose-gc gives each run a baseline after a GC. --no-memory-reducer keeps the baseline honest: without it V8
 * shrinks idle heaps some 15 to 25 s after start (here by about 150 MB of RSS, with no download running), which
 * would fall in the middle of a run and hide growth.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { AbortedError, pullModel, type PullModelOptions, type PullProgress } from "@rge/core";
import { MockHub, tempDir, writeTinyBundle, type MockHubDiskFile } from "@rge/core/testing";

const BIG = "onnx/decoder_model_merged.onnx";
const BLOCK = 64 * 2 ** 20;
const MB = 1e6;

const { values } = parseArgs({ options: { gib: { type: "string", default: "4" }, serve: { type: "string" } } });
const gib = Number(values.gib);
// The pull parses a graph of up to 256 MiB to find its external data; random bytes are no graph, so stay above that.
if (!(gib > 0.25)) throw new Error(`--gib must be a number of GiB above 0.25, got ${JSON.stringify(values.gib)}.`);

if (values.serve) await serve(values.serve, Math.round(gib * 2 ** 30));
else {
  if (!("gc" in globalThis) || !process.execArgv.includes("--no-memory-reducer")) {
    console.warn("Run with node's --expose-gc --no-memory-reducer (as `pnpm bench:download` does) for stable baselines.");
  }
  await measure(gib);
}

/** What the serving child tells the parent, as one JSON line on stdout. */
interface Served {
  url: string;
  big: MockHubDiskFile;
}

/** The child: writes the files into `dir`, serves them until stdin closes (the parent exiting or done). */
async function serve(dir: string, size: number): Promise<void> {
  const bundleDir = join(dir, "bundle");
  writeTinyBundle(bundleDir);
  const big = await writeRandomFile(join(dir, "big.onnx"), size);
  const hub = await MockHub.start();
  // "bench/small" is the tiny bundle itself, for a warm-up pull; "bench/big" the same with the big decoder.
  hub.addRepo("bench/small", bundleDir);
  const files = new Map(hub.repos.get("bench/small")!.files);
  files.set(BIG, big);
  hub.addFiles("bench/big", files);
  process.stdout.write(JSON.stringify({ url: hub.url, big } satisfies Served) + "\n");
  process.stdin.resume();
  process.stdin.on("close", () => void hub.close().then(() => process.exit(0)));
}

/** `size` bytes of one random block repeated, with a counter in each so no two blocks are equal; hashed as written. */
async function writeRandomFile(path: string, size: number): Promise<MockHubDiskFile> {
  const block = randomBytes(BLOCK);
  const hash = createHash("sha256");
  const out = await open(path, "w");
  try {
    for (let at = 0, n = 0; at < size; at += BLOCK, n++) {
      block.writeBigUInt64LE(BigInt(n), 0);
      const part = block.subarray(0, Math.min(BLOCK, size - at));
      hash.update(part);
      await out.write(part);
    }
  } finally {
    await out.close();
  }
  return { path, size, sha256: hash.digest("hex") };
}

/** The parent: starts the child, runs a warm-up, a full pull, and an interrupted and resumed pull. */
async function measure(gib: number): Promise<void> {
  const tmp = tempDir("rge-bench-download-");
  // Ctrl-C skips `finally`; the files are gigabytes, so remove them here too (the child gets the signal as well).
  process.once("SIGINT", () => {
    tmp.remove();
    process.exit(130);
  });
  let child: ChildProcess | undefined;
  try {
    console.log(`Preparing ${gib} GiB of random bytes in ${tmp.dir} (served by a child process)...`);
    child = spawn(process.execPath, [...process.execArgv, import.meta.filename, "--serve", tmp.dir, "--gib", String(gib)], { stdio: ["pipe", "pipe", "inherit"] });
    const served = await firstLine(child);
    const { big } = served;
    const caches = (name: string): PullModelOptions => ({ endpoint: served.url, cacheDir: join(tmp.dir, name, "rge"), hubCacheDir: join(tmp.dir, name, "hf"), token: false, dtype: "fp32" });

    // The first pull loads fetch (undici) and the graph parser: code that stays loaded, not memory of the download.
    await pullModel("bench/small", caches("warm-up"));

    console.log(`\nFile: ${BIG}, ${fmt(big.size / MB)} MB (${gib} GiB)`);
    console.log("\nFull download:");
    const full = await sampled((onProgress) => pullModel("bench/big", { ...caches("full"), onProgress }));
    report(full, big.size);
    rmSync(join(tmp.dir, "full"), { recursive: true, force: true });

    console.log("\nInterrupted at half, then resumed:");
    const controller = new AbortController();
    const options = caches("resume");
    const first = await sampled(async (onProgress) => {
      try {
        await pullModel("bench/big", {
          ...options,
          signal: controller.signal,
          onProgress: (p) => {
            onProgress(p);
            if (p.stage === "download" && p.file === BIG && p.fileBytes >= big.size / 2) controller.abort();
          },
        });
      } catch (error) {
        if (!(error instanceof AbortedError)) throw error;
        return;
      }
      throw new Error("The download finished before it could be aborted.");
    });
    const incomplete = join(options.hubCacheDir!, "models--bench--big", "blobs", `${big.sha256}.incomplete`);
    const kept = statSync(incomplete).size;
    console.log(`  aborted: ${fmt(kept / MB)} MB kept in ${incomplete.slice(tmp.dir.length + 1)}; peak RSS over baseline ${fmt((first.peak - first.baseline) / MB)} MB`);
    const ranges: string[] = [];
    const recording: typeof fetch = (input, init) => {
      const range = (init?.headers as Record<string, string> | undefined)?.Range;
      if (String(input).includes(`/blobs/${big.sha256}`)) ranges.push(range ?? "(none)");
      return fetch(input, init);
    };
    const resumed = await sampled((onProgress) => pullModel("bench/big", { ...options, fetch: recording, onProgress }));
    const expected = `bytes=${kept}-`;
    console.log(`  resumed request Range: ${ranges.join(", ")} (${ranges[0] === expected ? "starts at the kept offset" : `expected ${expected}`})`);
    report(resumed, big.size - kept, "resumed: ");
    if (ranges[0] !== expected) process.exitCode = 1;
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once("exit", resolve));
      child.kill();
      await exited; // it may still be writing into tmp
    }
    tmp.remove();
  }
}

/** Reads the child's first stdout line; fails if it exits first. */
function firstLine(child: ChildProcess): Promise<Served> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", (line) => resolve(JSON.parse(line) as Served));
    child.once("exit", (code) => reject(new Error(`The mock hub process exited (${code}) before serving.`)));
  });
}

interface Sample {
  seconds: number;
  baseline: number;
  peak: number;
  /** Peak RSS over baseline in each quarter of the big file's bytes this call fetched: level if memory is flat in them. */
  quarters: number[];
  /** Peak ArrayBuffer memory over its baseline: received chunks not yet garbage-collected. */
  buffersOver: number;
}

/**
 * Runs `work` with memory sampled every 50 ms and on progress (at most once per 8 MB of a file), from a baseline
 * after a GC (when run with --expose-gc).
 */
async function sampled(work: (onProgress: (p: PullProgress) => void) => Promise<unknown>): Promise<Sample> {
  (globalThis as { gc?: () => void }).gc?.();
  // Right after gc(), RSS is still some tens of MB high while the freed memory is given back.
  await sleep(1000);
  const base = process.memoryUsage();
  // Negative where RSS stays below the baseline.
  const quarters = [-Infinity, -Infinity, -Infinity, -Infinity];
  let quarter = 0;
  let buffersOver = 0;
  const sample = () => {
    const m = process.memoryUsage();
    quarters[quarter] = Math.max(quarters[quarter]!, m.rss - base.rss);
    buffersOver = Math.max(buffersOver, m.arrayBuffers - base.arrayBuffers);
  };
  let from: number | undefined;
  let sampledAt = 0;
  const timer = setInterval(sample, 50);
  const started = performance.now();
  try {
    await work((p) => {
      if (p.stage === "download" && p.file === BIG) {
        from ??= p.fileBytes;
        quarter = Math.min(3, Math.floor((4 * (p.fileBytes - from)) / Math.max(1, p.fileSize - from)));
      }
      if (p.stage !== "download" || Math.abs(p.fileBytes - sampledAt) >= 8 * MB || p.fileBytes === p.fileSize) {
        sampledAt = p.stage === "download" ? p.fileBytes : sampledAt;
        sample();
      }
    });
  } finally {
    clearInterval(timer);
  }
  sample();
  const peakOver = Math.max(...quarters);
  return { seconds: (performance.now() - started) / 1000, baseline: base.rss, peak: base.rss + peakOver, quarters, buffersOver };
}

function report(s: Sample, bytes: number, prefix = ""): void {
  const over = s.peak - s.baseline;
  console.log(`  ${prefix}${fmt(bytes / MB)} MB in ${s.seconds.toFixed(1)} s, ${fmt(bytes / MB / s.seconds)} MB/s`);
  console.log(`  ${prefix}RSS baseline ${fmt(s.baseline / MB)} MB, peak ${fmt(s.peak / MB)} MB, peak over baseline ${fmt(over / MB)} MB`);
  console.log(`  ${prefix}peak over baseline / bytes downloaded: ${(over / bytes).toExponential(2)} (${((100 * over) / bytes).toFixed(3)} %)`);
  console.log(`  ${prefix}peak over baseline by quarter of the bytes: ${s.quarters.map((q) => fmt(q / MB)).join(", ")} MB`);
  console.log(`  ${prefix}ArrayBuffer memory over baseline (chunks not yet collected), at most: ${fmt(s.buffersOver / MB)} MB`);
  console.log(`  ${prefix}process max RSS so far (kernel): ${fmt((process.resourceUsage().maxRSS * 1024) / MB)} MB`);
}

function fmt(x: number): string {
  return x.toFixed(1);
}
