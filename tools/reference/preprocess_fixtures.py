"""Generate the parity fixtures for @rge/core's image preprocessing.

The TypeScript port of Qwen2VLImageProcessor (packages/core/src/preprocess/image/) is tested against
what this script records from the reference stack: Pillow's BICUBIC resize and transformers'
Qwen2VLImageProcessor (the slow, PIL-based one). Nothing here needs torch.

    python3.11 -m venv .venv && .venv/bin/pip install -r tools/reference/requirements-preprocess.txt
    .venv/bin/python tools/reference/preprocess_fixtures.py

Outputs go to packages/core/src/preprocess/image/__fixtures__/ (small PNG/JPEG inputs plus
fixtures.json). The JSON records this script's SHA-256; a TS test fails when the script changes
and the fixtures were not regenerated.
"""

import base64
import hashlib
import io
import json
import platform
import sys
from pathlib import Path

import numpy as np
import PIL
import transformers
from PIL import Image, ImageOps
from transformers import Qwen2VLImageProcessor
from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "packages/core/src/preprocess/image/__fixtures__"

# Small pixel budgets keep every fixture tiny while still exercising all smart_resize branches.
MIN_PIXELS = 56 * 56
MAX_PIXELS = 28 * 28 * 16
# Cases whose pixel_values are stored in full; the others are checked through per-row checksums.
FULL_PIXEL_VALUES = {"alpha-composited", "alpha-dropped", "tiny-mmeb"}


def pattern(width: int, height: int, seed: int) -> np.ndarray:
    """Deterministic RGB test pattern, (height, width, 3) uint8.

    Mixes hard 0/255 blocks (bicubic overshoot must clip), hashed noise, and wrapping gradients.
    The TS tests rebuild the same pattern with the same integer formula.
    """
    y, x, c = np.meshgrid(
        np.arange(height, dtype=np.uint32),
        np.arange(width, dtype=np.uint32),
        np.arange(3, dtype=np.uint32),
        indexing="ij",
    )
    s = np.uint32(seed)
    h = (x * np.uint32(73856093)) ^ (y * np.uint32(19349663)) ^ ((c + s * np.uint32(3)) * np.uint32(83492791))
    h = h ^ (h >> np.uint32(13))
    block = ((x >> np.uint32(3)) + (y >> np.uint32(2)) + c + s) % np.uint32(4)
    hard = np.where((h & np.uint32(1)) == 1, np.uint32(0), np.uint32(255))
    noise = h & np.uint32(255)
    gradient = (x * np.uint32(5) + y * np.uint32(3) + c * np.uint32(40) + s * np.uint32(17)) % np.uint32(256)
    out = np.where(block == 0, hard, np.where(block == 1, noise, gradient))
    return out.astype(np.uint8)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def rgb_bytes(image: Image.Image) -> bytes:
    assert image.mode == "RGB"
    return np.asarray(image, dtype=np.uint8).tobytes()


def composite_on_white(image: Image.Image) -> Image.Image:
    """What qwen-vl-utils' to_rgb does: paste RGBA over white using alpha as the mask (our loader's alpha: "white")."""
    if image.mode != "RGBA":
        return image.convert("RGB")
    background = Image.new("RGB", image.size, (255, 255, 255))
    background.paste(image, mask=image.split()[3])
    return background


# --- Pillow resize cases: source pattern (w, h, seed) -> target (w, h) -----------------------------

RESIZE_CASES = [
    ((64, 48, 1), (64, 48)),  # identity: Pillow copies
    ((64, 48, 2), (100, 48)),  # horizontal pass only, upscale
    ((64, 48, 3), (64, 20)),  # vertical pass only, downscale
    ((7, 5, 4), (50, 33)),  # large upscale from a tiny image
    ((200, 150, 5), (13, 9)),  # large downscale: wide antialiasing support
    ((97, 61, 6), (56, 84)),  # down in x, up in y
    ((300, 200, 7), (112, 84)),  # the downscale-by-max-pixels case
    ((33, 29, 8), (28, 28)),  # slight downscale
    ((1, 1, 9), (3, 2)),  # single pixel
    ((150, 3, 10), (140, 28)),  # very flat
]


def resize_fixtures() -> list:
    out = []
    for (sw, sh, seed), (tw, th) in RESIZE_CASES:
        src = Image.fromarray(pattern(sw, sh, seed), "RGB")
        dst = src.resize((tw, th), Image.Resampling.BICUBIC)
        out.append(
            {
                "source": {"width": sw, "height": sh, "seed": seed},
                "target": {"width": tw, "height": th},
                "sourceSha256": sha256(rgb_bytes(src)),
                "resizedSha256": sha256(rgb_bytes(dst)),
            }
        )
    return out


