"""Trains the demo model: a tiny RGE (Qwen2_5_VLForConditionalGeneration, about 1M parameters) that really reasons.

The task is two-step arithmetic, where writing the steps down is what makes the answer easy to embed:

    query     "Describe and represent the following query for retrieval: what is 37 plus 45 minus 21 ?"
    rationale "37 + 45 = 82 . 82 - 21 = 61 ." then <emb>
    target    "Summarize the following passage in one word: sixty one"   (one of 199 candidates, 0..198 in words)

The prompts are the library's default instructions, so `embedQueries([{ text }])` and `embedTargets([{ text }])`
in @rge/core send exactly what the model was trained on.

Two models of the same architecture, trained from the same seed:

- RGE, the paper's recipe: LM loss on the gold rationale ending in <emb>, plus in-batch InfoNCE (temperature 0.05,
  same-answer targets masked) between the query's <emb> state and the target's <emb> state. Phase 1 reads the
  query's <emb> state after the gold rationale (teacher forcing); phase 2 after the model's own greedy rationale,
  generated on the fly, because with teacher forcing the gold rationale already holds the answer and the
  contrastive loss falls to ~0 without teaching the embedding to survive the model's own mistakes.
- Direct: the baseline, query + <emb> with no rationale, InfoNCE only, trained for at least as long (wall clock).

Held out: every query whose unordered operand pair {A, B} is in a held-out set of pairs (15% of them); no
training query adds those two numbers, so the first step of each held-out rationale is an addition fact the model
never saw. P@1 is measured on held-out queries against all 199 candidates, with weights rounded to fp16 as shipped.

Writes examples/demo-model/model/: `checkpoint/` (the RGE model, fp16 safetensors, tokenizer, chat template,
preprocessor and generation configs), `direct-baseline/` (the baseline, same files), `heldout.json` (the held-out
queries the JS mini benchmark is built from) and `metrics.json` (P@1 figures, times, the script's sha256, the
versions). Usage (from the repository root; 2 CPU threads, about 12 minutes):

    python3.11 -m venv /tmp/venv-demo && /tmp/venv-demo/bin/pip install -r tools/demo-model/requirements-demo-model.txt
    /tmp/venv-demo/bin/python tools/demo-model/train_demo_model.py
"""

import argparse
import hashlib
import json
import math
import random
import shutil
import time
from pathlib import Path

import numpy as np
import tokenizers
import torch
import torch.nn.functional as F
import transformers
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers
from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor, Qwen2TokenizerFast, Qwen2VLImageProcessor
from transformers.cache_utils import DynamicCache

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "examples/demo-model/model"
SEED = 20251121
THREADS = 1  # torch on 2 shared cores: one thread ran faster than two here (and leaves a core to the others)

# The task.
import os
DIGITS = os.environ.get("DEMO_DIGITS") == "1"
CLIP = float(os.environ.get("DEMO_CLIP", "1.0"))
NCE_WEIGHT = float(os.environ.get("DEMO_NCE", "1.0"))
OPERANDS = range(10, 50) if DIGITS else range(1, 100)  # A, B; C in 1..A+B-1 (10..A+B-10 with digits: all two-digit)
CANDIDATES = range(0, 200)  # the candidate pool, in words
HELDOUT_PAIR_FRACTION = 0.15
HELDOUT_EVAL = 600  # held-out queries scored here and written for the JS mini benchmark
QUERY_INSTRUCTION = "Describe and represent the following query for retrieval:"
TARGET_INSTRUCTION = "Summarize the following passage in one word:"

# Training.
BATCH = 128
LR = 2e-3
TEMPERATURE = 0.05
RGE_TEACHER_STEPS = 700
RGE_SELF_STEPS = 250
DIRECT_STEPS = 1500  # set so that the baseline trains at least as long as RGE on this machine (checked, printed)
MAX_NEW_TOKENS = 20

# Qwen2.5-VL's chat template, as its tokenizer_config.json ships it.
CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n"
    "{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>",
]
EMB = "<emb>"

ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def in_words(n):
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    rest = n % 100
    return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + in_words(rest))


