/**
 * One dtype of the 3B benchmark, in a process of its own (so its peak resident memory is its own): loads the
 * bundle, then times a text query, an image query, a target, eight targets and eight queries, splitting each
 * query into vision encoder, prefill and decode steps by timing every ONNX Runtime run. Prints one JSON line.
 *
 *   tsx --conditions=@rge/source tools/bench/bench-3b-child.ts <bundle> <dtype> <threads> <image.png>
 */
import { readFileSync } from "node:fs";
import { loadRgeModel, type RgeDtype, type RgeInput, type RgeModel } from "@rge/core";
import { observeSessionRuns } from "@rge/core/testing";
import { readBandwidth } from "./read-bandwidth.js";

const [bundle, dtype, threadArg, imagePath] = process.argv.slice(2) as [string, RgeDtype, string, string];
const threads = Number(threadArg);
/** Query and target lengths of the table (prompt tokens, the chat template included). */
const QUERY_TOKENS = 151;
const TARGET_TOKENS = 128;
const GENERATED = 32;

type Stage = "vision" | "prefill" | "decode" | "embed";
let stages: Record<Stage, { ms: number; runs: number }>;
const resetStages = () => (stages = { vision: { ms: 0, runs: 0 }, prefill: { ms: 0, runs: 0 }, decode: { ms: 0, runs: 0 }, embed: { ms: 0, runs: 0 } });
resetStages();
observeSessionRuns((feeds, _outputs, run) => {
  if (!("pixel_values" in feeds || "input_ids" in feeds || "inputs_embeds" in feeds)) return; // the bandwidth probe
  const stage: Stage = "pixel_values" in feeds ? "vision" : "input_ids" in feeds ? "embed" : feeds.inputs_embeds!.dims[1]! > 1 ? "prefill" : "decode";
  stages[stage].ms += run.ms;
  stages[stage].runs += 1;
});

/** A text of `tokens` prompt tokens for `role`, grown word by word (the checkpoint's tokenizer decides the count). */
async function textOfLength(model: RgeModel, tokens: number, role: "query" | "target", seed: number): Promise<string> {
  const words = ["river", "stone", "light", "north", "paper", "signal", "garden", "copper", "winter", "market"];
  let text = "";
  for (let i = 0; ; i++) {
    const next = `${text}${text ? " " : ""}${words[(i * 7 + seed) % words.length]}`;
    const ids = (await model.preparePrompt({ text: next }, { role })).ids.length;
    if (ids > tokens) return text;
    text = next;
    if (ids === tokens) return text;
  }
}

async function timed<T>(f: () => Promise<T>): Promise<{ seconds: number; value: T; stages: typeof stages }> {
  resetStages();
  const started = performance.now();
  const value = await f();
  return { seconds: (performance.now() - started) / 1000, value, stages: structuredClone(stages) };
}

const loadStarted = performance.now();
const model = await loadRgeModel(bundle, { dtype, threads, cacheSize: 0, prefixCache: false, maxNewTokens: GENERATED });
const loadSeconds = (performance.now() - loadStarted) / 1000;

const queryText = await textOfLength(model, QUERY_TOKENS, "query", 0);
const targetTexts = await Promise.all(Array.from({ length: 8 }, (_, i) => textOfLength(model, TARGET_TOKENS, "target", i)));
const image = new Uint8Array(readFileSync(imagePath));
const imageQuery: RgeInput = { text: "What is in this picture?", image };

// Warm-up (first runs allocate and pack): not timed.
await model.embedQuery({ text: "warm up" }, { maxNewTokens: 2 });
await model.embedTarget({ text: "warm up" });

// This machine's read bandwidth moves from minute to minute (a shared host), so each dtype probes it again just
// before its decoding is timed; the table's floors use the fastest probe of the run.
const bandwidth = await readBandwidth(threads);
const text = await timed(() => model.embedQuery({ text: queryText }, { maxNewTokens: GENERATED }));
const withImage = await timed(() => model.embedQuery(imageQuery, { maxNewTokens: GENERATED }));
const target = await timed(() => model.embedTarget({ text: targetTexts[0]! }));
const targets = await timed(() => model.embedTargets(targetTexts.map((t) => ({ text: t }))));
const batch = await timed(() =>
  model.embedQueries(
    Array.from({ length: 8 }, (_, i) => ({ text: `${queryText} ${i}` })),
    { maxNewTokens: GENERATED },
  ),
);
await model.dispose();

const split = (s: typeof stages) => ({ vision: s.vision.ms / 1000, prefill: s.prefill.ms / 1000, decode: s.decode.ms / 1000, decodeSteps: s.decode.runs });
console.log(
  JSON.stringify({
    dtype,
    texts: { query: queryText, target: targetTexts[0] },
    loadSeconds,
    bandwidthGBps: bandwidth.gbPerSecond,
    peakRssGiB: process.resourceUsage().maxRSS / 1024 / 1024,
    textQuery: { seconds: text.seconds, promptTokens: text.value.tokens.prompt, generated: text.value.tokens.generated, ...split(text.stages) },
    imageQuery: { seconds: withImage.seconds, promptTokens: withImage.value.tokens.prompt, generated: withImage.value.tokens.generated, ...split(withImage.stages) },
    target: { seconds: target.seconds, promptTokens: target.value.tokens.prompt },
    targets8: { seconds: targets.seconds, promptTokens: targets.value.map((t) => t.tokens.prompt) },
    queries8: { seconds: batch.seconds, generated: batch.value.map((q) => q.tokens.generated), ...split(batch.stages) },
  }),
);
