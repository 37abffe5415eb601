import * as ort from "#ort";
import { describe, expect, it } from "vitest";
import { SLOT_HEADROOM, SlotKvCache } from "./slot-kv-cache.js";

/** One layer of new keys/values `[B, 1 head, S, 2]` whose values encode (row, step). */
function fresh(batch: number, steps: number, base: number) {
  const data = Float32Array.from({ length: batch * steps * 2 }, (_, i) => base + Math.floor(i / 2));
  const t = new ort.Tensor("float32", data, [batch, 1, steps, 2]);
  return [{ key: t, value: t }];
}

const row = (c: SlotKvCache, b: number) => Array.from((c.layers[0]!.key.data as Float32Array).subarray(b * c.capacity * 2, (b + 1) * c.capacity * 2));

describe("SlotKvCache", () => {
  it("writes each call's entries at each row's next slots, masked as given, and grows in place", () => {
    const c = SlotKvCache.allocate(1, 2, 1, 2, "float32", 3);
    c.append(fresh(2, 2, 10), BigInt64Array.from([0n, 1n, 1n, 1n]));
    expect(Array.from(c.used.subarray(0, 2))).toEqual([2, 2]);
    expect(Array.from(c.liveMask)).toEqual([0n, 1n, 0n, 1n, 1n, 0n]);
    c.append(fresh(2, 1, 20), BigInt64Array.from([1n, 1n]));
    c.append(fresh(2, 1, 30), BigInt64Array.from([1n, 1n])); // exceeds capacity 3: grows
    expect(c.capacity).toBeGreaterThanOrEqual(4);
    expect(row(c, 1).slice(0, 8)).toEqual([12, 12, 13, 13, 21, 21, 31, 31]);
    expect(c.layers[0]!.key.dims).toEqual([2, 1, c.capacity, 2]);
    expect(c.maskWith(1).length).toBe(2 * (c.capacity + 1));
  });

  it("retains and concatenates rows with their slots and masks", () => {
    const a = SlotKvCache.allocate(1, 2, 1, 2, "float32", 2);
    a.append(fresh(2, 1, 0), BigInt64Array.from([1n, 1n]));
    const b = SlotKvCache.allocate(1, 1, 1, 2, "float32", 5);
    b.append(fresh(1, 3, 100), BigInt64Array.from([0n, 1n, 1n]));
    const c = a.concat(b);
    expect(c.batch).toBe(3);
    expect(c.capacity).toBe(5);
    expect(Array.from(c.used.subarray(0, 3))).toEqual([1, 1, 3]);
    expect(row(c, 2).slice(0, 6)).toEqual([100, 100, 101, 101, 102, 102]);
    expect(c.retain([2, 0])).toEqual([0, 2]); // row 0 stays, old row 2 moves into the hole at row 1
    expect(c.batch).toBe(2);
    expect(Array.from(c.used.subarray(0, 2))).toEqual([1, 3]);
    expect(row(c, 0).slice(0, 2)).toEqual([0, 0]);
    expect(row(c, 1).slice(0, 6)).toEqual([100, 100, 101, 101, 102, 102]);
    expect(Array.from(c.liveMask.subarray(5, 10))).toEqual([0n, 1n, 1n, 0n, 0n]);
    expect(c.layers[0]!.key.dims).toEqual([2, 1, 5, 2]);
  });

  it("grows by the headroom, and shrinks when the longest row leaves, keeping every row's slots", () => {
    const c = SlotKvCache.allocate(1, 2, 1, 2, "float32", 4);
    c.append(fresh(2, 3, 0), BigInt64Array.from([1n, 1n, 1n, 0n, 1n, 1n]));
    c.append(fresh(2, 3, 50), BigInt64Array.from([1n, 1n, 1n, 1n, 1n, 1n]));
    expect(c.capacity).toBe(6 + SLOT_HEADROOM);
    for (let i = 0; i < 3 * SLOT_HEADROOM; i++) c.append(fresh(2, 1, 100 + i), BigInt64Array.from([1n, 1n]));
    const long = 6 + 3 * SLOT_HEADROOM;
    expect(c.capacity).toBeLessThan(long + 2 * SLOT_HEADROOM);
    // Row 0 leaves; row 1 (moved into its place) is as long, so nothing shrinks yet.
    expect(c.retain([1])).toEqual([1]);
    expect(c.capacity).toBeGreaterThanOrEqual(long);
    const before = row(c, 0).slice(0, 2 * long);

    const d = SlotKvCache.allocate(1, 2, 1, 2, "float32", long + SLOT_HEADROOM);
    d.append(fresh(2, 2, 0), BigInt64Array.from([1n, 1n, 0n, 1n]));
    d.used[0] = long; // row 0 as long as c's rows
    d.retain([1]);
    expect(d.capacity).toBe(2 + SLOT_HEADROOM);
    expect((d.layers[0]!.key.data as Float32Array).buffer.byteLength).toBeLessThan(2 * (long + SLOT_HEADROOM) * 2 * 4); // trimmed
    expect(d.layers[0]!.key.dims).toEqual([1, 1, 2 + SLOT_HEADROOM, 2]);
    expect(row(d, 0).slice(0, 4)).toEqual([2, 2, 3, 3]);
    expect(Array.from(d.liveMask.subarray(0, 3))).toEqual([0n, 1n, 0n]);
    expect(before).toEqual(row(c, 0).slice(0, 2 * long));
  });

  it("cuts its leading slots out as a one-row prefix", () => {
    const c = SlotKvCache.allocate(1, 1, 1, 2, "float32", 8);
    c.append(fresh(1, 4, 7), BigInt64Array.from([1n, 1n, 1n, 1n]));
    const [layer] = c.leading(3);
    expect(layer!.key.dims).toEqual([1, 1, 3, 2]);
    expect(Array.from(layer!.key.data as Float32Array)).toEqual([7, 7, 8, 8, 9, 9]);
  });
});
