"""Converts the 3B benchmark checkpoint's text model to GGUF with llama.cpp's own converter, for `--llama-bench`.

    python tools/bench/gguf_3b.py <llama.cpp source dir> <checkpoint dir> <out.gguf> [--outtype q8_0|f16]

Two things about the benchmark checkpoint stop llama.cpp's converter, and neither matters to llama-bench, which feeds
random token ids and never tokenizes:
- its tokenizer pads the vocabulary with ~151,000 added tokens that `transformers` takes hours to load, so the
  converter reads `trimmed_checkpoint`'s view (it names the missing ids [PAD<n>]);
- its byte-level pre-tokenizer is not one the converter recognises (it hashes token ids of a test string), so this
  names Qwen2's.
"""

import sys
import tempfile
from pathlib import Path

from trimmed_checkpoint import trimmed_checkpoint


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    source, checkpoint, out, *rest = sys.argv[1:]
    sys.path[:0] = [source, str(Path(source) / "gguf-py")]
    import conversion.base as base  # llama.cpp's converter package (recent trees split it out of the script)
    import convert_hf_to_gguf

    base.TextModel.get_vocab_base_pre = lambda self, tokenizer: "qwen2"
    with tempfile.TemporaryDirectory(prefix="rge-gguf-") as view:
        model_dir = trimmed_checkpoint(Path(checkpoint), Path(view))
        sys.argv = ["convert_hf_to_gguf.py", str(model_dir), "--outfile", out, *(rest or ["--outtype", "q8_0"])]
        convert_hf_to_gguf.main()


if __name__ == "__main__":
    main()
