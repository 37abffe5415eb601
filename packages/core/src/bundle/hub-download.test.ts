import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BundleNotFoundError } from "../errors.js";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";
import { downloadBundle } from "./hub-download.js";
import { readBundle } from "./load-bundle.js";

const source = tempDir();
const cache = tempDir();
writeTinyBundle(source.dir);
afterAll(() => {
  source.remove();
  cache.remove();
});

/** A fake hub serving the tiny bundle's files; records each URL asked for. */
function fakeHub(requests: string[]): typeof fetch {
  return (async (url: string | URL | Request) => {
    const href = String(url);
    requests.push(href);
    const file = href.split("/resolve/main/")[1]!;
    const path = join(source.dir, file);
    if (!existsSync(path)) return new Response("not found", { status: 404 });
    return new Response(readFileSync(path));
  }) as typeof fetch;
}

describe("downloadBundle", () => {
  it("fetches the configs and the graphs of the dtype into the cache, then reuses them", async () => {
    const requests: string[] = [];
    const dir = await downloadBundle("org/tiny-rge", { dtype: "fp32", cacheDir: cache.dir, endpoint: "https://hub.test", fetch: fakeHub(requests) });
    expect(requests[0]).toBe("https://hub.test/org/tiny-rge/resolve/main/rge.json");
    expect(readBundle(dir, "fp32").manifest.embToken).toBe("<emb>");
    const again: string[] = [];
    await downloadBundle("org/tiny-rge", { dtype: "fp32", cacheDir: cache.dir, endpoint: "https://hub.test", fetch: fakeHub(again) });
    expect(again.every((u) => /_data(_\d)?$/.test(u))).toBe(true); // only optional files absent from the cache are asked again
  });

  it("names the repo when a required file is missing", async () => {
    const failing = (async () => new Response("", { status: 401 })) as unknown as typeof fetch;
    await expect(downloadBundle("org/private", { dtype: "fp32", cacheDir: cache.dir, fetch: failing })).rejects.toThrow(BundleNotFoundError);
  });
});
