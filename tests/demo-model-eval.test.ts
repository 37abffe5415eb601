import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@rge/core/testing";
import { convertCheckpoint } from "@rge/core";
import { DEMO_SUBSETS, demoCheckpointDir, demoEvalFlags, demoMetrics, demoModel, writeDemoBenchmark, type DemoSubset } from "@rge/example-demo-model";
import { afterAll, describe, expect, it } from "vitest";

const tmp = tempDir("rge-demo-eval-");
afterAll(() => tmp.remove());

const evalPkg = join(import.meta.dirname, "..", "packages", "eval");
const tsx = join(evalPkg, "node_modules", "tsx", "dist", "cli.mjs");

type Scores = Record<DemoSubset, number>;

/** Runs the `rge-eval` command line on every subset of the mini benchmark; returns P@1 per reasoning mode and subset. */
function rgeEval(data: string, model: string, reasoning: "on" | "off" | "both", out: string, dtype = "fp32"): Record<string, Scores> {
  const args = ["--conditions=@rge/source", join(evalPkg, "src", "cli", "main.ts"), "--data", data, "--images", data, "--model", model, "--dtype", dtype];
  const r = spawnSync(process.execPath, [tsx, ...args, ...demoEvalFlags(), "--subsets", DEMO_SUBSETS.join(","), "--reasoning", reasoning, "--out", out], {
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(0);
  const score = (mode: string, subset: string) =>
    (JSON.parse(readFileSync(join(out, `reasoning-${mode}`, `${subset}_score.json`), "utf8")) as { acc: number }).acc;
  const modes = reasoning === "both" ? ["on", "off"] : [reasoning];
  return Object.fromEntries(modes.map((m) => [m, Object.fromEntries(DEMO_SUBSETS.map((s) => [s, score(m, s)])) as Scores]));
}

describe("the demo model on its held-out mini benchmark, through rge-eval", () => {
  it("was written by the committed training script (retrain after changing it)", () => {
    const script = readFileSync(join(import.meta.dirname, "..", "tools", "demo-model", "train_demo_model.py"));
    expect(createHash("sha256").update(script).digest("hex"), "tools/demo-model/train_demo_model.py changed: retrain the demo model").toBe(
      demoMetrics().script_sha256,
    );
  });

  it("has figures for every subset of the mini benchmark", () => {
    expect(Object.keys(demoMetrics().tasks).sort()).toEqual([...DEMO_SUBSETS].sort());
  });

  it("reasons its way past the same architecture trained to embed directly, on each task, by the margin the training script measured", async () => {
    const tasks = demoMetrics().tasks;
    const data = join(tmp.dir, "data");
    writeDemoBenchmark(data);
    const rge = rgeEval(data, await demoModel(), "both", join(tmp.dir, "out-rge"));
    const direct = rgeEval(data, await demoModel({ name: "direct-baseline" }), "off", join(tmp.dir, "out-direct"))["off"]!;
    const rows = DEMO_SUBSETS.map((subset) => {
      const js = { reasoning: rge["on"]![subset], rgeWithoutReasoning: rge["off"]![subset], direct: direct[subset] };
      const t = tasks[subset];
      const trained = { reasoning: t.rge_reasoning.p_at_1, rgeWithoutReasoning: t.rge_no_reasoning.p_at_1, direct: t.direct.p_at_1 };
      return { subset, queries: t.heldout_queries, candidates: t.candidates, js, trained };
    });
    const f = (x: number) => x.toFixed(3);
    console.log(
      "demo model, held-out P@1 per task (JS | training script):\n" +
        rows
          .map(
            ({ subset, queries, candidates, js, trained }) =>
              `  ${subset} (${queries} queries x ${candidates} candidates)\n` +
              `    RGE, reasoning on        ${f(js.reasoning)} | ${f(trained.reasoning)}\n` +
              `    RGE, reasoning off       ${f(js.rgeWithoutReasoning)} | ${f(trained.rgeWithoutReasoning)}\n` +
              `    direct-embedding model   ${f(js.direct)} | ${f(trained.direct)}\n` +
              `    gain from reasoning      ${f(js.reasoning - js.direct)} | ${f(trained.reasoning - trained.direct)}`,
          )
          .join("\n"),
    );
    for (const { subset, js, trained } of rows) {
      // ONNX Runtime and PyTorch agree to ~1e-5 in fp32, so only near-ties may flip: the figures match closely.
      expect(js.reasoning, subset).toBeGreaterThanOrEqual(trained.reasoning - 0.01);
      expect(Math.abs(js.direct - trained.direct), subset).toBeLessThanOrEqual(0.01);
      expect(js.reasoning - js.direct, subset).toBeGreaterThan(0.9 * (trained.reasoning - trained.direct));
      expect(trained.reasoning - trained.direct, subset).toBeGreaterThan(0.05);
    }
  });

  // A trained model, unlike the random parity fixture: its activations are those quantization meets in use.
  it("keeps every task's held-out P@1 with reasoning within 0.02 of the training script's in q8 and q4 bundles", async () => {
    const tasks = demoMetrics().tasks;
    const data = join(tmp.dir, "data-quantized");
    writeDemoBenchmark(data);
    const bundle = join(tmp.dir, "quantized");
    await convertCheckpoint(demoCheckpointDir(), bundle, { dtypes: ["q8", "q4"] });
    const lines: string[] = [];
    for (const dtype of ["q8", "q4"]) {
      const scores = rgeEval(data, bundle, "on", join(tmp.dir, `out-${dtype}`), dtype)["on"]!;
      lines.push(`  ${dtype}: ${DEMO_SUBSETS.map((s) => `${s} ${scores[s].toFixed(3)} (fp32 ${tasks[s].rge_reasoning.p_at_1.toFixed(3)})`).join(", ")}`);
      for (const subset of DEMO_SUBSETS) expect(scores[subset], `${dtype} ${subset}`).toBeGreaterThanOrEqual(tasks[subset].rge_reasoning.p_at_1 - 0.02);
    }
    console.log(`demo model, held-out P@1 with reasoning, quantized:\n${lines.join("\n")}`);
  });
});
