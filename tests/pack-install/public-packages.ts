import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The repository root. */
export const ROOT = join(import.meta.dirname, "..", "..");

/** The fields of a package.json these tests read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  main?: string;
  module?: string;
  types?: string;
  exports?: unknown;
  bin?: Record<string, string>;
  repository?: { type?: string; url?: string; directory?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** A workspace package that is published: its name, its folder under packages/ and its package.json. */
export interface PublicPackage {
  name: string;
  folder: string;
  dir: string;
  manifest: Manifest;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Every package under packages/ that is not private, in folder order. */
export function publicPackages(): PublicPackage[] {
  const packagesDir = join(ROOT, "packages");
  return readdirSync(packagesDir)
    .filter((folder) => existsSync(join(packagesDir, folder, "package.json")))
    .map((folder) => ({ folder, dir: join(packagesDir, folder), manifest: readManifest(join(packagesDir, folder)) }))
    .filter(({ manifest }) => !manifest.private)
    .map(({ folder, dir, manifest }) => ({ name: manifest.name, folder, dir, manifest }));
}
