/**
 * Packs the GPU check for a machine with no Node.js and no network: a Node binary, check.ts bundled into one
 * file, the native packages it loads (onnxruntime-node, sharp), the parity fixtures, the tokenizer template of
 * the throughput model, a Vulkan loader (with Mesa's lavapipe as a fallback driver) and run.sh, compressed with
 * xz into bench-results/gpu-check.tar.xz (under the device tool's 64 MiB).
 *
 *   npx tsx --conditions=@rge/source gpu-check/pack.ts     (from tools/; needs .tools/vulkan, which `npm run test:gpu` fills)
 *
 * There: `tar -xJf gpu-check.tar.xz && gpu-check/run.sh [options of check.ts]`.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { writeBenchTemplate } from "../bench/bench-template.js";

const root = join(import.meta.dirname, "..", "..");
const outRoot = join(root, "bench-results");
const pack = join(outRoot, "gpu-check");
rmSync(pack, { recursive: true, force: true });
mkdirSync(pack, { recursive: true });

await build({
  entryPoints: [join(import.meta.dirname, "check.ts")],
  outfile: join(pack, "check.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  conditions: ["@rge/source"],
  external: ["onnxruntime-node", "sharp"],
  // Bundled CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: 'import { createRequire as __rgeCreateRequire } from "node:module"; const require = __rgeCreateRequire(import.meta.url);' },
  logLevel: "warning",
});

// Native packages, copied from where the workspace resolves them (only this platform's binaries).
const fromCore = createRequire(join(root, "packages", "core", "package.json"));
const packageDir = (req: NodeJS.Require, name: string) => {
  let dir = dirname(req.resolve(name));
  while (!existsSync(join(dir, "package.json")) || !dir.endsWith(name.split("/").pop()!)) dir = dirname(dir);
  return dir;
};
const modules = join(pack, "node_modules");
const copyPackage = (name: string, dir: string, only?: string[]) => {
  const to = join(modules, name);
  mkdirSync(to, { recursive: true });
  for (const entry of only ?? readdirSync(dir)) if (existsSync(join(dir, entry))) cpSync(join(dir, entry), join(to, entry), { recursive: true, dereference: true });
};
const ortDir = packageDir(fromCore, "onnxruntime-node");
copyPackage("onnxruntime-node", ortDir, ["package.json", "dist", `bin/napi-v6/linux/${process.arch}`]);
const fromOrt = createRequire(join(ortDir, "package.json"));
copyPackage("onnxruntime-common", packageDir(fromOrt, "onnxruntime-common"), ["package.json", "dist"]);
const sharpDir = packageDir(fromCore, "sharp");
copyPackage("sharp", sharpDir);
// pnpm links a package's dependencies beside it (some export no package.json to resolve).
for (const name of ["@img/colour", "detect-libc", "semver", `@img/sharp-linux-${process.arch}`, `@img/sharp-libvips-linux-${process.arch}`]) {
  copyPackage(name, join(dirname(sharpDir), name));
}

copyFileSync(process.execPath, join(pack, "node"));
const fixtures = join(root, "packages/core/src/convert/__fixtures__/reference");
cpSync(fixtures, join(pack, "fixtures"), { recursive: true });
writeBenchTemplate(join(pack, "template"), 151936);

// The Vulkan loader and lavapipe from .tools/vulkan (Debian's packages); a GPU machine brings its own driver.
const vulkan = join(root, ".tools", "vulkan", "root", "usr", "lib", "x86_64-linux-gnu");
if (!existsSync(join(vulkan, "libvulkan_lvp.so"))) throw new Error(`${vulkan} has no lavapipe: run \`npm run test:gpu\` once first`);
mkdirSync(join(pack, "vulkan"));
for (const f of readdirSync(vulkan).filter((f) => /^lib(vulkan\.so\.1|vulkan_lvp\.so|drm\.so\.2|drm_amdgpu\.so\.1)$/.test(f))) {
  copyFileSync(join(vulkan, f), join(pack, "vulkan", f));
}
copyFileSync(join(import.meta.dirname, "run.sh"), join(pack, "run.sh"));
chmodSync(join(pack, "run.sh"), 0o755);

const archive = join(outRoot, "gpu-check.tar.xz");
execFileSync("tar", ["-cf", archive, "-I", "xz -T0 -6", "-C", outRoot, "gpu-check"]);
console.log(`${archive}: ${(statSync(archive).size / 2 ** 20).toFixed(1)} MiB`);
