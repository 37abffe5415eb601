"""Trains the demo model: a tiny RGE (Qwen2_5_VLForConditionalGeneration, 1.39M parameters) that really reasons.

One model, three toy tasks (the names are the JS mini benchmark's subsets):

DemoTwoHop (text): two-hop lookup in a small synthetic world of 200 people, where each person has one friend and
one teacher (two random permutations). Writing the first hop down is what makes the answer reachable:

    query     "Describe and represent the following query for retrieval: who is the friend of the teacher of maya ?"
    rationale "the teacher of maya is omar . the friend of omar is lena ." then <emb>
    target    "Summarize the following passage in one word: lena"        (one of 200 candidates: every name)

Training data: every one-hop question (all 400 facts: "who is the friend of maya ?") and 75% of the two-hop ones
(800 in all: friend of friend, friend of teacher, teacher of friend, teacher of teacher). Held out: the other 25%
of the two-hop questions. Each fact a held-out question needs was trained, but never that composition: a model
that embeds directly has to compose the two facts inside one forward pass (which transformers are known to do
badly for compositions they were not trained on); a model that reasons writes the first hop down and looks up the
second.

Each person also has a badge: a 28x28 picture (one visual token) of a shape in one colour on a ground of another
(5 shapes x 7 colours x 6 others, 200 of the 210 dealt out at random). The vision tower learns who is on which
badge from "who is this ?" (rationale "this is maya ."), asked of every badge; two tasks then compose that with the
facts of the world:

DemoBadgeTwoHop (image + text): two-hop questions about the person on a badge. Trained: 75% of them; held out: 25%.

    query     [badge] "Answer the question based on the given image: who is the friend of the teacher of this person ?"
    rationale "this is maya . the teacher of maya is omar . the friend of omar is lena ." then <emb>
    target    "Summarize the following passage in one word: lena"        (one of 200 candidates)

DemoBadgeProfile (image alone): the badge with the library's image-only instruction; the target is the person's
friend and teacher. Trained: half of the badges; held out: the other half.

    query     [badge] "Describe and represent the given image for retrieval."
    rationale "this is maya . the friend of maya is lena . this is maya . the teacher of maya is omar ." then <emb>
    target    "Summarize the following passage in one word: friend lena , teacher omar"  (one of 200: every profile)

    (With the subject named once, "this is maya . the friend of maya is lena . the teacher of maya is ...", the
    model wrote "the teacher of lena": the habit of the two-hop chains, whose subject is the name just written.)

In both, the held-out queries' badges and facts were all trained, never that badge with that question.

The prompts are the library's default instructions (DEFAULT_INSTRUCTIONS in @rge/core, image placeholder first),
so `embedQueries([{ text }])`, `embedQueries([{ text, image }])`, `embedQueries([{ image }])` and
`embedTargets([{ text }])` in @rge/core send exactly what the model was trained on, as do rge-eval's MMEB rows.

Two models of the same architecture, trained from the same seed on the same queries (each step one task's batch,
the tasks in turn):

- RGE, the paper's recipe: LM loss on the gold rationale ending in <emb>, plus in-batch InfoNCE (temperature 0.05,
  same-answer targets masked) between the query's <emb> state and the target's <emb> state. Phase 1 reads the
  query's <emb> state after the gold rationale (teacher forcing); phase 2 after the model's own greedy rationale,
  generated on the fly, because with teacher forcing the gold rationale already holds the answer and the
  contrastive loss falls to ~0 without teaching the embedding to rely on what the model itself writes.
- Direct: the baseline, query + <emb> with no rationale, InfoNCE only, trained at least as long (wall clock).

P@1 is measured per task on the held-out queries against all its candidates, with the weights rounded to fp16 as
shipped.

Writes examples/demo-model/model/: `checkpoint/` (the RGE model, fp16 safetensors, tokenizer, chat template,
preprocessor and generation configs), `direct-baseline/` (the baseline, same files), `badges/` (every badge as a
PNG), `heldout.json` (the held-out queries the JS mini benchmark is built from) and `metrics.json` (P@1
figures per task, times, the script's sha256, the versions). Usage (from the repository root; two processes of one
CPU thread each, RGE and the baseline side by side):

    python3.11 -m venv /tmp/venv-demo && /tmp/venv-demo/bin/pip install -r tools/demo-model/requirements-demo-model.txt
    /tmp/venv-demo/bin/python tools/demo-model/train_demo_model.py
"""

import argparse
import hashlib
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
import tokenizers
import torch
import torch.nn.functional as F
import transformers
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers
from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor, Qwen2TokenizerFast, Qwen2VLImageProcessor

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "examples/demo-model/model"
SEED = 20251121
THREADS = 1  # per process (RGE, and the baseline beside it): on 2 shared cores one thread each ran fastest here

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
# @rge/core's DEFAULT_INSTRUCTIONS for a query with an image and text, and with an image alone.
IMAGE_TEXT_INSTRUCTION = "Answer the question based on the given image:"
IMAGE_INSTRUCTION = "Describe and represent the given image for retrieval."

