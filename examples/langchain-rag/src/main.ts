/**
 * `pnpm --filter @rge/example-langchain-rag start [bundle-dir]`: a RAG chain over text and images. Without a
 * bundle it runs the demo model (a tiny RGE trained on two-hop questions about made-up people) on its own corpus.
 */
import { parseArgs } from "node:util";
import { demoOrGivenBundle } from "@rge/example-demo-model";
import { demoModelCorpus, demoModelQuestions } from "./corpus.js";
import { runRag } from "./rag.js";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { "max-new-tokens": { type: "string" } } });
const bundle = await demoOrGivenBundle(positionals[0] ?? process.env.RGE_MODEL);
await runRag(bundle.dir, {
  ...(values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : {}),
  ...(bundle.demo ? { corpus: demoModelCorpus(), questions: demoModelQuestions() } : {}),
});
