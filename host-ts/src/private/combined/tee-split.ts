/**
 * Split + TEE (docs/PRIVATE.md, "Combinations"): the middle of a split model
 * runs inside a TEE whose attestation the consumer verified first, and the
 * cut activations and the middle's reply cross the network only sealed in
 * that TEE session.
 *
 * Consumer: AttestRequest (fresh nonce) → Attestation → verifyAttestation
 * (genuine evidence, policy, report_data binding of nonce and the TEE's
 * ephemeral X25519 key) → per batch: head, fixed point, clip, DP noise (any
 * NoiseSpec; with the TEE, "none" is a choice, not a necessity) → the split
 * MiddleRequest bytes sealed as a SealedInput → SealedOutput opened → the
 * MiddleReply checked as in split inference → tail.
 *
 * Provider: a TeeProvider whose computation is the split provider's handler,
 * so a refusal inside the TEE (a SplitError) is sealed like a reply.
 *
 * On this machine there is no TEE: tests use the replay double of the
 * attestation library, accepted only under replayTestPolicy, and the session
 * then says keyBoundByHardware = false (PRIVATE.md §3.0).
 */
import { createAttestRequest, decodeTeeMessage, encodeTeeMessage, verifyAttestation, TeeError, TeeErrorCode, TeeProvider, type TeeBackend, type TeePolicy, type TeeSession, type TrustAnchors } from "../attestation/index.ts";
import { SplitConsumer, type NoiseSpec } from "../split/consumer.ts";
import { SplitProvider } from "../split/provider.ts";
import type { ModelDescriptor } from "../split/messages.ts";
import type { SplitModel } from "../split/parts.ts";
import type { PrivacyAccountant, PrivacySpent } from "../dp/accountant.ts";
import type { RandomSource as NoiseRandom } from "../dp/random.ts";
import { combinedFail } from "./errors.ts";

/** Sends one encoded TEE message (AttestRequest or SealedInput) to the provider and returns its encoded answer. */
export type TeeTransport = (message: Uint8Array) => Promise<Uint8Array>;

export interface TeeSplitOptions {
  readonly noise: NoiseSpec;
  readonly random?: NoiseRandom;
  readonly accountant?: PrivacyAccountant;
  /** The agreement the TEE session belongs to (16..64 bytes). */
  readonly agreementId: Uint8Array;
  /** Attestation policy; the production one binds the transcript (PRIVATE.md §3.5). */
  readonly policy: TeePolicy;
  /** Evaluation time for certificates and collateral (default: now). */
  readonly at?: Date;
  readonly anchors?: TrustAnchors;
}

export interface TeeAttested {
  readonly session: TeeSession;
  readonly requestBytes: number;
  readonly attestationBytes: number;
  /** Consumer-side decode + verification + key agreement, ms. */
  readonly verifyMs: number;
  /** Whole attestation step including the provider and the transport, ms. */
  readonly totalMs: number;
}

export interface TeeSplitResult {
  readonly logits: Float32Array;
  /** Bytes: the split request and reply (plaintext inside the TEE session) and the sealed messages on the wire. */
  readonly bytes: { readonly middleRequest: number; readonly middleReply: number; readonly sealedInput: number; readonly sealedOutput: number };
  /** ms: head + privatise, seal, round trip, open, decode + tail, whole call. */
  readonly times: { readonly headMs: number; readonly privatizeMs: number; readonly sealMs: number; readonly roundTripMs: number; readonly openMs: number; readonly tailMs: number; readonly totalMs: number };
  readonly keyBoundByHardware: boolean;
  readonly spent?: PrivacySpent;
}

export class TeeSplitConsumer {
  private attested: TeeAttested | undefined;

  private constructor(readonly model: SplitModel, readonly split: SplitConsumer, private readonly opts: TeeSplitOptions) {}

  static async create(model: SplitModel, opts: TeeSplitOptions): Promise<TeeSplitConsumer> {
    const split = await SplitConsumer.create(model, { noise: opts.noise, random: opts.random, accountant: opts.accountant });
    return new TeeSplitConsumer(model, split, opts);
  }

  /** The verified session, once `attest` succeeded. */
  get session(): TeeSession | undefined { return this.attested?.session; }
  get attestation(): TeeAttested | undefined { return this.attested; }

