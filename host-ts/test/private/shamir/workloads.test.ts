/**
 * Every workload, run as the real protocol (consumer, three providers, other
 * dealers, encoded messages in a shuffled order), against the plaintext answer
 * computed here independently on the same fixed-point integers — exactly — and
 * against floating point within the quantisation bound.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { columnStats, dotProduct, linearScore, membership, linearLayer } from "../../../src/private/shamir/workloads.ts";
import { fraction, fractionToNumber } from "../../../src/private/shamir/fixed-point.ts";
import { runBuilt, fixedValues, scaled } from "./helpers.ts";

const real = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true, noDefaultInfinity: true });
const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const F16 = 1n << 16n, F32 = 1n << 32n;

describe("(a) sum, mean and variance of a column", () => {
  it("equal the plaintext statistics exactly", () => {
    fc.assert(fc.property(fc.array(real(-1000, 1000), { minLength: 1, maxLength: 40 }), seed, (xs, s) => {
      const built = columnStats(xs.length, 1000);
      const [sum, mean, variance] = fixedValues(runBuilt(built, xs, { shuffleSeed: s }).decoded);
      const X = xs.map((x) => scaled(x, 16)), n = BigInt(xs.length);
      const S1 = X.reduce((a, b) => a + b, 0n), S2 = X.reduce((a, b) => a + b * b, 0n);
      expect(sum).toEqual(fraction(S1, F16));
      expect(mean).toEqual(fraction(S1, n * F16));
      expect(variance).toEqual(fraction(n * S2 - S1 * S1, n * n * F32));
      const fm = xs.reduce((a, b) => a + b, 0) / xs.length;
      const fv = xs.reduce((a, b) => a + (b - fm) ** 2, 0) / xs.length;
      expect(Math.abs(fractionToNumber(mean) - fm)).toBeLessThanOrEqual(2 ** -17 + 1e-9);
      expect(Math.abs(fractionToNumber(variance) - fv)).toBeLessThanOrEqual(2 * 1000 * 2 ** -16 + 1e-6);
    }), { numRuns: 30 });
  });

  it("work for a 1,000-value column and for n = 5, t = 2", () => {
    const xs = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 500);
    const [sum] = fixedValues(runBuilt(columnStats(1000, 500), xs).decoded);
    expect(sum).toEqual(fraction(xs.map((x) => scaled(x, 16)).reduce((a, b) => a + b, 0n), F16));
    const ys = [1, 2, 3, 4.5, -7];
    const [, mean, variance] = fixedValues(runBuilt(columnStats(5, 10, { n: 5, t: 2 }), ys, { shuffleSeed: 9 }).decoded);
    expect(fractionToNumber(mean)).toBeCloseTo(0.7, 4);
    expect(fractionToNumber(variance)).toBeCloseTo(ys.reduce((a, b) => a + (b - 0.7) ** 2, 0) / 5, 3);
  });
});

describe("(b) dot product and linear classifier score", () => {
  it("dot product with public weights (local) and with secret weights (one round)", () => {
    fc.assert(fc.property(fc.array(fc.tuple(real(-100, 100), real(-10, 10)), { minLength: 1, maxLength: 30 }), seed, (pairs, s) => {
      const xs = pairs.map((p) => p[0]), ws = pairs.map((p) => p[1]);
      const exact = fraction(pairs.reduce((a, [x, w]) => a + scaled(x, 16) * scaled(w, 16), 0n), F32);
      const pub = dotProduct(xs.length, 100, ws);
      expect(pub.analysis.rounds).toBe(0);
      expect(fixedValues(runBuilt(pub, xs, { shuffleSeed: s }).decoded)).toEqual([exact]);
      const sec = dotProduct(xs.length, 100, { secret: 10 });
      expect(sec.analysis.rounds).toBe(1);
      expect(fixedValues(runBuilt(sec, [...xs, ...ws], { shuffleSeed: s }).decoded)).toEqual([exact]);
    }), { numRuns: 30 });
  });

  it("linear score w·x + b with a public and with a secret model; within quantisation of the floating-point score", () => {
    fc.assert(fc.property(fc.array(fc.tuple(real(-1, 1), real(-4, 4)), { minLength: 1, maxLength: 20 }), real(-2, 2), seed, (pairs, bias, s) => {
      const xs = pairs.map((p) => p[0]), ws = pairs.map((p) => p[1]);
      const exact = fraction(pairs.reduce((a, [x, w]) => a + scaled(x, 16) * scaled(w, 16), 0n) + scaled(bias, 32), F32);
      const [pub] = fixedValues(runBuilt(linearScore(xs.length, 1, { weights: ws, bias }), xs, { shuffleSeed: s }).decoded);
      const [sec] = fixedValues(runBuilt(linearScore(xs.length, 1, { weightBound: 4, biasBound: 2 }), [...xs, ...ws, bias], { shuffleSeed: s }).decoded);
      expect(pub).toEqual(exact);
      expect(sec).toEqual(exact);
      const plain = pairs.reduce((a, [x, w]) => a + x * w, 0) + bias;
      expect(Math.abs(fractionToNumber(sec) - plain)).toBeLessThanOrEqual(xs.length * 5 * 2 ** -16 + 1e-9);
    }), { numRuns: 30 });
  });
});

describe("(c) private equality search: is x in the list?", () => {
  const item = fc.bigInt({ min: -(1n << 80n), max: 1n << 80n });
  const listCase = fc.tuple(fc.array(item, { minLength: 1, maxLength: 12 }), fc.boolean(), fc.nat(), item, seed)
    .map(([list, hit, k, other, s]) => ({ list, x: hit ? list[k % list.length] : other, s }));

  it("public list, consumer's list and another dealer's list all answer exactly membership", () => {
    fc.assert(fc.property(listCase, ({ list, x, s }) => {
      const expected = list.includes(x);
      const pub = runBuilt(membership({ kind: "public", values: list }), [x], { shuffleSeed: s }).decoded;
      const own = runBuilt(membership({ kind: "consumer", length: list.length }), [x, ...list], { shuffleSeed: s }).decoded;
      const dealt = runBuilt(membership({ kind: "dealer", length: list.length }), [x], { shuffleSeed: s, dealer1: list }).decoded;
      for (const d of [pub, own, dealt]) expect(d).toEqual([{ kind: "is-zero", value: expected }]);
    }), { numRuns: 40 });
  });

  it("reveals a masked value: 0 for a member, otherwise a fresh random non-zero element each run", () => {
    const built = membership({ kind: "public", values: [3n, 5n, 7n] });
    // Read the raw reconstructed value (the decoder only says zero / non-zero).
    const raw = (x: bigint) => { const r = runBuilt(built, [x]).result.outcome; return r.status === "done" ? r.outputs[0] : null; };
    expect(raw(5n)).toBe(0n);
    const a = raw(4n), b = raw(4n);
    expect(a).not.toBe(0n);
    expect(b).not.toBe(0n);
    expect(a).not.toBe(b); // Π(4 − l) = −3 would be revealed unmasked; the mask makes it uniform
  });

  it("works for n = 5, t = 2", () => {
    const built = membership({ kind: "consumer", length: 4 }, { n: 5, t: 2 });
    expect(runBuilt(built, [9n, 1n, 9n, 2n, 3n], { shuffleSeed: 4 }).decoded).toEqual([{ kind: "is-zero", value: true }]);
    expect(runBuilt(built, [8n, 1n, 9n, 2n, 3n], { shuffleSeed: 5 }).decoded).toEqual([{ kind: "is-zero", value: false }]);
  });
});

describe("(d) a neural-network layer y = W·x + b on a secret input, public W", () => {
  it("equals the plaintext layer on the same fixed-point values, with and without consumer-supplied noise", () => {
    const shape = fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 24 }));
    fc.assert(fc.property(shape.chain(([r, c]) => fc.record({
      W: fc.array(fc.array(real(-2, 2), { minLength: c, maxLength: c }), { minLength: r, maxLength: r }),
      b: fc.array(real(-1, 1), { minLength: r, maxLength: r }),
      x: fc.array(real(0, 1), { minLength: c, maxLength: c }),
      noise: fc.array(fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }), { minLength: r, maxLength: r }),
    })), seed, ({ W, b, x, noise }, s) => {
      const X = x.map((v) => scaled(v, 16));
      const plain = W.map((row, i) => row.reduce((a, w, j) => a + scaled(w, 16) * X[j], 0n) + scaled(b[i], 32));
      const layer = linearLayer(W, b, 1);
      expect(layer.analysis.rounds).toBe(0);
      expect(fixedValues(runBuilt(layer, x, { shuffleSeed: s }).decoded)).toEqual(plain.map((v) => fraction(v, F32)));
      const noisy = linearLayer(W, b, 1, { noiseBound: 1n << 40n });
      expect(fixedValues(runBuilt(noisy, [...x, ...noise], { shuffleSeed: s }).decoded)).toEqual(plain.map((v, i) => fraction(v + noise[i], F32)));
    }), { numRuns: 25 });
  });

  it("an MNIST-shaped first layer, 784 → 16 on pixel values in [0, 1]", () => {
    const W = Array.from({ length: 16 }, (_, i) => Array.from({ length: 784 }, (_, j) => Math.sin(i * 784 + j) * 0.1));
    const pixels = Array.from({ length: 784 }, (_, j) => ((j * 37) % 256) / 255);
    const bias = Array.from({ length: 16 }, (_, i) => i / 16 - 0.5);
    const out = fixedValues(runBuilt(linearLayer(W, bias, 1), pixels).decoded);
    const X = pixels.map((v) => scaled(v, 16));
    W.forEach((row, i) => {
      expect(out[i]).toEqual(fraction(row.reduce((a, w, j) => a + scaled(w, 16) * X[j], 0n) + scaled(bias[i], 32), F32));
      const f = row.reduce((a, w, j) => a + w * pixels[j], 0) + bias[i];
      expect(Math.abs(fractionToNumber(out[i]) - f)).toBeLessThan(784 * 2 ** -16);
    });
  });
});
