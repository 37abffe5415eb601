import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { tempDir } from "@rge/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, staleBuilds } from "./pack-install/build-if-stale.js";
import { packAll, unpack } from "./pack-install/pack.js";
import { serveBundle } from "./pack-install/serve-bundle.js";
import { publicPackages, readManifest, ROOT, type Manifest, type PublicPackage } from "./pack-install/public-packages.js";
import {
  installedPaths,
  lastJsonLine,
  nodeModulesFootprint,
  REGISTRY_UNREACHABLE,
  refusingProxy,
  run,
  runOk,
  SKIP_ENV,
  throughProxy,
  userEnv,
  type RefusingProxy,
  writeScratchProject,
} from "./pack-install/scratch-project.js";
import { DOCUMENTS, retrieve, type Retrieval, type RetrievalModules } from "./pack-install/scratch/retrieval.mjs";

// What a user meets: the tarballs `pnpm publish` would upload, installed with plain npm in a project of their own.
// The install reaches the npm registry and nothing else: onnxruntime-node's CUDA download goes to a proxy that
// answers 403, as a firewall would. --prefer-offline lets a warm npm cache make repeated runs fast.

const packages = publicPackages();
const tmp = tempDir("rge-pack-install-");
const project = join(tmp.dir, "project");
const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
const ci = process.env.CI === "true" || process.env.CI === "1";
let tarballs = new Map<string, string>();

beforeAll(() => {
  const started = Date.now();
  const stale = staleBuilds(packages);
  build(stale);
  const built = Date.now();
  tarballs = packAll(packages, join(tmp.dir, "tarballs"));
  console.log(`pack-install: built ${stale.map((p) => p.name).join(", ") || "nothing (dist/ up to date)"} in ${seconds(started)} s, packed in ${seconds(built)} s`);
}, 420_000);
// node_modules holds a few hundred MB: removing it takes a while on a busy disk.
afterAll(() => rm(tmp.dir, { recursive: true, force: true }), 120_000);

/** Each entry point a package exports (".", "./testing", ...) as an import specifier, with its workspace source. */
function entryPoints(pkg: PublicPackage): { specifier: string; source: string }[] {
  return Object.entries(pkg.manifest.exports as Record<string, { "@rge/source"?: string }>)
    .filter(([, conditions]) => typeof conditions === "object" && conditions["@rge/source"])
    .map(([subpath, conditions]) => ({ specifier: pkg.name + subpath.slice(1), source: join(pkg.dir, conditions["@rge/source"]!) }));
}

/** `exports` without the workspace-only "@rge/source" condition, which points at sources that are not packed. */
function withoutSourceCondition(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== "@rge/source").map(([key, v]) => [key, withoutSourceCondition(v)]));
}

function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  return typeof value === "object" && value !== null ? Object.values(value).flatMap(exportTargets) : [];
}

