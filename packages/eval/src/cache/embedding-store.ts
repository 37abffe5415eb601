import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeChunk, encodeChunk } from "./chunk-file.js";

/** One cached embedding, with the rationale when it is a query made with reasoning. */
export interface CachedEmbedding {
  /** Content key of the item (see `itemKey`). */
  key: string;
  embedding: Float32Array;
  rationale?: string;
  stoppedBy?: string;
}

const CHUNK = /^chunk-(\d+)\.json$/;

/** Options of {@link EmbeddingStore.open}. */
export interface EmbeddingStoreOptions {
  /** Told, in one line naming the file, about each damaged chunk that is discarded. Default: nothing. */
  onWarning?: (message: string) => void;
}

/**
 * Embeddings of one subset and kind on disk, as numbered chunk files under
 * `<root>/<identity hash>/<subset>/<kind>/`. Each chunk is written to a temporary file and renamed, so a run
 * killed at any moment leaves only whole chunks, and the next run picks up what they hold. A chunk damaged
 * anyway (cut short, or holding an embedding that is not finite or not the length most of the store has) is
 * deleted with a warning, so its items are embedded again instead of failing every run.
 */
export class EmbeddingStore {
  private readonly entries = new Map<string, CachedEmbedding>();
  private nextChunk = 1;

  private constructor(private readonly dir: string) {}

  /** Opens (creating if needed) the store for `identity`, loading every chunk already there. */
  static open(root: string, identity: string, subset: string, kind: string, options: EmbeddingStoreOptions = {}): EmbeddingStore {
    const space = createHash("sha256").update(identity).digest("hex").slice(0, 16);
    const spaceDir = join(root, space);
    const dir = join(spaceDir, encodeURIComponent(subset), kind);
    mkdirSync(dir, { recursive: true });
    const about = join(spaceDir, "identity.txt");
    if (!existsSync(about)) writeFileSync(about, `${identity}\n`);
    const store = new EmbeddingStore(dir);
    store.load(options.onWarning ?? (() => {}));
    return store;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): CachedEmbedding | undefined {
    return this.entries.get(key);
  }

  /** Writes `entries` as one new chunk, atomically, and keeps them in memory. */
  append(entries: readonly CachedEmbedding[]): void {
    if (entries.length === 0) return;
    const name = `chunk-${String(this.nextChunk++).padStart(6, "0")}.json`;
    const body = encodeChunk(entries);
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, body);
    renameSync(tmp, join(this.dir, name));
    for (const e of entries) this.entries.set(e.key, e);
  }

  private load(warn: (message: string) => void): void {
    const chunks: { file: string; entries: CachedEmbedding[] }[] = [];
    const discard = (file: string, problem: string) => {
      rmSync(file, { force: true });
      warn(`Discarded the embedding cache chunk ${file}: ${problem}; its items are embedded again.`);
    };
    for (const name of readdirSync(this.dir).sort()) {
      const m = CHUNK.exec(name);
      if (!m) continue;
      this.nextChunk = Math.max(this.nextChunk, Number(m[1]) + 1);
      const file = join(this.dir, name);
      const chunk = decodeChunk(readFileSync(file, "utf8"));
      if ("problem" in chunk) discard(file, chunk.problem);
      else chunks.push({ file, entries: chunk.entries });
    }
    const dimension = commonLength(chunks.flatMap((c) => c.entries));
    for (const { file, entries } of chunks) {
      const odd = entries.find((e) => e.embedding.length !== dimension);
      if (odd) {
        const rest = dimension === undefined ? "no length is held by most of the store" : `the store's others have ${dimension}`;
        discard(file, `it holds an embedding of ${odd.embedding.length} dimensions where ${rest}`);
      } else for (const e of entries) this.entries.set(e.key, e);
    }
  }
}

/** The embedding length most entries have; undefined on a tie, when no length can be trusted. */
function commonLength(entries: readonly CachedEmbedding[]): number | undefined {
  const counts = new Map<number, number>();
  for (const e of entries) counts.set(e.embedding.length, (counts.get(e.embedding.length) ?? 0) + 1);
  const [first, second] = [...counts].sort((a, b) => b[1] - a[1]);
  return first && (!second || first[1] > second[1]) ? first[0] : undefined;
}
