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
import { runRecordOf, type EngineRun, type TraceStep } from "../model/engine.ts";
import { hash32, invalidResult } from "../model/codec.ts";
import { execute } from "./interpreter.ts";
import { createMachine } from "./machine.ts";
import { executedResult } from "./result.ts";
import { validateJob } from "./validate.ts";

export { validateJob, validateContract, checkContractFields, type ValidatedJob, type Validation, type ContractCheck, type ContractFault, type RawContract } from "./validate.ts";
export { execute } from "./interpreter.ts";
export { createMachine, type Machine, type CallEnd } from "./machine.ts";
export { Trap, TrapCode } from "./traps.ts";
export { decodeProgram, decodeInstruction, type Instruction, type Program } from "./code.ts";

export interface RunJobOptions {
  /** Collect one TraceStep per executed instruction. */
  trace?: boolean;
}

/**
 * Runs one job (SPEC §7, §8, §13). Never throws for any input bytes. The
 * record's state is the one the result's state_hash covers (final on HALT,
 * prior on ABORT/TRAP); absent for INVALID.
 */
export function runJob(jobBytes: Uint8Array, opts: RunJobOptions = {}): EngineRun {
  const jobHash = hash32(jobBytes);
  const validation = validateJob(jobBytes);
  if (!validation.ok) return runRecordOf(invalidResult(jobHash, validation.error), opts.trace ? { trace: [] } : {});
  const machine = createMachine(validation.job);
  const trace: TraceStep[] | undefined = opts.trace ? [] : undefined;
  execute(machine, trace);
  const { result, state } = executedResult(jobHash, machine, validation.job.state);
  return runRecordOf(result, trace ? { state, trace } : { state });
}
