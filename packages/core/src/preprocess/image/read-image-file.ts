import type { Stats } from "node:fs";
import { constants, open, stat } from "node:fs/promises";
import { AbortedError, ImageSourceError, RgeError } from "../../errors.js";
import { collectCapped, formatBytes, imageTooManyBytes } from "./image-limits.js";

/**
 * Reads an image file of at most `limit` bytes. Only regular files are read: a device (`/dev/zero`), FIFO, socket
 * or directory is refused from `stat` before it is opened (opening a FIFO would wait for a writer, and a device
 * can stream forever). The size `stat` reports is checked first, and the read itself stops one byte past the
 * limit, since a file can grow while it is read (and /proc files report size 0).
 *
 * @throws {ImageSourceError} when the path is missing, unreadable or not a regular file.
 * @throws {ImageTooLargeError} when the file holds more than `limit` bytes.
 */
export async function readImageFile(path: string, limit: number, signal?: AbortSignal): Promise<Uint8Array> {
  const what = `file ${path}`;
  try {
    const info = await stat(path);
    checkRegularFile(info, path);
    if (info.size > limit) throw imageTooManyBytes(what, `is ${formatBytes(info.size)}`, limit);
    // O_NONBLOCK: if the path was swapped for a FIFO since `stat`, opening returns at once and fstat refuses it.
    const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      checkRegularFile(await handle.stat(), path);
      // `end` is inclusive: at most limit + 1 bytes are read, enough to tell that the file is over the limit.
      const stream = handle.createReadStream({ start: 0, end: limit, autoClose: false, ...(signal ? { signal } : {}) });
      const grew = () => imageTooManyBytes(what, `grew past ${formatBytes(limit)} while it was read`, limit);
      return await collectCapped(stream, limit, grew);
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (err instanceof RgeError) throw err;
    if (err instanceof Error && err.name === "AbortError") throw new AbortedError(undefined, { cause: err });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ImageSourceError(`Image file not found: ${path}. Check the path.`);
    throw new ImageSourceError(`Could not read image file ${path}: ${(err as Error).message}`);
  }
}

function checkRegularFile(info: Stats, path: string): void {
  if (info.isFile()) return;
  throw new ImageSourceError(
    `Image path ${path} is ${kindOf(info)}; only regular files are read as images. Pass the path of an ` +
      `image file, or read the bytes yourself and pass them.`,
  );
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isFIFO()) return "a FIFO (named pipe)";
  if (info.isSocket()) return "a socket";
  return "a special file";
}
