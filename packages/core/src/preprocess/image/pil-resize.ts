import type { RgbImage } from "./rgb-image.js";

/*
 * A bit-exact port of Pillow's 8-bit resampling (libImaging/Resample.c) for the BICUBIC filter, so that
 * our pixels match the ones Qwen2.5-VL saw in training, where transformers resized with
 * `PIL.Image.resize(size, BICUBIC)`. Every arithmetic step keeps Pillow's order and types: double-precision
 * filter weights, normalised per output pixel, turned into 22-bit fixed point, accumulated in integers,
 * rounded and clipped to uint8 after each of the two separable passes.
 */

/** Pillow keeps 8 bits for the result and 2 for overflow out of a 32-bit int. */
const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
const BICUBIC_SUPPORT = 2;

/** Keys' cubic convolution kernel with a = -0.5, written in Pillow's operation order. */
function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Per output pixel: the first input index, how many inputs it reads, and their fixed-point weights. */
interface Coefficients {
  /** Weights per output pixel (stride of the `weights` array). */
  ksize: number;
  /** `[first, count]` per output pixel. */
  bounds: Int32Array;
  weights: Int32Array;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the whole input range (no crop box). */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1); // antialias: widen the kernel when downscaling
  const support = BICUBIC_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * ksize);
  const kernel = new Float64Array(ksize);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < count; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      kernel[x] = w;
      total += w;
    }
    for (let x = 0; x < count; x++) {
      const k = total !== 0 ? (kernel[x] as number) / total : (kernel[x] as number);
      weights[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * ONE) : Math.trunc(0.5 + k * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = count;
  }
  return { ksize, bounds, weights };
}

/** Pillow's `clip8`: drop the fraction bits, clamp to 0..255. */
function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Horizontal pass over rows `[rowStart, rowStart + rows)` of `src` (RGB, `srcWidth` wide). */
function resampleHorizontal(
  src: Uint8Array,
  srcWidth: number,
  rowStart: number,
  rows: number,
  outWidth: number,
  c: Coefficients,
): Uint8Array {
  const out = new Uint8Array(outWidth * rows * 3);
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + rowStart) * srcWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = c.bounds[xx * 2] as number;
      const count = c.bounds[xx * 2 + 1] as number;
      const kBase = xx * c.ksize;
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let x = 0; x < count; x++) {
        const k = c.weights[kBase + x] as number;
        const p = rowBase + (x + xmin) * 3;
        r += (src[p] as number) * k;
        g += (src[p + 1] as number) * k;
        b += (src[p + 2] as number) * k;
      }
      const o = (yy * outWidth + xx) * 3;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
    }
  }
  return out;
}

/** Vertical pass; `rowOffset` is subtracted from the bounds when `src` holds only the rows it needs. */
function resampleVertical(
  src: Uint8Array,
  width: number,
  outHeight: number,
  rowOffset: number,
  c: Coefficients,
): Uint8Array {
  const out = new Uint8Array(width * outHeight * 3);
  const stride = width * 3;
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = (c.bounds[yy * 2] as number) - rowOffset;
    const count = c.bounds[yy * 2 + 1] as number;
    const kBase = yy * c.ksize;
    for (let i = 0; i < stride; i++) {
      let acc = HALF;
      for (let y = 0; y < count; y++) {
        acc += (src[(y + ymin) * stride + i] as number) * (c.weights[kBase + y] as number);
      }
      out[yy * stride + i] = clip8(acc);
    }
  }
  return out;
}

/**
 * Resizes an RGB image exactly as Pillow's `Image.resize((width, height), Image.BICUBIC)` does
 * (Pillow 7 through 11; `reducing_gap` unset, no crop box). Output bytes are identical to Pillow's.
 *
 * A pass is skipped when its dimension does not change, and an unchanged size returns a copy, as in
 * Pillow. Horizontal runs first, on just the rows the vertical pass will read.
 *
 * @example
 * const small = pilResizeBicubic(image, 56, 84);
 */
export function pilResizeBicubic(image: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`pilResizeBicubic: target size must be positive integers, got ${width}x${height}`);
  }
  const needHorizontal = width !== image.width;
  const needVertical = height !== image.height;
  if (!needHorizontal && !needVertical) {
    return { width, height, data: image.data.slice() };
  }
  const vertical = coefficients(image.height, height);
  let data = image.data;
  let rowOffset = 0;
  if (needHorizontal) {
    // Only rows from the first one the vertical pass reads to the last one.
    const first = needVertical ? (vertical.bounds[0] as number) : 0;
    const last = needVertical
      ? (vertical.bounds[height * 2 - 2] as number) + (vertical.bounds[height * 2 - 1] as number)
      : image.height;
    data = resampleHorizontal(data, image.width, first, last - first, width, coefficients(image.width, width));
    rowOffset = first;
  }
  if (needVertical) {
    data = resampleVertical(data, width, height, rowOffset, vertical);
  }
  return { width, height, data };
}
