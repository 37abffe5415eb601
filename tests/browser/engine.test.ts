import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { convertCheckpoint, loadRgeModel, type RgeInput } from "@rge/core";
import { gradientPng, tempDir, writeTinyBundle } from "@rge/core/testing";
import sharp from "sharp";
// Core's Node decoder is not a public export; the test compares the browser's pixels with it directly.
import { decodeImage } from "../../packages/core/src/preprocess/image/decode-image.js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildPage, closeBrowsers, openPage, servePage, type BuiltPage, type ServedPage } from "./harness.js";
import type { CaseInput, ParityRequest, ParityResult, SourceRun, SourcesRequest } from "./pages/engine/parity-types.js";

// The engine of @rge/core/web in headless Chromium, on onnxruntime-web, against @rge/core in this process on
// onnxruntime-node: the same tiny fp32 bundle, the same text, image (PNG and JPEG) and text+image queries and targets. Tokens
// must be identical and embeddings within 1e-5.

const chromium = inject("chromium");
const executablePath = chromium.executablePath;
const tmp = tempDir("rge-browser-engine-");
let bundleDir: string;
let page: BuiltPage;
let server: ServedPage;
type NodeResult = Omit<ParityResult, "device" | "deviceReason" | "kvCacheOnDevice" | "loadMs" | "runMs">;
let node: NodeResult;
let nodeExternal: NodeResult;

const QUERIES: CaseInput[] = [
  { text: "what is shown in the picture ?" },
  { image: "images/wide.png" },
  { text: "describe the colours", image: "images/tall.png", imageAs: "blob" },
];
const TARGETS: CaseInput[] = [
  { text: "a soft gradient from dark to light" },
  { image: "images/tall.png", imageAs: "blob" },
  { text: "a caption beside its picture", image: "images/wide.png" },
  { image: "images/photo.jpg", imageAs: "blob" },
];
const MAX_NEW_TOKENS = 8;

function nodeInput(c: CaseInput, images: string): RgeInput {
  return { ...(c.text !== undefined ? { text: c.text } : {}), ...(c.image ? { image: join(images, c.image.slice("images/".length)) } : {}) };
}

async function runOnNode(bundle: string, images: string, queries: CaseInput[], targets: CaseInput[]): Promise<NodeResult> {
  const model = await loadRgeModel(bundle, { maxNewTokens: MAX_NEW_TOKENS, cacheSize: 0 });
  try {
    const streamed = queries.map(() => "");
    const q = await model.embedQueries(queries.map((c) => nodeInput(c, images)), { onToken: (t, i) => (streamed[i] += t.text) });
    const t = await model.embedTargets(targets.map((c) => nodeInput(c, images)));
    return {
      queries: q.map((r) => ({ embedding: Array.from(r.embedding), rationale: r.rationale, generatedIds: r.generatedIds, tokens: r.tokens })),
      targets: t.map((r) => ({ embedding: Array.from(r.embedding), tokens: r.tokens })),
      streamed,
    };
  } finally {
    await model.dispose();
  }
}

