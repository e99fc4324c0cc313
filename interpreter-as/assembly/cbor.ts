// Deterministic CBOR (SPEC §4): a strict checker for the accepted subset, an
// unchecked reader for bytes that passed the checker, and a small encoder.
// A cursor over linear memory; no allocation.

import { LIMIT_MAX_CBOR_DEPTH } from "./generated/opcodes";

/** Largest nesting depth: the top-level item is at depth 1 (SPEC §4). */
const MAX_DEPTH: i32 = LIMIT_MAX_CBOR_DEPTH;

export const MAJOR_UINT: u32 = 0;
export const MAJOR_NINT: u32 = 1;
export const MAJOR_BYTES: u32 = 2;
export const MAJOR_TEXT: u32 = 3;
export const MAJOR_ARRAY: u32 = 4;
export const MAJOR_MAP: u32 = 5;

/** Cursor and the last head read. */
export let pos: usize = 0;
let end: usize = 0;
export let major: u32 = 0;
export let arg: u64 = 0;

// ---------------------------------------------------------------- checker

/** Reads one head strictly: in bounds, shortest form, definite, major 0-5. */
function headStrict(): bool {
  if (pos >= end) return false;
  const b = <u32>load<u8>(pos);
  pos++;
  const m = b >> 5;
  const ai = b & 31;
  if (m > 5) return false; // tags, floats and simple values are outside the subset
  major = m;
  if (ai < 24) { arg = ai; return true; }
  const avail = end - pos;
  if (ai == 24) {
    if (avail < 1) return false;
    arg = <u64>load<u8>(pos); pos += 1;
    return arg >= 24;
  }
  if (ai == 25) {
    if (avail < 2) return false;
    arg = <u64>bswap<u16>(load<u16>(pos)); pos += 2;
    return arg > 0xff;
  }
  if (ai == 26) {
    if (avail < 4) return false;
    arg = <u64>bswap<u32>(load<u32>(pos)); pos += 4;
    return arg > 0xffff;
  }
  if (ai == 27) {
    if (avail < 8) return false;
    arg = bswap<u64>(load<u64>(pos)); pos += 8;
    return arg > 0xffffffff;
  }
  return false; // 28-30 reserved, 31 indefinite length
}

/** Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF). */
function utf8Ok(p: usize, n: usize): bool {
  const e = p + n;
  while (p < e) {
    const c = <u32>load<u8>(p);
    if (c < 0x80) { p++; continue; }
    let need: usize;
    let lo: u32 = 0x80;
    let hi: u32 = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c == 0xe0) lo = 0xa0;
      else if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c == 0xf0) lo = 0x90;
      else if (c == 0xf4) hi = 0x8f;
    } else return false;
    if (e - p <= need) return false;
    const c1 = <u32>load<u8>(p + 1);
    if (c1 < lo || c1 > hi) return false;
    for (let i: usize = 2; i <= need; i++) {
      const ci = <u32>load<u8>(p + i);
      if ((ci & 0xc0) != 0x80) return false;
    }
    p += need + 1;
  }
  return true;
}

/** Bytewise order of two encodings: <0, 0, >0. */
export function compareBytes(a: usize, an: usize, b: usize, bn: usize): i32 {
  // Two pointers and an end, not an index: a byte of the loop is then the
  // two loads, their bounds checks and one compare (the index form added the
  // index to each address and kept the memory's size in no register on the LX106).
  const e = a + (an < bn ? an : bn);
  for (; a < e; a++, b++) {
    const x = <i32>load<u8>(a);
    const y = <i32>load<u8>(b);
    if (x != y) return x - y;
  }
  return <i32>(an > bn) - <i32>(an < bn);
}

