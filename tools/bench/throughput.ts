/**
 * `pnpm bench` / `npm run bench`: throughput of RGE on this machine, measured side by side in one run.
 *
 * - queries with reasoning: ours (continuous batching) vs the reference procedure (one query at a time:
 *   generate, then an extra forward) on the same engine, model and inputs, and vs the authors' Python code
 *   path (transformers `generate()` + extra forward) on the same checkpoint when Python with torch and
 *   transformers is available (set RGE_BENCH_PYTHON to its interpreter);
 * - the cost of reasoning (with vs without, batched);
 * - documents per second and peak memory for targets at 512 tokens, with and without `num_logits_to_keep`,
 *   at two vocabulary sizes;
 * - one decode step against the memory-bandwidth floor.
 *
 * Results are printed and written to bench-results/throughput-<time>.json.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { dot, loadRgeModel, type QueryEmbedding, type RgeInput } from "@rge/core";
import { gradientPng } from "@rge/core/testing";
import { benchModel, BENCH_SHAPES, EMB_STRENGTH } from "./bench-model.js";
import { decodeStepTimes } from "./decode-step.js";

const root = join(import.meta.dirname, "..", "..");
const work = process.env.RGE_BENCH_DIR ?? "/tmp/rge-bench";
const QUERIES = Number(process.env.RGE_BENCH_QUERIES ?? 48);
const BATCHES = (process.env.RGE_BENCH_BATCHES ?? "16,32").split(",").map(Number);
const BATCH = BATCHES[0]!;
/** The Python path is slow (one query at a time, eager PyTorch): it runs on the first queries only. */
const PYTHON_QUERIES = Number(process.env.RGE_BENCH_PYTHON_QUERIES ?? 12);
const python = process.env.RGE_BENCH_PYTHON;
mkdirSync(work, { recursive: true });

const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version },
  model: { shapes: BENCH_SHAPES, embStrength: EMB_STRENGTH, dtype: "fp32" },
};
const log = (line: string) => console.log(line);

log("preparing the benchmark model (random weights, ~125M decoder parameters, 32k vocabulary)…");
const { checkpoint, bundle } = await benchModel(work);
const decoderBytes = graphBytes(bundle, "decoder_model_merged");
results.model = { ...(results.model as object), decoderBytes };

// Queries: varied text, a quarter with images; rationale budgets spread over 16..128 (a random model has no
// natural stopping point; some rows also stop early on <emb>).
const imageDir = join(work, "images");
mkdirSync(imageDir, { recursive: true });
const topics = ["a red car in the snow", "the history of bread", "how tides work", "a cat on a sofa", "prime numbers", "jazz in the 1950s", "mountain weather", "solar panels"];
const queries: { input: RgeInput; maxNewTokens: number; image?: string }[] = [];
for (let i = 0; i < QUERIES; i++) {
  const withImage = i % 4 === 3;
  const image = withImage ? join(imageDir, `q${i}.png`) : undefined;
  if (image && !existsSync(image)) writeFileSync(image, await gradientPng(200 + 20 * i, 150 + 10 * i, i));
  queries.push({
    input: { text: `Query ${i}: tell me about ${topics[i % topics.length]}${"!".repeat(i % 5)}`, ...(image ? { image } : {}) },
    maxNewTokens: 16 + Math.round(((i * 37) % QUERIES) * (112 / Math.max(QUERIES - 1, 1))),
    ...(image ? { image } : {}),
  });
}

const referenceModel = await loadRgeModel(bundle, { batchSize: 1 });

// 1. The reference procedure on our engine: one query at a time.
let t0 = performance.now();
const alone: QueryEmbedding[] = [];
for (const q of queries) alone.push(await referenceModel.embedQuery(q.input, { maxNewTokens: q.maxNewTokens }));
const aloneSeconds = (performance.now() - t0) / 1000;
const tokensGenerated = alone.reduce((s, q) => s + q.tokens.generated, 0);
await referenceModel.dispose();
log(`\nqueries with reasoning (${QUERIES} queries, ${tokensGenerated} tokens generated):`);
log(`  reference procedure, one at a time: ${(QUERIES / aloneSeconds).toFixed(3)} q/s`);

