// SHA-512 (FIPS 180-4).
//
// Contexts: a context is a 208-byte static block, so several hashes can be in
// flight without any allocation. Two exist:
//  * the public streaming context, touched only by sha512Init/Update/Final;
//  * an internal context used by sha512Hash, ed25519Verify and ecvrfVerify,
//    each of which runs it from init to final before returning.
// So a caller may keep a streaming hash open across calls to any other crypto
// function here.
//
// Context layout: state (8 x u64) | block buffer (128) | total bytes (u64) |
// buffered bytes (u32) | padding.

const S_STATE: usize = 0;
const S_BUF: usize = 64;
const S_TOTAL: usize = 192;
const S_FILL: usize = 200;
export const SHA512_CTX_SIZE: i32 = 208;

// First 64 bits of the fractional parts of the square roots of the first 8
// primes.
const IV: usize = memory.data<u64>([0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1, 0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179]);

// First 64 bits of the fractional parts of the cube roots of the first 80
// primes.
const K: usize = memory.data<u64>([
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
]);

// Rolling 16-word message schedule: word t is only needed until t + 16.
const W: usize = memory.data(128, 8);

const PUBLIC_CTX: usize = memory.data(SHA512_CTX_SIZE, 8);
export const SHA512_INTERNAL_CTX: usize = memory.data(SHA512_CTX_SIZE, 8);

function compress(state: usize, block: usize): void {
  let a = load<u64>(state, 0), b = load<u64>(state, 8), c = load<u64>(state, 16), d = load<u64>(state, 24);
  let e = load<u64>(state, 32), f = load<u64>(state, 40), g = load<u64>(state, 48), h = load<u64>(state, 56);
  for (let t: usize = 0; t < 80; t++) {
    const slot = W + ((t & 15) << 3);
    let w: u64;
    if (t < 16) {
      w = bswap<u64>(load<u64>(block + (t << 3)));
    } else {
      const w2 = load<u64>(W + (((t - 2) & 15) << 3));
      const w15 = load<u64>(W + (((t - 15) & 15) << 3));
      const s1 = rotr<u64>(w2, 19) ^ rotr<u64>(w2, 61) ^ (w2 >> 6);
      const s0 = rotr<u64>(w15, 1) ^ rotr<u64>(w15, 8) ^ (w15 >> 7);
      w = s1 + load<u64>(W + (((t - 7) & 15) << 3)) + s0 + load<u64>(slot);
    }
    store<u64>(slot, w);
    const t1 = h + (rotr<u64>(e, 14) ^ rotr<u64>(e, 18) ^ rotr<u64>(e, 41)) + ((e & f) ^ (~e & g)) + load<u64>(K + (t << 3)) + w;
    const t2 = (rotr<u64>(a, 28) ^ rotr<u64>(a, 34) ^ rotr<u64>(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  store<u64>(state, load<u64>(state, 0) + a, 0);
  store<u64>(state, load<u64>(state, 8) + b, 8);
  store<u64>(state, load<u64>(state, 16) + c, 16);
  store<u64>(state, load<u64>(state, 24) + d, 24);
  store<u64>(state, load<u64>(state, 32) + e, 32);
  store<u64>(state, load<u64>(state, 40) + f, 40);
  store<u64>(state, load<u64>(state, 48) + g, 48);
  store<u64>(state, load<u64>(state, 56) + h, 56);
}

export function sha512InitCtx(ctx: usize): void {
  memory.copy(ctx + S_STATE, IV, 64);
  store<u64>(ctx + S_TOTAL, 0);
  store<u32>(ctx + S_FILL, 0);
}

export function sha512UpdateCtx(ctx: usize, src: usize, len: u32): void {
  store<u64>(ctx + S_TOTAL, load<u64>(ctx + S_TOTAL) + (len as u64));
  let fill = load<u32>(ctx + S_FILL);
  if (fill > 0) {
    const take = min<u32>(128 - fill, len);
    memory.copy(ctx + S_BUF + fill, src, take);
    fill += take; src += take; len -= take;
    if (fill < 128) {
      store<u32>(ctx + S_FILL, fill);
      return;
    }
    compress(ctx + S_STATE, ctx + S_BUF);
    fill = 0;
  }
  // Whole blocks straight from the caller's memory, no copy.
  while (len >= 128) {
    compress(ctx + S_STATE, src);
    src += 128; len -= 128;
  }
  memory.copy(ctx + S_BUF, src, len);
  store<u32>(ctx + S_FILL, len);
}

// Writes the 64-byte digest. The context must be re-initialised before reuse.
export function sha512FinalCtx(ctx: usize, out: usize): void {
  let fill = load<u32>(ctx + S_FILL) as usize;
  const buf = ctx + S_BUF;
  store<u8>(buf + fill, 0x80);
  fill++;
  if (fill > 112) {
    memory.fill(buf + fill, 0, 128 - fill);
    compress(ctx + S_STATE, buf);
    fill = 0;
  }
  memory.fill(buf + fill, 0, 112 - fill);
  // 128-bit big-endian bit length.
  const total = load<u64>(ctx + S_TOTAL);
  store<u64>(buf + 112, bswap<u64>(total >> 61));
  store<u64>(buf + 120, bswap<u64>(total << 3));
  compress(ctx + S_STATE, buf);
  for (let i: usize = 0; i < 64; i += 8) {
    store<u64>(out + i, bswap<u64>(load<u64>(ctx + S_STATE + i)));
  }
}

export function sha512Init(): void {
  sha512InitCtx(PUBLIC_CTX);
}

export function sha512Update(src: usize, len: u32): void {
  sha512UpdateCtx(PUBLIC_CTX, src, len);
}

export function sha512Final(out: usize): void {
  sha512FinalCtx(PUBLIC_CTX, out);
}

export function sha512Hash(src: usize, len: u32, out: usize): void {
  sha512InitCtx(SHA512_INTERNAL_CTX);
  sha512UpdateCtx(SHA512_INTERNAL_CTX, src, len);
  sha512FinalCtx(SHA512_INTERNAL_CTX, out);
}
