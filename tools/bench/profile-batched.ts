/**
 * Where the time of one batched run goes (a developer tool, not part of `pnpm bench`): runs the benchmark's
 * queries through continuous batching and splits the wall time into input preparation, the vision encoder,
 * prefill decoder calls (by group size) and decode steps (by batch width); the rest is JavaScript between calls.
 * Times engine internals by wrapping methods of `Forward` and `InputPreparer`.
 *
 *   cd tools && npx tsx --conditions=@rge/source bench/profile-batched.ts
 *
 * Environment: RGE_PROFILE_QUERIES (48), RGE_PROFILE_BATCH (16), RGE_PROFILE_IMAGE_EVERY (4; 0 for text only),
 * RGE_PROFILE_ALONE=1 to time the one-at-a-time run first, RGE_BENCH_DIR (/tmp/rge-bench).
 */
import { join } from "node:path";
import { loadRgeModel } from "@rge/core";
import { Forward } from "../../packages/core/src/engine/forward.js";
import { InputPreparer } from "../../packages/core/src/engine/prepare.js";
import { benchModel } from "./bench-model.js";
import { makeQueries } from "./queries.js";

const work = process.env.RGE_BENCH_DIR ?? "/tmp/rge-bench";
const count = Number(process.env.RGE_PROFILE_QUERIES ?? 48);
const batchSize = Number(process.env.RGE_PROFILE_BATCH ?? 16);
const imageEvery = Number(process.env.RGE_PROFILE_IMAGE_EVERY ?? 4);
const { bundle } = await benchModel(work);
const queries = await makeQueries(count, imageEvery > 0 ? imageEvery : undefined, join(work, "images"));

const spent = new Map<string, { calls: number; ms: number }>();
function time<T extends object>(proto: T, method: string, label: (args: unknown[]) => string): void {
  const original = (proto as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!;
  (proto as Record<string, unknown>)[method] = async function (this: unknown, ...args: unknown[]) {
    const started = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      const key = label(args);
      const entry = spent.get(key) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += performance.now() - started;
      spent.set(key, entry);
    }
  };
}
time(InputPreparer.prototype, "prepare", () => "prepare inputs");
time(Forward.prototype, "encodeImage", () => "vision encoder");
time(Forward.prototype, "prefill", (a) => `prefill, ${(a[0] as unknown[]).length} rows`);
time(Forward.prototype, "step", (a) => `decode step, batch ${String((a[0] as unknown[]).length).padStart(2)}`);

function report(title: string, wallMs: number): void {
  console.log(`\n${title}: ${(wallMs / 1000).toFixed(2)} s`);
  const sum = (prefix: string) => [...spent].filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v.ms, 0);
  for (const [key, { calls, ms }] of [...spent].sort(([a], [b]) => a.localeCompare(b, "en", { numeric: true }))) {
    console.log(`  ${key.padEnd(24)} ${String(calls).padStart(5)} calls ${(ms / 1000).toFixed(2).padStart(7)} s  ${(ms / calls).toFixed(1).padStart(7)} ms/call`);
  }
  const accounted = sum("prepare") + sum("prefill") + sum("decode");
  console.log(`  prefill ${(sum("prefill") / 1000).toFixed(2)} s (vision ${(sum("vision") / 1000).toFixed(2)} s), decode ${(sum("decode") / 1000).toFixed(2)} s, other ${((wallMs - accounted) / 1000).toFixed(2)} s`);
  spent.clear();
}

if (process.env.RGE_PROFILE_ALONE === "1") {
  const one = await loadRgeModel(bundle, { batchSize: 1 });
  await one.embedQuery({ text: "warm-up" }, { maxNewTokens: 2 });
  spent.clear();
  const started = performance.now();
  for (const q of queries) await one.embedQuery(q.input, { maxNewTokens: q.maxNewTokens });
  report(`one at a time, ${count} queries`, performance.now() - started);
  await one.dispose();
}
const model = await loadRgeModel(bundle, { batchSize });
await model.embedQuery({ text: "warm-up" }, { maxNewTokens: 2 });
spent.clear();
const started = performance.now();
await Promise.all(queries.map((q) => model.embedQuery(q.input, { maxNewTokens: q.maxNewTokens })));
report(`continuous batching at ${batchSize}, ${count} queries`, performance.now() - started);
await model.dispose();