// 2. Ours: all queries submitted together, continuous batching, at each batch size.
const batchedRuns: Record<string, unknown>[] = [];
let batchedSeconds = Infinity;
for (const batch of BATCHES) {
  const m = await loadRgeModel(bundle, { batchSize: batch });
  t0 = performance.now();
  const batched = await Promise.all(queries.map((q) => m.embedQuery(q.input, { maxNewTokens: q.maxNewTokens })));
  const seconds = (performance.now() - t0) / 1000;
  const sameTokens = batched.every((b, i) => JSON.stringify(b.generatedIds) === JSON.stringify(alone[i]!.generatedIds));
  const maxDiff = Math.max(...batched.map((b, i) => b.embedding.reduce((mx, v, k) => Math.max(mx, Math.abs(v - alone[i]!.embedding[k]!)), 0)));
  batchedRuns.push({ batchSize: batch, qps: QUERIES / seconds, speedupVsReferenceProcedure: aloneSeconds / seconds, identicalTokens: sameTokens, maxEmbeddingDifference: maxDiff });
  log(`  ours, continuous batching, batch ${String(batch).padEnd(3)}: ${(QUERIES / seconds).toFixed(3)} q/s → ${(aloneSeconds / seconds).toFixed(2)}x; same tokens: ${sameTokens}; max |Δ| embedding ${maxDiff.toExponential(2)}`);
  if (batch === BATCH) {
    batchedSeconds = seconds;
    // 3. The cost of reasoning: the same queries without it, batched.
    t0 = performance.now();
    await m.embedQueries(queries.map((q) => q.input), { reasoning: false });
    const noReasoningSeconds = (performance.now() - t0) / 1000;
    results.reasoningCost = seconds / noReasoningSeconds;
    log(`  cost of reasoning (time with / without, batch ${batch}): ${(seconds / noReasoningSeconds).toFixed(1)}x`);
  }
  await m.dispose();
}
results.queries = {
  count: QUERIES,
  tokensGenerated,
  rationaleLengths: alone.map((q) => q.tokens.generated),
  stoppedByEmb: alone.filter((q) => q.stoppedBy === "emb").length,
  referenceProcedureQps: QUERIES / aloneSeconds,
  batched: batchedRuns,
};
const model = await loadRgeModel(bundle, { batchSize: BATCH });

// 4. The authors' Python code path on the same checkpoint.
if (python) {
  const job = join(work, "python-job.json");
  const out = join(work, "python-out.json");
  const prompts = await Promise.all(queries.map((q) => model.preparePrompt(q.input, { role: "query" })));
  writeFileSync(
    job,
    JSON.stringify({
      checkpoint,
      threads: cpus().length,
      queries: queries.slice(0, PYTHON_QUERIES).map((q, i) => ({ prompt: collapsePads(prompts[i]!.text), image: q.image, max_new_tokens: q.maxNewTokens })),
    }),
  );
  const r = spawnSync(python, [join(import.meta.dirname, "python_reference.py"), job, out], { encoding: "utf8", stdio: ["ignore", "inherit", "inherit"] });
  if (r.status === 0) {
    const py = JSON.parse((await import("node:fs")).readFileSync(out, "utf8")) as { seconds: number; queries: { generated_ids: number[]; embedding: number[] }[] };
    const tokensEqual = py.queries.every((q, i) => JSON.stringify(q.generated_ids) === JSON.stringify(alone[i]!.generatedIds));
    const cos = Math.min(...py.queries.map((q, i) => dot(Float32Array.from(q.embedding), alone[i]!.embedding)));
    const pyQps = py.queries.length / py.seconds;
    const oursQps = QUERIES / batchedSeconds;
    const aloneSubset = alone.slice(0, py.queries.length);
    results.python = { queries: py.queries.length, qps: pyQps, speedupOursBatchedVsPython: oursQps / pyQps, identicalTokens: tokensEqual, minCosine: cos };
    log(`  authors' Python path (transformers generate + extra forward, first ${py.queries.length} queries): ${pyQps.toFixed(3)} q/s`);
    log(`    → ours batched ${(oursQps / pyQps).toFixed(2)}x; same tokens: ${tokensEqual}; min cosine ${cos.toFixed(6)} (${aloneSubset.reduce((s, q) => s + q.tokens.generated, 0)} tokens)`);
  } else {
    results.python = { error: `exit ${r.status}` };
  }
} else {
  log("  (authors' Python path skipped: set RGE_BENCH_PYTHON to a python with torch and transformers)");
}
await model.dispose();

