import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fixtures, pattern } from "./__fixtures__/reference-fixtures.js";
import { pilResizeBicubic } from "./pil-resize.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

describe("pilResizeBicubic", () => {
  it.each(fixtures.resize)(
    "is byte-identical to Pillow for $source.width x $source.height -> $target.width x $target.height",
    ({ source, target, sourceSha256, resizedSha256 }) => {
      const image = pattern(source.width, source.height, source.seed);
      expect(sha256(image.data), "the TS test pattern drifted from the Python one").toBe(sourceSha256);
      const out = pilResizeBicubic(image, target.width, target.height);
      expect(out.width).toBe(target.width);
      expect(out.height).toBe(target.height);
      expect(out.data.length).toBe(target.width * target.height * 3);
      expect(sha256(out.data)).toBe(resizedSha256);
    },
  );

  it("returns a copy, not the input buffer, when the size does not change", () => {
    const image = pattern(5, 4, 0);
    const out = pilResizeBicubic(image, 5, 4);
    expect(out.data).toEqual(image.data);
    expect(out.data).not.toBe(image.data);
  });

  it("rejects non-positive or fractional sizes", () => {
    expect(() => pilResizeBicubic(pattern(4, 4, 0), 0, 4)).toThrow(RangeError);
    expect(() => pilResizeBicubic(pattern(4, 4, 0), 2.5, 4)).toThrow(RangeError);
  });
});
