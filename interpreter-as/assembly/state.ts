// The state arena (SPEC §3, §9.7): records in STATE_ARENA, an index of their
// offsets sorted by key, binary search for look-ups.
// Record: [vlen u16 | klen u8 | dead u8 | key | value]; header = STATE_ENTRY_OVERHEAD.
//
// Keys are ordered like their CBOR encodings (a bstr head grows with the
// length, and keys are at most 64 bytes): shorter keys first, then bytewise.
// The order is total and deterministic, and walking the index in order gives
// the canonical state encoding directly.
//
// No operation's time grows with the number of entries beyond O(log n) for
// the search and O(sqrt n) for the index (docs/SPEC.md §10):
// - The index is a tiered vector: STATE_INDEX_BLOCKS circular blocks of
//   STATE_INDEX_BLOCK u16 slots, every block full except the last. Entry i is
//   slot (head[i / B] + i % B) % B of block i / B. Inserting or removing entry
//   i shifts at most B - 1 slots inside its block and moves one slot across
//   each later block boundary (a head step): at most B - 1 + blocks moves,
//   ~166 for the largest index, instead of up to 6,553.
// - A delete or a size-changing replace marks the old record dead and leaves
//   it where it is; a new record is appended at `end`. Only when an append
//   finds no room does compact() slide the live records down, in one pass over
//   the arena; it is the only step whose time grows with the state (its
//   bytes, not its entries).

import { LIMIT_STATE_ENTRY_OVERHEAD } from "./generated/opcodes";
import {
  STATE_ARENA, STATE_ARENA_SIZE, STATE_INDEX, STATE_INDEX_CAP, STATE_HEADS,
  STATE_INDEX_BLOCK, STATE_INDEX_BLOCK_BITS, STATE_INDEX_BLOCKS, WALK_STAGE, WALK_STAGE_SIZE,
} from "./memory-layout";
import { compareBytes, putHead, MAJOR_BYTES, MAJOR_MAP } from "./cbor";
import { blake3Init, blake3Update, blake3Final } from "./crypto/index";

const HDR: usize = <usize>LIMIT_STATE_ENTRY_OVERHEAD;
const MASK: u32 = STATE_INDEX_BLOCK - 1;
const DEAD: u8 = 1;

/** Entries, live record bytes (= state size), and whether a STORE changed anything. */
export let count: u32 = 0;
export let used: u32 = 0;
export let dirty: bool = false;
/** Arena bytes in use, dead records included (records lie in [0, end)). */
let end: u32 = 0;

export function reset(): void {
  count = 0;
  used = 0;
  end = 0;
  dirty = false;
  memory.fill(STATE_HEADS, 0, <usize>STATE_INDEX_BLOCKS);
}

// ---- the index (tiered vector) ----

/** Address of slot j (0..B-1, logical) of block b. */
@inline function slotIn(b: u32, j: u32): usize {
  const phys = (<u32>load<u8>(STATE_HEADS + <usize>b) + j) & MASK;
  return STATE_INDEX + (<usize>((b << STATE_INDEX_BLOCK_BITS) | phys) << 1);
}
/** Address of the slot of entry i. */
@inline function slotOf(i: u32): usize {
  return slotIn(i >> STATE_INDEX_BLOCK_BITS, i & MASK);
}
/** Moves block b's head one slot back (b gains a first slot) or forward. */
@inline function headBack(b: u32): void {
  const h = STATE_HEADS + <usize>b;
  store<u8>(h, <u8>((<u32>load<u8>(h) - 1) & MASK));
}
@inline function headForward(b: u32): void {
  const h = STATE_HEADS + <usize>b;
  store<u8>(h, <u8>((<u32>load<u8>(h) + 1) & MASK));
}

