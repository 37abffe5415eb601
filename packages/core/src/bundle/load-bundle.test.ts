import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BundleIncompleteError, BundleMismatchError, BundleNotFoundError, UnknownDtypeError } from "../errors.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { parseDtype } from "./dtype.js";
import { isHubId, readBundle } from "./load-bundle.js";

const dirs: { remove: () => void }[] = [];
function bundle() {
  const t = tempDir();
  dirs.push(t);
  writeTinyBundle(t.dir);
  return t.dir;
}
afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

function editJson(path: string, edit: (json: Record<string, unknown>) => void) {
  const json = JSON.parse(readFileSync(path, "utf8"));
  edit(json);
  writeFileSync(path, JSON.stringify(json));
}

describe("readBundle", () => {
  it("reads a complete bundle", () => {
    const b = readBundle(bundle(), "fp32");
    expect(b.manifest.embToken).toBe("<emb>");
    expect(b.config.text.numLayers).toBe(2);
    expect(b.graphs.decoder).toMatch(/onnx\/decoder_model_merged\.onnx$/);
  });

  it("names a missing directory", () => {
    expect(() => readBundle("/nonexistent/rge", "fp32")).toThrow(BundleNotFoundError);
  });

  it("lists every missing file of a partial bundle", () => {
    const dir = bundle();
    rmSync(join(dir, "onnx", "decoder_model_merged.onnx"));
    rmSync(join(dir, "tokenizer.json"));
    try {
      readBundle(dir, "fp32");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BundleIncompleteError);
      expect((error as BundleIncompleteError).missing).toEqual(["tokenizer.json", "onnx/decoder_model_merged.onnx"]);
      expect((error as BundleIncompleteError).code).toBe("RGE_BUNDLE_INCOMPLETE");
    }
  });

  it("says which dtype is absent", () => {
    expect(() => readBundle(bundle(), "q4")).toThrow(/no q4 graphs/);
  });

  it("rejects a manifest whose <emb> id disagrees with the tokenizer", () => {
    const dir = bundle();
    editJson(join(dir, "rge.json"), (m) => (m.embTokenId = 5));
    expect(() => readBundle(dir, "fp32")).toThrow(BundleMismatchError);
  });

  it("rejects a tokenizer without <emb>", () => {
    const dir = bundle();
    editJson(join(dir, "tokenizer.json"), (t) => {
      t.added_tokens = (t.added_tokens as { content: string }[]).filter((a) => a.content !== "<emb>");
    });
    expect(() => readBundle(dir, "fp32")).toThrow(/has no <emb> token/);
  });

  it("rejects an embedding dimension that is not the hidden size", () => {
    const dir = bundle();
    editJson(join(dir, "rge.json"), (m) => (m.embeddingDim = 64));
    expect(() => readBundle(dir, "fp32")).toThrow(BundleMismatchError);
  });

  it("rejects a manifest of another format version", () => {
    const dir = bundle();
    editJson(join(dir, "rge.json"), (m) => (m.formatVersion = 99));
    expect(() => readBundle(dir, "fp32")).toThrow(/format 1/);
  });
});

describe("dtype and hub ids", () => {
  it("maps dtypes to names and rejects unknown ones", () => {
    expect(parseDtype("q4")).toBe("q4");
    expect(() => parseDtype("int3")).toThrow(UnknownDtypeError);
  });

  it("tells hub ids from paths", () => {
    expect(isHubId("MCG-NJU/RGE")).toBe(true);
    expect(isHubId("./models/rge")).toBe(false);
    expect(isHubId("/abs/path")).toBe(false);
  });
});
