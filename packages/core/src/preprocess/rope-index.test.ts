import { describe, expect, it } from "vitest";
import { ropePositions } from "./rope-index.js";

const IMG = 9;

describe("ropePositions", () => {
  it("counts text tokens on all three axes", () => {
    expect(ropePositions([1, 2, 3], [], IMG, 2)).toEqual({ t: [0, 1, 2], h: [0, 1, 2], w: [0, 1, 2], next: 3 });
  });

  it("lays a 2x2 merged image out on the h/w grid and resumes text after its largest position", () => {
    // 7 text tokens, a 1x4x4 patch grid (= 2x2 merged tokens), then 2 text tokens.
    const ids = [1, 1, 1, 1, 1, 1, 1, IMG, IMG, IMG, IMG, 1, 1];
    const p = ropePositions(ids, [[1, 4, 4]], IMG, 2);
    expect(p.t).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 9, 10]);
    expect(p.h).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 9, 10]);
    expect(p.w).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 7, 8, 9, 10]);
    expect(p.next).toBe(11);
  });

  it("handles non-square grids row by row", () => {
    const ids = [1, ...Array(6).fill(IMG)]; // 1x4x6 patches -> 2 rows x 3 cols
    const p = ropePositions(ids, [[1, 4, 6]], IMG, 2);
    expect(p.h.slice(1)).toEqual([1, 1, 1, 2, 2, 2]);
    expect(p.w.slice(1)).toEqual([1, 2, 3, 1, 2, 3]);
    expect(p.next).toBe(4);
  });

  it("rejects a placeholder count that does not match the grids", () => {
    expect(() => ropePositions([1, IMG, IMG], [[1, 4, 4]], IMG, 2)).toThrow(/expects 4/);
    expect(() => ropePositions([1, 2], [[1, 2, 2]], IMG, 2)).toThrow(/0 image placeholders for 1/);
  });
});
