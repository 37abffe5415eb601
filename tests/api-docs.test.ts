import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const script = join(root, "scripts", "api-docs.mjs");

describe("API reference (TypeDoc)", () => {
  it("documents every entry point of every public package", async () => {
    const { publicEntryPoints } = (await import(script)) as { publicEntryPoints(): { module: string }[] };
    expect(publicEntryPoints().map((e) => e.module)).toEqual(["@rge/core", "@rge/core/testing", "@rge/core/web", "@rge/eval", "@rge/langchain", "@rge/llamaindex", "@rge/server", "@rge/server/cli"]);
  });

  it("builds from the TSDoc without a warning (broken links, public types that are not exported)", async () => {
    const run = await promisify(execFile)(process.execPath, [script, "--check"], { cwd: root, encoding: "utf8" }).catch((e: { code?: number; stdout: string; stderr: string }) => e);
    expect(`${run.stdout}${run.stderr}`).toMatch(/builds without warnings/);
  });
});
