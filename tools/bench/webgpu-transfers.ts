/**
 * Host↔device bytes per decode step on WebGPU, with the KV cache copied through the host every step (before)
 * and kept on the device (after), on a random checkpoint with Qwen2.5-VL-3B's cache geometry (36 layers, 2 KV
 * heads of 128) and a small width, so a software Vulkan driver runs it. On a software GPU the bytes, not the
 * times, are the figure. Every run's tokens are checked against the CPU's.
 *
 *   npx tsx --conditions=@rge/source bench/webgpu-transfers.ts     (from tools/; finds or downloads lavapipe)
 *
 * RGE_BENCH_DIR: work folder (default ../bench-results/work); RGE_BENCH_TRANSFER_QUERIES (8), _BATCH (4), _TOKENS (24).
 */
import { join } from "node:path";
import { loadRgeModel, type RgeModel } from "@rge/core";
import { hostBytes, observeSessionRuns } from "@rge/core/testing";
import { rerunWithVulkanDriver } from "../gpu/vulkan-driver.js";
import { benchModel, BENCH_SHAPES } from "./bench-model.js";
import { makeQueries } from "./queries.js";

const root = join(import.meta.dirname, "..", "..");
rerunWithVulkanDriver(root);

const work = process.env.RGE_BENCH_DIR ?? join(root, "bench-results", "work");
const count = Number(process.env.RGE_BENCH_TRANSFER_QUERIES ?? 8);
const batchSize = Number(process.env.RGE_BENCH_TRANSFER_BATCH ?? 4);
const maxNewTokens = Number(process.env.RGE_BENCH_TRANSFER_TOKENS ?? 24);
const shapes = { ...BENCH_SHAPES, hidden_size: 256, num_attention_heads: 2, num_key_value_heads: 2, num_hidden_layers: 36, intermediate_size: 512 };

type Kind = "decode step" | "prefill" | "cache edits" | "other";
const totals = new Map<Kind, { calls: number; up: number; down: number }>();
let counting = false;

// Counts the bytes of every host tensor fed to a session (uploaded) and every host tensor it returns (downloaded).
observeSessionRuns((feeds, outputs) => {
  if (!counting) return;
  const embeds = feeds.inputs_embeds;
  const kind: Kind = embeds ? (embeds.dims[1] === 1 ? "decode step" : "prefill") : "x.0" in feeds || "a.0" in feeds || "past.0" in feeds ? "cache edits" : "other";
  const t = totals.get(kind) ?? { calls: 0, up: 0, down: 0 };
  t.calls++;
  t.up += hostBytes(Object.values(feeds));
  t.down += hostBytes(Object.values(outputs));
  totals.set(kind, t);
});

const { bundle } = await benchModel(work, shapes, "transfers");
const queries = (await makeQueries(count, undefined, join(work, "images"))).map((q) => q.input);

async function measure(device: "cpu" | "webgpu", kvCacheOnDevice: boolean) {
  const model: RgeModel = await loadRgeModel(bundle, { device, batchSize, maxNewTokens, cacheSize: 0, kvCacheOnDevice, onWarning: () => {} });
  await model.embedQuery({ text: "warm up" }, { maxNewTokens: 2 }); // the shared prefix's cache is computed here
  totals.clear();
  counting = true;
  const started = Date.now();
  const results = await model.embedQueries(queries);
  const seconds = (Date.now() - started) / 1000;
  counting = false;
  await model.dispose();
  return { results, seconds, totals: new Map(totals) };
}

const cpu = await measure("cpu", false);
const before = await measure("webgpu", false);
const after = await measure("webgpu", true);
const same = (r: typeof cpu) => r.results.filter((q, i) => q.generatedIds.join() === cpu.results[i]!.generatedIds.join()).length;
const perStep = (r: typeof cpu, kind: Kind) => {
  const steps = r.totals.get("decode step")!.calls;
  const t = r.totals.get(kind) ?? { calls: 0, up: 0, down: 0 };
  return { up: t.up / steps, down: t.down / steps };
};
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`${count} text queries, batch ${batchSize}, up to ${maxNewTokens} tokens; ${shapes.num_hidden_layers} layers x ${shapes.num_key_value_heads} KV heads x 128, vocabulary ${shapes.vocab_size}`);
console.log("| KV cache | decode steps | host→device per step | device→host per step | cache edits per step (up / down) | prefill up / down (total) | tokens as on CPU | wall time |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const [label, r] of [["through the host (before)", before], ["on the device (after)", after]] as const) {
  const step = perStep(r, "decode step");
  const edits = perStep(r, "cache edits");
  const prefill = r.totals.get("prefill") ?? { up: 0, down: 0 };
  console.log(
    `| ${label} | ${r.totals.get("decode step")!.calls} | ${kb(step.up)} | ${kb(step.down)} | ${kb(edits.up)} / ${kb(edits.down)} | ${kb(prefill.up)} / ${kb(prefill.down)} | ${same(r)}/${count} | ${r.seconds.toFixed(1)} s |`,
  );
}
