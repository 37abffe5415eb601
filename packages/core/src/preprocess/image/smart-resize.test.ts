import { describe, expect, it } from "vitest";
import { ImageShapeError } from "../../errors.js";
import { fixtures } from "./__fixtures__/reference-fixtures.js";
import { roundHalfEven } from "../../numeric/round-half-even.js";
import { smartResize } from "./smart-resize.js";

describe("smartResize", () => {
  it.each(fixtures.smartResize)(
    "matches transformers for $height x $width (factor $factor, pixels $minPixels..$maxPixels)",
    ({ height, width, factor, minPixels, maxPixels, resizedHeight, resizedWidth }) => {
      expect(smartResize(height, width, { factor, minPixels, maxPixels })).toEqual({
        height: resizedHeight,
        width: resizedWidth,
      });
    },
  );

  it("rounds exact halves to even like Python's round()", () => {
    expect([0.5, 1.5, 2.5, 3.5, 4.5, -0.5, -1.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([
      0, 2, 2, 4, 4, 0, -2, 2, 3,
    ]);
    expect(smartResize(126, 70, { maxPixels: 28 * 28 * 16 })).toEqual({ height: 112, width: 56 });
  });

  it("rejects a side shorter than the factor, as transformers 4.51.3 does", () => {
    expect(() => smartResize(27, 100)).toThrow(ImageShapeError);
    expect(() => smartResize(100, 27)).toThrow(/at least 28 px/);
  });

  it("rejects aspect ratios above 200 and accepts exactly 200", () => {
    expect(() => smartResize(28, 5601)).toThrow(ImageShapeError);
    expect(() => smartResize(28, 5601)).toThrow(/aspect ratio/);
    expect(smartResize(28, 5600)).toEqual({ height: 28, width: 5600 });
  });
});
