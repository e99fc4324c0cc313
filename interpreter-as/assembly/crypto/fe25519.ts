// Arithmetic in GF(p), p = 2^255 - 19.
//
// An element is 10 signed 32-bit limbs (40 bytes) in radix 2^25.5: limb i has
// weight 2^ceil(25.5*i), so even limbs carry 26 bits and odd limbs 25 bits.
// This keeps every partial product a 32x32->64 multiply (cheap on rv32/Xtensa,
// a single i64.mul in WASM) while leaving enough headroom that sums and
// differences can feed a multiply without an intermediate carry.
//
// Bounds contract (the same as the classic ref10 design):
//  * feMul/feSq/feSq2 return limbs with |h_i| <= ~1.01 * 2^25 (odd) / 2^26 (even).
//  * Their inputs may have limbs up to 1.65 * 2^26 (even) / 1.65 * 2^25 (odd),
//    i.e. the result of adding or subtracting at most ~3 reduced elements.
//    Under that bound 19*g_i and 2*f_i still fit in 32 bits, and the 10-term
//    sums stay below 2^63.
//  * feAdd/feSub/feNeg do not carry.
//
// All functions take pointers to 40-byte elements; outputs may alias inputs.

// d = -121665/121666 mod p, the twisted Edwards curve constant.
export const FE_D: usize = memory.data<i32>([56195235, 13857412, 51736253, 6949390, 114729, 24766616, 60832955, 30306712, 48412415, 21499315]);
// 2*d, used by the extended-coordinates addition formula.
export const FE_D2: usize = memory.data<i32>([45281625, 27714825, 36363642, 13898781, 229458, 15978800, 54557047, 27058993, 29715967, 9444199]);
// sqrt(-1) = 2^((p-1)/4) mod p, used to fix up square roots during decoding.
export const FE_SQRTM1: usize = memory.data<i32>([34513072, 25610706, 9377949, 3500415, 12389472, 33281959, 41962654, 31548777, 326685, 11406482]);

const T0: usize = memory.data(40, 8);
const T1: usize = memory.data(40, 8);
const T2: usize = memory.data(40, 8);
const Z11: usize = memory.data(40, 8);
const ZC: usize = memory.data(40, 8);
const BYTES: usize = memory.data(32, 8);

// Sign-extending 32x32->64 multiply; wasm2c+gcc lower this to a widening mul.
@inline function m(a: i32, b: i32): i64 {
  return (a as i64) * (b as i64);
}

// Two reduced limbs in one 8-byte store (fewer bounds checks after wasm2c).
@inline function storePair(h: usize, lo: i64, hi: i64, offset: usize): void {
  store<u64>(h + offset, (lo & 0xffffffff) | (hi << 32));
}

export function feZero(h: usize): void {
  memory.fill(h, 0, 40);
}

export function feOne(h: usize): void {
  memory.fill(h, 0, 40);
  store<i32>(h, 1);
}

export function feCopy(h: usize, f: usize): void {
  memory.copy(h, f, 40);
}

export function feAdd(h: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < 40; i += 4) {
    store<i32>(h + i, load<i32>(f + i) + load<i32>(g + i));
  }
}

export function feSub(h: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < 40; i += 4) {
    store<i32>(h + i, load<i32>(f + i) - load<i32>(g + i));
  }
}

export function feNeg(h: usize, f: usize): void {
  for (let i: usize = 0; i < 40; i += 4) {
    store<i32>(h + i, -load<i32>(f + i));
  }
}

