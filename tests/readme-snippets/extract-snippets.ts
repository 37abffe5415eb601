import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

/** One ```ts block of a README, with what its `<!-- snippet: ... -->` line asks for. */
export interface Snippet {
  /** The README, relative to the repository root. */
  readme: string;
  /** 1-based line of the block's first code line in the README. */
  line: number;
  code: string;
  /** `run` (the default): typechecked and run; `typecheck-only`: typechecked, not run, for `reason`. */
  mode: "run" | "typecheck-only";
  reason?: string;
  /** A module of `preludes/` whose exports the block uses without declaring them (a fragment of a longer program). */
  prelude?: string;
  /** Optional packages the block imports (native ones that may not have built): it runs only where they load. */
  needs: string[];
}

const FENCE = /^```(\S*)\s*$/;
const TS = new Set(["ts", "typescript"]);
const DIRECTIVE = /^<!--\s*snippet:(.*?)-->\s*$/;

/** The READMEs whose snippets are tested: the repository's, each package's and each example's. */
export function readmeFiles(root: string): string[] {
  const inFolders = (folder: string) =>
    readdirSync(join(root, folder))
      .sort()
      .map((name) => join(root, folder, name, "README.md"))
      .filter((path) => existsSync(path));
  return [join(root, "README.md"), ...inFolders("packages"), ...inFolders("examples")];
}

/**
 * Every ```ts block of a README. The line right above a block may hold a directive, parts separated by ";":
 * `typecheck-only: <why it cannot run here>`, `prelude <name>` and `needs <optional package>`. Anything else there is
 * an error, so a typo cannot silently turn a check off.
 */
export function extractSnippets(path: string, root: string): Snippet[] {
  const readme = relative(root, path);
  const lines = readFileSync(path, "utf8").split("\n");
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    if (end < 0) throw new Error(`${readme}:${i + 1}: a code block that is never closed.`);
    if (TS.has(open[1]!)) {
      const directive = DIRECTIVE.exec(lines[i - 1] ?? "");
      snippets.push({ readme, line: i + 2, code: lines.slice(i + 1, end).join("\n"), ...parseDirective(directive?.[1] ?? "", `${readme}:${i}`) });
    }
    i = end;
  }
  return snippets;
}

/** The ```ts blocks of every README that is tested, in order. */
export function readmeSnippets(root: string): Snippet[] {
  return readmeFiles(root).flatMap((readme) => extractSnippets(readme, root));
}

function parseDirective(text: string, where: string): Pick<Snippet, "mode" | "reason" | "prelude" | "needs"> {
  const parsed: Pick<Snippet, "mode" | "reason" | "prelude" | "needs"> = { mode: "run", needs: [] };
  for (const part of text.split(";").map((p) => p.trim()).filter(Boolean)) {
    const typecheckOnly = /^typecheck-only:\s*(\S.*)$/.exec(part);
    const prelude = /^prelude\s+([\w-]+)$/.exec(part);
    const needs = /^needs\s+([@\w/.-]+)$/.exec(part);
    if (typecheckOnly) Object.assign(parsed, { mode: "typecheck-only", reason: typecheckOnly[1] });
    else if (prelude) parsed.prelude = prelude[1];
    else if (needs) parsed.needs.push(needs[1]!);
    else throw new Error(`${where}: unknown snippet directive "${part}"; expected "typecheck-only: <reason>", "prelude <name>" or "needs <package>".`);
  }
  return parsed;
}
