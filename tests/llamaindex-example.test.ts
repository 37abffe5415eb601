import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { tempDir, writeTinyBundle } from "@rge/core/testing";
import { demoHeldout } from "@rge/example-demo-model";
import { runLlamaIndexExample } from "@rge/example-llamaindex";
import { afterAll, describe, expect, it, vi } from "vitest";

const tmp = tempDir();
afterAll(() => {
  tmp.remove();
  vi.unstubAllGlobals();
});

describe("LlamaIndex example", () => {
  it("indexes text and image documents and ranks all of them for every query, with rationales", async () => {
    writeTinyBundle(tmp.dir, { seed: 1 });
    // Nothing in LlamaIndex or RGE may reach the network while indexing and querying.
    vi.stubGlobal("fetch", (input: unknown) => {
      throw new Error(`The example must not use the network (fetch ${String(input)}).`);
    });
    const results = await runLlamaIndexExample(tmp.dir, { maxNewTokens: 32 });
    expect(results).toHaveLength(3);
    for (const r of results) {
      expect(r.hits).toHaveLength(6);
      expect(new Set(r.hits.map((h) => h.label)).size).toBe(6);
      expect(new Set(r.hits.map((h) => h.type))).toEqual(new Set(["TEXT", "IMAGE"]));
      for (let k = 1; k < r.hits.length; k++) expect(r.hits[k]!.score).toBeLessThanOrEqual(r.hits[k - 1]!.score);
      expect(["emb", "maxNewTokens"]).toContain(r.stoppedBy);
    }
  });

  it("runs from the command line on the demo model: the gold rationale, and the right person first", () => {
    const exampleDir = join(import.meta.dirname, "..", "examples", "llamaindex");
    const out = execFileSync(process.execPath, [join(exampleDir, "node_modules", "tsx", "dist", "cli.mjs"), "--conditions=@rge/source", "src/main.ts"], {
      cwd: exampleDir,
      encoding: "utf8",
      env: { ...process.env, RGE_MODEL: "" },
    });
    expect(out).toMatch(/using the demo model/);
    expect(out.match(/^Query: /gm)).toHaveLength(3);
    for (const q of demoHeldout().queries.slice(0, 3)) {
      const block = out.slice(out.indexOf(`Query: ${q.text}\n`)).split("\n");
      expect(block[1]).toBe(`  rationale (stopped by emb): ${JSON.stringify(q.rationale)}`);
      expect(block[2]).toMatch(new RegExp(`^  1\\. \\d\\.\\d{4}  text: ${q.answer}$`));
    }
  });
});
