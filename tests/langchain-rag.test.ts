import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { demoHeldout } from "@rge/example-demo-model";
import { runRag } from "@rge/example-langchain-rag";
import { afterAll, describe, expect, it } from "vitest";

const tmp = tempDir();
afterAll(() => tmp.remove());

describe("example: langchain-rag", () => {
  it("answers every question through the chain, printing one rationale per question", async () => {
    writeTinyBundle(tmp.dir, { seed: 1 });
    const lines: string[] = [];
    const answers = await runRag(tmp.dir, { maxNewTokens: 24, print: (l) => lines.push(l) });
    expect(answers).toHaveLength(3);
    for (const a of answers) {
      expect(a.answer).toMatch(/^\(offline model\) The best match is /);
      expect(a.sources).toHaveLength(3);
      expect(a.rationale.query.text).toBe(a.question.replace(/ \[.*\]$/, ""));
    }
    expect(answers[2]!.rationale.query.image).toMatch(/bar-chart\.svg$/);
    expect(lines.filter((l) => l.startsWith("[rge] "))).toHaveLength(3);
  });

  it("runs from the command line on the demo model, whose rationales reach the right person", () => {
    const dir = join(import.meta.dirname, "..", "examples", "langchain-rag");
    const out = execFileSync(process.execPath, [join(dir, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=@rge/source", "src/main.ts"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, RGE_MODEL: "" },
    });
    expect(out).toMatch(/using the demo model/);
    expect(out.match(/^Question: /gm)).toHaveLength(3);
    expect(out.match(/^\[rge\] /gm)).toHaveLength(3);
    for (const q of demoHeldout().queries.slice(0, 3)) {
      expect(out).toContain(`Question: ${q.text}\n`);
      expect(out).toContain(q.rationale);
      expect(out).toMatch(new RegExp(`^Answer: \\(offline model\\) The best match is people/${q.answer} `, "m"));
    }
  });
});
