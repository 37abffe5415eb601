/**
 * IEEE 754 binary16 conversion for weights written as `float16` tensors (fp16 and q4f16 bundles).
 * Works on raw bit patterns so it needs no `Float16Array` (Node 20 has none).
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Converts float32 values to float16 bit patterns, rounding to nearest with ties to even.
 * Values beyond the float16 range become ±Infinity (65520 and up), tiny values become subnormals or ±0,
 * and NaN stays NaN (quiet, keeping the top payload bits).
 *
 * @example
 * float32ToFloat16Bits(Float32Array.of(1, -2, 65504)); // Uint16Array [0x3c00, 0xc000, 0x7bff]
 */
export function float32ToFloat16Bits(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalf(values[i]!);
  return out;
}

/** Converts float16 bit patterns to float32 values (exact: every float16 is a float32). */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = fromHalf(bits[i]!);
  return out;
}

function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 | (mant >>> 13) : 0);
  if (exp > 112) {
    // Normal in float16 unless rounding carries into the exponent; a carry out of 0x7bff gives 0x7c00 (inf).
    if (exp >= 143) return sign | 0x7c00;
    return sign | roundShift(((exp - 112) << 23) | mant, 13);
  }
  // Subnormal or zero: the significand with its implicit bit, in units of 2^-24 after the shift.
  const shift = 126 - exp;
  if (shift > 24) return sign;
  return sign | roundShift(mant | 0x800000, shift);
}

/** `value >> shift`, rounded to nearest, ties to even (shift in 1..24). */
function roundShift(value: number, shift: number): number {
  const q = value >>> shift;
  const rem = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rem > half || (rem === half && (q & 1) === 1) ? q + 1 : q;
}

function fromHalf(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return (sign ? -mant : mant) * 2 ** -24;
  u32[0] = exp === 0x1f ? sign | 0x7f800000 | (mant << 13) : sign | ((exp + 112) << 23) | (mant << 13);
  return f32[0]!;
}
