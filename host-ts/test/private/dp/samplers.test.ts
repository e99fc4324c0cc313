/**
 * The exact samplers against their analytic distributions: mean and variance
 * with bounds of 5 standard errors (each bound's standard error computed from
 * the analytic fourth moment), a χ² goodness-of-fit test on the pmf, and
 * negative controls showing the same checks reject a sampler whose variance
 * is 5–10 % off. The seeded byte stream makes every run draw the same samples;
 * one run on the OS CSPRNG uses 6 standard errors.
 */
import { describe, expect, it } from "vitest";
import { RandomBytes, cryptoRandom, seededRandom } from "../../../src/private/dp/random.ts";
import {
  bernoulliExpNeg, discreteGaussianMoment, discreteLaplaceMoment, discreteLaplaceVariance, isqrt,
  sampleDiscreteGaussian, sampleDiscreteLaplace, type Rational,
} from "../../../src/private/dp/samplers.ts";

interface Moments { mean: number; variance: number }
function moments(xs: number[]): Moments {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  return { mean, variance: xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) };
}

/** True when mean and variance are within k standard errors of the analytic values. */
function momentsAgree(xs: number[], variance: number, fourth: number, k: number): { ok: boolean; meanZ: number; varZ: number } {
  const m = moments(xs);
  const n = xs.length;
  const meanZ = m.mean / Math.sqrt(variance / n);
  const varZ = (m.variance - variance) / Math.sqrt((fourth - variance * variance) / n);
  return { ok: Math.abs(meanZ) < k && Math.abs(varZ) < k, meanZ, varZ };
}

function draw(n: number, f: () => bigint): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = Number(f());
  return out;
}

const N = 40_000;
const gauss = (rng: RandomBytes, s2: bigint, den = 1n) => () => sampleDiscreteGaussian(rng, { num: s2, den } as Rational);

