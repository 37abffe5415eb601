/**
 * A byte-level BPE tokenizer in Hugging Face `tokenizer.json` form: the 256 byte tokens (GPT-2 byte-to-
 * unicode alphabet, id = byte value), no merges, and Qwen2.5-VL's special tokens plus `<emb>` after them.
 */

export const TINY_SPECIAL_TOKENS = [
  "<|endoftext|>",
  "<|im_start|>",
  "<|im_end|>",
  "<|vision_start|>",
  "<|vision_end|>",
  "<|image_pad|>",
  "<|video_pad|>",
  "<emb>",
] as const;

/** Qwen2-VL's chat layout, written for the tiny model: default system turn, inline image items. */
export const TINY_CHAT_TEMPLATE = [
  "{%- for message in messages -%}",
  "{%- if loop.first and message['role'] != 'system' -%}",
  "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n",
  "{%- endif -%}",
  "<|im_start|>{{ message['role'] }}\n",
  "{%- if message['content'] is string -%}{{ message['content'] }}",
  "{%- else -%}{%- for part in message['content'] -%}",
  "{%- if part['type'] == 'image' -%}<|vision_start|><|image_pad|><|vision_end|>",
  "{%- elif part['type'] == 'text' -%}{{ part['text'] }}{%- endif -%}",
  "{%- endfor -%}{%- endif -%}",
  "<|im_end|>\n",
  "{%- endfor -%}",
  "{%- if add_generation_prompt -%}<|im_start|>assistant\n{%- endif -%}",
].join("");

function bytesToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 33; b <= 126; b++) printable.push(b);
  for (let b = 161; b <= 172; b++) printable.push(b);
  for (let b = 174; b <= 255; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return table;
}

export function tinyTokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  bytesToUnicode().forEach((ch, id) => (vocab[ch] = id));
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: TINY_SPECIAL_TOKENS.map((content, i) => ({
      id: 256 + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: "NFC" },
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: byteLevel,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}

export function tinyTokenizerConfig(): Record<string, unknown> {
  return {
    tokenizer_class: "Qwen2Tokenizer",
    chat_template: TINY_CHAT_TEMPLATE,
    bos_token: null,
    eos_token: "<|im_end|>",
    pad_token: "<|endoftext|>",
    unk_token: null,
    padding_side: "left",
    model_max_length: 32768,
    clean_up_tokenization_spaces: false,
    errors: "replace",
    split_special_tokens: false,
    added_tokens_decoder: Object.fromEntries(
      TINY_SPECIAL_TOKENS.map((content, i) => [
        String(256 + i),
        { content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      ]),
    ),
  };
}
