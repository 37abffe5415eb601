/**
 * RGBA -> RGB over white, with Pillow's `paste(mask=alpha)` rounding: `(c * a + 255 * (255 - a)) / 255`.
 * Writes the RGB pixels over the start of `rgba` (pixel i's output never passes its input) and returns that part.
 */
export function compositeOnWhiteInPlace(rgba: Uint8Array): Uint8Array {
  const pixels = rgba.length / 4;
  for (let i = 0; i < pixels; i++) {
    const a = rgba[i * 4 + 3] as number;
    for (let c = 0; c < 3; c++) {
      const tmp = 255 * (255 - a) + (rgba[i * 4 + c] as number) * a + 128;
      rgba[i * 3 + c] = ((tmp >> 8) + tmp) >> 8;
    }
  }
  return rgba.subarray(0, pixels * 3);
}
