/**
 * Costs (SPEC §10) and the GAS phase of the step (SPEC §8.1).
 *
 * Every number comes from the active generated cost table; an instruction's
 * cost is `base + per × ceil(n / unit)`, where `n` is the byte count named in
 * the table's *of* column (computed by the instruction after its OPERANDS
 * phase).
 */
import { COSTS } from "../generated/opcodes.ts";
import type { Machine } from "./machine.ts";
import { Trap, TrapCode } from "./traps.ts";

/**
 * The cost of the instruction named by `key` (a mnemonic, or `LOAD.space` /
 * `STORE.space`), with `n` the byte count of its *of* column (0 when it has none).
 */
export function cost(key: string, n = 0): number {
  const c = COSTS[key];
  if (c === undefined) throw new Error(`no cost for ${key} in the active cost table`);
  if (c.per === undefined || c.unit === undefined) return c.base;
  return c.base + c.per * Math.ceil(n / c.unit);
}

/**
 * GAS phase: if `cycles + amount > max_cycles`, trap OUT_OF_CYCLES and leave
 * `cycles` unchanged; otherwise charge it.
 */
export function chargeGas(m: Machine, amount: number): void {
  if (m.cycles + amount > m.maxCycles) throw new Trap(TrapCode.OUT_OF_CYCLES);
  m.cycles += amount;
}
