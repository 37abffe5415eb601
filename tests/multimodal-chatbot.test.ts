import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
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

  it("runs from the command line with turns on standard input", () => {
    const input = `What fruit is this? @${assetPath("red-apple")}\nAnd the sky?\n`;
    const out = execFileSync(process.execPath, [join(chatbotDir, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=@rge/source", "src/main.ts", "--max-new-tokens", "24"], {
      cwd: chatbotDir,
      encoding: "utf8",
      input,
      env: { ...process.env, RGE_MODEL: "" },
    });
    expect(out.match(/^you: /gm)).toHaveLength(2);
    expect(out).toMatch(/^you: What fruit is this\? \[image: .*red-apple\.svg\]$/m);
    expect(out.match(/^bot: \(offline model\)/gm)).toHaveLength(2);
  });
});
