import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPage, servePage, type ServedPage } from "./harness.js";
import type { Float32Tensor } from "./pages/shared/graph-case.js";
import { runOnNode, tinyGraph } from "./tiny-graph.js";

/** The smoke page built and served with the tiny graph at `/bundle/`, and onnxruntime-node's outputs for it. */
export interface SmokePage {
  server: ServedPage;
  reference: Record<string, Float32Tensor>;
  buildSeconds: number;
  close(): Promise<void>;
}

export async function startSmokePage(): Promise<SmokePage> {
  const page = await buildPage(join(import.meta.dirname, "pages", "smoke"));
  const bundle = mkdtempSync(join(tmpdir(), "rge-bundle-"));
  const { bytes, inputs } = tinyGraph();
  writeFileSync(join(bundle, "graph.onnx"), bytes);
  writeFileSync(join(bundle, "inputs.json"), JSON.stringify(inputs));
  const server = await servePage(page.dir, { mounts: { "/bundle/": bundle } });
  return {
    server,
    reference: await runOnNode(bytes, inputs),
    buildSeconds: page.seconds,
    close: async () => {
      await server.close();
      page.remove();
      rmSync(bundle, { recursive: true, force: true });
    },
  };
}

/** The largest |a - b| over the outputs of two runs; throws when their names or shapes differ. */
export function maxAbsDiff(actual: Record<string, Float32Tensor>, expected: Record<string, Float32Tensor>): number {
  if (Object.keys(actual).sort().join() !== Object.keys(expected).sort().join()) {
    throw new Error(`outputs ${Object.keys(actual).join(", ")} where ${Object.keys(expected).join(", ")} were expected`);
  }
  let worst = 0;
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name]!;
    if (got.dims.join() !== want.dims.join()) throw new Error(`${name}: dims [${got.dims}] where [${want.dims}] were expected`);
    want.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - got.data[i]!))));
  }
  return worst;
}
