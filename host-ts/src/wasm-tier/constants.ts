/**
 * Constants of the WASM tier (docs/WASM.md): tiers and their limits, the
 * WASM-specific trap and validation codes (>= 100, so they never collide with
 * SPEC §12), and the host API: every import a contract may declare, with its
 * exact signature and fuel cost. Costs reuse the MHR-Byte v1 cost table
 * (spec/opcodes.json) so that 1 fuel is 1 MHR-Byte cycle for the same work.
 */
import { COSTS, Limit, Trap, ErrorCode, TRAP_NAMES, ERRORCODE_NAMES, type Cost } from "../generated/opcodes.ts";

export const WASM_PAGE = 65536;

/** wasm_tier values (contract key 8). 0 (None) means an MHR-Byte contract, which must not carry key 8. */
export const WasmTier = { LIGHT: 1, FULL: 2 } as const;
export type WasmTierValue = (typeof WasmTier)[keyof typeof WasmTier];
export type NodeTier = "light" | "full";

export interface TierLimits {
  name: NodeTier;
  /** Linear memory cap in bytes (max_memory must not exceed it). */
  memory: number;
  /** Fuel cap (max_cycles must not exceed it). */
  fuel: number;
  /** Wall-clock limit of one execution in milliseconds. */
  wallClockMs: number;
}

export const TIERS: Readonly<Record<WasmTierValue, TierLimits>> = {
  1: { name: "light", memory: 16 * 1024 * 1024, fuel: 100_000_000, wallClockMs: 5_000 },
  2: { name: "full", memory: 256 * 1024 * 1024, fuel: 10_000_000_000, wallClockMs: 30_000 },
};

export function tierValue(name: NodeTier): WasmTierValue {
  return name === "light" ? WasmTier.LIGHT : WasmTier.FULL;
}

/** Tier-independent limits of the WASM tier (docs/WASM.md §Limits). */
export const WasmLimit = {
  /** Largest job encoding the wasm-tier engine accepts. */
  MAX_JOB_SIZE: 4 * 1024 * 1024,
  /** Largest module (contract `code`). */
  MAX_CODE_SIZE: 2 * 1024 * 1024,
  /** Largest max_state_size a WASM contract may declare. */
  MAX_STATE_SIZE: 1024 * 1024,
  /** Largest job input. */
  MAX_INPUT: 1024 * 1024,
  /** Most table elements (initial and declared maximum). */
  MAX_TABLE_ELEMENTS: 65536,
  /** Most functions (imported + defined). */
  MAX_FUNCTIONS: 20_000,
  /** Budget of the stack-depth instrumentation, in frame units (see frameUnits). */
  MAX_STACK_UNITS: 16_384,
  /** Most results of an exported contract function (0 or 1 i64). */
  MAX_RETURNS: 1,
} as const;

/** Result limits shared with MHR-Byte (SPEC §11), so WASM results have the same shape and bounds. */
export const SharedLimit = {
  MAX_KEY_SIZE: Limit.MAX_KEY_SIZE,
  MAX_OUTPUT: Limit.MAX_OUTPUT,
  MAX_LOGS: Limit.MAX_LOGS,
  MAX_LOG_BYTES: Limit.MAX_LOG_BYTES,
  MAX_TRANSFERS: Limit.MAX_TRANSFERS,
  STATE_ENTRY_OVERHEAD: Limit.STATE_ENTRY_OVERHEAD,
  MAX_FUNCTIONS: Limit.MAX_FUNCTIONS,
  MAX_FUNCTION_NAME: Limit.MAX_FUNCTION_NAME,
  MAX_ARGS: Limit.MAX_ARGS,
} as const;

/** Traps (status TRAP). Codes below 100 are SPEC §12.2's, reused where the meaning is the same. */
export const WasmTrap = {
  INTEGER_OVERFLOW: Trap.INTEGER_OVERFLOW,
  DIVISION_BY_ZERO: Trap.DIVISION_BY_ZERO,
  OUT_OF_CYCLES: Trap.OUT_OF_CYCLES,
  MEMORY_OUT_OF_BOUNDS: Trap.MEMORY_OUT_OF_BOUNDS,
  CALL_DEPTH_EXCEEDED: Trap.CALL_DEPTH_EXCEEDED,
  STATE_LIMIT_EXCEEDED: Trap.STATE_LIMIT_EXCEEDED,
  INVALID_STATE_KEY: Trap.INVALID_STATE_KEY,
  INVALID_AMOUNT: Trap.INVALID_AMOUNT,
  OUTPUT_LIMIT_EXCEEDED: Trap.OUTPUT_LIMIT_EXCEEDED,
  LOG_LIMIT_EXCEEDED: Trap.LOG_LIMIT_EXCEEDED,
  TRANSFER_LIMIT_EXCEEDED: Trap.TRANSFER_LIMIT_EXCEEDED,
  /** The module executed `unreachable` (AssemblyScript's failed assertions compile to it). */
  UNREACHABLE: 100,
  /** call_indirect through a null or out-of-range table slot, or with the wrong signature. */
  BAD_INDIRECT_CALL: 101,
  /** A float-to-integer conversion whose result is NaN or out of the integer's range. */
  INVALID_CONVERSION: 102,
  /** Local outcome, not a consensus result: the wall-clock limit passed and the sandbox was terminated. */
  WALL_CLOCK_EXCEEDED: 103,
  /** Local outcome, not a consensus result: the host could not provide the resources (memory) the job may use. */
  HOST_RESOURCES_EXHAUSTED: 104,
} as const;