# The badges: each person has a 28x28 badge (one merged vision token), a shape in one colour on a ground of
# another; 7 x 6 x 5 = 210 combinations, 200 of them dealt out at random.
COLOURS = ["red", "orange", "yellow", "green", "blue", "purple", "white"]
RGB = {"red": (220, 40, 40), "orange": (245, 140, 20), "yellow": (240, 230, 40), "green": (40, 170, 60),
       "blue": (40, 70, 230), "purple": (150, 50, 200), "white": (250, 250, 250)}
SHAPES = ["circle", "square", "triangle", "cross", "ring"]
BADGE_SIZE = 28
VISUAL_TOKENS = 1
MIN_PIXELS, MAX_PIXELS = 28 * 28, 28 * 28 * 256  # the processor keeps a 28x28 badge as it is
BADGE_HELDOUT_FRACTION = 0.5  # of the badges' DemoBadgeProfile queries
# The tasks and the MMEB subset names the JS mini benchmark gives them; a training cycle visits them in this order.
TASKS = ["DemoTwoHop", "DemoBadgeTwoHop", "DemoBadgeProfile"]
# Every other step is a badge two-hop batch: who is on a badge is learnt there, and it takes longer than the facts.
CYCLE = ["DemoTwoHop", "DemoBadgeTwoHop", "DemoBadgeProfile", "DemoBadgeTwoHop"]

# Training.
BATCH = 32
# Learning rate and gradient clipping per model: at RGE's settings the baseline's InfoNCE stayed near chance for
# 1,700 steps, at these it learns its training questions.
LR = {"rge": 3e-3, "direct": 1e-3}
CLIP = {"rge": 10.0, "direct": 1.0}
TEMPERATURE = 0.05
# The vision tower learns at a tenth of the rate: its random features already tell the 200 badges apart (mean
# cosine 0.10 between them), and at the full rate (or 3x) recognition stalled at chance in some runs; at 0.1x every
# task passed 0.9 held-out P@1 within 1,000 steps.
VISION_LR_SCALE = 0.1
RGE_TEACHER_STEPS = 1200
RGE_SELF_STEPS = 150
DIRECT_STEPS = 2500  # cheaper steps (no rationale): about as long as RGE on this machine, or longer (checked, printed)
MAX_NEW_TOKENS = 24

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


def prompt(instruction, text, image=False):
    """The chat prompt; with an image, its placeholder first (expanded to one pad per visual token, as the processor
    does) and then `{instruction} {text}`, as @rge/core's userText and rge-eval's MMEB rows both build it."""
    vision = f"<|vision_start|>{'<|image_pad|>' * VISUAL_TOKENS}<|vision_end|>\n" if image else ""
    body = f"{instruction} {text}\n" if text else f"{instruction}\n"
    return f"<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n{vision}{body}<|im_end|>\n<|im_start|>assistant\n"


# ---------------------------------------------------------------------------------------------------------------
# The badges and the two image tasks. Who is on a badge is learnt from the badge alone ("who is this ?" -> "this is
# maya ."), for every badge; the tasks then compose that with the facts of the world.
#
#   DemoBadgeTwoHop (image + text): [badge] "who is the friend of the teacher of this person ?" -> "this is maya .
#     the teacher of maya is omar . the friend of omar is lena ." -> target "lena" (one of 200 candidates).
#   DemoBadgeProfile (image alone): [badge] -> "this is maya . the friend of maya is lena . the teacher of maya is
#     omar ." -> target "friend lena , teacher omar" (one of 200 candidates: every person's profile).


def make_badges(rng):
    """Each person's badge as (ground colour, shape, shape colour), all different."""
    looks = [(ground, shape, colour) for ground in COLOURS for shape in SHAPES for colour in COLOURS if colour != ground]
    return dict(zip(PEOPLE, rng.sample(looks, len(PEOPLE))))


def shape_mask(shape):
    """A boolean 28x28 mask of a shape about 20 px wide in the middle of the badge."""
    y, x = np.mgrid[0:BADGE_SIZE, 0:BADGE_SIZE] - (BADGE_SIZE - 1) / 2
    r = np.hypot(x, y)
    masks = {
        "circle": r <= 10,
        "ring": (r <= 10) & (r >= 6),
        "square": (np.abs(x) <= 8.5) & (np.abs(y) <= 8.5),
        "cross": ((np.abs(x) <= 3) | (np.abs(y) <= 3)) & (np.abs(x) <= 10) & (np.abs(y) <= 10),
        "triangle": (y <= 8) & (y >= -9) & (np.abs(x) <= (y + 9) * 10 / 17),
    }
    return masks[shape]


def badge_look(look):
    ground, shape, colour = look
    return f"{'an' if colour[0] in 'aeiou' else 'a'} {colour} {shape} on {ground}"


