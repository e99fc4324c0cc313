/**
 * Ed25519 verification under SPEC §14.2 (the rule VERIFY_SIG uses): strict
 * RFC 8032 §5.1.3 decoding of A and R, S < L, k = SHA-512(R ‖ A ‖ msg) mod L,
 * the cofactored equation [8][S]B = [8]R + [8][k]A, small-order A and R
 * accepted. (noble's own strict mode also rejects small-order keys, so the
 * equation is spelled out here on its point arithmetic.)
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";

const Point = ed25519.Point;
const L = Point.Fn.ORDER;

function leToBig(b: Uint8Array): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
}

export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    const A = Point.fromBytes(publicKey, false);
    const rBytes = signature.subarray(0, 32);
    const R = Point.fromBytes(rBytes, false);
    const s = leToBig(signature.subarray(32, 64));
    if (s >= L) return false;
    const h = new Uint8Array(64 + message.length);
    h.set(rBytes, 0);
    h.set(publicKey, 32);
    h.set(message, 64);
    const k = leToBig(sha512(h)) % L;
    const SB = s === 0n ? Point.ZERO : Point.BASE.multiplyUnsafe(s);
    const kA = k === 0n ? Point.ZERO : A.multiplyUnsafe(k);
    return R.add(kA).subtract(SB).clearCofactor().is0();
  } catch {
    return false;
  }
}
