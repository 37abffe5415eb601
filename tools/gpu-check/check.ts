/**
 * The GPU check: parity of the engine on cpu, webgpu and cuda (each where it loads) against the reference
 * fixtures, then throughput at Qwen2.5-VL-3B's width, printed as two tables. Meant for a machine with an NVIDIA
 * GPU, no Node.js and no network: `pack.ts` bundles this program with a Node binary and what it needs, and
 * `run.sh` runs it there. It runs the same from the repo (`npx tsx --conditions=@rge/source gpu-check/check.ts`),
 * against whatever GPU this machine has, a software Vulkan driver included.
 *
 * Every device runs in a child process (this program again, with `--child`), so a provider that crashes shows up
 * as a row that says so. Options: --layers N (decoder layers of the throughput model, default 4), --queries N (32),
 * --tokens N (rationale budget, 32), --batch N (16), --dtypes fp16,q4, --devices cpu,webgpu,cuda, --work DIR.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { convertCheckpoint, dot, loadRgeModel, type RgeDevice, type RgeDtype } from "@rge/core";
import { QWEN2_5_VL_3B_SHAPES, writeRandomCheckpoint, type CheckpointShapes } from "@rge/core/testing";

const { values } = parseArgs({
  options: {
    child: { type: "string" },
    device: { type: "string" },
    dtype: { type: "string" },
    bundle: { type: "string" },
    out: { type: "string" },
    layers: { type: "string", default: "4" },
    queries: { type: "string", default: "32" },
    tokens: { type: "string", default: "32" },
    batch: { type: "string", default: "16" },
    dtypes: { type: "string", default: "fp16,q4" },
    devices: { type: "string", default: "cpu,webgpu,cuda" },
    work: { type: "string", default: join(tmpdir(), "rge-gpu-check") },
    fixtures: { type: "string" },
    template: { type: "string" },
  },
});

/** Where the parity fixtures and the tokenizer template are: beside the packed program, or in the repo. */
const here = import.meta.dirname;
const fixtures = resolve(values.fixtures ?? (existsSync(join(here, "fixtures")) ? join(here, "fixtures") : join(here, "..", "..", "packages/core/src/convert/__fixtures__/reference")));
const templateDir = resolve(values.template ?? join(here, "template"));

interface RefItem {
  name: string;
  text?: string;
  image?: string;
  instruction: string;
  generated_ids?: number[];
  embedding: number[];
}

if (values.child) await child(values.child);
else await main();

async function main(): Promise<void> {
  const work = resolve(values.work!);
  mkdirSync(work, { recursive: true });
  const devices = values.devices!.split(",") as RgeDevice[];
  console.log(`RGE GPU check: node ${process.version}, ${process.platform}/${process.arch}; work folder ${work}`);
  if (process.env.RGE_VULKAN_DRIVER) console.log(`Vulkan driver: ${process.env.RGE_VULKAN_DRIVER}`);

  const parityBundle = join(work, "parity-bundle");
  if (!existsSync(join(parityBundle, "rge.json"))) await convertCheckpoint(join(fixtures, "checkpoint"), parityBundle, { dtypes: ["fp32", "fp16", "q8", "q4"], overwrite: true });
  console.log("\nParity with the reference fixtures (authors' procedure, fp32), 5 queries and 3 targets:\n");
  console.log("| device | dtype | ran on | rationales as the reference | max abs diff | min cosine | seconds |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const device of devices) {
    for (const dtype of ["fp32", "fp16", "q8", "q4"] as RgeDtype[]) {
      const r = runChild("parity", device, dtype, parityBundle, work);
      if ("error" in r) {
        console.log(`| ${device} | ${dtype} | not run: ${r.error} | | | | |`);
        if (/could not load|unavailable|not installed|adapter/i.test(r.error)) break;
        continue;
      }
      console.log(`| ${device} | ${dtype} | ${r.device} | ${r.same}/${r.queries} | ${r.maxDiff.toExponential(1)} | ${r.minCosine.toFixed(6)} | ${r.seconds.toFixed(1)} |`);
    }
  }

  const layers = Number(values.layers);
  const shapes: CheckpointShapes = {
    ...QWEN2_5_VL_3B_SHAPES,
    num_hidden_layers: layers,
    vision_config: { ...QWEN2_5_VL_3B_SHAPES.vision_config, depth: 2, fullatt_block_indexes: [1] },
  };
  const checkpoint = join(work, `width-3b-${layers}-layers-checkpoint`);
  if (!existsSync(join(checkpoint, "model.safetensors.index.json"))) writeRandomCheckpoint(checkpoint, shapes, templateDir, { seed: 7, embStrength: 0.05 });
  const dtypes = values.dtypes!.split(",") as RgeDtype[];
  const bundle = join(work, `width-3b-${layers}-layers-bundle`);
  if (!existsSync(join(bundle, "rge.json"))) await convertCheckpoint(checkpoint, bundle, { dtypes, overwrite: true });
  console.log(
    `\nThroughput at Qwen2.5-VL-3B's width (hidden 2048, 16/2 heads, MLP 11008, vocabulary 151,936) with ${layers} of its 36 decoder layers; ` +
      `${values.queries} text queries, rationales up to ${values.tokens} tokens, batch ${values.batch}:\n`,
  );
  console.log("| device | dtype | ran on | load s | queries/s | generated tokens/s | one query alone, s | tokens as on cpu |");
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
  const cpuIds = new Map<RgeDtype, string[]>();
  for (const device of devices) {
    for (const dtype of dtypes) {
      const r = runChild("bench", device, dtype, bundle, work);
      if ("error" in r) {
        console.log(`| ${device} | ${dtype} | not run: ${r.error} | | | | | |`);
        if (/could not load|unavailable|not installed|adapter/i.test(r.error)) break;
        continue;
      }
      if (device === "cpu") cpuIds.set(dtype, r.ids);
      const base = cpuIds.get(dtype);
      const same = base ? `${r.ids.filter((ids: string, i: number) => ids === base[i]).length}/${r.ids.length}` : "";
      console.log(
        `| ${device} | ${dtype} | ${r.device} | ${r.load.toFixed(1)} | ${r.qps.toFixed(2)} | ${r.tps.toFixed(1)} | ${r.single.toFixed(2)} | ${same} |`,
      );
    }
  }
}

