/**
 * The OPERANDS phase (SPEC §8.1): memory ranges first
 * (MEMORY_OUT_OF_BOUNDS), then state-key lengths (INVALID_STATE_KEY), then
 * amounts (INVALID_AMOUNT). Each check reads values still on the stack.
 */
import { Limit } from "../generated/opcodes.ts";
import type { Machine } from "./machine.ts";
import { Trap, TrapCode } from "./traps.ts";

/** A checked memory range `addr .. addr+len-1` (SPEC §1). */
export interface Range {
  readonly addr: number;
  readonly len: number;
}

/**
 * SPEC §2: a range is valid when `0 <= addr`, `0 <= len` and
 * `addr + len <= max_memory`, computed exactly; else trap MEMORY_OUT_OF_BOUNDS.
 */
export function memoryRange(m: Machine, addr: bigint, len: bigint | number): Range {
  const n = BigInt(len);
  if (addr < 0n || n < 0n || addr + n > BigInt(m.maxMemory)) throw new Trap(TrapCode.MEMORY_OUT_OF_BOUNDS);
  return { addr: Number(addr), len: Number(n) };
}

/** The bytes of a checked range (a view: copy it before keeping it). */
export function bytesAt(m: Machine, r: Range): Uint8Array {
  return m.memory.subarray(r.addr, r.addr + r.len);
}

/** SPEC §3: state keys are 1..MAX_KEY_SIZE bytes; else trap INVALID_STATE_KEY. */
export function requireKeyLength(klen: bigint): void {
  if (klen < 1n || klen > BigInt(Limit.MAX_KEY_SIZE)) throw new Trap(TrapCode.INVALID_STATE_KEY);
}

/** SPEC §9.7 TRANSFER: an amount `<= 0` traps INVALID_AMOUNT. */
export function requirePositiveAmount(amount: bigint): void {
  if (amount <= 0n) throw new Trap(TrapCode.INVALID_AMOUNT);
}
