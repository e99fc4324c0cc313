// The state arena (SPEC §3, §9.7): records in STATE_ARENA, an index of their
// offsets sorted by key, binary search for look-ups.
// Live record: [vlen u16 (bit 15 clear) | klen u8: klen - 1 in bits 0..5
// (keys are 1..64 bytes), bit 6 = the record before it in its segment is
// dead, bit 7 = group bit 0 | group bits 8..1 u8 | key | value]; the header
// is STATE_ENTRY_OVERHEAD bytes. The 9-bit group names the run of GROUP
// physical index slots that holds the record's slot, so a compaction that
// moves the record finds the slot by scanning GROUP slots, not by a search.
// Dead run: adjacent dead records are one run (SPEC §9.7's unit), coalesced
// when a record dies: [bit 15 set, size bits 0..14 u16 | size bit 15 u8 |
// ... | size u16 at its last two bytes] (records are at least 5 bytes, so the
// two ends never overlap). The size at the end lets a dying record find the
// start of the run before it, which bit 6 says is there, so a compaction step
// passes a run of any length in one visit.
// A segment is a stretch of records with nothing else between them: [0, end)
// without a compaction; with one, the processed [0, to) and the unprocessed
// [from, end). Runs never cross a segment's ends.
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
//   ~166 for the largest index. A moved slot rewrites its record's group only
//   when it crosses into another group: one in GROUP of the shifts, and every
//   boundary move.
// - A delete or a size-changing replace marks the old record dead and leaves
//   it where it is; a new record is appended at `end`. The arena has room for
//   dead records beyond MAX_STATE_SIZE, and SPEC §9.7's compaction reclaims it
//   incrementally: once `end` would pass COMPACTION_START, every appending
//   store slides records down from `from` to `to` until it has processed
//   COMPACTION_RATE times its own record's bytes. So no store does more than a
//   bounded multiple of its own bytes (plus one record), and the room is never
//   exhausted (SPEC §10 has the argument).

import { LIMIT_STATE_ENTRY_OVERHEAD, LIMIT_COMPACTION_START, LIMIT_COMPACTION_RATE } from "./generated/opcodes";
import {
  STATE_ARENA, STATE_ARENA_SIZE, STATE_INDEX, STATE_INDEX_CAP, STATE_HEADS,
  STATE_INDEX_BLOCK, STATE_INDEX_BLOCK_BITS, STATE_INDEX_BLOCKS, WALK_STAGE, WALK_STAGE_SIZE,
} from "./memory-layout";
import { compareBytes, putHead, MAJOR_BYTES, MAJOR_MAP } from "./cbor";
import { blake3Init, blake3Update, blake3Final } from "./crypto/index";

const HDR: usize = <usize>LIMIT_STATE_ENTRY_OVERHEAD;
const MASK: u32 = STATE_INDEX_BLOCK - 1;
const DEAD: u32 = 0x8000;
const VLEN: u32 = 0x7fff;
/** The klen byte's bits below the group bit: klen - 1 and PREV_DEAD. */
const KLEN: u32 = 0x7f;
const KLEN_M1: u32 = 0x3f;
const PREV_DEAD: u32 = 0x40;
/**
 * Slots per group (6,592 slots make 412 groups, so a group takes 9 bits: the
 * group byte and bit 7 of the klen byte). 32-slot groups fitted the group
 * byte alone, but a moved record's search probed up to 32 slots
 * (churn-scattered8 5.2 × its near-empty insert on qemu-lx106, 4.0 × with
 * 16); eight-slot groups scanned less still but made inserts on a full state
 * 1.5 × as long (each group rewrite is a read-modify-write of the klen byte;
 * with 16 slots one shift in 16 rewrites it, 10–14 % slower inserts).
 */
const GROUP_BITS: u32 = 4;
const GROUP: u32 = 1 << GROUP_BITS;
/** No arena offset (offsets are below STATE_ARENA_SIZE < 2^16). */
const NONE: u32 = 0xffffffff;

/** Entries, live record bytes (= state size), and whether a STORE changed anything. */
export let count: u32 = 0;
export let used: u32 = 0;
export let dirty: bool = false;
/** Arena bytes in use, dead records included (records lie in [0, end)). */
let end: u32 = 0;
/**
 * The compaction in progress, if `compacting` (SPEC §9.7): the records in
 * [0, to) are processed, [to, from) is free, [from, end) is not processed yet.
 */
