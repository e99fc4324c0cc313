/**
 * What SPEC §8's intrinsic charge measures, read off a job's bytes: for the
 * tools that write expectations from the rule (vectors, tests, the fuzzer,
 * calibration) without running an engine. Engines measure the same things on
 * the job they validated.
 */
import { decodeStrict, type CborValue } from "./cbor.ts";
import { Limit, OP_BY_BYTE, type IntrinsicMeasure } from "../generated/opcodes.ts";

/** Instructions in `code` (SPEC §6's decoding: opcode plus immediate); a code that does not decode counts what it decodes. */
export function instructionCount(code: Uint8Array): number {
  let n = 0;
  for (let p = 0; p < code.length; n++) {
    const op = OP_BY_BYTE.get(code[p]);
    if (op === undefined) return n;
    switch (op.immediate) {
      case "none": p += 1; break;
      case "push": p += 2 + (code[p + 1] ?? 0); break;
      case "target": p += 3; break;
      case "space": p += 2; break;
    }
  }
  return n;
}

/** The intrinsic measure of a well-formed job encoding (SPEC §5 shape; throws on another). */
export function intrinsicMeasureOf(job: Uint8Array): IntrinsicMeasure {
  const top = decodeStrict(job) as Map<CborValue, CborValue>;
  const contract = top.get(1n) as Map<CborValue, CborValue>;
  const code = contract.get(2n) as Uint8Array;
  const context = top.get(5n) as Map<CborValue, CborValue>;
  const balances = context.get(3n) as Map<CborValue, CborValue>;
  const state = top.get(6n) as Map<Uint8Array, Uint8Array>;
  let stateSize = 0;
  for (const [k, v] of state) stateSize += Limit.STATE_ENTRY_OVERHEAD + k.length + v.length;
  return {
    jobBytes: job.length,
    codeBytes: code.length,
    instructions: instructionCount(code),
    entries: state.size + balances.size,
    stateSize,
    maxMemory: Number(contract.get(3n) as bigint),
  };
}
