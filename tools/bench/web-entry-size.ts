import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { build, defaultClientConditions, type Rolldown } from "vite";

/** One way of bundling `@rge/core/web` for a browser, minified: what a page loads up front, and what only on demand. */
export interface EntryBundle {
  what: string;
  /** The entry chunk and the chunks it imports statically: what a page loads to use the entry. */
  bytes: number;
  gzipBytes: number;
  /** The source modules in those chunks, as paths relative to the repository, `node_modules/<package>/…` for packages. */
  modules: string[];
  /** Chunks loaded only by a dynamic `import()` (the KV-cache graphs for WebGPU). */
  lazy: { bytes: number; gzipBytes: number; modules: string[] };
}

const root = join(import.meta.dirname, "..", "..");
const entry = join(root, "packages", "core", "src", "web", "index.ts");

/**
 * Bundles the browser entry as an app would, for the browser (`browser` condition: `#ort` is onnxruntime-web),
 * minified: our code alone (every package left out), with the packages it needs but onnxruntime-web, and with
 * onnxruntime-web's JavaScript too. onnxruntime-web's `.wasm` is never counted; {@link ortWasmBytes} gives it.
 */
export async function measureWebEntry(): Promise<EntryBundle[]> {
  const ours = await bundle("@rge/core/web alone", (id) => !id.startsWith(".") && !id.startsWith("/") && !id.startsWith("\0"));
  const deps = await bundle("with its dependencies, without onnxruntime-web", (id) => id === "#ort" || id.startsWith("onnxruntime-web"));
  // Bundled, onnxruntime-web's wasm would be inlined (library builds inline every asset); its own minified
  // bundle is the JavaScript an app ships, so it is added as it is.
  const ort = readFileSync(ortFile("ort.bundle.min.mjs"));
  const code = Buffer.concat([deps.code, ort]);
  const all = {
    what: "with onnxruntime-web's JavaScript (its .wasm not counted)",
    bytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    modules: [...deps.modules, "node_modules/onnxruntime-web/dist/ort.bundle.min.mjs"],
    lazy: deps.lazy,
  };
  return [ours, deps, all].map(({ code: _, ...b }: EntryBundle & { code?: Buffer }) => b);
}

function ortFile(name: string): string {
  return join(dirname(createRequire(join(root, "tools", "package.json")).resolve("onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm")), name);
}

/** The size of the WASM runtime onnxruntime-web's default bundle loads (threads, SIMD, WebGPU). */
export function ortWasmBytes(): number {
  return statSync(ortFile("ort-wasm-simd-threaded.jsep.wasm")).size;
}

async function bundle(what: string, external: (id: string) => boolean): Promise<EntryBundle & { code: Buffer }> {
  const outDir = mkdtempSync(join(tmpdir(), "rge-web-size-"));
  try {
    const output = (await build({
      configFile: false,
      logLevel: "silent",
      resolve: { conditions: ["@rge/source", ...defaultClientConditions] },
      build: {
        outDir,
        write: true,
        minify: true,
        target: "es2022",
        reportCompressedSize: false,
        lib: { entry, formats: ["es"], fileName: "rge-web" },
        rolldownOptions: { external, output: { chunkFileNames: "[name]-[hash].js" } },
      },
    })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output).filter((c): c is Rolldown.OutputChunk => c.type === "chunk");
    // What loads up front: the entry and what it imports statically; the rest waits for an `import()`.
    const eager = new Set<string>();
    const visit = (name: string) => {
      if (eager.has(name)) return;
      eager.add(name);
      chunks.find((c) => c.fileName === name)?.imports.forEach(visit);
    };
    chunks.filter((c) => c.isEntry).forEach((c) => visit(c.fileName));
    const part = (list: Rolldown.OutputChunk[]) => {
      const code = Buffer.concat(list.map((c) => readFileSync(join(outDir, c.fileName))));
      return { code, bytes: code.length, gzipBytes: code.length ? gzipSync(code, { level: 9 }).length : 0, modules: [...new Set(list.flatMap((c) => Object.keys(c.modules)))].map(shorten).sort() };
    };
    const up = part(chunks.filter((c) => eager.has(c.fileName)));
    const { code: _, ...lazy } = part(chunks.filter((c) => !eager.has(c.fileName)));
    return { what, ...up, lazy };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

function shorten(path: string): string {
  const clean = path.replace(/^\0/, "").replace(/\?.*$/, "");
  const at = clean.lastIndexOf("/node_modules/");
  if (at >= 0) return `node_modules/${clean.slice(at + "/node_modules/".length)}`;
  return clean.startsWith(root) ? clean.slice(root.length + 1) : clean;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log("| bundle (minified) | size | gzipped |\n|---|---|---|");
  const bundles = await measureWebEntry();
  for (const b of bundles) console.log(`| ${b.what} | ${kib(b.bytes)} | ${kib(b.gzipBytes)} |`);
  const lazy = bundles[1]!.lazy;
  console.log(`\nLoaded only on WebGPU with the KV cache on the device (the cache graphs and their protobuf writer): ${kib(lazy.bytes)}, ${kib(lazy.gzipBytes)} gzipped`);
  console.log(`\nonnxruntime-web's WASM runtime (ort-wasm-simd-threaded.jsep.wasm), fetched once and cached by the browser: ${(ortWasmBytes() / 2 ** 20).toFixed(1)} MiB`);
}
