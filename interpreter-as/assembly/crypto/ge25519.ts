// The edwards25519 group: -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19).
//
// Point formats (each coordinate a 40-byte field element, see fe25519.ts):
//  P2     X Y Z         x = X/Z, y = Y/Z                     (120 bytes)
//  P3     X Y Z T       as P2 plus T = XY/Z ("extended")      (160 bytes)
//  P1P1   X Y Z T       x = X/Z, y = Y/T ("completed"): the natural output
//                       of add/double; converting costs 3 (to P2) or 4 (to
//                       P3) multiplies, so we only pay for T when needed.
//  CACHED Y+X, Y-X, Z, 2dT   a P3 point prepared as an addend  (160 bytes)
//  PRECOMP y+x, y-x, 2dxy    an affine (Z = 1) addend          (120 bytes)
// The formulas are the complete ones for a = -1 (Hisil-Wong-Carter-Dawson
// 2008), valid for every pair of points since d is not a square, so no
// special cases exist for the identity, doubling or small-order points.
//
// Everything here is variable-time: it only ever processes public data.

import {
  FE_D, FE_D2, FE_SQRTM1, feAdd, feCopy, feFromBytes, feInvert, feIsNegative, feIsZero,
  feMul, feNeg, feOne, fePow22523, feSq, feSq2, feSub, feToBytes, feZero,
} from "./fe25519";
import { scWnaf } from "./sc25519";

// Coordinate offsets.
const X: usize = 0;
const Y: usize = 40;
const Z: usize = 80;
const T: usize = 120;

const FT0: usize = memory.data(40, 8);
const FU: usize = memory.data(40, 8);
const FV: usize = memory.data(40, 8);
const FV3: usize = memory.data(40, 8);
const FCHK: usize = memory.data(40, 8);

export function geP1P1ToP2(r: usize, p: usize): void {
  feMul(r + X, p + X, p + T);
  feMul(r + Y, p + Y, p + Z);
  feMul(r + Z, p + Z, p + T);
}

export function geP1P1ToP3(r: usize, p: usize): void {
  feMul(r + X, p + X, p + T);
  feMul(r + Y, p + Y, p + Z);
  feMul(r + Z, p + Z, p + T);
  feMul(r + T, p + X, p + Y);
}

export function geP3ToCached(r: usize, p: usize): void {
  feAdd(r + 0, p + Y, p + X);
  feSub(r + 40, p + Y, p + X);
  feCopy(r + 80, p + Z);
  feMul(r + 120, p + T, FE_D2);
}

export function geIdentity(r: usize): void {
  feZero(r + X);
  feOne(r + Y);
  feOne(r + Z);
  feZero(r + T);
}

export function geNeg(r: usize, p: usize): void {
  feNeg(r + X, p + X);
  feCopy(r + Y, p + Y);
  feCopy(r + Z, p + Z);
  feNeg(r + T, p + T);
}

// r (P1P1) = p (P3) +/- q (CACHED). r must not alias p or q.
// With A = (Y1-X1)(Y2-X2), B = (Y1+X1)(Y2+X2), C = 2d T1 T2, D = 2 Z1 Z2 the
// result is X = B-A, Y = B+A, Z = D+C, T = D-C. Subtracting negates x, which
// swaps Y+X with Y-X and flips the sign of C.
export function geAddCached(r: usize, p: usize, q: usize, sub: bool): void {
  feAdd(r + X, p + Y, p + X);
  feSub(r + Y, p + Y, p + X);
  feMul(r + Z, r + X, q + (sub ? 40 : 0));
  feMul(r + Y, r + Y, q + (sub ? 0 : 40));
  feMul(r + T, q + 120, p + T);
  feMul(r + X, p + Z, q + 80);
  feAdd(FT0, r + X, r + X);
  feSub(r + X, r + Z, r + Y);
  feAdd(r + Y, r + Z, r + Y);
  if (sub) {
    feSub(r + Z, FT0, r + T);
    feAdd(r + T, FT0, r + T);
  } else {
    feAdd(r + Z, FT0, r + T);
    feSub(r + T, FT0, r + T);
  }
}

