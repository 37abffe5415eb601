/**
 * The RGE demo: `npm run demo` (tiny random model, built on the fly) or `npm run demo -- <bundle-dir>`
 * (a real bundle made by `rge convert`). Options: `--device cpu|cuda|webgpu|auto`, `--dtype fp32|fp16|q8|q4`.
 */
import { parseArgs } from "node:util";
import type { RgeDevice, RgeDtype } from "@rge/core";
import { exampleBundle } from "@rge/core/testing";
import { formatDemo, runDemo } from "./demo.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { device: { type: "string" }, dtype: { type: "string" }, "max-new-tokens": { type: "string" } },
});
const bundle = exampleBundle(positionals[0] ?? process.env.RGE_MODEL);
const dir = bundle.dir;
if (bundle.tiny) console.log("Run `npm run demo -- <bundle-dir>` with a bundle made by `rge convert` for real results.");
try {
  const t0 = performance.now();
  const results = await runDemo(dir, {
    ...(values.device ? { device: values.device as RgeDevice } : {}),
    ...(values.dtype ? { dtype: values.dtype as RgeDtype } : {}),
    ...(values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : {}),
  });
  console.log(formatDemo(results));
  console.log(`\nDone in ${((performance.now() - t0) / 1000).toFixed(2)} s.`);
} finally {
  bundle.dispose();
}