// 5. One decode step vs the memory-bandwidth floor.
const steps = await decodeStepTimes(bundle, [1, BATCH]);
const bandwidth = copyBandwidth();
const floorMs = (decoderBytes / bandwidth) * 1000;
results.decodeStep = { msPerStep: steps, copyBandwidthGBps: bandwidth / 1e9, weightBytes: decoderBytes, floorMs, batch1OverFloor: steps[1]! / floorMs };
log(`\ndecode step: batch 1 ${steps[1]!.toFixed(1)} ms, batch ${BATCH} ${steps[BATCH]!.toFixed(1)} ms (${((steps[BATCH]! / BATCH)).toFixed(1)} ms per row)`);
log(`  floor: ${(decoderBytes / 1e6).toFixed(0)} MB of weights / ${(bandwidth / 1e9).toFixed(1)} GB/s memory bandwidth (memcpy, read + write) = ${floorMs.toFixed(1)} ms → batch 1 is ${(steps[1]! / floorMs).toFixed(2)}x the floor`);

// 6. Targets: documents per second and peak memory, with and without num_logits_to_keep, two vocabularies.
const big = await benchModel(work, { ...BENCH_SHAPES, vocab_size: 151936 }, "bench-v152k");
const targetRuns = [];
for (const [name, dir] of [["32k", bundle], ["152k", big.bundle]] as const) {
  for (const keep of [1, 0]) {
    const r = spawnSync(process.execPath, [join(root, "tools/node_modules/tsx/dist/cli.mjs"), "--conditions=@rge/source", join(import.meta.dirname, "targets-child.ts"), dir, String(keep), "512", "4", "16"], { encoding: "utf8" });
    const line = r.stdout.trim().split("\n").at(-1) ?? "{}";
    const m = JSON.parse(line) as { docsPerSecond: number; peakRssMB: number; activationPeakMB: number };
    targetRuns.push({ vocab: name, numLogitsToKeep: keep, ...m });
    log(`targets, vocab ${name}, ${keep ? "logits for 1 position" : "full logits       "}: ${m.docsPerSecond.toFixed(2)} docs/s, peak RSS ${m.peakRssMB.toFixed(0)} MB (+${m.activationPeakMB.toFixed(0)} MB over loaded)`);
  }
}
results.targets = targetRuns;

const outDir = join(root, "bench-results");
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `throughput-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
writeFileSync(file, JSON.stringify(results, null, 2));
log(`\nwrote ${file}`);

function graphBytes(dir: string, graph: string): number {
  return readdirSync(join(dir, "onnx"))
    .filter((f) => f === `${graph}.onnx` || f.startsWith(`${graph}.onnx_data`))
    .reduce((s, f) => s + statSync(join(dir, "onnx", f)).size, 0);
}

/** Memory bandwidth from a large memcpy, counting both the bytes read and the bytes written. */
function copyBandwidth(): number {
  const size = 256 * 1024 * 1024;
  const a = Buffer.alloc(size, 1);
  const b = Buffer.alloc(size);
  a.copy(b);
  const t = performance.now();
  for (let i = 0; i < 4; i++) a.copy(b);
  return (2 * 4 * size) / ((performance.now() - t) / 1000);
}

/** The prompt with image pads collapsed back to one placeholder per image (the Python processor expands them). */
function collapsePads(prompt: string): string {
  return prompt.replace(/(<\|image_pad\|>)+/g, "<|image_pad|>");
}