def query_text(a, b, c):
    return f"what is {a} plus {b} minus {c} ?"


def rationale_text(a, b, c):
    return f"{a} + {b} = {a + b} . {a + b} - {c} = {a + b - c} ."


def user_turn(instruction, text):
    # @rge/core's userText: `{instruction} {text}\n`.
    return f"{instruction} {text}\n"


def prompt(instruction, text):
    return f"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{user_turn(instruction, text)}<|im_end|>\n<|im_start|>assistant\n"


# ---------------------------------------------------------------------------------------------------------------
# Tokenizer: one token per word, number or punctuation mark; decoding joins them with spaces ("37 + 45 = 82 .").


def make_tokenizer():
    words = set()
    for text in [QUERY_INSTRUCTION, TARGET_INSTRUCTION, "system user assistant you are a helpful assistant .",
                 query_text(1, 2, 3), rationale_text(1, 2, 3)] + [in_words(n) for n in CANDIDATES]:
        words.update(w for w, _ in pre_tokenizers.Whitespace().pre_tokenize_str(text.lower()))
    words -= {str(n) for n in range(1000)}
    vocab = {"[UNK]": 0}
    numbers = [str(d) for d in range(10)] + [f"##{d}" for d in range(10)] if DIGITS else [str(n) for n in CANDIDATES]
    for w in sorted(words) + numbers:
        vocab.setdefault(w, len(vocab))
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in SPECIALS])
    fast = Qwen2TokenizerFast(
        tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>", unk_token="[UNK]", bos_token=None,
        clean_up_tokenization_spaces=False,
    )
    fast.padding_side = "left"
    fast.chat_template = CHAT_TEMPLATE
    fast.add_tokens([AddedToken(EMB, special=True, normalized=False)], special_tokens=True)
    return fast


def make_model(tokenizer):
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIALS + [EMB]}
    config = Qwen2_5_VLConfig(
        vocab_size=len(tokenizer),
        hidden_size=128,
        intermediate_size=512,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        rms_norm_eps=1e-6,
        rope_theta=10000.0,
        rope_scaling={"type": "mrope", "mrope_section": [4, 6, 6]},
        tie_word_embeddings=True,
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|im_end|>"],
        pad_token_id=ids["<|endoftext|>"],
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        vision_config={
            "depth": 2, "hidden_size": 64, "intermediate_size": 128, "num_heads": 2, "out_hidden_size": 128,
            "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 112,
            "fullatt_block_indexes": [1], "in_chans": 3, "hidden_act": "silu",
        },
        torch_dtype="float32",
        attn_implementation="sdpa",
    )
    model = Qwen2_5_VLForConditionalGeneration(config)
    model.generation_config.do_sample = False
    model.generation_config.eos_token_id = ids[EMB]  # RGE's reference stops generate() at <emb>
    model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.generation_config.max_new_tokens = MAX_NEW_TOKENS
    return model


# ---------------------------------------------------------------------------------------------------------------
# Data.


def split_pairs(rng):
    pairs = sorted({(min(a, b), max(a, b)) for a in OPERANDS for b in OPERANDS})
    rng.shuffle(pairs)
    held = set(pairs[: int(len(pairs) * HELDOUT_PAIR_FRACTION)])
    return held


def sample_triples(rng, n, held, want_held):
    out = []
    while len(out) < n:
        a, b = rng.choice(OPERANDS), rng.choice(OPERANDS)
        if ((min(a, b), max(a, b)) in held) != want_held:
            continue
        c = rng.randint(10, a + b - 10) if DIGITS else rng.randint(1, a + b - 1)
        out.append((a, b, c))
    return out


