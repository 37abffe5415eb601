"""A view of the 3B benchmark checkpoint that Python tools load in seconds.

The checkpoint's tokenizer pads its vocabulary to Qwen's 151,936 ids with ~151,000 added tokens (`<|x276|>`...),
which @rge/core reads at once but `transformers` (the tokenizers library's added-token matcher) takes hours to load.
No text ever produces them, so a copy of tokenizer.json that keeps only the special added tokens tokenizes every
prompt to the same ids.
"""

import json
from pathlib import Path


def trimmed_checkpoint(checkpoint: Path, into: Path) -> Path:
    """Fills `into` with symlinks to the checkpoint's files and a tokenizer.json without the filler tokens."""
    for entry in checkpoint.iterdir():
        if entry.name != "tokenizer.json":
            (into / entry.name).symlink_to(entry.resolve())
    tokenizer = json.loads((checkpoint / "tokenizer.json").read_text())
    tokenizer["added_tokens"] = [t for t in tokenizer["added_tokens"] if t.get("special")]
    (into / "tokenizer.json").write_text(json.dumps(tokenizer))
    return into
