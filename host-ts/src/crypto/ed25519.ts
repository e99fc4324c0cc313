/**
 * The Ed25519 verification rule of SPEC §14.2 (RFC 8032 §5.1.7 with fixed
 * choices), on @noble/curves' edwards25519 point arithmetic.
 *
 * Not noble's `ed25519.verify`: that one rejects small-order keys when
 * strict, while SPEC §14.2 accepts them when the equation holds.
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { concatBytes } from "../model/bytes.ts";

export type EdwardsPoint = InstanceType<typeof ed25519.Point>;

const Point = ed25519.Point;
/** The base point B. */
export const BASE: EdwardsPoint = Point.BASE;
/** L = 2^252 + 27742317777372353535851937790883648493, the order of B. */
export const L: bigint = Point.Fn.ORDER;

/** Little-endian unsigned integer of a byte string. */
export function bytesToNumberLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

/**
 * RFC 8032 §5.1.3, strictly: reject if the encoded y (low 255 bits) is `≥ p`,
 * if no x exists, or if `x = 0` and the sign bit is 1. Returns undefined on
 * rejection. (noble's `fromBytes` with zip215 = false implements exactly
 * these three rejections.)
 */
export function decodePointStrict(bytes: Uint8Array): EdwardsPoint | undefined {
  if (bytes.length !== 32) return undefined;
  try {
    return Point.fromBytes(bytes, false);
  } catch {
    return undefined;
  }
}

/** `[8]P`. */
export function mulByCofactor(p: EdwardsPoint): EdwardsPoint {
  return p.double().double().double();
}

/** SPEC §14.2: true iff `sig` is a valid signature of `msg` under `publicKey`. */
export function verifyEd25519(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (publicKey.length !== 32 || sig.length !== 64) return false;
  // 1. Decode A and R strictly.
  const A = decodePointStrict(publicKey);
  const R = decodePointStrict(sig.subarray(0, 32));
  if (A === undefined || R === undefined) return false;
  // 2. Reject S ≥ L.
  const S = bytesToNumberLE(sig.subarray(32, 64));
  if (S >= L) return false;
  // 3. k = SHA-512(R ‖ A ‖ msg) mod L, over the bytes as given.
  const k = bytesToNumberLE(sha512(concatBytes(sig.subarray(0, 32), publicKey, msg))) % L;
  // 4. Accept iff [8][S]B = [8]R + [8][k]A (small-order A and R included).
  const left = mulByCofactor(BASE.multiplyUnsafe(S));
  const right = mulByCofactor(R).add(mulByCofactor(A.multiplyUnsafe(k)));
  return left.equals(right);
}
