// Child process of the WebGPU suite: runs one case on one device and writes its rows as JSON to the given file,
// so that a provider crash kills this process, not the test runner. With RGE_COUNT_TRANSFERS=1 it also records,
// for every decode step, the rows fed and the bytes of host tensors that went to and came from the decoder.
import { writeFileSync } from "node:fs";
import { loadRgeModel, type RgeDevice, type RgeDtype } from "@rge/core";
import { hostBytes, observeSessionRuns } from "@rge/core/testing";
import { LOAD_OPTIONS, runCase, type CaseName } from "./cases.js";

const [bundle, device, dtype, name, outFile] = process.argv.slice(2) as [string, RgeDevice, RgeDtype, CaseName, string];
const steps: { rows: number; up: number; down: number }[] = [];
if (process.env.RGE_COUNT_TRANSFERS === "1") {
  observeSessionRuns((feeds, outputs) => {
    const embeds = feeds.inputs_embeds;
    if (embeds && embeds.dims[1] === 1) steps.push({ rows: embeds.dims[0]!, up: hostBytes(Object.values(feeds)), down: hostBytes(Object.values(outputs)) });
  });
}
const kvCacheOnDevice = process.env.RGE_KV_ON_DEVICE !== "0";
const model = await loadRgeModel(bundle, { ...LOAD_OPTIONS, device, dtype, kvCacheOnDevice, onWarning: (m) => console.error(m) });
const rows = await runCase(model, name);
await model.dispose();
writeFileSync(outFile, JSON.stringify({ device: model.device, deviceReason: model.deviceReason, rows, steps }));
