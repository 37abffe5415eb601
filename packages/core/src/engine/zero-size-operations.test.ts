import { cpSync } from "node:fs";
import { join } from "node:path";
import type * as ort from "#ort";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RgeDtype } from "../bundle/dtype.js";
import { convertCheckpoint } from "../convert/convert-checkpoint.js";
import { exposeIntermediates } from "../testing/expose-intermediates.js";
import { observeSessionRuns } from "../testing/observe-session-runs.js";
import { gradientPng } from "../testing/test-images.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { loadRgeModel } from "./rge-model.js";

// The WebGPU provider crashes the process on some operations with a zero-length dimension (a MatMul whose inner
// dimension is 0 segfaults), so no graph the builder makes may ever see one, on any path the engine takes. Every
// graph here is rewritten to return all its intermediate tensors, and every run's feeds and results are checked.

const tmp = tempDir();
const checkpoint = join(import.meta.dirname, "..", "convert", "__fixtures__", "reference", "checkpoint");
const seen: string[] = [];
let stopObserving: () => void;

beforeAll(() => {
  const record = (kind: string, name: string, tensor: ort.Tensor) => {
    if (tensor.dims.includes(0)) seen.push(`${kind} ${name} [${tensor.dims.join(",")}]`);
  };
  stopObserving = observeSessionRuns((feeds, outputs) => {
    for (const [name, tensor] of Object.entries(feeds)) record("input", name, tensor);
    for (const [name, tensor] of Object.entries(outputs)) record("value", name, tensor);
  });
});
afterAll(() => {
  stopObserving();
  tmp.remove();
});

/** Runs every kind of call the engine makes: queries alone and batched (rows leaving and joining), images, targets. */
async function exercise(dir: string, dtype: RgeDtype, prefixCache: boolean): Promise<void> {
  const model = await loadRgeModel(dir, { dtype, batchSize: 2, maxNewTokens: 6, cacheSize: 0, prefixCache });
  const image = await gradientPng(56, 84);
  await model.embedQuery({ text: "a red fruit" });
  await model.embedQuery({ image, instruction: null });
  await model.embedQuery({ text: "which colour?", image });
  await model.embedQueries(["one", "two words", "three more words", "four", "five and six"].map((text) => ({ text })), { maxNewTokens: 5 });
  await Promise.all([model.embedQuery({ text: "short" }, { maxNewTokens: 2 }), model.embedQuery({ text: "long", image }, { maxNewTokens: 6 })]);
  await model.embedQueries([{ text: "no reasoning" }, { image }], { reasoning: false });
  await model.embedTargets([{ text: "a document" }, { image }, { text: "a longer document with more words in it" }]);
  await model.dispose();
}

function exposed(source: string, name: string): string {
  const dir = join(tmp.dir, name);
  cpSync(source, dir, { recursive: true });
  exposeIntermediates(join(dir, "onnx"));
  return dir;
}

describe("no operation sees a zero-length dimension", () => {
  for (const kvOutputs of ["new", "present"] as const) {
    for (const prefixCache of [true, false]) {
      it(`tiny model, ${kvOutputs} KV outputs, prefix cache ${prefixCache ? "on" : "off"}`, async () => {
        const { dir } = writeTinyBundle(join(tmp.dir, `tiny-${kvOutputs}-${prefixCache}`), { seed: 3, kvOutputs });
        seen.length = 0;
        await exercise(exposed(dir, `tiny-${kvOutputs}-${prefixCache}-exposed`), "fp32", prefixCache);
        expect([...new Set(seen)]).toEqual([]);
      });
    }
  }

  it("converted fp16, q8 and q4 graphs", async () => {
    const out = join(tmp.dir, "converted");
    await convertCheckpoint(checkpoint, out, { dtypes: ["fp16", "q8", "q4"] });
    const dir = exposed(out, "converted-exposed");
    for (const dtype of ["fp16", "q8", "q4"] as const) {
      seen.length = 0;
      await exercise(dir, dtype, true);
      expect([...new Set(seen)], dtype).toEqual([]);
    }
  });
});
