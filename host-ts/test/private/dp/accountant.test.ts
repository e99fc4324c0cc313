/**
 * zCDP accounting: the two (ε, δ) conversions against values computed
 * independently (a brute-force search over 200,001 Rényi orders α, in
 * Python, at the commit that added this test), composition, the budget, and
 * the calibration of the discrete Gaussian and Laplace to a target.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  BudgetExceeded, PrivacyAccountant, deltaCks, epsilonBunSteinke, epsilonCks, pureToRho, rhoBunSteinke, rhoCks,
} from "../../../src/private/dp/accountant.ts";
import {
  addNoise, calibrateGaussian, calibrateLaplace, clipL1Int, clipL2Int, gaussianWithSigma2, l1Sensitivity, l2SensitivitySquared, sumAbs, sumSquares,
} from "../../../src/private/dp/mechanism.ts";
import { seededRandom } from "../../../src/private/dp/random.ts";

describe("zCDP → (ε, δ)", () => {
  it("Bun–Steinke: ε = ρ + 2√(ρ ln 1/δ) (known values) and its closed-form inverse", () => {
    expect(epsilonBunSteinke(0.5, 1e-5)).toBeCloseTo(5.298525912188081, 12);
    expect(epsilonBunSteinke(0.0209, 1e-5)).toBeCloseTo(1.0019609404473868, 12);
    for (const [e, d] of [[1, 1e-5], [8, 1e-6], [0.1, 1e-9]]) expect(epsilonBunSteinke(rhoBunSteinke(e, d), d)).toBeCloseTo(e, 10);
  });

  it("CKS20 Cor. 13: δ(ρ, ε) matches the brute-force α search", () => {
    for (const [rho, eps, want] of [[0.025, 1, 1.3361319692902835e-6], [0.5, 4, 0.00019579541901591557], [1, 8, 4.34534168317277e-7]]) {
      const got = deltaCks(rho, eps);
      expect(got).toBeLessThanOrEqual(want * (1 + 1e-9)); // the grid can only be worse than the optimum
      expect(got).toBeGreaterThan(want * (1 - 1e-4));
    }
  });

  it("CKS20: ε(ρ, δ) matches the brute-force values and is never above Bun–Steinke", () => {
    for (const [rho, d, want] of [[0.025, 1e-6, 1.0140742552383024], [0.5, 1e-5, 4.7283869926038165], [0.1, 1e-5, 1.9142388326409852]]) {
      expect(epsilonCks(rho, d)).toBeCloseTo(want, 4);
      expect(epsilonCks(rho, d)).toBeLessThan(epsilonBunSteinke(rho, d));
    }
    fc.assert(fc.property(fc.double({ min: 1e-4, max: 20, noNaN: true }), fc.double({ min: 1e-12, max: 0.1, noNaN: true }), (rho, d) => {
      const e = epsilonCks(rho, d);
      return e <= epsilonBunSteinke(rho, d) * (1 + 1e-12) && deltaCks(rho, e) <= d * (1 + 1e-9);
    }), { numRuns: 200 });
  });

  it("rhoCks is the inverse on the safe side: δ(rhoCks(ε, δ), ε) ≤ δ and ≥ the Bun–Steinke ρ", () => {
    for (const eps of [1, 2, 4, 8]) {
      const rho = rhoCks(eps, 1e-5);
      expect(deltaCks(rho, eps)).toBeLessThanOrEqual(1e-5);
      expect(deltaCks(rho * 1.001, eps)).toBeGreaterThan(1e-5);
      expect(rho).toBeGreaterThanOrEqual(rhoBunSteinke(eps, 1e-5));
    }
  });
});

describe("the accountant", () => {
  it("adds ρ over queries and refuses the query that would exceed the budget", () => {
    const acc = new PrivacyAccountant({ epsilon: 2, delta: 1e-5 });
    const q = { mechanism: "discrete-gaussian", rho: 0.02 } as const;
    let n = 0;
    for (;;) {
      try { acc.charge(q); n++; } catch (e) { expect(e).toBeInstanceOf(BudgetExceeded); break; }
    }
    const s = acc.spent();
    expect(s.queries).toBe(n);
    expect(s.rho).toBeCloseTo(0.02 * n, 12);
    expect(s.epsilon).toBeLessThanOrEqual(2);
    expect(epsilonCks(0.02 * (n + 1), 1e-5)).toBeGreaterThan(2);
    expect(acc.spent().queries).toBe(n); // the refused query is not recorded
  });

  it("Laplace-only sessions keep pure composition; one un-noised query makes ε infinite", () => {
    const acc = new PrivacyAccountant({ epsilon: Infinity, delta: 1e-6 });
    acc.charge({ mechanism: "discrete-laplace", epsilon: 0.5 });
    acc.charge({ mechanism: "discrete-laplace", epsilon: 0.5 });
    expect(acc.spent().pureEpsilon).toBe(1);
    expect(acc.spent().epsilon).toBeLessThanOrEqual(1);
    expect(acc.spent().rho).toBeCloseTo(2 * pureToRho(0.5), 12);
    acc.charge({ mechanism: "none" });
    expect(acc.spent().epsilon).toBe(Infinity);
  });
});

describe("calibration and noisy release", () => {
  it("the discrete Gaussian: ρ = Δ²/(2σ²) exactly for Δ = 1, σ² = 1", () => {
    expect(gaussianWithSigma2(1n, { num: 1n, den: 1n }).rho).toBeCloseTo(0.5, 10);
  });

  it("calibrated noise meets the target (never above it) and is at most 1e-5 larger than needed", () => {
    for (const eps of [1, 2, 4, 8]) {
      const sens2 = l2SensitivitySquared(2048, true);
      const g = calibrateGaussian(sens2, { epsilon: eps, delta: 1e-5 });
      expect(epsilonCks(g.rho, 1e-5)).toBeLessThanOrEqual(eps);
      expect(epsilonCks(g.rho, 1e-5)).toBeGreaterThan(eps * (1 - 1e-5));
      const L = calibrateLaplace(l1Sensitivity(1000), eps);
      expect(L.epsilon).toBeLessThanOrEqual(eps);
      expect(L.epsilon).toBeGreaterThan(eps * (1 - 1e-5));
    }
  });

  it("calibration never exceeds the target, for any sensitivity and target (property)", () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 1n << 40n }), fc.double({ min: 0.05, max: 50, noNaN: true }), fc.double({ min: 1e-12, max: 1e-3, noNaN: true }), (s2, eps, delta) => {
      const g = calibrateGaussian(s2, { epsilon: eps, delta });
      return epsilonCks(g.rho, delta) <= eps && calibrateLaplace(s2, eps).epsilon <= eps;
    }), { numRuns: 200 });
  });

  it("integer clipping holds exactly and keeps signs", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -100000, max: 100000 }), { minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 50000 }), (v, b) => {
      const c2 = clipL2Int(v, b), c1 = clipL1Int(v, b);
      const keeps = (c: Int32Array) => [...c].every((x, i) => x === 0 || Math.sign(x) === Math.sign(v[i]));
      return sumSquares(c2) <= BigInt(b) * BigInt(b) && sumAbs(c1) <= BigInt(b) && keeps(c1) && keeps(c2)
        && (sumSquares(v) > BigInt(b) * BigInt(b) || [...c2].every((x, i) => x === v[i]));
    }), { numRuns: 300 });
  });

  it("sensitivity of a clipped non-negative vector is √2·B, of a signed one 2B", () => {
    expect(l2SensitivitySquared(10, true)).toBe(200n);
    expect(l2SensitivitySquared(10, false)).toBe(400n);
    // The bound is attained: two orthogonal non-negative vectors of norm B.
    const a = [10, 0], b = [0, 10];
    expect(BigInt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2)).toBe(l2SensitivitySquared(10, true));
  });

  it("addNoise adds integer noise of the calibrated variance to every coordinate", () => {
    const g = gaussianWithSigma2(1n, { num: 400n, den: 1n });
    const v = new Array(20000).fill(1000);
    const out = addNoise(v, g, seededRandom("addNoise"));
    const d = [...out].map((x) => x - 1000);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const variance = d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1);
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(400 / d.length));
    expect(Math.abs(variance - 400)).toBeLessThan(5 * 400 * Math.sqrt(2 / d.length));
    expect(addNoise(v.slice(0, 5), { mechanism: "none" }, seededRandom("x"))).toEqual(Int32Array.from(v.slice(0, 5)));
  });
});
