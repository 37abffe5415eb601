// Child process of vulkan-driver.ts: runs the tiny model on WebGPU and prints "ok <device>" when it worked.
import { loadRgeModel } from "@rge/core";
import { tempDir, writeTinyBundle } from "@rge/core/testing";

const tmp = tempDir("rge-webgpu-probe-");
try {
  const { dir } = writeTinyBundle(tmp.dir, { seed: 1 });
  const model = await loadRgeModel(dir, { device: "webgpu", maxNewTokens: 4, onWarning: () => {} });
  const q = await model.embedQuery({ text: "probe" });
  await model.dispose();
  if (!q.embedding.every(Number.isFinite)) throw new Error("non-finite embedding");
  console.log(`ok ${model.device}`);
} finally {
  tmp.remove();
}
