/**
 * The machine (SPEC §3): what a call holds while it runs, and the data-stack
 * primitives every instruction uses in its STACK and OPERATION phases.
 */
import { COST_TABLES, Limit, Status, intrinsicOf, type Cost } from "../generated/opcodes.ts";
import type { Context, StateMap, Transfer } from "../model/types.ts";
import type { Instruction, Program } from "./code.ts";
import { Trap, TrapCode } from "./traps.ts";
import { StateArena, type CompactionWork } from "./arena.ts";
import type { ValidatedJob } from "./validate.ts";

/** How a call ended (SPEC §8.2); traps are reported by the interpreter. */
export interface CallEnd {
  readonly status: typeof Status.HALT | typeof Status.ABORT | typeof Status.TRAP;
  /** 0 for HALT, the ABORT value, or the trap code. */
  readonly code: bigint;
  /** HALT: the return values, deepest first. */
  readonly returns: readonly bigint[];
}

export interface Machine {
  // ---- The call (fixed for its whole run) ----
  readonly program: Program;
  readonly maxMemory: number;
  readonly maxCycles: number;
  readonly maxStateSize: number;
  /** The called function's return count: HALT's pops. */
  readonly rets: number;
  /** Length of the job input (LOAD.inlen). */
  readonly inputLength: number;
  readonly context: Context;
  /** The contract's cost table (SPEC §10). */
  readonly costs: Readonly<Record<string, Cost>>;
  /** The intrinsic charge (SPEC §8), charged before the first instruction. */
  readonly intrinsic: number;
  /** The contract's cost table's name (for the compaction and rehash charges, SPEC §9.7, §8.2). */
  readonly costTable: string;

  // ---- The machine state of SPEC §3 ----
  pc: number;
  /** The data stack, bottom first. */
  readonly stack: bigint[];
  /** Pending return addresses, oldest first. */
  readonly callStack: number[];
  readonly memory: Uint8Array;
  cycles: number;
  /** The working state: a copy of the prior state that STOREs change; committed only on HALT. */
  readonly state: StateMap;
  /** `Σ STATE_ENTRY_OVERHEAD + len(key) + len(value)` of `state`. */
  stateSize: number;
  /** The state arena's records and compaction (SPEC §9.7): what the compaction charge counts. */
  readonly arena: StateArena;
  /** What the last STORE.state's compaction step did, when it processed any record (for traces). */
  lastCompaction: CompactionWork | undefined;
  /** The index slots the last STORE.state of a new key or STORE.del of a present one moves (for traces). */
  lastIndexMoves: number | undefined;
  /**
   * Whether the call has changed the state (a STORE.state that stored, a
   * STORE.del that removed): its HALT pays the rehash charge (SPEC §8.2).
   */
  changed: boolean;
  readonly output: Uint8Array[];
  outputSize: number;
  readonly logs: Uint8Array[];
  logBytes: number;
  readonly transfers: Transfer[];
  /** Sum of the amounts of `transfers`. */
  transferred: bigint;

  // ---- Whether the call goes on ----
  running: boolean;
  end: CallEnd | undefined;
}

/** The state size of SPEC §3. */
export function stateSizeOf(state: StateMap): number {
  let size = 0;
  for (const [hexKey, value] of state) size += Limit.STATE_ENTRY_OVERHEAD + hexKey.length / 2 + value.length;
  return size;
}

/** The machine at the start of a call (SPEC §3, "initial value"). */
export function createMachine(job: ValidatedJob): Machine {
  const memory = new Uint8Array(job.contract.maxMemory);
  memory.set(job.input, 0);
  const state: StateMap = new Map(job.state);
  return {
    program: job.program,
    maxMemory: job.contract.maxMemory,
    maxCycles: job.contract.maxCycles,
    maxStateSize: job.contract.maxStateSize,
    rets: job.fn.rets,
    inputLength: job.input.length,
    context: job.context,
    costs: COST_TABLES[job.costTable],
    intrinsic: intrinsicOf(job.costTable, {
      jobBytes: job.jobLength,
      codeBytes: job.contract.code.length,
      instructions: job.program.instructions.length,
      entries: job.state.size + job.context.balances.size,
      stateSize: job.stateSize,
      maxMemory: job.contract.maxMemory,
    }),
    costTable: job.costTable,
    pc: job.fn.entry,
    stack: [...job.args],
    callStack: [],
    memory,
    cycles: 0,
    state,
    stateSize: stateSizeOf(state),
    arena: new StateArena(job.state),
    lastCompaction: undefined,
    lastIndexMoves: undefined,
    changed: false,
    output: [],
    outputSize: 0,
    logs: [],
    logBytes: 0,
    transfers: [],
    transferred: 0n,
    running: true,
    end: undefined,
  };
}

// ---- STACK phase ----

/**
 * STACK phase (SPEC §8.1): the stack holds at least `pops` values, and after
 * the instruction it will hold at most STACK_DEPTH.
 */
export function requireStack(m: Machine, pops: number, pushes: number): void {
  if (m.stack.length < pops) throw new Trap(TrapCode.STACK_UNDERFLOW);
  if (m.stack.length - pops + pushes > Limit.STACK_DEPTH) throw new Trap(TrapCode.STACK_OVERFLOW);
}

// ---- Reading operands without popping them (OPERANDS phase) ----

/** The top `n` values, deepest first, left on the stack: `const [a, b] = operands(m, 2)`. */
export function operands(m: Machine, n: number): bigint[] {
  return m.stack.slice(m.stack.length - n);
}

// ---- OPERATION phase ----

export function pop(m: Machine): bigint {
  const v = m.stack.pop();
  if (v === undefined) throw new Error("internal: pop on an empty stack (the STACK phase should have trapped)");
  return v;
}

/** Removes the top `n` values (already read in the OPERANDS phase). */
export function drop(m: Machine, n: number): void {
  m.stack.length -= n;
}

export function push(m: Machine, v: bigint): void {
  m.stack.push(v);
}

/** Ends the call (HALT or ABORT; SPEC §8.2). */
export function endCall(m: Machine, status: typeof Status.HALT | typeof Status.ABORT, code: bigint, returns: readonly bigint[]): void {
  m.running = false;
  m.end = { status, code, returns };
}

/**
 * STACK phase from the opcode table: the instruction's pops and pushes as
 * spec/opcodes.json declares them (HALT pops the function's `rets`; LOAD and
 * STORE take theirs from the space).
 */
export function requireStackEffect(m: Machine, ins: Instruction): void {
  const effect = ins.space === undefined ? ins.op : ins.op.mnemonic === "LOAD" ? ins.space.LOAD : ins.space.STORE;
  if (effect === undefined) throw new Error(`internal: ${ins.key} has no stack effect`);
  const pops = effect.pops === "rets" ? m.rets : effect.pops;
  const pushes = effect.pushes;
  if (typeof pops !== "number" || typeof pushes !== "number") throw new Error(`internal: ${ins.key} has no numeric stack effect`);
  requireStack(m, pops, pushes);
}
