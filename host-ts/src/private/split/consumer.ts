/**
 * The consumer's side of split inference: the head and the tail run here,
 * and nothing leaves the consumer but the noisy fixed-point activations at
 * the cut. Per input (image) the consumer:
 *
 *   1. runs the head (onnxruntime) on the raw input;
 *   2. quantises the cut activations to the grid 2^−cutFracBits;
 *   3. clips them on the integers (relu1: ‖q‖₂ ≤ B, and ‖q‖₁ ≤ B₁ for Laplace),
 *      so the sensitivity holds exactly whatever the float head did;
 *   4. adds exact discrete Gaussian or Laplace noise (private/dp/) and
 *      charges the session's accountant — before anything is sent;
 *   5. sends a MiddleRequest; checks the MiddleReply (descriptor, request id,
 *      middle hash, shape, scale) and runs the tail on it.
 *
 * Every input in a batch is one query for the accountant.
 */
import { compareBytes } from "../../model/bytes.ts";
import { SplitErrorCode, SPLIT_ERROR_NAMES } from "../../generated/private-protocol.ts";
import { BudgetExceeded, PrivacyAccountant, type Conversion, type PrivacySpent } from "../dp/accountant.ts";
import { addNoise, calibrateGaussian, calibrateLaplace, chargeOf, clipL1Int, clipL2Int, NoiseRangeError, type Noise } from "../dp/mechanism.ts";
import { RandomBytes, cryptoRandom, type RandomSource } from "../dp/random.ts";
import { SplitProtocolError, decodeSplitMessage, dequantize, encodeRequest, quantize } from "./messages.ts";
import { OnnxPart } from "./runtime.ts";
import { clippedCutSensitivity, preActivationSensitivity, type CutSensitivity } from "./sensitivity.ts";
import type { SplitModel } from "./parts.ts";

/** What noise the consumer adds per query. */
export type NoiseSpec =
  | { readonly mechanism: "none" }
  | { readonly mechanism: "discrete-gaussian"; readonly epsilon: number; readonly delta: number; readonly conversion?: Conversion }
  | { readonly mechanism: "discrete-laplace"; readonly epsilon: number };

export interface SplitConsumerOptions {
  readonly noise: NoiseSpec;
  /** Source of the noise; the OS CSPRNG unless given (a seeded source only for tests and reports). */
  readonly random?: RandomSource;
  /** The session's accountant; every query is charged to it before it is sent. */
  readonly accountant?: PrivacyAccountant;
}

export interface PreparedRequest {
  readonly bytes: Uint8Array;
  readonly requestId: bigint;
  readonly batch: number;
  readonly headMs: number;
  /** Quantise + clip + noise + encode, ms. */
  readonly privatizeMs: number;
  readonly spent?: PrivacySpent;
}

export interface SplitResult {
  readonly logits: Float32Array;
  readonly requestBytes: number;
  readonly replyBytes: number;
  readonly headMs: number;
  readonly privatizeMs: number;
  /** From sending the request to holding the reply (the provider's work and the transport), ms. */
  readonly roundTripMs: number;
  /** Decode + tail, ms. */
  readonly tailMs: number;
}

/** Sends one request and returns the provider's answer (in-process, loopback or mesh). */
export type SplitTransport = (request: Uint8Array) => Promise<Uint8Array>;

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && compareBytes(a, b) === 0;

export class SplitConsumer {
  private nextId = 1n;
  private readonly rng: RandomBytes;

  private constructor(
    readonly model: SplitModel,
    private readonly head: OnnxPart,
    private readonly tail: OnnxPart,
    readonly sensitivity: CutSensitivity,
    readonly noise: Noise,
    private readonly accountant: PrivacyAccountant | undefined,
    random: RandomSource,
  ) {
    this.rng = new RandomBytes(random);
  }

