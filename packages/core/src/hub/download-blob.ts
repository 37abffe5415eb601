import { createHash, type Hash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, truncateSync } from "node:fs";
import { dirname } from "node:path";
import { open } from "node:fs/promises";
import { AbortedError, DownloadCorruptError, DownloadError } from "../errors.js";
import { describe, type HubClient, type FileMetadata } from "./hub-client.js";
import type { RepoId } from "./repo-ref.js";

/** Bytes of one file received so far, of its size. */
export interface BlobProgress {
  bytes: number;
  size: number;
}

/**
 * Downloads one file into `blobPath`, safely for files of many gigabytes:
 * - streamed to `<blob>.incomplete` (huggingface_hub's name for it) with backpressure, so memory does not grow with
 *   the file;
 * - after a dropped or stalled connection, resumed with `Range` from what `.incomplete` holds (also across processes
 *   and runs), with backoff between attempts;
 * - hashed while it streams (sha256 for LFS files, the git blob sha1 for small ones) and checked against the hub's
 *   hash and size; a mismatch deletes the part and downloads once more before {@link DownloadCorruptError};
 * - flushed to disk and renamed into place, so a blob is either complete and verified or absent.
 * The caller holds the blob's lock.
 */
export async function downloadBlob(client: HubClient, repo: RepoId, file: FileMetadata, blobPath: string, onBytes: (p: BlobProgress) => void): Promise<void> {
  const part = `${blobPath}.incomplete`;
  mkdirSync(dirname(blobPath), { recursive: true });
  let failures = 0;
  let corrupt = 0;
  let hashed: PartHash | undefined;
  const retry = async (why: string, cause?: unknown) => {
    if (failures >= client.retries) {
      throw new DownloadError(
        `Downloading ${file.url} failed ${failures + 1} times, last: ${why.replace(/\.$/, "")}. ${sizeOf(part)} bytes are kept in ${part}; ` +
          "the next attempt resumes from there.",
        file.url,
        undefined,
        { cause },
      );
    }
    await client.backoff(failures++);
  };
  for (;;) {
    let have = existsSync(part) ? statSync(part).size : 0;
    if (have > file.size) {
      rmSync(part);
      have = 0;
    }
    // The running hash covers exactly what is on disk; only when the part changed behind it (a first attempt on a
    // part left by an earlier run, or a part deleted) is it computed again from the file.
    if (hashed?.bytes !== have) hashed = await hashOfPart(part, have, file);
    if (have < file.size) {
      try {
        have = await fetchRest(client, repo, file, part, have, hashed, onBytes);
      } catch (error) {
        if (client.signal?.aborted) throw error instanceof AbortedError ? error : new AbortedError(undefined, { cause: error });
        if (error instanceof TooLongError) {
          rmSync(part, { force: true });
          if (corrupt++ >= 1) {
            throw new DownloadCorruptError(`${file.url} sent more than the ${file.size} bytes the hub announced, twice.`, file.url, String(file.size), "more");
          }
          continue;
        }
        if (!(error instanceof RetryableError)) throw error;
        await retry(error.message, error.cause);
        continue;
      }
      if (have < file.size) {
        // The body ended early without an error (a server closing after a partial reply): resume.
        await retry(`the body ended after ${have} of ${file.size} bytes`);
        continue;
      }
    }
    const actual = hashed.hash.digest("hex");
    hashed = undefined; // digest() ends a hash
    if (actual !== file.etag) {
      rmSync(part, { force: true });
      if (corrupt++ >= 1) {
        throw new DownloadCorruptError(
          `${file.url} arrived with hash ${actual} instead of the hub's ${file.etag}, twice; nothing was cached. ` +
            "Something between here and the hub may be altering downloads.",
          file.url,
          file.etag,
          actual,
        );
      }
      continue;
    }
    // Flushed to disk before it becomes a cache entry; async, because fsync of gigabytes takes seconds.
    const handle = await open(part, "r+");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    renameSync(part, blobPath);
    return;
  }
}

/** The hash the hub names a file by: sha256 of the bytes (64 hex) or git's blob sha1 (40 hex) for non-LFS files. */
function hasher(file: FileMetadata): Hash {
  if (file.etag.length === 64) return createHash("sha256");
  return createHash("sha1").update(`blob ${file.size}\0`);
}

