import { InvalidOptionError } from "../../errors.js";
import type { ImageProcessorConfig } from "./image-processor-config.js";
import { pilResizeBicubic } from "./pil-resize.js";
import type { RgbImage } from "./rgb-image.js";
import { applySmallImageRule } from "./small-image-rule.js";
import { smartResize } from "./smart-resize.js";

/** `[t, h, w]`: temporal patches, patch rows, patch columns (transformers' `image_grid_thw`). */
export type ImageGrid = [number, number, number];

/** The vision encoder's input for one image. */
export interface PreprocessedImage {
  /** `grid[0] * grid[1] * grid[2]` rows of `patchDim` float32 values, row-major. */
  pixelValues: Float32Array;
  /** Patch grid, `[1, height / patchSize, width / patchSize]` for a still image. */
  grid: ImageGrid;
  /** Values per patch row: `3 * temporalPatchSize * patchSize * patchSize` (1176 for Qwen2.5-VL). */
  patchDim: number;
}

const CHANNELS = 3;

/**
 * Turns a decoded image into Qwen2-VL / Qwen2.5-VL vision patches, reproducing transformers 4.51.3's slow
 * `Qwen2VLImageProcessor` (bit-for-bit on the fixtures): smart resize, Pillow bicubic resampling, rescale by
 * 1/255, normalise with mean/std in float32, repeat the frame `temporalPatchSize` times, and flatten patches
 * in the processor's order (merge windows of `mergeSize x mergeSize` patches are contiguous).
 *
 * @example
 * const { pixelValues, grid } = preprocessImage(await loadImage("cat.png"), QWEN2_VL_IMAGE_DEFAULTS);
 */
export function preprocessImage(image: RgbImage, config: ImageProcessorConfig): PreprocessedImage {
  const { patchSize, mergeSize, temporalPatchSize } = config;
  if (config.resample !== undefined && config.resample !== "bicubic") {
    throw new InvalidOptionError(`resample must be "bicubic", got ${JSON.stringify(config.resample)}.`);
  }
  const prepared = applySmallImageRule(image, config.smallImageRule ?? "reject");
  const size = smartResize(prepared.height, prepared.width, {
    factor: patchSize * mergeSize,
    minPixels: config.minPixels,
    maxPixels: config.maxPixels,
  });
  const resized = pilResizeBicubic(prepared, size.width, size.height);
  const planes = normalizeToPlanes(resized, config);
  const grid: ImageGrid = [1, size.height / patchSize, size.width / patchSize];
  return { pixelValues: patchify(planes, resized, grid, config), grid, patchDim: CHANNELS * temporalPatchSize * patchSize ** 2 };
}

/**
 * Rescale and normalise into channel planes (C, H, W), with numpy's float types: `u8 * (1/255)` in float64
 * cast to float32, then `(x - mean) / std` in float32. A 256-entry table per channel holds every result.
 */
function normalizeToPlanes(image: RgbImage, config: ImageProcessorConfig): Float32Array {
  const tables: Float32Array[] = [];
  for (let c = 0; c < CHANNELS; c++) {
    const mean = Math.fround(config.imageMean[c] as number);
    const std = Math.fround(config.imageStd[c] as number);
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = Math.fround(Math.fround(v * (1 / 255)) - mean) / std;
    tables.push(table);
  }
  const pixels = image.width * image.height;
  const planes = new Float32Array(pixels * CHANNELS);
  for (let c = 0; c < CHANNELS; c++) {
    const table = tables[c] as Float32Array;
    for (let i = 0; i < pixels; i++) planes[c * pixels + i] = table[image.data[i * CHANNELS + c] as number] as number;
  }
  return planes;
}

/**
 * transformers reshapes `(grid_t, tps, C, gh/m, m, P, gw/m, m, P)`, transposes `(0, 3, 6, 4, 7, 2, 1, 5, 8)` and
 * flattens to `(grid_t * gh * gw, C * tps * P * P)`: rows walk merge windows, then patches inside a window;
 * columns walk channel, frame, patch row, patch column. Both frames are the same image.
 */
function patchify(planes: Float32Array, image: RgbImage, grid: ImageGrid, config: ImageProcessorConfig): Float32Array {
  const { patchSize: p, mergeSize: m, temporalPatchSize: tps } = config;
  const [, gh, gw] = grid;
  const { width, height } = image;
  const patchDim = CHANNELS * tps * p * p;
  const out = new Float32Array(gh * gw * patchDim);
  let o = 0;
  for (let bh = 0; bh < gh / m; bh++) {
    for (let bw = 0; bw < gw / m; bw++) {
      for (let mh = 0; mh < m; mh++) {
        for (let mw = 0; mw < m; mw++) {
          const y0 = (bh * m + mh) * p;
          const x0 = (bw * m + mw) * p;
          for (let c = 0; c < CHANNELS; c++) {
            const plane = c * width * height;
            for (let t = 0; t < tps; t++) {
              for (let py = 0; py < p; py++) {
                const row = plane + (y0 + py) * width + x0;
                out.set(planes.subarray(row, row + p), o);
                o += p;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

/**
 * Number of `<|image_pad|>` tokens the LLM sees for an image: `t * h * w / mergeSize^2`.
 *
 * @example
 * imageTokenCount([1, 8, 4], 2); // 8
 */
export function imageTokenCount(grid: ImageGrid, mergeSize: number): number {
  return (grid[0] * grid[1] * grid[2]) / (mergeSize * mergeSize);
}
