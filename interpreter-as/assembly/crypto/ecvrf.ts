// ECVRF-EDWARDS25519-SHA512-TAI verification (RFC 9381, suite 0x03) with
// public-key validation, encode_to_curve by try-and-increment (§5.4.1.1),
// and a 16-byte challenge.

import {
  geDoubleScalarMul, geFromBytes, geIsIdentity, geMulBy8, geNeg, geToBytes4,
} from "./ge25519";
import { scIsCanonical } from "./sc25519";
import { SHA512_INTERNAL_CTX, sha512FinalCtx, sha512InitCtx, sha512UpdateCtx } from "./sha512";

const SUITE: u8 = 0x03;
// Domain separators that follow the suite byte in each hash.
const DST_ENCODE: u8 = 0x01;
const DST_CHALLENGE: u8 = 0x02;
const DST_PROOF_TO_HASH: u8 = 0x03;
const DST_BACK: u8 = 0x00;

const PT_Y: usize = memory.data(160, 8);
const PT_GAMMA: usize = memory.data(160, 8);
const PT_H: usize = memory.data(160, 8);
const PT_U: usize = memory.data(160, 8);
const PT_V: usize = memory.data(160, 8);
const SMALL: usize = memory.data(160, 8);
const DIGEST: usize = memory.data(64, 8);
const C_SCALAR: usize = memory.data(32, 8);
// Encodings of H, U, V and [8]Gamma, in that order.
const ENC: usize = memory.data(128, 8);
const ENC_H: usize = ENC;
const ENC_U: usize = ENC + 32;
const ENC_V: usize = ENC + 64;
const ENC_G8: usize = ENC + 96;
const PT_G8: usize = memory.data(160, 8);
const BYTE2: usize = memory.data(2, 8);

@inline function put2(a: u8, b: u8): usize {
  store<u8>(BYTE2, a);
  store<u8>(BYTE2 + 1, b);
  return BYTE2;
}

export function ecvrfVerify(pk: usize, alpha: usize, alphaLen: u32, proof: usize, betaOut: usize): bool {
  const ctx = SHA512_INTERNAL_CTX;
  if (!geFromBytes(PT_Y, pk)) return false;
  geMulBy8(SMALL, PT_Y);
  if (geIsIdentity(SMALL)) return false;
  if (!geFromBytes(PT_GAMMA, proof)) return false;
  const s = proof + 48;
  if (!scIsCanonical(s)) return false;

  // H = encode_to_curve(pk, alpha): the first counter whose hash decodes to
  // a point that is not of small order, times the cofactor.
  let found = false;
  for (let ctr: u32 = 0; ctr < 256; ctr++) {
    sha512InitCtx(ctx);
    sha512UpdateCtx(ctx, put2(SUITE, DST_ENCODE), 2);
    sha512UpdateCtx(ctx, pk, 32);
    sha512UpdateCtx(ctx, alpha, alphaLen);
    sha512UpdateCtx(ctx, put2(ctr as u8, DST_BACK), 2);
    sha512FinalCtx(ctx, DIGEST);
    if (geFromBytes(PT_H, DIGEST)) {
      geMulBy8(PT_H, PT_H);
      if (!geIsIdentity(PT_H)) {
        found = true;
        break;
      }
    }
  }
  if (!found) return false;

  // c is 128 bits; widen it to a 256-bit scalar.
  memory.copy(C_SCALAR, proof + 32, 16);
  memory.fill(C_SCALAR + 16, 0, 16);

  // U = [s]B - [c]Y, V = [s]H - [c]Gamma. Gamma is still needed for beta,
  // so negate into a copy.
  geNeg(PT_Y, PT_Y);
  geDoubleScalarMul(PT_U, C_SCALAR, PT_Y, s, 0);
  geNeg(PT_V, PT_GAMMA);
  geDoubleScalarMul(PT_V, C_SCALAR, PT_V, s, PT_H);

  // All four encodings share one field inversion; [8]Gamma is only needed
  // on success but costs just three doublings.
  geMulBy8(PT_G8, PT_GAMMA);
  geToBytes4(ENC, PT_H, PT_U, PT_V, PT_G8);

  // c' = first 16 bytes of SHA-512(suite || 0x02 || Y || H || Gamma || U || V || 0x00).
  sha512InitCtx(ctx);
  sha512UpdateCtx(ctx, put2(SUITE, DST_CHALLENGE), 2);
  sha512UpdateCtx(ctx, pk, 32);
  sha512UpdateCtx(ctx, ENC_H, 32);
  sha512UpdateCtx(ctx, proof, 32);
  sha512UpdateCtx(ctx, ENC_U, 64); // U || V
  sha512UpdateCtx(ctx, put2(DST_BACK, 0), 1);
  sha512FinalCtx(ctx, DIGEST);
  if (load<u64>(DIGEST) != load<u64>(proof + 32) || load<u64>(DIGEST + 8) != load<u64>(proof + 40)) return false;

  // beta = SHA-512(suite || 0x03 || [8]Gamma || 0x00).
  sha512InitCtx(ctx);
  sha512UpdateCtx(ctx, put2(SUITE, DST_PROOF_TO_HASH), 2);
  sha512UpdateCtx(ctx, ENC_G8, 32);
  sha512UpdateCtx(ctx, put2(DST_BACK, 0), 1);
  sha512FinalCtx(ctx, betaOut);
  return true;
}