let compacting: bool = false;
let to: u32 = 0;
let from: u32 = 0;
/** Where the dead run that ends at `end` starts (NONE if the record there is live or there is none); the same for `to` while compacting. */
let tailRun: u32 = NONE;
let toRun: u32 = NONE;
/** What the last plan() counted: records processed and bytes of records moved; and the size of the entry the store replaces (0 for a new key). */
export let workRecords: u32 = 0;
export let oldSize: u32 = 0;
export let workBytes: u32 = 0;

export function reset(): void {
  count = 0;
  used = 0;
  end = 0;
  dirty = false;
  compacting = false;
  to = 0;
  from = 0;
  tailRun = NONE;
  toRun = NONE;
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
/** The slot group of slot address s (groups are GROUP slots of 2 bytes). */
@inline function groupOf(s: usize): u32 {
  return <u32>(s - STATE_INDEX) >> (GROUP_BITS + 1);
}
/** Records in the record at `off` that its slot is the one at address s. */
@inline function setGroup(off: u32, s: usize): void {
  const r = STATE_ARENA + <usize>off;
  const g = groupOf(s);
  store<u8>(r + 3, <u8>(g >> 1));
  store<u8>(r + 2, <u8>((<u32>load<u8>(r + 2) & KLEN) | ((g & 1) << 7)));
}
/** The group the record at r names. */
@inline function recGroup(r: usize): u32 {
  return (<u32>load<u8>(r + 3) << 1) | (<u32>load<u8>(r + 2) >> 7);
}
/** Stores the record offset `off` in the slot at address s and records the slot's group in the record. */
@inline function place(s: usize, off: u32): void {
  store<u16>(s, <u16>off);
  setGroup(off, s);
}
/**
 * Shifts n slots of block b by one inside it: the slot at logical position j
 * takes the offset of its neighbour at j + d, then j moves on by d (d is 1, or
 * -1 as a u32). Only an offset that enters another group rewrites its record:
 * one shift in GROUP. Returns the address of the slot at j + n × d, which the
 * shift has vacated (its old offset is now also in its neighbour).
 */
function shift(b: u32, j: u32, n: u32, d: u32): usize {
  const base = STATE_INDEX + (<usize>b << (STATE_INDEX_BLOCK_BITS + 1));
  let p = (<u32>load<u8>(STATE_HEADS + <usize>b) + j) & MASK;
  for (; n != 0; n--) {
    const q = (p + d) & MASK;
    const v = <u32>load<u16>(base + (<usize>q << 1));
    const t = base + (<usize>p << 1);
    store<u16>(t, <u16>v);
    if (((p ^ q) >> GROUP_BITS) != 0) setGroup(v, t);
    p = q;
  }
  return base + (<usize>p << 1);
}
/** Moves block b's head one slot back (b gains a first slot); returns that slot's address. */
@inline function headBack(b: u32): usize {
  const h = STATE_HEADS + <usize>b;
  const n = (<u32>load<u8>(h) - 1) & MASK;
  store<u8>(h, <u8>n);
  return STATE_INDEX + (<usize>((b << STATE_INDEX_BLOCK_BITS) | n) << 1);
}
/** Moves block b's head one slot forward (b loses its first slot); returns that slot's address. */
@inline function headForward(b: u32): usize {
  const h = STATE_HEADS + <usize>b;
  const o = <u32>load<u8>(h);
  store<u8>(h, <u8>((o + 1) & MASK));
  return STATE_INDEX + (<usize>((b << STATE_INDEX_BLOCK_BITS) | o) << 1);
}

/** Inserts arena offset `off` as entry p (0..count); entries p.. move up one. */
function indexInsert(p: u32, off: u32): void {
  const b = p >> STATE_INDEX_BLOCK_BITS;
  const last = count >> STATE_INDEX_BLOCK_BITS; // the block that gains a slot
  // Every full block from the last down to b+1 takes the last slot of the one before as its first.
  for (let q = last; q > b; q--) {
    const v = <u32>load<u16>(slotIn(q - 1, MASK));
    place(headBack(q), v);
  }
  // Block b now has a free slot at position e; shift p..e-1 up one inside it.
  const e: u32 = b < last ? MASK : count & MASK;
  const j0 = p & MASK;
  place(shift(b, e, e - j0, <u32>-1), off);
  count++;
}

/**
 * The slots indexInsert(p, ·) moves (SPEC §9.7's index-move count): the
 * shifts inside p's block and one per later block's head step. It reads only
 * count, so the GAS phase can charge it before the insert.
 */
export function insertMoves(p: u32): u32 {
  const b = p >> STATE_INDEX_BLOCK_BITS;
  const last = count >> STATE_INDEX_BLOCK_BITS;
  const e: u32 = b < last ? MASK : count & MASK;
  return (last - b) + (e - (p & MASK));
}

/** The slots indexRemove(p) moves, likewise. */
export function removeMoves(p: u32): u32 {
  const b = p >> STATE_INDEX_BLOCK_BITS;
  const last = (count - 1) >> STATE_INDEX_BLOCK_BITS;
  const e: u32 = b < last ? MASK : (count - 1) & MASK;
  return (e - (p & MASK)) + (last - b);
}

/** Removes entry p; entries p+1.. move down one. */
function indexRemove(p: u32): void {
  const b = p >> STATE_INDEX_BLOCK_BITS;
  const last = (count - 1) >> STATE_INDEX_BLOCK_BITS; // the block that loses a slot
  const e: u32 = b < last ? MASK : (count - 1) & MASK;
  shift(b, p & MASK, e - (p & MASK), 1);
  // Every later block gives its first slot to the end of the one before.
  for (let q = b + 1; q <= last; q++) {
    place(slotIn(q - 1, MASK), <u32>load<u16>(headForward(q)));
  }
  count--;
}

/** The index (slot number) of the slot slotHolding found last. */
let hint: u32 = 0;

/**
 * The slot that holds arena offset `off`, a live record's: one of the GROUP
 * slots of the group the record names. The compaction moves records in arena
 * order, which is key order for the prior state's records (and stays so
 * through compactions), so the scan starts at the slot after the last one
 * found and goes down through the group, wrapping: records in key order,
 * either way round, take one to three probes, any other order at most GROUP.
 * In the last block a slot past the used ones may hold a stale copy, so a
 * match counts only at a used position.
 */
function slotHolding(off: u32): usize {
  const g = recGroup(STATE_ARENA + <usize>off);
  const b = g >> (STATE_INDEX_BLOCK_BITS - GROUP_BITS);
  const h = <u32>load<u8>(STATE_HEADS + <usize>b);
  const used = count - (b << STATE_INDEX_BLOCK_BITS); // >= 1; the block is full when >= STATE_INDEX_BLOCK
  const first = g << GROUP_BITS;
  const gs = STATE_INDEX + (<usize>first << 1);
  // A probe steps an offset inside the group and tests its slot; the slot's
  // index and its position in the block are worked out only on a match
  // (a probe that carried them was a third longer on the LX106).
  for (let n = GROUP, o = hint + 2; n != 0; n--) {
    o = (o - 1) & (GROUP - 1);
    const s = gs + (<usize>o << 1);
    if (<u32>load<u16>(s) == off) {
      const k = first + o;
      if (((k - h) & MASK) < used) {
        hint = k;
        return s;
      }
    }
  }
  unreachable(); // every live record has a slot in the group it names
  return 0;
}

// ---- records ----

@inline function recAt(i: u32): usize {
  return STATE_ARENA + <usize>load<u16>(slotOf(i));
}
@inline function recKlen(r: usize): usize { return <usize>(<u32>load<u8>(r + 2) & KLEN_M1) + 1; }
@inline function recVlen(r: usize): usize { return <usize>(<u32>load<u16>(r) & VLEN); }
@inline function recSize(r: usize): u32 { return <u32>(HDR + recKlen(r) + recVlen(r)); }

/** Compares the record at r with the key; `km1` is klen - 1, as records store it (no add per probe). */
@inline function cmpKey(r: usize, key: usize, klen: usize, km1: u32): i32 {
  const rk = <u32>load<u8>(r + 2) & KLEN_M1;
  if (rk != km1) return rk < km1 ? -1 : 1;
  return compareBytes(r + HDR, klen, key, klen);
}

/** Index of the key, or -(insertion point + 1). */
export function find(key: usize, klen: usize): i32 {
  const km1 = <u32>klen - 1;
  let lo: i32 = 0;
  let hi: i32 = <i32>count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmpKey(recAt(<u32>mid), key, klen, km1);
    if (c == 0) return mid;
    if (c < 0) lo = mid + 1; else hi = mid - 1;
  }
  return -(lo + 1);
}

