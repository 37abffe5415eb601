#!/usr/bin/env node
// Publishes what `changeset version` has versioned: builds every package, then runs `changeset publish`.
// changesets publishes with `pnpm publish` when it finds a `pnpm` on PATH (which rewrites `workspace:^` ranges,
// applies publishConfig and packs the root LICENSE) and with `npm publish` otherwise, which would upload
// `workspace:^` ranges that no npm can install. So this puts the pinned pnpm from .tools/ first on PATH and checks
// that it is the one found. `--check` stops after that check.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1];
const env = { ...process.env, PATH: [join(root, ".tools", "node_modules", ".bin"), process.env.PATH].join(delimiter) };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env });
  if (r.status !== 0) {
    console.error(`release: \`${cmd} ${args.join(" ")}\` failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

run(process.execPath, [join(root, "scripts", "setup.mjs")]);
const found = spawnSync("pnpm", ["--version"], { cwd: root, env, encoding: "utf8" });
if (found.stdout?.trim() !== pinned) {
  console.error(`release: \`pnpm --version\` on PATH gave ${JSON.stringify(found.stdout?.trim() ?? found.error?.message)}, expected ${pinned}`);
  process.exit(1);
}
console.log(`release: changeset publish will use pnpm ${pinned}`);
if (process.argv.includes("--check")) process.exit(0);
run("pnpm", ["-r", "build"]);
run("pnpm", ["exec", "changeset", "publish"]);