/** A hash of the first `bytes` bytes of a part file. */
interface PartHash {
  hash: Hash;
  bytes: number;
}

async function hashOfPart(path: string, bytes: number, file: FileMetadata): Promise<PartHash> {
  const hash = hasher(file);
  if (bytes > 0) for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return { hash, bytes };
}

/** Bytes gathered per write. */
const WRITE_BYTES = 1 << 20;

class RetryableError extends Error {}
class TooLongError extends Error {}

/**
 * Appends the bytes from `have` on to `part`, feeding `hashed` (which covers the first `have` bytes) with each write
 * once it is on disk, so that it keeps covering exactly the file, also when the connection drops. Resolves the new
 * length. Throws RetryableError for what another attempt may fix.
 */
async function fetchRest(
  client: HubClient,
  repo: RepoId,
  file: FileMetadata,
  part: string,
  have: number,
  hashed: PartHash,
  onBytes: (p: BlobProgress) => void,
): Promise<number> {
  const attempt = new AbortController();
  const signal = client.signal ? AbortSignal.any([client.signal, attempt.signal]) : attempt.signal;
  const timer = setTimeout(() => attempt.abort(new RetryableError(`no data for ${client.stallTimeoutMs} ms`)), client.stallTimeoutMs);
  try {
    let response: Response;
    try {
      response = await client.download(file.url, have, signal, repo);
    } catch (error) {
      if (attempt.signal.aborted && !client.signal?.aborted) throw attempt.signal.reason as Error;
      const fromStorage = error instanceof DownloadError && !error.url.startsWith(client.endpoint);
      if (error instanceof DownloadError && (error.status === undefined || fromStorage)) throw new RetryableError(error.message, { cause: error });
      throw error;
    }
    let start = have;
    if (response.status === 416 || (response.status === 200 && have > 0)) {
      // 416: what we hold is not a prefix of this file; 200: the server ignored the range. Take the whole file again.
      await response.body?.cancel();
      truncateSync(part, 0);
      if (response.status === 416) throw new RetryableError("the server refused the range (416)");
      start = 0;
      hashed.hash = hasher(file);
      hashed.bytes = 0;
    } else if (response.status === 206) {
      const range = /^bytes (\d+)-/.exec(response.headers.get("content-range") ?? "");
      if (!range || Number(range[1]) !== have) {
        await response.body?.cancel();
        throw new RetryableError(`asked for bytes from ${have}, the server sent ${response.headers.get("content-range") ?? "no Content-Range"}`);
      }
    }
    if (!response.body) throw new RetryableError("the response has no body");
    // Chunks are gathered into writes of WRITE_BYTES (fewer, larger writes: the loop is CPU-bound on small ones) and
    // each write completes before more is read, so memory holds one write's worth, and what arrived before a dropped
    // connection is written out before the error is handled (a piped write stream would discard what it buffered).
    const out = await open(part, start === 0 ? "w" : "a");
    let length = start;
    const pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending.length = 0;
      pendingBytes = 0;
      try {
        await out.write(data);
      } catch (error) {
        throw new DiskError(error);
      }
      hashed.hash.update(data);
      hashed.bytes += data.byteLength;
    };
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        timer.refresh();
        if (length + chunk.byteLength > file.size) throw new TooLongError();
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        length += chunk.byteLength;
        if (pendingBytes >= WRITE_BYTES) await flush();
        onBytes({ bytes: length, size: file.size });
      }
      await flush();
    } catch (error) {
      if (error instanceof DiskError) throw error.cause as Error; // a full disk is not something a retry fixes
      await flush().catch(() => undefined); // keep what arrived; the next attempt re-reads the file's length
      if (error instanceof TooLongError) throw error;
      if (client.signal?.aborted) throw new AbortedError(undefined, { cause: client.signal.reason });
      if (attempt.signal.aborted) throw attempt.signal.reason as Error;
      throw new RetryableError(describe(error), { cause: error });
    } finally {
      await out.close();
    }
    return length;
  } finally {
    clearTimeout(timer);
  }
}

class DiskError extends Error {
  constructor(cause: unknown) {
    super("write failed", { cause });
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
