import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** One cached embedding, with the rationale when it is a query made with reasoning. */
export interface CachedEmbedding {
  /** Content key of the item (see `itemKey`). */
  key: string;
  embedding: Float32Array;
  rationale?: string;
  stoppedBy?: string;
}

const CHUNK = /^chunk-(\d+)\.json$/;

/**
 * Embeddings of one subset and kind on disk, as numbered chunk files under
 * `<root>/<identity hash>/<subset>/<kind>/`. Each chunk is written to a temporary file and renamed, so a run
 * killed at any moment leaves only whole chunks, and the next run picks up what they hold.
 */
export class EmbeddingStore {
  private readonly entries = new Map<string, CachedEmbedding>();
  private nextChunk = 1;

  private constructor(private readonly dir: string) {}

  /** Opens (creating if needed) the store for `identity`, loading every chunk already there. */
  static open(root: string, identity: string, subset: string, kind: string): EmbeddingStore {
    const space = createHash("sha256").update(identity).digest("hex").slice(0, 16);
    const spaceDir = join(root, space);
    const dir = join(spaceDir, encodeURIComponent(subset), kind);
    mkdirSync(dir, { recursive: true });
    const about = join(spaceDir, "identity.txt");
    if (!existsSync(about)) writeFileSync(about, `${identity}\n`);
    const store = new EmbeddingStore(dir);
    store.load();
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
    const body = JSON.stringify({ version: 1, entries: entries.map(encode) });
    const tmp = join(this.dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, body);
    renameSync(tmp, join(this.dir, name));
    for (const e of entries) this.entries.set(e.key, e);
  }

  private load(): void {
    for (const name of readdirSync(this.dir).sort()) {
      const m = CHUNK.exec(name);
      if (!m) continue;
      this.nextChunk = Math.max(this.nextChunk, Number(m[1]) + 1);
      const parsed = JSON.parse(readFileSync(join(this.dir, name), "utf8")) as { entries: EncodedEntry[] };
      for (const e of parsed.entries) this.entries.set(e.key, decode(e));
    }
  }
}

interface EncodedEntry {
  key: string;
  embedding: string;
  rationale?: string;
  stoppedBy?: string;
}

function encode(e: CachedEmbedding): EncodedEntry {
  const bytes = Buffer.from(e.embedding.buffer, e.embedding.byteOffset, e.embedding.byteLength);
  return { ...e, embedding: bytes.toString("base64") };
}

function decode(e: EncodedEntry): CachedEmbedding {
  const bytes = Buffer.from(e.embedding, "base64");
  const embedding = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(embedding.buffer).set(bytes);
  return { ...e, embedding };
}