function itemStrict(depth: i32): bool {
  if (depth > MAX_DEPTH) return false;
  if (!headStrict()) return false;
  const m = major;
  if (m <= MAJOR_NINT) return true;
  const n = arg;
  const avail = <u64>(end - pos);
  if (m == MAJOR_BYTES || m == MAJOR_TEXT) {
    if (n > avail) return false;
    const p = pos;
    pos += <usize>n;
    return m == MAJOR_BYTES || utf8Ok(p, <usize>n);
  }
  if (m == MAJOR_ARRAY) {
    if (n > avail) return false; // every item takes at least one byte
    for (let i: u64 = 0; i < n; i++) {
      if (!itemStrict(depth + 1)) return false;
    }
    return true;
  }
  // map
  if (n > (avail >> 1)) return false;
  let prevStart: usize = 0;
  let prevLen: usize = 0;
  for (let i: u64 = 0; i < n; i++) {
    const ks = pos;
    if (!itemStrict(depth + 1)) return false;
    const kl = pos - ks;
    if (i > 0 && compareBytes(prevStart, prevLen, ks, kl) >= 0) return false;
    prevStart = ks;
    prevLen = kl;
    if (!itemStrict(depth + 1)) return false;
  }
  return true;
}

/** SPEC §4: exactly one item of the subset fills [p, p+n). */
export function wellFormed(p: usize, n: usize): bool {
  pos = p;
  end = p + n;
  if (!itemStrict(1)) return false;
  return pos == end;
}

// ---------------------------------------------------------------- reader

/** Reads the head at pos; the bytes passed wellFormed. */
export function head(): void {
  const b = <u32>load<u8>(pos);
  pos++;
  major = b >> 5;
  const ai = b & 31;
  if (ai < 24) arg = ai;
  else if (ai == 24) { arg = <u64>load<u8>(pos); pos += 1; }
  else if (ai == 25) { arg = <u64>bswap<u16>(load<u16>(pos)); pos += 2; }
  else if (ai == 26) { arg = <u64>bswap<u32>(load<u32>(pos)); pos += 4; }
  else { arg = bswap<u64>(load<u64>(pos)); pos += 8; }
}

/**
 * Skips one item (well-formed bytes). It counts the items still to skip
 * instead of recursing: an array adds its n items, a map its 2n, so the VM's
 * one recursive function stays itemStrict, whose depth MAX_DEPTH bounds
 * (scripts/size.ts checks the compiled call graph for any other cycle).
 */
export function skip(): void {
  for (let left: u64 = 1; left != 0; left--) {
    head();
    const m = major;
    const n = arg;
    if (m == MAJOR_BYTES || m == MAJOR_TEXT) pos += <usize>n;
    else if (m == MAJOR_ARRAY) left += n;
    else if (m == MAJOR_MAP) left += n << 1;
  }
}

// ---------------------------------------------------------------- encoder

/** Writes a head at p; returns the next write position. */
export function putHead(p: usize, m: u32, v: u64): usize {
  const mb = m << 5;
  if (v < 24) { store<u8>(p, mb | <u32>v); return p + 1; }
  if (v <= 0xff) { store<u8>(p, mb | 24); store<u8>(p + 1, <u8>v); return p + 2; }
  if (v <= 0xffff) { store<u8>(p, mb | 25); store<u16>(p + 1, bswap<u16>(<u16>v)); return p + 3; }
  if (v <= 0xffffffff) { store<u8>(p, mb | 26); store<u32>(p + 1, bswap<u32>(<u32>v)); return p + 5; }
  store<u8>(p, mb | 27); store<u64>(p + 1, bswap<u64>(v)); return p + 9;
}

/** Writes a signed integer (major 0 or 1). */
export function putInt(p: usize, v: i64): usize {
  return v >= 0 ? putHead(p, MAJOR_UINT, <u64>v) : putHead(p, MAJOR_NINT, <u64>(~v));
}

/** Writes a byte string. */
export function putBytes(p: usize, src: usize, n: usize): usize {
  p = putHead(p, MAJOR_BYTES, <u64>n);
  memory.copy(p, src, n);
  return p + n;
}
