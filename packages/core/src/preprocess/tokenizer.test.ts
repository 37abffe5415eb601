import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BundleTokenizer } from "./tokenizer.js";

// The tokenizer and prompts the Python reference (transformers 4.51.3) wrote with the parity fixtures.
const fixtures = join(import.meta.dirname, "..", "convert", "__fixtures__", "reference");
const readJson = (file: string) => JSON.parse(readFileSync(join(fixtures, file), "utf8")) as Record<string, unknown>;
const tokenizerJson = readJson("checkpoint/tokenizer.json");
const tokenizerConfig = readJson("checkpoint/tokenizer_config.json");
const reference = readJson("reference.json") as {
  queries: { user_text: string; prompt: string; input_ids: number[]; generated_ids: number[]; generated_text: string }[];
  targets: { user_text: string; prompt: string; input_ids: number[] }[];
};
const items = [...reference.queries.map((q) => ({ ...q, emb: "" })), ...reference.targets.map((t) => ({ ...t, emb: "<emb>" }))];
const tokenizer = new BundleTokenizer(tokenizerJson, tokenizerConfig);
const [imagePadId] = tokenizer.encode("<|image_pad|>");
/** The reference prompt with its image placeholder expanded as the processor did (one pad per merged patch). */
const expanded = (item: { prompt: string; input_ids: number[] }) =>
  item.prompt.replace("<|image_pad|>", "<|image_pad|>".repeat(item.input_ids.filter((id) => id === imagePadId).length));

describe("BundleTokenizer against the Python reference", () => {
  it("renders the reference's prompts from the chat template", () => {
    for (const item of items) {
      const rendered = tokenizer.applyChatTemplate([{ role: "user", content: item.user_text }], { addGenerationPrompt: true });
      expect(rendered + item.emb).toBe(item.prompt);
    }
  });

  it("encodes each prompt to the reference's input ids, adding no special tokens of its own", () => {
    for (const item of items) expect(tokenizer.encode(expanded(item))).toEqual(item.input_ids);
  });

  it("decodes the prompt ids back to the prompt, and the generated ids to the reference's text", () => {
    for (const item of items) expect(tokenizer.decode(item.input_ids)).toBe(expanded(item));
    for (const query of reference.queries) expect(tokenizer.decode(query.generated_ids)).toBe(query.generated_text);
  });
});

describe("BundleTokenizer", () => {
  it("pads with tokenizer_config's pad_token, else its eos_token", () => {
    expect(tokenizer.padTokenId).toBe(tokenizer.encode("<|endoftext|>")[0]);
    const noPad = new BundleTokenizer(tokenizerJson, { ...tokenizerConfig, pad_token: null });
    expect(noPad.padTokenId).toBe(tokenizer.encode("<|im_end|>")[0]);
    expect(new BundleTokenizer(tokenizerJson, { ...tokenizerConfig, pad_token: null, eos_token: null }).padTokenId).toBeUndefined();
  });

  it("lists the special added tokens, <emb> among them", () => {
    expect(tokenizer.specialTokens).toEqual(expect.arrayContaining(["<|im_start|>", "<|im_end|>", "<|image_pad|>", "<emb>"]));
  });

  it("keeps special tokens when decoding unless told to skip them", () => {
    const ids = tokenizer.encode("<|im_start|>hi<emb>");
    expect(tokenizer.decode(ids)).toBe("<|im_start|>hi<emb>");
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe("hi");
  });

  it("decodes no ids to the empty string", () => {
    expect(tokenizer.decode([])).toBe("");
  });

  it("passes the special tokens to the template by name, tools and documents as none", () => {
    const template = "{{ eos_token }}|{{ pad_token }}|{{ bos_token }}|{{ tools is none }}|{{ documents is none }}|{{ messages[0].content }}";
    const config = { ...tokenizerConfig, chat_template: template, bos_token: { __type: "AddedToken", content: "<|endoftext|>" } };
    expect(new BundleTokenizer(tokenizerJson, config).applyChatTemplate([{ role: "user", content: "x" }])).toBe(
      "<|im_end|>|<|endoftext|>|<|endoftext|>|true|true|x",
    );
  });
});
