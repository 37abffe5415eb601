import { describe, expect, it } from "vitest";
import { float16BitsToFloat32, float32ToFloat16Bits } from "./float16.js";

const toBits = (x: number) => float32ToFloat16Bits(Float32Array.of(x))[0]!;
const fromBits = (h: number) => float16BitsToFloat32(Uint16Array.of(h))[0]!;

describe("float32ToFloat16Bits", () => {
  it.each([
    ["0", 0, 0x0000],
    ["-0", -0, 0x8000],
    ["1", 1, 0x3c00],
    ["-2", -2, 0xc000],
    ["largest finite 65504", 65504, 0x7bff],
    ["65519 rounds down to 65504", 65519, 0x7bff],
    ["65520 rounds to inf", 65520, 0x7c00],
    ["-1e6 overflows to -inf", -1e6, 0xfc00],
    ["inf", Infinity, 0x7c00],
    ["-inf", -Infinity, 0xfc00],
    ["smallest normal 2^-14 (6.1035e-5)", 2 ** -14, 0x0400],
    ["largest subnormal", 1023 * 2 ** -24, 0x03ff],
    ["6.1e-5 is subnormal", 6.1e-5, 0x03ff],
    ["smallest subnormal 2^-24 (5.96e-8)", 5.96e-8, 0x0001],
    ["2^-25 ties to even: 0", 2 ** -25, 0x0000],
    ["just above 2^-25 rounds up to 2^-24", 2 ** -25 * (1 + 2 ** -23), 0x0001],
    ["3 * 2^-25 ties to even: 2 * 2^-24", 3 * 2 ** -25, 0x0002],
    ["1 + 2^-11 ties to even: 1", 1 + 2 ** -11, 0x3c00],
    ["1 + 3 * 2^-11 ties to even: 1 + 2^-9", 1 + 3 * 2 ** -11, 0x3c02],
    ["2049 ties to even: 2048", 2049, 0x6800],
    ["2051 ties to even: 2052", 2051, 0x6802],
    ["f32 subnormal flushes to 0", 1e-40, 0x0000],
  ])("%s", (_, value, bits) => {
    expect(toBits(value)).toBe(bits);
  });

  it("keeps NaN a NaN", () => {
    const h = toBits(NaN);
    expect(h & 0x7c00).toBe(0x7c00);
    expect(h & 0x03ff).not.toBe(0);
    expect(fromBits(h)).toBeNaN();
  });
});

describe("float16BitsToFloat32", () => {
  it.each([
    [0x0000, 0],
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0400, 2 ** -14],
    [0x03ff, 1023 * 2 ** -24],
    [0x0001, 2 ** -24],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])("bits %i decode exactly", (bits, value) => {
    expect(fromBits(bits)).toBe(value);
  });

  it("keeps the sign of -0", () => {
    expect(Object.is(fromBits(0x8000), -0)).toBe(true);
  });

  it("round-trips every non-NaN float16 bit pattern", () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
    const back = float32ToFloat16Bits(float16BitsToFloat32(all));
    for (let h = 0; h < 0x10000; h++) {
      const isNaN = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (!isNaN && back[h] !== h) throw new Error(`0x${h.toString(16)} came back as 0x${back[h]!.toString(16)}`);
    }
  });
});

describe("float16 round trip", () => {
  it("is within half an ulp for 1M random values across the float16 range", () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const values = new Float32Array(1_000_000);
    // Log-uniform magnitudes from 2^-26 to 2^16 (below the overflow threshold), random sign.
    for (let i = 0; i < values.length; i++) values[i] = (rand() < 0.5 ? -1 : 1) * 2 ** (-26 + rand() * 41.99);
    const back = float16BitsToFloat32(float32ToFloat16Bits(values));
    let worst = 0;
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      const ulp = 2 ** Math.max(Math.floor(Math.log2(Math.abs(x))) - 10, -24);
      const err = Math.abs(x - back[i]!) / ulp;
      if (Math.sign(back[i]!) === -Math.sign(x)) throw new Error(`sign flipped for ${x}`);
      worst = Math.max(worst, err);
    }
    expect(worst).toBeLessThanOrEqual(0.5);
    expect(worst).toBeGreaterThan(0.49);
  });
});
