/**
 * The LlamaIndex example: `npm run example:llamaindex` (tiny random model, built on the fly) or
 * `npm run example:llamaindex -- <bundle-dir>` (a real bundle). Options: `--device`, `--dtype`, `--max-new-tokens`.
 */
import { parseArgs } from "node:util";
import type { RgeDevice, RgeDtype } from "@rge/core";
import { exampleBundle } from "@rge/core/testing";
import { formatExample, runLlamaIndexExample } from "./llamaindex-example.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { device: { type: "string" }, dtype: { type: "string" }, "max-new-tokens": { type: "string" } },
});
const bundle = exampleBundle(positionals[0] ?? process.env.RGE_MODEL);
const dir = bundle.dir;
try {
  const t0 = performance.now();
  const results = await runLlamaIndexExample(dir, {
    ...(values.device ? { device: values.device as RgeDevice } : {}),
    ...(values.dtype ? { dtype: values.dtype as RgeDtype } : {}),
    ...(values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : bundle.tiny ? { maxNewTokens: 32 } : {}),
  });
  console.log(formatExample(results));
  console.log(`\nDone in ${((performance.now() - t0) / 1000).toFixed(2)} s.`);
} finally {
  bundle.dispose();
}
