// Scalars modulo the prime group order
//   L = 2^252 + 27742317777372353535851937790883648493.
// Verification only needs: a range check (S < L), reduction of a 64-byte hash
// mod L, and a signed-digit recoding for variable-time multiplication.

// L as four little-endian 64-bit words, most significant last.
const L_WORDS: usize = memory.data<u64>([0x5812631a5cf5d3ed, 0x14def9dea2f79cd6, 0, 0x1000000000000000]);

// Returns true iff the 32-byte little-endian integer at s is < L.
export function scIsCanonical(s: usize): bool {
  for (let i: i32 = 3; i >= 0; i--) {
    const a = load<u64>(s + ((i as usize) << 3));
    const b = load<u64>(L_WORDS + ((i as usize) << 3));
    if (a < b) return true;
    if (a > b) return false;
  }
  return false;
}

// Reduction works on 21-bit limbs: limb 12 sits at 2^252, and since
// 2^252 = -c (mod L) with c = L - 2^252 (125 bits), a limb s_i with i >= 12
// can be folded down as s_i * (-c) at position i - 12. -c is written here as
// six signed 21-bit digits, which keeps each fold product small.
const NEG_C: usize = memory.data<i64>([666643, 470296, 654183, -997805, 136657, -683901]);
const LIMB: usize = memory.data(24 * 8, 8);
const PACK: usize = memory.data(40, 8);

@inline function limbAt(i: usize): usize {
  return LIMB + (i << 3);
}

function fold(i: usize): void {
  const v = load<i64>(limbAt(i));
  for (let k: usize = 0; k < 6; k++) {
    const at = limbAt(i - 12 + k);
    store<i64>(at, load<i64>(at) + v * load<i64>(NEG_C + (k << 3)));
  }
  store<i64>(limbAt(i), 0);
}

// Carry limbs from..to (inclusive) into their successors. Rounding carries
// keep limbs in [-2^20, 2^20] so the next fold stays far from overflow; the
// final passes floor so every limb ends in [0, 2^21).
function carry(from: usize, to: usize, round: bool): void {
  const bias: i64 = round ? 1 << 20 : 0;
  for (let k = from; k <= to; k++) {
    const v = load<i64>(limbAt(k));
    const c = (v + bias) >> 21;
    store<i64>(limbAt(k), v - (c << 21));
    store<i64>(limbAt(k + 1), load<i64>(limbAt(k + 1)) + c);
  }
}

// out (32 bytes) = (64-byte little-endian integer at src) mod L.
// out may alias src.
export function scReduce64(out: usize, src: usize): void {
  for (let i: usize = 0; i < 24; i++) {
    const bit = i * 21;
    let v = load<u32>(src + (bit >> 3)) >> ((bit & 7) as u32);
    if (i < 23) v &= (1 << 21) - 1; // the last limb takes the top 29 bits
    store<i64>(limbAt(i), v as i64);
  }
  // Magnitudes (see carry): folds of untouched input limbs add at most
  // 6 * 2^49 per limb; after a rounding carry the next round of folds adds
  // at most 6 * 2^52; everything stays well inside i64.
  for (let i: usize = 23; i >= 18; i--) fold(i);
  carry(6, 16, true);
  for (let i: usize = 17; i >= 12; i--) fold(i);
  carry(0, 11, true);
  fold(12);
  carry(0, 11, false);
  fold(12);
  carry(0, 10, false);
  memory.fill(PACK, 0, 40);
  for (let i: usize = 0; i < 12; i++) {
    const v = load<u64>(limbAt(i));
    const bit = i * 21;
    const w = PACK + ((bit >> 6) << 3);
    const sh = bit & 63;
    store<u64>(w, load<u64>(w) | (v << sh));
    if (sh > 42) store<u64>(w + 8, load<u64>(w + 8) | (v >> (64 - sh)));
  }
  memory.copy(out, PACK, 32);
}

// Width-w non-adjacent form of a 256-bit little-endian scalar: writes 264
// signed digits (i8) to out, each 0 or odd with |d| < 2^(w-1), such that
// scalar = sum d_i 2^i and any w consecutive digits hold at most one nonzero.
// 264 slots cover the carry out of the top bit for any 256-bit input.
// w must be in [2, 8].
const NAF_BUF: usize = memory.data(40, 8);

export function scWnaf(out: usize, s: usize, w: u32): void {
  memory.fill(out, 0, 264);
  memory.copy(NAF_BUF, s, 32);
  memory.fill(NAF_BUF + 32, 0, 8);
  const width: u32 = 1 << w;
  const mask: u32 = width - 1;
  let carryBit: u32 = 0;
  let pos: u32 = 0;
  while (pos < 264) {
    // pos >> 3 <= 32, so this 4-byte load stays inside the padded buffer and
    // yields at least 25 valid bits after the shift.
    const bits = (load<u32>(NAF_BUF + (pos >> 3)) >> (pos & 7)) & mask;
    const win = bits + carryBit;
    if ((win & 1) == 0) {
      // Even window: the low digit is 0. A pending carry merges into this
      // bit (1 + 1 = 0, carry 1) or is absorbed (0 + 1 is odd, not here), so
      // it simply stays pending.
      pos++;
      continue;
    }
    if (win < (width >> 1)) {
      store<i8>(out + pos, win as i8);
      carryBit = 0;
    } else {
      store<i8>(out + pos, ((win as i32) - (width as i32)) as i8);
      carryBit = 1;
    }
    pos += w;
  }
}
