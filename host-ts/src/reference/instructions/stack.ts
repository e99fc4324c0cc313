/**
 * Stack instructions (SPEC §9.1): PUSH, POP, DUP, SWAP, OVER, ROT.
 *
 * Every instruction runs the phases of SPEC §8.1 in order: STACK, OPERANDS,
 * GAS, OPERATION, PROGRAM COUNTER.
 */
import { costOf } from "../../generated/opcodes.ts";
import type { Instruction } from "../code.ts";
import { chargeGas } from "../gas.ts";
import { pop, push, requireStackEffect, type Machine } from "../machine.ts";

/** PUSH `-- v`: push the immediate. */
export function pushImmediate(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  push(m, ins.value);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** POP `a --`: discard the top value. */
export function popValue(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  pop(m);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** DUP `a -- a a`. */
export function dup(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const a = pop(m);
  push(m, a);
  push(m, a);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** SWAP `a b -- b a`. */
export function swap(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, b);
  push(m, a);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** OVER `a b -- a b a`. */
export function over(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const b = pop(m);
  const a = pop(m);
  push(m, a);
  push(m, b);
  push(m, a);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** ROT `a b c -- b c a`: the third value comes to the top. */
export function rot(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const c = pop(m);
  const b = pop(m);
  const a = pop(m);
  push(m, b);
  push(m, c);
  push(m, a);
  // PROGRAM COUNTER
  m.pc = ins.next;
}
