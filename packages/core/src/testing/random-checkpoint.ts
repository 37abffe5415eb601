import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Shapes of a Qwen2.5-VL checkpoint, in Hugging Face `config.json` field names. */
export interface CheckpointShapes {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  vocab_size: number;
  tie_word_embeddings: boolean;
  vision_config: {
    depth: number;
    hidden_size: number;
    intermediate_size: number;
    num_heads: number;
    out_hidden_size: number;
    patch_size: number;
    temporal_patch_size: number;
    spatial_merge_size: number;
    window_size: number;
    fullatt_block_indexes: number[];
    in_chans: number;
  };
}

/** The shapes of Qwen2.5-VL-3B-Instruct (and so of RGE). */
export const QWEN2_5_VL_3B_SHAPES: CheckpointShapes = {
  hidden_size: 2048,
  intermediate_size: 11008,
  num_hidden_layers: 36,
  num_attention_heads: 16,
  num_key_value_heads: 2,
  vocab_size: 151936,
  tie_word_embeddings: true,
  vision_config: {
    depth: 32,
    hidden_size: 1280,
    intermediate_size: 3420,
    num_heads: 16,
    out_hidden_size: 2048,
    patch_size: 14,
    temporal_patch_size: 2,
    spatial_merge_size: 2,
    window_size: 112,
    fullatt_block_indexes: [7, 15, 23, 31],
    in_chans: 3,
  },
};

/** Every parameter of a Qwen2.5-VL checkpoint with its shape, in transformers 4.51 names. */
export function checkpointTensors(s: CheckpointShapes): [string, number[]][] {
  const t: [string, number[]][] = [];
  const H = s.hidden_size;
  const kv = (H / s.num_attention_heads) * s.num_key_value_heads;
  t.push(["model.embed_tokens.weight", [s.vocab_size, H]]);
  for (let i = 0; i < s.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    t.push([`${p}.input_layernorm.weight`, [H]], [`${p}.post_attention_layernorm.weight`, [H]]);
    t.push([`${p}.self_attn.q_proj.weight`, [H, H]], [`${p}.self_attn.q_proj.bias`, [H]]);
    t.push([`${p}.self_attn.k_proj.weight`, [kv, H]], [`${p}.self_attn.k_proj.bias`, [kv]]);
    t.push([`${p}.self_attn.v_proj.weight`, [kv, H]], [`${p}.self_attn.v_proj.bias`, [kv]]);
    t.push([`${p}.self_attn.o_proj.weight`, [H, H]]);
    t.push([`${p}.mlp.gate_proj.weight`, [s.intermediate_size, H]], [`${p}.mlp.up_proj.weight`, [s.intermediate_size, H]]);
    t.push([`${p}.mlp.down_proj.weight`, [H, s.intermediate_size]]);
  }
  t.push(["model.norm.weight", [H]]);
  if (!s.tie_word_embeddings) t.push(["lm_head.weight", [s.vocab_size, H]]);
  const v = s.vision_config;
  t.push(["visual.patch_embed.proj.weight", [v.hidden_size, v.in_chans, v.temporal_patch_size, v.patch_size, v.patch_size]]);
  for (let i = 0; i < v.depth; i++) {
    const p = `visual.blocks.${i}`;
    t.push([`${p}.norm1.weight`, [v.hidden_size]], [`${p}.norm2.weight`, [v.hidden_size]]);
    t.push([`${p}.attn.qkv.weight`, [3 * v.hidden_size, v.hidden_size]], [`${p}.attn.qkv.bias`, [3 * v.hidden_size]]);
    t.push([`${p}.attn.proj.weight`, [v.hidden_size, v.hidden_size]], [`${p}.attn.proj.bias`, [v.hidden_size]]);
    for (const [n, o, i2] of [["gate_proj", v.intermediate_size, v.hidden_size], ["up_proj", v.intermediate_size, v.hidden_size], ["down_proj", v.hidden_size, v.intermediate_size]] as const) {
      t.push([`${p}.mlp.${n}.weight`, [o, i2]], [`${p}.mlp.${n}.bias`, [o]]);
    }
  }
  const merged = v.hidden_size * v.spatial_merge_size ** 2;
  t.push(["visual.merger.ln_q.weight", [v.hidden_size]]);
  t.push(["visual.merger.mlp.0.weight", [merged, merged]], ["visual.merger.mlp.0.bias", [merged]]);
  t.push(["visual.merger.mlp.2.weight", [v.out_hidden_size, merged]], ["visual.merger.mlp.2.bias", [v.out_hidden_size]]);
  return t;
}

/**
 * Writes a random-weight bf16 checkpoint of the given shapes (sharded safetensors + index + config),
 * with the tokenizer, processor and template files copied from `filesFrom`. For converter benchmarks:
 * a 3B-shaped checkpoint is ~7.5 GB and takes a minute or two to write.
 */
