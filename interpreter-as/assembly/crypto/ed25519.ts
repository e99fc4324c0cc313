// Ed25519 signature verification, MHR-Byte v1 rule:
//  * A (public key) and R (sig[0..32]) are decoded strictly per RFC 8032
//    §5.1.3 (non-canonical y, non-square, or x = 0 with the sign bit set all
//    reject). Small-order points are accepted.
//  * S (sig[32..64]) must be < L.
//  * k = SHA-512(R || A || msg) mod L over the bytes as given.
//  * Accept iff [8]([S]B - [k]A - R) is the identity (the cofactored
//    equation of RFC 8032 §5.1.7), compared projectively.

import { geAddCached, geDouble, geDoubleScalarMul, geFromBytes, geIsIdentity, geNeg, geP1P1ToP2, geP3ToCached } from "./ge25519";
import { scIsCanonical, scReduce64 } from "./sc25519";
import { SHA512_INTERNAL_CTX, sha512FinalCtx, sha512InitCtx, sha512UpdateCtx } from "./sha512";

const PT_A: usize = memory.data(160, 8);
const PT_R: usize = memory.data(160, 8);
const PT_P: usize = memory.data(160, 8);
const R_CACHED: usize = memory.data(160, 8);
const P1P1: usize = memory.data(160, 8);
const DIGEST: usize = memory.data(64, 8);

export function ed25519Verify(pk: usize, msg: usize, msgLen: u32, sig: usize): bool {
  if (!geFromBytes(PT_A, pk)) return false;
  if (!geFromBytes(PT_R, sig)) return false;
  if (!scIsCanonical(sig + 32)) return false;

  const ctx = SHA512_INTERNAL_CTX;
  sha512InitCtx(ctx);
  sha512UpdateCtx(ctx, sig, 32);
  sha512UpdateCtx(ctx, pk, 32);
  sha512UpdateCtx(ctx, msg, msgLen);
  sha512FinalCtx(ctx, DIGEST);
  scReduce64(DIGEST, DIGEST); // k in DIGEST[0..32]

  // P = [k](-A) + [S]B, then P - R, then three doublings.
  geNeg(PT_A, PT_A);
  geDoubleScalarMul(PT_P, DIGEST, PT_A, sig + 32, 0);
  geP3ToCached(R_CACHED, PT_R);
  geAddCached(P1P1, PT_P, R_CACHED, true);
  geP1P1ToP2(PT_P, P1P1);
  geDouble(P1P1, PT_P);
  geP1P1ToP2(PT_P, P1P1);
  geDouble(P1P1, PT_P);
  geP1P1ToP2(PT_P, P1P1);
  geDouble(P1P1, PT_P);
  geP1P1ToP2(PT_P, P1P1);
  return geIsIdentity(PT_P);
}
