import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Finds a Vulkan driver that the WebGPU provider of onnxruntime-node (Dawn) accepts, for the GPU test suite.
 *
 * Order: the system's own driver; then Mesa's software driver lavapipe kept in `.tools/vulkan/`; then, on Debian,
 * lavapipe downloaded into `.tools/vulkan/` with apt-get (no root needed, nothing installed system-wide). Debian
 * 12's own Mesa 22.3 lacks Vulkan features Dawn requires (`shader*ArrayDynamicIndexing`), so on bookworm the
 * driver comes from bookworm-backports (Mesa 25). Each candidate is proven by a child process that runs the tiny
 * model on WebGPU, since a driver Dawn rejects, or one that crashes, must not take the test runner down.
 */

/** Environment additions that make a child process see the driver, and what it is. */
export interface VulkanDriver {
  env: Record<string, string>;
  description: string;
}

export type DriverSearch = { driver: VulkanDriver; log: string[] } | { driver: undefined; reason: string; log: string[] };

const PROBE = join(import.meta.dirname, "probe-webgpu.ts");

export function findVulkanDriver(repoRoot: string): DriverSearch {
  const log: string[] = [];
  const system = probe({});
  if (system.ok) return { driver: { env: {}, description: `system Vulkan driver (${system.detail})` }, log };
  log.push(`system Vulkan driver: ${system.detail}`);

  const home = join(repoRoot, ".tools", "vulkan");
  let local = localDriver(home);
  if (!local) {
    const started = Date.now();
    try {
      installLavapipe(home);
    } catch (error) {
      return { driver: undefined, reason: `${log.join("; ")}; installing lavapipe failed: ${(error as Error).message}`, log };
    }
    local = localDriver(home);
    if (!local) return { driver: undefined, reason: `${log.join("; ")}; lavapipe was downloaded but its files are missing`, log };
    log.push(`downloaded ${local.description} into .tools/vulkan in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const tried = probe(local.env);
  if (tried.ok) return { driver: local, log };
  return { driver: undefined, reason: `${log.join("; ")}; ${local.description}: ${tried.detail}`, log };
}

/** Runs the tiny model on WebGPU in a child process with `env` added. */
function probe(env: Record<string, string>): { ok: boolean; detail: string } {
  const tsx = join(import.meta.dirname, "..", "node_modules", "tsx", "dist", "cli.mjs");
  const r = spawnSync(process.execPath, [tsx, "--conditions=@rge/source", PROBE], {
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.signal) return { ok: false, detail: `the probe died with ${r.signal}` };
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status === 0 && line.startsWith("ok")) return { ok: true, detail: line.slice(3) };
  const reason = /No supported adapters|Failed to get a WebGPU adapter/.test(r.stderr) ? "no WebGPU adapter" : (r.stderr.trim().split("\n").pop() ?? `exit ${r.status}`);
  return { ok: false, detail: reason };
}

/** lavapipe unpacked under `home`, if there is one. */
function localDriver(home: string): VulkanDriver | undefined {
  const root = join(home, "root");
  const libDir = join(root, "usr", "lib", "x86_64-linux-gnu");
  const icd = join(home, "lvp_icd.json");
  if (!existsSync(join(libDir, "libvulkan_lvp.so")) || !existsSync(icd)) return undefined;
  const version = existsSync(join(home, "version")) ? readFileSync(join(home, "version"), "utf8").trim() : "unknown version";
  return {
    env: {
      VK_ICD_FILENAMES: icd,
      VK_DRIVER_FILES: icd,
      LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
    },
    description: `Mesa lavapipe ${version} (software Vulkan)`,
  };
}

/** Downloads Mesa's Vulkan drivers and the loader with apt-get into `home` and unpacks them there. */
function installLavapipe(home: string): void {
  if (process.platform !== "linux" || !commandExists("apt-get") || !commandExists("dpkg")) {
    throw new Error("not a Debian-like Linux (apt-get and dpkg are needed); install a Vulkan driver (Mesa >= 23 lavapipe) yourself");
  }
  const release = readFileSync("/etc/os-release", "utf8");
  const codename = /^VERSION_CODENAME=(\S+)/m.exec(release)?.[1];
  if (!codename) throw new Error("/etc/os-release names no VERSION_CODENAME");
  const mirror = debianMirror();
  // Debian 12's Mesa is too old for Dawn; its backports suite carries Mesa 25.
  const suite = codename === "bookworm" ? "bookworm-backports" : codename;
  rmSync(home, { recursive: true, force: true });
  const apt = join(home, "apt");
  for (const d of ["lists/partial", "cache/archives/partial", "debs"]) mkdirSync(join(apt, d), { recursive: true });
  writeFileSync(join(apt, "sources.list"), `deb ${mirror} ${suite} main\ndeb ${mirror} ${codename} main\n`);
  const options = [
    `-oDir::Etc::SourceList=${join(apt, "sources.list")}`,
    "-oDir::Etc::SourceParts=/dev/null",
    `-oDir::State::Lists=${join(apt, "lists")}`,
    `-oDir::Cache=${join(apt, "cache")}`,
    "-oAPT::Sandbox::User=root",
    "-qq",
  ];
  execFileSync("apt-get", [...options, "update"], { stdio: ["ignore", "ignore", "pipe"] });
  const packages = ["mesa-vulkan-drivers", "libvulkan1", "libdrm2", "libdrm-amdgpu1"].map((p) => (p === "libvulkan1" ? p : `${p}/${suite}`));
  execFileSync("apt-get", [...options, "download", ...packages], { cwd: join(apt, "debs"), stdio: ["ignore", "ignore", "pipe"] });
  const root = join(home, "root");
  for (const deb of readdirSync(join(apt, "debs")).filter((f) => f.endsWith(".deb"))) {
    execFileSync("dpkg", ["-x", join(apt, "debs", deb), root]);
  }
  const mesa = readdirSync(join(apt, "debs")).find((f) => f.startsWith("mesa-vulkan-drivers_"));
  writeFileSync(join(home, "version"), decodeURIComponent(mesa?.split("_")[1] ?? "unknown"));
  const lib = join(root, "usr", "lib", "x86_64-linux-gnu", "libvulkan_lvp.so");
  writeFileSync(join(home, "lvp_icd.json"), JSON.stringify({ file_format_version: "1.0.0", ICD: { library_path: lib, api_version: "1.3.0" } }));
  const missing = execFileSync("ldd", [lib], { encoding: "utf8", env: { ...process.env, LD_LIBRARY_PATH: join(root, "usr", "lib", "x86_64-linux-gnu") } })
    .split("\n")
    .filter((l) => l.includes("not found"))
    .map((l) => l.trim().split(" ")[0]);
  rmSync(apt, { recursive: true, force: true });
  if (missing.length > 0) throw new Error(`lavapipe needs libraries this system lacks: ${missing.join(", ")} (install them with apt-get)`);
}

/** The Debian archive this system's apt already uses (deb822 or one-line sources). */
function debianMirror(): string {
  const files = ["/etc/apt/sources.list", ...listDir("/etc/apt/sources.list.d").map((f) => join("/etc/apt/sources.list.d", f))];
  for (const file of files.filter((f) => /\.(list|sources)$/.test(f) && existsSync(f))) {
    const text = readFileSync(file, "utf8");
    const deb822 = /^URIs:\s*(\S+)\s*\nSuites:[^\n]*\b(bookworm|trixie|sid|stable)\b/m.exec(text);
    if (deb822 && !/security/.test(deb822[1]!)) return deb822[1]!;
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s+main/m.exec(text);
    if (line && !/security/.test(line[1]!)) return line[1]!;
  }
  throw new Error("found no Debian archive in /etc/apt/sources.list*");
}

function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

function commandExists(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/**
 * Makes sure this process sees a Vulkan driver Dawn accepts: when it does not yet, finds one (downloading lavapipe
 * if needed), reruns this same program with the driver's environment, and exits with its status. The loader reads
 * `LD_LIBRARY_PATH` at process start, hence the rerun.
 */
export function rerunWithVulkanDriver(repoRoot: string): void {
  if (process.env.RGE_VULKAN_DRIVER) return;
  const search = findVulkanDriver(repoRoot);
  if (!search.driver) {
    console.error(`No WebGPU adapter: ${search.reason}`);
    process.exit(1);
  }
  console.error(`Using ${search.driver.description}${search.log.length ? ` (${search.log.join("; ")})` : ""}`);
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, ...search.driver.env, RGE_VULKAN_DRIVER: search.driver.description },
  });
  process.exit(r.status ?? 1);
}
