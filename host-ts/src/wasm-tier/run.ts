/**
 * Runs one WASM-tier job in the current thread: validation (docs/WASM.md
 * §Validation), instrumentation (cached by code hash), instantiation with the
 * host API, the call, and the canonical result of SPEC §13. The wasm-tier
 * engine runs this inside a worker thread (sandbox.ts) that enforces the
 * wall-clock limit; calling it directly gives no wall-clock protection.
 */
import { FORMAT_VERSION, hash32, invalidResult, stateHash } from "../model/codec.ts";
import { runRecordOf, type EngineRun, type RunDetails } from "../model/engine.ts";
import { bytesToHex, concatBytes } from "../model/bytes.ts";
import type { Result, StateMap } from "../model/types.ts";
import { COST_TABLES, Status, costTableNameOf, intrinsicOf, type StatusCode } from "../generated/opcodes.ts";
import { WASM_PAGE, WASM_TRAP_DOCS, WasmError, WasmTrap, type NodeTier } from "../generated/wasm-tier.ts";
import { trapName } from "./constants.ts";
import { analyzeModule, checkMemoryLimit, instrumentModule, RESERVED, type InstrumentStats, type ModuleFacts } from "./instrument.ts";
import { checkAfterModule, checkJob, type ExportSig, type WasmJob } from "./job.ts";
import { HostAbort, HostTrap, hostImports, newHostEnv } from "./host.ts";

export interface Prepared {
  facts: ModuleFacts;
  exports: Map<string, ExportSig>;
  module: WebAssembly.Module;
  /** The precise instrumentation (instrument.ts InstrumentOptions), compiled on the first run that ends in an engine trap. */
  precise?: WebAssembly.Module;
  start: string | null;
  stats: InstrumentStats;
}

export type PrepareOutcome = { ok: true; prepared: Prepared } | { ok: false; code: number; message: string };

/**
 * Instrumented, compiled modules by code hash (a small LRU). `onPrepared`
 * hears of each module prepared afresh (the sandbox thread reports it to the
 * host, which keeps its own copy for the next thread after a recycle);
 * `seed` takes one prepared elsewhere.
 */
export class ModuleCache {
  private map = new Map<string, PrepareOutcome>();
  constructor(private readonly capacity = 32, private readonly onPrepared?: (hashHex: string, outcome: PrepareOutcome) => void) {}
  get(code: Uint8Array, hashHex: string): PrepareOutcome {
    const hit = this.map.get(hashHex);
    if (hit) {
      this.map.delete(hashHex);
      this.map.set(hashHex, hit);
      return hit;
    }
    const made = prepareModule(code);
    this.seed(hashHex, made);
    this.onPrepared?.(hashHex, made);
    return made;
  }
  seed(hashHex: string, outcome: PrepareOutcome): void {
    this.map.delete(hashHex);
    this.map.set(hashHex, outcome);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
}

export function prepareModule(code: Uint8Array): PrepareOutcome {
  const a = analyzeModule(code);
  if (!a.ok) return a;
  let ins;
  try {
    ins = instrumentModule(code);
  } catch (e) {
    return { ok: false, code: WasmError.MALFORMED_MODULE, message: `the instrumenter could not process the module: ${(e as Error).message}` };
  }
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(ins.binary as Uint8Array<ArrayBuffer>);
  } catch (e) {
    return { ok: false, code: WasmError.MALFORMED_MODULE, message: `the instrumented module does not compile: ${(e as Error).message}` };
  }
  const exports = new Map<string, ExportSig>();
  for (const x of a.facts.exports) if (x.kind === "function") exports.set(x.name, { params: x.params ?? [], results: x.results ?? [] });
  return { ok: true, prepared: { facts: a.facts, exports, module, start: ins.start, stats: ins.stats } };
}

export interface RunHooks {
  /** Called right before the first metered instruction, with what a time-out result needs. */
  onExecStart?: (info: { wallClockMs: number; jobHash: Uint8Array; priorStateHash: Uint8Array }) => void;
  cache?: ModuleCache;
}

const ZERO32 = new Uint8Array(32);

/**
 * The record of a run in this thread: the state is the one the result's
 * state_hash covers (final on HALT, prior on ABORT/TRAP, absent for INVALID);
 * `delegate` is set when the node must hand the job on (not a consensus
 * result); `message` is the validation or trap detail, for people.
 */
function finish(r: Omit<Result, "version">, details: RunDetails): EngineRun {
  return runRecordOf({ version: FORMAT_VERSION, ...r }, details);
}

