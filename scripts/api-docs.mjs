#!/usr/bin/env node
// The API reference: TypeDoc over the TSDoc of every public package's entry points, as their package.json
// `exports` name them (the `@rge/source` condition points at the TypeScript source), in one program.
//
//   node scripts/api-docs.mjs            writes docs/api/ (options: typedoc.json)
//   node scripts/api-docs.mjs --check    the same into a temporary folder, removed after: what CI runs
//
// Any warning fails (treatWarningsAsErrors): a broken {@link}, a public type that refers to one its package does not
// export, a comment TypeDoc cannot place. Type errors are left to `npm run typecheck` (skipErrorChecking).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Every public package under packages/ with its entry points: `{ name, module, file, description }`, `module` as users
 * import it, `description` the package's (for its main entry point).
 */
export function publicEntryPoints() {
  const entries = [];
  for (const dir of readdirSync(join(root, "packages")).sort()) {
    const manifest = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"));
    if (manifest.private) continue;
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const source = typeof target === "object" && target !== null ? target["@rge/source"] : undefined;
      if (!source) continue; // "./package.json"
      const file = join(root, "packages", dir, source);
      entries.push({ name: manifest.name, module: join(manifest.name, subpath), file, description: subpath === "." ? manifest.description : undefined });
    }
  }
  return entries;
}

/** The compiler options of every package (tsconfig.base.json), over a program of the entry points and what they import. */
async function compilerSetup(files) {
  const { default: ts } = await import("typescript");
  const base = ts.readConfigFile(join(root, "tsconfig.base.json"), ts.sys.readFile);
  if (base.error) throw new Error(ts.flattenDiagnosticMessageText(base.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent({ ...base.config, files, include: [] }, ts.sys, root);
  if (parsed.errors.length) throw new Error(parsed.errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, "\n")).join("\n"));
  return parsed;
}

export async function buildApiDocs({ out } = {}) {
  const { Application, Comment, TypeDocReader } = await import("typedoc");
  const entries = publicEntryPoints();
  const files = entries.map((e) => e.file);
  const app = await Application.bootstrapWithPlugins({ options: join(root, "typedoc.json"), entryPoints: files, ...(out ? { out } : {}) }, [new TypeDocReader()]);
  const parsed = await compilerSetup(files);
  app.options.setCompilerOptions(parsed.fileNames, parsed.options, parsed.projectReferences);
  // Each message once: TypeDoc repeats some per declaration, and the validation passes below repeat the checks that
  // are not per package.
  const seen = new Set();
  const log = app.logger.log.bind(app.logger);
  app.logger.log = (message, level) => {
    if (seen.has(message)) return;
    seen.add(message);
    log(message, level);
  };

  const project = await app.convert();
  if (!project) return false;
  // Modules are named as users import them (TypeDoc would say "core/src", "core/src/testing"); a package's page opens
  // with its package.json description unless the entry point has a module comment (`@packageDocumentation`).
  for (const module of project.children ?? []) {
    const entry = entries.find((e) => module.sources?.some((s) => s.fullFileName === e.file));
    if (!entry) continue;
    module.name = entry.module;
    if (!module.comment && entry.description) module.comment = new Comment([{ kind: "text", text: entry.description }]);
  }
  // TypeDoc checks "referenced but not exported" only for types of the project's own package, which for one program
  // over several packages is none of them: check each package's types in turn.
  const packageName = project.packageName;
  for (const name of new Set(entries.map((e) => e.name))) {
    project.packageName = name;
    app.validate(project);
  }
  project.packageName = packageName;
  if (app.logger.hasErrors() || app.logger.hasWarnings()) return false;
  await app.generateOutputs(project);
  return !app.logger.hasErrors() && !app.logger.hasWarnings();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes("--check");
  const scratch = check ? mkdtempSync(join(tmpdir(), "rge-api-docs-")) : undefined;
  const started = performance.now();
  try {
    const ok = await buildApiDocs({ out: scratch });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (!ok) {
      console.error(`api-docs: TypeDoc reported warnings or errors (above); the API reference must build clean (${seconds} s).`);
      process.exitCode = 1;
    } else console.log(check ? `api-docs: the API reference builds without warnings (${seconds} s).` : `api-docs: docs/api/ written (${seconds} s).`);
  } finally {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }
}
