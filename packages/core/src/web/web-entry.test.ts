import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

// The browser entry must load no Node-only code: walk its static runtime imports (type-only ones are erased; a
// dynamic `import()` is loaded only on the path that needs it) from the sources, following relative modules and
// recording packages, and compare the packages with the list below.

const SRC = join(import.meta.dirname, "..");

/** What `@rge/core/web` may import at runtime; `#ort` resolves to onnxruntime-web under the `browser` condition. */
const ALLOWED = ["#ort", "@huggingface/jinja", "@huggingface/tokenizers", "@noble/hashes/sha2.js", "@noble/hashes/utils.js", "image-size"];

function runtimeImports(file: string): string[] {
  const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
  const found: string[] = [];
  for (const m of code.matchAll(/^\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?["']([^"']+)["']/gm)) {
    if (!m[2]) found.push(m[3]!);
  }
  return found;
}

function walk(entry: string): { modules: string[]; packages: Map<string, string[]> } {
  const seen = new Set<string>();
  const packages = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith(".")) {
        const target = join(dirname(file), specifier.replace(/\.js$/, ".ts"));
        expect(existsSync(target), `${relative(SRC, file)} imports ${specifier}`).toBe(true);
        queue.push(target);
      } else packages.set(specifier, [...(packages.get(specifier) ?? []), relative(SRC, file)]);
    }
  }
  return { modules: [...seen].map((f) => relative(SRC, f)).sort(), packages };
}

describe("@rge/core/web", () => {
  it("imports no Node module, onnxruntime-node or sharp, only the packages it is meant to", () => {
    const { modules, packages } = walk(join(SRC, "web", "index.ts"));
    const unexpected = [...packages].filter(([name]) => !ALLOWED.includes(name)).map(([name, by]) => `${name} (from ${by.join(", ")})`);
    expect(unexpected).toEqual([]);
    expect([...packages.keys()].sort()).toEqual(ALLOWED);
    // The engine itself is shared, not copied: the Node entry's model class is the one the browser entry runs.
    expect(modules).toContain("engine/model.ts");
    expect(modules).toContain("engine/scheduler.ts");
    expect(modules.filter((m) => /^(hub|cli|convert|device)\//.test(m))).toEqual([]);
  });

  it("maps #ort to onnxruntime-web in browsers and onnxruntime-node elsewhere, typed by their common API", () => {
    const pkg = JSON.parse(readFileSync(join(SRC, "..", "package.json"), "utf8")) as { imports: Record<string, unknown> };
    expect(pkg.imports["#ort"]).toEqual({ types: "onnxruntime-common", browser: "onnxruntime-web", default: "onnxruntime-node" });
  });
});
