/**
 * Sensitivity of the activations at a cut, in grid units, for the DP noise.
 *
 * - relu<k> (after layer k's ReLU and clip), L2-clipped model: the consumer
 *   clips the integer vector to ‖q‖₂ ≤ B = ⌊C·2^f⌋ and every value is ≥ 0, so
 *   any two inputs give ‖q − q'‖₂ ≤ √2·B (Δ² = 2B², exact). For the discrete
 *   Laplace the vector is also clipped to ‖q‖₁ ≤ B₁ = ⌊√d·B⌋ (implied by the
 *   L2 clip up to rounding), Δ₁ = 2B₁.
 * - relu<k>, L1-clipped model (the bottleneck models): the consumer clips to
 *   ‖q‖₁ ≤ B₁ = ⌊C·2^f⌋ on non-negative integers: Δ₁ = 2B₁ (‖q − q'‖₁ ≤
 *   ‖q‖₁ + ‖q'‖₁), and since ‖q‖₂ ≤ ‖q‖₁ ≤ B₁ also Δ₂ = √2·B₁ (Δ² = 2B₁²).
 * - pre1 (the first layer's pre-activation z = W₁x + b₁, to be computed under
 *   MPC, where no clip is possible): ‖z − z'‖₂ = ‖W₁(x − x')‖₂ ≤ ‖W₁‖₂·‖x − x'‖₂
 *   and with pixels in [0, 1]^n, ‖x − x'‖₂ ≤ √n. Rounding each coordinate to the
 *   grid adds at most 1/2 per coordinate to each vector: Δ ≤ 2^f·‖W₁‖₂·√n + √d.
 *   ‖W₁‖₂ is bounded from above (never estimated from below) by
 *   ‖(W₁W₁ᵀ)^(2^k)‖_F^(1/2^k) ≥ λ_max(W₁W₁ᵀ), computed by repeated squaring.
 */
import type { Mlp } from "./mlp.ts";

/** Power iteration on W Wᵀ: an estimate of ‖W‖₂ from below (for reporting next to the bound). */
export function spectralNormEstimate(w: Float32Array, rows: number, cols: number, iterations = 200): number {
  let v = new Float64Array(rows).fill(1 / Math.sqrt(rows));
  let lambda = 0;
  const tmp = new Float64Array(cols);
  for (let it = 0; it < iterations; it++) {
    tmp.fill(0);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) tmp[c] += w[r * cols + c] * v[r];
    const nv = new Float64Array(rows);
    for (let r = 0; r < rows; r++) { let s = 0; for (let c = 0; c < cols; c++) s += w[r * cols + c] * tmp[c]; nv[r] = s; }
    let n = 0;
    for (const x of nv) n += x * x;
    n = Math.sqrt(n);
    lambda = n;
    for (let r = 0; r < rows; r++) nv[r] /= n;
    v = nv;
  }
  return Math.sqrt(lambda);
}

/**
 * An upper bound on ‖W‖₂ for a rows × cols matrix (row-major): A = W Wᵀ in
 * float64, then k squarings with Frobenius normalisation; the bound is
 * ‖A^(2^k)‖_F^(1/2^k) ≤ λ_max·rows^(1/2^k), taken to the ½ power, times a
 * 1 + 1e-9 margin for float64 rounding.
 */
export function spectralNormUpperBound(w: Float32Array, rows: number, cols: number, squarings = 10): number {
  let a = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++) {
    for (let j = i; j < rows; j++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += w[i * cols + c] * w[j * cols + c];
      a[i * rows + j] = s;
      a[j * rows + i] = s;
    }
  }
  const frob = (m: Float64Array) => Math.sqrt(m.reduce((acc, x) => acc + x * x, 0));
  let logC = Math.log(frob(a));
  let f = frob(a);
  for (let i = 0; i < a.length; i++) a[i] /= f;
  for (let k = 1; k <= squarings; k++) {
    const b = new Float64Array(rows * rows);
    for (let i = 0; i < rows; i++) {
      for (let l = 0; l < rows; l++) {
        const x = a[i * rows + l];
        if (x === 0) continue;
        for (let j = 0; j < rows; j++) b[i * rows + j] += x * a[l * rows + j];
      }
    }
    f = frob(b);
    for (let i = 0; i < b.length; i++) b[i] /= f;
    logC = 2 * logC + Math.log(f);
    a = b;
  }
  const lambdaMax = Math.exp(logC / 2 ** squarings);
  return Math.sqrt(lambdaMax) * (1 + 1e-9);
}