describe("discrete Gaussian N_ℤ(0, σ²) (CKS20 Algorithm 3)", () => {
  for (const s2 of [1, 100, 10_000]) {
    it(`σ² = ${s2}: mean 0 and the analytic variance within 5 standard errors (n = ${N}, seeded)`, () => {
      const xs = draw(N, gauss(new RandomBytes(seededRandom(`dg-${s2}`)), BigInt(s2)));
      const v = discreteGaussianMoment(s2, 2), m4 = discreteGaussianMoment(s2, 4);
      // The discrete Gaussian's variance is just below σ² (CKS20 Prop. 19); at σ² ≥ 1 the gap is < 1e-6.
      expect(v).toBeLessThanOrEqual(s2 * (1 + 1e-12)); // summation rounding only
      expect(v).toBeGreaterThan(s2 * (1 - 1e-6));
      const r = momentsAgree(xs, v, m4, 5);
      expect(r.ok, `mean z ${r.meanZ.toFixed(2)}, variance z ${r.varZ.toFixed(2)}`).toBe(true);
    });
  }

  it("a rational σ² = 5/2 has the variance of N_ℤ(0, 2.5)", () => {
    const xs = draw(N, gauss(new RandomBytes(seededRandom("dg-2.5")), 5n, 2n));
    const r = momentsAgree(xs, discreteGaussianMoment(2.5, 2), discreteGaussianMoment(2.5, 4), 5);
    expect(r.ok, `mean z ${r.meanZ.toFixed(2)}, variance z ${r.varZ.toFixed(2)}`).toBe(true);
  });

  it("σ² = 1: the pmf passes a χ² goodness-of-fit test (bins −4..4 and two tails, p > 1e-6)", () => {
    const xs = draw(N, gauss(new RandomBytes(seededRandom("dg-chi")), 1n));
    const pmf = (x: number) => Math.exp(-(x * x) / 2);
    let z = 0;
    for (let x = -60; x <= 60; x++) z += pmf(x);
    const bins = new Map<number, number>();
    for (const x of xs) { const b = Math.max(-5, Math.min(5, x)); bins.set(b, (bins.get(b) ?? 0) + 1); }
    let chi2 = 0;
    for (let b = -5; b <= 5; b++) {
      let p = 0;
      if (b === -5) for (let x = -60; x <= -5; x++) p += pmf(x) / z;
      else if (b === 5) for (let x = 5; x <= 60; x++) p += pmf(x) / z;
      else p = pmf(b) / z;
      const e = p * N;
      chi2 += ((bins.get(b) ?? 0) - e) ** 2 / e;
    }
    // 10 degrees of freedom: P[χ² > 45] ≈ 2e-6 (the tail bins hold ≈ 23 expected counts each).
    expect(chi2).toBeLessThan(45);
  });

  it("negative control: the same check rejects σ² = 105 samples tested as σ² = 100", () => {
    const xs = draw(N, gauss(new RandomBytes(seededRandom("dg-neg")), 105n));
    expect(momentsAgree(xs, discreteGaussianMoment(100, 2), discreteGaussianMoment(100, 4), 5).ok).toBe(false);
  });

  it("on the OS CSPRNG: σ² = 100 within 6 standard errors", () => {
    const xs = draw(N, gauss(new RandomBytes(cryptoRandom()), 100n));
    expect(momentsAgree(xs, discreteGaussianMoment(100, 2), discreteGaussianMoment(100, 4), 6).ok).toBe(true);
  });

  it("is reproducible from a seed and differs across seeds", () => {
    const a = draw(200, gauss(new RandomBytes(seededRandom("s")), 100n));
    const b = draw(200, gauss(new RandomBytes(seededRandom("s")), 100n));
    const c = draw(200, gauss(new RandomBytes(seededRandom("t")), 100n));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe("discrete Laplace (CKS20 Algorithm 2)", () => {
  it("scale 10: mean 0, variance 2p/(1−p)² ≈ 199.83 within 5 standard errors", () => {
    const rng = new RandomBytes(seededRandom("dl-10"));
    const xs = draw(N, () => sampleDiscreteLaplace(rng, { num: 10n, den: 1n }));
    const v = discreteLaplaceVariance(10);
    expect(v).toBeCloseTo(199.8334, 3);
    expect(discreteLaplaceMoment(10, 2)).toBeCloseTo(v, 6);
    const r = momentsAgree(xs, v, discreteLaplaceMoment(10, 4), 5);
    expect(r.ok, `mean z ${r.meanZ.toFixed(2)}, variance z ${r.varZ.toFixed(2)}`).toBe(true);
  });

  it("a rational scale 7/3 has the analytic variance", () => {
    const rng = new RandomBytes(seededRandom("dl-7/3"));
    const xs = draw(N, () => sampleDiscreteLaplace(rng, { num: 7n, den: 3n }));
    const r = momentsAgree(xs, discreteLaplaceVariance(7 / 3), discreteLaplaceMoment(7 / 3, 4), 5);
    expect(r.ok, `mean z ${r.meanZ.toFixed(2)}, variance z ${r.varZ.toFixed(2)}`).toBe(true);
  });

  it("scale 10: P[X = 0] and P[|X| = 1..3] match the pmf (binomial bounds, 5 standard errors)", () => {
    const rng = new RandomBytes(seededRandom("dl-pmf"));
    const xs = draw(N, () => sampleDiscreteLaplace(rng, { num: 10n, den: 1n }));
    const p = Math.exp(-0.1);
    const c = (1 - p) / (1 + p);
    for (const k of [0, 1, 2, 3]) {
      const pk = c * p ** k * (k === 0 ? 1 : 2);
      const count = xs.filter((x) => Math.abs(x) === k).length;
      expect(Math.abs(count - N * pk)).toBeLessThan(5 * Math.sqrt(N * pk * (1 - pk)));
    }
  });

  it("negative control: scale 11 is rejected when tested as scale 10", () => {
    const rng = new RandomBytes(seededRandom("dl-neg"));
    const xs = draw(N, () => sampleDiscreteLaplace(rng, { num: 11n, den: 1n }));
    expect(momentsAgree(xs, discreteLaplaceVariance(10), discreteLaplaceMoment(10, 4), 5).ok).toBe(false);
  });
});

describe("Bernoulli(exp(−γ)) (CKS20 Algorithm 1) and helpers", () => {
  for (const [num, den] of [[1n, 3n], [5n, 2n], [0n, 1n], [7n, 1n]] as const) {
    it(`γ = ${num}/${den}: frequency of true within 5 standard errors of exp(−γ)`, () => {
      const rng = new RandomBytes(seededRandom(`bexp-${num}-${den}`));
      const p = Math.exp(-Number(num) / Number(den));
      let hits = 0;
      for (let i = 0; i < N; i++) if (bernoulliExpNeg(rng, num, den)) hits++;
      expect(Math.abs(hits - N * p)).toBeLessThanOrEqual(5 * Math.sqrt(N * p * (1 - p)));
    });
  }

  it("uniform integers below n are unbiased (n = 3, 10, 2^40 + 3) and never reach n", () => {
    const rng = new RandomBytes(seededRandom("below"));
    for (const n of [3n, 10n]) {
      const counts = new Array<number>(Number(n)).fill(0);
      for (let i = 0; i < 30_000; i++) counts[Number(rng.below(n))]++;
      const e = 30_000 / Number(n);
      for (const c of counts) expect(Math.abs(c - e)).toBeLessThan(5 * Math.sqrt(e));
    }
    const big = (1n << 40n) + 3n;
    for (let i = 0; i < 2000; i++) { const v = rng.below(big); expect(v >= 0n && v < big).toBe(true); }
    const huge = (1n << 130n) + 17n;
    let top = 0;
    for (let i = 0; i < 2000; i++) { const v = rng.below(huge); expect(v < huge).toBe(true); if (v >= 1n << 129n) top++; }
    expect(Math.abs(top - 1000)).toBeLessThan(5 * Math.sqrt(500));
  });

  it("isqrt is exact around squares and for large values", () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, (1n << 80n) - 1n, 1n << 80n, 10n ** 40n + 1n]) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
  });
});