describe("pnpm pack of every public package", () => {
  const rootLicense = readFileSync(join(ROOT, "LICENSE"), "utf8");
  const rootRepository = readManifest(ROOT).repository!;
  const versions = new Map(packages.map((p) => [p.name, p.manifest.version]));

  it("finds the public packages", () => {
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(["@rge/core", "@rge/langchain", "@rge/llamaindex"]));
  });

  for (const pkg of packages) {
    it(`${pkg.name}: README, the root's Apache-2.0 LICENSE, ranges rewritten, every named file present, no sources or tests`, () => {
      const dir = unpack(tarballs.get(pkg.name)!, join(tmp.dir, "unpacked", pkg.folder));
      expect(readFileSync(join(dir, "README.md"), "utf8")).toMatch(new RegExp(`^# ${pkg.name}\\b`));
      expect(readFileSync(join(dir, "LICENSE"), "utf8")).toBe(rootLicense);
      const text = readFileSync(join(dir, "package.json"), "utf8");
      const packed = JSON.parse(text) as Manifest & { publishConfig?: Record<string, unknown> };
      expect(text).not.toContain("workspace:");
      expect(text).not.toContain("@rge/source");
      for (const deps of [packed.dependencies, packed.peerDependencies, packed.optionalDependencies]) {
        for (const [name, range] of Object.entries(deps ?? {})) if (versions.has(name)) expect(range, name).toBe(`^${versions.get(name)}`);
      }
      expect(packed.license).toBe("Apache-2.0");
      expect(packed.repository).toEqual({ ...rootRepository, directory: `packages/${pkg.folder}` });
      expect(packed.exports).toEqual(withoutSourceCondition(pkg.manifest.exports));
      const named = [packed.main, packed.module, packed.types, ...exportTargets(packed.exports), ...Object.values(packed.bin ?? {})];
      for (const file of named) expect(existsSync(join(dir, file!)), `${file} is named in package.json`).toBe(true);
      const files = readdirSync(dir, { recursive: true, encoding: "utf8" });
      expect(files.filter((f) => /\.test\.|(^|\/)src\//.test(f))).toEqual([]);
    });
  }
});

describe("the tarballs installed with plain npm in a project outside the workspace", () => {
  let unreachable: string | undefined;
  let npmVersion = [0, 0];
  const npmAtLeast = (major: number, minor = 0) => npmVersion[0]! > major || (npmVersion[0] === major && npmVersion[1]! >= minor);
  let installProxy: RefusingProxy;

  beforeAll(async () => {
    mkdirSync(project, { recursive: true });
    writeScratchProject(project);
    npmVersion = (await runOk("npm", ["--version"], { cwd: project, env: userEnv(), timeoutMs: 30_000 })).trim().split(".").map(Number);
    installProxy = await refusingProxy();
    // What the READMEs say to install: the packages, @langchain/core for @rge/langchain, llamaindex for @rge/llamaindex.
    const specs = [...tarballs.values(), "@langchain/core@1", "llamaindex@0.12"];
    const started = Date.now();
    const install = await run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...specs], {
      cwd: project,
      env: userEnv(throughProxy(installProxy)),
      timeoutMs: 600_000,
    });
    await installProxy.close();
    if (install.code !== 0 && REGISTRY_UNREACHABLE.test(install.output)) {
      unreachable = install.output.split("\n").find((line) => REGISTRY_UNREACHABLE.test(line));
      return;
    }
    if (install.code !== 0) throw new Error(`npm install exited ${install.code ?? install.signal}:\n${install.output}`);
    const { bytes, packages: count } = nodeModulesFootprint(project);
    console.log(`pack-install: npm ${npmVersion.join(".")} installed ${count} packages, node_modules ${(bytes / 2 ** 20).toFixed(0)} MiB, in ${seconds(started)} s`);
  }, 620_000);

  const options = () => ({ cwd: project, env: userEnv(), timeoutMs: 120_000 });

  it("reaches the npm registry (required when CI=true)", (context) => {
    if (!unreachable) return;
    const line = `npm registry unreachable: ${unreachable}`;
    if (ci) throw new Error(line);
    console.log(`pack-install suite skipped: ${line}`);
    context.skip();
  });

  it("installs with the .npmrc lines the core README gives: no onnxruntime-node tried a download or has CUDA libraries", (context) => {
    if (unreachable) context.skip();
    expect(installProxy.requests, "downloads onnxruntime-node's install script tried").toEqual([]);
    // Every copy: llamaindex's optional peer @huggingface/transformers@3 may bring its own onnxruntime-node.
    const copies = installedPaths(project).filter((path) => /(^|\/)node_modules\/onnxruntime-node$/.test(path));
    expect(copies).toContain("node_modules/onnxruntime-node");
    expect(existsSync(join(project, "node_modules/onnxruntime-node/bin/napi-v6", process.platform, process.arch, "onnxruntime_binding.node"))).toBe(true);
    for (const copy of copies) {
      const files = readdirSync(join(project, copy, "bin"), { recursive: true, encoding: "utf8" });
      expect(files.filter((f) => f.includes("providers_cuda")), copy).toEqual([]);
    }
  });

  it("imports every entry point as an ES module and requires it as CommonJS, with the exports of the sources", async (context) => {
    if (unreachable) context.skip();
    const entries = packages.flatMap(entryPoints);
    const specifiers = entries.map((e) => e.specifier);
    expect(specifiers).toContain("@rge/core/testing");
    const exportNames = async (script: string) => lastJsonLine<Record<string, string[]>>(await runOk("node", [script, ...specifiers], options()));
    const [esm, cjs, sources] = await Promise.all([
      exportNames("exports.mjs"),
      exportNames("exports.cjs"),
      Promise.all(entries.map(async ({ source }) => Object.keys(await import(source)).sort())),
    ]);
    entries.forEach(({ specifier }, i) => {
      expect(esm[specifier], specifier).toEqual(sources[i]);
      expect(cjs[specifier], specifier).toEqual(sources[i]);
    });
  });

  let installed: (Retrieval & { bundleDir: string; imagePath: string }) | undefined;

  it("builds a tiny bundle and retrieves with core, LangChain and LlamaIndex as the workspace sources do", async (context) => {
    if (unreachable) context.skip();
    const result = lastJsonLine<Retrieval & { bundleDir: string; imagePath: string }>(await runOk("node", ["run-retrieval.mjs", join(tmp.dir, "model")], options()));
    const modules = {
      core: await import("@rge/core"),
      langchain: await import(join(ROOT, "packages", "langchain", "src", "index.ts")),
      llamaindex: await import(join(ROOT, "packages", "llamaindex", "src", "index.ts")),
    } as RetrievalModules;
    const workspace = await retrieve(modules, result.bundleDir, result.imagePath);
    expect(result.query.rationale).toBe(workspace.query.rationale);
    expect(result.query.stoppedBy).toBe(workspace.query.stoppedBy);
    const vectors = (r: Retrieval) => [r.query.embedding, ...r.targets, r.langchain.query, ...r.langchain.documents, r.llamaindex.document];
    const mine = vectors(result);
    const theirs = vectors(workspace);
    expect(mine).toHaveLength(theirs.length);
    mine.forEach((vector, i) => {
      expect(vector).toHaveLength(result.dimension);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
      expect(maxAbsDiff(vector, theirs[i]!), `vector ${i}`).toBeLessThan(1e-5);
    });
    expect(result.scores.every(Number.isFinite)).toBe(true);
    installed = result;
  });

  it("embeds through the CommonJS build of @rge/core as through the ES module build", async (context) => {
    const esm = installed;
    if (unreachable || !esm) return context.skip();
    const { embedding } = lastJsonLine<{ embedding: number[] }>(await runOk("node", ["retrieval.cjs", esm.bundleDir, DOCUMENTS[0]!], options()));
    expect(maxAbsDiff(embedding, esm.targets[0]!)).toBeLessThan(1e-5);
  });

  it("links the rge, rge-eval and rge-serve commands; rge-serve and rge serve answer /v1/embeddings as the model does", async (context) => {
    const inProcess = installed;
    if (unreachable || !inProcess) return context.skip();
    const bin = (name: string) => join(project, "node_modules", ".bin", name);
    expect(await runOk(bin("rge"), ["--help"], options())).toMatch(/rge pull/);
    expect(await runOk(bin("rge-eval"), ["--help"], options())).toMatch(/rge-eval --data/);
    for (const command of [[bin("rge-serve")], [bin("rge"), "serve"]] as [string, ...string[]][]) {
      const served = await serveBundle(command, inProcess.bundleDir, options());
      try {
        const response = await fetch(`${served.url}/v1/embeddings`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "rge", input: [DOCUMENTS[0]] }),
        });
        const body = (await response.json()) as { data: { embedding: number[] }[] };
        expect(response.status).toBe(200);
        expect(maxAbsDiff(body.data[0]!.embedding, inProcess.targets[0]!)).toBeLessThan(1e-5);
      } finally {
        await served.stop();
      }
    }
  });

  it("type-checks against the published declarations as an ES module and as CommonJS", async (context) => {
    if (unreachable) context.skip();
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    await runOk("node", [tsc, "-p", "tsconfig.json"], options());
    // With skipLibCheck off, too: no third-party internals that fail a consumer's strict build (they did when core's
    // declarations exposed @huggingface/transformers types).
    await runOk("node", [tsc, "-p", "tsconfig.strict-libs.json"], options());
  });

  it.runIf(process.platform === "linux" && process.arch === "x64")(
    "onnxruntime-node's install script: what it does without a skip, and each skip the README gives",
    async (context) => {
      if (unreachable) context.skip();
      const proxy = await refusingProxy();
      const rebuild = (extra: Record<string, string> = {}) =>
        run("npm", ["rebuild", "onnxruntime-node"], { ...options(), env: userEnv({ ...throughProxy(proxy), ...extra }) });
      const manifestPath = join(project, "package.json");
      const manifest = readFileSync(manifestPath, "utf8");
      renameSync(join(project, ".npmrc"), join(project, "npmrc.aside"));
      try {
        const bare = await rebuild();
        if (!npmAtLeast(12)) {
          // npm 11 and earlier run it: 1.30 asks NuGet for Microsoft.ML.OnnxRuntime.Gpu.Linux, and fails when refused
          // (a 1.21 copy, if npm placed one, asks GitHub and exits 0 on a refusing proxy, though 1 without DNS).
          expect(bare.code).not.toBe(0);
          expect(bare.output).toContain("Proxy server refused connecting to 'api.nuget.org:443'");
          expect(proxy.requests).toContain("CONNECT api.nuget.org:443 HTTP/1.1");
        } else {
          // npm 12 runs no dependency install script that the project's allowScripts does not allow.
          expect(bare.code, bare.output).toBe(0);
        }
        proxy.requests.length = 0;
        const env = await rebuild(SKIP_ENV);
        expect(env.code, env.output).toBe(0);
        if (npmAtLeast(11, 16)) {
          // allowScripts arrived in npm 11.16; older npm ignores it.
          writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(manifest), allowScripts: { "onnxruntime-node": false } }));
          const denied = await rebuild();
          expect(denied.code, denied.output).toBe(0);
        }
        expect(proxy.requests).toEqual([]);
      } finally {
        renameSync(join(project, "npmrc.aside"), join(project, ".npmrc"));
        writeFileSync(manifestPath, manifest);
        await proxy.close();
      }
    },
  );
});

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a).toHaveLength(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}
