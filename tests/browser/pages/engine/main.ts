// Runs the engine from @rge/core/web on cases the Node test sends, and returns plain results to compare.
import { loadRgeModel, RgeError, type RgeInput } from "@rge/core/web";
import type { CaseInput, ParityRequest, ParityResult } from "./parity-types.js";


async function toInput(c: CaseInput): Promise<RgeInput> {
  const input: RgeInput = c.text !== undefined ? { text: c.text } : {};
  if (c.image) input.image = c.imageAs === "blob" ? await (await fetch(c.image)).blob() : c.image;
  return input;
}

async function run(request: ParityRequest): Promise<ParityResult> {
  const started = performance.now();
  const model = await loadRgeModel(request.bundle, { device: request.device, maxNewTokens: request.maxNewTokens, cacheSize: 0, cache: false });
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
    if (!(error instanceof RgeError)) throw error;
    return { name: error.name, code: error.code, message: error.message };
  } finally {
    await model.dispose();
  }
}

Object.assign(window, { rgeParity: run, rgeFailure: failure });
