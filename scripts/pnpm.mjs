#!/usr/bin/env node
// Runs the pnpm that scripts/setup.mjs installed, with the arguments given.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pnpm = join(root, ".tools", "node_modules", "pnpm", "bin", "pnpm.cjs");
const r = spawnSync(process.execPath, [pnpm, ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(r.status ?? 1);
