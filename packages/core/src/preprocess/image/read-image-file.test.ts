import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ImageSourceError, ImageTooLargeError } from "../../errors.js";
import { tempDir } from "../../testing/temp-dir.js";
import { fixturePath } from "./__fixtures__/reference-fixtures.js";
import { readImageSource } from "./image-source.js";

const tmp = tempDir();
afterAll(() => tmp.remove());

const PNG_PATH = fixturePath("no-resize.png");
const PNG_SIZE = statSync(PNG_PATH).size;
/** Each refusal must come at once, not after reading for a while (or forever). */
const FAST = { timeout: 5_000 };
const posix = process.platform !== "win32";

describe("readImageSource on paths: only regular files, at most maxImageBytes", () => {
  it.runIf(existsSync("/dev/zero"))("refuses /dev/zero (a character device) from stat, without reading it", FAST, async () => {
    const error = await readImageSource("/dev/zero").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageSourceError);
    expect((error as Error).message).toMatch(/\/dev\/zero is a character device; only regular files are read/);
  });

  it.runIf(posix)("refuses a FIFO without opening it (opening would wait for a writer forever)", FAST, async () => {
    const fifo = join(tmp.dir, "image.fifo");
    execFileSync("mkfifo", [fifo]);
    await expect(readImageSource(fifo)).rejects.toThrow(/image\.fifo is a FIFO \(named pipe\)/);
    await expect(readImageSource(pathToFileURL(fifo).href)).rejects.toBeInstanceOf(ImageSourceError);
  });

  it("refuses a directory, naming it", FAST, async () => {
    const error = await readImageSource(tmp.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageSourceError);
    expect((error as Error).message).toContain(`${tmp.dir} is a directory`);
  });

  it("refuses a file larger than maxImageBytes from its size, naming the file and the limit; one at the limit is read", FAST, async () => {
    const error = await readImageSource(PNG_PATH, { maxImageBytes: PNG_SIZE - 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as Error).message).toContain(`file ${PNG_PATH} is ${PNG_SIZE.toLocaleString("en-US")} bytes`);
    expect((error as Error).message).toContain(`maxImageBytes (${(PNG_SIZE - 1).toLocaleString("en-US")} bytes)`);
    const read = await readImageSource(PNG_PATH, { maxImageBytes: PNG_SIZE });
    expect(Buffer.from(read.bytes).equals(readFileSync(PNG_PATH))).toBe(true);
  });

  it("refuses a file over the 64 MiB default", FAST, async () => {
    const big = join(tmp.dir, "big.png");
    writeFileSync(big, "");
    execFileSync("truncate", ["-s", String(64 * 1024 * 1024 + 1), big]); // sparse: no disk used
    await expect(readImageSource(big)).rejects.toThrow(/is 67,108,865 bytes, over maxImageBytes \(67,108,864 bytes\)/);
  });

  // /proc files report size 0 in stat, so only the cap on the read itself can stop them.
  it.runIf(process.platform === "linux")("caps the bytes read, not just the size stat reports", FAST, async () => {
    expect(statSync("/proc/self/maps").size).toBe(0);
    const error = await readImageSource("/proc/self/maps", { maxImageBytes: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as Error).message).toMatch(/\/proc\/self\/maps grew past 100 bytes while it was read/);
  });
});
