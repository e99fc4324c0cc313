/**
 * The Tier 3 messages as typed values and their deterministic CBOR: each is a
 * map with keys 0..n-1 (spec/private-protocol.json, TeeKey), key 0 the message
 * type and key 1 the protocol version. Decoding is strict: canonical CBOR
 * only, exactly the listed keys, every size checked, so a hostile peer gets a
 * MESSAGE_MALFORMED / MESSAGE_TOO_LARGE code and never an exception of ours.
 */
import { CborError, decodeStrict, encodeCanonical, isBytes, isMap, isText, isUint, type CborMap, type CborValue } from "../../model/cbor.ts";
import {
  TeeKey, TeeLimit, TeeMessageType, TeePlatform, TEE_ERROR_NAMES, type TeePlatformValue,
} from "../../generated/private-protocol.ts";
import { teeFail } from "./errors.ts";

export interface AttestRequest {
  readonly type: "AttestRequest";
  readonly agreementId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly platforms: readonly TeePlatformValue[];
}
export interface Attestation {
  readonly type: "Attestation";
  readonly agreementId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly platform: TeePlatformValue;
  readonly teePublicKey: Uint8Array;
  readonly report: Uint8Array;
  readonly endorsement: Uint8Array;
}
export interface SealedInput {
  readonly type: "SealedInput";
  readonly agreementId: Uint8Array;
  readonly consumerPublicKey: Uint8Array;
  readonly seq: number;
  readonly ciphertext: Uint8Array;
}
export interface SealedOutput {
  readonly type: "SealedOutput";
  readonly agreementId: Uint8Array;
  readonly seq: number;
  readonly ciphertext: Uint8Array;
}
export interface Failure {
  readonly type: "Failure";
  readonly agreementId: Uint8Array;
  readonly code: number;
  readonly reason: string;
}
export type TeeMessage = AttestRequest | Attestation | SealedInput | SealedOutput | Failure;

const PLATFORMS: readonly number[] = Object.values(TeePlatform);
const u = (n: number) => BigInt(n);

function checkAgreementId(a: Uint8Array): void {
  if (a.length < TeeLimit.AGREEMENT_ID_MIN_BYTES || a.length > TeeLimit.AGREEMENT_ID_MAX_BYTES) {
    teeFail("MESSAGE_MALFORMED", `agreementId is ${a.length} bytes; ${TeeLimit.AGREEMENT_ID_MIN_BYTES}..${TeeLimit.AGREEMENT_ID_MAX_BYTES} allowed`);
  }
}
function checkSize(name: string, b: Uint8Array, exact?: number): void {
  if (exact !== undefined && b.length !== exact) teeFail("MESSAGE_MALFORMED", `${name} is ${b.length} bytes, not ${exact}`);
}
function checkEvidenceSizes(platform: TeePlatformValue, report: Uint8Array, endorsement: Uint8Array): void {
  const [rmax, emax] = platform === TeePlatform.SEV_SNP
    ? [TeeLimit.SNP_REPORT_BYTES, TeeLimit.VCEK_MAX_BYTES]
    : [TeeLimit.DCAP_QUOTE_MAX_BYTES, TeeLimit.DCAP_COLLATERAL_MAX_BYTES];
  if (report.length > rmax) teeFail("MESSAGE_TOO_LARGE", `report is ${report.length} bytes (max ${rmax})`);
  if (endorsement.length > emax) teeFail("MESSAGE_TOO_LARGE", `endorsement is ${endorsement.length} bytes (max ${emax})`);
}
function checkSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 1 || seq > TeeLimit.MAX_SEQ) teeFail("SEQUENCE_REJECTED", `seq ${seq} is not in 1..${TeeLimit.MAX_SEQ}`);
}
function checkCiphertext(c: Uint8Array): void {
  if (c.length > TeeLimit.MAX_PLAINTEXT_BYTES + TeeLimit.AEAD_TAG_BYTES) teeFail("MESSAGE_TOO_LARGE", `ciphertext is ${c.length} bytes`);
  if (c.length < TeeLimit.AEAD_TAG_BYTES) teeFail("MESSAGE_MALFORMED", "ciphertext shorter than its tag");
}
function checkPlatforms(p: readonly number[]): void {
  if (p.length < 1 || p.length > PLATFORMS.length) teeFail("MESSAGE_MALFORMED", `platforms has ${p.length} entries`);
  for (let i = 0; i < p.length; i++) {
    if (!PLATFORMS.includes(p[i])) teeFail("MESSAGE_MALFORMED", `unknown platform ${p[i]}`);
    if (i > 0 && p[i] <= p[i - 1]) teeFail("MESSAGE_MALFORMED", "platforms must be ascending without duplicates");
  }
}

