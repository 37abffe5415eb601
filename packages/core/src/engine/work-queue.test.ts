import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { WorkQueue } from "./work-queue.js";

describe("WorkQueue", () => {
  it("a running batch takes later requests of its key only if no older request of another key waits", async () => {
    const batches: string[][] = [];
    const queue = new WorkQueue<string, string>(
      () => 8,
      async (batch, more) => {
        // A reasoning batch looks for more rows between its steps, as the scheduler's decode loop does.
        for (let step = 0; step < 3; step++) {
          await sleep(5);
          if (batch[0]!.key === "reason") more(8);
        }
        batches.push(batch.map((p) => p.input));
        for (const p of batch) p.resolve(p.input);
      },
    );
    const a = queue.submit("query A", "reason");
    await sleep(1); // A's batch is running
    const results = [a, queue.submit("query B", "reason"), queue.submit("document D", "encode"), queue.submit("query C", "reason")];
    await Promise.all(results);
    // B came before D, so A's batch takes it; C came after D, so D runs first.
    expect(batches).toEqual([["query A", "query B"], ["document D"], ["query C"]]);
  });
});