class Encoder:
    """Token ids of prompts, rationales and targets. Every number is one token, so all queries share one length; the
    system turn and the instruction are a prefix shared by every query (and another by every target)."""

    def __init__(self, tokenizer):
        self.tok = tokenizer
        self.emb = tokenizer.convert_tokens_to_ids(EMB)
        self.pad = tokenizer.convert_tokens_to_ids("<|endoftext|>")
        self.cache = {}
        self.query_prefix = common_prefix(self.ids(prompt(QUERY_INSTRUCTION, query_text(1, 2, 3))), self.ids(prompt(QUERY_INSTRUCTION, query_text(4, 5, 6))))
        self.target_prefix = common_prefix(self.ids(prompt(TARGET_INSTRUCTION, in_words(0))), self.ids(prompt(TARGET_INSTRUCTION, in_words(198))))

    def ids(self, text):
        if text not in self.cache:
            self.cache[text] = self.tok(text, add_special_tokens=False)["input_ids"]
        return self.cache[text]

    def query_prompt(self, t):
        return self.ids(prompt(QUERY_INSTRUCTION, query_text(*t)))

    def query_suffix(self, t):
        return self.query_prompt(t)[len(self.query_prefix) :]

    def rationale(self, t):
        return self.ids(rationale_text(*t)) + [self.emb]

    def target_suffix(self, y):
        return self.ids(prompt(TARGET_INSTRUCTION, in_words(y)))[len(self.target_prefix) :] + [self.emb]


def common_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class FastDecoder:
    """The text decoder of Qwen2.5-VL for text-only input, run on the Hugging Face model's own modules with the same
    arithmetic as `model.model` (checked against it by `check_fast_path`), but with a prompt prefix shared by a whole
    batch computed once, and a plain KV cache: on 2 shared CPU cores the generic forward costs several times more.
    For text, M-RoPE's three position axes are equal, which is ordinary RoPE."""

    def __init__(self, model):
        self.model = model
        config = model.config
        self.heads, self.kv_heads = config.num_attention_heads, config.num_key_value_heads
        self.head_dim = config.hidden_size // self.heads

    def forward(self, ids, start, past=None):
        """ids (B, L) at positions start..start+L-1, after the keys and values `past` (one (k, v) per layer, batch 1
        or B). Right padding needs no mask: a real token never attends to a later position. Returns the last-layer
        hidden states after the final norm and the keys and values including `past`."""
        batch, length = ids.shape
        inner = self.model.model
        x = inner.embed_tokens(ids)
        freqs = torch.arange(start, start + length, dtype=torch.float32)[:, None] * inner.rotary_emb.inv_freq[None]
        angles = torch.cat((freqs, freqs), dim=-1)
        cos, sin = angles.cos(), angles.sin()
        before = 0 if past is None else past[0][0].shape[2]
        mask = torch.ones(length, before + length, dtype=torch.bool).tril(before)
        kv = []
        for i, layer in enumerate(inner.layers):
            attn = layer.self_attn
            h = layer.input_layernorm(x)
            q = attn.q_proj(h).view(batch, length, self.heads, self.head_dim).transpose(1, 2)
            k = attn.k_proj(h).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
            v = attn.v_proj(h).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if past is not None:
                pk, pv = past[i]
                k = torch.cat((pk.expand(batch, -1, -1, -1), k), dim=2)
                v = torch.cat((pv.expand(batch, -1, -1, -1), v), dim=2)
            kv.append((k, v))
            repeat = self.heads // self.kv_heads
            o = F.scaled_dot_product_attention(q, k.repeat_interleave(repeat, 1), v.repeat_interleave(repeat, 1), attn_mask=mask)
            x = x + attn.o_proj(o.transpose(1, 2).reshape(batch, length, -1))
            x = x + layer.mlp(layer.post_attention_layernorm(x))
        return inner.norm(x), kv

    def prefix(self, ids):
        return self.forward(torch.tensor([ids]), 0)[1]

    def embed(self, prefix_ids, suffixes, pad):
        """Rows = shared prefix + own suffix (right-padded); returns the normalized state at each row's last token, the
        suffix hidden states and the padded suffix ids."""
        ids, mask = right_pad(suffixes, pad)
        h, _ = self.forward(ids, len(prefix_ids), self.prefix(prefix_ids))
        last = mask.sum(-1) - 1
        return F.normalize(h[torch.arange(len(suffixes)), last], dim=-1), h, ids

    @torch.no_grad()
    def generate(self, prefix_ids, suffixes, emb_id, max_new_tokens=MAX_NEW_TOKENS):
        """Greedy decoding until <emb> for prompts = prefix + suffix (the suffixes share a length), batched. Returns the
        generated ids of each row and the normalized hidden state of its last generated token fed once more (the
        reference's extra forward: the RGE query embedding)."""
        n = len(suffixes)
        h, kv = self.forward(torch.tensor(suffixes), len(prefix_ids), self.prefix(prefix_ids))
        position = len(prefix_ids) + len(suffixes[0])
        logits = self.model.lm_head(h[:, -1])
        generated = [[] for _ in range(n)]
        done = torch.zeros(n, dtype=torch.bool)
        state = torch.zeros(n, h.shape[-1])
        for step in range(max_new_tokens):
            token = logits.argmax(-1)
            for i in torch.nonzero(~done).flatten().tolist():
                generated[i].append(int(token[i]))
            h, kv = self.forward(token[:, None], position + step, kv)
            finishing = ~done & ((token == emb_id) | (step == max_new_tokens - 1))
            state[finishing] = h[finishing, -1]
            done |= token == emb_id
            if bool(done.all()):
                break
            logits = self.model.lm_head(h[:, -1])
        return generated, F.normalize(state, dim=-1)


