/**
 * The result (SPEC §13): what every engine returns for a job, and its
 * canonical encoding and hash.
 */
import { Status } from "../generated/opcodes.ts";
import { FORMAT_VERSION, stateHash } from "../model/codec.ts";
import type { Result, StateMap } from "../model/types.ts";
import type { Machine } from "./machine.ts";
import { concatBytes } from "../model/bytes.ts";

/**
 * The result of an executed call (SPEC §8.2, §13): HALT commits returns,
 * output, transfers and the final state; ABORT and TRAP keep only the logs
 * and report the prior state's hash.
 */
export function executedResult(jobHash: Uint8Array, m: Machine, priorState: StateMap): { result: Result; state: StateMap } {
  const end = m.end;
  if (end === undefined) throw new Error("internal: the call has not ended");
  const halted = end.status === Status.HALT;
  const state = halted ? m.state : priorState;
  const result: Result = {
    version: FORMAT_VERSION,
    jobHash,
    status: end.status,
    code: end.code,
    cycles: m.cycles,
    returns: halted ? [...end.returns] : [],
    output: halted ? concatBytes(...m.output) : new Uint8Array(0),
    logs: [...m.logs],
    transfers: halted ? [...m.transfers] : [],
    stateHash: stateHash(state),
  };
  return { result, state };
}
