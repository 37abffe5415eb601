"""The authors' code path, timed: for each query, transformers' generate() (greedy, eos=<emb>, KV cache) then one
extra forward of the last generated token, as MCG-NJU/RGE's inference.py does, one query at a time.

Reads a JSON job {checkpoint, queries: [{prompt, image?, max_new_tokens}]} from argv[1], writes
{seconds, queries: [{generated_ids, embedding}]} to argv[2]. Needs tools/reference/requirements-reference.txt.
"""

import json
import sys
import time

import torch
import torch.nn.functional as F
from PIL import Image
from transformers import AutoProcessor, Qwen2_5_VLForConditionalGeneration


def main():
    job = json.load(open(sys.argv[1]))
    torch.set_num_threads(int(job.get("threads", 2)))
    processor = AutoProcessor.from_pretrained(job["checkpoint"])
    model = Qwen2_5_VLForConditionalGeneration.from_pretrained(job["checkpoint"], torch_dtype=torch.float32, attn_implementation="sdpa").eval()
    emb_id = processor.tokenizer.convert_tokens_to_ids("<emb>")
    results = []
    started = time.perf_counter()
    with torch.no_grad():
        for q in job["queries"]:
            images = [Image.open(q["image"])] if q.get("image") else None
            inputs = processor(text=q["prompt"], images=images, return_tensors="pt")
            out = model.generate(**inputs, max_new_tokens=q["max_new_tokens"], eos_token_id=emb_id, use_cache=True, return_dict_in_generate=True)
            past = out.past_key_values.get_seq_length()
            step = model(input_ids=out.sequences[:, -1:], past_key_values=out.past_key_values, cache_position=torch.arange(past, past + 1), output_hidden_states=True, use_cache=True)
            embedding = F.normalize(step.hidden_states[-1][:, -1, :], p=2, dim=-1)[0]
            results.append({"generated_ids": out.sequences[0][inputs["input_ids"].shape[1]:].tolist(), "embedding": embedding.tolist()})
    seconds = time.perf_counter() - started
    json.dump({"seconds": seconds, "queries": results}, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
