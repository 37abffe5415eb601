import { afterAll, describe, expect, it } from "vitest";
import { loadRgeModel } from "../engine/rge-model.js";
import { observeSessionRuns } from "./observe-session-runs.js";
import { tempDir } from "./temp-dir.js";
import { writeTinyBundle } from "./tiny-model.js";

const tmp = tempDir();
afterAll(() => tmp.remove());

describe("observeSessionRuns", () => {
  it("tells each run's feeds, outputs and time, and stops when asked", async () => {
    writeTinyBundle(tmp.dir, { seed: 3 });
    const model = await loadRgeModel(tmp.dir, { maxNewTokens: 4, cacheSize: 0, prefixCache: false });
    const runs: { feeds: string[]; outputs: string[]; ms: number }[] = [];
    const stop = observeSessionRuns((feeds, outputs, run) => runs.push({ feeds: Object.keys(feeds), outputs: Object.keys(outputs), ms: run.ms }));
    const started = performance.now();
    const q = await model.embedQuery({ text: "a question" });
    const wall = performance.now() - started;
    stop();
    await model.embedQuery({ text: "after stopping" });
    await model.dispose();

    // The embedding runs, one prefill, then a step per generated token plus the extra forward of the last one.
    const decoder = runs.filter((r) => r.feeds.includes("inputs_embeds") && r.feeds.includes("attention_mask"));
    expect(decoder.length).toBe(1 + q.tokens.generated);
    expect(runs.some((r) => r.feeds.includes("input_ids") && r.outputs.includes("inputs_embeds"))).toBe(true);
    for (const r of runs) expect(r.ms).toBeGreaterThan(0);
    // Runs do not overlap within one call, so their times add up to no more than the call's.
    expect(runs.reduce((sum, r) => sum + r.ms, 0)).toBeLessThanOrEqual(wall);
  });
});
