import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  AbortedError,
  BundleMismatchError,
  DeviceUnavailableError,
  DisposedError,
  EmptyInputError,
  ImageDecodeError,
  ImageSourceError,
  ImageTooLargeError,
  InputTooLongError,
  InvalidOptionError,
  NetworkDisabledError,
  OnnxInvalidError,
  RgeError,
  UnknownDeviceError,
  UnknownDtypeError,
} from "../errors.js";
import { gradientPng } from "../testing/test-images.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import type { RgeDevice } from "../device/device.js";
import { loadRgeModel, type RgeModel } from "./rge-model.js";

const tmp = tempDir();
let model: RgeModel;
let reference: Float32Array;
let referenceIds: number[];
const probe = { text: "probe query" };

beforeAll(async () => {
  writeTinyBundle(tmp.dir, { seed: 11 });
  model = await loadRgeModel(tmp.dir, { maxNewTokens: 16, maxInputTokens: 400, maxImagePixels: 200 * 200, cacheSize: 0 });
  ({ embedding: reference, generatedIds: referenceIds } = await model.embedQuery(probe));
});

afterAll(async () => {
  await model.dispose();
  tmp.remove();
});

/**
 * After any failure the engine must still give the same answer as before (same tokens; embeddings equal up to
 * float reordering: the shared-prefix cache may split the prompt differently between calls).
 */
async function expectStillUsable() {
  const again = await model.embedQuery(probe);
  expect(again.generatedIds).toEqual(referenceIds);
  expect(again.embedding.every((v, i) => Math.abs(v - reference[i]!) < 1e-5)).toBe(true);
}

