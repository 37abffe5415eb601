import { copyFileSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { DecoderUnsupportedError, InvalidOptionError, OnnxInvalidError } from "../errors.js";
import { ExternalDataWriter } from "../graph/external-data.js";
import { GraphBuilder } from "../graph/graph-builder.js";
import { buildDecoderGraph, DECODER_IO, type DecoderGraphOptions } from "../graph/qwen2-5-vl/decoder-graph.js";
import { SeededRandom } from "../testing/random.js";
import { tempDir } from "../testing/temp-dir.js";
import { tinyConfig, tinyWeights } from "../testing/tiny-model.js";
import { makeDecoderRgeReady } from "./graph-edit.js";

const config = tinyConfig({});
const text = config.text;
const weights = tinyWeights(config, { seed: 7 });
const FOREIGN: DecoderGraphOptions = { hiddenStateOutput: false, logitsToKeepInput: false };
const [BATCH, SEQ] = [2, 5];

const tmp = tempDir("rge-graph-edit-");
afterAll(() => tmp.remove());
let dirCount = 0;
const freshDir = () => {
  const dir = join(tmp.dir, `case-${dirCount++}`);
  mkdirSync(dir);
  return dir;
};

/** Writes a decoder graph; with `dataFile`, every weight goes to that external-data file beside it. */
function writeDecoder(path: string, options: DecoderGraphOptions = {}, dataFile?: string): void {
  const external = dataFile ? new ExternalDataWriter(dataFile) : undefined;
  const g = new GraphBuilder("decoder", external ? { external, externalThreshold: 0 } : {});
  buildDecoderGraph(g, text, weights, options);
  writeFileSync(path, g.toBytes());
  external?.close();
}

const rng = new SeededRandom(11);
const embeds = rng.normals(BATCH * SEQ * text.hiddenSize, 1);

async function run(path: string, keep?: number): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(path);
  const feeds: Record<string, ort.Tensor> = {
    [DECODER_IO.inputsEmbeds]: new ort.Tensor("float32", embeds, [BATCH, SEQ, text.hiddenSize]),
    [DECODER_IO.attentionMask]: new ort.Tensor("int64", new BigInt64Array(BATCH * SEQ).fill(1n), [BATCH, SEQ]),
    [DECODER_IO.positionIds]: new ort.Tensor("int64", BigInt64Array.from({ length: 3 * BATCH * SEQ }, (_, i) => BigInt(i % SEQ)), [3, BATCH, SEQ]),
  };
  for (let i = 0; i < text.numLayers; i++) {
    for (const name of [DECODER_IO.pastKey(i), DECODER_IO.pastValue(i)]) {
      feeds[name] = new ort.Tensor("float32", new Float32Array(0), [BATCH, text.numKvHeads, 0, text.headDim]);
    }
  }
  if (keep !== undefined) feeds[DECODER_IO.numLogitsToKeep] = new ort.Tensor("int64", BigInt64Array.of(BigInt(keep)), []);
  const out = await session.run(feeds);
  await session.release();
  return out;
}

function maxAbsDiff(a: ort.Tensor, b: ort.Tensor): number {
  expect(a.dims).toEqual(b.dims);
  const [x, y] = [a.data as Float32Array, b.data as Float32Array];
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  return max;
}

/** The last sequence position of `[B,S,V]` logits, as `[B,1,V]`. */
function lastRow(logits: ort.Tensor): Float32Array {
  const [b, s, v] = logits.dims as [number, number, number];
  const data = logits.data as Float32Array;
  const out = new Float32Array(b * v);
  for (let i = 0; i < b; i++) out.set(data.subarray((i * s + s - 1) * v, (i * s + s) * v), i * v);
  return out;
}

