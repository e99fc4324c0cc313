/**
 * Noise mechanisms on integer vectors (a fixed-point grid): the L2 / L1
 * clip that makes the sensitivity known, calibration of the noise to a
 * target (ε, δ), and the noisy release with its privacy charge.
 *
 * The clip is enforced on the integers themselves, with an exact integer
 * check, so the sensitivity the accountant relies on does not depend on any
 * floating-point clip upstream (the model's own float clip only keeps the
 * values in the range the model was trained on).
 */
import { RandomBytes, type RandomSource } from "./random.ts";
import { sampleDiscreteGaussian, sampleDiscreteLaplace, isqrt, type Rational } from "./samplers.ts";
import { epsilonToRho, type Conversion, type PrivacyCharge } from "./accountant.ts";

/** Σ vᵢ² as a BigInt (exact for any integer values). */
export function sumSquares(v: ArrayLike<number>): bigint {
  let s = 0n;
  for (let i = 0; i < v.length; i++) {
    const x = BigInt(v[i]);
    s += x * x;
  }
  return s;
}

export function sumAbs(v: ArrayLike<number>): bigint {
  let s = 0n;
  for (let i = 0; i < v.length; i++) s += BigInt(Math.abs(v[i]));
  return s;
}

/** Shrinks the entry of largest magnitude toward zero by one until `ok` holds (terminates: every step lowers Σ|vᵢ|). */
function shrinkUntil(out: Int32Array, ok: () => boolean): void {
  while (!ok()) {
    let j = 0;
    for (let i = 1; i < out.length; i++) if (Math.abs(out[i]) > Math.abs(out[j])) j = i;
    out[j] -= Math.sign(out[j]);
  }
}

/**
 * Clips integer values to ‖v‖₂ ≤ bound (an integer): scales toward zero by
 * bound/‖v‖₂ (truncating), then fixes any float rounding by shrinking, so
 * Σvᵢ² ≤ bound² holds exactly. Signs are kept, so a non-negative input stays
 * non-negative.
 */
export function clipL2Int(v: ArrayLike<number>, bound: number): Int32Array {
  const out = Int32Array.from(v as ArrayLike<number>);
  const b2 = BigInt(bound) * BigInt(bound);
  const ss = sumSquares(out);
  if (ss <= b2) return out;
  const r = bound / Math.sqrt(Number(ss));
  for (let i = 0; i < out.length; i++) out[i] = Math.trunc(out[i] * r);
  shrinkUntil(out, () => sumSquares(out) <= b2);
  return out;
}

/** The same for ‖v‖₁ ≤ bound. */
export function clipL1Int(v: ArrayLike<number>, bound: number): Int32Array {
  const out = Int32Array.from(v as ArrayLike<number>);
  const b = BigInt(bound);
  const s = sumAbs(out);
  if (s <= b) return out;
  const r = bound / Number(s);
  for (let i = 0; i < out.length; i++) out[i] = Math.trunc(out[i] * r);
  shrinkUntil(out, () => sumAbs(out) <= b);
  return out;
}

/**
 * L2 sensitivity of an integer vector clipped to ‖v‖₂ ≤ B: 2B in general,
 * √2·B when every value is ≥ 0 (post-ReLU: ‖v − v'‖² = ‖v‖² + ‖v'‖² − 2⟨v, v'⟩ ≤ 2B²).
 * Returned as Δ² (exact integer).
 */
export function l2SensitivitySquared(bound: number, nonNegative: boolean): bigint {
  const b2 = BigInt(bound) * BigInt(bound);
  return nonNegative ? 2n * b2 : 4n * b2;
}

/** L1 sensitivity of an integer vector clipped to ‖v‖₁ ≤ B: 2B (also for non-negative values). */
export const l1Sensitivity = (bound: number): bigint => 2n * BigInt(bound);

export interface GaussianNoise {
  readonly mechanism: "discrete-gaussian";
  /** σ² in grid units², exact. */
  readonly sigma2: Rational;
  /** Δ² in grid units², exact. */
  readonly sensitivitySquared: bigint;
  /** ρ = Δ²/(2σ²) of one release. */
  readonly rho: number;
}

export interface LaplaceNoise {
  readonly mechanism: "discrete-laplace";
  /** Scale b in grid units, exact. */
  readonly scale: Rational;
  readonly sensitivity: bigint;
  /** ε = Δ₁/b of one release (pure DP). */
  readonly epsilon: number;
}

export type Noise = GaussianNoise | LaplaceNoise | { readonly mechanism: "none" };

/** Denominator of the rational σ² and b: fine enough that rounding up costs < 1e-6 relative noise. */
const GRID_DEN = 1n << 20n;

function ceilRational(x: number): Rational {
  // x · 2^20 rounded up to an integer, from its exact float value (x is finite and positive).
  const scaled = x * Number(GRID_DEN);
  if (!Number.isFinite(scaled) || scaled <= 0) throw new RangeError(`noise parameter ${x} is not a positive finite number`);
  return { num: BigInt(Math.ceil(scaled)), den: GRID_DEN };
}

