import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@rge/core/testing";
import { DEMO_SUBSET, demoMetrics, demoModel, writeDemoBenchmark } from "@rge/example-demo-model";
import { afterAll, describe, expect, it } from "vitest";

const tmp = tempDir("rge-demo-eval-");
afterAll(() => tmp.remove());

const evalPkg = join(import.meta.dirname, "..", "packages", "eval");
const tsx = join(evalPkg, "node_modules", "tsx", "dist", "cli.mjs");

/** Runs the `rge-eval` command line on the mini benchmark; returns P@1 per reasoning mode. */
function rgeEval(data: string, model: string, reasoning: "on" | "off" | "both", out: string): Record<string, number> {
  const args = ["--conditions=@rge/source", join(evalPkg, "src", "cli", "main.ts"), "--data", data, "--images", data, "--model", model];
  const r = spawnSync(process.execPath, [tsx, ...args, "--subsets", DEMO_SUBSET, "--reasoning", reasoning, "--out", out], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  const modes = reasoning === "both" ? ["on", "off"] : [reasoning];
  return Object.fromEntries(
    modes.map((m) => [m, (JSON.parse(readFileSync(join(out, `reasoning-${m}`, `${DEMO_SUBSET}_score.json`), "utf8")) as { acc: number }).acc]),
  );
}

describe("the demo model on its held-out mini benchmark, through rge-eval", () => {
  it("was written by the committed training script (retrain after changing it)", () => {
    const script = readFileSync(join(import.meta.dirname, "..", "tools", "demo-model", "train_demo_model.py"));
    expect(createHash("sha256").update(script).digest("hex"), "tools/demo-model/train_demo_model.py changed: retrain the demo model").toBe(
      demoMetrics().script_sha256,
    );
  });

  it("reasons its way past the same architecture trained to embed directly, by the margin the training script measured", async () => {
    const script = demoMetrics();
    const data = join(tmp.dir, "data");
    writeDemoBenchmark(data);
    const rge = rgeEval(data, await demoModel(), "both", join(tmp.dir, "out-rge"));
    const direct = rgeEval(data, await demoModel({ name: "direct-baseline" }), "off", join(tmp.dir, "out-direct"))["off"]!;
    const js = { reasoning: rge["on"]!, rgeWithoutReasoning: rge["off"]!, direct };
    const trained = { reasoning: script.rge.heldout_reasoning.p_at_1, rgeWithoutReasoning: script.rge.heldout_no_reasoning.p_at_1, direct: script.direct.heldout.p_at_1 };
    console.log(
      `demo model, ${script.heldout_queries} held-out queries x ${script.candidates} candidates, P@1 (JS | training script):\n` +
        `  RGE, reasoning on        ${js.reasoning.toFixed(3)} | ${trained.reasoning.toFixed(3)}\n` +
        `  RGE, reasoning off       ${js.rgeWithoutReasoning.toFixed(3)} | ${trained.rgeWithoutReasoning.toFixed(3)}\n` +
        `  direct-embedding model   ${js.direct.toFixed(3)} | ${trained.direct.toFixed(3)}\n` +
        `  gain from reasoning      ${(js.reasoning - js.direct).toFixed(3)} | ${(trained.reasoning - trained.direct).toFixed(3)}`,
    );
    // ONNX Runtime and PyTorch agree to ~1e-5 in fp32, so only near-ties may flip: the figures match closely.
    expect(js.reasoning).toBeGreaterThanOrEqual(trained.reasoning - 0.01);
    expect(Math.abs(js.direct - trained.direct)).toBeLessThanOrEqual(0.01);
    expect(js.reasoning - js.direct).toBeGreaterThan(0.9 * (trained.reasoning - trained.direct));
    expect(trained.reasoning - trained.direct).toBeGreaterThan(0.05);
  });
});
