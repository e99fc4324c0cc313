/**
 * System instructions (SPEC §9.7): BALANCE, SENDER, SELF, EPOCH, TRANSFER,
 * LOG, MSIZE, EMIT. (LOAD and STORE live in memory.ts and storage.ts, one
 * function per space.) Everything they observe is in the job's context.
 */
import { Limit, costOf } from "../../generated/opcodes.ts";
import { bytesToHex } from "../../model/bytes.ts";
import type { Instruction } from "../code.ts";
import { chargeGas } from "../gas.ts";
import { bool } from "../int64.ts";
import { drop, operands, push, requireStackEffect, type Machine } from "../machine.ts";
import { bytesAt, memoryRange, requirePositiveAmount } from "../operands.ts";
import { Trap, TrapCode } from "../traps.ts";

/** The snapshot balance of a NodeID, 0 if it has none (SPEC §6 context.balances). */
function snapshotBalance(m: Machine, nodeId: Uint8Array): bigint {
  return m.context.balances.get(bytesToHex(nodeId)) ?? 0n;
}

/** BALANCE `id -- balance`: the snapshot balance of the NodeID at (id, 16); transfers recorded in this call do not change it. */
export function balance(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [id] = operands(m, 1);
  const idAt = memoryRange(m, id, Limit.NODE_ID_SIZE);
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  drop(m, 1);
  push(m, snapshotBalance(m, bytesAt(m, idAt)));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** SENDER `dst --`: write the caller's NodeID to (dst, 16). */
export function sender(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [dst] = operands(m, 1);
  const dstAt = memoryRange(m, dst, Limit.NODE_ID_SIZE);
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  drop(m, 1);
  m.memory.set(m.context.sender, dstAt.addr);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** SELF `dst --`: write the executing node's NodeID to (dst, 16). */
export function self(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [dst] = operands(m, 1);
  const dstAt = memoryRange(m, dst, Limit.NODE_ID_SIZE);
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  drop(m, 1);
  m.memory.set(m.context.self, dstAt.addr);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** EPOCH `-- epoch`: the job's epoch. */
export function epoch(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  push(m, m.context.epoch);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/**
 * TRANSFER `to amount -- ok`: record a transfer of `amount` from SELF to the
 * NodeID at (to, 16) if SELF's snapshot balance minus the transfers already
 * recorded covers it (push 1), else record nothing (push 0).
 */
export function transfer(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: the range, then the amount
  const [to, amount] = operands(m, 2);
  const toAt = memoryRange(m, to, Limit.NODE_ID_SIZE);
  requirePositiveAmount(amount);
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  drop(m, 2);
  const available = snapshotBalance(m, m.context.self) - m.transferred;
  if (amount > available) {
    push(m, 0n);
  } else {
    if (m.transfers.length >= Limit.MAX_TRANSFERS) throw new Trap(TrapCode.TRANSFER_LIMIT_EXCEEDED);
    m.transfers.push({ to: bytesAt(m, toAt).slice(), amount });
    m.transferred += amount;
    push(m, 1n);
  }
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** LOG `src len --`: append (src, len) as one debug record; kept even when the call fails. */
export function log(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [src, len] = operands(m, 2);
  const record = memoryRange(m, src, len);
  // GAS
  chargeGas(m, costOf(ins.key, record.len, m.costs));
  // OPERATION
  drop(m, 2);
  if (m.logs.length >= Limit.MAX_LOGS || m.logBytes + record.len > Limit.MAX_LOG_BYTES) {
    throw new Trap(TrapCode.LOG_LIMIT_EXCEEDED);
  }
  m.logs.push(bytesAt(m, record).slice());
  m.logBytes += record.len;
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** MSIZE `-- size`: the memory size, max_memory. */
export function msize(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: none
  // GAS
  chargeGas(m, costOf(ins.key, 0, m.costs));
  // OPERATION
  push(m, BigInt(m.maxMemory));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** EMIT `src len --`: append (src, len) to the call's output. */
export function emit(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [src, len] = operands(m, 2);
  const bytes = memoryRange(m, src, len);
  // GAS
  chargeGas(m, costOf(ins.key, bytes.len, m.costs));
  // OPERATION
  drop(m, 2);
  if (m.outputSize + bytes.len > Limit.MAX_OUTPUT) throw new Trap(TrapCode.OUTPUT_LIMIT_EXCEEDED);
  m.output.push(bytesAt(m, bytes).slice());
  m.outputSize += bytes.len;
  // PROGRAM COUNTER
  m.pc = ins.next;
}
