/**
 * One engine interface (DEVELOPERS.md principle 4): the reference interpreter,
 * the in-process WASM build, the native C build, virtual boards under QEMU and
 * real boards over serial all take the same job bytes and return the same
 * result. The conformance runner never asks which kind it is talking to.
 */
import { decodeResult, encodeResult, hash32 } from "./codec.ts";
import type { Result, StateMap } from "./types.ts";

export interface TraceStep {
  pc: number;
  op: string;
  /** Cycles charged before this instruction. */
  cycles: number;
  /** This instruction's cost (0 when it trapped before charging). */
  cost: number;
  /** Call-stack depth. */
  depth: number;
  /** Data stack, bottom first, as decimal strings (64-bit values). */
  stack: string[];
  /** An appending STORE.state that advanced the state arena's compaction (SPEC §9.7): the records it processed and the bytes it moved. */
  compaction?: { readonly records: number; readonly bytes: number };
  /** A STORE.state of a new key or a STORE.del of a present one: the index slots it moves (SPEC §9.7). */
  indexMoves?: number;
}

export interface RunOptions {
  /** Collect one TraceStep per executed instruction (reference engine only). */
  trace?: boolean;
}

/** How a run ended on the node that made it: a consensus result, or one of the local outcomes of the WASM tier (docs/WASM.md §10). */
export type RunOutcome = "result" | "delegate" | "timeout" | "crashed";

/**
 * The one run record: what every engine returns for a job. Make it with
 * `runRecord` or `runRecordOf`, which decode or encode the result and hash it
 * exactly once; everything downstream (vectors, reports, fuzzing) reads
 * `resultHash` instead of hashing again.
 */
export interface EngineRun {
  /** The canonical result encoding (SPEC §13) exactly as the engine produced it. */
  resultBytes: Uint8Array;
  result: Result;
  /** Blake3-256 of resultBytes. */
  resultHash: Uint8Array;
  /** The final state, when the engine reports it (boards may not). */
  state?: StateMap;
  /** CPU cycle-counter delta of the execution, when the engine measures it (boards). */
  cpuCycles?: number;
  /** Retired-instruction delta of the execution, when the core counts them (QEMU -icount, rv32 instret). */
  cpuInstructions?: number;
  /** Microseconds of the execution: cpuCycles at the board's clock (HELLO cpu_hz), when both are known. */
  cpuMicros?: number;
  trace?: TraceStep[];
  /** Absent means "result". */
  outcome?: RunOutcome;
  /** The delegate outcome: the contract's tier is above this node's. */
  delegate?: { contractTier: string; nodeTier: string };
  /** Validation or trap detail, for people. */
  message?: string;
  /** The WASM tier: linear memory at the end of the call, and the wall-clock time of the run. */
  memoryBytes?: number;
  wallMs?: number;
}

export type RunDetails = Omit<EngineRun, "resultBytes" | "result" | "resultHash">;

/** A run record from result bytes an engine produced; throws CborError when they are not a result. */
/**
 * The result hash of SPEC §8: Blake3 of the canonical result bytes (or of a FunctionResult's bytes on the node).
 * One function so that every layer that names a result by its hash names it the same way.
 */
export function resultHashOf(resultBytes: Uint8Array): Uint8Array {
  return hash32(resultBytes);
}

export function runRecord(resultBytes: Uint8Array, details: RunDetails = {}): EngineRun {
  return { resultBytes, result: decodeResult(resultBytes), resultHash: resultHashOf(resultBytes), ...details };
}

/** A run record from a result the host built itself (the reference, local outcomes, too-large jobs). */
export function runRecordOf(result: Result, details: RunDetails = {}): EngineRun {
  const resultBytes = encodeResult(result);
  return { resultBytes, result, resultHash: resultHashOf(resultBytes), ...details };
}

export interface Engine {
  readonly name: string;
  /** Runs one job. Rejects only on engine failure (a dead link, a crashed process), never on a bad job. */
  run(job: Uint8Array, options?: RunOptions): Promise<EngineRun>;
  /** Releases processes, ports and virtual boards. */
  close(): Promise<void>;
}

/** An engine failure, as opposed to a result: the link, process or build is at fault. */
export class EngineError extends Error {
  constructor(message: string, readonly engine: string, readonly code: string = "ENGINE_FAILURE") {
    super(message);
    this.name = "EngineError";
  }
}

/** The board counters of a run (retired instructions, cycles, µs), only those the engine measured: for JSON reports. */
export function boardCounters(run: EngineRun): { cpuInstructions?: number; cpuCycles?: number; cpuMicros?: number } {
  return {
    ...(run.cpuInstructions !== undefined ? { cpuInstructions: run.cpuInstructions } : {}),
    ...(run.cpuCycles !== undefined ? { cpuCycles: run.cpuCycles } : {}),
    ...(run.cpuMicros !== undefined ? { cpuMicros: run.cpuMicros } : {}),
  };
}
