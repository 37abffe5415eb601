import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../testing/temp-dir.js";
import { writeTinyBundle } from "../testing/tiny-model.js";

const tmp = tempDir();
afterAll(() => tmp.remove());

const SIDE = 9999; // 99,980,001 pixels: just under the default maxImagePixels
const DECODED_BYTES = SIDE * SIDE * 3;
const tsx = join(createRequire(import.meta.url).resolve("tsx/package.json"), "..", "dist", "cli.mjs");

describe("memory of decoding huge images", () => {
  // Before decodes were bounded, eight such images in one call all sat decoded in memory at once (and each
  // was copied once more): peak RSS grew by 2.8 GB, about nine decoded images. Now two decode at once without
  // a copy; a freed image waits for the garbage collector, so about three are measured. Four is the bound.
  it("embeds eight solid 9999x9999 PNGs in one call with peak RSS growing by under four decoded images", async () => {
    const { dir } = writeTinyBundle(join(tmp.dir, "bundle"), { seed: 3 });
    const png = join(tmp.dir, "solid.png");
    await sharp({ create: { width: SIDE, height: SIDE, channels: 3, background: { r: 40, g: 120, b: 200 } } }).png().toFile(png);
    const child = join(import.meta.dirname, "__fixtures__", "embed-images-peak-rss.ts");
    const { stdout } = await promisify(execFile)(process.execPath, [tsx, "--conditions=@rge/source", child, dir, ...Array(8).fill(png)], {
      maxBuffer: 1 << 20,
    });
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as { before: number; after: number; embedded: number; failures: string[] };
    expect(report.failures).toEqual([]);
    expect(report.embedded).toBe(8);
    expect(report.after - report.before).toBeLessThan(4 * DECODED_BYTES);
  }, 300_000);
});
