import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ProbeReport } from "./serve-probe.js";

const CLI = join(import.meta.dirname, "..", "..", "packages", "server", "src", "cli.ts");

/** `rge-serve` running in a child process, with its resident memory sampled every 250 ms. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process is gone. */
  exited: Promise<number | null>;
  /** Every line it printed on stdout so far. */
  lines: string[];
  rss: RssSamples;
  /** Asks the server's probe (see serve-probe.ts) to collect garbage and report. */
  probe: () => Promise<ProbeReport>;
}

/**
 * Starts `packages/server/src/cli.ts` on 127.0.0.1 at a free port, with serve-probe.ts preloaded, and waits for
 * its "… on http://…" line. Node runs the TypeScript through `--import tsx` rather than the tsx CLI: the CLI would
 * be a wrapper process, and the memory to watch is the server's own.
 */
export async function startServer(bundle: string): Promise<ServerProcess> {
  const args = ["--expose-gc", "--import", import.meta.resolve("tsx"), "--import", import.meta.resolve("./serve-probe.ts"), "--conditions=@rge/source"];
  const child = spawn(process.execPath, [...args, CLI, bundle, "--host", "127.0.0.1", "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const lines: string[] = [];
  let onReport: ((report: ProbeReport) => void) | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("serve-probe ")) return onReport?.(JSON.parse(line.slice("serve-probe ".length)) as ProbeReport);
      lines.push(line);
      const found = / on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
      if (found) resolve(found[1]!);
    });
    void exited.then((code) => reject(new Error(`rge-serve exited (${code}) before listening:\n${stderr}`)));
  });
  const probe = () =>
    new Promise<ProbeReport>((resolve) => {
      onReport = resolve;
      child.kill("SIGUSR2");
    });
  return { url, child, exited, lines, rss: new RssSamples(child.pid!), probe };
}

/** CPU time (user + system) a process has used so far, from /proc (clock ticks of 10 ms). */
export function cpuSeconds(pid: number): number {
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** VmRSS of one process, read from /proc every 250 ms until `stop()`. */
export class RssSamples {
  readonly samples: { at: number; mb: number }[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    this.sample();
    // Unreferenced: sampling must not keep the load test alive if it fails before stop().
    this.timer = setInterval(() => this.sample(), 250).unref();
  }

  /** The latest sample. */
  now(): number {
    return this.samples.at(-1)?.mb ?? NaN;
  }

  /** The largest sample. */
  peak(): number {
    return Math.max(...this.samples.map((s) => s.mb));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.pid}/status`, "utf8"))?.[1];
      if (kb) this.samples.push({ at: performance.now(), mb: Number(kb) / 1024 });
    } catch {
      // The process has exited; the samples so far stand.
    }
  }
}
