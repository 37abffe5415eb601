/**
 * The RGE demo: `npm run demo` (the demo model, a tiny RGE trained on two-hop questions about a small made-up world, converted from its
 * committed checkpoint on first use), `npm run demo -- MCG-NJU/RGE` (the released
 * model, downloaded and converted into the cache on first use) or `npm run demo -- <bundle-dir>` (a bundle made by
 * `rge convert`). Options: `--device cpu|cuda|webgpu|auto`, `--dtype fp32|fp16|q8|q4`.
 */
import { parseArgs } from "node:util";
import { isHubId, type PullProgress, type RgeDevice, type RgeDtype } from "@rge/core";
import { demoOrGivenBundle } from "@rge/example-demo-model";
import { DEMO_MODEL_CORPUS, formatDemo, MIXED_CORPUS, runDemo } from "./demo.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { device: { type: "string" }, dtype: { type: "string" }, "max-new-tokens": { type: "string" } },
});
const bundle = await demoOrGivenBundle(positionals[0] ?? process.env.RGE_MODEL);
const dir = bundle.dir;
if (bundle.demo) console.log("Run `npm run demo -- MCG-NJU/RGE` (or a bundle directory) for the released model on text and images.");
let lastStage = "";
const showProgress = (p: PullProgress) => {
  if (p.stage === "plan") console.log(`Fetching ${p.repo}: ${(p.files.reduce((s, f) => s + (f.cached ? 0 : f.size), 0) / 1e9).toFixed(2)} GB to download…`);
  else if (p.stage !== lastStage) console.log(p.stage === "convert" ? `Converting to ${p.dtype}…` : p.stage === "wait" ? `Waiting for another process (${p.file})…` : "Downloading…");
  lastStage = p.stage;
};
const t0 = performance.now();
const options = {
  ...(isHubId(dir) ? { allowNetwork: true, onProgress: showProgress } : {}),
  ...(values.device ? { device: values.device as RgeDevice } : {}),
  ...(values.dtype ? { dtype: values.dtype as RgeDtype } : {}),
  ...(values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : {}),
};
const results = await runDemo(dir, options, bundle.demo ? DEMO_MODEL_CORPUS : MIXED_CORPUS);
console.log(formatDemo(results, bundle.demo ? 3 : Infinity));
console.log(`\nDone in ${((performance.now() - t0) / 1000).toFixed(2)} s.`);
