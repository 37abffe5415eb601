// Runs the engine from @rge/core/web on cases the Node test sends, and returns plain results to compare.
import { decodeWebImage, loadRgeModel, RgeError, type RgeInput } from "@rge/core/web";
import type { CaseInput, ParityRequest, ParityResult, SourceRun, SourcesRequest } from "./parity-types.js";


async function toInput(c: CaseInput): Promise<RgeInput> {
  const input: RgeInput = c.text !== undefined ? { text: c.text } : {};
  if (c.image) input.image = c.imageAs === "blob" ? await (await fetch(c.image)).blob() : c.image;
  return input;
}

async function run(request: ParityRequest): Promise<ParityResult> {
  const started = performance.now();
  const model = await loadRgeModel(request.bundle, {
    device: request.device,
    maxNewTokens: request.maxNewTokens,
    cacheSize: 0,
    cache: request.cache ?? false,
    ...(request.kvCacheOnDevice !== undefined ? { kvCacheOnDevice: request.kvCacheOnDevice } : {}),
  });
  const loaded = performance.now();
  try {
    const streamed = request.queries.map(() => "");
    const queries = await model.embedQueries(await Promise.all(request.queries.map(toInput)), {
      onToken: (token, index) => (streamed[index] += token.text),
    });
    const targets = await model.embedTargets(await Promise.all(request.targets.map(toInput)));
    return {
      device: model.device,
      deviceReason: model.deviceReason,
      kvCacheOnDevice: model.kvCacheOnDevice,
      queries: queries.map((q) => ({ embedding: Array.from(q.embedding), rationale: q.rationale, generatedIds: q.generatedIds, tokens: q.tokens })),
      targets: targets.map((t) => ({ embedding: Array.from(t.embedding), tokens: t.tokens })),
      streamed,
      loadMs: loaded - started,
      runMs: performance.now() - loaded,
    };
  } finally {
    await model.dispose();
  }
}

/** Loads the model and embeds `input`, returning the typed error's name and code, for the error cases. */
async function failure(bundle: string, input: CaseInput): Promise<{ name: string; code: string; message: string } | undefined> {
  const model = await loadRgeModel(bundle, { cache: false, maxNewTokens: 2 });
  try {
    await model.embedTarget(await toInput(input));
    return undefined;
  } catch (error) {
    return described(error);
  } finally {
    await model.dispose();
  }
}

/** Loads the bundle with onnxruntime-web's .wasm looked for where it is not served; returns the typed error. */
async function loadFailure(bundle: string, wasmPaths: string): Promise<{ name: string; code: string; message: string } | undefined> {
  try {
    await (await loadRgeModel(bundle, { cache: false, wasmPaths })).dispose();
    return undefined;
  } catch (error) {
    return described(error);
  }
}

function described(error: unknown): { name: string; code: string; message: string } {
  if (!(error instanceof RgeError)) throw error;
  return { name: error.name, code: error.code, message: error.message };
}

/**
 * Loads the bundle from the Cache API (twice: the first load fills it), from a copy in the origin private file
 * system, and from the folder the test picked in `#folder`, embedding the same query and target each time.
 */
async function sources(request: SourcesRequest): Promise<SourceRun[]> {
  const once = async (source: SourceRun["source"], bundle: Parameters<typeof loadRgeModel>[0], cache: string | false): Promise<SourceRun> => {
    let reports = 0;
    let cachedReports = 0;
    const model = await loadRgeModel(bundle, { maxNewTokens: request.maxNewTokens, cacheSize: 0, cache, onProgress: (p) => (reports++, p.cached && cachedReports++) });
    try {
      const query = await model.embedQuery(await toInput(request.query));
      const target = await model.embedTarget(await toInput(request.target));
      return { source, reports, cachedReports, query: { embedding: Array.from(query.embedding), generatedIds: query.generatedIds }, target: { embedding: Array.from(target.embedding) } };
    } finally {
      await model.dispose();
    }
  };
  await caches.delete("rge-test");
  const first = await once("cache", request.bundle, "rge-test");
  const second = await once("cache", request.bundle, "rge-test");
  const root = await navigator.storage.getDirectory();
  const dir = await root.getDirectoryHandle("rge-bundle", { create: true });
  for (const name of request.files) {
    const parts = name.split("/");
    let folder = dir;
    for (const part of parts.slice(0, -1)) folder = await folder.getDirectoryHandle(part, { create: true });
    const writable = await (await folder.getFileHandle(parts.at(-1)!, { create: true })).createWritable();
    await writable.write(await (await fetch(new URL(name, new URL(request.bundle, location.href)))).arrayBuffer());
    await writable.close();
  }
  const opfs = await once("opfs", dir, false);
  const picked = (document.getElementById("folder") as HTMLInputElement).files!;
  const folder = await once("folder", picked, false);
  return [first, second, opfs, folder];
}

/** The RGB pixels the browser's decoder gives for an image URL, for comparison with Node's (sharp). */
async function decode(url: string): Promise<{ width: number; height: number; data: number[] }> {
  const image = await decodeWebImage(new Uint8Array(await (await fetch(url)).arrayBuffer()));
  return { width: image.width, height: image.height, data: Array.from(image.data) };
}

Object.assign(window, { rgeParity: run, rgeFailure: failure, rgeSources: sources, rgeDecode: decode, rgeLoadFailure: loadFailure });
