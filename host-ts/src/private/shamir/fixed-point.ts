/**
 * Fixed-point values on the field. A real x is carried as the integer
 * X = round(x · 2^s) for a scale of s fractional bits, and X as the field
 * element X mod p (negative X as p + X), so additions and multiplications of
 * field elements are additions and multiplications of the integers as long as
 * no |X| passes (p − 1)/2. The builder proves that bound for every value before
 * the program runs (FIXED_POINT_OVERFLOW otherwise), so wrap-around never
 * happens at run time.
 *
 * No truncation inside the computation: a product of scales s and s' has scale
 * s + s', and the consumer divides by 2^scale (and any public divisor, e.g. n
 * for a mean) after reconstruction, exactly, as a fraction. Why: probabilistic
 * truncation needs shared random bits from a dealer or extra rounds and is
 * off by one ulp with some probability; the workloads of this tier have
 * multiplicative depth ≤ 2 on fixed-point values, which 2^126 holds exactly.
 */
import { fail } from "./errors.ts";

/** An exact rational num/den, den > 0. */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

export function fraction(num: bigint, den: bigint): Fraction {
  if (den === 0n) throw new RangeError("zero denominator");
  if (den < 0n) { num = -num; den = -den; }
  const g = gcd(num < 0n ? -num : num, den);
  return { num: num / g, den: den / g };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

export function fractionEquals(a: Fraction, b: Fraction): boolean {
  return a.num * b.den === b.num * a.den;
}

/** The nearest double (for display and tolerance checks; comparisons in tests use the exact fraction). */
export function fractionToNumber(f: Fraction): number {
  const neg = f.num < 0n;
  let num = neg ? -f.num : f.num, den = f.den;
  // Bring both under 2^1000 so Number() neither overflows nor loses the ratio.
  const shift = Math.max(0, Math.max(num.toString(2).length, den.toString(2).length) - 1000);
  num >>= BigInt(shift);
  den >>= BigInt(shift);
  const v = den === 0n ? Infinity : Number(num) / Number(den);
  return neg ? -v : v;
}

/**
 * round(x · 2^s), rounding to nearest with ties to even. Exact: multiplying a
 * double by a power of two is exact (no underflow for s ≥ 0) and the split
 * into floor and fraction is exact.
 */
export function encodeFixed(x: number, s: number): bigint {
  if (!Number.isFinite(x)) fail("INPUT_NOT_FINITE", `value ${x} is not finite`);
  const v = x * 2 ** s;
  if (!Number.isFinite(v)) fail("INPUT_OUT_OF_RANGE", `value ${x} · 2^${s} overflows a double`);
  const fl = Math.floor(v);
  const frac = v - fl;
  let r = BigInt(fl);
  if (frac > 0.5 || (frac === 0.5 && (r & 1n) === 1n)) r += 1n;
  return r;
}

/** x as an exact fraction of the fixed-point integer X at scale s. */
export function decodeFixed(X: bigint, s: number, divisor = 1n): Fraction {
  return fraction(X, (1n << BigInt(s)) * divisor);
}