// h = f * g. Terms whose limb indices sum past 9 wrap around with weight
// 2^255 = 19; two odd (25-bit) limbs multiply to half a unit too few, hence
// the extra factor 2 on f_odd * g_odd.
//
// Limbs are read as 8-byte pairs on purpose. Read singly, a limb used only
// sign-extended (f0, f2, ..., g0) becomes an i64.load32_s in the optimised
// WASM; wasm2c's strict-alignment load path then hides the 32-bit origin
// from gcc, which falls back to full 64x64 multiplies (3 mul + mulhu) for 60
// of the 100 products. Splitting a u64 keeps every operand visibly 32-bit,
// so all products become mul + mulh: ~20% fewer rv32 instructions per verify.
export function feMul(h: usize, f: usize, g: usize): void {
  const f01 = load<u64>(f, 0), f23 = load<u64>(f, 8), f45 = load<u64>(f, 16), f67 = load<u64>(f, 24), f89 = load<u64>(f, 32);
  const g01 = load<u64>(g, 0), g23 = load<u64>(g, 8), g45 = load<u64>(g, 16), g67 = load<u64>(g, 24), g89 = load<u64>(g, 32);
  const f0 = f01 as i32, f1 = (f01 >> 32) as i32, f2 = f23 as i32, f3 = (f23 >> 32) as i32, f4 = f45 as i32;
  const f5 = (f45 >> 32) as i32, f6 = f67 as i32, f7 = (f67 >> 32) as i32, f8 = f89 as i32, f9 = (f89 >> 32) as i32;
  const g0 = g01 as i32, g1 = (g01 >> 32) as i32, g2 = g23 as i32, g3 = (g23 >> 32) as i32, g4 = g45 as i32;
  const g5 = (g45 >> 32) as i32, g6 = g67 as i32, g7 = (g67 >> 32) as i32, g8 = g89 as i32, g9 = (g89 >> 32) as i32;
  const g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4, g5_19 = 19 * g5;
  const g6_19 = 19 * g6, g7_19 = 19 * g7, g8_19 = 19 * g8, g9_19 = 19 * g9;
  const f1_2 = 2 * f1, f3_2 = 2 * f3, f5_2 = 2 * f5, f7_2 = 2 * f7, f9_2 = 2 * f9;
  let c: i64;
  let h0 = m(f0, g0) + m(f1_2, g9_19) + m(f2, g8_19) + m(f3_2, g7_19) + m(f4, g6_19) + m(f5_2, g5_19) + m(f6, g4_19) + m(f7_2, g3_19) + m(f8, g2_19) + m(f9_2, g1_19);
  let h1 = m(f0, g1) + m(f1, g0) + m(f2, g9_19) + m(f3, g8_19) + m(f4, g7_19) + m(f5, g6_19) + m(f6, g5_19) + m(f7, g4_19) + m(f8, g3_19) + m(f9, g2_19);
  let h2 = m(f0, g2) + m(f1_2, g1) + m(f2, g0) + m(f3_2, g9_19) + m(f4, g8_19) + m(f5_2, g7_19) + m(f6, g6_19) + m(f7_2, g5_19) + m(f8, g4_19) + m(f9_2, g3_19);
  let h3 = m(f0, g3) + m(f1, g2) + m(f2, g1) + m(f3, g0) + m(f4, g9_19) + m(f5, g8_19) + m(f6, g7_19) + m(f7, g6_19) + m(f8, g5_19) + m(f9, g4_19);
  let h4 = m(f0, g4) + m(f1_2, g3) + m(f2, g2) + m(f3_2, g1) + m(f4, g0) + m(f5_2, g9_19) + m(f6, g8_19) + m(f7_2, g7_19) + m(f8, g6_19) + m(f9_2, g5_19);
  let h5 = m(f0, g5) + m(f1, g4) + m(f2, g3) + m(f3, g2) + m(f4, g1) + m(f5, g0) + m(f6, g9_19) + m(f7, g8_19) + m(f8, g7_19) + m(f9, g6_19);
  let h6 = m(f0, g6) + m(f1_2, g5) + m(f2, g4) + m(f3_2, g3) + m(f4, g2) + m(f5_2, g1) + m(f6, g0) + m(f7_2, g9_19) + m(f8, g8_19) + m(f9_2, g7_19);
  let h7 = m(f0, g7) + m(f1, g6) + m(f2, g5) + m(f3, g4) + m(f4, g3) + m(f5, g2) + m(f6, g1) + m(f7, g0) + m(f8, g9_19) + m(f9, g8_19);
  let h8 = m(f0, g8) + m(f1_2, g7) + m(f2, g6) + m(f3_2, g5) + m(f4, g4) + m(f5_2, g3) + m(f6, g2) + m(f7_2, g1) + m(f8, g0) + m(f9_2, g9_19);
  let h9 = m(f0, g9) + m(f1, g8) + m(f2, g7) + m(f3, g6) + m(f4, g5) + m(f5, g4) + m(f6, g3) + m(f7, g2) + m(f8, g1) + m(f9, g0);
  c = (h0 + 0x2000000) >> 26; h1 += c; h0 -= c << 26;
  c = (h4 + 0x2000000) >> 26; h5 += c; h4 -= c << 26;
  c = (h1 + 0x1000000) >> 25; h2 += c; h1 -= c << 25;
  c = (h5 + 0x1000000) >> 25; h6 += c; h5 -= c << 25;
  c = (h2 + 0x2000000) >> 26; h3 += c; h2 -= c << 26;
  c = (h6 + 0x2000000) >> 26; h7 += c; h6 -= c << 26;
  c = (h3 + 0x1000000) >> 25; h4 += c; h3 -= c << 25;
  c = (h7 + 0x1000000) >> 25; h8 += c; h7 -= c << 25;
  c = (h4 + 0x2000000) >> 26; h5 += c; h4 -= c << 26;
  c = (h8 + 0x2000000) >> 26; h9 += c; h8 -= c << 26;
  c = (h9 + 0x1000000) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h0 + 0x2000000) >> 26; h1 += c; h0 -= c << 26;
  storePair(h, h0, h1, 0); storePair(h, h2, h3, 8); storePair(h, h4, h5, 16);
  storePair(h, h6, h7, 24); storePair(h, h8, h9, 32);
}