  static async create(model: SplitModel, opts: SplitConsumerOptions): Promise<SplitConsumer> {
    const d = model.descriptor;
    const sensitivity = d.cut === "relu1"
      ? clippedCutSensitivity(model.mlp.spec.clipNorm, d.cutFracBits, d.cutWidth)
      : preActivationSensitivity(model.mlp, d.cutFracBits);
    const noise = calibrate(opts.noise, sensitivity);
    const [head, tail] = await Promise.all([OnnxPart.load(model.head), OnnxPart.load(model.tail)]);
    return new SplitConsumer(model, head, tail, sensitivity, noise, opts.accountant, opts.random ?? cryptoRandom());
  }

  /** Steps 1–4: head, quantise, clip, noise, charge, encode. Throws SPLIT_BUDGET_EXHAUSTED before sending anything. */
  async prepare(inputs: Float32Array, batch: number): Promise<PreparedRequest> {
    const d = this.model.descriptor;
    const t0 = performance.now();
    const acts = await this.head.run(inputs, batch);
    const t1 = performance.now();
    const w = d.cutWidth;
    const out = new Int32Array(batch * w);
    for (let b = 0; b < batch; b++) {
      let q: Int32Array = quantize(acts.subarray(b * w, (b + 1) * w), d.cutFracBits);
      if (this.sensitivity.l2ClipBound !== undefined) q = clipL2Int(q, this.sensitivity.l2ClipBound);
      if (this.noise.mechanism === "discrete-laplace" && this.sensitivity.l1ClipBound !== undefined) q = clipL1Int(q, this.sensitivity.l1ClipBound);
      try {
        out.set(addNoise(q, this.noise, this.rng), b * w);
      } catch (e) {
        if (e instanceof NoiseRangeError) throw new SplitProtocolError(SplitErrorCode.SPLIT_OUT_OF_RANGE, e.message);
        throw e;
      }
    }
    // Charge before the bytes exist: a refused batch is never sent.
    const spent = this.charge(batch);
    return this.requestFor(out, batch, { headMs: t1 - t0, privatizeMs: performance.now() - t1, spent });
  }

  /**
   * Noise for `batch` queries: batch × cutWidth integers on the cut grid, drawn
   * with this consumer's calibrated mechanism (zeros without noise). For cut
   * values computed elsewhere (Split + SecretShared adds them on shares).
   */
  drawNoise(batch: number): Int32Array {
    const w = this.model.descriptor.cutWidth;
    const out = new Int32Array(batch * w);
    for (let b = 0; b < batch; b++) out.set(this.noisy(new Int32Array(w)), b * w);
    return out;
  }

  /** Charges `batch` queries to the accountant (SPLIT_BUDGET_EXHAUSTED when refused; nothing is charged then). */
  charge(batch: number): PrivacySpent | undefined {
    if (!this.accountant) return undefined;
    try {
      return this.accountant.charge(chargeOf(this.noise), batch);
    } catch (e) {
      if (e instanceof BudgetExceeded) throw new SplitProtocolError(SplitErrorCode.SPLIT_BUDGET_EXHAUSTED, e.message);
      throw e;
    }
  }

  /**
   * The MiddleRequest for cut integers that are already privatised (quantised
   * at cutFracBits, clipped and noised, and charged): batch × cutWidth values.
   */
  requestFor(cut: Int32Array, batch: number, info: { headMs?: number; privatizeMs?: number; spent?: PrivacySpent } = {}): PreparedRequest {
    const d = this.model.descriptor;
    if (cut.length !== batch * d.cutWidth) throw new RangeError(`${cut.length} cut values for ${batch} × ${d.cutWidth}`);
    const requestId = this.nextId++;
    const bytes = encodeRequest({ descriptorId: this.model.id, requestId, tensor: { fracBits: d.cutFracBits, shape: [batch, d.cutWidth], data: cut } });
    return { bytes, requestId, batch, headMs: info.headMs ?? 0, privatizeMs: info.privatizeMs ?? 0, spent: info.spent };
  }

  private noisy(q: Int32Array): Int32Array {
    try {
      return addNoise(q, this.noise, this.rng);
    } catch (e) {
      if (e instanceof NoiseRangeError) throw new SplitProtocolError(SplitErrorCode.SPLIT_OUT_OF_RANGE, e.message);
      throw e;
    }
  }

