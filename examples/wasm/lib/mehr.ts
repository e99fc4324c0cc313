// The Mehr host API for AssemblyScript contracts (docs/WASM.md §Host API).
// Pointers and lengths are byte offsets in linear memory; NodeIDs are 16
// bytes, keys 1..64 bytes. Compile with `--runtime stub --use abort=` (see
// examples/wasm/build.ts) so the module imports nothing else.

@external("mehr", "mehr_balance") export declare function mehr_balance(id: usize): i64;
@external("mehr", "mehr_sender") export declare function mehr_sender(dst: usize): void;
@external("mehr", "mehr_self") export declare function mehr_self(dst: usize): void;
@external("mehr", "mehr_epoch") export declare function mehr_epoch(): i64;
@external("mehr", "mehr_transfer") export declare function mehr_transfer(to: usize, amount: i64): i32;
@external("mehr", "mehr_log") export declare function mehr_log(src: usize, len: usize): void;
@external("mehr", "mehr_store_load") export declare function mehr_store_load(key: usize, klen: usize, dst: usize, cap: usize): i32;
@external("mehr", "mehr_store_save") export declare function mehr_store_save(key: usize, klen: usize, val: usize, vlen: usize): void;
@external("mehr", "mehr_store_delete") export declare function mehr_store_delete(key: usize, klen: usize): void;
@external("mehr", "mehr_hash") export declare function mehr_hash(src: usize, len: usize, dst: usize): void;
@external("mehr", "mehr_verify_sig") export declare function mehr_verify_sig(pk: usize, msg: usize, len: usize, sig: usize): i32;
@external("mehr", "mehr_input") export declare function mehr_input(dst: usize, cap: usize): i32;
@external("mehr", "mehr_emit") export declare function mehr_emit(src: usize, len: usize): void;
@external("mehr", "mehr_abort") export declare function mehr_abort(code: i64): void;

/** Ends the call with status ABORT and `code` (never returns). */
export function abortWith(code: i64): void {
  mehr_abort(code);
  unreachable();
}

/** The job input as a fresh byte array. */
export function input(): Uint8Array {
  const n = mehr_input(0, 0);
  const buf = new Uint8Array(n);
  mehr_input(buf.dataStart, n);
  return buf;
}

export function sender(): Uint8Array {
  const id = new Uint8Array(16);
  mehr_sender(id.dataStart);
  return id;
}

export function self(): Uint8Array {
  const id = new Uint8Array(16);
  mehr_self(id.dataStart);
  return id;
}

/** The state value under `key`, or null if the key is absent. */
export function stateGet(key: Uint8Array): Uint8Array | null {
  const n = mehr_store_load(key.dataStart, key.length, 0, 0);
  if (n < 0) return null;
  const buf = new Uint8Array(n);
  mehr_store_load(key.dataStart, key.length, buf.dataStart, n);
  return buf;
}

export function stateSet(key: Uint8Array, value: Uint8Array): void {
  mehr_store_save(key.dataStart, key.length, value.dataStart, value.length);
}

export function stateDelete(key: Uint8Array): void {
  mehr_store_delete(key.dataStart, key.length);
}

export function emit(data: Uint8Array): void {
  mehr_emit(data.dataStart, data.length);
}

export function log(data: Uint8Array): void {
  mehr_log(data.dataStart, data.length);
}

/** Bytes of an ASCII string literal. */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = <u8>s.charCodeAt(i);
  return out;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function equal(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}

/** Bytewise comparison of n bytes at a[ao..] and b[bo..]: <0, 0, >0. */
export function compareAt(a: Uint8Array, ao: i32, b: Uint8Array, bo: i32, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const x = <i32>a[ao + i], y = <i32>b[bo + i];
    if (x != y) return x - y;
  }
  return 0;
}

export function readI64LE(a: Uint8Array, off: i32): i64 {
  return load<i64>(a.dataStart + <usize>off);
}

export function writeI64LE(a: Uint8Array, off: i32, v: i64): void {
  store<i64>(a.dataStart + <usize>off, v);
}

/**
 * Traps INTEGER_OVERFLOW (SPEC code 3), exactly as MHR-Byte's ADD does: the
 * engine maps WebAssembly's "integer overflow" trap (i64.div_s of MIN by -1)
 * to that code.
 */
export function overflowTrap(): void {
  let m: i64 = i64.MIN_VALUE;
  let d: i64 = -1;
  // The operands come through memory so the optimizer cannot fold the division.
  const scratch = new Uint8Array(16);
  store<i64>(scratch.dataStart, m);
  store<i64>(scratch.dataStart + 8, d);
  const q = load<i64>(scratch.dataStart) / load<i64>(scratch.dataStart + 8);
  store<i64>(scratch.dataStart, q);
  unreachable();
}

/** a + b, trapping INTEGER_OVERFLOW like MHR-Byte's ADD. */
export function checkedAdd(a: i64, b: i64): i64 {
  const s = a + b;
  if (((a ^ s) & (b ^ s)) < 0) overflowTrap();
  return s;
}
