/**
 * One target-encoding measurement in a fresh process (so peak memory is its own): embeds `count` documents of
 * `tokens` tokens in batches of `batch`, keeping logits for 1 position or for all (`keep` 0), and prints JSON.
 * Uses the engine's internals to switch `num_logits_to_keep`; the public API always keeps one position.
 */
import { readBundle } from "../../packages/core/src/bundle/load-bundle.js";
import { Forward } from "../../packages/core/src/engine/forward.js";
import { createSessions } from "../../packages/core/src/engine/sessions.js";
import { BundleTokenizer } from "../../packages/core/src/preprocess/tokenizer.js";
import { ropePositions } from "../../packages/core/src/preprocess/rope-index.js";

const [bundleDir, keepArg, tokensArg, batchArg, countArg] = process.argv.slice(2);
const keep = Number(keepArg);
const tokens = Number(tokensArg);
const batch = Number(batchArg);
const count = Number(countArg);
const bundle = readBundle(bundleDir!, "fp32");
const sessions = await createSessions(bundle, { device: "cpu" });
new BundleTokenizer(bundle.tokenizerJson, bundle.tokenizerConfig);
const forward = new Forward(sessions, bundle.config, 0);
const item = (seed: number) => {
  const ids = Array.from({ length: tokens }, (_, i) => ((seed * 7919 + i * 104729) % 250) + 1);
  ids[tokens - 1] = bundle.manifest.embTokenId;
  return { ids, images: [], positions: ropePositions(ids, [], bundle.config.imageTokenId, 2) };
};
await forward.prefill([item(0)], 1); // warm-up: sessions initialised, no large buffers yet
const loadedRss = process.resourceUsage().maxRSS / 1024;
const started = performance.now();
for (let done = 0; done < count; done += batch) {
  await forward.prefill(Array.from({ length: Math.min(batch, count - done) }, (_, i) => item(done + i)), keep);
}
const seconds = (performance.now() - started) / 1000;
const peakRss = process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ keep, tokens, batch, count, docsPerSecond: count / seconds, loadedRssMB: loadedRss, peakRssMB: peakRss, activationPeakMB: peakRss - loadedRss }));
