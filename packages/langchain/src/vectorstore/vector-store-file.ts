import { randomUUID } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { VectorStoreFileError } from "../errors.js";
import { firstNonFinite } from "./non-finite.js";

const FORMAT = "rge-vector-store";
const VERSION = 1;

/** One stored document and its vector. */
export interface StoredEntry {
  id: string;
  vector: Float32Array;
  pageContent: string;
  metadata: Record<string, unknown>;
}

/**
 * Writes the store as JSON (vectors as base64 little-endian float32; image bytes in metadata become
 * `data:` URLs, which read back as the same image). Written to a temporary file, then renamed, so a crash
 * never leaves half a store. Each save has its own temporary file, so concurrent saves of one path all
 * succeed and the last rename wins whole.
 */
export async function writeVectorStoreFile(path: string, dimension: number | undefined, entries: Iterable<StoredEntry>): Promise<void> {
  const json = {
    format: FORMAT,
    version: VERSION,
    dimension: dimension ?? null,
    entries: [...entries].map((e) => ({ id: e.id, pageContent: e.pageContent, metadata: e.metadata, vector: encodeVector(e.vector) })),
  };
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, JSON.stringify(json, bytesAsDataUrl));
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** Reads a file written by {@link writeVectorStoreFile}; anything else gives `VectorStoreFileError`. */
export async function readVectorStoreFile(path: string): Promise<{ dimension: number | undefined; entries: StoredEntry[] }> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
    throw new VectorStoreFileError(
      missing ? `Vector store file not found: ${path}.` : `Vector store file ${path} is not valid JSON; it may be truncated.`,
      path,
      { cause },
    );
  }
  const file = json as { format?: unknown; version?: unknown; dimension?: unknown; entries?: unknown };
  if (file?.format !== FORMAT || file.version !== VERSION || !Array.isArray(file.entries)) {
    throw new VectorStoreFileError(`${path} is not an ${FORMAT} file of version ${VERSION} (found format ${JSON.stringify(file?.format)}, version ${JSON.stringify(file?.version)}).`, path);
  }
  const dimension = typeof file.dimension === "number" ? file.dimension : undefined;
  const entries = file.entries.map((raw, i) => {
    const e = raw as { id?: unknown; pageContent?: unknown; metadata?: unknown; vector?: unknown };
    if (typeof e.id !== "string" || typeof e.pageContent !== "string" || typeof e.vector !== "string") {
      throw new VectorStoreFileError(`Entry ${i} of ${path} lacks an id, pageContent or vector.`, path);
    }
    const vector = decodeStoredVector(e.vector, dimension, `Entry ${i} of ${path}`, path);
    return { id: e.id, pageContent: e.pageContent, metadata: (e.metadata ?? {}) as Record<string, unknown>, vector };
  });
  return { dimension, entries };
}

function encodeVector(vector: Float32Array): string {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64");
}

/** Decodes a stored vector, refusing one that is not `dimension` finite float32s (`where` names the entry). */
function decodeStoredVector(text: string, dimension: number | undefined, where: string, path: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  const fix = "The file is damaged or was not written by RgeVectorStore.save; save the store again from its documents.";
  if (bytes.byteLength % 4 !== 0) throw new VectorStoreFileError(`${where} has a vector of ${bytes.byteLength} bytes, not a whole number of float32s. ${fix}`, path);
  const vector = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (vector.length !== dimension) throw new VectorStoreFileError(`${where} has ${vector.length} dimensions; the file says ${dimension}. ${fix}`, path);
  const bad = firstNonFinite(vector);
  if (bad !== -1) throw new VectorStoreFileError(`${where} has a non-finite value (${vector[bad]}) at position ${bad}; vectors must be finite. ${fix}`, path);
  return vector;
}

function bytesAsDataUrl(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key]; // before toJSON: a Buffer would otherwise arrive as { type: "Buffer", data }
  if (raw instanceof Uint8Array || raw instanceof ArrayBuffer) {
    return `data:application/octet-stream;base64,${Buffer.from(raw instanceof ArrayBuffer ? new Uint8Array(raw) : raw).toString("base64")}`;
  }
  return value;
}