def draw_badge(look):
    ground, shape, colour = look
    pixels = np.empty((BADGE_SIZE, BADGE_SIZE, 3), dtype=np.uint8)
    pixels[:] = RGB[ground]
    pixels[shape_mask(shape)] = RGB[colour]
    return Image.fromarray(pixels)


def badge_questions():
    """The DemoBadgeTwoHop questions as (path, person): () asks who is on the badge, ("friend", "teacher") for the
    friend of the teacher of the person on it."""
    recognition = [((), p) for p in PEOPLE]
    two_hop = [((outer, inner), p) for outer in RELATIONS for inner in RELATIONS for p in PEOPLE]
    return recognition, two_hop


def badge_query_text(question):
    path, _ = question
    return "who is this ?" if not path else "who is the " + " of the ".join(path) + " of this person ?"


def badge_rationale(world, question):
    _, person = question
    return f"this is {person} . " + rationale_text(world, question) if question[0] else f"this is {person} ."


def badge_answer(world, question):
    path, person = question
    return answer_of(world, question) if path else person


def profile_rationale(world, person):
    # "this is maya ." opens each fact: a fact's subject is then the name just written, as in a two-hop chain (with
    # the subject named once, the model wrote "the teacher of <the friend>", the chain's habit).
    return " ".join(f"this is {person} . the {r} of {person} is {world[r][person]} ." for r in RELATIONS)


def profile(world, person):
    return " , ".join(f"{r} {world[r][person]}" for r in RELATIONS)


# ---------------------------------------------------------------------------------------------------------------
# Tokenizer: one token per word or punctuation mark; decoding joins them with spaces ("the friend of maya is omar .").


def make_tokenizer():
    texts = [QUERY_INSTRUCTION, TARGET_INSTRUCTION, IMAGE_TEXT_INSTRUCTION, IMAGE_INSTRUCTION,
             "system user assistant you are a helpful assistant .", "who is the of ? this person ,"]
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
            "depth": 3, "hidden_size": 64, "intermediate_size": 256, "num_heads": 2, "out_hidden_size": 128,
            "patch_size": 14, "spatial_merge_size": 2, "temporal_patch_size": 2, "window_size": 112,
            "fullatt_block_indexes": [2], "in_chans": 3, "hidden_act": "silu",
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


class Example:
    """One query of a task: the prompt's ids after the shared prefix, the gold rationale's ids ending in <emb>, the
    answer (the positive target's text) and, for an image task, the index of its image."""

    def __init__(self, task, suffix, rationale, answer, image=None):
        self.task, self.suffix, self.rationale, self.answer, self.image = task, suffix, rationale, answer, image


class Encoder:
    """Token ids of prompts, rationales and targets. The system turn (and the instruction, or the start of the image)
    is a prefix shared by every query of a kind, and another by every target, computed once per batch."""

    def __init__(self, tokenizer, world):
        self.tok = tokenizer
        self.world = world
        self.emb = tokenizer.convert_tokens_to_ids(EMB)
        self.pad = tokenizer.convert_tokens_to_ids("<|endoftext|>")
        self.image_pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
        self.cache = {}
        self.query_prefix = common_prefix(self.ids(prompt(QUERY_INSTRUCTION, "who is a")), self.ids(prompt(QUERY_INSTRUCTION, "who is b")))
        self.target_prefix = common_prefix(self.ids(prompt(TARGET_INSTRUCTION, "a")), self.ids(prompt(TARGET_INSTRUCTION, "b")))
        image_prompt = self.ids(prompt(IMAGE_INSTRUCTION, "", image=True))
        self.image_prefix = image_prompt[: image_prompt.index(self.image_pad)]  # up to <|vision_start|>

    def ids(self, text):
        if text not in self.cache:
            self.cache[text] = self.tok(text, add_special_tokens=False)["input_ids"]
        return self.cache[text]

    def prefix(self, task):
        return self.query_prefix if task == "DemoTwoHop" else self.image_prefix

    def two_hop(self, question):
        suffix = self.ids(prompt(QUERY_INSTRUCTION, query_text(question)))[len(self.query_prefix) :]
        return Example("DemoTwoHop", suffix, self.ids(rationale_text(self.world, question)) + [self.emb], answer_of(self.world, question))

    def image_query(self, task, instruction, text, rationale, answer, image):
        suffix = self.ids(prompt(instruction, text, image=True))[len(self.image_prefix) :]
        assert suffix[:VISUAL_TOKENS] == [self.image_pad] * VISUAL_TOKENS
        return Example(task, suffix, self.ids(rationale) + [self.emb], answer, image)

    def badge_two_hop(self, question):
        """A DemoBadgeTwoHop query; the image is the person's index in PEOPLE."""
        text, person = badge_query_text(question), question[1]
        rationale, answer = badge_rationale(self.world, question), badge_answer(self.world, question)
        return self.image_query("DemoBadgeTwoHop", IMAGE_TEXT_INSTRUCTION, text, rationale, answer, PEOPLE.index(person))

    def badge_profile(self, person):
        rationale, answer = profile_rationale(self.world, person), profile(self.world, person)
        return self.image_query("DemoBadgeProfile", IMAGE_INSTRUCTION, "", rationale, answer, PEOPLE.index(person))

    def target_suffix(self, answer):
        return self.ids(prompt(TARGET_INSTRUCTION, answer))[len(self.target_prefix) :] + [self.emb]


