import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MockHub, sha256 } from "./mock-hub.js";
import { tempDir } from "./temp-dir.js";

describe("MockHub disk files", () => {
  const tmp = tempDir("mock-hub-");
  const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) % 251));
  const path = join(tmp.dir, "big.onnx");
  let hub: MockHub;
  beforeAll(async () => {
    writeFileSync(path, bytes);
    hub = await MockHub.start();
    hub.addFiles("org/disk", new Map([["onnx/big.onnx", { path, size: bytes.length, sha256: sha256(bytes) }]]));
  });
  afterAll(async () => {
    await hub.close();
    tmp.remove();
  });

  const resolve = (init: RequestInit = {}) => fetch(`${hub.url}/org/disk/resolve/main/onnx/big.onnx`, init);

  it("announces a disk file like an LFS file and serves it whole, from an offset (206) and not past its end (416)", async () => {
    const head = await resolve({ method: "HEAD", redirect: "manual" });
    expect(head.status).toBe(302);
    expect(head.headers.get("x-linked-etag")).toBe(`"${sha256(bytes)}"`);
    expect(head.headers.get("x-linked-size")).toBe(String(bytes.length));

    expect(Buffer.from(await (await resolve()).arrayBuffer())).toEqual(bytes);
    const rest = await resolve({ headers: { Range: "bytes=1234-" } });
    expect(rest.status).toBe(206);
    expect(rest.headers.get("content-range")).toBe(`bytes 1234-4999/5000`);
    expect(Buffer.from(await rest.arrayBuffer())).toEqual(bytes.subarray(1234));
    expect((await resolve({ headers: { Range: "bytes=5000-" } })).status).toBe(416);
  });

  it("refuses a disk file on a path the hub would not keep in LFS", () => {
    expect(() => hub.addFiles("org/bad", new Map([["config.json", { path, size: bytes.length, sha256: sha256(bytes) }]]))).toThrow(/not an LFS path/);
  });
});
