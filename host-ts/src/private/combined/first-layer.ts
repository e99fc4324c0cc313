/**
 * The first layer of the split MNIST model as a SecretShared program: the
 * shareholders compute z = W₁·x + b₁ (+ noise) on shares of the pixels, with
 * the public weights in the program (a local matrix-vector product, no round
 * between providers). This is everything up to the pre1 cut: ReLU and the L2
 * clip are comparisons, which under MPC need bit decomposition and many
 * rounds, so they stay with the middle (docs/PRIVATE.md §1.2).
 *
 * Fixed point (PRIVATE.md §2.4): pixels and weights at 2^−16 (the builder's
 * default), so z is reconstructed exactly at 2^−32; the bias is rounded at
 * 2^−32. DP noise n (an integer on the cut grid 2^−cutFracBits, drawn by the
 * consumer) is an input at the output scale, n·2^(32 − cutFracBits), so
 * rounding the reconstructed value to the cut grid gives round(z·2^f) + n
 * exactly: the same integers the split consumer would send for this z.
 *
 * The sensitivity is that of the weights the MPC multiplies by (rounded to
 * 2^−16), not of the float weights: ‖W̃₁‖₂ can exceed ‖W₁‖₂ by up to
 * ‖W̃₁ − W₁‖_F ≤ 2^−17·√(rows·cols).
 */
import { linearLayer, type BuiltProgram } from "../shamir/index.ts";
import { encodeFixed } from "../shamir/fixed-point.ts";
import type { Mlp, DenseLayer } from "../split/mlp.ts";
import type { SplitModel } from "../split/parts.ts";
import { preActivationSensitivity, type CutSensitivity } from "../split/sensitivity.ts";
import { combinedFail } from "./errors.ts";

/** Fractional bits of pixels and weights in the MPC (the shamir builder's default). */
export const SHARED_FRAC_BITS = 16;
/** Largest |noise| on the cut grid: the split tensors are I32. */
const NOISE_LIMIT = 0x7fffffffn;

/** Bits between the program's output scale (2·SHARED_FRAC_BITS) and the model's cut grid. */
export function cutShift(model: SplitModel): number {
  const s = 2 * SHARED_FRAC_BITS - model.descriptor.cutFracBits;
  if (s < 0) combinedFail("COMBINED_CUT_MISMATCH", `cutFracBits ${model.descriptor.cutFracBits} is finer than the MPC's 2^-${2 * SHARED_FRAC_BITS}`);
  return s;
}

/** Split + SecretShared computes the pre1 cut; any other cut is refused (COMBINED_CUT_MISMATCH). */
export function requirePre1(model: SplitModel): void {
  if (model.descriptor.cut !== "pre1") combinedFail("COMBINED_CUT_MISMATCH", `Split + SecretShared needs the pre1 cut, the model is cut at ${model.descriptor.cut}`);
  if (model.mlp.layers[0].outputs !== model.descriptor.cutWidth) combinedFail("COMBINED_CUT_MISMATCH", "the first layer's width is not the cut width");
}

/** Layer 1 as the MPC computes it: weights round(w·2^16)/2^16, bias round(b·2^32)/2^32 (both exact in float64; weights exact in float32). */
export function fixedPointFirstLayer(mlp: Mlp): DenseLayer {
  const L = mlp.layers[0];
  const f = SHARED_FRAC_BITS;
  const w = Float32Array.from(L.w, (v) => Number(encodeFixed(v, f)) / 2 ** f);
  const b = Float32Array.from(L.b, (v) => Number(encodeFixed(v, 2 * f)) / 2 ** (2 * f));
  return { inputs: L.inputs, outputs: L.outputs, w, b };
}

/** The pre1 sensitivity (grid units) of the layer the MPC multiplies by, for pixels in [0, 1]. */
export function sharedCutSensitivity(model: SplitModel): CutSensitivity {
  requirePre1(model);
  const mlp = model.mlp;
  return preActivationSensitivity({ spec: mlp.spec, layers: [fixedPointFirstLayer(mlp), ...mlp.layers.slice(1)] }, model.descriptor.cutFracBits);
}

/**
 * The program of layer 1 for one image. Inputs (consumer): the 784 pixels
 * (|x| ≤ 1 at 2^−16), then, when `noise`, one integer per row at 2^−32
 * (|n·2^shift| ≤ (2^31 − 1)·2^shift). Outputs: z₁..z₁₂₈ (+ noise) at 2^−32.
 * Deterministic: the same model and flag give the same program bytes, so a
 * shareholder can agree to exactly these digests.
 */
export function firstLayerProgram(model: SplitModel, opts: { readonly noise: boolean }): BuiltProgram {
  requirePre1(model);
  const L = model.mlp.layers[0];
  const W = Array.from({ length: L.outputs }, (_, i) => Array.from(L.w.subarray(i * L.inputs, (i + 1) * L.inputs)));
  const noiseBound = opts.noise ? NOISE_LIMIT << BigInt(cutShift(model)) : undefined;
  return linearLayer(W, Array.from(L.b), 1, { fracBits: SHARED_FRAC_BITS, noiseBound });
}

/** The digests (Blake3-256 of the program bytes) a shareholder agrees to run for this model: without and with noise. */
export function agreedFirstLayerDigests(model: SplitModel): Uint8Array[] {
  return [false, true].map((noise) => firstLayerProgram(model, { noise }).analysis.digest);
}