// h = f^2. Symmetric terms are merged, so only 55 products are needed.
export function feSq(h: usize, f: usize): void {
  const f0 = load<i32>(f, 0), f1 = load<i32>(f, 4), f2 = load<i32>(f, 8), f3 = load<i32>(f, 12), f4 = load<i32>(f, 16);
  const f5 = load<i32>(f, 20), f6 = load<i32>(f, 24), f7 = load<i32>(f, 28), f8 = load<i32>(f, 32), f9 = load<i32>(f, 36);
  const f0_2 = 2 * f0, f1_2 = 2 * f1, f2_2 = 2 * f2, f3_2 = 2 * f3, f4_2 = 2 * f4;
  const f5_2 = 2 * f5, f6_2 = 2 * f6, f7_2 = 2 * f7, f8_2 = 2 * f8;
  const f6_19 = 19 * f6, f7_19 = 19 * f7, f8_19 = 19 * f8, f9_19 = 19 * f9;
  const f5_38 = 38 * f5, f7_38 = 38 * f7, f9_38 = 38 * f9;
  let c: i64;
  let h0 = m(f0, f0) + m(f1_2, f9_38) + m(f2_2, f8_19) + m(f3_2, f7_38) + m(f4_2, f6_19) + m(f5, f5_38);
  let h1 = m(f0_2, f1) + m(f2_2, f9_19) + m(f3_2, f8_19) + m(f4_2, f7_19) + m(f5_2, f6_19);
  let h2 = m(f0_2, f2) + m(f1_2, f1) + m(f3_2, f9_38) + m(f4_2, f8_19) + m(f5_2, f7_38) + m(f6, f6_19);
  let h3 = m(f0_2, f3) + m(f1_2, f2) + m(f4_2, f9_19) + m(f5_2, f8_19) + m(f6_2, f7_19);
  let h4 = m(f0_2, f4) + m(f1_2, f3_2) + m(f2, f2) + m(f5_2, f9_38) + m(f6_2, f8_19) + m(f7, f7_38);
  let h5 = m(f0_2, f5) + m(f1_2, f4) + m(f2_2, f3) + m(f6_2, f9_19) + m(f7_2, f8_19);
  let h6 = m(f0_2, f6) + m(f1_2, f5_2) + m(f2_2, f4) + m(f3_2, f3) + m(f7_2, f9_38) + m(f8, f8_19);
  let h7 = m(f0_2, f7) + m(f1_2, f6) + m(f2_2, f5) + m(f3_2, f4) + m(f8_2, f9_19);
  let h8 = m(f0_2, f8) + m(f1_2, f7_2) + m(f2_2, f6) + m(f3_2, f5_2) + m(f4, f4) + m(f9, f9_38);
  let h9 = m(f0_2, f9) + m(f1_2, f8) + m(f2_2, f7) + m(f3_2, f6) + m(f4_2, f5);
  c = (h0 + 0x2000000) >> 26; h1 += c; h0 -= c << 26;
  c = (h4 + 0x2000000) >> 26; h5 += c; h4 -= c << 26;
  c = (h1 + 0x1000000) >> 25; h2 += c; h1 -= c << 25;
  c = (h5 + 0x1000000) >> 25; h6 += c; h5 -= c << 25;
  c = (h2 + 0x2000000) >> 26; h3 += c; h2 -= c << 26;
  c = (h6 + 0x2000000) >> 26; h7 += c; h6 -= c << 26;
  c = (h3 + 0x1000000) >> 25; h4 += c; h3 -= c << 25;
  c = (h7 + 0x1000000) >> 25; h8 += c; h7 -= c << 25;
  c = (h4 + 0x2000000) >> 26; h5 += c; h4 -= c << 26;
  c = (h8 + 0x2000000) >> 26; h9 += c; h8 -= c << 26;
  c = (h9 + 0x1000000) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h0 + 0x2000000) >> 26; h1 += c; h0 -= c << 26;
  storePair(h, h0, h1, 0); storePair(h, h2, h3, 8); storePair(h, h4, h5, 16);
  storePair(h, h6, h7, 24); storePair(h, h8, h9, 32);
}

