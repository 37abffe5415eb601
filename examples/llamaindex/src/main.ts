/**
 * The LlamaIndex example: `npm run example:llamaindex` (the demo model, a tiny RGE trained on two-hop questions about
 * made-up people, on its own corpus) or
 * `npm run example:llamaindex -- <bundle-dir>` (a real bundle). Options: `--device`, `--dtype`, `--max-new-tokens`.
 */
import { parseArgs } from "node:util";
import type { RgeDevice, RgeDtype } from "@rge/core";
import { demoOrGivenBundle } from "@rge/example-demo-model";
import { demoModelDocuments, demoModelQueries, formatExample, runLlamaIndexExample } from "./llamaindex-example.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { device: { type: "string" }, dtype: { type: "string" }, "max-new-tokens": { type: "string" } },
});
const bundle = await demoOrGivenBundle(positionals[0] ?? process.env.RGE_MODEL);
const t0 = performance.now();
const results = await runLlamaIndexExample(
  bundle.dir,
  {
    ...(values.device ? { device: values.device as RgeDevice } : {}),
    ...(values.dtype ? { dtype: values.dtype as RgeDtype } : {}),
    ...(values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : {}),
  },
  ...(bundle.demo ? [{ documents: demoModelDocuments(), queries: demoModelQueries(), topK: 3 }] : []),
);
console.log(formatExample(results));
console.log(`\nDone in ${((performance.now() - t0) / 1000).toFixed(2)} s.`);
