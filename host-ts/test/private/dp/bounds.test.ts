/**
 * The accuracy bound for one (ε, δ)-DP release: the binary case against the
 * hypothesis-testing region of (ε, δ)-DP (Kairouz–Oh–Viswanath: P_FA + e^ε·P_MD
 * ≥ 1 − δ, so at equal errors 1 − p ≤ (e^ε + δ)/(e^ε + 1)), K-ary randomized
 * response (which meets it at δ = 0), and a simulated randomized response.
 */
import { describe, expect, it } from "vitest";
import { dpAccuracyBound, randomizedResponseAccuracy } from "../../../src/private/dp/bounds.ts";
import { RandomBytes, seededRandom } from "../../../src/private/dp/random.ts";

describe("accuracy bound of one DP release", () => {
  it("two classes: the equal-error point of the (ε, δ) testing region", () => {
    for (const [e, d] of [[1, 0], [1, 1e-5], [4, 1e-3], [0.1, 0.05]]) expect(dpAccuracyBound(e, d, 2)).toBeCloseTo((Math.exp(e) + d) / (Math.exp(e) + 1), 12);
  });

  it("ten classes: known values, monotone in ε and δ, 1/K at ε = 0 and δ = 0, 1 at ε = ∞", () => {
    expect(dpAccuracyBound(1, 0, 10)).toBeCloseTo(0.2319693166840740, 12);
    expect(dpAccuracyBound(8, 0, 10)).toBeCloseTo(0.9969899242601383, 12);
    expect(dpAccuracyBound(0, 0, 10)).toBeCloseTo(0.1, 12);
    expect(dpAccuracyBound(Infinity, 1e-5, 10)).toBe(1);
    expect(dpAccuracyBound(1000, 0, 10)).toBe(1);
    let last = 0;
    for (const e of [0.5, 1, 2, 4, 8, 16]) {
      const b = dpAccuracyBound(e, 1e-5, 10);
      expect(b).toBeGreaterThan(last);
      expect(b).toBeGreaterThanOrEqual(dpAccuracyBound(e, 0, 10));
      expect(b - dpAccuracyBound(e, 0, 10)).toBeLessThan(1e-4);
      last = b;
    }
    expect(() => dpAccuracyBound(1, 0, 1)).toThrow(RangeError);
  });

  it("K-ary randomized response meets the bound at δ = 0, and a simulation of it lands on it", () => {
    for (const e of [1, 2, 4, 8]) expect(randomizedResponseAccuracy(e, 10)).toBeCloseTo(dpAccuracyBound(e, 0, 10), 12);
    // Randomized response at ε = 2 on 20,000 labels: keep w.p. e²/(e² + 9), else one of the other 9 uniformly.
    const rng = new RandomBytes(seededRandom("bounds-rr"));
    const keep = randomizedResponseAccuracy(2, 10);
    let ok = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (Number(rng.below(1n << 30n)) / 2 ** 30 < keep) ok++;
    expect(Math.abs(ok / n - keep)).toBeLessThan(4 * Math.sqrt((keep * (1 - keep)) / n));
  });
});
