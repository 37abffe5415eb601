/**
 * `pnpm --filter @rge/example-langchain-rag start [bundle-dir]`: a RAG chain over text and images. Without a
 * bundle it builds a tiny random-weight model (gibberish rationales, arbitrary rankings).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeTinyBundle } from "@rge/core/testing";
import { runRag } from "./rag.js";

const { values, positionals } = parseArgs({ allowPositionals: true, options: { "max-new-tokens": { type: "string" } } });
let dir = positionals[0] ?? process.env.RGE_MODEL;
let scratch: string | undefined;
if (!dir) {
  scratch = mkdtempSync(join(tmpdir(), "rge-rag-"));
  dir = writeTinyBundle(scratch, { seed: 1 }).dir;
  console.log("No bundle given: using a tiny random-weight RGE model (rationales are gibberish, rankings arbitrary).");
}
try {
  await runRag(dir, values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : {});
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
