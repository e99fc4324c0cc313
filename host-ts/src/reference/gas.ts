/**
 * The GAS phase of the step (SPEC §8.1). Costs (SPEC §10) come from the one
 * generated cost function, `costOf` in generated/opcodes.ts, over the job's
 * cost table: each instruction computes the byte count of its *of* column in
 * its OPERANDS phase and charges `costOf(ins.key, n, m.costs)` here (the
 * contract's table, SPEC §5).
 */
import type { Machine } from "./machine.ts";
import { Trap, TrapCode } from "./traps.ts";

/**
 * GAS phase: if `cycles + amount > max_cycles`, trap OUT_OF_CYCLES and leave
 * `cycles` unchanged; otherwise charge it.
 */
export function chargeGas(m: Machine, amount: number): void {
  if (m.cycles + amount > m.maxCycles) throw new Trap(TrapCode.OUT_OF_CYCLES);
  m.cycles += amount;
}
