#!/usr/bin/env node
// Makes a fresh clone runnable with nothing but Node 20 and npm: installs the pinned
// pnpm into .tools/ (no global install), then the workspace's dependencies.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager; // "pnpm@x.y.z"
const pnpmEntry = join(root, ".tools", "node_modules", "pnpm", "bin", "pnpm.cjs");

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" } });
  if (r.status !== 0) {
    console.error(`setup: \`${cmd} ${args.join(" ")}\` failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
}

if (!existsSync(pnpmEntry)) {
  console.log(`setup: installing ${pinned} into .tools/`);
  run("npm", ["install", "--prefix", join(root, ".tools"), "--no-save", "--no-audit", "--no-fund", pinned]);
}

// Skip the install when the lockfile has not changed since the last one.
const lock = join(root, "pnpm-lock.yaml");
const marker = join(root, "node_modules", ".modules.yaml");
const fresh = existsSync(marker) && existsSync(lock) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
if (!fresh) {
  const frozen = process.env.CI ? ["--frozen-lockfile"] : [];
  run(process.execPath, [pnpmEntry, "install", ...frozen]);
}
