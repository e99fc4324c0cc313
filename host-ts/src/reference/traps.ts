/**
 * Traps (SPEC §12.2).
 *
 * An instruction that cannot complete throws a `Trap` carrying its code; the
 * interpreter catches it and the call ends with status TRAP (SPEC §8.2). The
 * codes themselves come from the generated table (spec/opcodes.json).
 */
import { Trap as TrapCode, TRAP_NAMES } from "../generated/opcodes.ts";

export { TrapCode };

/** Ends the call with status TRAP and the given code (SPEC §12.2). */
export class Trap extends Error {
  constructor(readonly code: number) {
    super(`trap ${TRAP_NAMES[code] ?? code}`);
    this.name = "Trap";
  }
}