/** Validation errors (status INVALID). Codes below 100 are SPEC §12.3's. */
export const WasmError = {
  MALFORMED_ENCODING: ErrorCode.MALFORMED_ENCODING,
  BAD_JOB_SHAPE: ErrorCode.BAD_JOB_SHAPE,
  BAD_CONTRACT_SHAPE: ErrorCode.BAD_CONTRACT_SHAPE,
  UNSUPPORTED_VERSION: ErrorCode.UNSUPPORTED_VERSION,
  LIMIT_OUT_OF_RANGE: ErrorCode.LIMIT_OUT_OF_RANGE,
  BAD_CODE_SIZE: ErrorCode.BAD_CODE_SIZE,
  HASH_MISMATCH: ErrorCode.HASH_MISMATCH,
  BAD_FUNCTION_TABLE: ErrorCode.BAD_FUNCTION_TABLE,
  UNKNOWN_FUNCTION: ErrorCode.UNKNOWN_FUNCTION,
  ARGUMENT_MISMATCH: ErrorCode.ARGUMENT_MISMATCH,
  INPUT_TOO_LARGE: ErrorCode.INPUT_TOO_LARGE,
  BAD_CONTEXT: ErrorCode.BAD_CONTEXT,
  BAD_PRIOR_STATE: ErrorCode.BAD_PRIOR_STATE,
  JOB_TOO_LARGE: ErrorCode.JOB_TOO_LARGE,
  /** The code is not a valid WebAssembly module. */
  MALFORMED_MODULE: 100,
  /** An import outside the host API, or a host import with the wrong signature, or an imported memory/table/global. */
  FORBIDDEN_IMPORT: 101,
  /** The module uses an instruction, type or section outside the allowed feature set. */
  FORBIDDEN_FEATURE: 102,
  /** The module's memory (initial or declared maximum) exceeds the job's memory limit. */
  MEMORY_ABOVE_LIMIT: 103,
  /** A table (initial or declared maximum) exceeds MAX_TABLE_ELEMENTS. */
  TABLE_ABOVE_LIMIT: 104,
  /** A function-table entry is not an exported function of type (i64 x args) -> (i64 x rets). */
  BAD_EXPORT: 105,
  /** An active data or element segment does not fit the initial memory or table. */
  SEGMENT_OUT_OF_BOUNDS: 106,
  /** Not a consensus result: the contract's wasm_tier is above this node's tier; delegate it. */
  TIER_UNAVAILABLE: 107,
} as const;

export const WASM_TRAP_NAMES: Readonly<Record<number, string>> = {
  ...TRAP_NAMES,
  ...Object.fromEntries(Object.entries(WasmTrap).filter(([, v]) => v >= 100).map(([k, v]) => [v, k])),
};
export const WASM_ERROR_NAMES: Readonly<Record<number, string>> = {
  ...ERRORCODE_NAMES,
  ...Object.fromEntries(Object.entries(WasmError).filter(([, v]) => v >= 100).map(([k, v]) => [v, k])),
};

export function trapName(code: number): string {
  return WASM_TRAP_NAMES[code] ?? `TRAP_${code}`;
}
export function errorName(code: number): string {
  return WASM_ERROR_NAMES[code] ?? `ERROR_${code}`;
}

/** The one import module name a contract may import from. */
export const HOST_MODULE = "mehr";

type ValType = "i32" | "i64";

export interface HostFunctionSpec {
  name: string;
  params: readonly ValType[];
  results: readonly ValType[];
  /** The MHR-Byte instruction whose cost (and meaning) it shares. */
  equivalent: string;
  cost: Cost;
  /** Seed host function (true) or one of the minimal extras the result model needs (false). */
  seed: boolean;
  doc: string;
}

function cost(key: string): Cost {
  const c = COSTS[key];
  if (!c) throw new Error(`no MHR-Byte cost for ${key}`);
  return c;
}

