/**
 * Arithmetic instructions (SPEC §9.2, rules in SPEC §2): ADD, SUB, MUL, DIV,
 * MOD, NEG, ABS, MIN, MAX — signed 64-bit, trapping instead of wrapping.
 * Arithmetic traps are raised in the OPERATION phase, after the charge.
 */
import { costOf } from "../../generated/opcodes.ts";
import type { Instruction } from "../code.ts";
import { chargeGas } from "../gas.ts";
import { checkedInt64 } from "../int64.ts";
import { pop, push, requireStackEffect, type Machine } from "../machine.ts";
import { Trap, TrapCode } from "../traps.ts";

/** ADD `a b -- a+b`; traps INTEGER_OVERFLOW. */
export function add(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, checkedInt64(a + b));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** SUB `a b -- a-b`; traps INTEGER_OVERFLOW. */
export function sub(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, checkedInt64(a - b));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** MUL `a b -- a*b`; traps INTEGER_OVERFLOW. */
export function mul(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, checkedInt64(a * b));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** DIV `a b -- a/b`, truncating toward zero; traps DIVISION_BY_ZERO, and INTEGER_OVERFLOW for MIN / -1. */
export function div(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  if (b === 0n) throw new Trap(TrapCode.DIVISION_BY_ZERO);
  push(m, checkedInt64(a / b)); // bigint division truncates toward zero
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** MOD `a b -- a%b`, with the sign of the dividend; traps DIVISION_BY_ZERO; MIN % -1 is 0. */
export function mod(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  if (b === 0n) throw new Trap(TrapCode.DIVISION_BY_ZERO);
  push(m, a % b); // bigint remainder has the sign of the dividend; |a % b| < |b|, so it fits
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** NEG `a -- -a`; traps INTEGER_OVERFLOW for MIN. */
export function neg(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const a = pop(m);
  push(m, checkedInt64(-a));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** ABS `a -- |a|`; traps INTEGER_OVERFLOW for MIN. */
export function abs(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const a = pop(m);
  push(m, checkedInt64(a < 0n ? -a : a));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** MIN `a b -- min`: signed minimum. */
export function minimum(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, a < b ? a : b);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** MAX `a b -- max`: signed maximum. */
export function maximum(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, a > b ? a : b);
  // PROGRAM COUNTER
  m.pc = ins.next;
}