// h = 2 f^2 (point doubling), as tightly reduced as a plain square: the
// square is doubled limb by limb and carried again. A second copy of the
// 55-product square that doubles before its carry would save the extra pass
// (~0.4% of a verify) for ~2 KB more code.
export function feSq2(h: usize, f: usize): void {
  feSq(h, f);
  // |limbs| <= ~2^25 (even) / 2^24 (odd) after feSq, so twice that and the
  // 19 * carry below stay far inside 32 bits.
  let h0 = load<i32>(h, 0) << 1, h1 = load<i32>(h, 4) << 1, h2 = load<i32>(h, 8) << 1, h3 = load<i32>(h, 12) << 1, h4 = load<i32>(h, 16) << 1;
  let h5 = load<i32>(h, 20) << 1, h6 = load<i32>(h, 24) << 1, h7 = load<i32>(h, 28) << 1, h8 = load<i32>(h, 32) << 1, h9 = load<i32>(h, 36) << 1;
  let c: i32;
  c = (h0 + 0x2000000) >> 26; h1 += c; h0 -= c << 26;
  c = (h4 + 0x2000000) >> 26; h5 += c; h4 -= c << 26;
  c = (h1 + 0x1000000) >> 25; h2 += c; h1 -= c << 25;
  c = (h5 + 0x1000000) >> 25; h6 += c; h5 -= c << 25;
  c = (h2 + 0x2000000) >> 26; h3 += c; h2 -= c << 26;
  c = (h6 + 0x2000000) >> 26; h7 += c; h6 -= c << 26;
  c = (h3 + 0x1000000) >> 25; h4 += c; h3 -= c << 25;
  c = (h7 + 0x1000000) >> 25; h8 += c; h7 -= c << 25;
  c = (h4 + 0x2000000) >> 26; h5 += c; h4 -= c << 26;
  c = (h8 + 0x2000000) >> 26; h9 += c; h8 -= c << 26;
  c = (h9 + 0x1000000) >> 25; h0 += c * 19; h9 -= c << 25;
  c = (h0 + 0x2000000) >> 26; h1 += c; h0 -= c << 26;
  store<i32>(h, h0, 0); store<i32>(h, h1, 4); store<i32>(h, h2, 8); store<i32>(h, h3, 12); store<i32>(h, h4, 16);
  store<i32>(h, h5, 20); store<i32>(h, h6, 24); store<i32>(h, h7, 28); store<i32>(h, h8, 32); store<i32>(h, h9, 36);
}

