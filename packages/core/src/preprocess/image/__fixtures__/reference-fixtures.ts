// Test-only access to the fixtures written by tools/reference/preprocess_fixtures.py.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RgbImage } from "../rgb-image.js";

export const FIXTURES_DIR = fileURLToPath(new URL(".", import.meta.url));
export const GENERATOR_SCRIPT = fileURLToPath(new URL("../../../../../../tools/reference/preprocess_fixtures.py", import.meta.url));

interface Size {
  width: number;
  height: number;
}

export interface ReferenceFixtures {
  generator: { script: string; scriptSha256: string; pillow: string; numpy: string; transformers: string };
  smartResize: {
    height: number;
    width: number;
    factor: number;
    minPixels: number;
    maxPixels: number;
    resizedHeight: number;
    resizedWidth: number;
  }[];
  resize: { source: Size & { seed: number }; target: Size; sourceSha256: string; resizedSha256: string }[];
  processor: {
    name: string;
    file: string;
    minPixels: number;
    maxPixels: number;
    smallImageRule: "reject" | "mmeb" | "stretch-to-factor";
    /** How the reference turned RGBA into RGB: dropped (default) or composited onto white. */
    alpha: "drop" | "white";
    decodedSha256: string;
    preparedSize: Size;
    resizedSize: Size;
    resizedSha256: string;
    grid: [number, number, number];
    shape: [number, number];
    pixelValuesSha256: string;
    rowChecksums: { sum: number[]; weightedSum: number[] };
    firstRow: string;
    lastRow: string;
    pixelValues?: string;
  }[];
  decode: { file: string; exact: boolean; width: number; height: number; rgb: string }[];
}

export const fixtures: ReferenceFixtures = JSON.parse(readFileSync(new URL("fixtures.json", import.meta.url), "utf8"));

export function fixturePath(file: string): string {
  return fileURLToPath(new URL(file, import.meta.url));
}

export function float32FromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** The Python script's `pattern()`: hard 0/255 blocks, hashed noise and wrapping gradients. */
export function pattern(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let h = (Math.imul(x, 73856093) ^ Math.imul(y, 19349663) ^ Math.imul(c + seed * 3, 83492791)) >>> 0;
        h = (h ^ (h >>> 13)) >>> 0;
        const block = ((x >> 3) + (y >> 2) + c + seed) % 4;
        const value =
          block === 0 ? (h & 1 ? 0 : 255) : block === 1 ? h & 255 : (x * 5 + y * 3 + c * 40 + seed * 17) % 256;
        data[(y * width + x) * 3 + c] = value;
      }
    }
  }
  return { width, height, data };
}
