/**
 * The MHR-Byte v1 reference interpreter: the executable form of docs/SPEC.md.
 *
 *   validate.ts      §7 load-time validation (§4 decoding, §5 contract, §6 job)
 *   code.ts          §5.1 instruction encoding
 *   machine.ts       §3 machine state, STACK phase
 *   operands.ts      §8.1 OPERANDS phase (ranges, keys, amounts)
 *   gas.ts           §8.1 GAS phase (costs: generated/opcodes.ts costOf, §10)
 *   instructions/    §9 one module per category, one function per instruction
 *   interpreter.ts   §8.1 the step loop (dispatch only)
 *   traps.ts         §12.2 traps
 *   result.ts        §13 result
 */
import type { TraceStep } from "../model/engine.ts";
import { encodeResult, hash32 } from "../model/codec.ts";
import type { Result, StateMap } from "../model/types.ts";
import { execute } from "./interpreter.ts";
import { createMachine } from "./machine.ts";
import { executedResult } from "./result.ts";
import { invalidResult } from "../model/codec.ts";
import { validateJob } from "./validate.ts";

export { validateJob, type ValidatedJob, type Validation } from "./validate.ts";
export { execute } from "./interpreter.ts";
export { createMachine, type Machine, type CallEnd } from "./machine.ts";
export { Trap, TrapCode } from "./traps.ts";
export { decodeProgram, decodeInstruction, type Instruction, type Program } from "./code.ts";

export interface RunJobOptions {
  /** Collect one TraceStep per executed instruction. */
  trace?: boolean;
}

export interface ReferenceRun {
  result: Result;
  /** The canonical encoding of `result` (SPEC §13). */
  resultBytes: Uint8Array;
  /** Blake3-256 of resultBytes. */
  resultHash: Uint8Array;
  /** The state the result's state_hash covers (final on HALT, prior on ABORT/TRAP); absent for INVALID. */
  state?: StateMap;
  trace?: TraceStep[];
}

/** Runs one job (SPEC §7, §8, §13). Never throws for any input bytes. */
export function runJob(jobBytes: Uint8Array, opts: RunJobOptions = {}): ReferenceRun {
  const jobHash = hash32(jobBytes);
  const validation = validateJob(jobBytes);
  let result: Result;
  let state: StateMap | undefined;
  let trace: TraceStep[] | undefined;
  if (!validation.ok) {
    result = invalidResult(jobHash, validation.error);
  } else {
    const machine = createMachine(validation.job);
    trace = opts.trace ? [] : undefined;
    execute(machine, trace);
    ({ result, state } = executedResult(jobHash, machine, validation.job.state));
  }
  const resultBytes = encodeResult(result);
  const run: ReferenceRun = { result, resultBytes, resultHash: hash32(resultBytes) };
  if (state !== undefined) run.state = state;
  if (opts.trace) run.trace = trace ?? [];
  return run;
}