// h = f^(2^n), n >= 1.
export function feSqN(h: usize, f: usize, n: i32): void {
  feSq(h, f);
  for (let i = 1; i < n; i++) feSq(h, h);
}

// Limb i starts at bit SHIFT[i] of the 255-bit integer.
// 0, 26, 51, 77, 102, 128, 153, 179, 204, 230
@inline function limbIn(s: usize, bit: u32, width: u32): i32 {
  return ((load<u32>(s + (bit >> 3)) >> (bit & 7)) & ((1 << width) - 1)) as i32;
}

// Reads 32 little-endian bytes, ignoring bit 255 (the x sign in encodings).
// A value in [p, 2^255) is accepted here; callers that need canonical input
// check that separately.
export function feFromBytes(h: usize, s: usize): void {
  store<i32>(h, limbIn(s, 0, 26), 0);
  store<i32>(h, limbIn(s, 26, 25), 4);
  store<i32>(h, limbIn(s, 51, 26), 8);
  store<i32>(h, limbIn(s, 77, 25), 12);
  store<i32>(h, limbIn(s, 102, 26), 16);
  store<i32>(h, limbIn(s, 128, 25), 20);
  store<i32>(h, limbIn(s, 153, 26), 24);
  store<i32>(h, limbIn(s, 179, 25), 28);
  store<i32>(h, limbIn(s, 204, 26), 32);
  store<i32>(h, limbIn(s, 230, 25), 36);
}

// Writes the unique representative in [0, p) as 32 little-endian bytes.
// Accepts any limbs of moderate size (|h_i| < 2^30).
export function feToBytes(s: usize, f: usize): void {
  let h0 = load<i32>(f, 0), h1 = load<i32>(f, 4), h2 = load<i32>(f, 8), h3 = load<i32>(f, 12), h4 = load<i32>(f, 16);
  let h5 = load<i32>(f, 20), h6 = load<i32>(f, 24), h7 = load<i32>(f, 28), h8 = load<i32>(f, 32), h9 = load<i32>(f, 36);
  let c: i32;
  // Two floor-carry passes bring every limb into [0, 2^width): the first
  // shrinks the top carry to a few units, the second absorbs it.
  for (let pass = 0; pass < 2; pass++) {
    c = h0 >> 26; h1 += c; h0 -= c << 26;
    c = h1 >> 25; h2 += c; h1 -= c << 25;
    c = h2 >> 26; h3 += c; h2 -= c << 26;
    c = h3 >> 25; h4 += c; h3 -= c << 25;
    c = h4 >> 26; h5 += c; h4 -= c << 26;
    c = h5 >> 25; h6 += c; h5 -= c << 25;
    c = h6 >> 26; h7 += c; h6 -= c << 26;
    c = h7 >> 25; h8 += c; h7 -= c << 25;
    c = h8 >> 26; h9 += c; h8 -= c << 26;
    c = h9 >> 25; h0 += 19 * c; h9 -= c << 25;
  }
  // Now 0 <= h < 2^255. h >= p exactly when h + 19 overflows 2^255; q is
  // that overflow bit, and adding 19q then dropping bit 255 subtracts p.
  let q = (h0 + 19) >> 26;
  q = (h1 + q) >> 25; q = (h2 + q) >> 26; q = (h3 + q) >> 25; q = (h4 + q) >> 26;
  q = (h5 + q) >> 25; q = (h6 + q) >> 26; q = (h7 + q) >> 25; q = (h8 + q) >> 26;
  q = (h9 + q) >> 25;
  h0 += 19 * q;
  c = h0 >> 26; h1 += c; h0 -= c << 26;
  c = h1 >> 25; h2 += c; h1 -= c << 25;
  c = h2 >> 26; h3 += c; h2 -= c << 26;
  c = h3 >> 25; h4 += c; h3 -= c << 25;
  c = h4 >> 26; h5 += c; h4 -= c << 26;
  c = h5 >> 25; h6 += c; h5 -= c << 25;
  c = h6 >> 26; h7 += c; h6 -= c << 26;
  c = h7 >> 25; h8 += c; h7 -= c << 25;
  c = h8 >> 26; h9 += c; h8 -= c << 26;
  h9 &= (1 << 25) - 1;
  store<u32>(s, (h0 | (h1 << 26)) as u32, 0);
  store<u32>(s, (((h1 as u32) >> 6) | ((h2 as u32) << 19)), 4);
  store<u32>(s, (((h2 as u32) >> 13) | ((h3 as u32) << 13)), 8);
  store<u32>(s, (((h3 as u32) >> 19) | ((h4 as u32) << 6)), 12);
  store<u32>(s, ((h5 as u32) | ((h6 as u32) << 25)), 16);
  store<u32>(s, (((h6 as u32) >> 7) | ((h7 as u32) << 19)), 20);
  store<u32>(s, (((h7 as u32) >> 13) | ((h8 as u32) << 12)), 24);
  store<u32>(s, (((h8 as u32) >> 20) | ((h9 as u32) << 6)), 28);
}

