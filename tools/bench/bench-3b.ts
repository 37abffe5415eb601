/**
 * The real-size CPU benchmark: Qwen2.5-VL-3B's exact shapes (random weights), per dtype, from one run.
 *
 *   npm run bench:3b -- [--work /tmp/rge-bench-3b] [--dtypes fp32,q8,q4] [--threads 2]
 *                       [--llama-bench <path> --gguf-q8 <file> --gguf-q4 <file>]
 *                       [--layers 2 --vision-depth 2]   (fewer layers of the real size: a quick check of the pipeline)
 *   RGE_BENCH_PYTHON=<python with tools/reference/requirements-reference.txt> adds the authors' path (fp32 PyTorch).
 *
 * Writes the random bf16 checkpoint once (~7.5 GB, cached in the work folder), converts it to each dtype once
 * (`rge convert`, one bundle folder per dtype, again when an older converter wrote it; fp32 is ~15 GB), measures
 * the read bandwidth a decode step can use (again in each dtype's process), then runs each dtype in a process of
 * its own and prints one table: load time and peak RSS, prefill tokens/s, decode ms/token against its floor
 * (decoder bytes / read bandwidth), a text query and an image query with their vision / prefill / decode split, a
 * target and eight targets, and eight queries batched. The machine should be otherwise idle: every figure is
 * wall-clock time.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { gradientPng } from "@rge/core/testing";
import { graphFileName, type RgeDtype } from "../../packages/core/src/bundle/dtype.js";
import { hasOutdatedGraphs, MANIFEST_FILE, parseManifest } from "../../packages/core/src/bundle/manifest.js";
import { ensure3bCheckpoint, shapes3b } from "./checkpoint-3b.js";
import { describeCpu } from "./machine.js";
import { readBandwidth } from "./read-bandwidth.js";

const root = join(import.meta.dirname, "..", "..");
const tsx = join(root, "tools", "node_modules", "tsx", "dist", "cli.mjs");
const { values } = parseArgs({
  options: {
    work: { type: "string", default: "/tmp/rge-bench-3b" },
    dtypes: { type: "string", default: "fp32,q8,q4" },
    threads: { type: "string", default: "2" },
    layers: { type: "string" },
    "vision-depth": { type: "string" },
    "llama-bench": { type: "string" },
    "gguf-q8": { type: "string" },
    "gguf-q4": { type: "string" },
  },
});
const work = values.work;
const dtypes = values.dtypes.split(",") as RgeDtype[];
const threads = Number(values.threads);
const log = (line: string) => console.error(line);

interface Split {
  seconds: number;
  vision: number;
  prefill: number;
  decode: number;
  decodeSteps: number;
  promptTokens: number;
  generated: number;
}
interface ChildResult {
  dtype: RgeDtype;
  texts: { query: string; target: string };
  loadSeconds: number;
  /** Read bandwidth probed in the child just before its text query. */
  bandwidthGBps: number;
  peakRssGiB: number;
  textQuery: Split;
  imageQuery: Split;
  target: { seconds: number; promptTokens: number };
  targets8: { seconds: number };
  queries8: { seconds: number; generated: number[] };
}

const shapes = shapes3b(values.layers ? Number(values.layers) : undefined, values["vision-depth"] ? Number(values["vision-depth"]) : undefined);
const checkpoint = ensure3bCheckpoint(work, log, shapes);
const image = join(work, "query-448.png");
if (!existsSync(image)) writeFileSync(image, await gradientPng(448, 448, 7));

const bundles = Object.fromEntries(dtypes.map((dtype) => [dtype, ensureBundle(dtype)])) as Record<RgeDtype, string>;
const bandwidth = await readBandwidth(threads);
log(`read bandwidth: ${bandwidth.gbPerSecond.toFixed(1)} GB/s (ReduceSum over 1 GiB in ONNX Runtime, ${threads} threads)`);

const results: ChildResult[] = [];
for (const dtype of dtypes) {
  log(`measuring ${dtype}…`);
  const r = spawnSync(process.execPath, [tsx, "--conditions=@rge/source", join(import.meta.dirname, "bench-3b-child.ts"), bundles[dtype], dtype, String(threads), image], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`the ${dtype} run failed:\n${r.stderr}`);
  results.push(JSON.parse(r.stdout.trim().split("\n").at(-1)!) as ChildResult);
}
/** The fastest read seen in this run: the floor it gives is the lowest, so "measured Nx the floor" is not flattered. */
const bestBandwidth = Math.max(bandwidth.gbPerSecond, ...results.map((r) => r.bandwidthGBps));
log(`read bandwidth per probe: ${[bandwidth.gbPerSecond, ...results.map((r) => r.bandwidthGBps)].map((b) => b.toFixed(1)).join(", ")} GB/s`);
const python = process.env.RGE_BENCH_PYTHON ? besides("the authors' Python path", () => runPython(process.env.RGE_BENCH_PYTHON!, results[0]!)) : undefined;
const llama = (values["llama-bench"] ? besides("llama.cpp", () => runLlamaBench(values["llama-bench"]!)) : undefined) ?? {};

