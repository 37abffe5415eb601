/**
 * Where a decoder's time goes, per operator type, from ONNX Runtime's own profiler: one prefill of `--prompt`
 * tokens, then `--steps` single-token decode steps over a cache of that length (zeros: timing only).
 * A developer tool for issue 17, not part of `npm run bench:3b`.
 *
 *   cd tools && node_modules/.bin/tsx --conditions=@rge/source bench/profile-decoder.ts <bundle dir> <dtype>
 *     [--prompt 146] [--steps 8] [--threads 2]
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { graphFileName, type RgeDtype } from "../../packages/core/src/bundle/dtype.js";
import { DECODER_IO } from "../../packages/core/src/graph/qwen2-5-vl/io-names.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { prompt: { type: "string", default: "146" }, steps: { type: "string", default: "8" }, threads: { type: "string", default: "2" } },
});
const [dir, dtype] = positionals as [string, RgeDtype];
if (!dir || !dtype) throw new Error("usage: profile-decoder.ts <bundle dir> <dtype> [--prompt N] [--steps N] [--threads N]");
const prompt = Number(values.prompt);
const steps = Number(values.steps);

const prefix = join("/tmp", `rge-profile-${process.pid}`);
const session = await ort.InferenceSession.create(join(dir, "onnx", graphFileName("decoder_model_merged", dtype)), {
  intraOpNumThreads: Number(values.threads),
  interOpNumThreads: 1,
  enableProfiling: true,
  profileFilePrefix: prefix,
});

/** Dims of a graph input, from the session's metadata, with symbolic dims filled from `sizes`. */
function dims(name: string, sizes: Record<string, number>): number[] {
  const meta = session.inputMetadata.find((m) => m.name === name);
  if (!meta?.isTensor) throw new Error(`no tensor input ${name}`);
  return meta.shape.map((d) => (typeof d === "number" ? d : (sizes[d] ?? 1)));
}

function feeds(seq: number, past: number): Record<string, ort.Tensor> {
  const sizes = { batch_size: 1, sequence_length: seq, past_sequence_length: past, total_sequence_length: seq + past };
  const out: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) continue;
    const shape = dims(meta.name, sizes);
    const count = shape.reduce((a, b) => a * b, 1);
    if (meta.name === DECODER_IO.numLogitsToKeep) out[meta.name] = new ort.Tensor("int64", BigInt64Array.of(1n), []);
    else if (meta.name === DECODER_IO.attentionMask) out[meta.name] = new ort.Tensor("int64", new BigInt64Array(count).fill(1n), shape);
    else if (meta.name === DECODER_IO.positionIds) {
      out[meta.name] = new ort.Tensor("int64", BigInt64Array.from({ length: count }, (_, i) => BigInt(past + (i % seq))), shape);
    } else if (meta.type === "float16") out[meta.name] = new ort.Tensor("float16", new Uint16Array(count), shape);
    else out[meta.name] = new ort.Tensor("float32", Float32Array.from({ length: count }, (_, i) => Math.sin(i) * 0.5), shape);
  }
  return out;
}

const marks: { label: string; start: number; end: number }[] = [];
async function timed(label: string, feed: Record<string, ort.Tensor>): Promise<void> {
  const start = performance.now();
  await session.run(feed);
  marks.push({ label, start, end: performance.now() });
}

await timed("warm-up", feeds(prompt, 0));
await timed("prefill", feeds(prompt, 0));
const step = feeds(1, prompt);
for (let s = 0; s < steps; s++) await timed("decode", step);
session.endProfiling(); // writes `${prefix}_<time>.json`; the Node binding returns nothing
await session.release();
const written = readdirSync(dirname(prefix)).filter((f) => f.startsWith(`${basename(prefix)}_`) && f.endsWith(".json"));
if (written.length !== 1) throw new Error(`expected one profile file ${prefix}_*.json, found ${written.length}`);
const file = join(dirname(prefix), written[0]!);

interface Event {
  cat: string;
  name: string;
  dur: number;
  ts: number;
  args?: { op_name?: string };
}
const events = JSON.parse(readFileSync(file, "utf8")) as Event[];
rmSync(file, { force: true });
const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run");
if (runs.length !== marks.length) throw new Error(`profile has ${runs.length} runs, expected ${marks.length}`);

for (const label of ["prefill", "decode"]) {
  const mine = runs.filter((_, i) => marks[i]!.label === label);
  const perOp = new Map<string, { us: number; nodes: number }>();
  let nodeUs = 0;
  for (const run of mine) {
    for (const e of events) {
      if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || e.ts < run.ts || e.ts > run.ts + run.dur) continue;
      const op = e.args?.op_name ?? "?";
      const entry = perOp.get(op) ?? { us: 0, nodes: 0 };
      entry.us += e.dur;
      entry.nodes++;
      perOp.set(op, entry);
      nodeUs += e.dur;
    }
  }
  const runMs = mine.reduce((a, r) => a + r.dur, 0) / 1000 / mine.length;
  console.log(`\n${label}: ${runMs.toFixed(1)} ms per run (${mine.length} runs), kernels ${(nodeUs / 1000 / mine.length).toFixed(1)} ms`);
  console.log("| op | ms per run | share | nodes per run |\n| --- | --- | --- | --- |");
  for (const [op, { us, nodes }] of [...perOp].sort((a, b) => b[1].us - a[1].us).slice(0, 14)) {
    console.log(`| ${op} | ${(us / 1000 / mine.length).toFixed(2)} | ${((100 * us) / nodeUs).toFixed(1)}% | ${nodes / mine.length} |`);
  }
}