export function feIsZero(f: usize): bool {
  feToBytes(BYTES, f);
  return (load<u64>(BYTES, 0) | load<u64>(BYTES, 8) | load<u64>(BYTES, 16) | load<u64>(BYTES, 24)) == 0;
}

// The "sign" of x in RFC 8032 encodings: the low bit of its canonical form.
export function feIsNegative(f: usize): i32 {
  feToBytes(BYTES, f);
  return (load<u8>(BYTES) & 1) as i32;
}

// out = z^(2^250 - 1); also leaves z^11 in Z11 for the inversion tail.
// Both exponents used below share this prefix of the addition chain.
function pow250(out: usize, z: usize): void {
  feSq(T0, z);               // z^2
  feSqN(T1, T0, 2);          // z^8
  feMul(T1, z, T1);          // z^9
  feMul(Z11, T0, T1);        // z^11
  feSq(T0, Z11);             // z^22
  feMul(T0, T1, T0);         // z^31 = z^(2^5 - 1)
  feSqN(T1, T0, 5);
  feMul(T0, T1, T0);         // 2^10 - 1
  feSqN(T1, T0, 10);
  feMul(T1, T1, T0);         // 2^20 - 1
  feSqN(T2, T1, 20);
  feMul(T1, T2, T1);         // 2^40 - 1
  feSqN(T1, T1, 10);
  feMul(T0, T1, T0);         // 2^50 - 1
  feSqN(T1, T0, 50);
  feMul(T1, T1, T0);         // 2^100 - 1
  feSqN(T2, T1, 100);
  feMul(T1, T2, T1);         // 2^200 - 1
  feSqN(T1, T1, 50);
  feMul(out, T1, T0);        // 2^250 - 1
}

// out = z^(p-2) = z^(2^255 - 21) = 1/z (0 maps to 0).
export function feInvert(out: usize, z: usize): void {
  pow250(out, z);
  feSqN(out, out, 5);        // 2^255 - 32
  feMul(out, out, Z11);      // 2^255 - 21
}

// out = z^((p-5)/8) = z^(2^252 - 3), the core of the square-root-of-ratio.
export function fePow22523(out: usize, z: usize): void {
  // z may alias out, and pow250 overwrites out before it is done with z.
  feCopy(ZC, z);
  pow250(out, z);
  feSqN(out, out, 2);        // 2^252 - 4
  feMul(out, out, ZC);       // 2^252 - 3
}
