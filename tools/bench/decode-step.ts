import { readBundle } from "../../packages/core/src/bundle/load-bundle.js";
import { Forward } from "../../packages/core/src/engine/forward.js";
import { createSessions } from "../../packages/core/src/engine/sessions.js";
import { BundleTokenizer } from "../../packages/core/src/preprocess/tokenizer.js";
import { ropePositions } from "../../packages/core/src/preprocess/rope-index.js";

/** Median milliseconds of one decode step at each batch size, after a 64-token prefill (engine internals). */
export async function decodeStepTimes(bundleDir: string, batches: number[]): Promise<Record<number, number>> {
  const bundle = readBundle(bundleDir, "fp32");
  const sessions = await createSessions(bundle, { device: "cpu" });
  new BundleTokenizer(bundle.tokenizerJson, bundle.tokenizerConfig);
  const forward = new Forward(sessions, bundle.config, 0);
  const out: Record<number, number> = {};
  for (const batch of batches) {
    const items = Array.from({ length: batch }, (_, b) => {
      const ids = Array.from({ length: 64 }, (_, i) => ((b * 31 + i * 17) % 250) + 1);
      return { ids, images: [], positions: ropePositions(ids, [], bundle.config.imageTokenId, 2) };
    });
    let { cache } = await forward.prefill(items, 1);
    const times: number[] = [];
    for (let s = 0; s < 12; s++) {
      const t = performance.now();
      ({ cache } = await forward.step(items.map(() => 42), items.map(() => 64 + s), cache));
      times.push(performance.now() - t);
    }
    out[batch] = times.sort((a, b) => a - b)[times.length >> 1]!;
  }
  await Promise.all([sessions.decoder.release(), sessions.embedTokens.release(), sessions.visionEncoder.release()]);
  return out;
}