/** The checks both directions apply: we never send what a peer must refuse. */
export function validateTeeMessage(m: TeeMessage): void {
  checkAgreementId(m.agreementId);
  switch (m.type) {
    case "AttestRequest":
      checkSize("nonce", m.nonce, TeeLimit.NONCE_BYTES);
      checkPlatforms(m.platforms);
      break;
    case "Attestation":
      checkSize("nonce", m.nonce, TeeLimit.NONCE_BYTES);
      checkPlatforms([m.platform]);
      checkSize("teePublicKey", m.teePublicKey, TeeLimit.X25519_KEY_BYTES);
      checkEvidenceSizes(m.platform, m.report, m.endorsement);
      break;
    case "SealedInput":
      checkSize("consumerPublicKey", m.consumerPublicKey, TeeLimit.X25519_KEY_BYTES);
      checkSeq(m.seq);
      checkCiphertext(m.ciphertext);
      break;
    case "SealedOutput":
      checkSeq(m.seq);
      checkCiphertext(m.ciphertext);
      break;
    case "Failure":
      if (TEE_ERROR_NAMES[m.code] === undefined) teeFail("MESSAGE_MALFORMED", `unknown failure code ${m.code}`);
      if (new TextEncoder().encode(m.reason).length > TeeLimit.FAILURE_MESSAGE_MAX_BYTES) teeFail("MESSAGE_MALFORMED", "failure reason too long");
      break;
  }
}

export function encodeTeeMessage(m: TeeMessage): Uint8Array {
  validateTeeMessage(m);
  const map: CborMap = new Map<CborValue, CborValue>();
  const put = (k: number, v: CborValue) => map.set(u(k), v);
  put(0, u(TeeMessageType[m.type]));
  put(1, u(TeeLimit.PROTOCOL_VERSION));
  put(2, m.agreementId);
  switch (m.type) {
    case "AttestRequest":
      put(TeeKey.AttestRequest.nonce, m.nonce);
      put(TeeKey.AttestRequest.platforms, m.platforms.map(u));
      break;
    case "Attestation":
      put(TeeKey.Attestation.nonce, m.nonce);
      put(TeeKey.Attestation.platform, u(m.platform));
      put(TeeKey.Attestation.teePublicKey, m.teePublicKey);
      put(TeeKey.Attestation.report, m.report);
      put(TeeKey.Attestation.endorsement, m.endorsement);
      break;
    case "SealedInput":
      put(TeeKey.SealedInput.consumerPublicKey, m.consumerPublicKey);
      put(TeeKey.SealedInput.seq, u(m.seq));
      put(TeeKey.SealedInput.ciphertext, m.ciphertext);
      break;
    case "SealedOutput":
      put(TeeKey.SealedOutput.seq, u(m.seq));
      put(TeeKey.SealedOutput.ciphertext, m.ciphertext);
      break;
    case "Failure":
      put(TeeKey.Failure.code, u(m.code));
      put(TeeKey.Failure.reason, m.reason);
      break;
  }
  const bytes = encodeCanonical(map);
  if (bytes.length > TeeLimit.MAX_MESSAGE_BYTES) teeFail("MESSAGE_TOO_LARGE", `message is ${bytes.length} bytes (max ${TeeLimit.MAX_MESSAGE_BYTES})`);
  return bytes;
}

const TYPE_BY_NUMBER = new Map<number, TeeMessage["type"]>(Object.entries(TeeMessageType).map(([k, v]) => [v, k as TeeMessage["type"]]));

