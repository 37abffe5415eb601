import { defineConfig, type UserConfig } from "tsdown";

/**
 * How every package is built: unbundled ESM (`.js`) and CJS (`.cjs`) with declarations and source maps, so
 * `dist/` mirrors `src/`. `entry` lists the public entry points; `external` the peers left to the consumer.
 */
export function rgeLibrary(entry: string[], external: NonNullable<UserConfig["external"]> = []) {
  return defineConfig({
    entry,
    format: ["esm", "cjs"],
    dts: true,
    sourcemap: true,
    fixedExtension: false,
    unbundle: true,
    clean: true,
    external,
  });
}