/** The host API (docs/WASM.md §Host API). Pointers and lengths are i32 read as unsigned. */
export const HOST_FUNCTIONS: readonly HostFunctionSpec[] = [
  { name: "mehr_balance", params: ["i32"], results: ["i64"], equivalent: "BALANCE", cost: cost("BALANCE"), seed: true, doc: "balance of the 16-byte NodeID at id in the job's snapshot (0 if absent)" },
  { name: "mehr_sender", params: ["i32"], results: [], equivalent: "SENDER", cost: cost("SENDER"), seed: true, doc: "write the caller's 16-byte NodeID to dst" },
  { name: "mehr_self", params: ["i32"], results: [], equivalent: "SELF", cost: cost("SELF"), seed: true, doc: "write the executing node's 16-byte NodeID to dst" },
  { name: "mehr_epoch", params: [], results: ["i64"], equivalent: "EPOCH", cost: cost("EPOCH"), seed: true, doc: "the job's epoch" },
  { name: "mehr_transfer", params: ["i32", "i64"], results: ["i32"], equivalent: "TRANSFER", cost: cost("TRANSFER"), seed: true, doc: "record a transfer of amount from SELF to the NodeID at to: 1, or 0 if not covered" },
  { name: "mehr_log", params: ["i32", "i32"], results: [], equivalent: "LOG", cost: cost("LOG"), seed: true, doc: "append mem[src..src+len] as a debug record" },
  { name: "mehr_store_load", params: ["i32", "i32", "i32", "i32"], results: ["i32"], equivalent: "LOAD.state", cost: cost("LOAD.state"), seed: true, doc: "(key, klen, dst, cap): copy min(vlen, cap) bytes of the value to dst; the full length, or -1 if absent" },
  { name: "mehr_store_save", params: ["i32", "i32", "i32", "i32"], results: [], equivalent: "STORE.state", cost: cost("STORE.state"), seed: true, doc: "(key, klen, val, vlen): set the state value under the key" },
  { name: "mehr_hash", params: ["i32", "i32", "i32"], results: [], equivalent: "HASH", cost: cost("HASH"), seed: true, doc: "(src, len, dst): write Blake3-256(mem[src..src+len]) to dst" },
  { name: "mehr_verify_sig", params: ["i32", "i32", "i32", "i32"], results: ["i32"], equivalent: "VERIFY_SIG", cost: cost("VERIFY_SIG"), seed: true, doc: "(pk, msg, len, sig): Ed25519 verification under SPEC §14.2: 1 or 0" },
  { name: "mehr_store_delete", params: ["i32", "i32"], results: [], equivalent: "STORE.del", cost: cost("STORE.del"), seed: false, doc: "(key, klen): delete the key (no effect if absent)" },
  { name: "mehr_input", params: ["i32", "i32"], results: ["i32"], equivalent: "STORE.copy", cost: cost("STORE.copy"), seed: false, doc: "(dst, cap): copy min(len(input), cap) input bytes to dst; the input's full length" },
  { name: "mehr_emit", params: ["i32", "i32"], results: [], equivalent: "EMIT", cost: cost("EMIT"), seed: false, doc: "(src, len): append mem[src..src+len] to the output" },
  { name: "mehr_abort", params: ["i64"], results: [], equivalent: "ABORT", cost: cost("ABORT"), seed: false, doc: "end the call with status ABORT and this code" },
];

export const HOST_BY_NAME: ReadonlyMap<string, HostFunctionSpec> = new Map(HOST_FUNCTIONS.map((h) => [h.name, h]));

/**
 * Static fuel per WebAssembly instruction (docs/WASM.md §Fuel). Keys are the
 * MHR-Byte cost keys of the instruction with the same work, so retuning the
 * MHR-Byte table retunes the WASM tier.
 */
export const WASM_COSTS = {
  /** local.get/set/tee, global.get/set, const, drop, select, most unary/binary ops: PUSH/ADD-class. */
  simple: cost("ADD").base,
  /** integer and float multiplication. */
  mul: cost("MUL").base,
  /** division and remainder, float sqrt. */
  div: cost("DIV").base,
  /** loads and stores. */
  load: cost("LOAD.m64").base,
  store: cost("STORE.m64").base,
  /** br (JMP), br_if / br_table / if (JZ). */
  br: cost("JMP").base,
  brIf: cost("JZ").base,
  call: cost("CALL").base,
  ret: cost("RET").base,
  unreachable: cost("ABORT").base,
  memorySize: cost("MSIZE").base,
  /** memory.copy / memory.fill: STORE.copy's base + 1 per 32 bytes (charged at run time). */
  bulk: cost("STORE.copy"),
  /** memory.grow: base, plus GROW_PER_PAGE per page actually added (charged at run time). */
  growBase: cost("STORE.copy").base,
  growPerPage: WASM_PAGE / 64,
} as const;
