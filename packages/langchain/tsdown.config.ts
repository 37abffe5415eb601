import { defineConfig } from "tsdown";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  sourcemap: true,
  fixedExtension: false,
  unbundle: true,
  clean: true,
  external: [/^@langchain\/core/, /^@rge\/core/],
});
