/**
 * The step loop (SPEC §8.1). The interpreter only dispatches: fetch the
 * instruction at `pc`, look up its handler, call it. Everything an
 * instruction does is in its handler under instructions/.
 */
import { Status } from "../generated/opcodes.ts";
import type { TraceStep } from "../model/engine.ts";
import { chargeGas } from "./gas.ts";
import { INSTRUCTIONS } from "./instructions/index.ts";
import type { Machine } from "./machine.ts";
import { Trap, TrapCode } from "./traps.ts";

/** Runs the call to its end; afterwards `m.end` says how it ended. */
export function execute(m: Machine, trace?: TraceStep[]): void {
  try {
    // SPEC §8: the intrinsic charge comes before the first instruction; if it
    // does not fit, the call traps OUT_OF_CYCLES with cycles 0.
    chargeGas(m, m.intrinsic);
    while (m.running) {
      // FETCH: pc equal to the code length means the code ran out.
      if (m.pc === m.program.code.length) throw new Trap(TrapCode.END_OF_CODE);
      const ins = m.program.at[m.pc];
      if (ins === undefined) throw new Error(`internal: pc ${m.pc} is not an instruction start`);
      // LOOK UP
      const handler = INSTRUCTIONS[ins.key];
      // CALL
      if (trace === undefined) {
        handler(m, ins);
      } else {
        const step: TraceStep = {
          pc: m.pc,
          op: ins.key,
          cycles: m.cycles,
          cost: 0,
          depth: m.callStack.length,
          stack: m.stack.map((v) => v.toString()),
        };
        trace.push(step);
        m.lastCompaction = undefined;
        m.lastIndexMoves = undefined;
        try {
          handler(m, ins);
        } finally {
          step.cost = m.cycles - step.cycles;
          if (m.lastCompaction !== undefined) step.compaction = m.lastCompaction;
          if (m.lastIndexMoves !== undefined) step.indexMoves = m.lastIndexMoves;
        }
      }
    }
  } catch (e) {
    if (!(e instanceof Trap)) throw e;
    m.running = false;
    m.end = { status: Status.TRAP, code: BigInt(e.code), returns: [] };
  }
}
