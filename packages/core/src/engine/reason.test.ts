import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBundle } from "../bundle/load-bundle.js";
import { imageProcessorConfigFromJson, NODE_IMAGE_LOADER } from "../preprocess/image/index.js";
import { ropePositions } from "../preprocess/rope-index.js";
import { BundleTokenizer } from "../preprocess/tokenizer.js";
import { gradientPng } from "../testing/test-images.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { encodeTargetBatch } from "./encode-targets.js";
import { Forward, planPrefillGroups } from "./forward.js";
import { InputPreparer } from "./prepare.js";
import type { PreparedItem } from "./prepared-item.js";
import { reasonBatch, reasonContinuously, type ReasonRequest, type ReasonSettings, type RowOutcome } from "./reason.js";
import { createSessions, type Sessions } from "./sessions.js";

const tmp = tempDir();
let sessions: Sessions;
let forward: Forward;
let preparer: InputPreparer;
let settings: ReasonSettings;

beforeAll(async () => {
  const { dir, embTokenId } = writeTinyBundle(tmp.dir, { seed: 5 });
  const bundle = readBundle(dir, "fp32");
  sessions = await createSessions(bundle, { device: "cpu" });
  const tokenizer = new BundleTokenizer(bundle.tokenizerJson, bundle.tokenizerConfig);
  forward = new Forward(sessions, bundle.config, 256);
  preparer = new InputPreparer(
    tokenizer,
    { visionStart: "<|vision_start|>", imagePad: "<|image_pad|>", visionEnd: "<|vision_end|>", emb: "<emb>" },
    bundle.config,
    imageProcessorConfigFromJson(bundle.preprocessorConfig),
    { allowNetwork: false, maxTokens: 4096 },
    NODE_IMAGE_LOADER,
  );
  settings = { maxNewTokens: 40, embTokenId, vocabSize: bundle.config.text.vocabSize, hiddenSize: 32, repetitionPenalty: 1 };
});

afterAll(async () => {
  await sessions.decoder.release();
  tmp.remove();
});

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

/** prompt + generated tokens as one item, so a single forward pass re-encodes the whole sequence. */
function withGenerated(item: PreparedItem, generated: number[], imageTokenId: number): PreparedItem {
  const ids = [...item.ids, ...generated];
  return { ids, images: item.images, positions: ropePositions(ids, item.images.map((i) => i.grid), imageTokenId, 2) };
}

describe("reasonBatch", () => {
  it("embeds with the KV cache exactly as a full re-encode of prompt + rationale + final token", async () => {
    const image = await gradientPng(60, 44);
    const items = [
      await preparer.prepare({ text: "What is shown here?", image }, "query", false, 40),
      await preparer.prepare({ text: "cats and dogs" }, "query", false, 40),
    ];
    const outcomes = await reasonBatch(forward, items, settings);
    for (const [i, outcome] of outcomes.entries()) {
      if (!outcome.ok) throw outcome.error;
      const full = withGenerated(items[i]!, outcome.value.generated, 261);
      const [reencoded] = await encodeTargetBatch(forward, [full], 32);
      expect(maxAbsDiff(outcome.value.embedding, reencoded!)).toBeLessThan(1e-5);
    }
  });

  it("feeds each row exactly once per generated token: finished rows leave the batch", async () => {
    const texts = ["a", "bb ccc", "what is the colour of the sky", "dogs", "tiny", "one two three four five"];
    const items = await Promise.all(texts.map((text) => preparer.prepare({ text }, "query", false, 40)));
    const fed: number[] = [];
    const original = forward.step.bind(forward);
    forward.step = (tokens, positions, cache) => {
      fed.push(tokens.length);
      return original(tokens, positions, cache);
    };
    try {
      const outcomes = await reasonBatch(forward, items, settings);
      const generated = outcomes.map((o) => (o.ok ? o.value.generated.length : 0));
      expect(fed.reduce((a, b) => a + b, 0)).toBe(generated.reduce((a, b) => a + b, 0));
      expect(fed.length).toBe(Math.max(...generated));
      expect(new Set(generated).size).toBeGreaterThan(1);
      // Batch sizes only shrink.
      fed.forEach((n, i) => i > 0 && expect(n).toBeLessThanOrEqual(fed[i - 1]!));
    } finally {
      forward.step = original;
    }
  });

  it("continuous batching: queued queries take freed slots and each gets its solo result", async () => {
    const texts = ["x", "two words", "a somewhat longer query text", "cats", "blue sky at night", "z", "where", "q"];
    const items = await Promise.all(texts.map((text) => preparer.prepare({ text }, "query", false, 40)));
    const solo: RowOutcome[] = [];
    for (const item of items) solo.push((await reasonBatch(forward, [item], settings))[0]!);

    const outcomes: RowOutcome[] = new Array(items.length);
    const request = (i: number): ReasonRequest => ({ item: items[i]!, maxNewTokens: 40, done: (o) => (outcomes[i] = o) });
    const queue = items.map((_, i) => i).slice(2);
    const widths: number[] = [];
    const prefills: number[] = [];
    const step = forward.step.bind(forward);
    const prefill = forward.prefill.bind(forward);
    forward.step = (tokens, positions, cache) => (widths.push(tokens.length), step(tokens, positions, cache));
    forward.prefill = (batch, keep) => (prefills.push(batch.length), prefill(batch, keep));
    try {
      await reasonContinuously(forward, settings, 3, [request(0), request(1)], async (free) => queue.splice(0, free).map(request));
    } finally {
      forward.step = step;
      forward.prefill = prefill;
    }
    expect(prefills.length).toBeGreaterThan(2); // rows joined mid-generation
    expect(Math.max(...widths)).toBeLessThanOrEqual(3);
    outcomes.forEach((o, i) => {
      if (!o.ok || !solo[i]!.ok) throw new Error("unexpected failure");
      expect(o.value.generated).toEqual(solo[i]!.value.generated);
      expect(maxAbsDiff(o.value.embedding, solo[i]!.value.embedding)).toBeLessThan(1e-5);
    });
  });

  it("feeds the capped last token once more when maxNewTokens is hit (no <emb> appended)", async () => {
    const item = await preparer.prepare({ text: "never stops" }, "query", false, 3);
    const [outcome] = await reasonBatch(forward, [item], { ...settings, maxNewTokens: 3, embTokenId: -1 });
    if (!outcome!.ok) throw outcome!.error;
    expect(outcome!.value.generated).toHaveLength(3);
    expect(outcome!.value.stoppedBy).toBe("maxNewTokens");
    const [reencoded] = await encodeTargetBatch(forward, [withGenerated(item, outcome!.value.generated, 261)], 32);
    expect(maxAbsDiff(outcome!.value.embedding, reencoded!)).toBeLessThan(1e-5);
  });

  it("applies the repetition penalty the way Hugging Face does (divide positive, multiply negative logits)", async () => {
    const item = await preparer.prepare({ text: "repeat repeat repeat" }, "query", false, 20);
    const [plain] = await reasonBatch(forward, [item], { ...settings, maxNewTokens: 20 });
    const [penalised] = await reasonBatch(forward, [item], { ...settings, maxNewTokens: 20, repetitionPenalty: 50 });
    if (!plain!.ok || !penalised!.ok) throw new Error("unexpected failure");
    // With a huge penalty no token of the prompt or the rationale can come back while fresh ones remain.
    const gen = penalised!.value.generated;
    const seen = new Set(item.ids);
    for (const t of gen.slice(0, -1)) {
      expect(seen.has(t)).toBe(false);
      seen.add(t);
    }
    expect(gen).not.toEqual(plain!.value.generated);
  });
});

