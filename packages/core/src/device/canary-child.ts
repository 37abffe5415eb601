/**
 * The program a provider probe runs in a child process (ES module source for `node --input-type=module -e`):
 * it opens the canary's graphs on the provider, replays the recorded calls and writes the requested outputs.
 * Kept to plain JavaScript over onnxruntime-node alone, so it runs the same from sources and from dist.
 * Arguments: onnxruntime-node's entry file, the spec file, the output file, the provider.
 */
export const CANARY_CHILD = `
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [ortPath, specPath, outPath, provider] = process.argv.slice(1);
const mod = await import(pathToFileURL(ortPath).href);
const ort = mod.default ?? mod;
const spec = JSON.parse(readFileSync(specPath, "utf8"));
const arrays = { float32: Float32Array, float16: Uint16Array, int64: BigInt64Array };
const sessions = new Map();
const results = [];
for (const call of spec.calls) {
  if (!sessions.has(call.file)) {
    sessions.set(call.file, await ort.InferenceSession.create(call.file, { executionProviders: [provider], logSeverityLevel: 3 }));
  }
  const feeds = {};
  for (const f of call.feeds) {
    const bytes = Buffer.from(f.data, "base64");
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    feeds[f.name] = new ort.Tensor(f.type, new arrays[f.type](copy), f.dims);
  }
  const out = await sessions.get(call.file).run(feeds, call.fetch);
  const row = {};
  for (const name of call.fetch) {
    const d = out[name].data;
    row[name] = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("base64");
  }
  results.push(row);
}
writeFileSync(outPath, JSON.stringify(results));
`;
