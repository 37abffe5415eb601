import { spawn } from "node:child_process";
import { cpSync, lstatSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** What the core README's Install section tells npm users to put in their project's `.npmrc`. */
export const NPMRC = "onnxruntime-node-install=skip\nonnxruntime-node-install-cuda=skip\n";

/** The same as environment variables, for one install. */
export const SKIP_ENV = { ONNXRUNTIME_NODE_INSTALL: "skip", ONNXRUNTIME_NODE_INSTALL_CUDA: "skip" };

/**
 * The environment of a user's shell: without what npm, pnpm and vitest hand their children (`npm_config_*` from
 * this repo's `.npmrc`, including its `onnxruntime-node-install=skip`, `npm_package_*`, `NODE_OPTIONS`, ...) and
 * without `ONNXRUNTIME_NODE_INSTALL`, so the scratch project gets only what its own files say.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(["npm_config_registry", "npm_config_cache", "npm_config_proxy", "npm_config_https_proxy", "npm_config_noproxy", "npm_config_cafile"]);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    const injected = lower.startsWith("npm_") || lower.startsWith("pnpm_") || lower.startsWith("vitest") || lower === "init_cwd" || lower === "node_options";
    if ((injected && !keep.has(lower)) || key.startsWith("ONNXRUNTIME_NODE_INSTALL")) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** A proxy that answers every request with 403, as a firewall that denies NuGet would, and keeps each request's first line. */
export interface RefusingProxy {
  /** Its address, for `GLOBAL_AGENT_HTTPS_PROXY` (onnxruntime-node's install script routes its downloads by it). */
  url: string;
  /** E.g. `CONNECT api.nuget.org:443 HTTP/1.1`. */
  requests: string[];
  close(): Promise<void>;
}

/** Starts a {@link RefusingProxy} on loopback: a download sent through it fails at once ("Proxy server refused connecting"), and is seen. */
export async function refusingProxy(): Promise<RefusingProxy> {
  const requests: string[] = [];
  const server = createServer((socket) => {
    socket.once("data", (chunk: Buffer) => {
      requests.push(chunk.toString("latin1").split("\r\n")[0]!);
      socket.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The variables that send onnxruntime-node's install script (global-agent) through `proxy`. */
export function throughProxy(proxy: RefusingProxy): Record<string, string> {
  return { GLOBAL_AGENT_HTTP_PROXY: proxy.url, GLOBAL_AGENT_HTTPS_PROXY: proxy.url };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a command to its end (or kills it after `timeoutMs`) and returns its exit and its stdout + stderr. */
export function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"], timeout: options.timeoutMs });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, output }));
  });
}

/** Runs a command and fails with its output unless it exits 0; returns its stdout + stderr. */
export async function runOk(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`\`${command} ${args.join(" ")}\` exited ${result.code ?? result.signal} in ${options.cwd}:\n${result.output}`);
  return result.output;
}

/** The last line of a command's output parsed as JSON (the scratch scripts print their result last). */
export function lastJsonLine<T>(output: string): T {
  const lines = output.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as T;
}

/** Writes a fresh npm project: an empty package.json, the documented `.npmrc` and the scripts under scratch/. */
export function writeScratchProject(dir: string): void {
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "rge-pack-install-scratch", private: true, version: "0.0.0" }, null, 2) + "\n");
  writeFileSync(join(dir, ".npmrc"), NPMRC);
  cpSync(join(import.meta.dirname, "scratch"), dir, { recursive: true });
}

/** npm's answer when it could not reach the registry at all (as opposed to a failing install script). */
export const REGISTRY_UNREACHABLE = /^npm error network /m;

/** Bytes on disk (as `du` counts them) and installed packages of a project's node_modules. */
export function nodeModulesFootprint(dir: string): { bytes: number; packages: number } {
  let bytes = 0;
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      bytes += lstatSync(full).blocks * 512;
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(join(dir, "node_modules"));
  return { bytes, packages: installedPaths(dir).length };
}

/** Where npm installed each package of a project (`node_modules/a`, `node_modules/a/node_modules/b`, ...), from its hidden lockfile. */
export function installedPaths(dir: string): string[] {
  const lock = JSON.parse(readFileSync(join(dir, "node_modules", ".package-lock.json"), "utf8")) as { packages: Record<string, { link?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith("node_modules/") && !entry.link)
    .map(([path]) => path);
}
