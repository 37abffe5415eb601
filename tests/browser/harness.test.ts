import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { closeBrowsers, openPage, screenshot, servePage, waitForResult, type ServedPage } from "./harness.js";

// The harness itself: what the server sends, that the network guard stops a page and its workers from reaching
// beyond the machine, and that a failing page fails with its own error.

const chromium = inject("chromium");
const executablePath = chromium.executablePath;
const dir = mkdtempSync(join(tmpdir(), "rge-harness-"));
const mounted = mkdtempSync(join(tmpdir(), "rge-harness-mount-"));
let server: ServedPage;

const PAGES: Record<string, string> = {
  "index.html": "<!doctype html><p>static page</p>",
  "runtime.wasm": "\0asm\x01\0\0\0",
  "module.mjs": "export {};",
  // Reaches for another host from the page (fetch, image, WebSocket) and from a module worker.
  "escape.html": `<!doctype html><img src="http://example.com/pixel.png"><script type="module">
    const attempt = (url) => fetch(url).then(() => "reached", () => "failed");
    new WebSocket("ws://example.com/socket");
    const worker = new Worker("./escape-worker.js", { type: "module" });
    const fromWorker = await new Promise((resolve) => (worker.onmessage = (e) => resolve(e.data)));
    globalThis.__rgeResult = { ok: true, value: { page: await attempt("http://example.com/from-page"), worker: fromWorker } };
  </script>`,
  "escape-worker.js": `console.log("hello from the worker");
    postMessage(await fetch("http://example.com/from-worker").then(() => "reached", () => "failed"));`,
  "throws.html": `<!doctype html><script type="module">
    import("./missing-module.js").catch(() => { throw new Error("the page broke on purpose"); });
  </script>`,
  "fails.html": `<!doctype html><script>globalThis.__rgeResult = { ok: false, error: "Error: nothing to run\\n    at main.ts:3" };</script>`,
};

beforeAll(async () => {
  for (const [name, text] of Object.entries(PAGES)) writeFileSync(join(dir, name), text);
  writeFileSync(join(mounted, "graph.onnx"), "not really onnx");
  server = await servePage(dir, { mounts: { "/bundle/": mounted } });
});
afterAll(async () => {
  await closeBrowsers();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(mounted, { recursive: true, force: true });
});

describe("servePage", () => {
  it("sends wasm and modules with the MIME types browsers require, cross-origin isolated", async () => {
    const wasm = await fetch(new URL("runtime.wasm", server.url));
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    expect(wasm.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(wasm.headers.get("cross-origin-embedder-policy")).toBe("require-corp");
    expect((await fetch(new URL("module.mjs", server.url))).headers.get("content-type")).toMatch(/^text\/javascript/);
    expect((await fetch(server.url)).headers.get("content-type")).toMatch(/^text\/html/);
  });

  it("serves a mounted directory under its prefix, and 404 for what is in neither", async () => {
    expect(await (await fetch(new URL("bundle/graph.onnx", server.url))).text()).toBe("not really onnx");
    expect((await fetch(new URL("graph.onnx", server.url))).status).toBe(404);
    expect((await fetch(new URL("bundle/index.html", server.url))).status).toBe(404);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });
});

if (!chromium.executablePath) it.skip(`openPage needs Chromium: ${chromium.unavailable}`);

describe.runIf(executablePath)("openPage", () => {
  it("aborts and records every request beyond 127.0.0.1, from the page and from its workers", async () => {
    const opened = await openPage(new URL("escape.html", server.url).href, { executablePath: executablePath!, echo: false });
    const result = await waitForResult<{ page: string; worker: string }>(opened);
    await opened.close();
    expect(result).toEqual({ page: "failed", worker: "failed" });
    expect([...opened.blockedRequests].sort()).toEqual(
      ["http://example.com/from-page", "http://example.com/from-worker", "http://example.com/pixel.png", "ws://example.com/socket"].sort(),
    );
    expect(opened.logs).toContain("[worker log] hello from the worker");
  });

  it("fails with the page's own error when the page throws, and names the timeout", async () => {
    const opened = await openPage(new URL("throws.html", server.url).href, { executablePath: executablePath!, echo: false });
    const failure = await waitForResult(opened, { timeout: 2_000 }).catch((e: Error) => e.message);
    await opened.close();
    expect(failure).toMatch(/the page posted no result: .*Timeout 2000ms/);
    expect(failure).toContain("the page broke on purpose");
  });

  it("fails with the error the page posted", async () => {
    const opened = await openPage(new URL("fails.html", server.url).href, { executablePath: executablePath!, echo: false });
    await expect(waitForResult(opened)).rejects.toThrow(/the page failed: Error: nothing to run\n {4}at main\.ts:3/);
    await opened.close();
  });

  it("saves a screenshot as PNG", async () => {
    const opened = await openPage(server.url, { executablePath: executablePath!, echo: false });
    const path = await screenshot(opened.page, join(dir, "shots", "static.png"));
    await opened.close();
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path).subarray(1, 4).toString()).toBe("PNG");
  });
});
