import { describe, expect, it } from "vitest";
import { AbortedError } from "../../errors.js";
import { CONCURRENT_DECODES, DecodeSlots } from "./decode-slots.js";

/** A task that records how many tasks run at once and finishes when `finish` is called. */
function probe(counter: { running: number; most: number; started: number[] }, id: number) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const task = async () => {
    counter.started.push(id);
    counter.running++;
    counter.most = Math.max(counter.most, counter.running);
    await done;
    counter.running--;
    return id;
  };
  return { task, finish };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("DecodeSlots", () => {
  it(`runs at most ${CONCURRENT_DECODES} decodes at once by default, in arrival order, and all of them`, async () => {
    const slots = new DecodeSlots();
    const counter = { running: 0, most: 0, started: [] as number[] };
    const probes = Array.from({ length: 8 }, (_, i) => probe(counter, i));
    const results = probes.map((p) => slots.run(p.task));
    for (const [i, p] of probes.entries()) {
      await tick();
      expect(counter.running).toBe(Math.min(CONCURRENT_DECODES, probes.length - i)); // full, never over
      p.finish();
    }
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(counter.most).toBe(CONCURRENT_DECODES);
    expect(counter.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it("frees the slot of a task that throws", async () => {
    const slots = new DecodeSlots(1);
    await expect(slots.run(async () => Promise.reject(new Error("bad image")))).rejects.toThrow("bad image");
    await expect(slots.run(async () => "next")).resolves.toBe("next");
  });

  it("rejects a waiter whose signal aborts with AbortedError, without running it or losing a slot", async () => {
    const slots = new DecodeSlots(1);
    const counter = { running: 0, most: 0, started: [] as number[] };
    const first = probe(counter, 0);
    const running = slots.run(first.task);
    const controller = new AbortController();
    let ran = false;
    const waiting = slots.run(async () => (ran = true), controller.signal);
    const after = probe(counter, 2);
    const queued = slots.run(after.task);
    controller.abort(new Error("caller gave up"));
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    first.finish();
    await running;
    await tick();
    expect(counter.started).toEqual([0, 2]); // the slot went to the next waiter
    after.finish();
    await queued;
    expect(ran).toBe(false);
    await expect(slots.run(async () => "free", AbortSignal.abort())).rejects.toBeInstanceOf(AbortedError);
  });
});
