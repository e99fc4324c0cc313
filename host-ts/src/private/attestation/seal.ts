/**
 * The session cipher: X25519 between the consumer's ephemeral key and the
 * TEE's attested ephemeral key, HKDF-SHA256 to one key per direction, and
 * ChaCha20-Poly1305 per message.
 *
 *   shared   = X25519(sk, peer)                          (all-zero result refused)
 *   okm      = HKDF-SHA256(ikm = shared, salt = nonce,
 *                          info = "mehr-compute/v1/tee-keys" ‖ 0x00 ‖ transcript, L = 64)
 *   k_c2p    = okm[0..32]   (SealedInput)      k_p2c = okm[32..64]   (SealedOutput)
 *   aeadNonce = u32be(direction) ‖ u64be(seq)   (12 bytes; each (key, seq) is used once)
 *   aad       = CBOR[messageType, version, agreementId, seq]
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { encodeCanonical } from "../../model/cbor.ts";
import { TeeDirection, TeeLimit, type TeeDirectionValue } from "../../generated/private-protocol.ts";
import { teeFail } from "./errors.ts";

export const KEY_INFO_DOMAIN = "mehr-compute/v1/tee-keys";

export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export function generateKeyPair(): KeyPair {
  const secretKey = x25519.utils.randomSecretKey();
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

export interface SessionKeys {
  readonly consumerToProvider: Uint8Array;
  readonly providerToConsumer: Uint8Array;
}

export function deriveSessionKeys(secretKey: Uint8Array, peerPublicKey: Uint8Array, nonce: Uint8Array, transcript: Uint8Array): SessionKeys {
  if (peerPublicKey.length !== TeeLimit.X25519_KEY_BYTES) teeFail("KEY_INVALID", `X25519 key is ${peerPublicKey.length} bytes`);
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(secretKey, peerPublicKey);
  } catch (e) {
    return teeFail("KEY_INVALID", `X25519: ${(e as Error).message}`);
  }
  const d = new TextEncoder().encode(KEY_INFO_DOMAIN);
  const info = new Uint8Array(d.length + 1 + transcript.length);
  info.set(d, 0);
  info.set(transcript, d.length + 1);
  const okm = hkdf(sha256, shared, nonce, info, 64);
  shared.fill(0);
  return { consumerToProvider: okm.slice(0, 32), providerToConsumer: okm.slice(32, 64) };
}

function aeadNonce(direction: TeeDirectionValue, seq: number): Uint8Array {
  const n = new Uint8Array(12);
  const dv = new DataView(n.buffer);
  dv.setUint32(0, direction);
  dv.setBigUint64(4, BigInt(seq));
  return n;
}

export function sealAad(messageType: number, agreementId: Uint8Array, seq: number): Uint8Array {
  return encodeCanonical([BigInt(messageType), BigInt(TeeLimit.PROTOCOL_VERSION), agreementId, BigInt(seq)]);
}

export function keyFor(keys: SessionKeys, direction: TeeDirectionValue): Uint8Array {
  return direction === TeeDirection.CONSUMER_TO_PROVIDER ? keys.consumerToProvider : keys.providerToConsumer;
}

export function seal(key: Uint8Array, direction: TeeDirectionValue, seq: number, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  if (plaintext.length > TeeLimit.MAX_PLAINTEXT_BYTES) teeFail("MESSAGE_TOO_LARGE", `plaintext is ${plaintext.length} bytes (max ${TeeLimit.MAX_PLAINTEXT_BYTES})`);
  return chacha20poly1305(key, aeadNonce(direction, seq), aad).encrypt(plaintext);
}

export function open(key: Uint8Array, direction: TeeDirectionValue, seq: number, aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  if (ciphertext.length < TeeLimit.AEAD_TAG_BYTES) teeFail("DECRYPT_FAILED", "ciphertext shorter than its tag");
  if (ciphertext.length > TeeLimit.MAX_PLAINTEXT_BYTES + TeeLimit.AEAD_TAG_BYTES) teeFail("MESSAGE_TOO_LARGE", `ciphertext is ${ciphertext.length} bytes`);
  try {
    return chacha20poly1305(key, aeadNonce(direction, seq), aad).decrypt(ciphertext);
  } catch {
    return teeFail("DECRYPT_FAILED", "ChaCha20-Poly1305 tag does not verify");
  }
}
