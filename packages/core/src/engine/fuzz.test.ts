import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RgeError } from "../errors.js";
import { gradientPng } from "../testing/test-images.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { loadRgeModel, type RgeModel } from "./rge-model.js";

// Property-based fuzzing of inputs and options (bounded in runs and time): every call resolves with a finite
// unit-length embedding or rejects with an RgeError, the model keeps giving the same result for a probe query
// after each, and memory stays bounded.

const tmp = tempDir("rge-fuzz-");
let model: RgeModel;
let probeIds: string;
let png: Uint8Array;

beforeAll(async () => {
  writeTinyBundle(join(tmp.dir, "tiny"), { seed: 9 });
  model = await loadRgeModel(join(tmp.dir, "tiny"), { maxNewTokens: 6, cacheSize: 0, maxInputTokens: 600, maxImagePixels: 300 * 300 });
  probeIds = (await model.embedQuery({ text: "probe" })).generatedIds.join();
  png = await gradientPng(40, 30);
});
afterAll(async () => {
  await model.dispose();
  tmp.remove();
});

const specials = ["<|im_start|>", "<|im_end|>", "<emb>", "<|vision_start|><|image_pad|><|vision_end|>", "<|endoftext|>"];
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 30 }) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "\n", "x".repeat(20_000), "word ".repeat(3_000), ...specials) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...specials)).map(([a, b]) => a + b) },
);
const image = fc.oneof(
  { weight: 2, arbitrary: fc.constant(null).map((): unknown => png) }, // read when generated: png is made in beforeAll
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom("/dev/zero", "/dev/null", "/", "file://host/cat.png", "data:image/png;base64,@@@", "data:,", "http://127.0.0.1:9/x.png", "ftp://x/y", "no/such/file.png"),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, 42, {}, { data: "not bytes" }, [1, 2, 3]) },
);
const input = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      {
        text: fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(5 as unknown, null, {}) }),
        image,
        instruction: fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 20 }) }, { weight: 1, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(null, 7 as unknown) }),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ rawUserText: fc.oneof(text, fc.constant(specials[3]!)), image }, { requiredKeys: ["rawUserText"] }) },
  { weight: 1, arbitrary: fc.constantFrom(null, "a string", 5, [] as unknown) },
);
const aborted = AbortSignal.abort();
const callOptions = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 1, arbitrary: fc.record({ reasoning: fc.boolean(), maxNewTokens: fc.integer({ min: 1, max: 8 }) }, { requiredKeys: [] }) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        reasoning: fc.oneof(fc.boolean(), fc.constant("yes" as unknown)),
        maxNewTokens: fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constantFrom(NaN, 1.5, Infinity)),
        signal: fc.constantFrom(aborted as unknown, {}, "stop"),
      },
      { requiredKeys: [] },
    ),
  },
);

function checkOutcome(outcome: PromiseSettledResult<{ embedding: Float32Array }>): void {
  if (outcome.status === "rejected") {
    expect(outcome.reason, String(outcome.reason)).toBeInstanceOf(RgeError);
    return;
  }
  const e = outcome.value.embedding;
  expect(e.every(Number.isFinite)).toBe(true);
  expect(Math.abs(Math.hypot(...e) - 1)).toBeLessThan(1e-4);
}

describe("fuzzing", () => {
  it("every query and target call settles with a unit embedding or an RgeError, and the model stays healthy", async () => {
    const rssBefore = process.memoryUsage().rss;
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(input, callOptions, fc.boolean()), { minLength: 1, maxLength: 4 }), async (calls) => {
        // Calls in one property run go in together, so bad items share batches with good ones.
        const outcomes = await Promise.allSettled(
          calls.map(([i, o, asTarget]) => (asTarget ? model.embedTarget(i as never, o as never) : model.embedQuery(i as never, o as never))),
        );
        outcomes.forEach(checkOutcome);
        if (++runs % 10 === 0) expect((await model.embedQuery({ text: "probe" })).generatedIds.join()).toBe(probeIds);
      }),
      { numRuns: 200, interruptAfterTimeLimit: 60_000 },
    );
    expect((await model.embedQuery({ text: "probe" })).generatedIds.join()).toBe(probeIds);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(1024 * 1024 * 1024);
  }, 120_000);

  it("loadRgeModel with arbitrary options loads or rejects with an RgeError", async () => {
    const value = fc.oneof(fc.integer({ min: -3, max: 70_000 }), fc.double(), fc.string({ maxLength: 8 }), fc.boolean(), fc.constantFrom(null, {}, [], () => {}));
    const keys = ["device", "dtype", "maxNewTokens", "batchSize", "threads", "minPixels", "maxPixels", "smallImageRule", "maxImagePixels", "maxImageBytes", "cacheSize", "prefixCache", "maxInputTokens", "onWarning", "kvCacheOnDevice"];
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 3 }), async (options) => {
        const outcome = await Promise.allSettled([loadRgeModel(join(tmp.dir, "tiny"), options as never)]);
        if (outcome[0]!.status === "fulfilled") await outcome[0]!.value.dispose();
        else expect(outcome[0]!.reason, String(outcome[0]!.reason)).toBeInstanceOf(RgeError);
      }),
      { numRuns: 60, interruptAfterTimeLimit: 40_000 },
    );
  }, 90_000);
});