// The children's JSON rows, read back loosely: this is a report, not an API.
type ChildResult = { error: string } | Record<string, any>;

function runChild(kind: string, device: string, dtype: string, bundle: string, work: string): ChildResult {
  const out = join(work, `${kind}-${device}-${dtype}.json`);
  const args = [...process.execArgv, process.argv[1]!, "--child", kind, "--device", device, "--dtype", dtype, "--bundle", bundle, "--out", out];
  for (const k of ["queries", "tokens", "batch"] as const) args.push(`--${k}`, values[k]!);
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 20 * 60_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.signal) return { error: `crashed (${r.signal})` };
  if (r.status !== 0) {
    const line = r.stderr.split("\n").filter((l) => /Error/.test(l)).pop() ?? r.stderr.trim().split("\n").pop() ?? "";
    return { error: line.replace(/\|/g, "/").slice(0, 240) };
  }
  return JSON.parse(readFileSync(out, "utf8")) as ChildResult;
}

async function child(kind: string): Promise<void> {
  const device = values.device as RgeDevice;
  const dtype = values.dtype as RgeDtype;
  const started = performance.now();
  if (kind === "parity") {
    const reference = JSON.parse(readFileSync(join(fixtures, "reference.json"), "utf8")) as { max_new_tokens: number; queries: RefItem[]; targets: RefItem[] };
    const model = await loadRgeModel(values.bundle!, { device, dtype, maxNewTokens: reference.max_new_tokens, cacheSize: 0, onWarning: () => {} });
    const input = (item: RefItem) => ({
      ...(item.text !== undefined ? { text: item.text } : {}),
      ...(item.image !== undefined ? { image: join(fixtures, "images", item.image) } : {}),
      instruction: item.instruction,
    });
    const queries = await model.embedQueries(reference.queries.map(input));
    const targets = await model.embedTargets(reference.targets.map(input));
    await model.dispose();
    const pairs = [...queries.map((q, i) => [q.embedding, reference.queries[i]!] as const), ...targets.map((t, i) => [t.embedding, reference.targets[i]!] as const)];
    const same = queries.filter((q, i) => q.generatedIds.join() === reference.queries[i]!.generated_ids!.join()).length;
    const agreeing = pairs.filter(([, ref], i) => i >= queries.length || queries[i]!.generatedIds.join() === ref.generated_ids!.join());
    const maxDiff = Math.max(0, ...agreeing.map(([e, ref]) => e.reduce((m, v, k) => Math.max(m, Math.abs(v - ref.embedding[k]!)), 0)));
    const minCosine = Math.min(1, ...agreeing.map(([e, ref]) => dot(e, Float32Array.from(ref.embedding)) / Math.hypot(...ref.embedding)));
    writeFileSync(values.out!, JSON.stringify({ device: model.device, same, queries: queries.length, maxDiff, minCosine, seconds: (performance.now() - started) / 1000 }));
    return;
  }
  const batchSize = Number(values.batch);
  const maxNewTokens = Number(values.tokens);
  const model = await loadRgeModel(values.bundle!, { device, dtype, batchSize, maxNewTokens, cacheSize: 0, onWarning: () => {} });
  const load = (performance.now() - started) / 1000;
  const topics = ["a red car in the snow", "the history of bread", "how tides work", "a cat on a sofa", "prime numbers", "jazz in the 1950s", "mountain weather", "solar panels"];
  const inputs = Array.from({ length: Number(values.queries) }, (_, i) => ({ text: `Query ${i}: tell me about ${topics[i % topics.length]}` }));
  await model.embedQuery({ text: "warm up" }, { maxNewTokens: 4 });
  const t1 = performance.now();
  await model.embedQuery(inputs[0]!);
  const single = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  const results = await model.embedQueries(inputs);
  const seconds = (performance.now() - t2) / 1000;
  await model.dispose();
  const generated = results.reduce((s, q) => s + q.tokens.generated, 0);
  writeFileSync(values.out!, JSON.stringify({ device: model.device, load, qps: inputs.length / seconds, tps: generated / seconds, single, ids: results.map((q) => q.generatedIds.join()) }));
}
