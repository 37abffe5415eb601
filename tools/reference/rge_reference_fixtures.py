"""Writes the parity fixtures for the converter and engine of @rge/core.

It builds a tiny random Qwen2_5_VLForConditionalGeneration checkpoint whose tokenizer has the `<emb>` token, runs
the procedure of the RGE reference implementation (MCG-NJU/RGE, inference.py) on it, and writes the checkpoint,
its inputs and the reference outputs under packages/core/src/convert/__fixtures__/reference/:

- queries: greedy `generate()` with `eos_token_id=<emb>` and `max_new_tokens`, using the KV cache and the
  checkpoint's generation config; then the last generated token is fed once more with the cache and the
  last-layer hidden state at that position is the embedding (L2-normalized);
- targets: prompt + `<emb>`, one forward pass, hidden state at the first `<emb>` (L2-normalized), both one at a
  time and as one left-padded batch.

Everything runs in float32 on the CPU with eager attention, so the TypeScript side can be held to 1e-4.
Only the TypeScript tests read the fixtures; they need no Python. Usage (from the repository root):

    python -m venv .venv-ref && .venv-ref/bin/pip install -r tools/reference/requirements-reference.txt
    .venv-ref/bin/python tools/reference/rge_reference_fixtures.py
"""

import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import tokenizers
import torch
import torch.nn.functional as F
import transformers
from PIL import Image
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers
from transformers import (
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLProcessor,
    Qwen2TokenizerFast,
    Qwen2VLImageProcessor,
)

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "packages/core/src/convert/__fixtures__/reference"
SEED = 20251120
MAX_NEW_TOKENS = 24
EMB_STRENGTH = 3.0

# Qwen2-VL's chat layout: default system turn, text or typed content parts, generation prompt.
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if loop.first and message['role'] != 'system' -%}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{%- endif -%}"
    "<|im_start|>{{ message['role'] }}\n"
    "{%- if message['content'] is string -%}{{ message['content'] }}"
    "{%- else -%}{%- for part in message['content'] -%}"
    "{%- if part['type'] == 'image' -%}<|vision_start|><|image_pad|><|vision_end|>"
    "{%- elif part['type'] == 'text' -%}{{ part['text'] }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "<|im_end|>\n"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}<|im_start|>assistant\n{%- endif -%}"
)

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
MERGES = [("Ġ", "t"), ("h", "e"), ("Ġt", "he"), ("i", "n"), ("Ġ", "a"), ("e", "r"), ("o", "n"), ("Ġ", "i"), ("a", "n"), ("Ġ", "s"), ("e", "s"), ("in", "g")]

VISION = "<|vision_start|><|image_pad|><|vision_end|>"
QUERIES = [
    {"name": "text-short", "text": "red car", "instruction": "Describe and represent the following query for retrieval:"},
    {"name": "text-long", "text": "Where is the nearest bakery that sells sourdough in the city?", "instruction": "Describe and represent the following query for retrieval:"},
    {"name": "image-question", "image": "wide.png", "text": "What is in the image?", "instruction": "Answer the question based on the given image:"},
    {"name": "image-question-2", "image": "tall.png", "text": "Which colour dominates?", "instruction": "Answer a question based on the given image:"},
    {"name": "image-only", "image": "square.png", "instruction": "Describe and represent the given image for retrieval."},
]
TARGETS = [
    {"name": "answer", "text": "A cat and a dog.", "instruction": "Summarize the following answer in one word:"},
    {"name": "passage", "text": "The bakery on Main Street sells sourdough every morning.", "instruction": "Summarize the following passage in one word:"},
    {"name": "image", "image": "wide.png", "instruction": "Summarize the given image in one word."},
]


def user_text(item):
    body = " ".join(s for s in [item.get("instruction", ""), item.get("text", "")] if s)
    return (VISION + "\n" if "image" in item else "") + body + "\n"


def bytes_to_unicode():
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def make_tokenizer(directory: Path):
    vocab = {ch: b for b, ch in bytes_to_unicode().items()}
    for a, b in MERGES:
        vocab[a + b] = len(vocab)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=MERGES, fuse_unk=False, byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in SPECIALS])
    fast = Qwen2TokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token=None, bos_token=None)
    fast.padding_side = "left"
    fast.chat_template = CHAT_TEMPLATE
    # RGE's released tokenizer carries <emb> as an added special token after Qwen's own.
    fast.add_tokens([AddedToken("<emb>", special=True, normalized=False)], special_tokens=True)
    return fast


def make_images(directory: Path):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    specs = {"wide.png": (150, 96), "tall.png": (70, 130), "square.png": (84, 84)}
    for name, (w, h) in specs.items():
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) * 7) % 256], axis=-1)
        noise = rng.integers(0, 40, size=(h, w, 3))
        Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8), "RGB").save(directory / name)


