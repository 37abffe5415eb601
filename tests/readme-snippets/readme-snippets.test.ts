// The TypeScript snippets of every README, typechecked against the workspace packages and run against tiny models
// built here. How, and how to mark a block that cannot run: ./README.md.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readmeSnippets } from "./extract-snippets.js";
import { snippetWorld, type SnippetWorld } from "./snippet-fixtures.js";
import { generatedAreCurrent, GENERATED, GENERATED_RUN, snippetModule, typecheckModules, writeModules, type SnippetModule } from "./snippet-modules.js";

const root = join(import.meta.dirname, "..", "..");
const modules = readmeSnippets(root).map(snippetModule);

// `npm test` typechecks them with the rest of tests/ (its typecheck script writes generated/ first); run alone after a
// README changed, this test typechecks them itself.
const checkedByTsc = generatedAreCurrent(modules);
// Optional native packages that did not build or load: the blocks that need them are typechecked, not run.
const missing = new Map<string, string>();
for (const name of new Set(modules.flatMap((m) => m.snippet.needs))) {
  const error = await import(name).then(() => undefined, (e: Error) => e.message);
  if (error) {
    missing.set(name, error);
    console.warn(`${name} did not build or load, so the README blocks that need it are typechecked, not run: ${error}`);
  }
}
let typeErrors = new Map<SnippetModule, string[]>();
let world: SnippetWorld;
const cwd = process.cwd();

beforeAll(async () => {
  if (!checkedByTsc) {
    writeModules(modules, GENERATED);
    typeErrors = typecheckModules(modules, join(import.meta.dirname, "..", "tsconfig.json"));
  }
  world = await snippetWorld();
  writeModules(modules, GENERATED_RUN, world.substitutions);
  process.chdir(world.dir); // the READMEs' relative paths (./rge-bundle, ./photos/...) are the world's
}, 120_000);
afterAll(async () => {
  process.chdir(cwd);
  await world?.close();
});

/** Runs a snippet once, keeping what it prints for the failure message. */
async function run(module: SnippetModule): Promise<void> {
  const printed: string[] = [];
  const keep = (...args: unknown[]) => void printed.push(args.map(String).join(" "));
  const spies = [
    ...(["log", "info", "warn", "error"] as const).map((level) => vi.spyOn(console, level).mockImplementation(keep)),
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (keep(String(chunk)), true)),
  ];
  try {
    await import(join(GENERATED_RUN, module.name));
  } catch (error) {
    const output = printed.length ? `\nIt printed:\n${printed.join("\n")}` : "";
    throw new Error(`${module.snippet.readme}:${module.snippet.line} failed: ${(error as Error).stack ?? String(error)}${output}`);
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe("README snippets", () => {
  it("are found in every README, each run or marked typecheck-only with a reason", () => {
    expect(modules.length).toBeGreaterThan(10);
    for (const { snippet } of modules) if (snippet.mode === "typecheck-only") expect(snippet.reason, `${snippet.readme}:${snippet.line}`).toBeTruthy();
  });

  for (const readme of new Set(modules.map((m) => m.snippet.readme))) {
    describe(readme, () => {
      for (const module of modules.filter((m) => m.snippet.readme === readme)) {
        const { snippet } = module;
        const absent = snippet.needs.filter((n) => missing.has(n));
        const runs = snippet.mode === "run" && absent.length === 0;
        const why = snippet.mode === "run" ? `${absent.join(", ")} did not load` : snippet.reason;
        it(`${readme}:${snippet.line} ${runs ? "typechecks and runs" : `typechecks (not run: ${why})`}`, async () => {
          expect(typeErrors.get(module) ?? [], "type errors").toEqual([]);
          if (runs) await run(module);
        });
      }
    });
  }
});
