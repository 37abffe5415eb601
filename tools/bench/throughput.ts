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
 *
 * Environment: RGE_BENCH_QUERIES (text queries, 96), RGE_BENCH_MIXED_QUERIES (queries with every fourth an image,
 * 48), RGE_BENCH_BATCHES ("16,32,64"), RGE_BENCH_PYTHON (a Python with tools/reference/requirements-reference.txt),
 * RGE_BENCH_PYTHON_QUERIES (12), RGE_BENCH_DIR (/tmp/rge-bench: models and images, reused between runs).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { dot, loadRgeModel, type QueryEmbedding } from "@rge/core";
import { benchModel, BENCH_SHAPES, EMB_STRENGTH } from "./bench-model.js";
import { decodeStepTimes } from "./decode-step.js";
import { makeQueries, type BenchQuery } from "./queries.js";

const root = join(import.meta.dirname, "..", "..");
const work = process.env.RGE_BENCH_DIR ?? "/tmp/rge-bench";
/** Text-only queries: decoding dominates, the workload batching is for. */
const TEXT_QUERIES = Number(process.env.RGE_BENCH_QUERIES ?? 96);
/** Queries of which every fourth has an image (256 to 1024 visual tokens, as in RGE's evaluation). */
const MIXED_QUERIES = Number(process.env.RGE_BENCH_MIXED_QUERIES ?? 48);
const BATCHES = (process.env.RGE_BENCH_BATCHES ?? "16,32,64").split(",").map(Number);
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

log("preparing the benchmark model (random weights, ~125M decoder parameters, Qwen BPE cut to 32k tokens)…");
const { checkpoint, bundle } = await benchModel(work);
const decoderBytes = graphBytes(bundle, "decoder_model_merged");
results.model = { ...(results.model as object), decoderBytes };

const imageDir = join(work, "images");

/**
 * The reference procedure on our engine (one query at a time: generate, then the extra forward), then ours
 * (all queries submitted together, continuous batching) at each batch size, and the same queries without
 * reasoning (the cost of reasoning).
 */
async function queryThroughput(name: string, queries: BenchQuery[]) {
  const referenceModel = await loadRgeModel(bundle, { batchSize: 1 });
  let t0 = performance.now();
  const alone: QueryEmbedding[] = [];
  for (const q of queries) alone.push(await referenceModel.embedQuery(q.input, { maxNewTokens: q.maxNewTokens }));
  const aloneSeconds = (performance.now() - t0) / 1000;
  await referenceModel.dispose();
  const tokensGenerated = alone.reduce((s, q) => s + q.tokens.generated, 0);
  const promptTokens = alone.reduce((s, q) => s + q.tokens.prompt, 0);
  log(`\n${name} (${queries.length} queries, ${promptTokens} prompt tokens, ${tokensGenerated} tokens generated):`);
  log(`  reference procedure, one at a time: ${(queries.length / aloneSeconds).toFixed(3)} q/s`);
  const batched: Record<string, unknown>[] = [];
  let reasoningCost = NaN;
  for (const batch of BATCHES) {
    const m = await loadRgeModel(bundle, { batchSize: batch });
    t0 = performance.now();
    const out = await Promise.all(queries.map((q) => m.embedQuery(q.input, { maxNewTokens: q.maxNewTokens })));
    const seconds = (performance.now() - t0) / 1000;
    const sameTokens = out.every((b, i) => JSON.stringify(b.generatedIds) === JSON.stringify(alone[i]!.generatedIds));
    const maxDiff = Math.max(...out.map((b, i) => b.embedding.reduce((mx, v, k) => Math.max(mx, Math.abs(v - alone[i]!.embedding[k]!)), 0)));
    batched.push({ batchSize: batch, qps: queries.length / seconds, speedupVsReferenceProcedure: aloneSeconds / seconds, identicalTokens: sameTokens, maxEmbeddingDifference: maxDiff });
    log(`  ours, continuous batching, batch ${String(batch).padEnd(3)}: ${(queries.length / seconds).toFixed(3)} q/s → ${(aloneSeconds / seconds).toFixed(2)}x; same tokens: ${sameTokens}; max |Δ| embedding ${maxDiff.toExponential(2)}`);
    if (batch === BATCH) {
      t0 = performance.now();
      await m.embedQueries(queries.map((q) => q.input), { reasoning: false });
      reasoningCost = seconds / ((performance.now() - t0) / 1000);
      log(`  cost of reasoning (time with / without, batch ${batch}): ${reasoningCost.toFixed(1)}x`);
    }
    await m.dispose();
  }
  const summary = {
    count: queries.length,
    images: queries.filter((q) => q.image).length,
    promptTokens,
    tokensGenerated,
    rationaleLengths: alone.map((q) => q.tokens.generated),
    stoppedByEmb: alone.filter((q) => q.stoppedBy === "emb").length,
    referenceProcedureQps: queries.length / aloneSeconds,
    batched,
    reasoningCost,
  };
  return { alone, summary };
}

