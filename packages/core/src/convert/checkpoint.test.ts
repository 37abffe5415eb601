import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CheckpointInvalidError, InvalidOptionError } from "../errors.js";
import { externalDataLocations } from "../graph/external-data-locations.js";
import { asFloat32 } from "../graph/tensor-data.js";
import { tempDir } from "../testing/temp-dir.js";
import { canonicalName, openCheckpoint } from "./checkpoint.js";
import { convertCheckpoint } from "./convert-checkpoint.js";
import { SafetensorsFile } from "./safetensors.js";
import { loadRgeModel } from "../engine/rge-model.js";

const source = join(import.meta.dirname, "__fixtures__", "reference", "checkpoint");
const dirs: { remove: () => void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function copyCheckpoint(): string {
  const t = tempDir();
  dirs.push(t);
  for (const f of readdirSync(source)) copyFileSync(join(source, f), join(t.dir, f));
  return t.dir;
}

function output(): string {
  const t = tempDir();
  dirs.push(t);
  return join(t.dir, "bundle");
}

/** A safetensors file with one tensor, written by hand. */
function writeSafetensors(path: string, name: string, dtype: string, shape: number[], data: Uint8Array) {
  const header = Buffer.from(JSON.stringify({ [name]: { dtype, shape, data_offsets: [0, data.byteLength] } }));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  writeFileSync(path, Buffer.concat([length, header, data]));
}

describe("safetensors", () => {
  it("reads bf16, fp16 and fp32 as float32", () => {
    const t = tempDir();
    dirs.push(t);
    const values = [1, -2.5, 0.15625, 65280]; // all exact in bf16 and fp16
    const bf16 = new Uint16Array(new Uint32Array(Float32Array.from(values).buffer).map((b) => b >>> 16));
    writeSafetensors(join(t.dir, "bf16.safetensors"), "w", "BF16", [2, 2], new Uint8Array(bf16.buffer));
    const f16 = Uint16Array.from([0x3c00, 0xc100, 0x3100, 0x7bf8]);
    writeSafetensors(join(t.dir, "f16.safetensors"), "w", "F16", [4], new Uint8Array(f16.buffer));
    writeSafetensors(join(t.dir, "f32.safetensors"), "w", "F32", [4], new Uint8Array(Float32Array.from(values).buffer));
    for (const file of ["bf16", "f16", "f32"]) {
      const tensor = new SafetensorsFile(join(t.dir, `${file}.safetensors`)).read("w");
      expect(Array.from(asFloat32(tensor))).toEqual(values);
    }
  });

  it("reports a truncated file and a tensor past its end", () => {
    const dir = copyCheckpoint();
    const shard = join(dir, "model-00002-of-00003.safetensors");
    truncateSync(shard, 5000);
    expect(() => new SafetensorsFile(shard)).toThrow(/truncated download/);
    truncateSync(shard, 4);
    expect(() => new SafetensorsFile(shard)).toThrow(CheckpointInvalidError);
  });

  it("maps newer transformers names to the 4.51 layout", () => {
    expect(canonicalName("model.language_model.layers.0.mlp.up_proj.weight")).toBe("model.layers.0.mlp.up_proj.weight");
    expect(canonicalName("model.visual.blocks.0.attn.qkv.weight")).toBe("visual.blocks.0.attn.qkv.weight");
    expect(canonicalName("lm_head.weight")).toBe("lm_head.weight");
  });
});

describe("bad checkpoints give typed errors naming the problem", () => {
  it("missing shard", async () => {
    const dir = copyCheckpoint();
    rmSync(join(dir, "model-00003-of-00003.safetensors"));
    await expect(convertCheckpoint(dir, output())).rejects.toThrow(/missing shard model-00003-of-00003\.safetensors/);
  });

  it("wrong architecture", async () => {
    const dir = copyCheckpoint();
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
    writeFileSync(join(dir, "config.json"), JSON.stringify({ ...config, architectures: ["LlamaForCausalLM"], model_type: "llama" }));
    await expect(convertCheckpoint(dir, output())).rejects.toThrow(/LlamaForCausalLM/);
  });

  it("tokenizer without <emb>", async () => {
    const dir = copyCheckpoint();
    const tokenizer = JSON.parse(readFileSync(join(dir, "tokenizer.json"), "utf8"));
    tokenizer.added_tokens = tokenizer.added_tokens.filter((t: { content: string }) => t.content !== "<emb>");
    writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
    const error = await convertCheckpoint(dir, output()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CheckpointInvalidError);
    expect((error as Error).message).toMatch(/no <emb> token/);
  });

  it("truncated safetensors", async () => {
    const dir = copyCheckpoint();
    truncateSync(join(dir, "model-00001-of-00003.safetensors"), 1000);
    await expect(convertCheckpoint(dir, output())).rejects.toThrow(/model-00001-of-00003\.safetensors is not a valid safetensors file/);
  });

  it("a tensor missing from the shards", async () => {
    const dir = copyCheckpoint();
    const index = JSON.parse(readFileSync(join(dir, "model.safetensors.index.json"), "utf8"));
    const ckpt = openCheckpoint(dir);
    expect(ckpt.has("lm_head.weight")).toBe(true);
    ckpt.close();
    // Drop a whole shard and its index entries: the converter names the tensors it lacks.
    const dropped = "model-00003-of-00003.safetensors";
    for (const [k, v] of Object.entries(index.weight_map)) if (v === dropped) delete index.weight_map[k];
    writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify(index));
    rmSync(join(dir, dropped));
    await expect(convertCheckpoint(dir, output())).rejects.toThrow(/lacks /);
  });

  it("refuses to overwrite a non-empty output directory unless asked", async () => {
    const out = output();
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "keep.txt"), "x");
    await expect(convertCheckpoint(source, out)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(convertCheckpoint(source, out, { overwrite: true })).resolves.toHaveProperty("dir");
  });
});