describe("bad inputs give typed errors and leave the engine usable", () => {
  const cases: [string, () => Promise<unknown>, new (...args: never[]) => RgeError][] = [
    ["empty input", () => model.embedQuery({}), EmptyInputError],
    ["whitespace-only text", () => model.embedTarget({ text: "   " }), EmptyInputError],
    ["non-object input", () => model.embedQuery(null as never), EmptyInputError],
    ["undecodable image", () => model.embedQuery({ text: "x", image: new Uint8Array([1, 2, 3, 4]) }), ImageDecodeError],
    ["image over the pixel limit", async () => model.embedTarget({ image: await gradientPng(300, 300) }), ImageTooLargeError],
    ["a device as the image path (/dev/zero)", () => model.embedTarget({ image: "/dev/zero" }), ImageSourceError],
    ["text longer than the context", () => model.embedTarget({ text: "word ".repeat(500) }), InputTooLongError],
    ["reserved token in text", () => model.embedTarget({ text: "sneaky <|image_pad|>" }), InvalidOptionError],
    ["http image without network", () => model.embedQuery({ text: "x", image: "https://example.com/cat.png" }), NetworkDisabledError],
    ["invalid maxNewTokens", () => model.embedQuery(probe, { maxNewTokens: 0 }), InvalidOptionError],
  ];
  for (const [name, call, type] of cases) {
    it(`${name} → ${type.name}`, async () => {
      await expect(call()).rejects.toBeInstanceOf(type);
      await expectStillUsable();
    });
  }

  it("fails only the bad item of a batch; the others match their solo results", async () => {
    const good = [{ text: "first good one" }, { text: "second", image: await gradientPng(50, 40) }];
    const settled = await model.embedQueriesSettled([good[0]!, { text: "bad", image: new Uint8Array([0, 1]) }, {}, good[1]!]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect((settled[1] as { reason: RgeError }).reason.code).toBe("RGE_IMAGE_UNDECODABLE");
    expect((settled[2] as { reason: RgeError }).reason.code).toBe("RGE_EMPTY_INPUT");
    for (const [i, at] of [0, 3].entries()) {
      const solo = await model.embedQuery(good[i]!);
      const got = settled[at] as { value: { embedding: Float32Array } };
      expect(got.value.embedding.every((v, k) => Math.abs(v - solo.embedding[k]!) < 1e-5)).toBe(true);
    }
    // The all-or-nothing variant rejects with the bad item's error.
    await expect(model.embedTargets([{ text: "ok" }, {}])).rejects.toBeInstanceOf(EmptyInputError);
  });
});

describe("cancellation", () => {
  it("rejects a call whose signal is already aborted", async () => {
    await expect(model.embedQuery(probe, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
    await expectStillUsable();
  });

  it("stops a cancelled row mid-generation without disturbing the rest of its batch", async () => {
    const controller = new AbortController();
    const never = tempDir();
    writeTinyBundle(never.dir, { seed: 11, emb: "never" });
    const slow = await loadRgeModel(never.dir, { maxNewTokens: 2000, maxInputTokens: 4096, cacheSize: 0 });
    const other = slow.embedQuery({ text: "keeps going" }, { maxNewTokens: 2000 });
    const cancelled = slow.embedQuery({ text: "cancel me" }, { signal: controller.signal, maxNewTokens: 2000 });
    setTimeout(() => controller.abort(new Error("user gave up")), 30);
    await expect(cancelled).rejects.toBeInstanceOf(AbortedError);
    const done = await other;
    const solo = await slow.embedQuery({ text: "keeps going" }, { maxNewTokens: 2000 });
    expect(done.tokens.generated).toBe(2000);
    expect(Array.from(done.embedding).every((v, i) => Math.abs(v - solo.embedding[i]!) < 1e-5)).toBe(true);
    await slow.dispose();
    never.remove();
  });
});

describe("loading errors", () => {
  it("rejects unknown devices and dtypes", async () => {
    await expect(loadRgeModel(tmp.dir, { device: "tpu" as RgeDevice })).rejects.toBeInstanceOf(UnknownDeviceError);
    await expect(loadRgeModel(tmp.dir, { dtype: "int3" as never })).rejects.toBeInstanceOf(UnknownDtypeError);
  });

  it("fails clearly when a requested GPU device cannot load, and 'auto' falls back to CPU with a warning", async () => {
    for (const device of ["cuda", "webgpu"] as const) {
      try {
        const m = await loadRgeModel(tmp.dir, { device });
        expect(m.device).toBe(device); // a machine with that GPU stack really runs on it
        await m.dispose();
      } catch (error) {
        expect(error).toBeInstanceOf(DeviceUnavailableError);
        expect((error as Error).message).toMatch(/use device "cpu" or "auto"/);
      }
    }
    const warnings: string[] = [];
    const auto = await loadRgeModel(tmp.dir, { device: "auto", onWarning: (w) => warnings.push(w) });
    if (auto.device === "cpu") {
      expect(warnings.join()).toMatch(/^RGE: device "auto" chose cpu: cuda: .+; webgpu: .+\.$/);
      expect(`RGE: ${auto.deviceReason}.`).toBe(warnings[0]);
    }
    await auto.dispose();
  });

  it("names a corrupt ONNX file", async () => {
    const t = tempDir();
    writeTinyBundle(t.dir);
    writeFileSync(join(t.dir, "onnx", "embed_tokens.onnx"), "this is not a protobuf");
    const error = await loadRgeModel(t.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OnnxInvalidError);
    expect((error as OnnxInvalidError).file).toMatch(/embed_tokens\.onnx$/);
    t.remove();
  });

  it("detects configs that do not match the graphs", async () => {
    const t = tempDir();
    writeTinyBundle(t.dir);
    const path = join(t.dir, "config.json");
    const config = JSON.parse(readFileSync(path, "utf8"));
    writeFileSync(path, JSON.stringify({ ...config, num_hidden_layers: 3 }));
    await expect(loadRgeModel(t.dir)).rejects.toThrow(BundleMismatchError);
    writeFileSync(path, JSON.stringify({ ...config, num_key_value_heads: 1 }));
    await expect(loadRgeModel(t.dir)).rejects.toThrow(/num_key_value_heads/);
    t.remove();
  });

  it("rejects image limits that are not positive finite numbers", async () => {
    for (const bad of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, "64" as never]) {
      await expect(loadRgeModel(tmp.dir, { maxImageBytes: bad })).rejects.toThrow(/^maxImageBytes must be a positive finite number/);
      await expect(loadRgeModel(tmp.dir, { maxImagePixels: bad })).rejects.toBeInstanceOf(InvalidOptionError);
    }
  });

  it("passes maxImageBytes on to image reads", async () => {
    const image = await gradientPng(40, 30);
    for (const [maxImageBytes, fits] of [[image.length - 1, false], [image.length, true]] as const) {
      const m = await loadRgeModel(tmp.dir, { maxNewTokens: 4, maxImageBytes });
      const embedded = m.embedTarget({ image });
      if (fits) await expect(embedded).resolves.toHaveProperty("embedding");
      else await expect(embedded).rejects.toThrow(/over maxImageBytes/);
      await m.dispose();
    }
  });

  it("refuses a hub id unless the network is allowed", async () => {
    await expect(loadRgeModel("MCG-NJU/RGE")).rejects.toBeInstanceOf(NetworkDisabledError);
  });
});

describe("dispose", () => {
  it("rejects calls after dispose and queued calls during it", async () => {
    const t = tempDir();
    writeTinyBundle(t.dir);
    const m = await loadRgeModel(t.dir, { maxNewTokens: 8 });
    const inFlight = m.embedQuery({ text: "in flight" });
    await new Promise((r) => setImmediate(r));
    const queued = m.embedQuery({ text: "queued" });
    const disposing = m.dispose();
    await expect(queued).rejects.toBeInstanceOf(DisposedError);
    await expect(inFlight).resolves.toHaveProperty("embedding");
    await disposing;
    await expect(m.embedTarget({ text: "late" })).rejects.toBeInstanceOf(DisposedError);
    t.remove();
  });
});

describe("no network", () => {
  it("loads a local bundle and embeds text and local images with fetch replaced by a thrower", async () => {
    const fetchSpy = vi.fn(() => {
      throw new Error("network access attempted");
    });
    vi.stubGlobal("fetch", fetchSpy);
    try {
      const t = tempDir();
      writeTinyBundle(t.dir, { seed: 2 });
      const imagePath = join(t.dir, "local.png");
      writeFileSync(imagePath, await gradientPng(40, 30));
      const m = await loadRgeModel(t.dir, { maxNewTokens: 8 });
      const [q] = await m.embedQueries([{ text: "local", image: imagePath }]);
      const [d] = await m.embedTargets([{ image: `file://${imagePath}` }, { text: "doc" }]);
      expect(q!.embedding.length).toBe(32);
      expect(d!.embedding.length).toBe(32);
      await m.dispose();
      t.remove();
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
