import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, type PublicPackage } from "./public-packages.js";

/** The file name `pnpm pack` gives a package's tarball: `@rge/core@0.1.0` → `rge-core-0.1.0.tgz`. */
export function tarballName(pkg: PublicPackage): string {
  return `${pkg.name.replace("@", "").replace("/", "-")}-${pkg.manifest.version}.tgz`;
}

/**
 * `pnpm pack`s the packages into `dest` as `pnpm publish` (and so `changeset publish`) would pack them: workspace
 * ranges rewritten, publishConfig applied, the root LICENSE added. Returns each tarball's path by package name.
 */
export function packAll(packages: PublicPackage[], dest: string): Map<string, string> {
  const filters = packages.flatMap((pkg) => ["--filter", pkg.name]);
  execFileSync(process.execPath, [join(ROOT, "scripts", "pnpm.mjs"), "-r", ...filters, "pack", "--pack-destination", dest], {
    cwd: ROOT,
    stdio: "pipe",
    timeout: 120_000,
  });
  return new Map(packages.map((pkg) => [pkg.name, join(dest, tarballName(pkg))]));
}

/** Extracts a tarball into `dir`; its files land in `dir/package/`. */
export function unpack(tarball: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", dir]);
  return join(dir, "package");
}