/** Writes a live record at `end`; returns its offset. The caller has made room and sets its slot group. */
function writeRecord(key: usize, klen: usize, val: usize, vlen: usize): u32 {
  const off = end;
  const r = STATE_ARENA + <usize>off;
  store<u16>(r, <u16>vlen);
  store<u8>(r + 2, <u8>((<u32>klen - 1) | (tailRun != NONE ? PREV_DEAD : 0)));
  tailRun = NONE;
  memory.copy(r + HDR, key, klen);
  memory.copy(r + HDR + klen, val, vlen);
  const size = <u32>(HDR + klen + vlen);
  end += size;
  used += size;
  return off;
}

/**
 * SPEC §9.7's compaction step for an appending store of a record of `size`
 * bytes whose key's old record is at `old` (NONE for a new key), which counts
 * as dead. A dry step (the GAS phase) only counts the units it would process
 * and the bytes it would move into workRecords/workBytes; a real one (the
 * store's OPERATION phase, after the old record has died) does it and counts
 * the same. GAS can run twice (a fuel refill reruns the instruction), so it
 * must not change anything.
 * A unit is a live record or a dead run; in the dry step the old record, not
 * dead yet, joins the runs either side of it. The live records between two
 * runs all move by the same distance, so each gets its slot rewritten as it
 * is passed and the stretch moves in one copy when the next run (or the
 * step's end) is reached.
 */
