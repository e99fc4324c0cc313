// The state arena (SPEC §3, §9.7): records back to back in STATE_ARENA, an
// index of their offsets sorted by key, binary search for look-ups.
// Record: [vlen u16 | klen u8 | 0 | key | value]; header = STATE_ENTRY_OVERHEAD.
//
// Keys are ordered like their CBOR encodings (a bstr head grows with the
// length, and keys are at most 64 bytes): shorter keys first, then bytewise.
// The order is total and deterministic, and walking the index in order gives
// the canonical state encoding directly.

import { LIMIT_STATE_ENTRY_OVERHEAD } from "./generated/opcodes";
import { STATE_ARENA, STATE_INDEX, STATE_INDEX_CAP } from "./memory-layout";
import { compareBytes, putHead, MAJOR_BYTES, MAJOR_MAP } from "./cbor";
import { blake3Init, blake3Update, blake3Final } from "./crypto/index";

const HDR: usize = <usize>LIMIT_STATE_ENTRY_OVERHEAD;

/** Entries, arena bytes used (= state size), and whether a STORE changed anything. */
export let count: u32 = 0;
export let used: u32 = 0;
export let dirty: bool = false;

export function reset(): void {
  count = 0;
  used = 0;
  dirty = false;
}

@inline function recAt(i: u32): usize {
  return STATE_ARENA + <usize>load<u16>(STATE_INDEX + (<usize>i << 1));
}
@inline function recKlen(r: usize): usize { return <usize>load<u8>(r + 2); }
@inline function recVlen(r: usize): usize { return <usize>load<u16>(r); }

function cmpKey(r: usize, key: usize, klen: usize): i32 {
  const rk = recKlen(r);
  if (rk != klen) return rk < klen ? -1 : 1;
  return compareBytes(r + HDR, rk, key, klen);
}

/** Index of the key, or -(insertion point + 1). */
export function find(key: usize, klen: usize): i32 {
  let lo: i32 = 0;
  let hi: i32 = <i32>count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmpKey(recAt(<u32>mid), key, klen);
    if (c == 0) return mid;
    if (c < 0) lo = mid + 1; else hi = mid - 1;
  }
  return -(lo + 1);
}

/** Appends a record at the end of the index (prior state, already sorted). */
export function append(key: usize, klen: usize, val: usize, vlen: usize): void {
  const r = STATE_ARENA + <usize>used;
  store<u16>(r, <u16>vlen);
  store<u8>(r + 2, <u8>klen);
  store<u8>(r + 3, 0);
  memory.copy(r + HDR, key, klen);
  memory.copy(r + HDR + klen, val, vlen);
  store<u16>(STATE_INDEX + (<usize>count << 1), <u16>used);
  count++;
  used += <u32>(HDR + klen + vlen);
}

/** Size of the entry at index i (its contribution to the state size). */
export function entrySize(i: u32): u32 {
  const r = recAt(i);
  return <u32>(HDR + recKlen(r) + recVlen(r));
}

/** Value location of entry i. */
export function valuePtr(i: u32): usize { const r = recAt(i); return r + HDR + recKlen(r); }
export function valueLen(i: u32): usize { return recVlen(recAt(i)); }

/** Removes entry i: closes its gap in the arena and in the index. */
export function removeAt(i: u32): void {
  const off = <u32>load<u16>(STATE_INDEX + (<usize>i << 1));
  const size = entrySize(i);
  const tail = used - off - size;
  memory.copy(STATE_ARENA + <usize>off, STATE_ARENA + <usize>(off + size), <usize>tail);
  memory.copy(STATE_INDEX + (<usize>i << 1), STATE_INDEX + (<usize>(i + 1) << 1), <usize>(count - i - 1) << 1);
  count--;
  used -= size;
  for (let j: u32 = 0; j < count; j++) {
    const p = STATE_INDEX + (<usize>j << 1);
    const o = <u32>load<u16>(p);
    if (o > off) store<u16>(p, <u16>(o - size));
  }
  dirty = true;
}

/**
 * Sets key to value. `at` is find()'s answer for the key. The caller has
 * checked that the new size fits max_state_size (so it fits the arena).
 */
export function put(at: i32, key: usize, klen: usize, val: usize, vlen: usize): void {
  dirty = true;
  let ins: u32;
  if (at >= 0) {
    const i = <u32>at;
    if (valueLen(i) == vlen) { memory.copy(valuePtr(i), val, vlen); return; }
    removeAt(i);
    ins = i;
  } else {
    ins = <u32>(-at - 1);
  }
  if (count >= STATE_INDEX_CAP) return; // unreachable for a legal state; keeps memory safe
  const r = STATE_ARENA + <usize>used;
  store<u16>(r, <u16>vlen);
  store<u8>(r + 2, <u8>klen);
  store<u8>(r + 3, 0);
  memory.copy(r + HDR, key, klen);
  memory.copy(r + HDR + klen, val, vlen);
  const ip = STATE_INDEX + (<usize>ins << 1);
  memory.copy(ip + 2, ip, <usize>(count - ins) << 1);
  store<u16>(ip, <u16>used);
  count++;
  used += <u32>(HDR + klen + vlen);
}

/** Writes the canonical encoding of the state at p; returns its length. */
/** Room for one CBOR head (1 + 8 bytes). */
const HEAD_SCRATCH: usize = memory.data(16);

// One walk over the state writes its canonical encoding at p or, with p = 0,
// streams the same bytes into the running Blake3 context. mhr_run hashes
// without writing (BENCH reruns the job buffer); the encoding itself is only
// written when a host asks for the state.
function piece(p: usize, src: usize, len: usize): usize {
  if (p == 0) {
    blake3Update(src, <u32>len);
    return 0;
  }
  memory.copy(p, src, len);
  return p + len;
}

function headPiece(p: usize, major: u32, n: u64): usize {
  return piece(p, HEAD_SCRATCH, putHead(HEAD_SCRATCH, major, n) - HEAD_SCRATCH);
}

function walk(p: usize): usize {
  let q = headPiece(p, MAJOR_MAP, <u64>count);
  for (let i: u32 = 0; i < count; i++) {
    const r = recAt(i);
    const kl = recKlen(r);
    const vl = recVlen(r);
    q = headPiece(q, MAJOR_BYTES, <u64>kl);
    q = piece(q, r + HDR, kl);
    q = headPiece(q, MAJOR_BYTES, <u64>vl);
    q = piece(q, r + HDR + kl, vl);
  }
  return q;
}

/** Blake3 of the canonical encoding, written to out. */
export function hashEncoding(out: usize): void {
  blake3Init();
  walk(0);
  blake3Final(out);
}

/** Writes the canonical encoding at p (never 0); returns its length. */
export function encode(p: usize): usize {
  return walk(p) - p;
}
