import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fixturePath, fixtures, float32FromBase64 } from "./__fixtures__/reference-fixtures.js";
import { QWEN2_VL_IMAGE_DEFAULTS, type ImageProcessorConfig } from "./image-processor-config.js";
import { loadImage } from "./image-source.js";
import { pilResizeBicubic } from "./pil-resize.js";
import { imageTokenCount, preprocessImage } from "./qwen2-vl-image-processor.js";
import { applySmallImageRule } from "./small-image-rule.js";
import { smartResize } from "./smart-resize.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

describe.each(fixtures.processor)("preprocessImage on $name", (fx) => {
  const config: ImageProcessorConfig = {
    ...QWEN2_VL_IMAGE_DEFAULTS,
    minPixels: fx.minPixels,
    maxPixels: fx.maxPixels,
    smallImageRule: fx.smallImageRule,
  };
  const load = () => loadImage(fixturePath(fx.file), { alpha: fx.alpha });

  it(`decodes the PNG to the same RGB bytes as Pillow (alpha: ${fx.alpha})`, async () => {
    expect(sha256((await load()).data)).toBe(fx.decodedSha256);
  });

  it("resizes to transformers' size with Pillow-identical bytes", async () => {
    const prepared = applySmallImageRule(await load(), fx.smallImageRule);
    expect({ width: prepared.width, height: prepared.height }).toEqual(fx.preparedSize);
    const size = smartResize(prepared.height, prepared.width, { minPixels: fx.minPixels, maxPixels: fx.maxPixels });
    expect(size).toEqual(fx.resizedSize);
    expect(sha256(pilResizeBicubic(prepared, size.width, size.height).data)).toBe(fx.resizedSha256);
  });

  it("produces transformers' grid and pixel_values", async () => {
    const out = preprocessImage(await load(), config);
    expect(out.grid).toEqual(fx.grid);
    expect(out.patchDim).toBe(fx.shape[1]);
    const [rows, dim] = fx.shape;
    expect(out.pixelValues.length).toBe(rows * dim);

    const row = (i: number) => out.pixelValues.subarray(i * dim, (i + 1) * dim);
    expect(maxAbsDiff(row(0), float32FromBase64(fx.firstRow))).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(row(rows - 1), float32FromBase64(fx.lastRow))).toBeLessThanOrEqual(1e-5);
    if (fx.pixelValues) {
      expect(maxAbsDiff(out.pixelValues, float32FromBase64(fx.pixelValues))).toBeLessThanOrEqual(1e-5);
    }
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      let weighted = 0;
      row(i).forEach((v, j) => {
        sum += v;
        weighted += (v * (j + 1)) / dim;
      });
      // A value off by 1e-5 moves a 1176-value sum by at most ~1e-2; any reordering moves the weighted sum by far more.
      expect(Math.abs(sum - (fx.rowChecksums.sum[i] as number))).toBeLessThan(1e-2);
      expect(Math.abs(weighted - (fx.rowChecksums.weightedSum[i] as number))).toBeLessThan(1e-2);
    }
  });

  it("is bit-identical to transformers' float32 output", async () => {
    const out = preprocessImage(await load(), config);
    expect(sha256(new Uint8Array(out.pixelValues.buffer))).toBe(fx.pixelValuesSha256);
  });
});

describe("imageTokenCount", () => {
  it("divides the patch count by mergeSize squared", () => {
    expect(imageTokenCount([1, 8, 4], 2)).toBe(8);
    expect(imageTokenCount([1, 52, 94], 2)).toBe(1222);
  });
});
