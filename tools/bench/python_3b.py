"""The authors' path at 3B shapes, timed for tools/bench/bench-3b.ts: Qwen2_5_VLForConditionalGeneration in fp32 on
CPU (sdpa), a text query as MCG-NJU/RGE's inference.py runs it (generate() with a KV cache, then one extra forward of
the last token), the prefill alone, and a target (one forward).

Reads a JSON job {checkpoint, threads, query, target, generated} from argv[1]; writes the timings to argv[2].
Needs tools/reference/requirements-reference.txt.
"""

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch
from transformers import AutoProcessor, Qwen2_5_VLForConditionalGeneration

from trimmed_checkpoint import trimmed_checkpoint


def chat(processor, instruction, text):
    # @rge/core's userText: `{instruction} {text}\n` in the user turn of Qwen2.5-VL's chat template.
    messages = [{"role": "user", "content": [{"type": "text", "text": f"{instruction} {text}\n"}]}]
    return processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def main():
    job = json.load(open(sys.argv[1]))
    torch.set_num_threads(job["threads"])
    with tempfile.TemporaryDirectory(prefix="rge-py-3b-") as view:
        checkpoint = trimmed_checkpoint(Path(job["checkpoint"]), Path(view))
        started = time.perf_counter()
        processor = AutoProcessor.from_pretrained(checkpoint)
        model = Qwen2_5_VLForConditionalGeneration.from_pretrained(checkpoint, torch_dtype=torch.float32, attn_implementation="sdpa").eval()
        load = time.perf_counter() - started
    run(job, processor, model, load)


def run(job, processor, model, load):
    emb_id = processor.tokenizer.convert_tokens_to_ids("<emb>")
    query = processor(text=chat(processor, "Describe and represent the following query for retrieval:", job["query"]), return_tensors="pt")
    target = processor(text=chat(processor, "Summarize the following passage in one word:", job["target"]) + "<emb>", return_tensors="pt")
    n = job["generated"]
    with torch.no_grad():
        model(**processor(text=chat(processor, "warm", "up"), return_tensors="pt"))  # first-call allocations: not timed
        t = time.perf_counter()
        model(**query)
        prefill = time.perf_counter() - t
        t = time.perf_counter()
        out = model.generate(**query, max_new_tokens=n, min_new_tokens=n, eos_token_id=emb_id, do_sample=False, use_cache=True, return_dict_in_generate=True)
        past = out.past_key_values.get_seq_length()
        # The reference's extra forward: the last generated token once more, on the generation's cache.
        model(input_ids=out.sequences[:, -1:], past_key_values=out.past_key_values, cache_position=torch.arange(past, past + 1), use_cache=True)
        text_query = time.perf_counter() - t
        t = time.perf_counter()
        model(**target)
        target_seconds = time.perf_counter() - t
    json.dump({
        "loadSeconds": load,
        "peakRssGiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024,
        "promptTokens": int(query["input_ids"].shape[1]),
        "generated": int(out.sequences.shape[1] - query["input_ids"].shape[1]),
        "prefillSeconds": prefill,
        "textQuerySeconds": text_query,
        "targetSeconds": target_seconds,
        "targetTokens": int(target["input_ids"].shape[1]),
    }, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