/** Inserts arena offset `off` as entry p (0..count); entries p.. move up one. */
function indexInsert(p: u32, off: u32): void {
  const b = p >> STATE_INDEX_BLOCK_BITS;
  const last = count >> STATE_INDEX_BLOCK_BITS; // the block that gains a slot
  // Every full block from the last down to b+1 takes the last slot of the one before as its first.
  for (let q = last; q > b; q--) {
    const v = load<u16>(slotIn(q - 1, MASK));
    headBack(q);
    store<u16>(slotIn(q, 0), v);
  }
  // Block b now has a free slot at position e; shift p..e-1 up one inside it.
  let e: u32 = b < last ? MASK : count & MASK;
  const j0 = p & MASK;
  while (e > j0) {
    store<u16>(slotIn(b, e), load<u16>(slotIn(b, e - 1)));
    e--;
  }
  store<u16>(slotIn(b, j0), <u16>off);
  count++;
}

/** Removes entry p; entries p+1.. move down one. */
function indexRemove(p: u32): void {
  const b = p >> STATE_INDEX_BLOCK_BITS;
  const last = (count - 1) >> STATE_INDEX_BLOCK_BITS; // the block that loses a slot
  const e: u32 = b < last ? MASK : (count - 1) & MASK;
  for (let j = p & MASK; j < e; j++) store<u16>(slotIn(b, j), load<u16>(slotIn(b, j + 1)));
  // Every later block gives its first slot to the end of the one before.
  for (let q = b + 1; q <= last; q++) {
    store<u16>(slotIn(q - 1, MASK), load<u16>(slotIn(q, 0)));
    headForward(q);
  }
  count--;
}

// ---- records ----

@inline function recAt(i: u32): usize {
  return STATE_ARENA + <usize>load<u16>(slotOf(i));
}
@inline function recKlen(r: usize): usize { return <usize>load<u8>(r + 2); }
@inline function recVlen(r: usize): usize { return <usize>load<u16>(r); }
@inline function recSize(r: usize): u32 { return <u32>(HDR + recKlen(r) + recVlen(r)); }

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

/** Writes a live record at `end`; returns its offset. The caller has made room. */
function writeRecord(key: usize, klen: usize, val: usize, vlen: usize): u32 {
  const off = end;
  const r = STATE_ARENA + <usize>off;
  store<u16>(r, <u16>vlen);
  store<u8>(r + 2, <u8>klen);
  store<u8>(r + 3, 0);
  memory.copy(r + HDR, key, klen);
  memory.copy(r + HDR + klen, val, vlen);
  const size = <u32>(HDR + klen + vlen);
  end += size;
  used += size;
  return off;
}

/**
 * Slides the live records down over the dead ones, in one pass over [0, end).
 * A live record's vlen field is swapped with its index slot first, so the pass
 * finds the slot to update from the record itself (no search): the slot holds
 * the vlen, the record the slot number; the pass moves the record, puts the
 * vlen back and writes the new offset into the slot.
 */
function compact(): void {
  for (let i: u32 = 0; i < count; i++) {
    const s = slotOf(i);
    const r = STATE_ARENA + <usize>load<u16>(s);
    if (load<u8>(r + 3) == DEAD) continue; // a replace in progress: its slot is rewritten next
    store<u16>(s, load<u16>(r));
    store<u16>(r, <u16>((s - STATE_INDEX) >> 1));
  }
  let from: u32 = 0;
  let to: u32 = 0;
  while (from < end) {
    const r = STATE_ARENA + <usize>from;
    const kl = <u32>recKlen(r);
    if (load<u8>(r + 3) == DEAD) {
      from += <u32>HDR + kl + <u32>recVlen(r);
      continue;
    }
    const s = STATE_INDEX + (<usize>load<u16>(r) << 1);
    const vl = <u32>load<u16>(s);
    const size = <u32>HDR + kl + vl;
    const w = STATE_ARENA + <usize>to;
    if (to != from) memory.copy(w, r, <usize>size);
    store<u16>(w, <u16>vl);
    store<u16>(s, <u16>to);
    to += size;
    from += size;
  }
  end = to;
}

