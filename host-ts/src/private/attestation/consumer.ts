/**
 * The consumer's side. One path for production and tests alike:
 *   1. createAttestRequest: a fresh 32-byte nonce for this agreement;
 *   2. verifyAttestation: echo checks, genuine evidence (chain, signature),
 *      the platform policy, then the report_data binding; only then a session;
 *   3. session.sealInput / session.openOutput.
 * The only thing a test can change is the policy it passes, and the one
 * non-production binding ("pinned-replay") is visible on the session.
 */
import { randomBytes } from "node:crypto";
import { TeeDirection, TeeLimit, TeeMessageType, type TeePlatformValue } from "../../generated/private-protocol.ts";
import { bytesToHex, equalBytes } from "../../model/bytes.ts";
import { reportDataFor, transcriptHash } from "./binding.ts";
import { TeeError, teeFail } from "./errors.ts";
import { verifyEvidence, type VerifiedEvidence } from "./evidence.ts";
import type { Attestation, AttestRequest, Failure, SealedInput, SealedOutput } from "./messages.ts";
import { platformsOf, validatePolicy, type TeePolicy } from "./policy.ts";
import { deriveSessionKeys, generateKeyPair, open, seal, sealAad, type SessionKeys } from "./seal.ts";
import type { TrustAnchors } from "./trust-anchors.ts";

export interface PendingAttestation {
  readonly agreementId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly platforms: readonly TeePlatformValue[];
}

/** The request and what the consumer must remember to check the answer. */
export function createAttestRequest(agreementId: Uint8Array, policy: TeePolicy): { request: AttestRequest; pending: PendingAttestation } {
  validatePolicy(policy);
  if (agreementId.length < TeeLimit.AGREEMENT_ID_MIN_BYTES || agreementId.length > TeeLimit.AGREEMENT_ID_MAX_BYTES) {
    teeFail("MESSAGE_MALFORMED", `agreementId is ${agreementId.length} bytes`);
  }
  const nonce = new Uint8Array(randomBytes(TeeLimit.NONCE_BYTES));
  const platforms = platformsOf(policy).sort((a, b) => a - b);
  return { request: { type: "AttestRequest", agreementId, nonce, platforms }, pending: { agreementId, nonce, platforms } };
}

export interface VerifyAttestationOptions {
  readonly policy: TeePolicy;
  /** Evaluation time for certificates and collateral; production passes the current time. */
  readonly at: Date;
  readonly anchors?: TrustAnchors;
}

export function verifyAttestation(pending: PendingAttestation, att: Attestation, opts: VerifyAttestationOptions): TeeSession {
  if (!equalBytes(att.agreementId, pending.agreementId)) teeFail("AGREEMENT_MISMATCH", "attestation is for another agreement");
  if (!equalBytes(att.nonce, pending.nonce)) teeFail("NONCE_MISMATCH", "attestation does not echo our nonce");
  if (!pending.platforms.includes(att.platform)) teeFail("PLATFORM_NOT_ACCEPTED", `platform ${att.platform} was not requested`);
  if (att.teePublicKey.length !== TeeLimit.X25519_KEY_BYTES) teeFail("KEY_INVALID", "TEE key is not 32 bytes");
  const verified = verifyEvidence({ platform: att.platform, report: att.report, endorsement: att.endorsement }, opts.policy, opts);
  const expected = reportDataFor({ agreementId: att.agreementId, nonce: att.nonce, platform: att.platform, teePublicKey: att.teePublicKey });
  const binding = opts.policy.binding ?? { kind: "transcript" };
  if (binding.kind === "transcript") {
    if (!equalBytes(verified.reportData, expected)) {
      teeFail("BINDING_MISMATCH", `report_data ${bytesToHex(verified.reportData).slice(0, 16)}… is not H(transcript) ${bytesToHex(expected).slice(0, 16)}…`);
    }
  } else if (!equalBytes(verified.reportData, binding.reportData)) {
    teeFail("BINDING_MISMATCH", "report_data is not the value the pinned-replay policy names");
  }
  return new TeeSession(att, verified, binding.kind === "transcript");
}

export class TeeSession {
  readonly verified: VerifiedEvidence;
  /**
   * True when the hardware-signed report_data binds this session's nonce and
   * TEE key. False only under a "pinned-replay" test policy: then the TEE key
   * came unauthenticated from the provider.
   */
  readonly keyBoundByHardware: boolean;
  readonly consumerPublicKey: Uint8Array;
  private readonly keys: SessionKeys;
  private readonly agreementId: Uint8Array;
  private nextSeq = 1;
  private readonly outstanding = new Set<number>();

  constructor(att: Attestation, verified: VerifiedEvidence, bound: boolean) {
    this.verified = verified;
    this.keyBoundByHardware = bound;
    this.agreementId = att.agreementId;
    const kp = generateKeyPair();
    this.consumerPublicKey = kp.publicKey;
    this.keys = deriveSessionKeys(kp.secretKey, att.teePublicKey, att.nonce, transcriptHash({
      agreementId: att.agreementId, nonce: att.nonce, platform: att.platform, teePublicKey: att.teePublicKey,
      report: att.report, endorsement: att.endorsement, consumerPublicKey: kp.publicKey,
    }));
    kp.secretKey.fill(0);
  }

  sealInput(plaintext: Uint8Array): SealedInput {
    const seq = this.nextSeq;
    if (seq > TeeLimit.MAX_SEQ) teeFail("SEQUENCE_REJECTED", "session exhausted its sequence numbers; attest again");
    const ciphertext = seal(this.keys.consumerToProvider, TeeDirection.CONSUMER_TO_PROVIDER, seq, sealAad(TeeMessageType.SealedInput, this.agreementId, seq), plaintext);
    this.nextSeq++;
    this.outstanding.add(seq);
    return { type: "SealedInput", agreementId: this.agreementId, consumerPublicKey: this.consumerPublicKey, seq, ciphertext };
  }

  /** The plaintext output; a Failure becomes a TeeError (unauthenticated: a hint, never a result). */
  openOutput(msg: SealedOutput | Failure): Uint8Array {
    if (!equalBytes(msg.agreementId, this.agreementId) && msg.type === "SealedOutput") teeFail("AGREEMENT_MISMATCH", "output is for another agreement");
    if (msg.type === "Failure") throw TeeError.fromCode(msg.code, `provider says: ${msg.reason}`);
    if (!this.outstanding.has(msg.seq)) teeFail("SEQUENCE_REJECTED", `no input with seq ${msg.seq} awaits an answer`);
    const out = open(this.keys.providerToConsumer, TeeDirection.PROVIDER_TO_CONSUMER, msg.seq, sealAad(TeeMessageType.SealedOutput, this.agreementId, msg.seq), msg.ciphertext);
    this.outstanding.delete(msg.seq);
    return out;
  }
}