def right_pad(rows, pad):
    n = max(len(r) for r in rows)
    ids = torch.full((len(rows), n), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), n), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return ids, mask


def info_nce(q, t, answers):
    logits = q @ t.T / TEMPERATURE
    same = answers[:, None] == answers[None, :]
    logits = logits.masked_fill(same & ~torch.eye(len(answers), dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.arange(len(answers)))


@torch.no_grad()
def check_fast_path(model, enc, triple):
    """The fast decoder gives what the stock `model.model` forward gives (hidden state at <emb>, query and target)."""
    fast = FastDecoder(model)
    for prefix, suffix in [(enc.query_prefix, enc.query_suffix(triple) + enc.rationale(triple)), (enc.target_prefix, enc.target_suffix(7))]:
        ours = fast.embed(prefix, [suffix], enc.pad)[0][0]
        full = torch.tensor([prefix + suffix])
        theirs = F.normalize(model.model(input_ids=full).last_hidden_state[0, -1], dim=-1)
        assert (ours - theirs).abs().max() < 1e-4, f"fast decoder differs from model.model by {(ours - theirs).abs().max()}"


# ---------------------------------------------------------------------------------------------------------------
# Training.


def schedule(step, total, warmup=50):
    if step < warmup:
        return (step + 1) / warmup
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def train(model, enc, triples, mode, steps, seed, log_every=50, self_steps=0, monitor=None):
    """mode "rge": LM loss on the gold rationale + InfoNCE at <emb> after the gold rationale for `steps` steps, then
    `self_steps` steps with InfoNCE at <emb> after the model's own greedy rationale (LM loss still on the gold one);
    mode "direct": InfoNCE on query + <emb>. Returns the seconds each phase took."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    fast = FastDecoder(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=0.01, betas=(0.9, 0.98))
    total = steps + self_steps
    seconds = {}
    phase, phase_start, started = ("teacher_forced" if mode == "rge" else "direct"), time.perf_counter(), time.perf_counter()
    model.train()
    for step in range(total):
        if step == steps and self_steps:
            seconds[phase] = time.perf_counter() - phase_start
            phase, phase_start = "self_generated", time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = LR * schedule(step, total)
        batch = rng.sample(triples, BATCH)
        answers = torch.tensor([a + b - c for a, b, c in batch])
        t = fast.embed(enc.target_prefix, [enc.target_suffix(int(y)) for y in answers], enc.pad)[0]
        suffixes = [enc.query_suffix(x) for x in batch]
        if mode == "direct":
            q = fast.embed(enc.query_prefix, [s + [enc.emb] for s in suffixes], enc.pad)[0]
            lm = torch.zeros(())
        else:
            q, h, ids = fast.embed(enc.query_prefix, [s + enc.rationale(x) for s, x in zip(suffixes, batch)], enc.pad)
            start = len(suffixes[0])  # LM loss on the rationale and its <emb>
            logits = model.lm_head(h[:, start - 1 : -1])
            labels = ids[:, start:].masked_fill(ids[:, start:] == enc.pad, -100)
            lm = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
            if phase == "self_generated":
                generated, _ = fast.generate(enc.query_prefix, suffixes, enc.emb)
                own = [s + g + ([] if g and g[-1] == enc.emb else [enc.emb]) for s, g in zip(suffixes, generated)]
                q = fast.embed(enc.query_prefix, own, enc.pad)[0]
        nce = info_nce(q, t, answers)
        loss = lm + NCE_WEIGHT * nce
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        optimizer.step()
        if step % log_every == 0 or step == total - 1:
            print(f"  [{mode}] step {step:4d}/{total}  lm {lm.item():.3f}  nce {nce.item():.3f}  {time.perf_counter() - started:6.1f} s", flush=True)
        if monitor and (step + 1) % 100 == 0:
            model.eval()
            print(f"    held-out sample: {evaluate(model, enc, monitor, reasoning=mode == 'rge')}", flush=True)
            model.train()
    seconds[phase] = time.perf_counter() - phase_start
    model.eval()
    return seconds


# ---------------------------------------------------------------------------------------------------------------
# Evaluation.


@torch.no_grad()
def candidate_embeddings(model, enc):
    return FastDecoder(model).embed(enc.target_prefix, [enc.target_suffix(y) for y in CANDIDATES], enc.pad)[0]


@torch.no_grad()
def evaluate(model, enc, triples, reasoning):
    """P@1 over all candidates; with reasoning, also the share of rationales that are exactly the gold one."""
    fast = FastDecoder(model)
    cands = candidate_embeddings(model, enc)
    answers = torch.tensor([a + b - c for a, b, c in triples])
    suffixes = [enc.query_suffix(x) for x in triples]
    if reasoning:
        generated, q = fast.generate(enc.query_prefix, suffixes, enc.emb)
        right = sum(g == enc.rationale(x) for g, x in zip(generated, triples)) / len(triples)
    else:
        q = fast.embed(enc.query_prefix, [s + [enc.emb] for s in suffixes], enc.pad)[0]
    predicted = torch.tensor(list(CANDIDATES))[(q @ cands.T).argmax(-1)]
    result = {"p_at_1": round(float((predicted == answers).float().mean()), 4)}
    if reasoning:
        result["rationales_right"] = round(right, 4)
    return result


def round_to_fp16(model):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())


def save(model, tokenizer, directory):
    image_processor = Qwen2VLImageProcessor(min_pixels=28 * 28 * 16, max_pixels=28 * 28 * 256)
    processor = Qwen2_5_VLProcessor(image_processor=image_processor, tokenizer=tokenizer, chat_template=CHAT_TEMPLATE)
    model.half().save_pretrained(directory, safe_serialization=True)
    model.float()
    processor.save_pretrained(directory)
    for extra in ["vocab.txt"]:  # the tokenizer is whole in tokenizer.json
        (directory / extra).unlink(missing_ok=True)


def check_reload(directory, enc, triple):
    """The checkpoint reloads with stock from_pretrained and generate(), and gives the rationale we measured."""
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(directory, torch_dtype=torch.float32).eval()
    processor = Qwen2_5_VLProcessor.from_pretrained(directory)
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "text", "text": user_turn(QUERY_INSTRUCTION, query_text(*triple))}]}],
        tokenize=False, add_generation_prompt=True,
    )
    inputs = processor(text=[text], return_tensors="pt")
    assert inputs["input_ids"][0].tolist() == enc.query_prompt(triple), "processor prompt ids differ from training ids"
    out = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS)
    return processor.tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=False)


def main():
    global BATCH, LR, RGE_TEACHER_STEPS, RGE_SELF_STEPS, DIRECT_STEPS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every step count (0.05 for a smoke run)")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--steps", type=int, nargs=3, metavar=("TEACHER", "SELF", "DIRECT"), help="step counts (experiments)")
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--lr", type=float, default=LR)
    args = parser.parse_args()
    BATCH, LR = args.batch, args.lr
    if args.steps:
        RGE_TEACHER_STEPS, RGE_SELF_STEPS, DIRECT_STEPS = args.steps
    torch.set_num_threads(THREADS)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    steps = lambda n: max(0, round(n * args.scale))

    rng = random.Random(SEED)
    held = split_pairs(rng)
    train_triples = sample_triples(rng, 200_000, held, want_held=False)
    heldout = sample_triples(rng, HELDOUT_EVAL, held, want_held=True)
    train_check = train_triples[:HELDOUT_EVAL]

    tokenizer = make_tokenizer()
    enc = Encoder(tokenizer)
    print(f"vocabulary {len(tokenizer)} tokens; {len(held)} held-out operand pairs; query length {len(enc.query_prompt(heldout[0]))}")

    torch.manual_seed(SEED)
    rge = make_model(tokenizer)
    torch.manual_seed(SEED)
    direct = make_model(tokenizer)
    print(f"parameters: {rge.num_parameters():,} (text decoder {rge.model.num_parameters():,})")

    print("training RGE (teacher-forced rationales, then the model's own)")
    check_fast_path(rge, enc, heldout[0])
    monitor = heldout[-64:] if os.environ.get("DEMO_MONITOR") == "1" else None
    rge_phases = train(rge, enc, train_triples, "rge", steps(RGE_TEACHER_STEPS), SEED + 1, self_steps=steps(RGE_SELF_STEPS), monitor=monitor)
    rge_seconds = sum(rge_phases.values())
    print("training the direct-embedding baseline")
    direct_seconds = train(direct, enc, train_triples, "direct", steps(DIRECT_STEPS), SEED + 1, monitor=monitor)["direct"]

    round_to_fp16(rge)
    round_to_fp16(direct)
    metrics = {
        "rge": {
            "heldout_reasoning": evaluate(rge, enc, heldout, reasoning=True),
            "heldout_no_reasoning": evaluate(rge, enc, heldout, reasoning=False),
            "train_reasoning": evaluate(rge, enc, train_check, reasoning=True),
            "train_seconds": round(rge_seconds, 1),
            "phase_seconds": {k: round(v, 1) for k, v in rge_phases.items()},
            "steps": {"teacher_forced": steps(RGE_TEACHER_STEPS), "self_generated": steps(RGE_SELF_STEPS)},
        },
        "direct": {
            "heldout": evaluate(direct, enc, heldout, reasoning=False),
            "train": evaluate(direct, enc, train_check, reasoning=False),
            "train_seconds": round(direct_seconds, 1),
            "steps": steps(DIRECT_STEPS),
        },
    }
    if direct_seconds < rge_seconds:
        print(f"WARNING: the baseline trained {direct_seconds:.0f} s, less than RGE's {rge_seconds:.0f} s: raise DIRECT_STEPS")

    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    save(rge, tokenizer, args.out / "checkpoint")
    save(direct, tokenizer, args.out / "direct-baseline")
    sample = check_reload(args.out / "checkpoint", enc, heldout[0])
    print(f"reloaded with from_pretrained + generate(): {query_text(*heldout[0])!r} -> {sample!r}")

    (args.out / "heldout.json").write_text(json.dumps({
        "description": "Held-out queries of the demo model (operand pairs never added in training), as (a, b, c): 'what is a plus b minus c ?', answer a + b - c.",
        "query_instruction": QUERY_INSTRUCTION,
        "target_instruction": TARGET_INSTRUCTION,
        "candidates": [in_words(n) for n in CANDIDATES],
        "queries": [{"text": query_text(*t), "rationale": rationale_text(*t), "answer": in_words(t[0] + t[1] - t[2])} for t in heldout],
    }, indent=1) + "\n")
    script = Path(__file__).read_bytes()
    report = {
        "script_sha256": hashlib.sha256(script).hexdigest(),
        "seed": SEED,
        "scale": args.scale,
        "threads": THREADS,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
        "parameters": rge.num_parameters(),
        "heldout_queries": len(heldout),
        "candidates": len(CANDIDATES),
        "max_new_tokens": MAX_NEW_TOKENS,
        **metrics,
    }
    (args.out / "metrics.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
