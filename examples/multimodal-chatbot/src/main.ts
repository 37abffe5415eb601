/**
 * `pnpm --filter @rge/example-multimodal-chatbot start [bundle-dir] [--turn "text @image.png"]...`
 *
 * Turns come from `--turn` arguments, else from standard input, one per line (`@path` attaches an image);
 * at a terminal it is an interactive chat (empty line or Ctrl-D to quit). Without a bundle it runs the demo model
 * (a tiny RGE trained on questions about 200 made-up people and their badges) over one document per person.
 */
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { demoModelCorpus } from "@rge/example-langchain-rag";
import { DEMO_MODEL_DIR, demoOrGivenBundle } from "@rge/example-demo-model";
import { runChatbot } from "./run-chatbot.js";
import { parseTurn, type ChatTurn } from "./turns.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { turn: { type: "string", multiple: true }, "max-new-tokens": { type: "string" } },
});

// Under `pnpm --filter ... start` the process runs in the package folder; paths are relative to where the user was.
const userCwd = process.env.INIT_CWD ?? process.cwd();

const bundle = await demoOrGivenBundle(positionals[0] ?? process.env.RGE_MODEL);

async function* stdinTurns(): AsyncIterable<ChatTurn> {
  const interactive = process.stdin.isTTY === true;
  const lines = createInterface({ input: process.stdin, ...(interactive ? { output: process.stdout, prompt: "> " } : {}) });
  if (interactive) {
    console.log(
      bundle.demo
        ? 'Ask the demo model about its people, e.g. "who is the friend of the teacher of maya ?", or about a badge:\n' +
            `"who is the teacher of the friend of this person ? @${join(DEMO_MODEL_DIR, "badges", "maya.png")}". Empty line to quit.`
        : 'Ask about apples, the night sky or sales; attach an image with "@path". Empty line to quit.',
    );
    lines.prompt();
  }
  for await (const line of lines) {
    if (interactive && !line.trim()) break;
    yield parseTurn(line, userCwd);
    if (interactive) lines.prompt();
  }
  lines.close();
}

const turns = values.turn ? values.turn.map((t) => parseTurn(t, userCwd)) : stdinTurns();
await runChatbot(bundle.dir, turns, {
  ...(values["max-new-tokens"] ? { maxNewTokens: Number(values["max-new-tokens"]) } : {}),
  ...(bundle.demo ? { corpus: demoModelCorpus() } : {}),
});
