/**
 * Control instructions (SPEC §9.5, §8.2): JMP, JZ, JNZ, CALL, RET, HALT, ABORT.
 *
 * There are no frames: CALL only pushes a return address, and callee and
 * caller share the data stack. The call stack is checked in the STACK phase.
 */
import { Limit, Status, costOf, rehashOf } from "../../generated/opcodes.ts";
import type { Instruction } from "../code.ts";
import { chargeGas } from "../gas.ts";
import { endCall, pop, requireStackEffect, type Machine } from "../machine.ts";
import { Trap, TrapCode } from "../traps.ts";

/** JMP `--`: jump to the target. */
export function jmp(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION: none
  // PROGRAM COUNTER
  m.pc = ins.target;
}

/** JZ `c --`: jump to the target if c is 0. */
export function jz(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const c = pop(m);
  // PROGRAM COUNTER
  m.pc = c === 0n ? ins.target : ins.next;
}

/** JNZ `c --`: jump to the target if c is not 0. */
export function jnz(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const c = pop(m);
  // PROGRAM COUNTER
  m.pc = c !== 0n ? ins.target : ins.next;
}

/** CALL `--`: push the address of the next instruction on the call stack and jump; traps CALL_DEPTH_EXCEEDED. */
export function call(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  if (m.callStack.length >= Limit.CALL_DEPTH) throw new Trap(TrapCode.CALL_DEPTH_EXCEEDED);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  m.callStack.push(ins.next);
  // PROGRAM COUNTER
  m.pc = ins.target;
}

/** RET `--`: pop a return address and jump to it; traps RETURN_WITHOUT_CALL. */
export function ret(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  if (m.callStack.length === 0) throw new Trap(TrapCode.RETURN_WITHOUT_CALL);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const address = m.callStack.pop() as number;
  // PROGRAM COUNTER
  m.pc = address;
}

/** HALT `r1..rN --`: end the call successfully; the top N = rets values are the return values, deepest first. */
export function halt(m: Machine, ins: Instruction): void {
  // STACK (pops the function's `rets`)
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS: a call that changed the state also pays for encoding and hashing
  // the final state anew (SPEC §8.2); one that did not reuses the prior hash.
  chargeGas(m, costOf(ins.key, 0, m.costs) + (m.changed ? rehashOf(m.costTable, m.state.size) : 0));
  // OPERATION
  const returns = m.stack.splice(m.stack.length - m.rets, m.rets);
  endCall(m, Status.HALT, 0n, returns);
  // PROGRAM COUNTER: none, the call has ended
}

/** ABORT `code --`: end the call unsuccessfully with the popped code. */
export function abort(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  const code = pop(m);
  endCall(m, Status.ABORT, code, []);
  // PROGRAM COUNTER: none, the call has ended
}