  /** Requests and verifies an attestation (a TeeError with its code on any refusal); replaces any previous session. */
  async attest(transport: TeeTransport): Promise<TeeAttested> {
    const t0 = performance.now();
    const { request, pending } = createAttestRequest(this.opts.agreementId, this.opts.policy);
    const requestBytes = encodeTeeMessage(request);
    const answer = await transport(requestBytes);
    const t1 = performance.now();
    const msg = decodeTeeMessage(answer);
    if (msg.type === "Failure") throw TeeError.fromCode(msg.code, `provider says: ${msg.reason}`);
    if (msg.type !== "Attestation") return combinedFail("COMBINED_UNEXPECTED_REPLY", `the TEE provider answered an AttestRequest with a ${msg.type}`);
    const session = verifyAttestation(pending, msg, { policy: this.opts.policy, at: this.opts.at ?? new Date(), anchors: this.opts.anchors });
    const t2 = performance.now();
    this.attested = { session, requestBytes: requestBytes.length, attestationBytes: answer.length, verifyMs: t2 - t1, totalMs: t2 - t0 };
    return this.attested;
  }

  /**
   * One batch through the attested middle (attests first when there is no
   * session yet). If the provider answers NOT_ATTESTED (it restarted or
   * forgot the session), the consumer attests again and resends the same
   * request once: the same noisy release, so nothing more is revealed and
   * nothing more is charged.
   */
  async infer(pixels: Float32Array, batch: number, transport: TeeTransport): Promise<TeeSplitResult> {
    const t0 = performance.now();
    let session = (this.attested ?? (await this.attest(transport))).session;
    const req = await this.split.prepare(pixels, batch);
    const t1 = performance.now();
    let sealed = encodeTeeMessage(session.sealInput(req.bytes));
    const t2 = performance.now();
    let answer = await transport(sealed);
    let msg = decodeTeeMessage(answer);
    if (msg.type === "Failure" && msg.code === TeeErrorCode.NOT_ATTESTED) {
      session = (await this.attest(transport)).session;
      sealed = encodeTeeMessage(session.sealInput(req.bytes));
      answer = await transport(sealed);
      msg = decodeTeeMessage(answer);
    }
    const t3 = performance.now();
    if (msg.type !== "SealedOutput" && msg.type !== "Failure") combinedFail("COMBINED_UNEXPECTED_REPLY", `the TEE provider answered a SealedInput with a ${msg.type}`);
    const reply = session.openOutput(msg);
    const t4 = performance.now();
    const { logits, tailMs } = await this.split.finish(req, reply);
    return {
      logits, spent: req.spent, keyBoundByHardware: session.keyBoundByHardware,
      bytes: { middleRequest: req.bytes.length, middleReply: reply.length, sealedInput: sealed.length, sealedOutput: answer.length },
      times: { headMs: req.headMs, privatizeMs: req.privatizeMs, sealMs: t2 - t1, roundTripMs: t3 - t2, openMs: t4 - t3, tailMs, totalMs: performance.now() - t0 },
    };
  }

  async close(): Promise<void> {
    await this.split.close();
  }
}

export interface TeeSplitProviderOptions {
  readonly descriptor: ModelDescriptor;
  /** The middle's ONNX bytes; refused unless they hash to the descriptor's middleHash. */
  readonly middleOnnx: Uint8Array;
  /** The TEE interface (configfs-tsm in production; the replay double in tests). */
  readonly backend: TeeBackend;
  readonly maxSessions?: number;
}

/** The provider's side: bytes in, bytes out (Attestation, SealedOutput or Failure); never throws. */
export class TeeSplitProvider {
  private constructor(readonly split: SplitProvider, readonly tee: TeeProvider) {}

  static async create(opts: TeeSplitProviderOptions): Promise<TeeSplitProvider> {
    const split = await SplitProvider.create(opts.descriptor, opts.middleOnnx);
    const tee = new TeeProvider({ backend: opts.backend, compute: (input) => split.handle(input), maxSessions: opts.maxSessions });
    return new TeeSplitProvider(split, tee);
  }

  handle(message: Uint8Array): Promise<Uint8Array> {
    return this.tee.handle(message);
  }

  async close(): Promise<void> {
    await this.split.close();
  }
}
