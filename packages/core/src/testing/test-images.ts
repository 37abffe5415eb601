import sharp from "sharp";

/** A PNG of a diagonal colour gradient, so different sizes give different pixel values and grids. */
export async function gradientPng(width: number, height: number, tint = 0): Promise<Uint8Array> {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3;
      data[at] = (x * 255) / Math.max(width - 1, 1);
      data[at + 1] = (y * 255) / Math.max(height - 1, 1);
      data[at + 2] = (tint + x + y) % 256;
    }
  }
  return new Uint8Array(await sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer());
}