def common_prefix(a, b):
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class FastDecoder:
    """The text decoder of Qwen2.5-VL run on the Hugging Face model's own modules with the same arithmetic as the stock
    forward (checked against it by `check_fast_path`), but with a prompt prefix shared by a whole batch computed once,
    and a plain KV cache: on 2 shared CPU cores the generic forward costs several times more. M-RoPE positions are
    (time, row, column) per token: equal for text, the grid cell for an image's visual tokens, which stand first in
    every image row's suffix, so one set of positions serves the whole right-padded batch."""

    def __init__(self, model):
        self.model = model
        config = model.config
        self.heads, self.kv_heads = config.num_attention_heads, config.num_key_value_heads
        self.head_dim = config.hidden_size // self.heads
        self.sections = config.rope_scaling["mrope_section"]

    def rope(self, positions):
        """cos and sin (L, head_dim) for positions (3, L): frequency band k takes its position from the axis its
        mrope section names (Qwen2.5-VL's apply_multimodal_rotary_pos_emb)."""
        inv_freq = self.model.model.rotary_emb.inv_freq
        freqs = positions.float()[:, :, None] * inv_freq[None, None]
        bands = torch.cat([chunk[axis] for axis, chunk in enumerate(freqs.split(self.sections, dim=-1))], dim=-1)
        angles = torch.cat((bands, bands), dim=-1)
        return angles.cos(), angles.sin()

    def forward(self, x, positions, past=None):
        """Embeddings x (B, L, hidden) at positions (3, L), after the keys and values `past` (one (k, v) per layer,
        batch 1 or B). Right padding needs no mask: a real token never attends to a later position. Returns the
        last-layer hidden states after the final norm and the keys and values including `past`."""
        batch, length, _ = x.shape
        inner = self.model.model
        cos, sin = self.rope(positions)
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
        return self.forward(self.model.model.embed_tokens(torch.tensor([ids])), text_positions(0, len(ids)))[1]

    def inputs(self, prefix_ids, ids, images):
        """Embeddings and positions of suffix ids (B, L) after the prefix; `images` (B, VISUAL_TOKENS, hidden) replace
        the image pads that open each suffix."""
        x = self.model.model.embed_tokens(ids)
        start = len(prefix_ids)
        if images is None:
            return x, text_positions(start, ids.shape[1])
        side = int(math.isqrt(VISUAL_TOKENS))
        cells = torch.arange(VISUAL_TOKENS)
        grid = torch.stack([torch.zeros_like(cells), cells // side, cells % side]) + start
        after = text_positions(start + side, ids.shape[1] - VISUAL_TOKENS)  # text resumes after the grid's largest
        return torch.cat((images, x[:, VISUAL_TOKENS:]), dim=1), torch.cat((grid, after), dim=1)

    def embed(self, prefix_ids, suffixes, pad, images=None):
        """Rows = shared prefix + own suffix (right-padded); returns the normalized state at each row's last token, the
        suffix hidden states and the padded suffix ids."""
        ids, mask = right_pad(suffixes, pad)
        x, positions = self.inputs(prefix_ids, ids, images)
        h, _ = self.forward(x, positions, self.prefix(prefix_ids))
        last = mask.sum(-1) - 1
        return F.normalize(h[torch.arange(len(suffixes)), last], dim=-1), h, ids

    @torch.no_grad()
    def generate(self, prefix_ids, suffixes, emb_id, images=None, max_new_tokens=MAX_NEW_TOKENS):
        """Greedy decoding until <emb> for prompts = prefix + suffix, batched by suffix length. Returns the generated
        ids of each row and the normalized hidden state of its last generated token fed once more (the reference's
        extra forward: the RGE query embedding)."""
        generated, states = [None] * len(suffixes), [None] * len(suffixes)
        for length in sorted({len(s) for s in suffixes}):
            rows = [i for i, s in enumerate(suffixes) if len(s) == length]
            g, h = self._generate(prefix_ids, [suffixes[i] for i in rows], emb_id, None if images is None else images[rows], max_new_tokens)
            for k, i in enumerate(rows):
                generated[i], states[i] = g[k], h[k]
        return generated, torch.stack(states)

    def _generate(self, prefix_ids, suffixes, emb_id, images, max_new_tokens):
        n = len(suffixes)
        x, positions = self.inputs(prefix_ids, torch.tensor(suffixes), images)
        h, kv = self.forward(x, positions, self.prefix(prefix_ids))
        position = int(positions[0, -1]) + 1
        logits = self.model.lm_head(h[:, -1])
        generated = [[] for _ in range(n)]
        done = torch.zeros(n, dtype=torch.bool)
        state = torch.zeros(n, h.shape[-1])
        for step in range(max_new_tokens):
            token = logits.argmax(-1)
            for i in torch.nonzero(~done).flatten().tolist():
                generated[i].append(int(token[i]))
            h, kv = self.forward(self.model.model.embed_tokens(token[:, None]), text_positions(position + step, 1), kv)
            finishing = ~done & ((token == emb_id) | (step == max_new_tokens - 1))
            state[finishing] = h[finishing, -1]
            done |= token == emb_id
            if bool(done.all()):
                break
            logits = self.model.lm_head(h[:, -1])
        return generated, F.normalize(state, dim=-1)


def text_positions(start, length):
    return torch.arange(start, start + length)[None].expand(3, -1)


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


class Pixels:
    """Every image's pixel values, made once by Qwen2VLImageProcessor with the settings the checkpoint ships (so as
    @rge/core's preprocessing makes them), and the vision tower's features for a batch of them."""

    def __init__(self, images):
        out = image_processor()(images=images, return_tensors="pt")
        grids = out["image_grid_thw"]
        assert bool((grids == grids[0]).all()) and int(grids[0].prod()) // 4 == VISUAL_TOKENS, grids[0]
        self.grid = grids[0]
        self.values = out["pixel_values"].view(len(images), -1, out["pixel_values"].shape[-1])

    def features(self, model, indices):
        n = len(indices)
        values = self.values[list(indices)].reshape(-1, self.values.shape[-1])
        return model.visual(values, grid_thw=self.grid[None].repeat(n, 1)).view(n, VISUAL_TOKENS, -1)


def image_processor():
    return Qwen2VLImageProcessor(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)


def query_images(model, pixels, batch):
    return pixels.features(model, [x.image for x in batch]) if batch[0].image is not None else None


@torch.no_grad()
def check_fast_path(model, enc, pixels, examples):
    """The fast decoder gives what the stock forward gives (hidden state at <emb>, text and image queries, target)."""
    fast = FastDecoder(model)
    for x in examples:
        prefix, suffix = enc.prefix(x.task), x.suffix + x.rationale
        ours = fast.embed(prefix, [suffix], enc.pad, query_images(model, pixels, [x]))[0][0]
        extra = {} if x.image is None else {"pixel_values": pixels.values[x.image], "image_grid_thw": pixels.grid[None]}
        out = model(input_ids=torch.tensor([prefix + suffix]), output_hidden_states=True, **extra)
        theirs = F.normalize(out.hidden_states[-1][0, -1], dim=-1)
        assert (ours - theirs).abs().max() < 1e-4, f"fast decoder differs from the stock forward by {(ours - theirs).abs().max()} ({x.task})"
    ours = fast.embed(enc.target_prefix, [enc.target_suffix("maya")], enc.pad)[0][0]
    theirs = F.normalize(model.model(input_ids=torch.tensor([enc.target_prefix + enc.target_suffix("maya")])).last_hidden_state[0, -1], dim=-1)
    assert (ours - theirs).abs().max() < 1e-4, "fast decoder differs from model.model on a target"


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


def answer_codes(answers):
    codes = {}
    return torch.tensor([codes.setdefault(a, len(codes)) for a in answers])


def train(model, enc, pixels, train_sets, mode, steps, seed, log_every=100, self_steps=0, monitor=None):
    """mode "rge": LM loss on the gold rationale + InfoNCE at <emb> after the gold rationale for `steps` steps, then
    `self_steps` steps with InfoNCE at <emb> after the model's own greedy rationale (LM loss still on the gold one);
    mode "direct": InfoNCE on query + <emb>. Each step is one task's batch, the tasks taken in CYCLE's order, so
    in-batch negatives are of the same kind. Returns the seconds each phase took."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    fast = FastDecoder(model)
    vision = set(id(p) for p in model.visual.parameters())
    groups = [
        {"params": [p for p in model.parameters() if id(p) not in vision], "scale": 1.0},
        {"params": list(model.visual.parameters()), "scale": VISION_LR_SCALE},
    ]
    optimizer = torch.optim.AdamW(groups, lr=LR[mode], weight_decay=0.01, betas=(0.9, 0.98))
    total = steps + self_steps
    seconds = {}
    phase, phase_start, started = ("teacher_forced" if mode == "rge" else "direct"), time.perf_counter(), time.perf_counter()
    model.train()
    for step in range(total):
        if step == steps and self_steps:
            seconds[phase] = time.perf_counter() - phase_start
            phase, phase_start = "self_generated", time.perf_counter()
        for group in optimizer.param_groups:
            group["lr"] = LR[mode] * group["scale"] * schedule(step, total)
        task = CYCLE[step % len(CYCLE)]
        batch = rng.sample(train_sets[task], BATCH)
        prefix = enc.prefix(task)
        images = query_images(model, pixels, batch)
        answers = [x.answer for x in batch]
        t = fast.embed(enc.target_prefix, [enc.target_suffix(a) for a in answers], enc.pad)[0]
        suffixes = [x.suffix for x in batch]
        if mode == "direct":
            q = fast.embed(prefix, [s + [enc.emb] for s in suffixes], enc.pad, images)[0]
            lm = torch.zeros(())
        else:
            rationales = [x.rationale for x in batch]
            q, h, ids = fast.embed(prefix, [s + r for s, r in zip(suffixes, rationales)], enc.pad, images)
            lm = lm_loss(model, h, suffixes, rationales, ids)
            if phase == "self_generated":
                generated, _ = fast.generate(prefix, suffixes, enc.emb, images)
                own = [s + g + ([] if g and g[-1] == enc.emb else [enc.emb]) for s, g in zip(suffixes, generated)]
                q = fast.embed(prefix, own, enc.pad, images)[0]
        nce = info_nce(q, t, answer_codes(answers))
        loss = lm + nce
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP[mode])
        optimizer.step()
        if step % log_every < len(CYCLE) or step == total - 1:
            print(f"  [{mode}] step {step:4d}/{total} {task:16s} lm {lm.item():.3f}  nce {nce.item():.3f}  {time.perf_counter() - started:6.1f} s", flush=True)
        if monitor and (step + 1) % 200 == 0:
            model.eval()
            for name, (examples, candidates) in monitor.items():
                print(f"    held-out {name}: {evaluate(model, enc, pixels, examples[:64], candidates, reasoning=mode == 'rge')}", flush=True)
            model.train()
    seconds[phase] = time.perf_counter() - phase_start
    model.eval()
    return seconds


# ---------------------------------------------------------------------------------------------------------------
# Evaluation.


@torch.no_grad()
def evaluate(model, enc, pixels, examples, candidates, reasoning, chunk=100):
    """P@1 over all candidates; with reasoning, also the share of rationales that are exactly the gold one."""
    fast = FastDecoder(model)
    cands = fast.embed(enc.target_prefix, [enc.target_suffix(c) for c in candidates], enc.pad)[0]
    index = {c: i for i, c in enumerate(candidates)}
    answers = torch.tensor([index[x.answer] for x in examples])
    states, right = [], 0
    for start in range(0, len(examples), chunk):
        batch = examples[start : start + chunk]
        prefix, images, suffixes = enc.prefix(batch[0].task), query_images(model, pixels, batch), [x.suffix for x in batch]
        if reasoning:
            generated, q = fast.generate(prefix, suffixes, enc.emb, images)
            right += sum(g == x.rationale for g, x in zip(generated, batch))
        else:
            q = fast.embed(prefix, [s + [enc.emb] for s in suffixes], enc.pad, images)[0]
        states.append(q)
    q = torch.cat(states)
    result = {"p_at_1": round(float(((q @ cands.T).argmax(-1) == answers).float().mean()), 4)}
    if reasoning:
        result["rationales_right"] = round(right / len(examples), 4)
    return result


def round_to_fp16(model):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())


def save(model, tokenizer, directory):
    processor = Qwen2_5_VLProcessor(image_processor=image_processor(), tokenizer=tokenizer, chat_template=CHAT_TEMPLATE)
    model.half().save_pretrained(directory, safe_serialization=True)
    model.float()
    processor.save_pretrained(directory)
    for extra in ["vocab.txt"]:  # the tokenizer is whole in tokenizer.json
        (directory / extra).unlink(missing_ok=True)


def check_reload(directory, enc, example, user, image=None):
    """The checkpoint reloads with stock from_pretrained and generate(), its processor makes the prompt ids we trained
    on, and it gives the rationale we measured."""
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(directory, torch_dtype=torch.float32).eval()
    processor = Qwen2_5_VLProcessor.from_pretrained(directory)
    content = ([{"type": "image"}] if image else []) + [{"type": "text", "text": user}]
    text = processor.apply_chat_template([{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True)
    inputs = processor(text=[text], images=[image] if image else None, return_tensors="pt")
    assert inputs["input_ids"][0].tolist() == enc.prefix(example.task) + example.suffix, "processor prompt ids differ from training ids"
    out = model.generate(**inputs, max_new_tokens=MAX_NEW_TOKENS)
    return processor.tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=False)


def main():
    global RGE_TEACHER_STEPS, RGE_SELF_STEPS, DIRECT_STEPS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--steps", type=int, nargs=3, metavar=("TEACHER", "SELF", "DIRECT"), help="step counts (for experiments)")
    parser.add_argument("--monitor", action="store_true", help="print held-out P@1 every 200 steps")
    parser.add_argument("--skip-direct", action="store_true", help="train no baseline (for experiments)")
    parser.add_argument("--direct-into", type=Path, help=argparse.SUPPRESS)  # the baseline's process: where it saves
    args = parser.parse_args()
    if args.steps:
        RGE_TEACHER_STEPS, RGE_SELF_STEPS, DIRECT_STEPS = args.steps
    script_started = time.perf_counter()
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
    badges = make_badges(rng)
    images = [draw_badge(badges[p]) for p in PEOPLE]
    pixels = Pixels(images)
    recognition, badge_two_hop = badge_questions()
    rng.shuffle(badge_two_hop)
    badge_held = int(len(badge_two_hop) * HELDOUT_FRACTION)
    profiled = PEOPLE[:]
    rng.shuffle(profiled)
    profile_held = int(len(profiled) * BADGE_HELDOUT_FRACTION)

    tokenizer = make_tokenizer()
    enc = Encoder(tokenizer, world)
    train_sets = {
        "DemoTwoHop": [enc.two_hop(x) for x in train_questions],
        "DemoBadgeTwoHop": [enc.badge_two_hop(x) for x in recognition + badge_two_hop[badge_held:]],
        "DemoBadgeProfile": [enc.badge_profile(p) for p in profiled[profile_held:]],
    }
    profile_candidates = [profile(world, p) for p in PEOPLE]
    tests = {
        "DemoTwoHop": ([enc.two_hop(x) for x in heldout], PEOPLE),
        "DemoBadgeTwoHop": ([enc.badge_two_hop(x) for x in badge_two_hop[:badge_held]], PEOPLE),
        "DemoBadgeProfile": ([enc.badge_profile(p) for p in profiled[:profile_held]], profile_candidates),
    }
    # Trained queries of each task (as many as held out), scored against the same candidates.
    trained = {
        "DemoTwoHop": ([enc.two_hop(x) for x in two_hop[held:]][: len(heldout)], PEOPLE),
        "DemoBadgeTwoHop": ([enc.badge_two_hop(x) for x in badge_two_hop[badge_held:]][:badge_held], PEOPLE),
        "DemoBadgeProfile": ([enc.badge_profile(p) for p in profiled[profile_held:]], profile_candidates),
    }
    # Who is on each badge: trained for every badge, the step every image query starts with.
    recognised = ([enc.badge_two_hop(x) for x in recognition], PEOPLE)
    if not args.direct_into:
        print(f"vocabulary {len(tokenizer)} tokens; training queries {({k: len(v) for k, v in train_sets.items()})}; held out {({k: len(v[0]) for k, v in tests.items()})}")

    torch.manual_seed(SEED)
    rge = make_model(tokenizer)
    torch.manual_seed(SEED)
    direct = make_model(tokenizer)
    monitor = tests if args.monitor else None
    if args.direct_into:
        seconds = train(direct, enc, pixels, train_sets, "direct", DIRECT_STEPS, SEED + 1, monitor=monitor)["direct"]
        torch.save({"state": direct.state_dict(), "seconds": seconds}, args.direct_into)
        return
    print(f"parameters: {rge.num_parameters():,} (text decoder {rge.model.num_parameters():,}, vision {rge.visual.num_parameters():,})")
    check_fast_path(rge, enc, pixels, [tests[task][0][0] for task in TASKS])

    # The baseline trains in its own process on the other core, at the same time: the two take as long as one.
    # Each is seeded and single-threaded, so neither depends on the other.
    scratch = Path(tempfile.mkdtemp(prefix="rge-demo-direct-"))
    child = None
    if not args.skip_direct:
        print("training the direct-embedding baseline (in a second process)")
        steps = [str(n) for n in (RGE_TEACHER_STEPS, RGE_SELF_STEPS, DIRECT_STEPS)]
        child = subprocess.Popen([sys.executable, __file__, "--direct-into", str(scratch / "direct.pt"), "--steps", *steps, *(["--monitor"] if args.monitor else [])])
    print("training RGE (teacher-forced rationales, then the model's own)")
    rge_phases = train(rge, enc, pixels, train_sets, "rge", RGE_TEACHER_STEPS, SEED + 1, self_steps=RGE_SELF_STEPS, monitor=monitor)
    rge_seconds = sum(rge_phases.values())
    direct_seconds = 0.0
    if child:
        if child.wait() != 0:
            raise SystemExit(f"the baseline's process failed ({child.returncode})")
        saved = torch.load(scratch / "direct.pt")
        direct.load_state_dict(saved["state"])
        direct.eval()
        direct_seconds = saved["seconds"]
    shutil.rmtree(scratch)

    round_to_fp16(rge)
    round_to_fp16(direct)
    tasks = {}
    for task in TASKS:
        examples, candidates = tests[task]
        tasks[task] = {
            "heldout_queries": len(examples),
            "candidates": len(candidates),
            "rge_reasoning": evaluate(rge, enc, pixels, examples, candidates, reasoning=True),
            "rge_no_reasoning": evaluate(rge, enc, pixels, examples, candidates, reasoning=False),
            "direct": evaluate(direct, enc, pixels, examples, candidates, reasoning=False),
            "train_rge_reasoning": evaluate(rge, enc, pixels, *trained[task], reasoning=True),
            "train_direct": evaluate(direct, enc, pixels, *trained[task], reasoning=False),
        }
        print(f"{task}: {tasks[task]}", flush=True)
    recognition = {
        "queries": len(recognised[0]),
        "rge_reasoning": evaluate(rge, enc, pixels, *recognised, reasoning=True),
        "direct": evaluate(direct, enc, pixels, *recognised, reasoning=False),
    }
    print(f"recognition: {recognition}", flush=True)
    two = tasks["DemoTwoHop"]
    metrics = {
        "rge": {
            "heldout_reasoning": two["rge_reasoning"],
            "heldout_no_reasoning": two["rge_no_reasoning"],
            "train_reasoning": two["train_rge_reasoning"],
            "train_seconds": round(rge_seconds, 1),
            "phase_seconds": {k: round(v, 1) for k, v in rge_phases.items()},
            "steps": {"teacher_forced": RGE_TEACHER_STEPS, "self_generated": RGE_SELF_STEPS},
        },
        "direct": {
            "heldout": two["direct"],
            "train": two["train_direct"],
            "train_seconds": round(direct_seconds, 1),
            "steps": DIRECT_STEPS,
        },
        "tasks": tasks,
        "badge_recognition": recognition,
    }
    if direct_seconds < rge_seconds:
        print(f"WARNING: the baseline trained {direct_seconds:.0f} s, less than RGE's {rge_seconds:.0f} s: raise DIRECT_STEPS")

    if args.out.exists():
        shutil.rmtree(args.out)
    (args.out / "badges").mkdir(parents=True)
    save(rge, tokenizer, args.out / "checkpoint")
    save(direct, tokenizer, args.out / "direct-baseline")
    badge_files = {p: f"badges/{p}.png" for p in PEOPLE}
    for p, image in zip(PEOPLE, images):
        image.save(args.out / badge_files[p], optimize=True)
    text_sample = check_reload(args.out / "checkpoint", enc, tests["DemoTwoHop"][0][0], user_turn(QUERY_INSTRUCTION, query_text(heldout[0])))
    print(f"reloaded with from_pretrained + generate(): {query_text(heldout[0])!r} -> {text_sample!r}")
    x = badge_two_hop[0]
    image_sample = check_reload(args.out / "checkpoint", enc, tests["DemoBadgeTwoHop"][0][0], f"\n{IMAGE_TEXT_INSTRUCTION} {badge_query_text(x)}\n", Image.open(args.out / badge_files[x[1]]))
    print(f"reloaded, with {badge_files[x[1]]} (from the PNG): {badge_query_text(x)!r} -> {image_sample!r}")
    p = profiled[0]
    image_sample = check_reload(args.out / "checkpoint", enc, tests["DemoBadgeProfile"][0][0], f"\n{IMAGE_INSTRUCTION}\n", Image.open(args.out / badge_files[p]))
    print(f"reloaded, with {badge_files[p]} (from the PNG), no text -> {image_sample!r}")

    (args.out / "heldout.json").write_text(json.dumps({
        "description": "The held-out queries of the demo model. DemoTwoHop: each fact a question needs was trained, never "
        "the composition. DemoBadgeTwoHop and DemoBadgeProfile: who is on each badge and each fact were trained, never "
        "that badge with that question.",
        "query_instruction": QUERY_INSTRUCTION,
        "target_instruction": TARGET_INSTRUCTION,
        "candidates": PEOPLE,
        "queries": [{"text": query_text(x), "rationale": rationale_text(world, x), "answer": answer_of(world, x)} for x in heldout],
        "badges": {p: {"image": badge_files[p], "look": badge_look(badges[p])} for p in PEOPLE},
        "image_tasks": {
            "DemoBadgeTwoHop": {
                "query_instruction": IMAGE_TEXT_INSTRUCTION,
                "target_instruction": TARGET_INSTRUCTION,
                "candidates": PEOPLE,
                "queries": [{"image": badge_files[x[1]], "text": badge_query_text(x), "rationale": badge_rationale(world, x), "answer": badge_answer(world, x)} for x in badge_two_hop[:badge_held]],
            },
            "DemoBadgeProfile": {
                "query_instruction": IMAGE_INSTRUCTION,
                "target_instruction": TARGET_INSTRUCTION,
                "candidates": profile_candidates,
                "queries": [{"image": badge_files[p], "rationale": profile_rationale(world, p), "answer": profile(world, p)} for p in profiled[:profile_held]],
            },
        },
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
        "script_seconds": round(time.perf_counter() - script_started, 1),
        **metrics,
    }, indent=1) + "\n")
    print(json.dumps(metrics, indent=1))


if __name__ == "__main__":
    main()
