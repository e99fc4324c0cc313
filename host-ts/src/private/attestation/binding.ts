/**
 * What report_data binds, and the session transcript. Both are hashes of the
 * canonical CBOR of a fixed array, so the framing of variable-length fields
 * (the agreement id) is unambiguous and any implementation can recompute them.
 *
 *   report_data = SHA-512( "mehr-compute/v1/tee-report-data" ‖ 0x00 ‖
 *                          CBOR[version, agreementId, nonce, platform, teePublicKey] )   (64 bytes)
 *   transcript  = SHA-256( "mehr-compute/v1/tee-transcript" ‖ 0x00 ‖
 *                          CBOR[version, agreementId, nonce, platform, teePublicKey,
 *                               SHA-256(report), SHA-256(endorsement), consumerPublicKey] )
 *
 * SHA-512 because report_data is exactly 64 bytes on all three platforms and
 * every guest kernel and TLS library has it; no truncation or XOF is needed.
 */
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { encodeCanonical } from "../../model/cbor.ts";
import { TeeLimit, type TeePlatformValue } from "../../generated/private-protocol.ts";

export const REPORT_DATA_DOMAIN = "mehr-compute/v1/tee-report-data";
export const TRANSCRIPT_DOMAIN = "mehr-compute/v1/tee-transcript";

function domainHash(h: (b: Uint8Array) => Uint8Array, domain: string, body: Uint8Array): Uint8Array {
  const d = new TextEncoder().encode(domain);
  const buf = new Uint8Array(d.length + 1 + body.length);
  buf.set(d, 0);
  buf.set(body, d.length + 1);
  return h(buf);
}

export interface BindingInput {
  readonly agreementId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly platform: TeePlatformValue;
  readonly teePublicKey: Uint8Array;
}

export function reportDataFor(b: BindingInput): Uint8Array {
  const body = encodeCanonical([BigInt(TeeLimit.PROTOCOL_VERSION), b.agreementId, b.nonce, BigInt(b.platform), b.teePublicKey]);
  return domainHash(sha512, REPORT_DATA_DOMAIN, body);
}

export interface TranscriptInput extends BindingInput {
  readonly report: Uint8Array;
  readonly endorsement: Uint8Array;
  readonly consumerPublicKey: Uint8Array;
}

export function transcriptHash(t: TranscriptInput): Uint8Array {
  const body = encodeCanonical([
    BigInt(TeeLimit.PROTOCOL_VERSION), t.agreementId, t.nonce, BigInt(t.platform), t.teePublicKey,
    sha256(t.report), sha256(t.endorsement), t.consumerPublicKey,
  ]);
  return domainHash(sha256, TRANSCRIPT_DOMAIN, body);
}
