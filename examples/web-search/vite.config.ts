import { defineConfig } from "vite";

// Cross-origin isolation lets onnxruntime-web run WASM on several threads (SharedArrayBuffer); without these
// headers it runs on one. Every resource the page loads is its own, so `require-corp` costs nothing.
const isolation = { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" };

// onnxruntime-web starts its WASM threads from its own module's URL; bundled into the page's chunk, each thread
// would run the page again. In a chunk of its own, a thread loads onnxruntime-web alone.
const ortInOwnChunk = { codeSplitting: { groups: [{ name: "onnxruntime-web", test: /[\\/]onnxruntime-web[\\/]/ }] } };

export default defineConfig({
  // The workspace's sources, so the page needs no build of @rge/core; an app using the published package needs nothing here.
  resolve: { conditions: ["@rge/source", "browser", "module", "import", "default"] },
  worker: { format: "es", rolldownOptions: { output: ortInOwnChunk } },
  build: { target: "esnext", rolldownOptions: { output: ortInOwnChunk } },
  // onnxruntime-web finds its .wasm beside its own module; prebundling would move the module away from it.
  optimizeDeps: { exclude: ["onnxruntime-web"] },
  server: { headers: isolation },
  preview: { headers: isolation },
});