export interface CutSensitivity {
  readonly cut: string;
  /** The norm the model's clip bounds ("l2" or "l1"); the consumer always enforces it on the integers. */
  readonly clipKind?: "l2" | "l1";
  /** Values at the cut are ≥ 0 (post-ReLU). */
  readonly nonNegative: boolean;
  /** Integer L2 clip bound B (grid units), or undefined where no clip is possible (pre1). */
  readonly l2ClipBound?: number;
  /** Integer L1 clip bound B₁ for the discrete Laplace, if the cut is clipped. */
  readonly l1ClipBound?: number;
  /** Δ² in grid units² (exact integer, an upper bound). */
  readonly l2SensitivitySquared: bigint;
  /** Δ₁ in grid units (integer, an upper bound). */
  readonly l1Sensitivity: bigint;
  /** For pre1: the bound and the estimate of ‖W₁‖₂ the sensitivity was computed from. */
  readonly spectral?: { readonly upper: number; readonly estimate: number };
  /** One line: how Δ was obtained. */
  readonly derivation: string;
}

/** Sensitivity at a clipped cut: clip bound C (real units), fixed point 2^−f, width d, clip norm. */
export function clippedCutSensitivity(clipNorm: number, fracBits: number, width: number, clipKind: "l2" | "l1" = "l2", cut = "relu1"): CutSensitivity {
  const b = Math.floor(clipNorm * 2 ** fracBits);
  if (clipKind === "l1") {
    return {
      cut,
      clipKind,
      nonNegative: true,
      l2ClipBound: b,
      l1ClipBound: b,
      l2SensitivitySquared: 2n * BigInt(b) * BigInt(b),
      l1Sensitivity: 2n * BigInt(b),
      derivation: `‖q‖₁ ≤ B₁ = ⌊${clipNorm}·2^${fracBits}⌋ = ${b} on ${width} non-negative integers: Δ₁ = 2B₁ = ${2 * b}; ‖q‖₂ ≤ ‖q‖₁ ≤ B₁: Δ₂ = √2·B₁ = ${(Math.SQRT2 * b).toFixed(1)}`,
    };
  }
  const b1 = Math.floor(Math.sqrt(width) * b);
  return {
    cut,
    clipKind,
    nonNegative: true,
    l2ClipBound: b,
    l1ClipBound: b1,
    l2SensitivitySquared: 2n * BigInt(b) * BigInt(b),
    l1Sensitivity: 2n * BigInt(b1),
    derivation: `‖q‖₂ ≤ B = ⌊${clipNorm}·2^${fracBits}⌋ = ${b} on non-negative integers: Δ₂ = √2·B = ${(Math.SQRT2 * b).toFixed(1)}; ‖q‖₁ ≤ B₁ = ⌊√${width}·B⌋ = ${b1}: Δ₁ = 2B₁ = ${2 * b1}`,
  };
}

/** Sensitivity at the pre1 cut from ‖W₁‖₂ and the input range [lo, hi]^n. */
export function preActivationSensitivity(m: Mlp, fracBits: number, inputRange: readonly [number, number] = [0, 1]): CutSensitivity {
  const L = m.layers[0];
  const upper = spectralNormUpperBound(L.w, L.outputs, L.inputs);
  const estimate = spectralNormEstimate(L.w, L.outputs, L.inputs);
  const inputDiameter = Math.sqrt(L.inputs) * (inputRange[1] - inputRange[0]);
  const d = L.outputs;
  const delta = 2 ** fracBits * upper * inputDiameter + Math.sqrt(d);
  // Square rounded up, with margin for the float64 product.
  const delta2 = BigInt(Math.ceil(delta * delta * (1 + 1e-12)));
  const delta1 = BigInt(Math.ceil(Math.sqrt(d) * delta * (1 + 1e-12)));
  return {
    cut: "pre1",
    nonNegative: false,
    l2SensitivitySquared: delta2,
    l1Sensitivity: delta1,
    spectral: { upper, estimate },
    derivation: `Δ₂ ≤ 2^${fracBits}·‖W₁‖₂·√${L.inputs}·${inputRange[1] - inputRange[0]} + √${d} with ‖W₁‖₂ ≤ ${upper.toFixed(4)} (power-iteration estimate ${estimate.toFixed(4)}): Δ₂ = ${delta.toFixed(1)} grid units; Δ₁ ≤ √${d}·Δ₂`,
  };
}
