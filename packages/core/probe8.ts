import { loadRgeModel, dot } from "@rge/core";
import { writeTinyBundle, gradientPng } from "@rge/core/testing";
const kv = (process.argv[2] ?? "new") as "new";
const { dir } = writeTinyBundle(`/tmp/probe/dev-${kv}`, { seed: 1, kvOutputs: kv });
const image = await gradientPng(56, 84);
const inputs = [{ text: "hello world" }, { text: "what?", image }, { text: "a third, longer question here" }, { image }, { text: "five" }];
const run = async (device: "cpu" | "webgpu") => {
  const m = await loadRgeModel(dir, { device, batchSize: 2, cacheSize: 0, maxNewTokens: 20, onWarning: () => {} });
  const qs = await m.embedQueries(inputs);
  const ts = await m.embedTargets(inputs);
  await m.dispose();
  return { qs, ts };
};
const a = await run("cpu"); const b = await run("webgpu");
a.qs.forEach((q, i) => console.log("q", i, q.generatedIds.join() === b.qs[i]!.generatedIds.join(), dot(q.embedding, b.qs[i]!.embedding).toFixed(7), q.generatedIds.length));
a.ts.forEach((q, i) => console.log("t", i, dot(q.embedding, b.ts[i]!.embedding).toFixed(7)));
