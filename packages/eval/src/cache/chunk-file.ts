import type { CachedEmbedding } from "./embedding-store.js";

/** What a chunk file holds: `{ version: 1, entries: [{ key, embedding (base64 float32), rationale?, stoppedBy? }] }`. */
interface EncodedEntry {
  key: string;
  embedding: string;
  rationale?: string;
  stoppedBy?: string;
}

/** The text of a chunk file holding `entries`. */
export function encodeChunk(entries: readonly CachedEmbedding[]): string {
  return JSON.stringify({ version: 1, entries: entries.map(encode) });
}

/**
 * The entries of a chunk file, or what is wrong with it: not JSON (a truncated write), not a chunk, or an
 * embedding that is not a whole, non-empty run of finite float32s. Lengths across chunks are checked by the store.
 */
export function decodeChunk(text: string): { entries: CachedEmbedding[] } | { problem: string } {
  let parsed: { version?: unknown; entries?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: `it is not valid JSON (${text.length} bytes; a write cut short?)` };
  }
  if (parsed?.version !== 1 || !Array.isArray(parsed.entries)) return { problem: "it is not a version 1 chunk with a list of entries" };
  const entries: CachedEmbedding[] = [];
  for (const [i, e] of (parsed.entries as Partial<EncodedEntry>[]).entries()) {
    if (typeof e?.key !== "string" || typeof e.embedding !== "string") return { problem: `entry ${i} lacks a key or an embedding` };
    const bytes = Buffer.from(e.embedding, "base64");
    if (bytes.byteLength === 0 || bytes.byteLength % 4 !== 0) {
      return { problem: `the embedding of entry ${i} has ${bytes.byteLength} bytes, not a whole, non-empty number of float32s` };
    }
    const embedding = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(embedding.buffer).set(bytes);
    const bad = embedding.findIndex((x) => !Number.isFinite(x));
    if (bad !== -1) return { problem: `the embedding of entry ${i} has a non-finite value (${embedding[bad]}) at position ${bad}` };
    entries.push({ ...(e as EncodedEntry), embedding });
  }
  return { entries };
}

function encode(e: CachedEmbedding): EncodedEntry {
  const bytes = Buffer.from(e.embedding.buffer, e.embedding.byteOffset, e.embedding.byteLength);
  return { ...e, embedding: bytes.toString("base64") };
}
