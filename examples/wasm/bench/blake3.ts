// Benchmark kernel: the BLAKE3 compression function chained over n 64-byte
// blocks of xorshift data (one chunk chain, no tree); returns the first word.
const IV: StaticArray<u32> = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const PERM: StaticArray<u8> = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8];

const v = new StaticArray<u32>(16);
const m = new StaticArray<u32>(16);
const t = new StaticArray<u32>(16);
const cv = new StaticArray<u32>(8);

@inline function g(a: i32, b: i32, c: i32, d: i32, x: u32, y: u32): void {
  let va = unchecked(v[a]), vb = unchecked(v[b]), vc = unchecked(v[c]), vd = unchecked(v[d]);
  va = va + vb + x; vd = rotr<u32>(vd ^ va, 16);
  vc = vc + vd; vb = rotr<u32>(vb ^ vc, 12);
  va = va + vb + y; vd = rotr<u32>(vd ^ va, 8);
  vc = vc + vd; vb = rotr<u32>(vb ^ vc, 7);
  unchecked(v[a] = va); unchecked(v[b] = vb); unchecked(v[c] = vc); unchecked(v[d] = vd);
}

function round(): void {
  g(0, 4, 8, 12, unchecked(m[0]), unchecked(m[1]));
  g(1, 5, 9, 13, unchecked(m[2]), unchecked(m[3]));
  g(2, 6, 10, 14, unchecked(m[4]), unchecked(m[5]));
  g(3, 7, 11, 15, unchecked(m[6]), unchecked(m[7]));
  g(0, 5, 10, 15, unchecked(m[8]), unchecked(m[9]));
  g(1, 6, 11, 12, unchecked(m[10]), unchecked(m[11]));
  g(2, 7, 8, 13, unchecked(m[12]), unchecked(m[13]));
  g(3, 4, 9, 14, unchecked(m[14]), unchecked(m[15]));
}

function compress(counter: u64, flags: u32): void {
  for (let i = 0; i < 8; i++) unchecked(v[i] = cv[i]);
  for (let i = 0; i < 4; i++) unchecked(v[8 + i] = IV[i]);
  unchecked(v[12] = <u32>counter);
  unchecked(v[13] = <u32>(counter >> 32));
  unchecked(v[14] = 64);
  unchecked(v[15] = flags);
  for (let r = 0; r < 7; r++) {
    round();
    if (r < 6) {
      for (let i = 0; i < 16; i++) unchecked(t[i] = m[PERM[i]]);
      for (let i = 0; i < 16; i++) unchecked(m[i] = t[i]);
    }
  }
  for (let i = 0; i < 8; i++) unchecked(cv[i] = v[i] ^ v[i + 8]);
}

export function run(n: i64): i64 {
  for (let i = 0; i < 8; i++) unchecked(cv[i] = IV[i]);
  let x: u32 = 88172645;
  for (let b: i64 = 0; b < n; b++) {
    for (let i = 0; i < 16; i++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      unchecked(m[i] = x);
    }
    compress(<u64>b, 0);
  }
  return <i64>unchecked(cv[0]);
}
