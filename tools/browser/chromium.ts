import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Finds a Chromium that `playwright-core` can drive, for the browser test suite.
 *
 * Order: `$RGE_CHROMIUM`; `chromium`, `chromium-browser` or `google-chrome` on PATH; then, on Debian as root,
 * Debian's own `chromium` installed with apt-get. Playwright's browser downloads are not used: they come from a
 * host this project's machines cannot reach, while Debian's archive is reachable everywhere the project runs.
 */

export type ChromiumSearch = ChromiumFound | ChromiumUnavailable;

export interface ChromiumFound {
  executablePath: string;
  /** As the browser names itself, e.g. "Chromium 156.0.8078.114". */
  version: string;
  /** What it took to get it, e.g. the install and how long it ran. */
  log: string[];
}

export interface ChromiumUnavailable {
  /** Why there is none, and how to get one. */
  unavailable: string;
  /** True where there should have been one (RGE_CHROMIUM set, or Linux as root with apt-get): a failure, not a skip. */
  expected: boolean;
  log: string[];
}

const CANDIDATES = ["chromium", "chromium-browser", "google-chrome"];
const INSTALL_HINT = "install Chromium (Debian: `apt-get install chromium`) or set RGE_CHROMIUM to its executable";

export function findChromium(): ChromiumSearch {
  const log: string[] = [];
  const fromEnv = process.env.RGE_CHROMIUM;
  if (fromEnv) {
    const version = chromiumVersion(fromEnv);
    if (version) return { executablePath: fromEnv, version, log };
    return { unavailable: `RGE_CHROMIUM=${fromEnv} does not run as a browser (\`${fromEnv} --version\` failed)`, expected: true, log };
  }
  const found = onPath();
  if (found) return { ...found, log };

  const cannotInstall = whyNoInstall();
  if (cannotInstall) return { unavailable: `no Chromium on PATH; ${cannotInstall}: ${INSTALL_HINT}`, expected: false, log };
  const started = Date.now();
  let updated: boolean;
  try {
    updated = aptInstallChromium();
  } catch (error) {
    return { unavailable: `no Chromium on PATH, and \`apt-get install chromium\` failed: ${(error as Error).message}`, expected: true, log };
  }
  const installed = onPath();
  if (!installed) return { unavailable: "apt-get installed chromium, but no chromium executable is on PATH", expected: true, log };
  log.push(`installed ${installed.version} with apt-get${updated ? " (after apt-get update)" : ""} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { ...installed, log };
}

function onPath(): Omit<ChromiumFound, "log"> | undefined {
  for (const name of CANDIDATES) {
    const path = which(name) ?? (existsSync(`/usr/bin/${name}`) ? `/usr/bin/${name}` : undefined);
    const version = path && chromiumVersion(path);
    if (path && version) return { executablePath: path, version };
  }
  return undefined;
}

/** "Chromium 156.0.8078.114 built on Debian ..." → "Chromium 156.0.8078.114"; undefined when it does not run. */
function chromiumVersion(executable: string): string | undefined {
  const r = spawnSync(executable, ["--version"], { encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) return undefined;
  return /^(.*?\d+(?:\.\d+)+)/.exec(r.stdout.trim())?.[1] ?? r.stdout.trim();
}

/** Why this machine cannot install Chromium by itself, or undefined when it can. */
function whyNoInstall(): string | undefined {
  if (process.platform !== "linux") return `this is ${process.platform}, not Debian`;
  if (!which("apt-get")) return "apt-get is missing (not a Debian-like Linux)";
  if (process.getuid?.() !== 0) return "installing it with apt-get needs root";
  return undefined;
}

/** Installs Debian's chromium, refreshing the package lists once when the first try fails; true if it did. */
function aptInstallChromium(): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], { env, stdio: ["ignore", "ignore", "pipe"], timeout: 900_000 });
  try {
    install();
    return false;
  } catch {
    // A fresh machine has no package lists yet ("Unable to locate package chromium").
  }
  try {
    execFileSync("apt-get", ["update", "-qq"], { env, stdio: ["ignore", "ignore", "pipe"], timeout: 300_000 });
    install();
    return true;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? "").trim();
    throw new Error(stderr.split("\n").pop() || (error as Error).message);
  }
}

function which(name: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() || undefined : undefined;
}
