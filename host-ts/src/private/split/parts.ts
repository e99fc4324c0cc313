/**
 * A model cut into head (consumer), middle (provider) and tail (consumer),
 * with the descriptor both sides agree on. The committed whole model
 * (models/mnist/*.onnx) is the only stored copy of the weights; the parts
 * are cut from it deterministically, so their hashes are fixed by it.
 *
 * Cuts of the MLP (tensor names of onnx-model.ts):
 * - relu<k>, k = the model's clip layer: head = layers 1..k + ReLU + clip
 *   (input → c<k>); the provider gets the clipped activations. relu1 for
 *   mnist-mlp (the 128-wide first layer, L2 clip); relu2 for the bottleneck
 *   models (784-128-10 head, L1 clip to a 10-wide cut). The cut's width is
 *   a property of the model (descriptor.cutWidth), not of the protocol.
 * - pre1: head = layer 1's affine map only (input → z1); the provider gets
 *   the pre-activation (+ noise) and runs ReLU and the clip itself. This is
 *   the cut of Split + SecretShared, where z1 = W₁x + b₁ is computed by MPC.
 * In both, the middle ends at the penultimate ReLU and the tail is the last
 * layer (logits).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { blake3 } from "@noble/hashes/blake3.js";
import { INPUT, LOGITS, extractPart, mlpFromOnnx, tensor } from "./onnx-model.ts";
import { descriptorId, type ModelDescriptor } from "./messages.ts";
import type { Mlp } from "./mlp.ts";

export type CutName = `relu${number}` | "pre1";
export const CUT_NAMES: readonly CutName[] = ["relu1", "pre1"];

/** The clipped cut of a model: relu<clip layer>. */
export const clippedCut = (m: Mlp): CutName => `relu${m.spec.clipLayer}`;

/** True for a relu<k> (clipped) cut. */
export const isClippedCut = (cut: string): boolean => /^relu[1-9][0-9]*$/.test(cut);

export interface SplitModel {
  readonly whole: Uint8Array;
  readonly head: Uint8Array;
  readonly middle: Uint8Array;
  readonly tail: Uint8Array;
  readonly descriptor: ModelDescriptor;
  /** Blake3-256 of the descriptor's canonical CBOR. */
  readonly id: Uint8Array;
  readonly mlp: Mlp;
}

/** Default fixed-point scales: 2^−10 at the cut (values ≤ C = 8: ≤ 8192, so I16 without noise), 2^−12 for the middle's output. */
export const DEFAULT_CUT_FRAC_BITS = 10;
export const DEFAULT_REPLY_FRAC_BITS = 12;

export function cutTensors(m: Mlp, cut: CutName): { headOut: string; middleOut: string } {
  const n = m.layers.length;
  if (n < 3) throw new RangeError("a split needs at least three layers (head, middle, tail)");
  if (cut !== "pre1" && cut !== clippedCut(m)) throw new RangeError(`cut ${cut}: this model's clipped cut is ${clippedCut(m)}`);
  if (m.spec.clipLayer > n - 2) throw new RangeError("the clip must leave at least one layer for the middle");
  return { headOut: cut === "pre1" ? tensor.pre(1) : tensor.clipped(m.spec.clipLayer), middleOut: tensor.relu(n - 1) };
}

export function splitModel(whole: Uint8Array, model: string, cut: CutName, scales: { cutFracBits?: number; replyFracBits?: number } = {}): SplitModel {
  const mlp = mlpFromOnnx(whole);
  const { headOut, middleOut } = cutTensors(mlp, cut);
  const head = extractPart(whole, INPUT, headOut, "head");
  const middle = extractPart(whole, headOut, middleOut, "middle");
  const tail = extractPart(whole, middleOut, LOGITS, "tail");
  const n = mlp.layers.length;
  const descriptor: ModelDescriptor = {
    model,
    cut,
    wholeHash: blake3(whole),
    headHash: blake3(head),
    middleHash: blake3(middle),
    tailHash: blake3(tail),
    cutWidth: mlp.layers[cut === "pre1" ? 0 : mlp.spec.clipLayer - 1].outputs,
    replyWidth: mlp.layers[n - 1].inputs,
    cutFracBits: scales.cutFracBits ?? DEFAULT_CUT_FRAC_BITS,
    replyFracBits: scales.replyFracBits ?? DEFAULT_REPLY_FRAC_BITS,
  };
  return { whole, head, middle, tail, descriptor, id: descriptorId(descriptor), mlp };
}

export const MODELS_DIR = fileURLToPath(new URL("../../../../models/mnist/", import.meta.url));

/** The committed ONNX file of a model in models/mnist/ (e.g. "mnist-mlp"). */
export function committedModel(name: string): Uint8Array {
  if (!/^[a-z0-9-]+$/.test(name)) throw new RangeError(`model name ${name}`);
  return readFileSync(`${MODELS_DIR}${name}.onnx`);
}
