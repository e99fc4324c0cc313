// G-Counter contract (WASM twin of examples/contracts/gcounter.masm).
//
// State key "gc": entries of 16-byte NodeID || 8-byte little-endian count,
// sorted by NodeID ascending, no duplicates (24 bytes per entry).
//   increment(amount)  1 arg, 0 rets: amount > 0 else ABORT 1; adds amount to
//                      SENDER's entry (inserted in order if absent); a count
//                      past 2^63-1 traps INTEGER_OVERFLOW.
//   merge()            0 args, 0 rets: input = a G-Counter in the same format
//                      (ABORT 2 if its length is not a multiple of 24 or it is
//                      not strictly sorted); pointwise (signed) max into the
//                      state. Always writes "gc".
//   value()            0 args, 1 ret: the sum of all counts (0 if "gc" is
//                      absent); a sum past 2^63-1 traps INTEGER_OVERFLOW.
import { abortWith, ascii, checkedAdd, compareAt, input, stateGet, readI64LE, stateSet, sender, writeI64LE } from "./lib/mehr";

const ENTRY: i32 = 24;

function stateKey(): Uint8Array {
  return ascii("gc");
}

function current(): Uint8Array {
  const v = stateGet(stateKey());
  return v === null ? new Uint8Array(0) : v;
}

export function increment(amount: i64): void {
  if (amount <= 0) abortWith(1);
  const gc = current();
  const me = sender();
  const n = gc.length / ENTRY;
  let i = 0;
  while (i < n && compareAt(gc, i * ENTRY, me, 0, 16) < 0) i++;
  if (i < n && compareAt(gc, i * ENTRY, me, 0, 16) == 0) {
    writeI64LE(gc, i * ENTRY + 16, checkedAdd(readI64LE(gc, i * ENTRY + 16), amount));
    stateSet(stateKey(), gc);
    return;
  }
  const out = new Uint8Array(gc.length + ENTRY);
  out.set(gc.subarray(0, i * ENTRY), 0);
  out.set(me, i * ENTRY);
  writeI64LE(out, i * ENTRY + 16, amount);
  out.set(gc.subarray(i * ENTRY), (i + 1) * ENTRY);
  stateSet(stateKey(), out);
}

export function merge(): void {
  const other = input();
  if (other.length % ENTRY != 0) abortWith(2);
  const m = other.length / ENTRY;
  for (let j = 1; j < m; j++) {
    if (compareAt(other, (j - 1) * ENTRY, other, j * ENTRY, 16) >= 0) abortWith(2);
  }
  const gc = current();
  const n = gc.length / ENTRY;
  const out = new Uint8Array((n + m) * ENTRY);
  let i = 0, j = 0, k = 0;
  while (i < n || j < m) {
    let c: i32;
    if (i >= n) c = 1;
    else if (j >= m) c = -1;
    else c = compareAt(gc, i * ENTRY, other, j * ENTRY, 16);
    if (c < 0) {
      out.set(gc.subarray(i * ENTRY, (i + 1) * ENTRY), k * ENTRY);
      i++;
    } else if (c > 0) {
      out.set(other.subarray(j * ENTRY, (j + 1) * ENTRY), k * ENTRY);
      j++;
    } else {
      out.set(gc.subarray(i * ENTRY, i * ENTRY + 16), k * ENTRY);
      const a = readI64LE(gc, i * ENTRY + 16), b = readI64LE(other, j * ENTRY + 16);
      writeI64LE(out, k * ENTRY + 16, a > b ? a : b);
      i++;
      j++;
    }
    k++;
  }
  stateSet(stateKey(), out.subarray(0, k * ENTRY));
}

export function value(): i64 {
  const gc = current();
  const n = gc.length / ENTRY;
  let sum: i64 = 0;
  for (let i = 0; i < n; i++) sum = checkedAdd(sum, readI64LE(gc, i * ENTRY + 16));
  return sum;
}
