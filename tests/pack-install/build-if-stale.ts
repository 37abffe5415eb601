import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT, type PublicPackage } from "./public-packages.js";

const ENTRY_OUTPUTS = ["dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts"];

function newestInput(dir: string): number {
  let newest = 0;
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!entry.name.includes(".test.")) newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  walk(join(dir, "src"));
  for (const file of [join(dir, "package.json"), join(dir, "tsdown.config.ts"), join(ROOT, "tsdown.shared.ts")]) {
    newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

/** The packages whose dist/ is missing, or older than a source file, their package.json or the build config. */
export function staleBuilds(packages: PublicPackage[]): PublicPackage[] {
  return packages.filter((pkg) => {
    const outputs = ENTRY_OUTPUTS.map((file) => join(pkg.dir, file));
    if (!outputs.every((file) => existsSync(file))) return true;
    return Math.min(...outputs.map((file) => statSync(file).mtimeMs)) < newestInput(pkg.dir);
  });
}

/** Builds the packages with the workspace's pinned pnpm, one at a time (the machines running this are small). */
export function build(packages: PublicPackage[]): void {
  if (packages.length === 0) return;
  const filters = packages.flatMap((pkg) => ["--filter", pkg.name]);
  execFileSync(process.execPath, [join(ROOT, "scripts", "pnpm.mjs"), "--workspace-concurrency=1", ...filters, "run", "build"], {
    cwd: ROOT,
    stdio: "pipe",
    timeout: 300_000,
  });
}