/** ρ = Δ²/(2σ²) from exact integers, evaluated in float64 rounded upward by one ulp-scale margin. */
function rhoOf(sens2: bigint, sigma2: Rational): number {
  // Δ²·den / (2·num); the relative margin covers the float division's rounding.
  return (Number(sens2 * sigma2.den) / Number(2n * sigma2.num)) * (1 + 1e-12);
}

/**
 * The discrete Gaussian that makes one release (ε, δ)-DP: ρ from the target by
 * the chosen conversion, then σ² = Δ²/(2ρ) rounded up on a 2^−20 grid (more
 * noise, never less); the recorded ρ is that of the rounded σ².
 */
export function calibrateGaussian(sensitivitySquared: bigint, target: { epsilon: number; delta: number }, conversion: Conversion = "cks"): GaussianNoise {
  const rhoTarget = epsilonToRho(target.epsilon, target.delta, conversion);
  if (!(rhoTarget > 0)) throw new RangeError(`no ρ > 0 meets ε = ${target.epsilon}, δ = ${target.delta}`);
  // The 4e-12 headroom covers rhoOf's 1e-12 upward margin, so the recorded ρ never exceeds the target.
  const sigma2 = ceilRational((Number(sensitivitySquared) * (1 + 4e-12)) / (2 * rhoTarget));
  return { mechanism: "discrete-gaussian", sigma2, sensitivitySquared, rho: rhoOf(sensitivitySquared, sigma2) };
}

/** A discrete Gaussian with a given σ² (grid units²): its ρ for this sensitivity. */
export function gaussianWithSigma2(sensitivitySquared: bigint, sigma2: Rational): GaussianNoise {
  return { mechanism: "discrete-gaussian", sigma2, sensitivitySquared, rho: rhoOf(sensitivitySquared, sigma2) };
}

/** The discrete Laplace that makes one release pure ε-DP: b = Δ₁/ε rounded up. */
export function calibrateLaplace(sensitivity: bigint, epsilon: number): LaplaceNoise {
  const scale = ceilRational((Number(sensitivity) * (1 + 4e-12)) / epsilon);
  const eps = (Number(sensitivity * scale.den) / Number(scale.num)) * (1 + 1e-12);
  return { mechanism: "discrete-laplace", scale, sensitivity, epsilon: eps };
}

export function chargeOf(n: Noise): PrivacyCharge {
  if (n.mechanism === "discrete-gaussian") return { mechanism: "discrete-gaussian", rho: n.rho };
  if (n.mechanism === "discrete-laplace") return { mechanism: "discrete-laplace", epsilon: n.epsilon };
  return { mechanism: "none" };
}

/** Standard deviation of the noise in grid units (for people and reports; the sampler never uses it). */
export function noiseStd(n: Noise): number {
  if (n.mechanism === "discrete-gaussian") return Math.sqrt(Number(n.sigma2.num) / Number(n.sigma2.den));
  if (n.mechanism === "discrete-laplace") {
    const b = Number(n.scale.num) / Number(n.scale.den);
    const p = Math.exp(-1 / b);
    return Math.sqrt((2 * p) / (1 - p) ** 2);
  }
  return 0;
}

/** Largest magnitude a noisy value may have: the wire's i32 range. */
export const MAX_NOISY_MAGNITUDE = 0x7fffffff;

export class NoiseRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoiseRangeError";
  }
}

/**
 * Adds independent noise to every value (exact integer arithmetic); throws
 * NoiseRangeError if a sum leaves the i32 range (the caller must then refuse
 * to send, never clamp: clamping would change the mechanism).
 */
export function addNoise(v: ArrayLike<number>, noise: Noise, random: RandomSource | RandomBytes): Int32Array {
  const out = Int32Array.from(v as ArrayLike<number>);
  if (noise.mechanism === "none") return out;
  const rng = random instanceof RandomBytes ? random : new RandomBytes(random);
  for (let i = 0; i < out.length; i++) {
    const z = noise.mechanism === "discrete-gaussian" ? sampleDiscreteGaussian(rng, noise.sigma2) : sampleDiscreteLaplace(rng, noise.scale);
    const s = BigInt(out[i]) + z;
    if (s > BigInt(MAX_NOISY_MAGNITUDE) || s < -BigInt(MAX_NOISY_MAGNITUDE)) throw new NoiseRangeError(`noisy value ${s} outside the i32 range`);
    out[i] = Number(s);
  }
  return out;
}

/** ⌊√(Δ²)⌋ + 1 ≥ Δ: an integer upper bound on a sensitivity given as its square. */
export const sqrtCeil = (x2: bigint): bigint => {
  const r = isqrt(x2);
  return r * r === x2 ? r : r + 1n;
};
