/**
 * Split + SecretShared, the consumer's side (docs/PRIVATE.md, "Combinations").
 * Per image:
 *
 *   1. charge the accountant for the batch (before anything is sent) and draw
 *      the DP noise on the cut grid (the split consumer's calibrated mechanism,
 *      at the sensitivity of the fixed-point layer the MPC multiplies by);
 *   2. secret-share the pixels and the noise (Shamir 2-of-3, one session per
 *      image) and send each shareholder its DEAL; each answers with its OUTPUT
 *      shares of z₁ = W₁x + b₁ + noise, computed locally (a linear program);
 *   3. reconstruct with the degree check (a wrong share fails the session with
 *      SHARES_INCONSISTENT, never a wrong value) and round to the cut grid;
 *   4. send the batch's noisy pre-activations to the middle as a split
 *      MiddleRequest at the pre1 cut; run the tail on the reply.
 *
 * The consumer reconstructs, not the middle: the consumer owns the input, so
 * z₁ + noise tells it nothing new, every shareholder reply goes to the party
 * that checks it, and all transports stay one request → one reply.
 */
import { CONSUMER, Consumer, decodeMessage, toSigned, type BuiltProgram, type RandomSource as ShareRandom } from "../shamir/index.ts";
import { SplitConsumer, type NoiseSpec, type SplitTransport } from "../split/consumer.ts";
import { SplitProtocolError } from "../split/messages.ts";
import type { SplitModel } from "../split/parts.ts";
import type { CutSensitivity } from "../split/sensitivity.ts";
import type { PrivacyAccountant, PrivacySpent } from "../dp/accountant.ts";
import type { Noise } from "../dp/mechanism.ts";
import type { RandomSource as NoiseRandom } from "../dp/random.ts";
import { SplitErrorCode } from "../../generated/private-protocol.ts";
import { CombinedError, combinedCodeName, combinedFail } from "./errors.ts";
import { cutShift, firstLayerProgram, requirePre1, sharedCutSensitivity } from "./first-layer.ts";

/** Sends shareholder `provider` (1..3) its DEAL and returns its answer (its OUTPUT, or an ABORT). */
export type ShareholderTransport = (provider: number, deal: Uint8Array) => Promise<Uint8Array>;

export interface SharedSplitTransports {
  readonly shareholders: ShareholderTransport;
  /** The middle provider (a plain split provider at the pre1 cut). */
  readonly middle: SplitTransport;
}

export interface SharedSplitOptions {
  readonly noise: NoiseSpec;
  /** Source of the DP noise; the OS CSPRNG unless given (seeded only for tests and reports). */
  readonly random?: NoiseRandom;
  readonly accountant?: PrivacyAccountant;
  /** Source of the share polynomials; the OS CSPRNG unless given. */
  readonly shareRandom?: ShareRandom;
  /** Images whose MPC sessions are in flight at once (default 4). */
  readonly concurrency?: number;
}

export interface SharedCut {
  /** batch × cutWidth integers on the cut grid: round(z₁·2^f) + noise, what the middle receives. */
  readonly cut: Int32Array;
  /** Bytes of the DEALs sent and of the shareholders' answers. */
  readonly dealtBytes: number;
  readonly outputBytes: number;
  readonly mpcMs: number;
  readonly spent?: PrivacySpent;
}

export interface SharedSplitResult {
  readonly logits: Float32Array;
  readonly cut: Int32Array;
  readonly bytes: { readonly dealt: number; readonly outputs: number; readonly middleRequest: number; readonly middleReply: number; readonly total: number };
  /** ms: MPC (share, shareholders, reconstruct), middle round trip, decode + tail, and the whole call. */
  readonly times: { readonly mpcMs: number; readonly middleMs: number; readonly tailMs: number; readonly totalMs: number };
  readonly spent?: PrivacySpent;
}

export class SharedSplitConsumer {
  private constructor(
    readonly model: SplitModel,
    readonly split: SplitConsumer,
    /** The first-layer program every DEAL carries. */
    readonly program: BuiltProgram,
    private readonly shift: bigint,
    private readonly opts: SharedSplitOptions,
  ) {}

  /** Refuses a model not cut at pre1 (COMBINED_CUT_MISMATCH). */
  static async create(model: SplitModel, opts: SharedSplitOptions): Promise<SharedSplitConsumer> {
    requirePre1(model);
    const shift = BigInt(cutShift(model));
    const split = await SplitConsumer.createWithSensitivity(model, { noise: opts.noise, random: opts.random, accountant: opts.accountant }, sharedCutSensitivity(model));
    const program = firstLayerProgram(model, { noise: split.noise.mechanism !== "none" });
    return new SharedSplitConsumer(model, split, program, shift, opts);
  }

