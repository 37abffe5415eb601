import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { demoBadgeQuestion, demoHeldout } from "@rge/example-demo-model";
import { assetPath } from "@rge/example-langchain-rag";
import { parseTurn, runChatbot } from "@rge/example-multimodal-chatbot";
import { afterAll, describe, expect, it } from "vitest";

const tmp = tempDir();
afterAll(() => tmp.remove());
const chatbotDir = join(import.meta.dirname, "..", "examples", "multimodal-chatbot");

describe("example: multimodal-chatbot", () => {
  it("retrieves with the image a turn carries: the same words with and without it rank differently", async () => {
    writeTinyBundle(tmp.dir, { seed: 1 });
    const lines: string[] = [];
    const replies = await runChatbot(
      tmp.dir,
      [{ text: "What is this?", image: assetPath("night-sky") }, { text: "What is this?" }],
      { maxNewTokens: 24, print: (l) => lines.push(l) },
    );
    expect(replies).toHaveLength(2);
    expect(replies[0]!.sources).not.toEqual(replies[1]!.sources);
    expect(lines.filter((l) => l.startsWith("bot: "))).toHaveLength(2);
    expect(lines.find((l) => l.includes("[rge]") && l.includes("[image: data:image/png;base64"))).toBeDefined();
  });

  it("parses typed turns, '@path' attaching an image", () => {
    expect(parseTurn("What fruit is this? @pics/apple.png", "/home")).toEqual({ text: "What fruit is this?", image: "/home/pics/apple.png" });
    expect(parseTurn("  just words ")).toEqual({ text: "just words" });
  });

  it("runs from the command line with turns on standard input, on the demo model, one turn with a badge attached", () => {
    const heldout = demoHeldout();
    const question = heldout.queries[0]!;
    const badge = demoBadgeQuestion();
    const input = `${question.text}\n${badge.text} @${badge.imagePath}\n`;
    const out = execFileSync(process.execPath, [join(chatbotDir, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=@rge/source", "src/main.ts"], {
      cwd: chatbotDir,
      encoding: "utf8",
      input,
      env: { ...process.env, RGE_MODEL: "" },
    });
    expect(out).toMatch(/using the demo model/);
    expect(out.match(/^you: /gm)).toHaveLength(2);
    expect(out).toContain(`you: ${badge.text} [image: ${badge.imagePath}]`);
    expect(out.match(/^bot: \(offline model\)/gm)).toHaveLength(2);
    // The demo model knows its people and their badges: each turn's rationale is the gold one, and the person it
    // reaches comes first.
    for (const q of [question, badge]) {
      expect(out).toContain(q.rationale);
      expect(out).toMatch(new RegExp(`^bot: \\(offline model\\) The best match is people/${q.answer}\\b`, "m"));
    }
  });
});
