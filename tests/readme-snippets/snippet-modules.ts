import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";
import type { Snippet } from "./extract-snippets.js";

/** Where the snippets are written as modules that `tsc -p tests` typechecks (git-ignored). */
export const GENERATED = join(import.meta.dirname, "generated");
/** Where the copies that run are written: a dot folder, which tsc leaves alone. */
export const GENERATED_RUN = join(import.meta.dirname, ".generated-run");
export const PRELUDES = join(import.meta.dirname, "preludes");

/** A snippet as a module, whose line numbers are the README's. */
export interface SnippetModule {
  snippet: Snippet;
  /** File name, the same in {@link GENERATED} and {@link GENERATED_RUN}. */
  name: string;
  source: string;
}

const parse = (code: string, file = "snippet.ts") => ts.createSourceFile(file, code, ts.ScriptTarget.ES2022, true);

function bindingNames(name: ts.BindingName, into: string[]): void {
  if (ts.isIdentifier(name)) into.push(name.text);
  else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bindingNames(element.name, into);
}

/** The top-level names a module declares, split into imported ones and its own (variables, functions, classes). */
function topLevelNames(source: ts.SourceFile, exportedOnly = false): { imported: string[]; own: string[] } {
  const imported: string[] = [];
  const own: string[] = [];
  for (const statement of source.statements) {
    const exported = ts.canHaveModifiers(statement) && (ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false);
    if (ts.isImportDeclaration(statement) && statement.importClause) {
      const { name, namedBindings } = statement.importClause;
      if (name) imported.push(name.text);
      if (namedBindings && ts.isNamespaceImport(namedBindings)) imported.push(namedBindings.name.text);
      if (namedBindings && ts.isNamedImports(namedBindings)) imported.push(...namedBindings.elements.map((e) => e.name.text));
    } else if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
      own.push(...statement.exportClause.elements.map((e) => e.name.text));
    } else if (exportedOnly && !exported) {
      continue;
    } else if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) bindingNames(d.name, own);
    } else if ((ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) && statement.name) {
      own.push(statement.name.text);
    }
  }
  return { imported, own };
}

/** Every name the code refers to (not property names: `{ model: ... }`, `x.model`). */
function mentioned(source: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  const isPropertyName = (node: ts.Identifier) => {
    const p = node.parent;
    return (
      ((ts.isPropertyAssignment(p) || ts.isPropertyAccessExpression(p) || ts.isMethodDeclaration(p) || ts.isPropertySignature(p)) && p.name === node) ||
      (ts.isBindingElement(p) && p.propertyName === node) ||
      (ts.isQualifiedName(p) && p.right === node)
    );
  };
  const visit = (node: ts.Node) => {
    if (ts.isIdentifier(node) && !isPropertyName(node)) names.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return names;
}

/** The names a prelude module exports, which its snippets use as if they had declared them. */
export function preludeExports(prelude: string): string[] {
  const path = join(PRELUDES, `${prelude}.ts`);
  return topLevelNames(parse(readFileSync(path, "utf8"), path), true).own;
}

/**
 * A snippet as an ES module, its code on the lines it has in the README (so tsc's errors name README lines), then an
 * import of the names it takes from its prelude (those it mentions and does not declare; imports are hoisted) and an
 * export of what it declares, so that the unused-name checks leave a fragment's results alone.
 */
export function snippetModule(snippet: Snippet): SnippetModule {
  const source = parse(snippet.code);
  const { imported, own } = topLevelNames(source);
  const footer: string[] = [];
  if (snippet.prelude) {
    const uses = mentioned(source);
    const names = preludeExports(snippet.prelude).filter((n) => uses.has(n) && !imported.includes(n) && !own.includes(n));
    if (names.length) footer.push(`import { ${names.join(", ")} } from "../preludes/${snippet.prelude}.js";`);
  }
  footer.push(`export { ${own.join(", ")} };`);
  const header = `// ${snippet.readme}:${snippet.line}, written by tests/readme-snippets: edit the README, not this file.`;
  const name = `${snippet.readme.replace(/[^\w]+/g, "-")}-L${snippet.line}.ts`;
  return { snippet, name, source: `${header}${"\n".repeat(snippet.line - 1)}${snippet.code}\n${footer.join("\n")}\n` };
}

/** Writes the modules into `dir`, replacing what was there. */
export function writeModules(modules: SnippetModule[], dir: string, substitutions: Record<string, string> = {}): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const m of modules) {
    let source = m.source;
    for (const [literal, fixture] of Object.entries(substitutions)) source = source.split(JSON.stringify(literal)).join(JSON.stringify(fixture));
    writeFileSync(join(dir, m.name), source);
  }
}

/** Whether {@link GENERATED} holds exactly these modules: what `tsc -p tests` checked is what the READMEs say now. */
export function generatedAreCurrent(modules: SnippetModule[]): boolean {
  let names: string[];
  try {
    names = readdirSync(GENERATED).sort();
  } catch {
    return false;
  }
  if (names.join("\n") !== modules.map((m) => m.name).sort().join("\n")) return false;
  return modules.every((m) => readFileSync(join(GENERATED, m.name), "utf8") === m.source);
}

/**
 * Typechecks the modules in {@link GENERATED} as `tsc -p tests` does (tsconfig.base.json: strict,
 * noUncheckedIndexedAccess, verbatimModuleSyntax, unused names, workspace packages resolved to their sources), for a
 * run of the test alone. Returns each snippet's errors as `README:line: message`.
 */
export function typecheckModules(modules: SnippetModule[], tsconfig: string): Map<SnippetModule, string[]> {
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  })!;
  const files = modules.map((m) => join(GENERATED, m.name));
  const program = ts.createProgram({ rootNames: files, options: parsed.options });
  return new Map(
    modules.map((m, i) => {
      const source = program.getSourceFile(files[i]!)!;
      const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
      return [m, diagnostics.map((d) => `${where(m, source.getLineAndCharacterOfPosition(d.start ?? 0).line + 1)}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)];
    }),
  );
}

function where(m: SnippetModule, line: number): string {
  const end = m.snippet.line + m.snippet.code.split("\n").length;
  return line < end ? `${m.snippet.readme}:${line}` : `${m.snippet.readme}:${m.snippet.line} (the prelude import or the export of its names)`;
}
