import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fixturePath, fixtures } from "./__fixtures__/reference-fixtures.js";
import { compositeOnWhiteInPlace, decodeImage } from "./decode-image.js";

describe("decodeImage against Pillow", () => {
  it.each(fixtures.decode)("decodes $file like Pillow (exact: $exact)", async ({ file, exact, width, height, rgb }) => {
    const image = await decodeImage(readFileSync(fixturePath(file)));
    expect([image.width, image.height]).toEqual([width, height]);
    const expected = Buffer.from(rgb, "base64");
    let maxDiff = 0;
    for (let i = 0; i < expected.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((image.data[i] as number) - (expected[i] as number)));
    }
    // JPEG: sharp's libjpeg (mozjpeg) and Pillow's libjpeg-turbo could round IDCT or chroma upsampling
    // differently; on these fixtures (sharp 0.35.5, Pillow 11.2.1) the difference measured 0.
    expect(maxDiff).toBeLessThanOrEqual(exact ? 0 : 2);
  });
});

describe("compositeOnWhiteInPlace", () => {
  it("keeps opaque pixels, whitens transparent ones, and rounds like Pillow's paste", () => {
    const rgba = new Uint8Array([10, 20, 30, 255, 10, 20, 30, 0, 0, 128, 255, 128]);
    // (c * a + 255 * (255 - a)) / 255 rounded: a=128 -> 0 -> 127, 128 -> 191, 255 -> 255.
    expect(Array.from(compositeOnWhiteInPlace(rgba))).toEqual([10, 20, 30, 255, 255, 255, 127, 191, 255]);
  });
});