export function writeRandomCheckpoint(
  dir: string,
  shapes: CheckpointShapes,
  filesFrom: string,
  options: {
    shardBytes?: number;
    seed?: number;
    /** Scale of the `<emb>` row of an untied lm_head (rationales end sooner when larger). Default: random like the rest. */
    embStrength?: number;
  } = {},
): void {
  mkdirSync(dir, { recursive: true });
  const tokenizer = JSON.parse(readFileSync(join(filesFrom, "tokenizer.json"), "utf8")) as { added_tokens: { id: number; content: string }[] };
  const tokenId = (content: string) => {
    const id = tokenizer.added_tokens.find((t) => t.content === content)?.id;
    if (id === undefined) throw new Error(`${filesFrom}/tokenizer.json has no ${content}`);
    return id;
  };
  const embId = tokenId("<emb>");
  const shardBytes = options.shardBytes ?? 4e9;
  const tensors = checkpointTensors(shapes);
  const shards: [string, number[]][][] = [[]];
  let size = 0;
  for (const t of tensors) {
    const bytes = t[1].reduce((a, b) => a * b, 1) * 2;
    if (size + bytes > shardBytes && shards.at(-1)!.length > 0) {
      shards.push([]);
      size = 0;
    }
    shards.at(-1)!.push(t);
    size += bytes;
  }
  let state = (options.seed ?? 1) >>> 0 || 1;
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const weightMap: Record<string, string> = {};
  shards.forEach((shard, k) => {
    const file = `model-${String(k + 1).padStart(5, "0")}-of-${String(shards.length).padStart(5, "0")}.safetensors`;
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const [name, shape] of shard) {
      const bytes = shape.reduce((a, b) => a * b, 1) * 2;
      header[name] = { dtype: "BF16", shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
      weightMap[name] = file;
    }
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const fd = openSync(join(dir, file), "w");
    writeSync(fd, length);
    writeSync(fd, json);
    for (const [name, shape] of shard) {
      const count = shape.reduce((a, b) => a * b, 1);
      const isNorm = /norm|ln_q/.test(name);
      const scale = isNorm ? 0 : 1 / Math.sqrt(shape.at(-1)!);
      const embRowAt = name === "lm_head.weight" && options.embStrength !== undefined ? embId * shape[1]! : -1;
      const chunk = new Uint16Array(Math.min(count, 1 << 22));
      for (let done = 0; done < count; done += chunk.length) {
        const n = Math.min(chunk.length, count - done);
        for (let i = 0; i < n; i++) {
          state ^= state << 13;
          state ^= state >>> 17;
          state ^= state << 5;
          const uniform = ((state >>> 0) / 4294967296) * 2 - 1; // [-1, 1): std 0.577
          const at = done + i;
          const inEmbRow = embRowAt >= 0 && at >= embRowAt && at < embRowAt + shape[1]!;
          const value = isNorm ? 1 : inEmbRow ? uniform * options.embStrength! * 1.7 : uniform * scale * 1.7;
          f32[0] = value;
          chunk[i] = u32[0]! >>> 16;
        }
        writeSync(fd, new Uint8Array(chunk.buffer, 0, n * 2));
      }
    }
    closeSync(fd);
  });
  writeFileSync(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
  const config = {
    architectures: ["Qwen2_5_VLForConditionalGeneration"],
    model_type: "qwen2_5_vl",
    ...shapes,
    head_dim: shapes.hidden_size / shapes.num_attention_heads,
    rms_norm_eps: 1e-6,
    rope_theta: 1_000_000,
    rope_scaling: { type: "mrope", mrope_section: mropeSection(shapes.hidden_size / shapes.num_attention_heads) },
    max_position_embeddings: 128000,
    torch_dtype: "bfloat16",
    image_token_id: tokenId("<|image_pad|>"),
    video_token_id: tokenId("<|video_pad|>"),
    vision_start_token_id: tokenId("<|vision_start|>"),
    vision_end_token_id: tokenId("<|vision_end|>"),
    vision_config: { ...shapes.vision_config, model_type: "qwen2_5_vl", hidden_act: "silu" },
  };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2));
  for (const f of ["tokenizer_config.json", "preprocessor_config.json", "generation_config.json", "chat_template.json"]) {
    copyFileSync(join(filesFrom, f), join(dir, f));
  }
  // Every id the model can generate must decode: pad the tokenizer with plain added tokens up to the vocabulary.
  const known = new Set(tokenizer.added_tokens.map((t) => t.id));
  const base = Math.max(...tokenizer.added_tokens.map((t) => t.id)) + 1;
  for (let id = base; id < shapes.vocab_size; id++) {
    if (!known.has(id)) tokenizer.added_tokens.push({ id, content: `<|x${id}|>`, special: false, normalized: false, single_word: false, lstrip: false, rstrip: false } as never);
  }
  writeFileSync(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
}

/** Qwen2.5-VL's split of the rotary half-dimension over (t, h, w): 1 : 1.5 : 1.5 ([16, 24, 24] for head_dim 128). */
function mropeSection(headDim: number): [number, number, number] {
  return [headDim / 8, (headDim * 3) / 16, (headDim * 3) / 16];
}