// 1. Queries with reasoning: text only, then with images.
const text = await queryThroughput("text queries with reasoning", await makeQueries(TEXT_QUERIES, undefined, imageDir));
const queries = await makeQueries(MIXED_QUERIES, 4, imageDir);
const mixed = await queryThroughput("queries with reasoning, every fourth with an image", queries);
results.queries = { text: text.summary, mixed: mixed.summary };
const alone = mixed.alone;
const model = await loadRgeModel(bundle, { batchSize: BATCH });

// 2. The authors' Python code path on the same checkpoint.
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
    const py = JSON.parse(readFileSync(out, "utf8")) as { seconds: number; queries: { generated_ids: number[]; embedding: number[] }[] };
    const subset = queries.slice(0, py.queries.length);
    const tokensEqual = py.queries.every((q, i) => JSON.stringify(q.generated_ids) === JSON.stringify(alone[i]!.generatedIds));
    const cos = Math.min(...py.queries.map((q, i) => dot(Float32Array.from(q.embedding), alone[i]!.embedding)));
    const pyQps = py.queries.length / py.seconds;
    // Ours on exactly these queries: one at a time, and all submitted together.
    const one = await loadRgeModel(bundle, { batchSize: 1 });
    let t0 = performance.now();
    for (const q of subset) await one.embedQuery(q.input, { maxNewTokens: q.maxNewTokens });
    const oursAloneQps = subset.length / ((performance.now() - t0) / 1000);
    await one.dispose();
    t0 = performance.now();
    await Promise.all(subset.map((q) => model.embedQuery(q.input, { maxNewTokens: q.maxNewTokens })));
    const oursQps = subset.length / ((performance.now() - t0) / 1000);
    results.python = { queries: py.queries.length, qps: pyQps, oursOneAtATimeQps: oursAloneQps, oursBatchedQps: oursQps, speedupOursBatchedVsPython: oursQps / pyQps, identicalTokens: tokensEqual, minCosine: cos };
    log(`\nauthors' Python path (transformers generate + extra forward), the first ${py.queries.length} of those queries (${subset.filter((q) => q.image).length} with images):`);
    log(`  Python ${pyQps.toFixed(3)} q/s; ours one at a time ${oursAloneQps.toFixed(3)} q/s (${(oursAloneQps / pyQps).toFixed(2)}x); ours batched ${oursQps.toFixed(3)} q/s (${(oursQps / pyQps).toFixed(2)}x)`);
    log(`  same tokens: ${tokensEqual}; min cosine ${cos.toFixed(6)} (${alone.slice(0, py.queries.length).reduce((s, q) => s + q.tokens.generated, 0)} tokens)`);
  } else {
    results.python = { error: `exit ${r.status}` };
  }
} else {
  log("\n(authors' Python path skipped: set RGE_BENCH_PYTHON to a python with torch and transformers)");
}
await model.dispose();

// 3. One decode step vs the memory-bandwidth floor.
const steps = await decodeStepTimes(bundle, [1, BATCH]);
const bandwidth = copyBandwidth();
const floorMs = (decoderBytes / bandwidth) * 1000;
results.decodeStep = { msPerStep: steps, copyBandwidthGBps: bandwidth / 1e9, weightBytes: decoderBytes, floorMs, batch1OverFloor: steps[1]! / floorMs };
log(`\ndecode step: batch 1 ${steps[1]!.toFixed(1)} ms, batch ${BATCH} ${steps[BATCH]!.toFixed(1)} ms (${((steps[BATCH]! / BATCH)).toFixed(1)} ms per row)`);
log(`  floor: ${(decoderBytes / 1e6).toFixed(0)} MB of weights / ${(bandwidth / 1e9).toFixed(1)} GB/s memory bandwidth (memcpy, read + write) = ${floorMs.toFixed(1)} ms → batch 1 is ${(steps[1]! / floorMs).toFixed(2)}x the floor`);

// 4. Targets: documents per second and peak memory, with and without num_logits_to_keep, two vocabularies.
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
