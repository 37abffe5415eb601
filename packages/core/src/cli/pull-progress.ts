import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { PullProgress } from "../hub/snapshot.js";

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);

/**
 * Shows a pull's progress: on a terminal, a bar for the file being fetched and one for the whole download (bytes,
 * rate, ETA), then one for the conversion; elsewhere (logs, CI) one line per file and stage, so output stays readable.
 */
export class PullReporter {
  private readonly tty: boolean;
  private bars: MultiBar | undefined;
  private fileBar: SingleBar | undefined;
  private totalBar: SingleBar | undefined;
  private convertBar: SingleBar | undefined;
  private file = "";
  private started = 0;
  private lastGraph = "";

  constructor(private readonly out: NodeJS.WriteStream = process.stderr) {
    this.tty = Boolean(out.isTTY);
  }

  readonly onProgress = (p: PullProgress): void => {
    if (p.stage === "plan") return this.plan(p);
    if (p.stage === "wait") return this.line(`waiting: another process is fetching ${p.file}`);
    if (p.stage === "download") return this.download(p);
    this.convert(p);
  };

  /** Removes the bars (call before printing the result). */
  stop(): void {
    this.bars?.stop();
    this.bars = undefined;
  }

  private plan(p: Extract<PullProgress, { stage: "plan" }>): void {
    const todo = p.files.filter((f) => !f.cached);
    const size = todo.reduce((s, f) => s + f.size, 0);
    this.line(`${p.repo} @ ${p.commit.slice(0, 12)}: ${todo.length} file(s), ${mb(size)} MB to download` + (todo.length < p.files.length ? ` (${p.files.length - todo.length} already cached)` : ""));
    this.started = performance.now();
    if (!this.tty || size === 0) return;
    this.stop();
    this.bars = new MultiBar(
      { format: "{label} [{bar}] {percentage}% | {doneMb}/{sizeMb} MB | {rate} MB/s | ETA {eta_formatted}", hideCursor: true, stream: this.out, etaBuffer: 50 },
      Presets.shades_classic,
    );
    this.totalBar = this.bars.create(size, 0, { label: "total".padEnd(36), doneMb: "0.0", sizeMb: mb(size), rate: "0.0" });
  }

  private download(p: Extract<PullProgress, { stage: "download" }>): void {
    const rate = mb(p.bytes / Math.max((performance.now() - this.started) / 1000, 1e-3));
    if (p.file !== this.file) {
      this.file = p.file;
      if (this.bars) {
        this.fileBar?.stop();
        if (this.fileBar) this.bars.remove(this.fileBar);
        this.fileBar = this.bars.create(p.fileSize, 0, { label: short(p.file), doneMb: "0.0", sizeMb: mb(p.fileSize), rate });
      }
    }
    this.fileBar?.update(p.fileBytes, { doneMb: mb(p.fileBytes), rate });
    this.totalBar?.update(p.bytes, { doneMb: mb(p.bytes), rate });
    if (!this.bars && p.fileBytes === p.fileSize) this.line(`  ${p.file} ${mb(p.fileSize)} MB (${mb(p.bytes)}/${mb(p.size)} MB, ${rate} MB/s)`);
  }

  private convert(p: Extract<PullProgress, { stage: "convert" }>): void {
    if (this.tty) {
      if (!this.convertBar) {
        this.stop();
        this.bars = new MultiBar({ format: "converting {label} [{bar}] {percentage}% | {doneMb}/{sizeMb} MB | ETA {eta_formatted}", hideCursor: true, stream: this.out }, Presets.shades_classic);
        this.convertBar = this.bars.create(p.size, 0, { label: p.dtype, doneMb: "0", sizeMb: mb(p.size) });
      }
      this.convertBar.update(p.bytes, { label: `${p.graph} (${p.dtype})`, doneMb: mb(p.bytes) });
      return;
    }
    if (p.graph !== this.lastGraph) this.line(`converting ${p.graph} (${p.dtype})`);
    this.lastGraph = p.graph;
  }

  private line(text: string): void {
    if (this.bars) this.bars.log(`${text}\n`);
    else this.out.write(`${text}\n`);
  }
}

function short(file: string): string {
  return file.length > 36 ? `…${file.slice(-35)}` : file.padEnd(36);
}