// r (P1P1) = 2 p (P2, or the P2 part of a P3). r must not alias p.
// A = X^2, B = Y^2, C = 2 Z^2, E = (X+Y)^2 - A - B: the result is
// (E, B+A, B-A, C-B+A), i.e. the textbook doubling with every coordinate
// negated, which is the same projective point.
export function geDouble(r: usize, p: usize): void {
  feSq(r + X, p + X);
  feSq(r + Z, p + Y);
  feSq2(r + T, p + Z);
  feAdd(r + Y, p + X, p + Y);
  feSq(FT0, r + Y);
  feAdd(r + Y, r + Z, r + X);
  feSub(r + Z, r + Z, r + X);
  feSub(r + X, FT0, r + Y);
  feSub(r + T, r + T, r + Z);
}

const DBL: usize = memory.data(160, 8);

// r (P3) = 8 p (P3). r may alias p.
export function geMulBy8(r: usize, p: usize): void {
  geDouble(DBL, p);
  geP1P1ToP2(r, DBL);
  geDouble(DBL, r);
  geP1P1ToP2(r, DBL);
  geDouble(DBL, r);
  geP1P1ToP3(r, DBL);
}

// True iff the P2/P3 point p is the neutral element (0, 1): X = 0, Y = Z.
export function geIsIdentity(p: usize): bool {
  if (!feIsZero(p + X)) return false;
  feSub(FCHK, p + Y, p + Z);
  return feIsZero(FCHK);
}

// Strict RFC 8032 §5.1.3 decoding of 32 bytes at s into r (P3). Returns false
// (r then undefined) if y >= p, if (y^2 - 1)/(d y^2 + 1) has no square root,
// or if x = 0 while the sign bit is set.
export function geFromBytes(r: usize, s: usize): bool {
  // Canonical y: the low 255 bits must be < p = 2^255 - 19, i.e. not in
  // [2^255 - 19, 2^255 - 1] = ff..ff7f with a first byte >= 0xed.
  if ((load<u8>(s + 31) & 0x7f) == 0x7f && load<u8>(s) >= 0xed) {
    let allOnes = true;
    for (let i: usize = 1; i < 31; i++) {
      if (load<u8>(s + i) != 0xff) { allOnes = false; break; }
    }
    if (allOnes) return false;
  }
  const sign = (load<u8>(s + 31) >> 7) as i32;
  feFromBytes(r + Y, s);
  feOne(r + Z);
  // x^2 = u / v with u = y^2 - 1, v = d y^2 + 1 (v is never 0 since -1/d is
  // not a square). Candidate root x = u v^3 (u v^7)^((p-5)/8).
  feSq(FU, r + Y);
  feMul(FV, FU, FE_D);
  feSub(FU, FU, r + Z);
  feAdd(FV, FV, r + Z);
  feSq(FV3, FV);
  feMul(FV3, FV3, FV);       // v^3
  feSq(r + X, FV3);
  feMul(r + X, r + X, FV);
  feMul(r + X, r + X, FU);   // u v^7
  fePow22523(r + X, r + X);
  feMul(r + X, r + X, FV3);
  feMul(r + X, r + X, FU);
  // v x^2 is u (x is a root), -u (x * sqrt(-1) is), or neither.
  feSq(FCHK, r + X);
  feMul(FCHK, FCHK, FV);
  feSub(FT0, FCHK, FU);
  if (!feIsZero(FT0)) {
    feAdd(FT0, FCHK, FU);
    if (!feIsZero(FT0)) return false;
    feMul(r + X, r + X, FE_SQRTM1);
  }
  const neg = feIsNegative(r + X);
  if (sign == 1 && neg == 0 && feIsZero(r + X)) return false;
  if (neg != sign) feNeg(r + X, r + X);
  feMul(r + T, r + X, r + Y);
  return true;
}

// Canonical 32-byte encoding of the P2/P3 point p, given zinv = 1/Z.
function encodeWithInverse(s: usize, p: usize, zinv: usize): void {
  feMul(FU, p + X, zinv);
  feMul(FV, p + Y, zinv);
  feToBytes(s, FV);
  store<u8>(s + 31, load<u8>(s + 31) | ((feIsNegative(FU) as u8) << 7));
}

// Canonical 32-byte encoding of the P2/P3 point p.
export function geToBytes(s: usize, p: usize): void {
  feInvert(FT0, p + Z);
  encodeWithInverse(s, p, FT0);
}

const PREFIX: usize = memory.data(3 * 40, 8);
const INV: usize = memory.data(40, 8);
const ZI: usize = memory.data(40, 8);

