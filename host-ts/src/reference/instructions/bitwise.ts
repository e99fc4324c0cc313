/**
 * Bitwise instructions (SPEC §9.3, shifts in SPEC §2): AND, OR, XOR, NOT on
 * the 64-bit two's-complement pattern; SHL (bits shifted out are lost) and
 * SHR (logical, zero-filling), both trapping SHIFT_OUT_OF_RANGE unless
 * `0 <= n <= 63`.
 */
import { costOf } from "../../generated/opcodes.ts";
import type { Instruction } from "../code.ts";
import { chargeGas } from "../gas.ts";
import { toUint64, wrapInt64 } from "../int64.ts";
import { pop, push, requireStackEffect, type Machine } from "../machine.ts";
import { Trap, TrapCode } from "../traps.ts";

/** The shift count `n` if `0 <= n <= 63`, else trap SHIFT_OUT_OF_RANGE (SPEC §2). */
function shiftCount(n: bigint): bigint {
  if (n < 0n || n > 63n) throw new Trap(TrapCode.SHIFT_OUT_OF_RANGE);
  return n;
}

/** AND `a b -- a&b`. (bigint bit operations act on the infinite two's-complement pattern, so the result stays in range.) */
export function and(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, a & b);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** OR `a b -- a|b`. */
export function or(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, a | b);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** XOR `a b -- a^b`. */
export function xor(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, a ^ b);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** NOT `a -- ~a`. */
export function not(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const a = pop(m);
  push(m, ~a);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** SHL `a n -- a<<n`: bits shifted out of the 64-bit pattern are lost. */
export function shl(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const n = pop(m);
  const a = pop(m);
  push(m, wrapInt64(a << shiftCount(n)));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** SHR `a n -- a>>>n`: logical shift of the 64-bit pattern (zero-filling). */
export function shr(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const n = pop(m);
  const a = pop(m);
  push(m, wrapInt64(toUint64(a) >> shiftCount(n)));
  // PROGRAM COUNTER
  m.pc = ins.next;
}
