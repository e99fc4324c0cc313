/**
 * LOAD and STORE on the contract state (SPEC §9.7, spaces state and del;
 * the state and its size in SPEC §3). Keys are 1..MAX_KEY_SIZE bytes; an
 * empty value is not an absent key. STOREs change the working state, which
 * only HALT commits.
 */
import { Limit, compactionOf, costOf, indexMoveOf } from "../../generated/opcodes.ts";
import { insertMoves, positionOf, removeMoves } from "../index-moves.ts";
import { bytesToHex } from "../../model/bytes.ts";
import type { Instruction } from "../code.ts";
import { chargeGas } from "../gas.ts";
import { drop, operands, push, requireStackEffect, type Machine } from "../machine.ts";
import { bytesAt, memoryRange, requireKeyLength } from "../operands.ts";
import { Trap, TrapCode } from "../traps.ts";

/** The size one entry adds to the state size (SPEC §3). */
function entrySize(keyLength: number, valueLength: number): number {
  return Limit.STATE_ENTRY_OVERHEAD + keyLength + valueLength;
}

/**
 * LOAD.state `key klen dst cap -- vlen`: if the key is absent push -1 and
 * write nothing; else copy the first min(len(value), cap) bytes of the value
 * to dst and push len(value).
 */
export function loadState(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: ranges (key, klen) and (dst, cap), then the key length
  const [key, klen, dst, cap] = operands(m, 4);
  const keyAt = memoryRange(m, key, klen);
  const dstAt = memoryRange(m, dst, cap);
  requireKeyLength(klen);
  // GAS
  chargeGas(m, costOf(ins.key, keyAt.len + dstAt.len, m.costs));
  // OPERATION
  drop(m, 4);
  const value = m.state.get(bytesToHex(bytesAt(m, keyAt)));
  if (value === undefined) {
    push(m, -1n);
  } else {
    m.memory.set(value.subarray(0, Math.min(value.length, dstAt.len)), dstAt.addr);
    push(m, BigInt(value.length));
  }
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/**
 * STORE.state `key klen val vlen --`: set the value under the key to
 * (val, vlen); traps STATE_LIMIT_EXCEEDED, leaving the state unchanged, if
 * the new state size would exceed max_state_size.
 */
export function storeState(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: ranges (key, klen) and (val, vlen), then the key length
  const [key, klen, val, vlen] = operands(m, 4);
  const keyAt = memoryRange(m, key, klen);
  const valueAt = memoryRange(m, val, vlen);
  requireKeyLength(klen);
  // GAS: a store that appends a record (a new key, or a new value length)
  // advances the arena's compaction, if one is due, and pays for the records
  // it processes and the bytes it moves (SPEC §9.7). Should the store trap,
  // the call ends and the arena is never looked at again.
  const hexKey = bytesToHex(bytesAt(m, keyAt));
  const old = m.state.get(hexKey);
  const entry = entrySize(keyAt.len, valueAt.len);
  const appends = old === undefined || old.length !== valueAt.len;
  const work = appends ? m.arena.advance(hexKey, entry) : undefined;
  m.lastCompaction = work !== undefined && work.records > 0 ? work : undefined;
  // A new key takes a place in the sorted index: the slots that makes move are paid for (SPEC §9.7).
  const moves = old === undefined ? insertMoves(m.state.size, positionOf(m.state.keys(), hexKey)) : undefined;
  m.lastIndexMoves = moves;
  chargeGas(m, costOf(ins.key, keyAt.len + valueAt.len, m.costs) + (work ? compactionOf(m.costTable, work.records, work.bytes) : 0)
    + (moves !== undefined ? indexMoveOf(m.costTable, moves) : 0));
  // OPERATION
  drop(m, 4);
  const newSize = m.stateSize - (old === undefined ? 0 : entrySize(keyAt.len, old.length)) + entry;
  if (newSize > m.maxStateSize) throw new Trap(TrapCode.STATE_LIMIT_EXCEEDED);
  m.state.set(hexKey, bytesAt(m, valueAt).slice());
  m.stateSize = newSize;
  m.changed = true;
  if (appends) m.arena.append(hexKey, entry);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** STORE.del `key klen --`: remove the entry under the key, if present. */
export function storeDel(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS: the range (key, klen), then the key length
  const [key, klen] = operands(m, 2);
  const keyAt = memoryRange(m, key, klen);
  requireKeyLength(klen);
  // GAS: removing a present key closes its place in the sorted index, and the slots that moves are paid for (SPEC §9.7).
  const hexKey = bytesToHex(bytesAt(m, keyAt));
  const old = m.state.get(hexKey);
  const moves = old !== undefined ? removeMoves(m.state.size, positionOf(m.state.keys(), hexKey)) : undefined;
  m.lastIndexMoves = moves;
  chargeGas(m, costOf(ins.key, keyAt.len, m.costs) + (moves !== undefined ? indexMoveOf(m.costTable, moves) : 0));
  // OPERATION
  drop(m, 2);
  if (old !== undefined) {
    m.state.delete(hexKey);
    m.arena.remove(hexKey);
    m.stateSize -= entrySize(keyAt.len, old.length);
    m.changed = true;
  }
  // PROGRAM COUNTER
  m.pc = ins.next;
}