printTable();

/** A comparison column: when it fails, the table is printed without it (and says why on stderr), not lost. */
function besides<T>(what: string, measure: () => T): T | undefined {
  try {
    return measure();
  } catch (error) {
    log(`${what} left out: ${(error as Error).message}`);
    return undefined;
  }
}

/** `work/bundle-<dtype>`, converted from the checkpoint by the `rge` CLI unless it is there with current graphs. */
function ensureBundle(dtype: RgeDtype): string {
  const out = join(work, `bundle-${dtype}`);
  const manifest = join(out, MANIFEST_FILE);
  const present = existsSync(join(out, "onnx", graphFileName("decoder_model_merged", dtype))) && existsSync(manifest);
  if (present && !hasOutdatedGraphs(parseManifest(JSON.parse(readFileSync(manifest, "utf8")), manifest), dtype)) return out;
  log(present ? `converting to ${dtype} again (an older converter wrote ${out})…` : `converting to ${dtype} (once)…`);
  const cli = join(root, "packages", "core", "src", "cli", "main.ts");
  const r = spawnSync(process.execPath, [tsx, "--conditions=@rge/source", cli, "convert", checkpoint, out, "--dtype", dtype, "--overwrite"], { stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`rge convert --dtype ${dtype} failed (exit ${r.status})`);
  return out;
}

/** Bytes a decode step reads: the decoder graph of the dtype and its external data (the lm_head included). */
function decoderBytes(dtype: RgeDtype): number {
  const dir = join(bundles[dtype], "onnx");
  const graph = graphFileName("decoder_model_merged", dtype);
  return readdirSync(dir)
    .filter((f) => f === graph || f.startsWith(`${graph}_data`) || f.startsWith(`${graph}.data`))
    .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}

interface PythonResult {
  loadSeconds: number;
  peakRssGiB: number;
  promptTokens: number;
  generated: number;
  prefillSeconds: number;
  textQuerySeconds: number;
  targetSeconds: number;
  targetTokens: number;
}

/** The authors' path (transformers, fp32) on the same checkpoint, query text and target text. */
function runPython(executable: string, ours: ChildResult): PythonResult {
  log("measuring the authors' path (PyTorch fp32)…");
  const job = join(work, "python-job.json");
  const out = join(work, "python-result.json");
  writeFileSync(job, JSON.stringify({ checkpoint, threads, query: ours.texts.query, target: ours.texts.target, generated: ours.textQuery.generated }));
  const r = spawnSync(executable, [join(import.meta.dirname, "python_3b.py"), job, out], { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`the Python run failed (exit ${r.status})`);
  return JSON.parse(readFileSync(out, "utf8")) as PythonResult;
}

/** llama.cpp's `llama-bench` on each GGUF given: prompt processing of 151 tokens and generation of 32. */
function runLlamaBench(executable: string): Partial<Record<"q8" | "q4", { prefill: number; msPerToken: number }>> {
  const out: Partial<Record<"q8" | "q4", { prefill: number; msPerToken: number }>> = {};
  for (const [dtype, gguf] of [["q8", values["gguf-q8"]], ["q4", values["gguf-q4"]]] as const) {
    if (!gguf) continue;
    log(`measuring llama.cpp on ${gguf}…`);
    const r = spawnSync(executable, ["-m", gguf, "-p", "151", "-n", "32", "-t", String(threads), "-o", "json"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`llama-bench failed:\n${r.stderr}`);
    const rows = JSON.parse(r.stdout) as { n_prompt: number; n_gen: number; avg_ts: number }[];
    const pp = rows.find((x) => x.n_prompt > 0 && x.n_gen === 0)!;
    const tg = rows.find((x) => x.n_gen > 0 && x.n_prompt === 0)!;
    out[dtype] = { prefill: pp.n_prompt / pp.avg_ts, msPerToken: 1000 / tg.avg_ts };
  }
  return out;
}

function printTable(): void {
  const f = (x: number, digits = 2) => x.toFixed(digits);
  const cols = results.map((r) => r.dtype);
  const row = (label: string, cells: string[], extra: string[] = []) => console.log(`| ${label} | ${[...cells, ...extra].join(" | ")} |`);
  const pyCols = python ? ["Python fp32"] : [];
  const llamaCols = (["q8", "q4"] as const).filter((d) => llama[d]).map((d) => `llama.cpp ${d === "q8" ? "Q8_0" : "Q4_0"}`);
  const blanks = (n: number) => Array.from({ length: n }, () => "");
  const rest = pyCols.length + llamaCols.length;
  const depth = `${shapes.num_hidden_layers} decoder layers, ${shapes.vision_config.depth} vision blocks`;
  console.log(`\nQwen2.5-VL-3B shapes (${depth}), random weights; ${threads} threads; read bandwidth ${f(bestBandwidth, 1)} GB/s (best probe)`);
  console.log(`${describeCpu()}\n`);
  row("", cols.map((d) => `ours ${d}`), [...pyCols, ...llamaCols]);
  row("---", cols.map(() => "---"), blanks(rest).map(() => "---"));
  const llamaCells = (g: (x: { prefill: number; msPerToken: number }) => string) => (["q8", "q4"] as const).filter((d) => llama[d]).map((d) => g(llama[d]!));
  row("load / peak RSS", results.map((r) => `${f(r.loadSeconds, 1)} s / ${f(r.peakRssGiB, 1)} GiB`), [...(python ? [`${f(python.loadSeconds, 1)} s / ${f(python.peakRssGiB, 1)} GiB`] : []), ...blanks(llamaCols.length)]);
  const t = results[0]!.textQuery;
  row(`prefill, ${t.promptTokens} tokens`, results.map((r) => `${f(r.textQuery.prefill)} s (${f(r.textQuery.promptTokens / r.textQuery.prefill, 0)} tok/s)`), [
    ...(python ? [`${f(python.prefillSeconds)} s`] : []),
    ...llamaCells((x) => `${f(x.prefill)} s`),
  ]);
  row("ms per generated token", results.map((r) => `${f(r.textQuery.decode * 1000 / r.textQuery.decodeSteps, 1)}`), [
    ...(python ? [`${f(((python.textQuerySeconds - python.prefillSeconds) * 1000) / python.generated, 1)}`] : []),
    ...llamaCells((x) => f(x.msPerToken, 1)),
  ]);
  row("decode floor (decoder bytes / bandwidth)", results.map((r) => {
    const floor = (decoderBytes(r.dtype) / (bestBandwidth * 1e9)) * 1000;
    return `${f(floor, 1)} ms (measured ${f((r.textQuery.decode * 1000) / r.textQuery.decodeSteps / floor)}x)`;
  }), blanks(rest));
  row(`text query, ${t.generated} generated`, results.map((r) => `${f(r.textQuery.seconds)} s`), [
    ...(python ? [`${f(python.textQuerySeconds)} s`] : []),
    ...llamaCells((x) => `${f(x.prefill + (x.msPerToken * 32) / 1000)} s (151+32)`),
  ]);
  row(`image query (448x448), ${results[0]!.imageQuery.generated} generated`, results.map((r) => `${f(r.imageQuery.seconds)} s`), blanks(rest));
  row("of which vision / prefill / decode", results.map((r) => `${f(r.imageQuery.vision)} / ${f(r.imageQuery.prefill)} / ${f(r.imageQuery.decode)}`), blanks(rest));
  row(`target, ${results[0]!.target.promptTokens} tokens`, results.map((r) => `${f(r.target.seconds)} s`), [...(python ? [`${f(python.targetSeconds)} s`] : []), ...blanks(llamaCols.length)]);
  row("targets per second, alone / 8 bucketed", results.map((r) => `${f(1 / r.target.seconds)} / ${f(8 / r.targets8.seconds)}`), blanks(rest));
  row("batch of 8 text queries", results.map((r) => `${f(8 / r.queries8.seconds)} q/s`), blanks(rest));
  if (python) {
    console.log(`\nAgainst the authors' Python path (text query): ${results.map((r) => `${r.dtype} ${f(python.textQuerySeconds / r.textQuery.seconds, 1)}x`).join(", ")}`);
  }
  for (const d of ["q8", "q4"] as const) {
    const ours = results.find((r) => r.dtype === d);
    if (!ours || !llama[d]) continue;
    const theirs = llama[d]!.prefill + (llama[d]!.msPerToken * 32) / 1000;
    console.log(`Against llama.cpp at ${d}: text query ${f(ours.textQuery.seconds / theirs)}x its time, prefill ${f(ours.textQuery.prefill / llama[d]!.prefill)}x`);
  }
  const fp32 = results.find((r) => r.dtype === "fp32");
  for (const r of results.filter((x) => x.dtype !== "fp32" && fp32)) {
    console.log(`${r.dtype} prefill speed-up over fp32: ${f(fp32!.textQuery.prefill / r.textQuery.prefill)}x; vision ${f(fp32!.imageQuery.vision / r.imageQuery.vision)}x`);
  }
}