describe("grouped prefill", () => {
  const cost = (lengths: number[], sizes: number[], callCost: number) => {
    let start = 0;
    return sizes.reduce((sum, size) => {
      const longest = Math.max(...lengths.slice(start, (start += size)));
      return sum + callCost + size * longest;
    }, 0);
  };
  /** Every way to cut `n` rows into consecutive groups. */
  const partitions = (n: number): number[][] =>
    n === 0 ? [[]] : Array.from({ length: n }, (_, i) => partitions(n - i - 1).map((rest) => [i + 1, ...rest])).flat();

  it("plans the cheapest consecutive groups", () => {
    expect(planPrefillGroups([30, 30, 30, 30], 16)).toEqual([4]);
    expect(planPrefillGroups([20, 22, 25, 900], 16)).toEqual([3, 1]);
    expect(planPrefillGroups([5], 16)).toEqual([1]);
    expect(planPrefillGroups([], 16)).toEqual([]);
    let seed = 3;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 200; trial++) {
      const lengths = Array.from({ length: 1 + Math.floor(random() * 7) }, () => 1 + Math.floor(random() * 300));
      const callCost = Math.floor(random() * 64);
      const plan = planPrefillGroups(lengths, callCost);
      expect(plan.reduce((a, b) => a + b, 0)).toBe(lengths.length);
      const optimum = Math.min(...partitions(lengths.length).map((sizes) => cost(lengths, sizes, callCost)));
      expect(cost(lengths, plan, callCost)).toBe(optimum);
    }
  });

  it("prefills one long prompt apart from short ones, and every row still gets its solo result", async () => {
    const long = "a long query that goes on and on about many things, ".repeat(12);
    const items = await Promise.all(["cats", "blue sky", "dogs at play", long].map((text) => preparer.prepare({ text }, "query", false, 12)));
    const solo: RowOutcome[] = [];
    for (const item of items) solo.push((await reasonBatch(forward, [item], { ...settings, maxNewTokens: 12 }))[0]!);
    const soloTargets: Float32Array[] = [];
    for (const item of items) soloTargets.push((await encodeTargetBatch(forward, [item], 32))[0]!);

    const run = sessions.decoder.run.bind(sessions.decoder);
    const prefillWidths: number[][] = [];
    sessions.decoder.run = ((feeds: Record<string, { dims: readonly number[] }>, ...rest: unknown[]) => {
      const dims = feeds.inputs_embeds!.dims;
      if (dims[1]! > 1) prefillWidths.push([dims[0]!, dims[1]!]);
      return (run as (...a: unknown[]) => ReturnType<typeof run>)(feeds, ...rest);
    }) as typeof sessions.decoder.run;
    let batched: RowOutcome[];
    let targets: Float32Array[];
    try {
      batched = await reasonBatch(forward, items, { ...settings, maxNewTokens: 12 });
      targets = await encodeTargetBatch(forward, items, 32);
    } finally {
      sessions.decoder.run = run;
    }
    // The three short prompts run together, the long one alone (twice: queries, then targets).
    expect(prefillWidths.map(([b]) => b)).toEqual([3, 1, 3, 1]);
    expect(prefillWidths[1]![1]).toBeGreaterThan(3 * prefillWidths[0]![1]!);
    batched.forEach((o, i) => {
      if (!o.ok || !solo[i]!.ok) throw new Error("unexpected failure");
      expect(o.value.generated).toEqual(solo[i]!.value.generated);
      expect(maxAbsDiff(o.value.embedding, solo[i]!.value.embedding)).toBeLessThan(1e-5);
    });
    targets.forEach((t, i) => expect(maxAbsDiff(t, soloTargets[i]!)).toBeLessThan(1e-5));
  });
});
