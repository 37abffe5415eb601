import { describe, expect, it } from "vitest";
import { measureWebEntry } from "../../tools/bench/web-entry-size.js";

// The browser entry bundled as an app would bundle it: what ends up inside, and how big it is (printed; the figures
// belong to the README, not to a threshold here).

const NODE_ONLY = /^node:|browser-external|node_modules\/(onnxruntime-node|sharp|proper-lockfile|cli-progress)\//;

describe("@rge/core/web bundled for a browser", () => {
  it("holds the shared engine and no Node-only module, loads the graph writer only on demand, and reports its size", async () => {
    const [alone, withDeps] = await measureWebEntry();
    for (const b of [alone!, withDeps!]) console.log(`${b.what}: ${(b.bytes / 1024).toFixed(1)} KiB minified, ${(b.gzipBytes / 1024).toFixed(1)} KiB gzipped`);
    const { modules, lazy } = withDeps!;
    console.log(`loaded on demand (WebGPU's on-device KV cache): ${(lazy.bytes / 1024).toFixed(1)} KiB minified, ${(lazy.gzipBytes / 1024).toFixed(1)} KiB gzipped`);
    expect(modules).toContain("packages/core/src/engine/model.ts");
    expect(modules).toContain("packages/core/src/preprocess/image/pil-resize.ts");
    expect(modules.some((m) => m.startsWith("node_modules/@huggingface/tokenizers/"))).toBe(true);
    // Vite stands in `__vite-browser-external` for a Node built-in a browser bundle reaches.
    expect([...modules, ...lazy.modules].filter((m) => NODE_ONLY.test(m))).toEqual([]);
    expect([...modules, ...lazy.modules].filter((m) => /packages\/core\/src\/(hub|cli|convert|device)\//.test(m))).toEqual([]);
    // The protobuf graph writer is for the KV-cache graphs of WebGPU only: never in what every page loads.
    expect(modules.filter((m) => /node_modules\/(onnx-buf|@bufbuild)\/|graph-builder/.test(m))).toEqual([]);
    expect(lazy.modules).toContain("packages/core/src/graph/kv-cache-ops-graph.ts");
  });
});