/** A trap's detail for people: the trap's name and meaning, and the WebAssembly engine's own words when it raised the trap. */
export function trapDetail(code: number, engineMessage: string, raisedByInstrumentation: boolean): string {
  const what = `${trapName(code)}: ${WASM_TRAP_DOCS[code] ?? "a trap"}`;
  return raisedByInstrumentation ? what : `${what} (WebAssembly: ${engineMessage})`;
}

/** The local (non-consensus) time-out outcome: TRAP WALL_CLOCK_EXCEEDED, cycles 0, nothing else. */
export function timeoutResult(jobHash: Uint8Array, priorStateHash: Uint8Array, code: number = WasmTrap.WALL_CLOCK_EXCEEDED): Result {
  return { version: 1, jobHash, status: Status.TRAP, code: BigInt(code), cycles: 0, returns: [], output: new Uint8Array(), logs: [], transfers: [], stateHash: priorStateHash };
}

/** Maps a WebAssembly trap (V8's RuntimeError messages) to a trap code. */
export function trapCodeOf(e: unknown, trapCell: number): number {
  if (trapCell) return trapCell;
  const m = e instanceof Error ? e.message : String(e);
  if (/unreachable/i.test(m)) return WasmTrap.UNREACHABLE;
  if (/memory access out of bounds|out of bounds memory access/i.test(m)) return WasmTrap.MEMORY_OUT_OF_BOUNDS;
  if (/divide by zero|remainder by zero|division by zero/i.test(m)) return WasmTrap.DIVISION_BY_ZERO;
  if (/divide result unrepresentable|integer overflow/i.test(m)) return WasmTrap.INTEGER_OVERFLOW;
  if (/float unrepresentable|invalid conversion/i.test(m)) return WasmTrap.INVALID_CONVERSION;
  if (/table|signature mismatch|null function|indirect call/i.test(m)) return WasmTrap.BAD_INDIRECT_CALL;
  return WasmTrap.HOST_RESOURCES_EXHAUSTED;
}

export function runWasmJob(jobBytes: Uint8Array, nodeTier: NodeTier = "full", hooks: RunHooks = {}): EngineRun {
  const jobHash = hash32(jobBytes);
  const invalid = (code: number, message: string, extra: RunDetails = {}): EngineRun =>
    runRecordOf(invalidResult(jobHash, code), { memoryBytes: 0, message, ...extra });

  const checked = checkJob(jobBytes, nodeTier);
  if (!checked.ok) return invalid(checked.code, checked.message, checked.delegate ? { delegate: checked.delegate } : {});
  const job: WasmJob = checked.job;
  const c = job.contract;

  const prep = (hooks.cache ?? new ModuleCache(1)).get(c.code, bytesToHex(c.hash));
  if (!prep.ok) return invalid(prep.code, prep.message);
  const p = prep.prepared;
  const mem = checkMemoryLimit(p.facts, c.maxMemory);
  if (mem) return invalid(mem.code, mem.message);
  const after = checkAfterModule(job, p.exports);
  if (!after.ok) return invalid(after.code, after.message);
  const fn = after.fn;
  const first = execute(jobHash, jobBytes.length, job, checked.priorStateSize, checked.tier.wallClockMs, fn, p, p.module, hooks);
  if (first !== ENGINE_TRAP) return first;
  // The default module keeps the fuel counter exact only where it is observed without an engine trap
  // (instrument.ts): the run is repeated on the precise module, which reaches the same trap (the job is
  // deterministic and starts afresh) with the counter exact at the trapping instruction.
  p.precise ??= new WebAssembly.Module(instrumentModule(c.code, { precise: true }).binary as Uint8Array<ArrayBuffer>);
  const again = execute(jobHash, jobBytes.length, job, checked.priorStateSize, checked.tier.wallClockMs, fn, p, p.precise, {});
  if (again === ENGINE_TRAP) throw new Error("the precise module did not classify its engine trap");
  return again;
}

/** What `execute` returns when the run ended in a trap of the WebAssembly engine on a module that is not precise. */
const ENGINE_TRAP = Symbol("engine trap");