# --- smart_resize cases --------------------------------------------------------------------------

SMART_RESIZE_CASES = [
    # (height, width, factor, min_pixels, max_pixels)
    (126, 70, 28, MIN_PIXELS, MAX_PIXELS),  # 4.5 and 2.5 round half to even: 112 x 56
    (42, 98, 28, MIN_PIXELS, 28 * 28 * 1280),  # 1.5 -> 2, 3.5 -> 4
    (30, 40, 28, MIN_PIXELS, MAX_PIXELS),  # upscaled by min_pixels
    (200, 300, 28, MIN_PIXELS, MAX_PIXELS),  # downscaled by max_pixels
    (1080, 1920, 28, 56 * 56, 28 * 28 * 1280),  # a photo with Qwen defaults
    (1080, 1920, 28, 56 * 56, 12845056),  # ... with Qwen2.5-VL's shipped max_pixels
    (4032, 3024, 28, 56 * 56, 28 * 28 * 1280),
    (28, 5600, 28, 56 * 56, 28 * 28 * 1280),  # aspect ratio exactly 200
    (700, 28, 28, 56 * 56, 28 * 28 * 1280),
    (999, 1001, 28, 256 * 28 * 28, 1024 * 28 * 28),
    (14, 14, 14, 4, 10**9),  # a different factor
    (50, 50, 28, 112 * 112, 28 * 28 * 1280),
]


def smart_resize_fixtures() -> list:
    out = []
    for height, width, factor, min_pixels, max_pixels in SMART_RESIZE_CASES:
        h, w = smart_resize(height, width, factor=factor, min_pixels=min_pixels, max_pixels=max_pixels)
        out.append(
            {
                "height": height,
                "width": width,
                "factor": factor,
                "minPixels": min_pixels,
                "maxPixels": max_pixels,
                "resizedHeight": h,
                "resizedWidth": w,
            }
        )
    return out


# --- full processor cases -------------------------------------------------------------------------


def small_image_rule(image: Image.Image, rule: str) -> Image.Image:
    """The small-image rules our TS port offers; see small-image-rule.ts."""
    if rule == "mmeb" and (image.size[0] < 28 or image.size[1] < 28):
        return image.resize((56, 56))  # VLM2Vec src/model/processor.py; default resample is BICUBIC
    if rule == "stretch-to-factor":
        if image.size[0] < 28:
            image = image.resize((28, image.size[1]))
        if image.size[1] < 28:
            image = image.resize((image.size[0], 28))
    return image


PROCESSOR_CASES = [
    # (name, width, height, seed, mode, min_pixels, max_pixels, small image rule)
    ("round-half-even", 70, 126, 11, "RGB", MIN_PIXELS, MAX_PIXELS, "reject"),
    ("upscale-min-pixels", 40, 30, 12, "RGB", MIN_PIXELS, MAX_PIXELS, "reject"),
    ("downscale-max-pixels", 300, 200, 13, "RGB", MIN_PIXELS, MAX_PIXELS, "reject"),
    ("alpha-composited", 64, 48, 14, "RGBA", MIN_PIXELS, MAX_PIXELS, "reject"),
    ("alpha-dropped", 64, 48, 15, "RGBA", MIN_PIXELS, MAX_PIXELS, "reject"),
    ("tiny-mmeb", 20, 60, 15, "RGB", MIN_PIXELS, MAX_PIXELS, "mmeb"),
    ("tiny-stretch", 20, 60, 16, "RGB", MIN_PIXELS, MAX_PIXELS, "stretch-to-factor"),
    ("vertical-pass-only", 56, 90, 17, "RGB", MIN_PIXELS, MAX_PIXELS, "reject"),
    ("no-resize", 56, 84, 18, "RGB", MIN_PIXELS, MAX_PIXELS, "reject"),
    ("qwen-defaults", 120, 90, 19, "RGB", 56 * 56, 28 * 28 * 1280, "reject"),
]


