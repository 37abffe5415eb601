import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build, defaultClientConditions } from "vite";

/** A page Vite built into a temp dir. */
export interface BuiltPage {
  /** The built page: `index.html` and `assets/`. */
  dir: string;
  /** How long the build took, in seconds. */
  seconds: number;
  remove(): void;
}

export interface BuildPageOptions {
  /** Where to write the page (default: a fresh temp dir, removed by `remove()`). */
  outDir?: string;
  /** Compile-time constants for the page, as in Vite's `define` (default: none). */
  define?: Record<string, string>;
  /** Minify the bundle (default: false, so a stack trace in a failure reads as source). */
  minify?: boolean;
  /**
   * Build with this Vite config (an example's own, as its users build it) instead of the harness's settings;
   * only the output folder, `base` and logging are set here.
   */
  configFile?: string;
}

/**
 * onnxruntime-web starts its pthread workers from its own module URL (`new Worker(new URL(import.meta.url))`).
 * Bundled with the page's code, that URL is the page's entry chunk, and every thread would run the page again
 * ("document is not defined" from a thread); in a chunk of its own, a thread loads onnxruntime-web alone. Module
 * workers are bundled apart, so their build gets the same split.
 */
const ORT_IN_OWN_CHUNK = { codeSplitting: { groups: [{ name: "onnxruntime-web", test: /[\\/]onnxruntime-web[\\/]/ }] } };

/**
 * Builds the page in `entryDir` (an `index.html` and the modules it imports, Web Workers included) with Vite.
 *
 * Workspace packages resolve to their TypeScript sources through `@rge/source`, as in the Node tests, then by
 * Vite's browser conditions, so a package's browser entry wins over its Node one (`onnxruntime-web` gives
 * its ESM bundle).
 *
 * onnxruntime-web's `.wasm`: its default ESM bundle (`ort.bundle.min.mjs`) locates the runtime as
 * `new URL("ort-wasm-simd-threaded.jsep.wasm", import.meta.url)`. Vite's build recognizes that literal form and
 * emits the file as a hashed asset under `assets/`, rewriting the URL, so no copying and no `wasmPaths` are
 * needed. Threads need one more thing, {@link ORT_IN_OWN_CHUNK}. (`optimizeDeps` and `exclude: ["onnxruntime-web"]`
 * matter only to Vite's dev server, which this does not use.)
 */
export async function buildPage(entryDir: string, options: BuildPageOptions = {}): Promise<BuiltPage> {
  const outDir = options.outDir ?? mkdtempSync(join(tmpdir(), "rge-page-"));
  const started = Date.now();
  if (options.configFile) {
    await build({ configFile: options.configFile, root: entryDir, base: "./", logLevel: "warn", build: { outDir, emptyOutDir: true, reportCompressedSize: false } });
    return { dir: outDir, seconds: (Date.now() - started) / 1000, remove: () => rmSync(outDir, { recursive: true, force: true }) };
  }
  await build({
    configFile: false,
    root: entryDir,
    // Relative URLs, so the page works under any path the server puts it.
    base: "./",
    logLevel: "warn",
    define: options.define,
    resolve: { conditions: ["@rge/source", ...defaultClientConditions] },
    worker: { format: "es", rolldownOptions: { output: ORT_IN_OWN_CHUNK } },
    build: {
      outDir,
      emptyOutDir: true,
      // Top-level await in the pages and in onnxruntime-web.
      target: "esnext",
      minify: options.minify ?? false,
      reportCompressedSize: false,
      // A 28 MB wasm is past the limit anyway; this keeps every asset a file the server logs.
      assetsInlineLimit: 0,
      rolldownOptions: { output: ORT_IN_OWN_CHUNK },
    },
  });
  return { dir: outDir, seconds: (Date.now() - started) / 1000, remove: () => rmSync(outDir, { recursive: true, force: true }) };
}