function execute(jobHash: Uint8Array, jobLen: number, job: WasmJob, priorStateSize: number, wallClockMs: number, fn: { name: string; rets: number }, p: Prepared, module: WebAssembly.Module, hooks: RunHooks): EngineRun | typeof ENGINE_TRAP {
  const c = job.contract;
  const isPrecise = module === p.precise;
  const priorHash = stateHash(job.state);
  // The contract version names the cost table (SPEC §5): its rows price the host functions, and it
  // brings the intrinsic charge (docs/WASM.md §6) — over the job's bytes, the prior state and the
  // balances only: linear memory is charged where it is added (memory.grow), not zeroed up front as
  // MHR-Byte's is, and the module's code is not MHR-Byte code (no JOB.code / JOB.instructions part).
  const table = costTableNameOf(c.version)!;
  const intrinsic = intrinsicOf(table, { jobBytes: jobLen, codeBytes: 0, instructions: 0, entries: job.state.size + job.context.balances.size, stateSize: priorStateSize, maxMemory: 0 });
  if (intrinsic > c.maxCycles) {
    return finish({ jobHash, status: Status.TRAP, code: BigInt(WasmTrap.OUT_OF_CYCLES), cycles: 0, returns: [], output: new Uint8Array(), logs: [], transfers: [], stateHash: priorHash },
      { state: job.state, memoryBytes: 0, message: `the intrinsic charge of ${intrinsic} fuel is over max_cycles ${c.maxCycles}` });
  }
  const env = newHostEnv(job.context, job.input, job.state, priorStateSize, c.maxStateSize, COST_TABLES[table]);
  const limit = BigInt(c.maxCycles);
  let instance: WebAssembly.Instance | null = null;
  let exportsObj: Record<string, unknown> = {};
  const fuelUsed = (): number => {
    const g = exportsObj[RESERVED.fuel] as WebAssembly.Global | undefined;
    return g ? Number(limit - (g.value as bigint)) : 0;
  };
  const memoryBytes = () => (env.memory ? env.memory.buffer.byteLength : 0);
  const ended = (status: StatusCode, code: bigint, message?: string): EngineRun => finish({
    jobHash, status, code, cycles: fuelUsed(), returns: [], output: new Uint8Array(), logs: env.logs, transfers: [], stateHash: priorHash,
  }, { state: job.state, memoryBytes: memoryBytes(), ...(message !== undefined ? { message } : {}) });

  try {
    instance = new WebAssembly.Instance(module, hostImports(env));
  } catch (e) {
    // Only resource exhaustion can fail here: the module was validated and segments checked.
    return ended(Status.TRAP, BigInt(WasmTrap.HOST_RESOURCES_EXHAUSTED), `instantiation failed: ${(e as Error).message}`);
  }
  exportsObj = instance.exports as Record<string, unknown>;
  env.memory = (exportsObj[RESERVED.memory] as WebAssembly.Memory | undefined) ?? null;
  env.fuel = exportsObj[RESERVED.fuel] as WebAssembly.Global;
  env.fuel.value = limit - BigInt(intrinsic);
  (exportsObj[RESERVED.maxPages] as WebAssembly.Global).value = Math.floor(c.maxMemory / WASM_PAGE);
  const trapCell = exportsObj[RESERVED.trap] as WebAssembly.Global;

  hooks.onExecStart?.({ wallClockMs, jobHash, priorStateHash: priorHash });
  let ret: unknown;
  try {
    if (p.start) (exportsObj[p.start] as () => void)();
    ret = (exportsObj[fn.name] as (...a: bigint[]) => unknown)(...job.args);
  } catch (e) {
    if (e instanceof HostAbort) return ended(Status.ABORT, e.code);
    if (e instanceof HostTrap) return ended(Status.TRAP, BigInt(e.code), e.message);
    if (e instanceof WebAssembly.RuntimeError) {
      // The instrumentation raises its traps (fuel, stack depth) by setting the cell and executing
      // `unreachable`: the engine's message then says "unreachable", the cell says why.
      const cell = trapCell.value as number;
      if (cell === 0 && !isPrecise) return ENGINE_TRAP;
      const code = trapCodeOf(e, cell);
      return ended(Status.TRAP, BigInt(code), trapDetail(code, e.message, cell !== 0));
    }
    if (e instanceof RangeError) {
      // A host stack overflow or allocation failure: the instrumentation makes both unreachable for
      // valid limits, so this is reported as a local resource outcome, not a contract trap.
      if (!isPrecise) return ENGINE_TRAP;
      return ended(Status.TRAP, BigInt(WasmTrap.HOST_RESOURCES_EXHAUSTED), e.message);
    }
    throw e;
  }
  const returns = fn.rets === 0 ? [] : [BigInt.asIntN(64, ret as bigint)];
  const out = concatBytes(...env.output);
  return finish({
    jobHash, status: Status.HALT, code: 0n, cycles: fuelUsed(), returns, output: out, logs: env.logs, transfers: env.transfers, stateHash: stateHash(env.state),
  }, { state: env.state, memoryBytes: memoryBytes() });
}