function step(size: u32, old: u32, dry: bool): void {
  let active = compacting;
  let t = to;
  let f = from;
  let e = end;
  let prevDead = toRun != NONE;
  let records: u32 = 0;
  let moved: u32 = 0;
  if (!active && e + size > <u32>LIMIT_COMPACTION_START) {
    active = true;
    t = 0;
    f = 0;
    prevDead = false;
  }
  if (active) {
    const budget = <u32>LIMIT_COMPACTION_RATE * size;
    let done: u32 = 0;
    let stretch: u32 = f; // live records in [stretch, f) are still to be copied down to t - (f - stretch)
    while (f < e && (done < budget || e + size > <u32>STATE_ARENA_SIZE)) {
      const r = STATE_ARENA + <usize>f;
      let n: u32;
      if ((<u32>load<u16>(r) & DEAD) != 0 || f == old) {
        let g = f;
        do {
          const q = STATE_ARENA + <usize>g;
          g += (<u32>load<u16>(q) & DEAD) != 0 ? runSize(q) : recSize(q);
        } while (g < e && (g == old || (<u32>load<u16>(STATE_ARENA + <usize>g) & DEAD) != 0));
        n = g - f;
        if (!dry && stretch != f) {
          const len = f - stretch;
          memory.copy(STATE_ARENA + <usize>(t - len), STATE_ARENA + <usize>stretch, <usize>len);
        }
        stretch = g;
      } else {
        n = recSize(r);
        if (!dry) {
          // Its predecessor is now the last record of [0, to) (a record at a segment's start has a stale bit).
          const k = r + 2;
          const b = <u32>load<u8>(k) & ~PREV_DEAD;
          store<u8>(k, <u8>(prevDead ? b | PREV_DEAD : b));
          if (t != f) store<u16>(slotHolding(f), <u16>t);
          else stretch = f + n; // in place: nothing to copy
        }
        if (t != f) moved += n;
        prevDead = false;
        t += n;
      }
      f += n;
      done += n;
      records++;
    }
    if (!dry && stretch != f) {
      const len = f - stretch;
      memory.copy(STATE_ARENA + <usize>(t - len), STATE_ARENA + <usize>stretch, <usize>len);
    }
    if (f >= e) {
      active = false;
      e = t;
    }
  }
  workRecords = records;
  workBytes = moved;
  if (!dry) {
    if (!prevDead) toRun = NONE;
    if (records != 0 && !active) tailRun = toRun; // the compaction ended: [0, to) is the arena
    compacting = active;
    to = t;
    from = f;
    end = e;
  }
}