function maxAbsDiff(a: readonly number[], b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

beforeAll(async () => {
  if (!executablePath) return;
  const bundle = (bundleDir = join(tmp.dir, "bundle"));
  writeTinyBundle(bundle, { seed: 21 });
  const images = join(tmp.dir, "images");
  mkdirSync(images);
  writeFileSync(join(images, "wide.png"), await gradientPng(84, 56, 40));
  writeFileSync(join(images, "tall.png"), await gradientPng(56, 112, 200));
  // A JPEG too: Chromium's decoder and sharp's (both libjpeg-turbo) must give the same pixels.
  writeFileSync(join(images, "photo.jpg"), await sharp(await gradientPng(112, 84, 90)).jpeg({ quality: 80 }).toBuffer());
  node = await runOnNode(bundle, images, QUERIES, TARGETS);
  // The converter's own output with every weight in external-data files, as multi-GB graphs are shipped.
  const checkpoint = join(import.meta.dirname, "..", "..", "packages", "core", "src", "convert", "__fixtures__", "reference", "checkpoint");
  const external = (await convertCheckpoint(checkpoint, join(tmp.dir, "external"), { externalData: "always" })).dir;
  nodeExternal = await runOnNode(external, images, QUERIES.slice(0, 2), TARGETS.slice(0, 1));
  page = await buildPage(join(import.meta.dirname, "pages", "engine"));
  server = await servePage(page.dir, { mounts: { "/bundle/": bundle, "/external/": external, "/images/": images, "/swap/": join(tmp.dir, "swap") } });
});

afterAll(async () => {
  await closeBrowsers();
  await server?.close();
  page?.remove();
  tmp.remove();
});

if (!chromium.executablePath) it.skip(`needs Chromium: ${chromium.unavailable}`);

function expectSameAsNode(result: ParityResult, tolerance: number, reference: NodeResult = node): void {
  const node = reference;
  result.queries.forEach((q, i) => {
    const want = node.queries[i]!;
    expect(q.generatedIds, `query ${i} tokens`).toEqual(want.generatedIds);
    expect(q.rationale).toBe(want.rationale);
    expect(q.tokens).toEqual(want.tokens);
    expect(maxAbsDiff(q.embedding, want.embedding), `query ${i} embedding`).toBeLessThan(tolerance);
    expect(result.streamed[i]).toBe(want.rationale);
  });
  result.targets.forEach((t, i) => {
    expect(t.tokens).toEqual(node.targets[i]!.tokens);
    expect(maxAbsDiff(t.embedding, node.targets[i]!.embedding), `target ${i} embedding`).toBeLessThan(tolerance);
  });
}

function worst(result: ParityResult, reference: NodeResult = node): number {
  const node = reference;
  return Math.max(
    ...result.queries.map((q, i) => maxAbsDiff(q.embedding, node.queries[i]!.embedding)),
    ...result.targets.map((t, i) => maxAbsDiff(t.embedding, node.targets[i]!.embedding)),
  );
}

describe.runIf(executablePath)("@rge/core/web in headless Chromium", () => {
  const request = (device: ParityRequest["device"]): ParityRequest => ({ bundle: "bundle/", device, maxNewTokens: MAX_NEW_TOKENS, queries: QUERIES, targets: TARGETS });

  it("gives Node's tokens and embeddings on WASM, for text, image and text+image queries and targets", async () => {
    const opened = await openPage(server.url, { executablePath: executablePath! });
    const result = await opened.page.evaluate((r) => (globalThis as unknown as { rgeParity(r: ParityRequest): Promise<ParityResult> }).rgeParity(r), request("wasm"));
    await opened.close();
    expect(result.kvCacheOnDevice).toBe(false);
    console.log(`browser engine (wasm): load ${result.loadMs.toFixed(0)} ms, 3 queries + 3 targets ${result.runMs.toFixed(0)} ms, worst embedding difference ${worst(result).toExponential(1)}`);
    expect(result.device).toBe("wasm");
    expect(node.queries.every((q) => q.generatedIds.length === MAX_NEW_TOKENS)).toBe(true);
    expectSameAsNode(result, 1e-5);
    expect(opened.errors).toEqual([]);
    expect(opened.blockedRequests).toEqual([]);
  });

  it("decodes PNG and JPEG to the same RGB pixels as Node's decoder (sharp)", async () => {
    const opened = await openPage(server.url, { executablePath: executablePath! });
    for (const name of ["wide.png", "photo.jpg"]) {
      const web = await opened.page.evaluate((u) => (globalThis as unknown as { rgeDecode(u: string): Promise<{ width: number; height: number; data: number[] }> }).rgeDecode(u), `images/${name}`);
      const here = await decodeImage(readFileSync(join(tmp.dir, "images", name)));
      expect([web.width, web.height], name).toEqual([here.width, here.height]);
      expect(maxAbsDiff(web.data, here.data), name).toBe(0);
    }
    await opened.close();
    expect(opened.errors).toEqual([]);
  });

  it("loads a bundle whose weights are in external-data files, fetching exactly the files its graphs name", async () => {
    const opened = await openPage(server.url, { executablePath: executablePath! });
    const external: ParityRequest = { bundle: "external/", device: "wasm", maxNewTokens: MAX_NEW_TOKENS, queries: QUERIES.slice(0, 2), targets: TARGETS.slice(0, 1) };
    const result = await opened.page.evaluate((r) => (globalThis as unknown as { rgeParity(r: ParityRequest): Promise<ParityResult> }).rgeParity(r), external);
    await opened.close();
    console.log(`browser engine (external data): worst embedding difference ${worst(result, nodeExternal).toExponential(1)}`);
    expectSameAsNode(result, 1e-5, nodeExternal);
    const fetched = server.requests.filter((r) => r.includes("/external/onnx/")).map((r) => r.replace(/^\d+ \/external\//, ""));
    expect(fetched.sort()).toEqual([
      "onnx/decoder_model_merged.onnx",
      "onnx/decoder_model_merged.onnx_data",
      "onnx/embed_tokens.onnx",
      "onnx/embed_tokens.onnx_data",
      "onnx/vision_encoder.onnx",
      "onnx/vision_encoder.onnx_data",
    ]);
    expect(opened.errors).toEqual([]);
  });

  it("reads a bundle from the Cache API (the second load fetches no graph), OPFS and a picked folder", async () => {
    const opened = await openPage(server.url, { executablePath: executablePath! });
    await opened.page.setInputFiles("#folder", bundleDir);
    const files = (readdirSync(bundleDir, { recursive: true, encoding: "utf8" }) as string[]).filter((f) => statSync(join(bundleDir, f)).isFile());
    const graphRequests = () => server.requests.filter((r) => r.startsWith("200 /bundle/onnx/")).length;
    const revalidations = () => server.requests.filter((r) => r.startsWith("HEAD 200 /bundle/onnx/")).length;
    const before = graphRequests();
    const headsBefore = revalidations();
    const request: SourcesRequest = { bundle: "bundle/", files, maxNewTokens: MAX_NEW_TOKENS, query: QUERIES[0]!, target: TARGETS[1]! };
    const runs = await opened.page.evaluate((r) => (globalThis as unknown as { rgeSources(r: SourcesRequest): Promise<SourceRun[]> }).rgeSources(r), request);
    await opened.close();
    const [first, second, opfs, folder] = runs;
    expect(first!.cachedReports).toBe(0);
    expect(second!.reports).toBeGreaterThan(0);
    expect(second!.cachedReports).toBe(second!.reports);
    // Three graphs fetched by the first load and three by the copy into OPFS: none by the second load, which asked
    // whether each had changed.
    expect(graphRequests() - before).toBe(6);
    expect(revalidations() - headsBefore).toBe(3);
    for (const run of runs) {
      expect(run.query.generatedIds, run.source).toEqual(node.queries[0]!.generatedIds);
      expect(maxAbsDiff(run.query.embedding, node.queries[0]!.embedding), run.source).toBeLessThan(1e-5);
      expect(maxAbsDiff(run.target.embedding, node.targets[1]!.embedding), run.source).toBeLessThan(1e-5);
    }
    expect([opfs!.source, folder!.source]).toEqual(["opfs", "folder"]);
    expect(opened.errors).toEqual([]);
  });

  it("fetches a cached bundle again when it was replaced at its URL", async () => {
    const swap = join(tmp.dir, "swap");
    writeTinyBundle(swap, { seed: 21 });
    const request: ParityRequest = { bundle: "swap/", cache: "rge-swap", device: "wasm", maxNewTokens: MAX_NEW_TOKENS, queries: QUERIES.slice(0, 1), targets: TARGETS.slice(0, 1) };
    const opened = await openPage(server.url, { executablePath: executablePath! });
    const run = () => opened.page.evaluate((r) => (globalThis as unknown as { rgeParity(r: ParityRequest): Promise<ParityResult> }).rgeParity(r), request);
    const before = await run();
    expectSameAsNode(before, 1e-5, { ...node, queries: node.queries.slice(0, 1), targets: node.targets.slice(0, 1), streamed: node.streamed.slice(0, 1) });
    writeTinyBundle(swap, { seed: 22 });
    const replaced = await runOnNode(swap, join(tmp.dir, "images"), QUERIES.slice(0, 1), TARGETS.slice(0, 1));
    const after = await run();
    await opened.close();
    expect(after.queries[0]!.embedding).not.toEqual(before.queries[0]!.embedding);
    expectSameAsNode(after, 1e-5, replaced);
    expect(server.requests.filter((r) => r.startsWith("200 /swap/onnx/")).length).toBe(6);
    expect(opened.errors).toEqual([]);
  });

  it("runs on WebGPU where headless Chromium offers an adapter, and says so in one line where not", async () => {
    const opened = await openPage(server.url, { executablePath: executablePath!, webgpu: true });
    const adapter = await opened.page.evaluate(async () => {
      type Gpu = { requestAdapter(): Promise<{ info?: { vendor: string; architecture: string } } | null> };
      const gpu = (globalThis as unknown as { navigator: { gpu?: Gpu } }).navigator.gpu;
      const a = gpu ? await gpu.requestAdapter() : null;
      return a ? `${a.info?.vendor ?? "?"}/${a.info?.architecture ?? "?"}` : undefined;
    });
    if (!adapter) {
      await opened.close();
      console.log("browser engine (webgpu): headless Chromium offers no WebGPU adapter here, so nothing ran on it");
      return;
    }
    // The KV cache on the GPU between steps (the default), then copied through the host each step.
    for (const kvCacheOnDevice of [true, false]) {
      const result = await opened.page.evaluate(
        (r) => (globalThis as unknown as { rgeParity(r: ParityRequest): Promise<ParityResult> }).rgeParity(r),
        { ...request("webgpu"), kvCacheOnDevice },
      );
      console.log(
        `browser engine (webgpu on ${adapter}, KV cache ${kvCacheOnDevice ? "on the device" : "through the host"}): ` +
          `load ${result.loadMs.toFixed(0)} ms, run ${result.runMs.toFixed(0)} ms, worst embedding difference ${worst(result).toExponential(1)}`,
      );
      expect(result.device).toBe("webgpu");
      expect(result.kvCacheOnDevice).toBe(kvCacheOnDevice);
      expectSameAsNode(result, 1e-4);
    }
    await opened.close();
    expect(opened.blockedRequests).toEqual([]);
  });

  it("refuses an image on another origin without allowNetwork, undecodable bytes and a missing WASM runtime with typed errors, fetching nothing", async () => {
    const opened = await openPage(server.url, { executablePath: executablePath! });
    type Failure = { name: string; code: string; message: string } | undefined;
    const fail = (input: CaseInput) =>
      opened.page.evaluate(([b, i]) => (globalThis as unknown as { rgeFailure(b: string, i: CaseInput): Promise<Failure> }).rgeFailure(b, i), ["bundle/", input] as const);
    const remote = await fail({ image: "https://images.example.com/cat.png" });
    expect(remote).toMatchObject({ name: "NetworkDisabledError", code: "RGE_NETWORK_DISABLED" });
    const broken = await fail({ image: "bundle/config.json", imageAs: "blob" });
    expect(broken).toMatchObject({ name: "ImageDecodeError", code: "RGE_IMAGE_UNDECODABLE" });
    await opened.close();
    expect(opened.blockedRequests).toEqual([]);
    // onnxruntime-web's runtime not where it is looked for (a fresh page: a failed WASM start stays failed in a page).
    const missing = await openPage(server.url, { executablePath: executablePath!, echo: false });
    const load = await missing.page.evaluate(
      ([b, w]) => (globalThis as unknown as { rgeLoadFailure(b: string, w: string): Promise<Failure> }).rgeLoadFailure(b, w),
      ["bundle/", `${server.url}no-such-folder/`] as const,
    );
    await missing.close();
    expect(load).toMatchObject({ name: "DeviceUnavailableError", code: "RGE_DEVICE_UNAVAILABLE", message: expect.stringMatching(/wasmPaths/) });
  });
});
