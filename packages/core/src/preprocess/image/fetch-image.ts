import { AbortedError, ImageSourceError, RgeError } from "../../errors.js";
import { collectCapped, formatBytes, imageTooManyBytes } from "./image-limits.js";

/**
 * Fetches an image body of at most `limit` bytes: a `Content-Length` over the limit is refused before the body
 * is read, and the body is counted as it streams (a server may send no length, or a wrong one), so nothing past
 * the limit is kept. `what` names the URL in errors.
 *
 * @throws {ImageSourceError} when the request fails or answers with an HTTP error status.
 * @throws {ImageTooLargeError} when the body is, or says it is, more than `limit` bytes.
 */
export async function fetchImage(url: string, what: string, limit: number, signal?: AbortSignal): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, signal ? { signal } : {});
  } catch (err) {
    throw readError(err, `Could not fetch image ${what}`);
  }
  if (!response.ok) {
    discard(response);
    throw new ImageSourceError(`Fetching image ${what} failed with HTTP ${response.status} ${response.statusText}.`);
  }
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > limit) {
    discard(response);
    throw imageTooManyBytes(what, `declares Content-Length ${formatBytes(declared)}`, limit);
  }
  if (!response.body) return new Uint8Array(0);
  try {
    // Counted after fetch undoes any Content-Encoding, so a gzip bomb stops at the limit too.
    return await collectCapped(response.body, limit, () => imageTooManyBytes(what, `sent more than ${formatBytes(limit)}`, limit));
  } catch (err) {
    throw readError(err, `Could not read the body of ${what}`);
  }
}

/** Closes the connection without reading the body. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}

function readError(err: unknown, doing: string): Error {
  if (err instanceof RgeError) return err;
  if (err instanceof Error && (err.name === "AbortError" || err.name === "TimeoutError")) {
    return new AbortedError(undefined, { cause: err });
  }
  return new ImageSourceError(`${doing}: ${(err as Error).message}`);
}
