import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { demoHeldout, demoModel } from "@rge/example-demo-model";

/** Where the page looks for its default model: served by Vite from `public/`, copied into the build. */
export const PUBLIC_MODEL_DIR = join(import.meta.dirname, "..", "public", "models", "demo");

/**
 * Puts the demo model's bundle (converted from the committed checkpoint on first use) under `public/`, with the
 * page's starting library: every person of the demo world as a document, and held-out questions to ask.
 */
export async function prepareDemoModel(to = PUBLIC_MODEL_DIR): Promise<string> {
  const bundle = await demoModel();
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  cpSync(bundle, to, { recursive: true });
  const heldout = demoHeldout();
  const examples = { documents: heldout.candidates, questions: heldout.queries.slice(0, 8).map((q) => ({ text: q.text, answer: q.answer })) };
  writeFileSync(join(to, "examples.json"), JSON.stringify(examples, null, 2) + "\n");
  return to;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`demo model bundle in ${await prepareDemoModel()}`);
}