def make_model(tokenizer):
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIALS + ["<emb>"]}
    config = Qwen2_5_VLConfig(
        vocab_size=288,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        rms_norm_eps=1e-6,
        rope_theta=1000000.0,
        rope_scaling={"type": "mrope", "mrope_section": [2, 3, 3]},
        tie_word_embeddings=False,
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        vision_config={
            "depth": 2,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "out_hidden_size": 64,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "fullatt_block_indexes": [1],
            "in_chans": 3,
            "hidden_act": "silu",
        },
        torch_dtype="float32",
        attn_implementation="eager",
    )
    torch.manual_seed(SEED)
    model = Qwen2_5_VLForConditionalGeneration(config).eval()
    # Weights large enough that logits have clear margins (argmax stable under float reordering).
    gen = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight") or "norm1" in name or "norm2" in name or "ln_q" in name or "layernorm" in name:
                p.copy_(1 + 0.1 * torch.randn(p.shape, generator=gen))
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif "embed_tokens" in name or name == "lm_head.weight":
                p.copy_(torch.randn(p.shape, generator=gen))
            else:
                fan_in = math.prod(p.shape[1:])
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(fan_in))
        # <emb> wins when the hidden state leans along one direction: rationales stop at varied steps.
        emb = ids["<emb>"]
        model.lm_head.weight[emb] = EMB_STRENGTH * torch.randn(config.hidden_size, generator=gen)
    model.generation_config.do_sample = True
    model.generation_config.temperature = 1e-6
    model.generation_config.top_k = 1
    model.generation_config.repetition_penalty = 1.05
    model.generation_config.eos_token_id = [ids["<|im_end|>"], ids["<|endoftext|>"]]
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    return model


@torch.no_grad()
def reference_query(model, processor, emb_id, prompt, image):
    inputs = processor(text=prompt, images=[image] if image is not None else None, return_tensors="pt")
    torch.manual_seed(0)
    out = model.generate(
        **inputs,
        return_dict_in_generate=True,
        max_new_tokens=MAX_NEW_TOKENS,
        eos_token_id=emb_id,
        use_cache=True,
    )
    prompt_len = inputs["input_ids"].shape[1]
    generated = out.sequences[0][prompt_len:].tolist()
    past = out.past_key_values.get_seq_length()
    step = model(
        input_ids=out.sequences[:, -1:],
        past_key_values=out.past_key_values,
        cache_position=torch.arange(past, past + 1),
        output_hidden_states=True,
        use_cache=True,
    )
    embedding = F.normalize(step.hidden_states[-1][:, -1, :], p=2, dim=-1)[0]
    return inputs, generated, embedding


@torch.no_grad()
def reference_targets(model, processor, emb_id, prompts, images):
    inputs = processor(text=prompts, images=images or None, return_tensors="pt", padding=True)
    hidden = model(**inputs, output_hidden_states=True).hidden_states[-1]
    at = torch.argmax((inputs["input_ids"] == emb_id).int(), dim=1)
    return inputs, F.normalize(hidden[torch.arange(len(at)), at], p=2, dim=-1)


def floats(t):
    return [float(v) for v in t.reshape(-1).tolist()]


def main():
    if OUT.exists():
        shutil.rmtree(OUT)
    checkpoint = OUT / "checkpoint"
    images_dir = OUT / "images"
    make_images(images_dir)
    tokenizer = make_tokenizer(checkpoint)
    image_processor = Qwen2VLImageProcessor(min_pixels=28 * 28 * 16, max_pixels=28 * 28 * 64)
    processor = Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tokenizer, chat_template=CHAT_TEMPLATE)
    model = make_model(tokenizer)
    emb_id = tokenizer.convert_tokens_to_ids("<emb>")

    model.save_pretrained(checkpoint, safe_serialization=True, max_shard_size="400KB")
    processor.save_pretrained(checkpoint)

    def prompt_of(item, target):
        messages = [{"role": "user", "content": [{"type": "text", "text": user_text(item)}]}]
        text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return text + ("<emb>" if target else "")

    def image_of(item):
        return Image.open(images_dir / item["image"]) if "image" in item else None

    queries = []
    for item in QUERIES:
        prompt = prompt_of(item, False)
        inputs, generated, embedding = reference_query(model, processor, emb_id, prompt, image_of(item))
        queries.append(
            {
                **item,
                "user_text": user_text(item),
                "prompt": prompt,
                "input_ids": inputs["input_ids"][0].tolist(),
                "image_grid_thw": inputs["image_grid_thw"].tolist() if "image_grid_thw" in inputs else [],
                "pixel_values_sha256": hashlib.sha256(inputs["pixel_values"].numpy().astype("<f4").tobytes()).hexdigest() if "pixel_values" in inputs else None,
                "generated_ids": generated,
                "generated_text": tokenizer.decode(generated, skip_special_tokens=False),
                "stopped_by": "emb" if generated and generated[-1] == emb_id else "maxNewTokens",
                "embedding": floats(embedding),
            }
        )

    targets = []
    for item in TARGETS:
        prompt = prompt_of(item, True)
        image = image_of(item)
        inputs, embedding = reference_targets(model, processor, emb_id, [prompt], [image] if image else [])
        targets.append({**item, "user_text": user_text(item), "prompt": prompt, "input_ids": inputs["input_ids"][0].tolist(), "embedding": floats(embedding[0])})
    batch_prompts = [prompt_of(item, True) for item in TARGETS]
    batch_images = [image_of(item) for item in TARGETS if "image" in item]
    _, batch_embeddings = reference_targets(model, processor, emb_id, batch_prompts, batch_images)

    script = Path(__file__).read_bytes()
    reference = {
        "script_sha256": hashlib.sha256(script).hexdigest(),
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__, "numpy": np.__version__},
        "emb_token": "<emb>",
        "emb_token_id": emb_id,
        "max_new_tokens": MAX_NEW_TOKENS,
        "min_pixels": image_processor.min_pixels,
        "max_pixels": image_processor.max_pixels,
        "queries": queries,
        "targets": targets,
        "target_batch_embeddings": [floats(e) for e in batch_embeddings],
    }
    (OUT / "reference.json").write_text(json.dumps(reference, indent=1) + "\n")
    stops = [q["stopped_by"] + ":" + str(len(q["generated_ids"])) for q in queries]
    print("wrote", OUT, "query stops:", stops)


if __name__ == "__main__":
    main()
