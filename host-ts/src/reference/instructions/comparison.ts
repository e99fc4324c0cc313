/**
 * Comparison instructions (SPEC §9.4): EQ, NEQ, LT, GT, LTE, GTE push 1 or 0;
 * the orderings are signed.
 */
import { costOf } from "../../generated/opcodes.ts";
import type { Instruction } from "../code.ts";
import { chargeGas } from "../gas.ts";
import { bool } from "../int64.ts";
import { pop, push, requireStackEffect, type Machine } from "../machine.ts";

/** EQ `a b -- a==b`. */
export function eq(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, bool(a === b));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** NEQ `a b -- a!=b`. */
export function neq(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, bool(a !== b));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** LT `a b -- a<b`. */
export function lt(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, bool(a < b));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** GT `a b -- a>b`. */
export function gt(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, bool(a > b));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** LTE `a b -- a<=b`. */
export function lte(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, bool(a <= b));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** GTE `a b -- a>=b`. */
export function gte(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, bool(a >= b));
  // PROGRAM COUNTER
  m.pc = ins.next;
}