  get noise(): Noise { return this.split.noise; }
  get sensitivity(): CutSensitivity { return this.split.sensitivity; }

  /** Steps 1–3 for `batch` images (batch × 784 pixels in [0, 1]): charged, noised, computed by the shareholders, reconstructed. */
  async sharedCut(pixels: Float32Array, batch: number, shareholders: ShareholderTransport): Promise<SharedCut> {
    const t0 = performance.now();
    const n = this.model.mlp.layers[0].inputs, w = this.model.descriptor.cutWidth;
    if (pixels.length !== batch * n) throw new RangeError(`${pixels.length} pixels for ${batch} × ${n}`);
    const spent = this.split.charge(batch);
    const noise = this.split.drawNoise(batch);
    const noisy = this.split.noise.mechanism !== "none";
    const cut = new Int32Array(batch * w);
    let dealtBytes = 0, outputBytes = 0;
    const one = async (b: number) => {
      const px = Array.from(pixels.subarray(b * n, (b + 1) * n));
      const values = noisy ? [...px, ...Array.from(noise.subarray(b * w, (b + 1) * w), (v) => BigInt(v) << this.shift)] : px;
      const session = new Consumer({ program: this.program.program, analysis: this.program.analysis, inputs: this.program.encodeInputs(0, values), rng: this.opts.shareRandom });
      const deals = session.start();
      for (const d of deals) dealtBytes += d.bytes.length;
      const replies = await Promise.all(deals.map((d) => shareholders(d.to, d.bytes)));
      replies.forEach((r, i) => { outputBytes += r.length; accept(session, deals[i].to, r); });
      const outcome = session.outcome;
      if (outcome.status === "failed") throw outcome.error;
      if (outcome.status !== "done") combinedFail("COMBINED_UNEXPECTED_REPLY", "the shareholders' answers did not finish the session");
      outcome.outputs.forEach((e, k) => { cut[b * w + k] = toCutGrid(toSigned(e), this.shift); });
    };
    const limit = Math.max(1, this.opts.concurrency ?? 4);
    let next = 0, failed = false;
    const worker = async () => {
      try {
        while (next < batch && !failed) await one(next++);
      } catch (e) {
        failed = true; // the other workers stop before their next image
        throw e;
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, batch) }, worker));
    return { cut, dealtBytes, outputBytes, mpcMs: performance.now() - t0, spent };
  }

  /** The whole path: shared first layer, then the middle and the tail as split inference. */
  async infer(pixels: Float32Array, batch: number, transports: SharedSplitTransports): Promise<SharedSplitResult> {
    const t0 = performance.now();
    const shared = await this.sharedCut(pixels, batch, transports.shareholders);
    const req = this.split.requestFor(shared.cut, batch, { privatizeMs: shared.mpcMs, spent: shared.spent });
    const t1 = performance.now();
    const reply = await transports.middle(req.bytes);
    const middleMs = performance.now() - t1;
    const { logits, tailMs } = await this.split.finish(req, reply);
    const bytes = { dealt: shared.dealtBytes, outputs: shared.outputBytes, middleRequest: req.bytes.length, middleReply: reply.length };
    return {
      logits, cut: shared.cut, spent: shared.spent,
      bytes: { ...bytes, total: bytes.dealt + bytes.outputs + bytes.middleRequest + bytes.middleReply },
      times: { mpcMs: shared.mpcMs, middleMs, tailMs, totalMs: performance.now() - t0 },
    };
  }

  async close(): Promise<void> {
    await this.split.close();
  }
}

/** A shareholder's answer must be its OUTPUT or ABORT to the consumer; an ABORT with a combined code is raised as that code. */
function accept(session: Consumer, from: number, reply: Uint8Array): void {
  const m = decodeMessage(reply);
  if ((m.type !== "output" && m.type !== "abort") || m.from !== from || m.to !== CONSUMER) {
    combinedFail("COMBINED_UNEXPECTED_REPLY", `shareholder ${from} answered with a ${m.type} from party ${m.from} to party ${m.to}`);
  }
  if (m.type === "abort") {
    const name = combinedCodeName(m.code);
    if (name) throw new CombinedError(name, `shareholder ${from} refused the DEAL`);
  }
  session.receive(reply);
}

/** round(X / 2^shift), ties away from zero (as split's quantize); SPLIT_OUT_OF_RANGE beyond I32. */
export function toCutGrid(x: bigint, shift: bigint): number {
  const half = shift > 0n ? 1n << (shift - 1n) : 0n;
  const q = x >= 0n ? (x + half) >> shift : -((-x + half) >> shift);
  if (q > 0x7fffffffn || q < -0x7fffffffn) throw new SplitProtocolError(SplitErrorCode.SPLIT_OUT_OF_RANGE, `pre-activation ${x} / 2^${shift} does not fit I32`);
  return Number(q);
}
