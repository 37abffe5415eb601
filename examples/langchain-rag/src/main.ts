/**
 * `pnpm --filter @rge/example-langchain-rag start [bundle-dir]`: a RAG chain over text and images. Without a
 * bundle it builds a tiny random-weight model (gibberish rationales, arbitrary rankings).
 */
import { parseArgs } from "node:util";
import { exampleBundle } from "@rge/core/testing";
import { runRag } from "./rag.js";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { "max-new-tokens": { type: "string" } } });
const bundle = exampleBundle(positionals[0] ?? process.env.RGE_MODEL);
const dir = bundle.dir;
try {
  await runRag(dir, values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : {});
} finally {
  bundle.dispose();
}