/**
 * Whether put(at, ..., vlen) with a record of `size` bytes will compact first:
 * it appends (a new key, or a new value length) and the arena is full. SPEC §9.7
 * prices this with the table's compaction row; the rule is the reference's
 * arena fill, which is `end` here.
 */
export function compacts(at: i32, vlen: usize, size: u32): bool {
  if (at >= 0 && valueLen(<u32>at) == vlen) return false;
  return end + size > <u32>STATE_ARENA_SIZE;
}

/** Makes room for a record of `size` bytes at `end`. */
@inline function reserve(size: u32): void {
  if (end + size > <u32>STATE_ARENA_SIZE) compact();
}

/** Appends a record at the end of the index (prior state, already sorted). */
export function append(key: usize, klen: usize, val: usize, vlen: usize): void {
  const off = writeRecord(key, klen, val, vlen);
  store<u16>(slotOf(count), <u16>off);
  count++;
}

/** Size of the entry at index i (its contribution to the state size). */
export function entrySize(i: u32): u32 {
  return recSize(recAt(i));
}

/** Value location of entry i. */
export function valuePtr(i: u32): usize { const r = recAt(i); return r + HDR + recKlen(r); }
export function valueLen(i: u32): usize { return recVlen(recAt(i)); }

/** Marks entry i's record dead (it stays in the arena until a compaction). */
function kill(i: u32): void {
  const r = recAt(i);
  store<u8>(r + 3, DEAD);
  used -= recSize(r);
}

/** Removes entry i. */
export function removeAt(i: u32): void {
  kill(i);
  indexRemove(i);
  dirty = true;
}

/**
 * Sets key to value. `at` is find()'s answer for the key. The caller has
 * checked that the new size fits max_state_size (so the live records fit the
 * arena, and after a compaction so does the new one).
 */
export function put(at: i32, key: usize, klen: usize, val: usize, vlen: usize): void {
  dirty = true;
  const size = <u32>(HDR + klen + vlen);
  if (at >= 0) {
    const i = <u32>at;
    if (valueLen(i) == vlen) { memory.copy(valuePtr(i), val, vlen); return; }
    // Same key, new length: the entry keeps its index position, the record moves.
    kill(i);
    reserve(size);
    store<u16>(slotOf(i), <u16>writeRecord(key, klen, val, vlen));
    return;
  }
  if (count >= STATE_INDEX_CAP) return; // unreachable for a legal state; keeps memory safe
  reserve(size);
  indexInsert(<u32>(-at - 1), writeRecord(key, klen, val, vlen));
}

/** Writes the canonical encoding of the state at p; returns its length. */
/** Room for one CBOR head (1 + 8 bytes). */
const HEAD_SCRATCH: usize = memory.data(16);

// One walk over the state writes its canonical encoding at p or, with p = 0,
// streams the same bytes into the running Blake3 context. mhr_run hashes
// without writing (BENCH reruns the job buffer); the encoding itself is only
// written when a host asks for the state.
// Hashing stages the small pieces (heads, keys, short values) in WALK_STAGE
// and hands Blake3 one call per WALK_STAGE_SIZE bytes instead of four per entry.
let staged: u32 = 0;
function flushStage(): void {
  if (staged != 0) blake3Update(WALK_STAGE, staged);
  staged = 0;
}
function piece(p: usize, src: usize, len: usize): usize {
  if (p == 0) {
    if (staged + <u32>len > <u32>WALK_STAGE_SIZE) flushStage();
    if (len >= WALK_STAGE_SIZE) blake3Update(src, <u32>len);
    else {
      memory.copy(WALK_STAGE + <usize>staged, src, len);
      staged += <u32>len;
    }
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
  staged = 0;
  walk(0);
  flushStage();
  blake3Final(out);
}

/** Writes the canonical encoding at p (never 0); returns its length. */
export function encode(p: usize): usize {
  return walk(p) - p;
}
