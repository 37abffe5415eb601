"""Trains the demo model: a tiny RGE (Qwen2_5_VLForConditionalGeneration, about 1M parameters) that really reasons.

The task is two-hop lookup in a small synthetic world of 200 people, where each person has one friend and one
teacher (two random permutations). Writing the first hop down is what makes the answer reachable:

    query     "Describe and represent the following query for retrieval: who is the friend of the teacher of maya ?"
    rationale "the teacher of maya is omar . the friend of omar is lena ." then <emb>
    target    "Summarize the following passage in one word: lena"        (one of 200 candidates: every name)

The prompts are the library's default instructions, so `embedQueries([{ text }])` and `embedTargets([{ text }])`
in @rge/core send exactly what the model was trained on.

Training data: every one-hop question (all 400 facts: "who is the friend of maya ?") and 75% of the two-hop ones
(800 in all: friend of friend, friend of teacher, teacher of friend, teacher of teacher). Held out: the other 25%
of the two-hop questions. Each fact a held-out question needs was trained, but never that composition: a model
that embeds directly has to compose the two facts inside one forward pass (which transformers are known to do
badly for compositions they were not trained on); a model that reasons writes the first hop down and looks up the
second.

Two models of the same architecture, trained from the same seed on the same questions:

- RGE, the paper's recipe: LM loss on the gold rationale ending in <emb>, plus in-batch InfoNCE (temperature 0.05,
  same-answer targets masked) between the query's <emb> state and the target's <emb> state. Phase 1 reads the
  query's <emb> state after the gold rationale (teacher forcing); phase 2 after the model's own greedy rationale,
  generated on the fly, because with teacher forcing the gold rationale already holds the answer and the
  contrastive loss falls to ~0 without teaching the embedding to rely on what the model itself writes.
- Direct: the baseline, query + <emb> with no rationale, InfoNCE only, trained at least as long (wall clock).

P@1 is measured on the held-out questions against all 200 candidates, with the weights rounded to fp16 as shipped.

Writes examples/demo-model/model/: `checkpoint/` (the RGE model, fp16 safetensors, tokenizer, chat template,
preprocessor and generation configs), `direct-baseline/` (the baseline, same files), `heldout.json` (the held-out
questions the JS mini benchmark is built from) and `metrics.json` (P@1 figures, times, the script's sha256, the
versions). Usage (from the repository root; one CPU thread):

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

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "examples/demo-model/model"
SEED = 20251121
THREADS = 1  # torch on 2 shared cores: one thread ran faster than two here (and leaves a core to the others)

# The world and the questions.
PEOPLE = """adam alan alex alice amy anna anne ben beth bill bob brad brian bruce carl carol chris clara claire colin
craig dan dana david dean diana dora doug drew ed eddie edith elena eli ella emily emma eric erin eva evan fiona frank
fred gary gemma george gina grace greg hank hannah harry hazel helen henry holly hugo ian ida igor iris isaac ivan jack
jacob jade jake james jane jason jay jean jeff jenny jill joan joe joel john jonas josh joy juan judy julia june karen
karl kate keith ken kevin kim kurt kyle lana laura leah leo leon lily linda lisa liam lola lucy luis luke lynn maria
mark martin mary matt max maya megan mia mike mila molly mona nadia nancy nathan neil nick nina noah nora oliver olga
omar oscar owen paul pedro penny peter phil quinn rachel ralph rita rob rosa ross ruby ruth ryan sally sam sara scott
sean seth simon sofia sonia stan steve sue tara ted tess theo tina tom tony tyler uma vera victor vince viola wade walt
wendy xavier yara yusuf zack zara zoe abby alma arlo bella cleo dina elsa enzo felix flora gus ines ivy rose nell""".split()
RELATIONS = ["friend", "teacher"]
HELDOUT_FRACTION = 0.25  # of the two-hop questions
QUERY_INSTRUCTION = "Describe and represent the following query for retrieval:"
TARGET_INSTRUCTION = "Summarize the following passage in one word:"

# Training.
BATCH = 32
# Learning rate and gradient clipping per model: at RGE's settings the baseline's InfoNCE stayed near chance for
# 1,700 steps, at these it learns its training questions.
LR = {"rge": 3e-3, "direct": 1e-3}
CLIP = {"rge": 10.0, "direct": 1.0}
TEMPERATURE = 0.05
RGE_TEACHER_STEPS = 500
RGE_SELF_STEPS = 150
DIRECT_STEPS = 2500  # cheaper steps (no rationale): about as long as RGE on this machine, or longer (checked, printed)
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


# ---------------------------------------------------------------------------------------------------------------
# The world and its questions.


def make_world(rng):
    """Each relation is a permutation of the people without fixed points: nobody is their own friend or teacher."""
    world = {}
    for relation in RELATIONS:
        while True:
            others = PEOPLE[:]
            rng.shuffle(others)
            if all(a != b for a, b in zip(PEOPLE, others)):
                break
        world[relation] = dict(zip(PEOPLE, others))
    return world


def questions(world):
    """Every question as (path, person): path ("friend", "teacher") asks for the friend of the teacher of person."""
    one_hop = [((r,), p) for r in RELATIONS for p in PEOPLE]
    two_hop = [((outer, inner), p) for outer in RELATIONS for inner in RELATIONS for p in PEOPLE]
    return one_hop, two_hop


def hops(world, question):
    """The facts the rationale states, innermost first: [(relation, person, answer), ...]."""
    path, person = question
    out = []
    for relation in reversed(path):
        answer = world[relation][person]
        out.append((relation, person, answer))
        person = answer
    return out


def answer_of(world, question):
    return hops(world, question)[-1][2]


def query_text(question):
    path, person = question
    return "who is the " + " of the ".join(path) + f" of {person} ?"


def rationale_text(world, question):
    return " ".join(f"the {relation} of {person} is {answer} ." for relation, person, answer in hops(world, question))


def user_turn(instruction, text):
    # @rge/core's userText: `{instruction} {text}\n`.
    return f"{instruction} {text}\n"


def prompt(instruction, text):
    return f"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{user_turn(instruction, text)}<|im_end|>\n<|im_start|>assistant\n"


# ---------------------------------------------------------------------------------------------------------------
# Tokenizer: one token per word or punctuation mark; decoding joins them with spaces ("the friend of maya is omar .").


def make_tokenizer():
    texts = [QUERY_INSTRUCTION, TARGET_INSTRUCTION, "system user assistant you are a helpful assistant .", "who is the of ?"]
    words = {w for t in texts + RELATIONS + PEOPLE for w, _ in pre_tokenizers.Whitespace().pre_tokenize_str(t.lower())}
    vocab = {"[UNK]": 0}
    for w in sorted(words - set(PEOPLE)) + PEOPLE:
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
# Token ids.


class Encoder:
    """Token ids of prompts, rationales and targets. The system turn and the instruction are a prefix shared by every
    query (and another by every target), computed once per batch."""

    def __init__(self, tokenizer, world):
        self.tok = tokenizer
        self.world = world
        self.emb = tokenizer.convert_tokens_to_ids(EMB)
        self.pad = tokenizer.convert_tokens_to_ids("<|endoftext|>")
        self.cache = {}
        self.query_prefix = common_prefix(self.ids(prompt(QUERY_INSTRUCTION, "who is a")), self.ids(prompt(QUERY_INSTRUCTION, "who is b")))
        self.target_prefix = common_prefix(self.ids(prompt(TARGET_INSTRUCTION, "a")), self.ids(prompt(TARGET_INSTRUCTION, "b")))

    def ids(self, text):
        if text not in self.cache:
            self.cache[text] = self.tok(text, add_special_tokens=False)["input_ids"]
        return self.cache[text]

    def query_prompt(self, question):
        return self.ids(prompt(QUERY_INSTRUCTION, query_text(question)))

    def query_suffix(self, question):
        return self.query_prompt(question)[len(self.query_prefix) :]

    def rationale(self, question):
        return self.ids(rationale_text(self.world, question)) + [self.emb]

    def target_suffix(self, person):
        return self.ids(prompt(TARGET_INSTRUCTION, person))[len(self.target_prefix) :] + [self.emb]


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
        """Greedy decoding until <emb> for prompts = prefix + suffix, batched by suffix length. Returns the generated
        ids of each row and the normalized hidden state of its last generated token fed once more (the reference's
        extra forward: the RGE query embedding)."""
        generated, states = [None] * len(suffixes), [None] * len(suffixes)
        for length in sorted({len(s) for s in suffixes}):
            rows = [i for i, s in enumerate(suffixes) if len(s) == length]
            g, h = self._generate(prefix_ids, [suffixes[i] for i in rows], emb_id, max_new_tokens)
            for k, i in enumerate(rows):
                generated[i], states[i] = g[k], h[k]
        return generated, torch.stack(states)

    def _generate(self, prefix_ids, suffixes, emb_id, max_new_tokens):
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
def check_fast_path(model, enc, question):
    """The fast decoder gives what the stock `model.model` forward gives (hidden state at <emb>, query and target)."""
    fast = FastDecoder(model)
    for prefix, suffix in [(enc.query_prefix, enc.query_suffix(question) + enc.rationale(question)), (enc.target_prefix, enc.target_suffix("maya"))]:
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


def lm_loss(model, h, suffixes, rationales, ids):
    """Next-token loss on each row's rationale and <emb> (rows = suffix + rationale, right-padded)."""
    labels = torch.full_like(ids, -100)
    for i, (s, r) in enumerate(zip(suffixes, rationales)):
        labels[i, len(s) : len(s) + len(r)] = torch.tensor(r)
    logits = model.lm_head(h[:, :-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels[:, 1:].reshape(-1))


def train(model, enc, train_questions, mode, steps, seed, log_every=50, self_steps=0, monitor=None):
    """mode "rge": LM loss on the gold rationale + InfoNCE at <emb> after the gold rationale for `steps` steps, then
    `self_steps` steps with InfoNCE at <emb> after the model's own greedy rationale (LM loss still on the gold one);
    mode "direct": InfoNCE on query + <emb>. Returns the seconds each phase took."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    fast = FastDecoder(model)
    person_id = {p: i for i, p in enumerate(PEOPLE)}
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR[mode], weight_decay=0.01, betas=(0.9, 0.98))
    total = steps + self_steps
    seconds = {}
    phase, phase_start, started = ("teacher_forced" if mode == "rge" else "direct"), time.perf_counter(), time.perf_counter()
    model.train()
    for step in range(total):
        if step == steps and self_steps:
            seconds[phase] = time.perf_counter() - phase_start
            phase, phase_start = "self_generated", time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = LR[mode] * schedule(step, total)
        batch = rng.sample(train_questions, BATCH)
        answers = [answer_of(enc.world, x) for x in batch]
        t = fast.embed(enc.target_prefix, [enc.target_suffix(a) for a in answers], enc.pad)[0]
        suffixes = [enc.query_suffix(x) for x in batch]
        if mode == "direct":
            q = fast.embed(enc.query_prefix, [s + [enc.emb] for s in suffixes], enc.pad)[0]
            lm = torch.zeros(())
        else:
            rationales = [enc.rationale(x) for x in batch]
            q, h, ids = fast.embed(enc.query_prefix, [s + r for s, r in zip(suffixes, rationales)], enc.pad)
            lm = lm_loss(model, h, suffixes, rationales, ids)
            if phase == "self_generated":
                generated, _ = fast.generate(enc.query_prefix, suffixes, enc.emb)
                own = [s + g + ([] if g and g[-1] == enc.emb else [enc.emb]) for s, g in zip(suffixes, generated)]
                q = fast.embed(enc.query_prefix, own, enc.pad)[0]
        nce = info_nce(q, t, torch.tensor([person_id[a] for a in answers]))
        loss = lm + nce
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP[mode])
        optimizer.step()
        if step % log_every == 0 or step == total - 1:
            print(f"  [{mode}] step {step:4d}/{total}  lm {lm.item():.3f}  nce {nce.item():.3f}  {time.perf_counter() - started:6.1f} s", flush=True)
        if monitor and (step + 1) % 100 == 0:
            model.eval()
            print(f"    held-out: {evaluate(model, enc, monitor, reasoning=mode == 'rge')}", flush=True)
            model.train()
    seconds[phase] = time.perf_counter() - phase_start
    model.eval()
    return seconds


# ---------------------------------------------------------------------------------------------------------------
# Evaluation.


@torch.no_grad()
def candidate_embeddings(model, enc):
    return FastDecoder(model).embed(enc.target_prefix, [enc.target_suffix(p) for p in PEOPLE], enc.pad)[0]


@torch.no_grad()
def evaluate(model, enc, qs, reasoning):
    """P@1 over all candidates; with reasoning, also the share of rationales that are exactly the gold one."""
    fast = FastDecoder(model)
    cands = candidate_embeddings(model, enc)
    answers = torch.tensor([PEOPLE.index(answer_of(enc.world, x)) for x in qs])
    suffixes = [enc.query_suffix(x) for x in qs]
    if reasoning:
        generated, q = fast.generate(enc.query_prefix, suffixes, enc.emb)
        right = sum(g == enc.rationale(x) for g, x in zip(generated, qs)) / len(qs)
    else:
        q = fast.embed(enc.query_prefix, [s + [enc.emb] for s in suffixes], enc.pad)[0]
    result = {"p_at_1": round(float(((q @ cands.T).argmax(-1) == answers).float().mean()), 4)}
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


def check_reload(directory, enc, question):
    """The checkpoint reloads with stock from_pretrained and generate(), and gives the rationale we measured."""
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(directory, torch_dtype=torch.float32).eval()
    processor = Qwen2_5_VLProcessor.from_pretrained(directory)
    text = processor.apply_chat_template(
        [{"role": "user", "content": [{"type": "text", "text": user_turn(QUERY_INSTRUCTION, query_text(question))}]}],
        tokenize=False, add_generation_prompt=True,
    )
    inputs = processor(text=[text], return_tensors="pt")
    assert inputs["input_ids"][0].tolist() == enc.query_prompt(question), "processor prompt ids differ from training ids"
    out = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS)
    return processor.tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=False)


def main():
    global RGE_TEACHER_STEPS, RGE_SELF_STEPS, DIRECT_STEPS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--steps", type=int, nargs=3, metavar=("TEACHER", "SELF", "DIRECT"), help="step counts (for experiments)")
    parser.add_argument("--monitor", action="store_true", help="print held-out P@1 every 100 steps")
    args = parser.parse_args()
    if args.steps:
        RGE_TEACHER_STEPS, RGE_SELF_STEPS, DIRECT_STEPS = args.steps
    torch.set_num_threads(THREADS)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)

    rng = random.Random(SEED)
    world = make_world(rng)
    one_hop, two_hop = questions(world)
    rng.shuffle(two_hop)
    held = int(len(two_hop) * HELDOUT_FRACTION)
    heldout, train_questions = two_hop[:held], one_hop + two_hop[held:]

    tokenizer = make_tokenizer()
    enc = Encoder(tokenizer, world)
    print(f"vocabulary {len(tokenizer)} tokens; {len(train_questions)} training questions, {len(heldout)} held out")

    torch.manual_seed(SEED)
    rge = make_model(tokenizer)
    torch.manual_seed(SEED)
    direct = make_model(tokenizer)
    print(f"parameters: {rge.num_parameters():,} (text decoder {rge.model.num_parameters():,})")
    check_fast_path(rge, enc, heldout[0])

    monitor = heldout if args.monitor else None
    print("training RGE (teacher-forced rationales, then the model's own)")
    rge_phases = train(rge, enc, train_questions, "rge", RGE_TEACHER_STEPS, SEED + 1, self_steps=RGE_SELF_STEPS, monitor=monitor)
    rge_seconds = sum(rge_phases.values())
    print("training the direct-embedding baseline")
    direct_seconds = train(direct, enc, train_questions, "direct", DIRECT_STEPS, SEED + 1, monitor=monitor)["direct"]

    round_to_fp16(rge)
    round_to_fp16(direct)
    trained_two_hop = two_hop[held:]
    metrics = {
        "rge": {
            "heldout_reasoning": evaluate(rge, enc, heldout, reasoning=True),
            "heldout_no_reasoning": evaluate(rge, enc, heldout, reasoning=False),
            "train_reasoning": evaluate(rge, enc, trained_two_hop, reasoning=True),
            "one_hop_reasoning": evaluate(rge, enc, one_hop, reasoning=True),
            "train_seconds": round(rge_seconds, 1),
            "phase_seconds": {k: round(v, 1) for k, v in rge_phases.items()},
            "steps": {"teacher_forced": RGE_TEACHER_STEPS, "self_generated": RGE_SELF_STEPS},
        },
        "direct": {
            "heldout": evaluate(direct, enc, heldout, reasoning=False),
            "train": evaluate(direct, enc, trained_two_hop, reasoning=False),
            "one_hop": evaluate(direct, enc, one_hop, reasoning=False),
            "train_seconds": round(direct_seconds, 1),
            "steps": DIRECT_STEPS,
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
    print(f"reloaded with from_pretrained + generate(): {query_text(heldout[0])!r} -> {sample!r}")

    (args.out / "heldout.json").write_text(json.dumps({
        "description": "The held-out two-hop questions of the demo model: each fact they need was trained, never the composition.",
        "query_instruction": QUERY_INSTRUCTION,
        "target_instruction": TARGET_INSTRUCTION,
        "candidates": PEOPLE,
        "queries": [{"text": query_text(x), "rationale": rationale_text(world, x), "answer": answer_of(world, x)} for x in heldout],
    }, indent=1) + "\n")
    (args.out / "metrics.json").write_text(json.dumps({
        "script_sha256": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "seed": SEED,
        "threads": THREADS,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "tokenizers": tokenizers.__version__},
        "parameters": rge.num_parameters(),
        "heldout_queries": len(heldout),
        "candidates": len(PEOPLE),
        "max_new_tokens": MAX_NEW_TOKENS,
        **metrics,
    }, indent=1) + "\n")
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
