/**
 * Shamir sharing of degree t among n parties at the evaluation points 1..n,
 * and reconstruction that refuses shares not on one degree-t polynomial.
 *
 * With n ≥ 2t + 1 and at most t wrong shares, the n − t ≥ t + 1 honest shares
 * fix the polynomial, so any wrong share is off it and is detected (never
 * corrected: n = 3, t = 1 cannot tell which share is wrong, which would need
 * n ≥ 3t + 1).
 */
import { ShamirLimit } from "../../generated/private-protocol.ts";
import { fail } from "./errors.ts";
import { F, randomElement, type RandomSource } from "./field.ts";

export interface Scheme {
  readonly n: number;
  readonly t: number;
  /** λ_i: Σ λ_i·f(i) over all n points is f(0) for every f of degree ≤ n − 1 (used on degree-2t products). */
  readonly lambdaAll: readonly bigint[];
  /** Σ first[i]·f(i+1) over points 1..t+1 is f(0) for f of degree ≤ t. */
  readonly lambdaFirst: readonly bigint[];
  /** predict[j][i]: Σ_i predict[j][i]·f(i+1) over points 1..t+1 is f(t+2+j), for the degree check. */
  readonly predict: readonly (readonly bigint[])[];
}

/** Lagrange coefficients at x for the points xs: Π_{m≠i} (x − x_m)/(x_i − x_m). */
function lagrange(xs: readonly bigint[], x: bigint): bigint[] {
  return xs.map((xi, i) => {
    let num = F.ONE, den = F.ONE;
    xs.forEach((xm, m) => {
      if (m === i) return;
      num = F.mul(num, F.create(x - xm));
      den = F.mul(den, F.create(xi - xm));
    });
    return F.div(num, den);
  });
}

const cache = new Map<string, Scheme>();

export function scheme(n: number, t: number): Scheme {
  if (!Number.isInteger(n) || !Number.isInteger(t) || t < 1 || 2 * t + 1 > n || n > ShamirLimit.MAX_PARTIES) {
    fail("PARAMETERS_INVALID", `n = ${n}, t = ${t}: need 1 ≤ t and 2t + 1 ≤ n ≤ ${ShamirLimit.MAX_PARTIES}`);
  }
  const key = `${n}/${t}`;
  let s = cache.get(key);
  if (!s) {
    const all = Array.from({ length: n }, (_, i) => BigInt(i + 1));
    const first = all.slice(0, t + 1);
    s = {
      n,
      t,
      lambdaAll: lagrange(all, 0n),
      lambdaFirst: lagrange(first, 0n),
      predict: all.slice(t + 1).map((x) => lagrange(first, x)),
    };
    cache.set(key, s);
  }
  return s;
}

/** Coefficients c_1..c_t of a fresh random polynomial (c_0 is the secret). */
export function randomCoefficients(t: number, rng: RandomSource): bigint[] {
  return Array.from({ length: t }, () => randomElement(rng));
}

/** f(x) for f = secret + Σ c_k x^k (Horner). */
export function evaluate(secret: bigint, coeffs: readonly bigint[], x: number): bigint {
  const X = BigInt(x);
  let acc = F.ZERO;
  for (let k = coeffs.length - 1; k >= 0; k--) acc = F.add(F.mul(acc, X), coeffs[k]);
  return F.add(F.mul(acc, X), secret);
}

/** The n shares f(1)..f(n) of `secret` on a fresh random degree-t polynomial. */
export function share(secret: bigint, s: Scheme, rng: RandomSource): bigint[] {
  const c = randomCoefficients(s.t, rng);
  return Array.from({ length: s.n }, (_, i) => evaluate(secret, c, i + 1));
}

/** True when the n shares lie on one polynomial of degree ≤ t. */
export function consistent(shares: readonly bigint[], s: Scheme): boolean {
  for (let j = 0; j < s.predict.length; j++) {
    let v = F.ZERO;
    for (let i = 0; i <= s.t; i++) v = F.add(v, F.mul(s.predict[j][i], shares[i]));
    if (v !== shares[s.t + 1 + j]) return false;
  }
  return true;
}

/** f(0) from all n shares, after the degree check; `what` names the value in the error. */
export function reconstruct(shares: readonly bigint[], s: Scheme, what: string): bigint {
  if (shares.length !== s.n) fail("SHARE_COUNT_MISMATCH", `${what}: ${shares.length} shares for n = ${s.n}`);
  if (!consistent(shares, s)) fail("SHARES_INCONSISTENT", `${what}: the ${s.n} shares are not on one polynomial of degree ${s.t}`);
  let v = F.ZERO;
  for (let i = 0; i <= s.t; i++) v = F.add(v, F.mul(s.lambdaFirst[i], shares[i]));
  return v;
}