export function decodeTeeMessage(bytes: Uint8Array): TeeMessage {
  if (bytes.length > TeeLimit.MAX_MESSAGE_BYTES) teeFail("MESSAGE_TOO_LARGE", `message is ${bytes.length} bytes (max ${TeeLimit.MAX_MESSAGE_BYTES})`);
  let v: CborValue;
  try {
    v = decodeStrict(bytes);
  } catch (e) {
    if (e instanceof CborError) teeFail("MESSAGE_MALFORMED", `CBOR: ${e.message}`);
    throw e;
  }
  if (!isMap(v)) return teeFail("MESSAGE_MALFORMED", "not a CBOR map");
  const t = v.get(0n);
  if (!isUint(t) || t > 255n) return teeFail("MESSAGE_MALFORMED", "no message type");
  const type = TYPE_BY_NUMBER.get(Number(t));
  if (!type) return teeFail("MESSAGE_MALFORMED", `unknown message type ${t}`);
  const keys = TeeKey[type];
  const n = Object.keys(keys).length;
  for (const k of v.keys()) if (!isUint(k) || k >= BigInt(n)) teeFail("MESSAGE_MALFORMED", `${type} has unexpected key ${String(k)}`);
  if (v.size !== n) teeFail("MESSAGE_MALFORMED", `${type} has ${v.size} fields, not ${n}`);
  const ver = v.get(1n);
  if (!isUint(ver)) return teeFail("MESSAGE_MALFORMED", "version is not an unsigned integer");
  if (ver !== BigInt(TeeLimit.PROTOCOL_VERSION)) teeFail("UNSUPPORTED_VERSION", `protocol version ${ver}`);
  const bytesAt = (k: number, name: string): Uint8Array => {
    const x = v.get(BigInt(k));
    if (!isBytes(x)) return teeFail("MESSAGE_MALFORMED", `${type}.${name} is not a byte string`);
    return x;
  };
  const uintAt = (k: number, name: string, max: number): number => {
    const x = v.get(BigInt(k));
    if (!isUint(x) || x > BigInt(max)) return teeFail("MESSAGE_MALFORMED", `${type}.${name} is not an unsigned integer ≤ ${max}`);
    return Number(x);
  };
  const agreementId = bytesAt(2, "agreementId");
  let m: TeeMessage;
  switch (type) {
    case "AttestRequest": {
      const K = TeeKey.AttestRequest;
      const p = v.get(BigInt(K.platforms));
      if (!Array.isArray(p) || !p.every((x) => isUint(x) && x < 256n)) return teeFail("MESSAGE_MALFORMED", "platforms is not an array of small unsigned integers");
      m = { type, agreementId, nonce: bytesAt(K.nonce, "nonce"), platforms: p.map((x) => Number(x) as TeePlatformValue) };
      break;
    }
    case "Attestation": {
      const K = TeeKey.Attestation;
      m = {
        type, agreementId, nonce: bytesAt(K.nonce, "nonce"), platform: uintAt(K.platform, "platform", 255) as TeePlatformValue,
        teePublicKey: bytesAt(K.teePublicKey, "teePublicKey"), report: bytesAt(K.report, "report"), endorsement: bytesAt(K.endorsement, "endorsement"),
      };
      break;
    }
    case "SealedInput": {
      const K = TeeKey.SealedInput;
      m = {
        type, agreementId, consumerPublicKey: bytesAt(K.consumerPublicKey, "consumerPublicKey"),
        seq: uintAt(K.seq, "seq", Number.MAX_SAFE_INTEGER), ciphertext: bytesAt(K.ciphertext, "ciphertext"),
      };
      break;
    }
    case "SealedOutput": {
      const K = TeeKey.SealedOutput;
      m = { type, agreementId, seq: uintAt(K.seq, "seq", Number.MAX_SAFE_INTEGER), ciphertext: bytesAt(K.ciphertext, "ciphertext") };
      break;
    }
    case "Failure": {
      const K = TeeKey.Failure;
      const reason = v.get(BigInt(K.reason));
      if (!isText(reason)) return teeFail("MESSAGE_MALFORMED", "Failure.reason is not text");
      m = { type, agreementId, code: uintAt(K.code, "code", 0xffff), reason };
      break;
    }
  }
  validateTeeMessage(m);
  return m;
}