/**
 * The GAS phase of a STORE.state of `vlen` bytes with a record of `size`
 * bytes under entry `at` (find()'s answer): whether it appends and its
 * compaction step processes any record (workRecords/workBytes say how much);
 * sets oldSize. Changes nothing.
 */
export function plan(at: i32, vlen: usize, size: u32): bool {
  let old = NONE;
  oldSize = 0;
  if (at >= 0) {
    old = <u32>load<u16>(slotOf(<u32>at));
    const r = STATE_ARENA + <usize>old;
    oldSize = recSize(r);
    if (recVlen(r) == vlen) return false; // a same-length overwrite appends nothing
  }
  step(size, old, true);
  return workRecords != 0;
}

/** Appends a record at the end of the index (prior state, already sorted). */
export function append(key: usize, klen: usize, val: usize, vlen: usize): void {
  const off = writeRecord(key, klen, val, vlen);
  place(slotOf(count), off);
  count++;
}

/** Where valueLen() found the value. */
export let valueAt: usize = 0;
/** Length of entry i's value, whose key is klen bytes long; sets valueAt. */
export function valueLen(i: u32, klen: usize): usize {
  const r = recAt(i);
  valueAt = r + HDR + klen;
  return recVlen(r);
}

/**
 * The size of the dead run at r. A run is at least one record (5 bytes), so 0
 * means a corrupted arena: trap rather than let a compaction step spin on it
 * (the node runs this VM in process). A live record's size is never 0.
 */
@inline function runSize(r: usize): u32 {
  const n = (<u32>load<u16>(r) & VLEN) | (<u32>load<u8>(r + 2) << 15);
  if (n == 0) unreachable();
  return n;
}
/**
 * Marks the live record at `off` dead, as part of one run with the dead runs
 * right before and after it in its segment (it stays in the arena until a
 * compaction passes it). Keeps every run maximal in its segment, so the run a
 * compaction step meets is SPEC §9.7's unit.
 */
function kill(off: u32): void {
  const r = STATE_ARENA + <usize>off;
  const n = recSize(r);
  used -= n;
  const inDone = compacting && off < to;
  const first: u32 = compacting && !inDone ? from : 0;
  const last: u32 = inDone ? to : end;
  let s = off;
  let e = off + n;
  if ((<u32>load<u8>(r + 2) & PREV_DEAD) != 0 && s != first) s -= <u32>load<u16>(r - 2);
  if (e != last && (<u32>load<u16>(STATE_ARENA + <usize>e) & DEAD) != 0) e += runSize(STATE_ARENA + <usize>e);
  const q = STATE_ARENA + <usize>s;
  const size = e - s;
  store<u16>(q, <u16>(DEAD | (size & VLEN)));
  store<u8>(q + 2, <u8>(size >> 15));
  store<u16>(STATE_ARENA + <usize>e - 2, <u16>size);
  if (e != last) {
    const k = STATE_ARENA + <usize>e + 2; // the live record after the run
    store<u8>(k, <u8>(<u32>load<u8>(k) | PREV_DEAD));
  } else if (inDone) toRun = s;
  else tailRun = s;
}

/** Removes entry i. */
export function removeAt(i: u32): void {
  kill(<u32>load<u16>(slotOf(i)));
  indexRemove(i);
  dirty = true;
}

/**
 * Sets key to value. `at` is find()'s answer for the key. The caller has
 * checked that the new size fits max_state_size (so the live records fit the
 * arena with room to spare, SPEC §10).
 */
export function put(at: i32, key: usize, klen: usize, val: usize, vlen: usize): void {
  dirty = true;
  let old = NONE;
  let slot: usize = 0;
  if (at >= 0) {
    slot = slotOf(<u32>at);
    old = <u32>load<u16>(slot);
    const r = STATE_ARENA + <usize>old;
    if (<usize>load<u16>(r) == vlen) { memory.copy(r + HDR + klen, val, vlen); return; } // same length: in place
    // Same key, new length: the old record dies, the entry keeps its index position and gets the new one.
    kill(old);
  } else if (count >= STATE_INDEX_CAP) return; // unreachable for a legal state; keeps memory safe
  step(<u32>(HDR + klen + vlen), old, false);
  const off = writeRecord(key, klen, val, vlen);
  if (at >= 0) {
    place(slot, off); // the compaction step moves records, not slots
  } else indexInsert(<u32>(-at - 1), off);
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
