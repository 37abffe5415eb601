import * as ort from "#ort";
import { describe, expect, it } from "vitest";
import { concatCaches, KvCache } from "./kv-cache.js";

/** A one-layer cache whose values encode (row, head, time, dim) so moves are visible. */
function cache(batch: number, length: number, pads: number[], base: number): KvCache {
  const heads = 2;
  const d = 3;
  const data = Float32Array.from({ length: batch * heads * length * d }, (_, i) => base + i);
  const tensor = new ort.Tensor("float32", data, [batch, heads, length, d]);
  const mask = new BigInt64Array(batch * length);
  for (let b = 0; b < batch; b++) for (let t = pads[b]!; t < length; t++) mask[b * length + t] = 1n;
  return new KvCache([{ key: tensor, value: tensor }], mask, batch);
}

describe("KvCache", () => {
  it("retain keeps rows in order and drops left columns that are padding in every kept row", () => {
    const c = cache(3, 4, [2, 0, 1], 0);
    c.retain([2, 0]);
    expect(c.batch).toBe(2);
    expect(c.length).toBe(3); // both kept rows have at least one pad column
    // old row 2 had one pad column, old row 0 two: one column goes
    expect(Array.from(c.mask)).toEqual([1n, 1n, 1n, 0n, 1n, 1n]);
    const key = c.layers[0]!.key.data as Float32Array;
    // row 0 of the result is old row 2, head 0, time steps 1..3
    expect(key[0]).toBe(((2 * 2 + 0) * 4 + 1) * 3);
  });

  it("concatCaches right-aligns both caches in time and masks the new left padding", () => {
    const a = cache(1, 2, [0], 0);
    const b = cache(2, 4, [1, 0], 1000);
    const c = concatCaches(a, b);
    expect(c.batch).toBe(3);
    expect(c.length).toBe(4);
    expect(Array.from(c.mask)).toEqual([0n, 0n, 1n, 1n, 0n, 1n, 1n, 1n, 1n, 1n, 1n, 1n]);
    const key = c.layers[0]!.key.data as Float32Array;
    expect(key.subarray(0, 6)).toEqual(new Float32Array(6)); // padding
    expect(key[6]).toBe(0); // a's first value, now at time step 2
    expect(key[2 * 4 * 3]).toBe(1000); // b's first value, row 1 of the result
  });
});
