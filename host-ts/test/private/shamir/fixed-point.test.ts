import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeFixed, decodeFixed, fraction, fractionEquals, fractionToNumber } from "../../../src/private/shamir/fixed-point.ts";
import { ProgramBuilder } from "../../../src/private/shamir/builder.ts";
import { HALF, P } from "../../../src/private/shamir/field.ts";
import { scaled, runBuilt, fixedValues } from "./helpers.ts";

describe("fixed-point encoding", () => {
  it("rounds x·2^s to nearest, ties to even, exactly", () => {
    expect(encodeFixed(0.5, 0)).toBe(0n);
    expect(encodeFixed(1.5, 0)).toBe(2n);
    expect(encodeFixed(2.5, 0)).toBe(2n);
    expect(encodeFixed(-2.5, 0)).toBe(-2n);
    expect(encodeFixed(-1.5, 0)).toBe(-2n);
    expect(encodeFixed(1 / 3, 16)).toBe(21845n);
    fc.assert(fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), fc.integer({ min: 0, max: 40 }), (x, s) => {
      expect(encodeFixed(x, s)).toBe(scaled(x, s));
    }));
  });

  it("the quantisation error is at most 2^−(s+1)", () => {
    fc.assert(fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
      const err = Math.abs(fractionToNumber(decodeFixed(encodeFixed(x, 16), 16)) - x);
      expect(err).toBeLessThanOrEqual(2 ** -17 + Math.abs(x) * 2 ** -52);
    }));
  });

  it("refuses NaN and infinities", () => {
    expect(() => encodeFixed(NaN, 16)).toThrow(/INPUT_NOT_FINITE/);
    expect(() => encodeFixed(Infinity, 16)).toThrow(/INPUT_NOT_FINITE/);
    expect(() => encodeFixed(1e308, 100)).toThrow(/INPUT_OUT_OF_RANGE/);
  });

  it("fractions are exact and reduced", () => {
    expect(fraction(6n, -4n)).toEqual({ num: -3n, den: 2n });
    expect(fractionEquals(fraction(1n, 3n), fraction(2n, 6n))).toBe(true);
    expect(fractionToNumber(fraction(1n << 2000n, 1n << 1999n))).toBe(2);
  });
});

describe("static range analysis", () => {
  it("refuses a program whose values could pass (p − 1)/2 (FIXED_POINT_OVERFLOW), before anything runs", () => {
    const b = new ProgramBuilder();
    const x = b.input({ bound: 2 ** 40 }); // 2^56 at scale 2^16
    const x2 = b.mul(x, x); // 2^112: fine
    expect(x2.bound).toBe((1n << 56n) ** 2n);
    expect(() => b.mul(x2, x)).toThrow(/FIXED_POINT_OVERFLOW/); // 2^168 > 2^126
    expect(() => b.mulInt(x2, 1n << 20n)).toThrow(/FIXED_POINT_OVERFLOW/);
    const b2 = new ProgramBuilder();
    const big = b2.inputRaw({ bound: HALF, scale: 0 });
    expect(() => b2.add(big, big)).toThrow(/FIXED_POINT_OVERFLOW/);
    expect(() => new ProgramBuilder().inputRaw({ bound: HALF + 1n, scale: 0 })).toThrow(/FIXED_POINT_OVERFLOW/);
  });

  it("refuses inputs outside their declared bound when they are encoded (INPUT_OUT_OF_RANGE)", () => {
    const b = new ProgramBuilder();
    const x = b.input({ bound: 10 });
    b.output(x);
    const built = b.build();
    expect(() => built.encodeInputs(0, [10.00001])).toThrow(/INPUT_OUT_OF_RANGE/);
    expect(() => built.encodeInputs(0, [655361n])).toThrow(/INPUT_OUT_OF_RANGE/);
    expect(built.encodeInputs(0, [-10])).toEqual([P - 655360n]);
    expect(() => built.encodeInputs(0, [NaN])).toThrow(/INPUT_NOT_FINITE/);
  });

  it("a reconstructed value outside its derived bound is OUTPUT_OUT_OF_RANGE, not a number", () => {
    const b = new ProgramBuilder();
    b.output(b.input({ bound: 1 }));
    const built = b.build();
    expect(built.decodeOutputs([65536n])).toEqual([{ kind: "fixed", value: fraction(1n, 1n) }]);
    expect(() => built.decodeOutputs([65537n])).toThrow(/OUTPUT_OUT_OF_RANGE/);
    expect(() => built.decodeOutputs([P - 65537n])).toThrow(/OUTPUT_OUT_OF_RANGE/);
  });

  it("values at the very edge of the range come back exactly (negative values included: two's-complement-style mapping)", () => {
    const b = new ProgramBuilder({ fracBits: 0 });
    const x = b.inputRaw({ bound: HALF, scale: 0 });
    const y = b.inputRaw({ bound: 1n, scale: 0 });
    b.output(x);
    b.output(b.mul(x, y));
    const built = b.build();
    for (const [xv, yv] of [[HALF, -1n], [-HALF, 1n], [-1n, -1n], [0n, 1n]]) {
      const out = fixedValues(runBuilt(built, [xv, yv]).decoded);
      expect(out[0]).toEqual(fraction(xv, 1n));
      expect(out[1]).toEqual(fraction(xv * yv, 1n));
    }
  });

  it("products keep their full scale and the consumer rescales exactly (no truncation error)", () => {
    fc.assert(fc.property(fc.double({ min: -3e4, max: 3e4, noNaN: true }), fc.double({ min: -3e4, max: 3e4, noNaN: true }), fc.double({ min: -100, max: 100, noNaN: true }), (a, c, k) => {
      const b = new ProgramBuilder();
      const x = b.input({ bound: 3e4 }), y = b.input({ bound: 3e4 });
      const xy = b.mul(x, y);
      b.output(xy); // scale 2^32
      b.output(b.addPublic(b.add(xy, x), k)); // x aligned to 2^32
      b.output(b.mul(xy, b.mul(x, y))); // depth 2: scale 2^64, |value| < 2^124
      const built = b.build();
      const [o1, o2, o3] = fixedValues(runBuilt(built, [a, c]).decoded);
      const A = scaled(a, 16), C = scaled(c, 16);
      expect(o1).toEqual(fraction(A * C, 1n << 32n));
      expect(o2).toEqual(fraction(A * C + (A << 16n) + scaled(k, 32), 1n << 32n));
      expect(o3).toEqual(fraction(A * C * A * C, 1n << 64n));
    }), { numRuns: 25 });
  });
});