/** The checks every edited decoder must pass against the unedited one and the RGE-native one. */
async function expectRgeReady(foreignPath: string, editedPath: string): Promise<void> {
  const nativePath = join(freshDir(), "native.onnx");
  writeDecoder(nativePath);
  const [before, all, one, native] = await Promise.all([run(foreignPath), run(editedPath, 0), run(editedPath, 1), run(nativePath, 0)]);

  expect(maxAbsDiff(all[DECODER_IO.logits]!, before[DECODER_IO.logits]!)).toBe(0);
  expect(one[DECODER_IO.logits]!.dims).toEqual([BATCH, 1, text.vocabSize]);
  expect(one[DECODER_IO.logits]!.data).toEqual(lastRow(before[DECODER_IO.logits]!));
  for (const edited of [all, one]) {
    expect(edited[DECODER_IO.lastHiddenState]!.dims).toEqual([BATCH, SEQ, text.hiddenSize]);
    expect(maxAbsDiff(edited[DECODER_IO.lastHiddenState]!, native[DECODER_IO.lastHiddenState]!)).toBeLessThanOrEqual(1e-6);
  }
}

describe("makeDecoderRgeReady", () => {
  it("adds last_hidden_state and num_logits_to_keep to an inline decoder without changing its logits", async () => {
    const dir = freshDir();
    const [foreign, edited] = [join(dir, "foreign.onnx"), join(dir, "edited.onnx")];
    writeDecoder(foreign, FOREIGN);
    const stages: string[] = [];
    const result = await makeDecoderRgeReady(foreign, edited, { onProgress: (s) => stages.push(s) });
    expect(result).toMatchObject({ changed: true, addedHiddenState: true, addedLogitsToKeep: true });
    expect(stages).toEqual(["reading", "editing", "writing", "done"]);
    await expectRgeReady(foreign, edited);
  });

  it("edits an external-data decoder in place without reading or rewriting its .onnx_data", async () => {
    const dir = freshDir();
    const [graphPath, dataPath] = [join(dir, "decoder.onnx"), join(dir, "decoder.onnx_data")];
    writeDecoder(graphPath, FOREIGN, dataPath);
    const original = join(dir, "original.onnx");
    copyFileSync(graphPath, original);
    const data = readFileSync(dataPath);
    expect(statSync(graphPath).size).toBeLessThan(data.byteLength);

    // The data file is moved away during the edit: the edit must not need it.
    renameSync(dataPath, `${dataPath}.away`);
    const result = await makeDecoderRgeReady(graphPath, graphPath);
    renameSync(`${dataPath}.away`, dataPath);

    expect(result).toMatchObject({ changed: true, addedHiddenState: true, addedLogitsToKeep: true });
    expect(readFileSync(dataPath).equals(data)).toBe(true);
    await expectRgeReady(original, graphPath);
  });

  it("writes an external-data graph to another folder only where the data file is hard-linked", async () => {
    const dir = freshDir();
    const [graphPath, dataPath] = [join(dir, "decoder.onnx"), join(dir, "decoder.onnx_data")];
    writeDecoder(graphPath, FOREIGN, dataPath);
    const elsewhere = freshDir();
    const error = await makeDecoderRgeReady(graphPath, join(elsewhere, "decoder.onnx")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain(`ln -L "${dataPath}"`);

    // ONNX Runtime resolves symlinks and refuses data outside the graph's folder, so a symlink is refused too.
    symlinkSync(dataPath, join(elsewhere, "decoder.onnx_data"));
    await expect(makeDecoderRgeReady(graphPath, join(elsewhere, "decoder.onnx"))).rejects.toBeInstanceOf(InvalidOptionError);
    rmSync(join(elsewhere, "decoder.onnx_data"));

    linkSync(dataPath, join(elsewhere, "decoder.onnx_data"));
    await makeDecoderRgeReady(graphPath, join(elsewhere, "decoder.onnx"));
    await expectRgeReady(graphPath, join(elsewhere, "decoder.onnx"));
  });

  it("changes nothing on a graph that is already RGE-ready", async () => {
    const dir = freshDir();
    const [native, edited, copy] = [join(dir, "native.onnx"), join(dir, "edited.onnx"), join(dir, "copy.onnx")];
    writeDecoder(native);
    writeDecoder(edited, FOREIGN);
    const first = await makeDecoderRgeReady(edited, edited);
    const bytes = readFileSync(edited);

    const again = await makeDecoderRgeReady(edited, edited);
    expect(again).toEqual({ changed: false, addedHiddenState: false, addedLogitsToKeep: false, tapTensor: first.tapTensor });
    expect(readFileSync(edited).equals(bytes)).toBe(true);

    const nativeBytes = readFileSync(native);
    expect(await makeDecoderRgeReady(native, copy)).toMatchObject({ changed: false });
    expect(readFileSync(copy).equals(nativeBytes)).toBe(true);
  });

  it("taps the full-length hidden state of an export that already slices by num_logits_to_keep", async () => {
    const dir = freshDir();
    const [sliced, edited] = [join(dir, "sliced.onnx"), join(dir, "edited.onnx")];
    writeDecoder(sliced, { hiddenStateOutput: false });
    const result = await makeDecoderRgeReady(sliced, edited);
    expect(result).toMatchObject({ changed: true, addedHiddenState: true, addedLogitsToKeep: false });

    const nativePath = join(dir, "native.onnx");
    writeDecoder(nativePath);
    const [before, one, native] = await Promise.all([run(sliced, 1), run(edited, 1), run(nativePath, 1)]);
    expect(maxAbsDiff(one[DECODER_IO.logits]!, before[DECODER_IO.logits]!)).toBe(0);
    expect(one[DECODER_IO.lastHiddenState]!.dims).toEqual([BATCH, SEQ, text.hiddenSize]);
    expect(maxAbsDiff(one[DECODER_IO.lastHiddenState]!, native[DECODER_IO.lastHiddenState]!)).toBeLessThanOrEqual(1e-6);
  });

  it.each(["bias-and-cast", "dynamic-quantized"] as const)("finds a %s lm_head and taps its float input", async (kind) => {
    const path = join(freshDir(), `${kind}.onnx`);
    const hidden = writeSmallHead(path, kind);
    const before = await runSmallHead(path);
    const result = await makeDecoderRgeReady(path, path);
    expect(result).toEqual({ changed: true, addedHiddenState: true, addedLogitsToKeep: true, tapTensor: hidden });

    const [all, one] = [await runSmallHead(path, 0), await runSmallHead(path, 1)];
    expect(maxAbsDiff(all[DECODER_IO.logits]!, before[DECODER_IO.logits]!)).toBe(0);
    expect(one[DECODER_IO.logits]!.data).toEqual(lastRow(before[DECODER_IO.logits]!));
    const expected = Float32Array.from(smallEmbeds, (x, i) => Math.fround(x * NORM_SCALE[i % NORM_SCALE.length]!));
    expect(one[DECODER_IO.lastHiddenState]!.data).toEqual(expected);
  });

  it("rejects bytes that are not an ONNX model with OnnxInvalidError", async () => {
    const dir = freshDir();
    const garbage = join(dir, "garbage.onnx");
    writeFileSync(garbage, new Uint8Array(new SeededRandom(3).normals(256, 1).buffer));
    await expect(makeDecoderRgeReady(garbage, garbage)).rejects.toBeInstanceOf(OnnxInvalidError);
    const textFile = join(dir, "text.onnx");
    writeFileSync(textFile, "not a model\n");
    await expect(makeDecoderRgeReady(textFile, textFile)).rejects.toMatchObject({ code: "RGE_ONNX_INVALID", file: textFile });
  });

  it("rejects a graph without a logits output, naming the outputs it has", async () => {
    const path = join(freshDir(), "encoder.onnx");
    const g = new GraphBuilder("encoder");
    g.output(g.op("Relu", [g.input("x", "float32", [2])]), "features", "float32", [2]);
    writeFileSync(path, g.toBytes());
    const error = await makeDecoderRgeReady(path, path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecoderUnsupportedError);
    expect(error).toMatchObject({ code: "RGE_DECODER_UNSUPPORTED", found: ["features"] });
  });

  it("rejects logits that no MatMul-like head produces, naming the ops it walked through", async () => {
    const path = join(freshDir(), "odd.onnx");
    const g = new GraphBuilder("odd");
    g.output(g.op("Softmax", [g.op("Cast", [g.input("x", "float32", [2, 3])], { attrs: { to: 1 } })]), "logits", "float32", [2, 3]);
    writeFileSync(path, g.toBytes());
    const error = await makeDecoderRgeReady(path, path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecoderUnsupportedError);
    expect((error as DecoderUnsupportedError).found.join(" ")).toMatch(/Identity.*Softmax/);
  });
});

const NORM_SCALE = [0.5, 1.5, -1, 2];
const [SMALL_H, SMALL_V] = [NORM_SCALE.length, 6];
const smallEmbeds = new SeededRandom(5).normals(BATCH * SEQ * SMALL_H, 1);

/**
 * A head-only "decoder" (`inputs_embeds * scale` stands in for the final norm) whose lm_head is a MatMul under
 * a bias Add and a Cast, or a dynamically quantized MatMulInteger rescaled by a computed scale. Returns the
 * hidden-state tensor's name.
 */
function writeSmallHead(path: string, kind: "bias-and-cast" | "dynamic-quantized"): string {
  const g = new GraphBuilder("head");
  const x = g.input(DECODER_IO.inputsEmbeds, "float32", ["batch_size", "sequence_length", SMALL_H]);
  const hidden = g.op("Mul", [x, g.float32(NORM_SCALE)]);
  const rng = new SeededRandom(9);
  let logits: string;
  if (kind === "bias-and-cast") {
    const w = g.initializer("lm_head.weight", { dtype: "float32", dims: [SMALL_H, SMALL_V], bytes: new Uint8Array(rng.normals(SMALL_H * SMALL_V, 1).buffer) });
    const b = g.initializer("lm_head.bias", { dtype: "float32", dims: [SMALL_V], bytes: new Uint8Array(rng.normals(SMALL_V, 1).buffer) });
    logits = g.op("Cast", [g.op("Add", [g.op("MatMul", [hidden, w]), b])], { attrs: { to: 1 } });
  } else {
    const [q, scale, zero] = g.opMulti("DynamicQuantizeLinear", [hidden], { outputs: 3 });
    const wq = g.initializer("lm_head.weight_quantized", { dtype: "uint8", dims: [SMALL_H, SMALL_V], bytes: Uint8Array.from({ length: SMALL_H * SMALL_V }, () => Math.floor(rng.uniform() * 256)) });
    const wZero = g.initializer("lm_head.weight_zero_point", { dtype: "uint8", dims: [], bytes: Uint8Array.of(128) });
    const product = g.op("MatMulInteger", [q!, wq, zero!, wZero]);
    logits = g.op("Mul", [g.op("Cast", [product], { attrs: { to: 1 } }), g.op("Mul", [scale!, g.float32(0.01)])]);
  }
  g.output(logits, DECODER_IO.logits, "float32", ["batch_size", "sequence_length", SMALL_V]);
  writeFileSync(path, g.toBytes());
  return hidden;
}

async function runSmallHead(path: string, keep?: number): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(path);
  const feeds: Record<string, ort.Tensor> = { [DECODER_IO.inputsEmbeds]: new ort.Tensor("float32", smallEmbeds, [BATCH, SEQ, SMALL_H]) };
  if (keep !== undefined) feeds[DECODER_IO.numLogitsToKeep] = new ort.Tensor("int64", BigInt64Array.of(BigInt(keep)), []);
  const out = await session.run(feeds);
  await session.release();
  return out;
}
