/**
 * Exact samplers of Canonne, Kamath and Steinke, "The Discrete Gaussian for
 * Differential Privacy" (NeurIPS 2020), Algorithms 1–3: Bernoulli(exp(−γ)),
 * the discrete Laplace and the discrete Gaussian on ℤ, for rational
 * parameters, in BigInt arithmetic, from uniform integers drawn by rejection.
 *
 * No floating-point number is touched on the way from random bytes to a
 * sample, so the output distribution is exactly the stated one: the attack of
 * Mironov (CCS 2012) on floating-point Laplace noise, which reads the true
 * value off the low-order bits of the noisy one, has nothing to read.
 *
 * Sampling time depends on the random draws (rejection loops); it does not
 * depend on the value the noise is added to. BigInt arithmetic is not
 * constant-time; the only secret-independent inputs here are the parameters.
 */
import { RandomBytes } from "./random.ts";

/** A non-negative rational num/den with den ≥ 1. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

export const rational = (num: bigint | number, den: bigint | number = 1n): Rational => {
  const n = BigInt(num), d = BigInt(den);
  if (d <= 0n || n < 0n) throw new RangeError(`rational ${n}/${d}: need num ≥ 0, den ≥ 1`);
  return { num: n, den: d };
};

export function rationalToNumber(r: Rational): number {
  return Number(r.num) / Number(r.den);
}

/** Bernoulli(num/den) for 0 ≤ num ≤ den. */
export function bernoulli(rng: RandomBytes, num: bigint, den: bigint): boolean {
  return rng.below(den) < num;
}

/** Algorithm 1: Bernoulli(exp(−γ)) for rational γ = num/den ≥ 0. */
export function bernoulliExpNeg(rng: RandomBytes, num: bigint, den: bigint): boolean {
  if (num <= den) {
    // γ ∈ [0, 1]: K counts successes of Bernoulli(γ/k) for k = 1, 2, …; P[K odd] = exp(−γ).
    let k = 1n;
    while (bernoulli(rng, num, den * k)) k++;
    return (k & 1n) === 1n;
  }
  // γ > 1: exp(−γ) = exp(−1)^⌊γ⌋ · exp(−(γ − ⌊γ⌋)).
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!bernoulliExpNeg(rng, 1n, 1n)) return false;
  return bernoulliExpNeg(rng, num - whole * den, den);
}

/**
 * Algorithm 2: the discrete Laplace distribution with scale b = scale.num / scale.den > 0,
 * P[X = x] = (e^{1/b} − 1)/(e^{1/b} + 1) · e^{−|x|/b} for x ∈ ℤ.
 */
export function sampleDiscreteLaplace(rng: RandomBytes, scale: Rational): bigint {
  const t = scale.num, s = scale.den;
  if (t <= 0n) throw new RangeError("discrete Laplace: scale must be positive");
  for (;;) {
    const u = rng.below(t);
    if (!bernoulliExpNeg(rng, u, t)) continue;
    let v = 0n;
    while (bernoulliExpNeg(rng, 1n, 1n)) v++;
    const y = (u + t * v) / s;
    const negative = bernoulli(rng, 1n, 2n);
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/** ⌊√n⌋ for n ≥ 0 (Newton's method on BigInt). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new RangeError("isqrt of a negative number");
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // The float guess can be off by a few units for large n; Newton and a final fix make it exact.
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/**
 * Algorithm 3: the discrete Gaussian N_ℤ(0, σ²) for rational σ² = sigma2.num / sigma2.den > 0,
 * P[X = x] ∝ exp(−x²/(2σ²)), by rejection from the discrete Laplace with scale t = ⌊σ⌋ + 1.
 */
export function sampleDiscreteGaussian(rng: RandomBytes, sigma2: Rational): bigint {
  const { num, den } = sigma2;
  if (num <= 0n) throw new RangeError("discrete Gaussian: σ² must be positive");
  const t = isqrt(num / den) + 1n; // ⌊√(num/den)⌋ = ⌊√⌊num/den⌋⌋
  const lap = { num: t, den: 1n };
  // Accept Y with probability exp(−(|Y| − σ²/t)² / (2σ²)) = exp(−(|Y|·den·t − num)² / (2·num·den·t²)).
  const gammaDen = 2n * num * den * t * t;
  for (;;) {
    const y = sampleDiscreteLaplace(rng, lap);
    const a = (y < 0n ? -y : y) * den * t - num;
    if (bernoulliExpNeg(rng, a * a, gammaDen)) return y;
  }
}

// ---- analytic moments (float; reference values for tests and documentation) ----------------

/** Variance of the discrete Laplace with scale b: 2p/(1 − p)² with p = e^{−1/b}. */
export function discreteLaplaceVariance(b: number): number {
  const p = Math.exp(-1 / b);
  return (2 * p) / (1 - p) ** 2;
}

/** E[X^k] of N_ℤ(0, σ²) for even k, by direct summation of the pmf (terms beyond 40σ are < 1e-300). */
export function discreteGaussianMoment(sigma2: number, k: number): number {
  const lim = Math.ceil(40 * Math.sqrt(sigma2)) + 2;
  let z = 1, s = 0;
  for (let x = 1; x <= lim; x++) {
    const w = Math.exp(-(x * x) / (2 * sigma2));
    z += 2 * w;
    s += 2 * w * x ** k;
  }
  return s / z;
}

/** E[X^k] of the discrete Laplace with scale b for even k, by summation. */
export function discreteLaplaceMoment(b: number, k: number): number {
  const p = Math.exp(-1 / b);
  const lim = Math.ceil(800 * b) + 2;
  let z = 1, s = 0;
  for (let x = 1; x <= lim; x++) {
    const w = p ** x;
    z += 2 * w;
    s += 2 * w * x ** k;
  }
  return s / z;
}
