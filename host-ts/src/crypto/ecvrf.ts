/**
 * ECVRF-EDWARDS25519-SHA512-TAI verification (RFC 9381, suite_string 0x03)
 * with validate_key, as SPEC §14.3 fixes it, on @noble/curves' point
 * arithmetic and SHA-512.
 */
import { sha512 } from "@noble/hashes/sha2.js";
import { concatBytes } from "../model/bytes.ts";
import { BASE, L, bytesToNumberLE, decodePointStrict, mulByCofactor, type EdwardsPoint } from "./ed25519.ts";

/** suite_string of ECVRF-EDWARDS25519-SHA512-TAI. */
const SUITE = 0x03;
/** Domain separators of RFC 9381 §5.4.1.1 (encode_to_curve), §5.4.3 (challenge), §5.2 (proof_to_hash). */
const ENCODE_TO_CURVE_FRONT = 0x01;
const CHALLENGE_FRONT = 0x02;
const PROOF_TO_HASH_FRONT = 0x03;
const BACK = 0x00;

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

/**
 * RFC 9381 §5.4.1.1 encode_to_curve_try_and_increment: for ctr = 0..255,
 * hash `suite ‖ 0x01 ‖ PK ‖ alpha ‖ ctr ‖ 0x00` with SHA-512, decode the first
 * 32 bytes strictly and multiply by the cofactor; the first candidate that
 * decodes and is not the identity is H. Undefined if none does (SPEC: give
 * up after ctr = 255).
 */
export function encodeToCurveTai(publicKey: Uint8Array, alpha: Uint8Array): EdwardsPoint | undefined {
  for (let ctr = 0; ctr <= 255; ctr++) {
    const hash = sha512(concatBytes(bytes(SUITE, ENCODE_TO_CURVE_FRONT), publicKey, alpha, bytes(ctr, BACK)));
    const candidate = decodePointStrict(hash.subarray(0, 32));
    if (candidate === undefined) continue;
    const H = mulByCofactor(candidate);
    if (!H.is0()) return H;
  }
  return undefined;
}

/** RFC 9381 §5.4.3: the first 16 bytes of `SHA-512(suite ‖ 0x02 ‖ P1 ‖ … ‖ P5 ‖ 0x00)`. */
function challenge(points: Uint8Array[]): Uint8Array {
  return sha512(concatBytes(bytes(SUITE, CHALLENGE_FRONT), ...points, bytes(BACK))).subarray(0, 16);
}

/**
 * SPEC §14.3: verifies `proof` (80 bytes: Gamma ‖ c ‖ s) for `alpha` under
 * `publicKey` (32 bytes). Returns the 64-byte output β if valid, else undefined.
 */
export function verifyEcvrf(publicKey: Uint8Array, alpha: Uint8Array, proof: Uint8Array): Uint8Array | undefined {
  if (publicKey.length !== 32 || proof.length !== 80) return undefined;
  // 1. Decode Y strictly; validate_key: reject if [8]Y is the identity.
  const Y = decodePointStrict(publicKey);
  if (Y === undefined || mulByCofactor(Y).is0()) return undefined;
  // 2. Gamma (32, strict), c (16, LE), s (32, LE); reject s ≥ L.
  const gammaBytes = proof.subarray(0, 32);
  const cBytes = proof.subarray(32, 48);
  const Gamma = decodePointStrict(gammaBytes);
  if (Gamma === undefined) return undefined;
  const c = bytesToNumberLE(cBytes);
  const s = bytesToNumberLE(proof.subarray(48, 80));
  if (s >= L) return undefined;
  // 3. H = encode_to_curve_try_and_increment(Y, alpha).
  const H = encodeToCurveTai(publicKey, alpha);
  if (H === undefined) return undefined;
  // 4. U = [s]B − [c]Y, V = [s]H − [c]Gamma; c must equal the challenge.
  const U = BASE.multiplyUnsafe(s).subtract(Y.multiplyUnsafe(c));
  const V = H.multiplyUnsafe(s).subtract(Gamma.multiplyUnsafe(c));
  const expected = challenge([publicKey, H.toBytes(), gammaBytes, U.toBytes(), V.toBytes()]);
  if (!expected.every((b, i) => b === cBytes[i])) return undefined;
  // 5. β = SHA-512(suite ‖ 0x03 ‖ [8]Gamma ‖ 0x00).
  return sha512(concatBytes(bytes(SUITE, PROOF_TO_HASH_FRONT), mulByCofactor(Gamma).toBytes(), bytes(BACK)));
}
