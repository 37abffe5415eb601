import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AbortedError,
  ImageDecodeError,
  ImageSourceError,
  ImageTooLargeError,
  InvalidOptionError,
  NetworkDisabledError,
} from "../../errors.js";
import { fixturePath } from "./__fixtures__/reference-fixtures.js";
import { loadImage } from "./image-source.js";

const PNG_PATH = fixturePath("no-resize.png"); // 56 x 84 RGB
const pngBytes = () => readFileSync(PNG_PATH);

afterEach(() => vi.restoreAllMocks());

describe("loadImage", () => {
  it("reads a local path, a file: URL, bytes, an ArrayBuffer, { data } and a data: URL alike", async () => {
    const bytes = pngBytes();
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const sources = [
      PNG_PATH,
      pathToFileURL(PNG_PATH).href,
      new Uint8Array(bytes),
      arrayBuffer,
      { data: bytes },
      `data:image/png;base64,${bytes.toString("base64")}`,
    ];
    const images = await Promise.all(sources.map((s) => loadImage(s)));
    for (const image of images) {
      expect(image.width).toBe(56);
      expect(image.height).toBe(84);
      expect(image.data.length).toBe(56 * 84 * 3);
      expect(image.data).toEqual(images[0]?.data);
    }
  });

  it("refuses http(s) URLs without allowNetwork, never calling fetch", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    await expect(loadImage("https://example.com/cat.png")).rejects.toBeInstanceOf(NetworkDisabledError);
    await expect(loadImage("http://example.com/cat.png")).rejects.toThrow(/allowNetwork: true/);
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it("fetches http(s) URLs when allowNetwork is true", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response(pngBytes()));
    const image = await loadImage("https://example.com/cat.png", { allowNetwork: true });
    expect(fetchSpy).toHaveBeenCalledOnce();
    expect([image.width, image.height]).toEqual([56, 84]);
  });

  it("reports an HTTP error status as ImageSourceError", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(new Response("nope", { status: 404, statusText: "Not Found" }));
    await expect(loadImage("https://example.com/x.png", { allowNetwork: true })).rejects.toThrow(/HTTP 404/);
  });

  it("rejects unknown URL schemes with ImageSourceError", async () => {
    await expect(loadImage("ftp://example.com/cat.png")).rejects.toBeInstanceOf(ImageSourceError);
    await expect(loadImage("s3://bucket/cat.png")).rejects.toThrow(/Unsupported URL scheme "s3:"/);
  });

  it("rejects data: URLs that are not base64", async () => {
    await expect(loadImage("data:image/svg+xml,<svg/>")).rejects.toBeInstanceOf(ImageSourceError);
  });

  it("reports a missing file as ImageSourceError naming the path", async () => {
    await expect(loadImage("/definitely/not/here.png")).rejects.toBeInstanceOf(ImageSourceError);
    await expect(loadImage("/definitely/not/here.png")).rejects.toThrow(/not found: \/definitely\/not\/here\.png/);
  });

  it("reports undecodable bytes as ImageDecodeError with their length", async () => {
    const garbage = new TextEncoder().encode("this is not an image at all");
    await expect(loadImage(garbage)).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(loadImage(garbage)).rejects.toThrow(/27 bytes/);
  });

  it("reports a truncated PNG as ImageDecodeError", async () => {
    const bytes = pngBytes();
    await expect(loadImage(bytes.subarray(0, Math.floor(bytes.length / 2)))).rejects.toBeInstanceOf(ImageDecodeError);
  });

  it("refuses images over maxImagePixels from the header, before decoding", async () => {
    await expect(loadImage(PNG_PATH, { maxImagePixels: 56 * 84 - 1 })).rejects.toBeInstanceOf(ImageTooLargeError);
    await expect(loadImage(PNG_PATH, { maxImagePixels: 56 * 84 })).resolves.toMatchObject({ width: 56 });
    // A PNG header declaring 20000 x 10000 (200M pixels, over the 100M default) followed by garbage pixel
    // data: the size error proves the check ran on the header, since decoding would fail.
    await expect(loadImage(pngHeaderOnly(20000, 10000))).rejects.toThrow(/20000x10000 = 200,000,000 pixels/);
    await expect(loadImage(pngHeaderOnly(20000, 10000))).rejects.toBeInstanceOf(ImageTooLargeError);
  });

  it("rejects sources of the wrong type", async () => {
    await expect(loadImage(42 as never)).rejects.toBeInstanceOf(ImageSourceError);
  });

  it("honours an already-aborted signal", async () => {
    await expect(loadImage(PNG_PATH, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortedError);
  });
});

describe("maxImageBytes on sources already in memory", () => {
  const bytes = pngBytes();
  const dataUrl = (b: Uint8Array) => `data:image/png;base64,${Buffer.from(b).toString("base64")}`;

  it("refuses an oversized data: URL from its length, before decoding the base64", async () => {
    const error = await loadImage(dataUrl(new Uint8Array(3000)), { maxImageBytes: 1000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as Error).message).toMatch(/a data: URL \(data:image\/png;base64,AAAA.*\) holds 4,000 base64 characters, over maxImageBytes \(1,000 bytes\)/);
  });

  it("refuses a data: URL whose decoded bytes pass the limit by less than the length check can see", async () => {
    // 3n + 1 bytes need as many base64 characters as 3n + 3, so only the decoded length tells them apart.
    const error = await loadImage(dataUrl(bytes), { maxImageBytes: bytes.length - 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as Error).message).toContain(`decodes to ${bytes.length.toLocaleString("en-US")} bytes`);
    await expect(loadImage(dataUrl(bytes), { maxImageBytes: bytes.length })).resolves.toMatchObject({ width: 56 });
  });

  it("refuses bytes passed in over the limit, naming it", async () => {
    await expect(loadImage(bytes, { maxImageBytes: bytes.length - 1 })).rejects.toThrow(
      new RegExp(`the bytes passed in is ${bytes.length.toLocaleString("en-US")} bytes, over maxImageBytes`),
    );
    await expect(loadImage({ data: bytes }, { maxImageBytes: bytes.length })).resolves.toMatchObject({ width: 56 });
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, "64" as never])("rejects maxImageBytes %s and maxImagePixels %s", async (bad) => {
    await expect(loadImage(bytes, { maxImageBytes: bad })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(loadImage(bytes, { maxImagePixels: bad })).rejects.toThrow(/maxImagePixels must be a positive finite number/);
  });
});

/** A PNG signature, a valid IHDR for an 8-bit RGB image of the given size, and a bogus IDAT. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const chunk = (type: string, body: Uint8Array) => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, "latin1");
    out.set(body, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, default compression/filter/interlace
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", Buffer.from("garbage")), chunk("IEND", Buffer.alloc(0))]);
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
