import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { runDemo } from "@rge/example-demo";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { demoBadgeQuestion, demoHeldout } from "@rge/example-demo-model";
import { afterAll, describe, expect, it } from "vitest";

const tmp = tempDir();
afterAll(() => tmp.remove());

describe("demo", () => {
  it("ranks every bundled document for every query and reports each rationale", async () => {
    writeTinyBundle(tmp.dir, { seed: 1 });
    const results = await runDemo(tmp.dir, { maxNewTokens: 32 });
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r.ranking).toHaveLength(6);
      expect(new Set(r.ranking.map((d) => d.label)).size).toBe(6);
      for (let k = 1; k < r.ranking.length; k++) expect(r.ranking[k]!.score).toBeLessThanOrEqual(r.ranking[k - 1]!.score);
      expect(["emb", "maxNewTokens"]).toContain(r.stoppedBy);
      expect(r.generatedTokens).toBeGreaterThan(0);
    }
  });

  it("runs from the command line on the demo model: readable rationales, and the right answer ranked first", () => {
    const demoDir = join(import.meta.dirname, "..", "examples", "demo");
    const out = execFileSync(process.execPath, [join(demoDir, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=@rge/source", "src/main.ts"], {
      cwd: demoDir,
      encoding: "utf8",
      env: { ...process.env, RGE_MODEL: "" },
    });
    expect(out).toMatch(/using the demo model/);
    expect(out.match(/^Query: /gm)).toHaveLength(3);
    const heldout = demoHeldout();
    const badge = demoBadgeQuestion();
    const asked = [...heldout.queries.slice(0, 2).map((q) => ({ ...q, label: q.text })), { ...badge, label: `${badge.text} [${badge.image}]` }];
    for (const q of asked) {
      // The rationale is the gold one, read as text (words joined by spaces), and the answer it reaches ranks first;
      // for the badge, the rationale first says who is on it.
      const block = out.slice(out.indexOf(`Query: ${q.label}\n`)).split("\n");
      expect(block[1]).toMatch(/^ {2}rationale \(\d+ tokens, stopped by emb\): /);
      expect(block[1]!.slice(block[1]!.indexOf(": ") + 2)).toBe(JSON.stringify(q.rationale));
      expect(block[2]).toMatch(/^ {2}1\. \d\.\d{4} {2}/);
      expect(block[2]!.split("  ").at(-1)).toBe(q.answer);
    }
  });
});