describe("convertCheckpoint", () => {
  it("writes external data when asked, and the bundle loads the same", async () => {
    const inline = await convertCheckpoint(source, output());
    const external = await convertCheckpoint(source, output(), { externalData: "always" });
    expect(inline.files.some((f) => f.path.endsWith(".onnx_data"))).toBe(false);
    const data = external.files.filter((f) => f.path.endsWith(".onnx_data")).map((f) => f.path);
    expect(data).toEqual(["onnx/decoder_model_merged.onnx_data", "onnx/embed_tokens.onnx_data", "onnx/vision_encoder.onnx_data"]);
    const graph = external.files.find((f) => f.path === "onnx/decoder_model_merged.onnx")!;
    expect(graph.bytes).toBeLessThan(100_000);
    // What browsers fetch beside each graph, read from the graph's bytes.
    expect(externalDataLocations(readFileSync(join(external.dir, graph.path)))).toEqual(["decoder_model_merged.onnx_data"]);
    expect(externalDataLocations(readFileSync(join(inline.dir, graph.path)))).toEqual([]);
    const [a, b] = await Promise.all([loadRgeModel(inline.dir), loadRgeModel(external.dir)]);
    const input = { text: "same weights either way", image: join(source, "..", "images", "tall.png") };
    const [qa, qb] = [await a.embedQuery(input, { maxNewTokens: 6 }), await b.embedQuery(input, { maxNewTokens: 6 })];
    expect(qb.generatedIds).toEqual(qa.generatedIds);
    expect(Array.from(qb.embedding)).toEqual(Array.from(qa.embedding));
    await Promise.all([a.dispose(), b.dispose()]);
  });

  it("reports progress up to the total", async () => {
    const seen: number[] = [];
    let total = 0;
    await convertCheckpoint(source, output(), {
      onProgress: (p) => {
        seen.push(p.bytesDone);
        total = p.bytesTotal;
      },
    });
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.at(-1)).toBe(total);
    seen.forEach((v, i) => i > 0 && expect(v).toBeGreaterThanOrEqual(seen[i - 1]!));
  });
});
