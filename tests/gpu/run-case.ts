// Child process of the WebGPU suite: runs one case on one device and writes its rows as JSON to the given file,
// so that a provider crash kills this process, not the test runner.
import { writeFileSync } from "node:fs";
import { loadRgeModel, type RgeDevice, type RgeDtype } from "@rge/core";
import { LOAD_OPTIONS, runCase, type CaseName } from "./cases.js";

const [bundle, device, dtype, name, outFile] = process.argv.slice(2) as [string, RgeDevice, RgeDtype, CaseName, string];
const model = await loadRgeModel(bundle, { ...LOAD_OPTIONS, device, dtype, onWarning: (m) => console.error(m) });
const rows = await runCase(model, name);
await model.dispose();
writeFileSync(outFile, JSON.stringify({ device: model.device, deviceReason: model.deviceReason, rows }));
