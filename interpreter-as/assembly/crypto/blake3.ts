// BLAKE3 with the default 32-byte output (hash mode only, no key, no XOF).
//
// Input is split into 1024-byte chunks of 16 64-byte blocks. Each chunk is
// compressed block by block into a chaining value (CV); CVs are merged
// pairwise into a binary tree with the PARENT flag, and the very last
// compression (chunk or parent) carries the ROOT flag. A chunk or block can
// only be finalised once we know more input follows, because the last one
// gets different flags; so a full block stays buffered until more data
// arrives.
//
// One static streaming context: blake3Init/Update/Final use it, and
// blake3Hash reinitialises it (do not interleave blake3Hash with an open
// stream).

const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const PARENT: u32 = 4;
const ROOT: u32 = 8;

// Same words as the SHA-256 IV (fractional parts of sqrt of the first 8 primes).
const IV: usize = memory.data<u32>([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

// Static context.
const CV: usize = memory.data(32, 8);           // CV of the chunk in progress
const BUF: usize = memory.data(64, 8);          // pending block
const PAIR: usize = memory.data(64, 8);         // parent block: left CV | right CV
// The CV stack holds one entry per set bit of the number of completed chunks,
// so 32 entries cover 2^32 chunks (4 TiB). The index is masked so even a
// longer stream can never write outside it.
const STACK_DEPTH: u32 = 32;
const STACK: usize = memory.data(32 * 32, 8);
let fill: u32 = 0;          // bytes in BUF
let blocks: u32 = 0;        // blocks already compressed in this chunk
let chunkCounter: u64 = 0;  // index of the chunk in progress
let stackLen: u32 = 0;

// Compression function: writes the 8-word truncated output to out (may alias
// cv). Message words are read little-endian straight from block, which need
// not be aligned.
function compress(cv: usize, block: usize, counter: u64, blockLen: u32, flags: u32, out: usize): void {
  let m0 = load<u32>(block, 0), m1 = load<u32>(block, 4), m2 = load<u32>(block, 8), m3 = load<u32>(block, 12);
  let m4 = load<u32>(block, 16), m5 = load<u32>(block, 20), m6 = load<u32>(block, 24), m7 = load<u32>(block, 28);
  let m8 = load<u32>(block, 32), m9 = load<u32>(block, 36), m10 = load<u32>(block, 40), m11 = load<u32>(block, 44);
  let m12 = load<u32>(block, 48), m13 = load<u32>(block, 52), m14 = load<u32>(block, 56), m15 = load<u32>(block, 60);
  let s0 = load<u32>(cv, 0), s1 = load<u32>(cv, 4), s2 = load<u32>(cv, 8), s3 = load<u32>(cv, 12);
  let s4 = load<u32>(cv, 16), s5 = load<u32>(cv, 20), s6 = load<u32>(cv, 24), s7 = load<u32>(cv, 28);
  // Row 2 starts as the first half of IV; row 3 carries counter, length, flags.
  let s8: u32 = 0x6a09e667, s9: u32 = 0xbb67ae85, s10: u32 = 0x3c6ef372, s11: u32 = 0xa54ff53a;
  let s12 = counter as u32, s13 = (counter >> 32) as u32, s14 = blockLen, s15 = flags;
  // Seven rounds; each pair of lines below is the G mix of one column, then
  // of one diagonal, of the 4x4 state. A loop with a register permutation
  // keeps the code at one round's size.
  for (let r = 0; r < 7; r++) {
    // columns
    s0 += s4 + m0; s12 = rotr<u32>(s12 ^ s0, 16); s8 += s12; s4 = rotr<u32>(s4 ^ s8, 12);
    s0 += s4 + m1; s12 = rotr<u32>(s12 ^ s0, 8); s8 += s12; s4 = rotr<u32>(s4 ^ s8, 7);
    s1 += s5 + m2; s13 = rotr<u32>(s13 ^ s1, 16); s9 += s13; s5 = rotr<u32>(s5 ^ s9, 12);
    s1 += s5 + m3; s13 = rotr<u32>(s13 ^ s1, 8); s9 += s13; s5 = rotr<u32>(s5 ^ s9, 7);
    s2 += s6 + m4; s14 = rotr<u32>(s14 ^ s2, 16); s10 += s14; s6 = rotr<u32>(s6 ^ s10, 12);
    s2 += s6 + m5; s14 = rotr<u32>(s14 ^ s2, 8); s10 += s14; s6 = rotr<u32>(s6 ^ s10, 7);
    s3 += s7 + m6; s15 = rotr<u32>(s15 ^ s3, 16); s11 += s15; s7 = rotr<u32>(s7 ^ s11, 12);
    s3 += s7 + m7; s15 = rotr<u32>(s15 ^ s3, 8); s11 += s15; s7 = rotr<u32>(s7 ^ s11, 7);
    // diagonals
    s0 += s5 + m8; s15 = rotr<u32>(s15 ^ s0, 16); s10 += s15; s5 = rotr<u32>(s5 ^ s10, 12);
    s0 += s5 + m9; s15 = rotr<u32>(s15 ^ s0, 8); s10 += s15; s5 = rotr<u32>(s5 ^ s10, 7);
    s1 += s6 + m10; s12 = rotr<u32>(s12 ^ s1, 16); s11 += s12; s6 = rotr<u32>(s6 ^ s11, 12);
    s1 += s6 + m11; s12 = rotr<u32>(s12 ^ s1, 8); s11 += s12; s6 = rotr<u32>(s6 ^ s11, 7);
    s2 += s7 + m12; s13 = rotr<u32>(s13 ^ s2, 16); s8 += s13; s7 = rotr<u32>(s7 ^ s8, 12);
    s2 += s7 + m13; s13 = rotr<u32>(s13 ^ s2, 8); s8 += s13; s7 = rotr<u32>(s7 ^ s8, 7);
    s3 += s4 + m14; s14 = rotr<u32>(s14 ^ s3, 16); s9 += s14; s4 = rotr<u32>(s4 ^ s9, 12);
    s3 += s4 + m15; s14 = rotr<u32>(s14 ^ s3, 8); s9 += s14; s4 = rotr<u32>(s4 ^ s9, 7);
    // Between rounds the message words are permuted by
    // [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8].
    const o0 = m0, o1 = m1, o2 = m2, o3 = m3, o4 = m4, o5 = m5, o6 = m6, o7 = m7, o8 = m8, o9 = m9, o10 = m10, o11 = m11, o12 = m12, o13 = m13, o14 = m14, o15 = m15;
    m0 = o2; m1 = o6; m2 = o3; m3 = o10; m4 = o7; m5 = o0; m6 = o4; m7 = o13; m8 = o1; m9 = o11; m10 = o12; m11 = o5; m12 = o9; m13 = o14; m14 = o15; m15 = o8;
  }
  store<u32>(out, s0 ^ s8, 0); store<u32>(out, s1 ^ s9, 4);
  store<u32>(out, s2 ^ s10, 8); store<u32>(out, s3 ^ s11, 12);
  store<u32>(out, s4 ^ s12, 16); store<u32>(out, s5 ^ s13, 20);
  store<u32>(out, s6 ^ s14, 24); store<u32>(out, s7 ^ s15, 28);
}

// Folds a finished chunk CV into the tree. totalChunks (the number of chunks
// completed so far) has one trailing zero per subtree that is now complete,
// and each such subtree's root is merged with the stack top.
function pushChunkCv(cv: usize, totalChunks: u64): void {
  while ((totalChunks & 1) == 0 && stackLen > 0) {
    stackLen--;
    memory.copy(PAIR, STACK + (((stackLen & (STACK_DEPTH - 1)) as usize) << 5), 32);
    memory.copy(PAIR + 32, cv, 32);
    compress(IV, PAIR, 0, 64, PARENT, cv);
    totalChunks >>= 1;
  }
  memory.copy(STACK + (((stackLen & (STACK_DEPTH - 1)) as usize) << 5), cv, 32);
  stackLen++;
}

// Consumes a full 64-byte block that is known not to be the last of the input.
function absorbBlock(block: usize): void {
  let flags: u32 = blocks == 0 ? CHUNK_START : 0;
  if (blocks == 15) {
    // Last block of its chunk: the chunk is complete and more input follows.
    compress(CV, block, chunkCounter, 64, flags | CHUNK_END, CV);
    chunkCounter++;
    pushChunkCv(CV, chunkCounter);
    memory.copy(CV, IV, 32);
    blocks = 0;
  } else {
    compress(CV, block, chunkCounter, 64, flags, CV);
    blocks++;
  }
}

export function blake3Init(): void {
  memory.copy(CV, IV, 32);
  fill = 0;
  blocks = 0;
  chunkCounter = 0;
  stackLen = 0;
}

export function blake3Update(src: usize, len: u32): void {
  while (len > 0) {
    if (fill == 64) {
      absorbBlock(BUF);
      fill = 0;
    }
    if (fill == 0) {
      // Fast path: hash whole blocks in place while more input remains.
      while (len > 64) {
        absorbBlock(src);
        src += 64;
        len -= 64;
      }
    }
    const take = min<u32>(64 - fill, len);
    memory.copy(BUF + fill, src, take);
    fill += take;
    src += take;
    len -= take;
  }
}

// Writes the 32-byte hash. The stream may continue afterwards.
export function blake3Final(out: usize): void {
  memory.fill(BUF + fill, 0, 64 - fill);
  let flags: u32 = (blocks == 0 ? CHUNK_START : 0) | CHUNK_END;
  if (stackLen == 0) {
    compress(CV, BUF, chunkCounter, fill, flags | ROOT, out);
    return;
  }
  compress(CV, BUF, chunkCounter, fill, flags, PAIR + 32);
  // Merge right to left up the stack; the last merge is the root.
  for (let i = min<u32>(stackLen, STACK_DEPTH); i > 0; i--) {
    memory.copy(PAIR, STACK + (((i - 1) as usize) << 5), 32);
    compress(IV, PAIR, 0, 64, PARENT | (i == 1 ? ROOT : 0), PAIR + 32);
  }
  memory.copy(out, PAIR + 32, 32);
}

export function blake3Hash(src: usize, len: u32, out: usize): void {
  blake3Init();
  blake3Update(src, len);
  blake3Final(out);
}