def make_input(width: int, height: int, seed: int, mode: str) -> Image.Image:
    rgb = pattern(width, height, seed)
    if mode == "RGB":
        return Image.fromarray(rgb, "RGB")
    yy, xx = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    alpha = ((xx * 255) // max(width - 1, 1)).astype(np.uint8)
    alpha[(yy // 8) % 3 == 0] = 0  # fully transparent bands
    alpha[(yy // 8) % 3 == 1] = np.clip(alpha[(yy // 8) % 3 == 1], 1, 254)
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


def row_checksums(values: np.ndarray) -> dict:
    v = values.astype(np.float64)
    weights = np.arange(1, v.shape[1] + 1, dtype=np.float64) / v.shape[1]
    return {"sum": v.sum(axis=1).tolist(), "weightedSum": (v * weights).sum(axis=1).tolist()}


def processor_fixtures() -> list:
    out = []
    for name, width, height, seed, mode, min_pixels, max_pixels, rule in PROCESSOR_CASES:
        image = make_input(width, height, seed, mode)
        file = f"{name}.png"
        image.save(OUT / file, optimize=True)
        # The reference (RGE's eval: Image.open, then transformers' convert_rgb = convert("RGB")) drops alpha;
        # the "alpha-composited" case checks our loader's optional white compositing instead.
        alpha = "white" if name == "alpha-composited" else "drop"
        opened = Image.open(OUT / file)
        reloaded = composite_on_white(opened) if alpha == "white" else opened.convert("RGB")
        prepared = small_image_rule(reloaded, rule)
        processor = Qwen2VLImageProcessor(min_pixels=min_pixels, max_pixels=max_pixels)
        rh, rw = smart_resize(prepared.height, prepared.width, 28, min_pixels, max_pixels)
        resized = prepared.resize((rw, rh), Image.Resampling.BICUBIC)
        result = processor(images=prepared, return_tensors="np")
        pixel_values = result["pixel_values"]
        assert pixel_values.dtype == np.float32
        entry = {
            "name": name,
            "alpha": alpha,
            "file": file,
            "minPixels": min_pixels,
            "maxPixels": max_pixels,
            "smallImageRule": rule,
            "decodedSha256": sha256(rgb_bytes(reloaded)),
            "preparedSize": {"width": prepared.width, "height": prepared.height},
            "resizedSize": {"width": rw, "height": rh},
            "resizedSha256": sha256(rgb_bytes(resized)),
            "grid": [int(v) for v in result["image_grid_thw"][0]],
            "shape": list(pixel_values.shape),
            "pixelValuesSha256": sha256(pixel_values.tobytes()),
            "rowChecksums": row_checksums(pixel_values),
            "firstRow": base64.b64encode(pixel_values[0].tobytes()).decode(),
            "lastRow": base64.b64encode(pixel_values[-1].tobytes()).decode(),
        }
        if name in FULL_PIXEL_VALUES:
            entry["pixelValues"] = base64.b64encode(pixel_values.tobytes()).decode()
        out.append(entry)
    return out


# --- decoder cases: what PIL decodes, for comparing sharp's output --------------------------------


def decode_fixtures() -> list:
    out = []
    rgb = pattern(40, 30, 21)
    gray = Image.fromarray(rgb[:, :, 0], "L")
    gray.save(OUT / "decode-gray.png")
    Image.fromarray(rgb, "RGB").quantize(16).save(OUT / "decode-palette.png")
    Image.fromarray(rgb, "RGB").save(OUT / "decode-rgb.jpg", quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    Image.fromarray(rgb, "RGB").save(OUT / "decode-exif-rotate.jpg", quality=90, exif=exif)
    for file, exact in [
        ("decode-gray.png", True),
        ("decode-palette.png", True),
        ("decode-rgb.jpg", False),
        ("decode-exif-rotate.jpg", False),
    ]:
        image = ImageOps.exif_transpose(Image.open(OUT / file))
        decoded = composite_on_white(image)
        out.append(
            {
                "file": file,
                "exact": exact,
                "width": decoded.width,
                "height": decoded.height,
                "rgb": base64.b64encode(rgb_bytes(decoded)).decode(),
            }
        )
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    fixtures = {
        "generator": {
            "script": "tools/reference/preprocess_fixtures.py",
            "scriptSha256": sha256(Path(__file__).read_bytes()),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "pillow": PIL.__version__,
            "numpy": np.__version__,
            "transformers": transformers.__version__,
        },
        "smartResize": smart_resize_fixtures(),
        "resize": resize_fixtures(),
        "processor": processor_fixtures(),
        "decode": decode_fixtures(),
    }
    (OUT / "fixtures.json").write_text(json.dumps(fixtures, indent=1) + "\n")
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {OUT} ({total / 1024:.0f} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
