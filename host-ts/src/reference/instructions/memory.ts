/**
 * LOAD and STORE on memory and the input (SPEC §9.7, spaces m8, m16, m32,
 * m64, inlen, copy). Memory words are little-endian; m8..m32 loads
 * zero-extend, m64 loads read a signed 64-bit value, and stores write the low
 * bytes of the value.
 */
import { costOf } from "../../generated/opcodes.ts";
import type { Instruction } from "../code.ts";
import { chargeGas } from "../gas.ts";
import { toUint64 } from "../int64.ts";
import { drop, operands, push, requireStackEffect, type Machine } from "../machine.ts";
import { memoryRange, type Range } from "../operands.ts";

/** Bytes read or written by each word space. */
export const WORD_SIZE = { m8: 1, m16: 2, m32: 4, m64: 8 } as const;
type WordSpace = keyof typeof WORD_SIZE;

/** The word at a checked range, little-endian: zero-extended, except a full 8-byte word, which is signed. */
function readWord(m: Machine, r: Range): bigint {
  let v = 0n;
  for (let i = r.len - 1; i >= 0; i--) v = (v << 8n) | BigInt(m.memory[r.addr + i]);
  return r.len === 8 ? BigInt.asIntN(64, v) : v;
}

/** Writes the low `r.len` bytes of `v`, little-endian. */
function writeWord(m: Machine, r: Range, v: bigint): void {
  let bits = toUint64(v);
  for (let i = 0; i < r.len; i++) {
    m.memory[r.addr + i] = Number(bits & 0xffn);
    bits >>= 8n;
  }
}

/** LOAD.m8/m16/m32/m64 `addr -- v`. */
function loadWord(m: Machine, ins: Instruction, space: WordSpace): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [addr] = operands(m, 1);
  const word = memoryRange(m, addr, WORD_SIZE[space]);
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  drop(m, 1);
  push(m, readWord(m, word));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** STORE.m8/m16/m32/m64 `v addr --`. */
function storeWord(m: Machine, ins: Instruction, space: WordSpace): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [v, addr] = operands(m, 2);
  const word = memoryRange(m, addr, WORD_SIZE[space]);
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  drop(m, 2);
  writeWord(m, word, v);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** LOAD.m8 `addr -- v`: 1 byte, zero-extended. */
export const loadM8 = (m: Machine, ins: Instruction): void => loadWord(m, ins, "m8");
/** LOAD.m16 `addr -- v`: 2 bytes little-endian, zero-extended. */
export const loadM16 = (m: Machine, ins: Instruction): void => loadWord(m, ins, "m16");
/** LOAD.m32 `addr -- v`: 4 bytes little-endian, zero-extended. */
export const loadM32 = (m: Machine, ins: Instruction): void => loadWord(m, ins, "m32");
/** LOAD.m64 `addr -- v`: 8 bytes little-endian, signed. */
export const loadM64 = (m: Machine, ins: Instruction): void => loadWord(m, ins, "m64");
/** STORE.m8 `v addr --`: the low byte of v. */
export const storeM8 = (m: Machine, ins: Instruction): void => storeWord(m, ins, "m8");
/** STORE.m16 `v addr --`: the low 2 bytes of v, little-endian. */
export const storeM16 = (m: Machine, ins: Instruction): void => storeWord(m, ins, "m16");
/** STORE.m32 `v addr --`: the low 4 bytes of v, little-endian. */
export const storeM32 = (m: Machine, ins: Instruction): void => storeWord(m, ins, "m32");
/** STORE.m64 `v addr --`: v as 8 bytes, little-endian. */
export const storeM64 = (m: Machine, ins: Instruction): void => storeWord(m, ins, "m64");

/** LOAD.inlen `-- n`: the length of the job input (which sits at address 0). */
export function loadInlen(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  push(m, BigInt(m.inputLength));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** STORE.copy `dst src len --`: copy (src, len) to (dst, len) as if through a temporary buffer. */
export function storeCopy(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: (src, len), then (dst, len)
  const [dst, src, len] = operands(m, 3);
  const from = memoryRange(m, src, len);
  const to = memoryRange(m, dst, len);
  // GAS
  chargeGas(m, costOf(ins.key, from.len, m.costs));
  // OPERATION
  drop(m, 3);
  m.memory.copyWithin(to.addr, from.addr, from.addr + from.len); // memmove semantics
  // PROGRAM COUNTER
  m.pc = ins.next;
}
