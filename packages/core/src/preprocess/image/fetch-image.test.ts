import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImageTooLargeError } from "../../errors.js";
import { fixturePath } from "./__fixtures__/reference-fixtures.js";
import { loadImage } from "./image-source.js";

const png = readFileSync(fixturePath("no-resize.png")); // 56 x 84
const LIMIT = 1024 * 1024;
/** Bytes the endless route wrote before its client hung up, and a promise that resolves when it did. */
let endless: { sent: number; closed: Promise<void> } | undefined;

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  "/png": (_req, res) => res.writeHead(200, { "Content-Type": "image/png", "Content-Length": png.length }).end(png),
  "/png-chunked": (_req, res) => {
    res.writeHead(200, { "Content-Type": "image/png" }).write(png);
    res.end();
  },
  // Declares 10 GiB, sends a little, then keeps the connection open.
  "/huge-length": (_req, res) => {
    res.writeHead(200, { "Content-Type": "image/png", "Content-Length": 10 * 1024 ** 3 });
    res.write(png.subarray(0, 1024));
  },
  // No Content-Length: streams zeros for as long as the client reads.
  "/endless": (_req, res) => {
    res.writeHead(200, { "Content-Type": "image/png" });
    const chunk = Buffer.alloc(64 * 1024);
    const state = { sent: 0, closed: new Promise<void>((resolve) => res.on("close", resolve)) };
    endless = state;
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) state.sent += chunk.length;
    };
    res.on("drain", pump);
    pump();
  },
};

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => (routes[req.url ?? ""] ?? ((_q, r) => r.writeHead(404).end()))(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const FAST = { timeout: 5_000 };

describe("loadImage over http (a real server on 127.0.0.1) reads at most maxImageBytes", () => {
  it("loads an image at the limit, with or without Content-Length", FAST, async () => {
    for (const route of ["/png", "/png-chunked"]) {
      const image = await loadImage(`${base}${route}`, { allowNetwork: true, maxImageBytes: png.length });
      expect([image.width, image.height]).toEqual([56, 84]);
    }
  });

  it("refuses a Content-Length over the limit before reading the body", FAST, async () => {
    const error = await loadImage(`${base}/huge-length`, { allowNetwork: true, maxImageBytes: LIMIT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as Error).message).toContain(`${base}/huge-length declares Content-Length 10,737,418,240 bytes`);
    expect((error as Error).message).toContain("over maxImageBytes (1,048,576 bytes)");
  });

  it("stops a body without Content-Length once it passes the limit, and hangs up", FAST, async () => {
    const error = await loadImage(`${base}/endless`, { allowNetwork: true, maxImageBytes: LIMIT }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageTooLargeError);
    expect((error as Error).message).toMatch(/\/endless sent more than 1,048,576 bytes, over maxImageBytes/);
    await endless!.closed; // the connection was dropped, so the server stops sending
    // What the server got out before noticing: the limit plus socket and stream buffers, not an endless stream.
    expect(endless!.sent).toBeLessThan(LIMIT + 32 * 1024 * 1024);
  });

  it("counts a chunked body too: one byte under its size is refused", FAST, async () => {
    await expect(loadImage(`${base}/png-chunked`, { allowNetwork: true, maxImageBytes: png.length - 1 })).rejects.toThrow(
      /sent more than/,
    );
  });
});