// Encodes four points into out[0..128] with a single field inversion
// (Montgomery's trick): with running products q1 = Z0 Z1, q2 = q1 Z2,
// q3 = q2 Z3, one inverse of q3 peels off each 1/Z_i right to left.
export function geToBytes4(out: usize, p0: usize, p1: usize, p2: usize, p3: usize): void {
  feMul(PREFIX, p0 + Z, p1 + Z);
  feMul(PREFIX + 40, PREFIX, p2 + Z);
  feMul(PREFIX + 80, PREFIX + 40, p3 + Z);
  feInvert(INV, PREFIX + 80);            // 1/(Z0 Z1 Z2 Z3)
  feMul(ZI, INV, PREFIX + 40);
  encodeWithInverse(out + 96, p3, ZI);
  feMul(INV, INV, p3 + Z);               // 1/(Z0 Z1 Z2)
  feMul(ZI, INV, PREFIX);
  encodeWithInverse(out + 64, p2, ZI);
  feMul(INV, INV, p2 + Z);               // 1/(Z0 Z1)
  feMul(ZI, INV, p0 + Z);
  encodeWithInverse(out + 32, p1, ZI);
  feMul(ZI, INV, p1 + Z);
  encodeWithInverse(out, p0, ZI);
}

// Tables of the odd multiples P, 3P, ..., 15P in CACHED form (width-5 NAF).
const TAB_A: usize = memory.data(8 * 160, 8);
const TAB_Q: usize = memory.data(8 * 160, 8);
const NAF_A: usize = memory.data(264, 8);
const NAF_B: usize = memory.data(264, 8);
const ACC: usize = memory.data(120, 8);
const SUM: usize = memory.data(160, 8);
const TMP: usize = memory.data(160, 8);
const TWO: usize = memory.data(160, 8);
// The odd multiples B, 3B, ..., 15B of the base point, built when the module
// starts (so every verification costs the same, whatever ran before it). They
// were a 3,072-byte constant table for width-7 digits; width 5 for B costs
// ~11 more point additions per verify, for ~3.4 KB of flash that the VM loop
// needs more (issue 10).
const TAB_B: usize = memory.data(8 * 160, 8);
const PT_B: usize = memory.data(160, 8);
// RFC 8032 §5.1: B = (x, 4/5) with x even, encoded as y = 4/5 little-endian.
const B_ENC: usize = memory.data<u8>([
  0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
  0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
]);

function buildTable(tab: usize, p: usize): void {
  geP3ToCached(tab, p);
  geDouble(SUM, p);
  geP1P1ToP3(TMP, SUM);
  geP3ToCached(TWO, TMP);          // 2P
  memory.copy(TMP, p, 160);        // running odd multiple
  for (let i: usize = 1; i < 8; i++) {
    geAddCached(SUM, TMP, TWO, false);
    geP1P1ToP3(TMP, SUM);
    geP3ToCached(tab + i * 160, TMP);
  }
}

geFromBytes(PT_B, B_ENC);
buildTable(TAB_B, PT_B);

// r (P3) = [a]P + [b]Q, or [a]P + [b]B when q == 0, for 32-byte
// little-endian scalars a and b (any 256-bit values). Variable time:
// NAF digits (width 5) of both scalars share one chain of doublings.
// r may alias p or q.
export function geDoubleScalarMul(r: usize, a: usize, p: usize, b: usize, q: usize): void {
  const base = q == 0;
  scWnaf(NAF_A, a, 5);
  scWnaf(NAF_B, b, 5);
  buildTable(TAB_A, p);
  if (!base) buildTable(TAB_Q, q);
  const tabB = base ? TAB_B : TAB_Q;
  let i: i32 = 263;
  while (i >= 0 && load<i8>(NAF_A + i) == 0 && load<i8>(NAF_B + i) == 0) i--;
  if (i < 0) {
    geIdentity(r);
    return;
  }
  feZero(ACC + X);
  feOne(ACC + Y);
  feOne(ACC + Z);
  for (; i >= 0; i--) {
    geDouble(SUM, ACC);
    const da = load<i8>(NAF_A + i) as i32;
    if (da != 0) {
      geP1P1ToP3(TMP, SUM);
      const idx = ((da < 0 ? -da : da) >> 1) as usize;
      geAddCached(SUM, TMP, TAB_A + idx * 160, da < 0);
    }
    const db = load<i8>(NAF_B + i) as i32;
    if (db != 0) {
      geP1P1ToP3(TMP, SUM);
      const idx = ((db < 0 ? -db : db) >> 1) as usize;
      geAddCached(SUM, TMP, tabB + idx * 160, db < 0);
    }
    if (i > 0) geP1P1ToP2(ACC, SUM);
  }
  geP1P1ToP3(r, SUM);
}
