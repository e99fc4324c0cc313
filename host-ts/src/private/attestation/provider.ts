/**
 * The provider's side, meant to run inside the TEE: answers an AttestRequest
 * with evidence binding a fresh ephemeral X25519 key, then decrypts sealed
 * inputs, computes, and seals outputs to the consumer. The host relays bytes
 * only. Errors become Failure messages with a tee code; a session's state
 * (consumer key, last seq) changes only after an input authenticates, so
 * garbage from a third party cannot lock a session.
 */
import { TeeErrorCode, TeeDirection, TeeLimit, TeeMessageType } from "../../generated/private-protocol.ts";
import { bytesToHex, equalBytes } from "../../model/bytes.ts";
import { reportDataFor, transcriptHash } from "./binding.ts";
import { TeeError, teeFail } from "./errors.ts";
import type { TeeBackend, TeeCompute } from "./backend.ts";
import type { TeeEvidence } from "./evidence.ts";
import { decodeTeeMessage, encodeTeeMessage, type AttestRequest, type Attestation, type Failure, type SealedInput, type SealedOutput, type TeeMessage } from "./messages.ts";
import { deriveSessionKeys, generateKeyPair, open, seal, sealAad, type KeyPair, type SessionKeys } from "./seal.ts";

interface ProviderSession {
  readonly agreementId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly keyPair: KeyPair;
  readonly evidence: TeeEvidence;
  consumerPublicKey?: Uint8Array;
  keys?: SessionKeys;
  lastSeq: number;
}

export interface TeeProviderOptions {
  readonly backend: TeeBackend;
  readonly compute: TeeCompute;
  /** Sessions kept at once (default 256); the oldest is forgotten first, so requests cannot exhaust memory. */
  readonly maxSessions?: number;
}

export class TeeProvider {
  private readonly sessions = new Map<string, ProviderSession>();
  constructor(private readonly opts: TeeProviderOptions) {}

  get platform() {
    return this.opts.backend.platform;
  }

  /** Bytes in, bytes out: any failure is answered with an encoded Failure. */
  async handle(bytes: Uint8Array): Promise<Uint8Array> {
    let msg: TeeMessage;
    try {
      msg = decodeTeeMessage(bytes);
    } catch (e) {
      return encodeTeeMessage(this.failure(new Uint8Array(TeeLimit.AGREEMENT_ID_MIN_BYTES), e));
    }
    try {
      if (msg.type === "AttestRequest") return encodeTeeMessage(await this.attest(msg));
      if (msg.type === "SealedInput") return encodeTeeMessage(await this.run(msg));
      return teeFail("MESSAGE_MALFORMED", `a provider does not accept ${msg.type}`);
    } catch (e) {
      return encodeTeeMessage(this.failure(msg.agreementId, e));
    }
  }

  async attest(req: AttestRequest): Promise<Attestation> {
    const platform = this.opts.backend.platform;
    if (!req.platforms.includes(platform)) teeFail("PLATFORM_NOT_ACCEPTED", `this provider attests platform ${platform} only`);
    const keyPair = generateKeyPair();
    const reportData = reportDataFor({ agreementId: req.agreementId, nonce: req.nonce, platform, teePublicKey: keyPair.publicKey });
    const evidence = await this.opts.backend.getEvidence(reportData);
    if (evidence.platform !== platform) teeFail("BACKEND_FAILED", `backend produced platform ${evidence.platform} evidence`);
    // A new request for the same agreement replaces the old session: its key is forgotten.
    this.close(req.agreementId);
    this.sessions.set(bytesToHex(req.agreementId), { agreementId: req.agreementId, nonce: req.nonce, keyPair, evidence, lastSeq: 0 });
    const max = this.opts.maxSessions ?? 256;
    for (const [oldest, s] of this.sessions) {
      if (this.sessions.size <= max) break;
      s.keyPair.secretKey.fill(0);
      this.sessions.delete(oldest);
    }
    return { type: "Attestation", agreementId: req.agreementId, nonce: req.nonce, platform, teePublicKey: keyPair.publicKey, report: evidence.report, endorsement: evidence.endorsement };
  }

  async run(input: SealedInput): Promise<SealedOutput> {
    const s = this.sessions.get(bytesToHex(input.agreementId));
    if (!s) return teeFail("NOT_ATTESTED", "no attested session for this agreement");
    if (s.consumerPublicKey && !equalBytes(s.consumerPublicKey, input.consumerPublicKey)) teeFail("SESSION_KEY_MISMATCH", "another consumer key than the session's");
    if (input.seq <= s.lastSeq) teeFail("SEQUENCE_REJECTED", `seq ${input.seq} after ${s.lastSeq}`);
    const keys = s.keys ?? deriveSessionKeys(s.keyPair.secretKey, input.consumerPublicKey, s.nonce, transcriptHash({
      agreementId: s.agreementId, nonce: s.nonce, platform: s.evidence.platform, teePublicKey: s.keyPair.publicKey,
      report: s.evidence.report, endorsement: s.evidence.endorsement, consumerPublicKey: input.consumerPublicKey,
    }));
    const plaintext = open(keys.consumerToProvider, TeeDirection.CONSUMER_TO_PROVIDER, input.seq, sealAad(TeeMessageType.SealedInput, input.agreementId, input.seq), input.ciphertext);
    s.consumerPublicKey ??= input.consumerPublicKey;
    s.keys ??= keys;
    s.lastSeq = input.seq;
    let out: Uint8Array;
    try {
      out = await this.opts.compute(plaintext, { agreementId: s.agreementId, seq: input.seq });
    } catch (e) {
      return teeFail("COMPUTE_FAILED", (e as Error).message ?? String(e));
    } finally {
      plaintext.fill(0);
    }
    const ciphertext = seal(keys.providerToConsumer, TeeDirection.PROVIDER_TO_CONSUMER, input.seq, sealAad(TeeMessageType.SealedOutput, input.agreementId, input.seq), out);
    return { type: "SealedOutput", agreementId: input.agreementId, seq: input.seq, ciphertext };
  }

  /** Forgets an agreement's session and its key. */
  close(agreementId: Uint8Array): void {
    const s = this.sessions.get(bytesToHex(agreementId));
    s?.keyPair.secretKey.fill(0);
    this.sessions.delete(bytesToHex(agreementId));
  }

  private failure(agreementId: Uint8Array, e: unknown): Failure {
    const err = e instanceof TeeError ? e : new TeeError("COMPUTE_FAILED", e instanceof Error ? e.message : String(e));
    const reason = truncateUtf8(err.message, TeeLimit.FAILURE_MESSAGE_MAX_BYTES);
    const id = agreementId.length >= TeeLimit.AGREEMENT_ID_MIN_BYTES && agreementId.length <= TeeLimit.AGREEMENT_ID_MAX_BYTES ? agreementId : new Uint8Array(TeeLimit.AGREEMENT_ID_MIN_BYTES);
    return { type: "Failure", agreementId: id, code: err.code ?? TeeErrorCode.COMPUTE_FAILED, reason };
  }
}

function truncateUtf8(s: string, max: number): string {
  const b = new TextEncoder().encode(s);
  if (b.length <= max) return s;
  let end = max;
  while (end > 0 && (b[end] & 0xc0) === 0x80) end--; // do not cut a code point
  return new TextDecoder().decode(b.subarray(0, end));
}
