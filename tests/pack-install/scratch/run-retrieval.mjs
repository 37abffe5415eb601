// In the scratch project: writes a tiny random bundle and an image with the installed @rge/core/testing, then
// prints what retrieval.mjs computes on them with the installed packages, as JSON on the last line.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as core from "@rge/core";
import { gradientPng, writeTinyBundle } from "@rge/core/testing";
import * as langchain from "@rge/langchain";
import * as llamaindex from "@rge/llamaindex";
import { retrieve } from "./retrieval.mjs";

const [dir] = process.argv.slice(2);
const bundleDir = join(dir, "bundle");
const imagePath = join(dir, "gradient.png");
writeTinyBundle(bundleDir, { seed: 7 });
writeFileSync(imagePath, await gradientPng(40, 30));
console.log(JSON.stringify({ bundleDir, imagePath, ...(await retrieve({ core, langchain, llamaindex }, bundleDir, imagePath)) }));
