import { describe, expect, it } from "vitest";
import { isHit, predictCandidate } from "./precision-at-1.js";

const v = (...x: number[]) => Float32Array.from(x);

describe("Precision@1", () => {
  it("picks the candidate with the highest cosine, whatever the vectors' lengths", () => {
    // cosines with (1, 0): 0.6, 0.8 (length 10), 0.707
    expect(predictCandidate(v(2, 0), [v(3, 4), v(8, 6), v(1, 1)])).toBe(1);
    expect(isHit(v(2, 0), [v(3, 4), v(8, 6), v(1, 1)])).toBe(false);
    expect(isHit(v(0, 1), [v(3, 4), v(8, 6), v(1, 1)])).toBe(true);
  });

  it("counts a tie with the positive as a hit (numpy's argmax takes the first maximum)", () => {
    expect(isHit(v(1, 0), [v(1, 1), v(2, 2)])).toBe(true);
    expect(predictCandidate(v(1, 0), [v(0, 1), v(1, 1), v(2, 2)])).toBe(1);
  });

  it("refuses embeddings of different lengths", () => {
    expect(() => isHit(v(1, 0), [v(1, 0, 0)])).toThrow(/lengths differ/);
  });
});