  /** Step 5: checks the reply against the request and runs the tail; throws SplitProtocolError with the provider's or our code. */
  async finish(req: PreparedRequest, reply: Uint8Array): Promise<{ logits: Float32Array; tailMs: number }> {
    const t0 = performance.now();
    const d = this.model.descriptor;
    const msg = decodeSplitMessage(reply);
    if (msg.type === "SplitError") {
      const name = SPLIT_ERROR_NAMES[msg.body.code] ?? `code ${msg.body.code}`;
      throw new SplitProtocolError(msg.body.code, `provider refused the request: ${name}: ${msg.body.text}`);
    }
    if (msg.type !== "MiddleReply") throw new SplitProtocolError(SplitErrorCode.SPLIT_MALFORMED, `expected a MiddleReply, got a ${msg.type}`);
    const r = msg.body;
    if (!eq(r.descriptorId, this.model.id) || r.requestId !== req.requestId) throw new SplitProtocolError(SplitErrorCode.SPLIT_MIDDLE_MISMATCH, "reply is for another descriptor or request");
    if (!eq(r.middleHash, d.middleHash)) throw new SplitProtocolError(SplitErrorCode.SPLIT_MIDDLE_MISMATCH, "reply names a middle other than the agreed one");
    const { shape, fracBits, data } = r.tensor;
    if (shape.length !== 2 || shape[0] !== req.batch || shape[1] !== d.replyWidth) throw new SplitProtocolError(SplitErrorCode.SPLIT_SHAPE_MISMATCH, `reply shape [${shape.join(", ")}] is not [${req.batch}, ${d.replyWidth}]`);
    if (fracBits !== d.replyFracBits) throw new SplitProtocolError(SplitErrorCode.SPLIT_SCALE_MISMATCH, `reply fracBits ${fracBits} is not the agreed ${d.replyFracBits}`);
    const logits = await this.tail.run(dequantize(data, fracBits), req.batch);
    return { logits, tailMs: performance.now() - t0 };
  }

  /** The whole round: prepare, send through `transport`, finish. */
  async infer(inputs: Float32Array, batch: number, transport: SplitTransport): Promise<SplitResult> {
    const req = await this.prepare(inputs, batch);
    const t0 = performance.now();
    const reply = await transport(req.bytes);
    const roundTripMs = performance.now() - t0;
    const { logits, tailMs } = await this.finish(req, reply);
    return { logits, requestBytes: req.bytes.length, replyBytes: reply.length, headMs: req.headMs, privatizeMs: req.privatizeMs, roundTripMs, tailMs };
  }

  async close(): Promise<void> {
    await Promise.all([this.head.close(), this.tail.close()]);
  }

  /**
   * Like `create`, with the cut's sensitivity given: for cut values computed
   * elsewhere than by this consumer's head (Split + SecretShared computes
   * pre1 under MPC with fixed-point weights, whose sensitivity differs).
   */
  static async createWithSensitivity(model: SplitModel, opts: SplitConsumerOptions, sensitivity: CutSensitivity): Promise<SplitConsumer> {
    const noise = calibrate(opts.noise, sensitivity);
    const [head, tail] = await Promise.all([OnnxPart.load(model.head), OnnxPart.load(model.tail)]);
    return new SplitConsumer(model, head, tail, sensitivity, noise, opts.accountant, opts.random ?? cryptoRandom());
  }
}

/** The noise for a spec at a cut's sensitivity (exported for reports and benchmarks). */
export function calibrate(spec: NoiseSpec, s: CutSensitivity): Noise {
  if (spec.mechanism === "none") return { mechanism: "none" };
  if (spec.mechanism === "discrete-gaussian") return calibrateGaussian(s.l2SensitivitySquared, { epsilon: spec.epsilon, delta: spec.delta }, spec.conversion ?? "cks");
  return calibrateLaplace(s.l1Sensitivity, spec.epsilon);
}
