#!/usr/bin/env node
/**
 * Type-checks @rge/core and proves that its declarations name no third-party module we keep private: tsc emits
 * every module's .d.ts into a temporary folder (the build's declarations are these, rebundled per entry), and
 * any import of such a module there fails the check. Users then never need those packages' types, whose
 * shipped declarations do not even resolve under NodeNext (extensionless relative re-exports).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Modules whose types stay behind our own interfaces (the tokenizer and chat template libraries). */
const PRIVATE_MODULES = ["@huggingface/"];

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = mkdtempSync(join(tmpdir(), "rge-core-declarations-"));
try {
  const tsc = createRequire(join(root, "package.json")).resolve("typescript/bin/tsc");
  const args = [tsc, "-p", root, "--noEmit", "false", "--emitDeclarationOnly", "--outDir", out];
  const run = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 1);
  const specifier = /(?:from\s+|import\s*\(\s*|require\s*\(\s*|types\s*=\s*)["']([^"']+)["']/g;
  const leaks = [];
  for (const file of readdirSync(out, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".d.ts"))) {
    for (const [, module] of readFileSync(join(out, file), "utf8").matchAll(specifier)) {
      if (PRIVATE_MODULES.some((p) => module.startsWith(p))) leaks.push(`src/${file.replace(/\.d\.ts$/, ".ts")} exposes ${module}`);
    }
  }
  if (leaks.length > 0) {
    console.error(`Public declarations must not name ${PRIVATE_MODULES.join(", ")}; wrap the type in one of ours:\n  ${leaks.join("\n  ")}`);
    process.exit(1);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
