/**
 * Runs jobs on this node's own engines, within its profile (docs/NODE.md
 * §7.1): MHR-Byte on the configured engine (`as`, `native`, `reference`, or
 * a board through the existing board engines), WASM on the WASM tier at the
 * profile's tier, opaque functions through their plug-ins. "Can I run this?"
 * is the engine and tier, the profile's limits, and the load.
 */
import { createEngine, resolveTarget } from "../engines/targets.ts";
import { UserError } from "../model/errors.ts";
import { createWasmTierEngine, PreparedModules } from "../engines/wasm-tier-engine.ts";
import { encodeState } from "../model/codec.ts";
import type { Engine } from "../model/engine.ts";
import { WasmLimit, type NodeTier } from "../generated/wasm-tier.ts";
import { FunctionStatus } from "../generated/node-protocol.ts";
import { decodeFunctionCall, encodeFunctionResult } from "./messages/execution-messages.ts";
import type { FunctionRegistry } from "./functions/opaque-function.ts";
import type { JobInfo } from "./job-info.ts";
import type { NodeProfile } from "./profiles.ts";
import type { NodeErrorName } from "../generated/node-protocol.ts";

export interface LocalRun {
  /** Canonical result bytes (SPEC §13, or a FunctionResult). */
  resultBytes: Uint8Array;
  /** Final state encoding, when the engine reports it. */
  state?: Uint8Array;
  status: number;
  cycles: bigint;
  /** "result": a consensus result; otherwise a local outcome that must not be signed or compared (WASM.md §10). */
  outcome: "result" | "delegate" | "timeout" | "crashed";
  detail?: string;
}

export type RunDecision = { ok: true } | { ok: false; code: NodeErrorName; reason: string };

/**
 * Parses an engine name of `mhr node start --engine`: an MHR-Byte engine or
 * board that needs no port (`as`, `native`, `qemu-rv32`, … — resolved by
 * engines/targets.ts like every other tool's names), `board:NAME` for the
 * same, `board:PORT` for an ESP32 DevKitC on a serial port, or
 * `board:PROFILE@PORT` for another real board.
 */
export function parseEngineSpec(spec: string): { kind: "registry"; name: string } | { kind: "board"; board: string; port?: string } {
  if (!spec.startsWith("board:")) {
    const t = resolveTarget(spec, "mhr-byte");
    if (t.needsPort) throw new UserError(`${t.name} is a real board: use --engine board:${t.name}@PORT`, 2);
    return t.board ? { kind: "board", board: t.name } : { kind: "registry", name: t.name };
  }
  const rest = spec.slice(6);
  const at = rest.indexOf("@");
  if (at > 0) return { kind: "board", board: rest.slice(0, at), port: rest.slice(at + 1) };
  if (rest.startsWith("/") || /^COM\d+$/i.test(rest)) return { kind: "board", board: "esp32-devkitc", port: rest };
  return { kind: "board", board: resolveTarget(rest, "mhr-byte").name };
}

async function createMhrByteEngine(spec: string): Promise<Engine> {
  const p = parseEngineSpec(spec);
  if (p.kind === "registry") return createEngine(p.name);
  return createEngine(p.board, { port: p.port, fetchState: true });
}

/** Serialises calls into one engine: board links and the in-process VM run one job at a time. */
class Serial {
  private chain: Promise<unknown> = Promise.resolve();
  run<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(() => {});
    return next;
  }
}

/** Prepared WASM modules an executor keeps (each holds compiled code: bounded). */
const WASM_MODULE_CACHE = 32;

export interface ExecutorOptions {
  profile: NodeProfile;
  /** MHR-Byte engine name (default: the profile's). */
  engine?: string;
  functions: FunctionRegistry;
  /** Override of the WASM tier's wall clock (tests). */
  wasmWallClockMs?: number;
}

export class Executor {
  private mhrByte: Promise<Engine> | null = null;
  private wasm: Engine | null = null;
  private readonly mhrSerial = new Serial();
  private running = 0;
  private readonly waiters: (() => void)[] = [];
  readonly engineName: string;
  /**
   * WASM modules validated, instrumented and compiled, by contract hash (an LRU
   * of WASM_MODULE_CACHE): a sandbox thread recycled after a large or timed-out
   * job, or a WASM engine created again, runs a known contract without
   * instrumenting it anew (docs/NODE.md §7.1).
   */
  readonly wasmModules = new PreparedModules(WASM_MODULE_CACHE);
  closed = false;

  constructor(private readonly opts: ExecutorOptions) {
    this.engineName = opts.engine ?? opts.profile.defaultEngine;
    parseEngineSpec(this.engineName);
  }

  get profile(): NodeProfile {
    return this.opts.profile;
  }

  get load(): number {
    return this.running;
  }

  get wasmTier(): number {
    return this.opts.profile.wasm === "full" ? 2 : this.opts.profile.wasm === "light" ? 1 : 0;
  }

  /** Starts the MHR-Byte engine now (a board boots), so the first job does not pay for it. */
  async warm(): Promise<void> {
    if (this.opts.profile.mhrByte) await this.engine();
  }

  private engine(): Promise<Engine> {
    if (!this.mhrByte) {
      this.mhrByte = createMhrByteEngine(this.engineName);
      this.mhrByte.catch(() => { this.mhrByte = null; });
    }
    return this.mhrByte;
  }

  private wasmEngine(): Engine {
    if (!this.wasm) this.wasm = createWasmTierEngine({ nodeTier: (this.opts.profile.wasm === "none" ? "light" : this.opts.profile.wasm) as NodeTier, wallClockMs: this.opts.wasmWallClockMs, modules: this.wasmModules });
    return this.wasm;
  }

  /** Whether this node can run the job itself, ignoring load. */
  capable(info: JobInfo): RunDecision {
    const p = this.opts.profile;
    if (info.kind === "function") {
      const f = info.functionId && this.opts.functions.get(info.functionId);
      if (!f) return { ok: false, code: "CAPABILITY_UNAVAILABLE", reason: "function not offered here" };
      return info.size <= f.maxInputBytes + 64 ? { ok: true } : { ok: false, code: "LIMIT_EXCEEDED", reason: `input above ${f.maxInputBytes} bytes` };
    }
    if (info.kind === "wasm") {
      if (this.wasmTier < info.wasmTier) return { ok: false, code: "CAPABILITY_UNAVAILABLE", reason: `WASM tier ${info.wasmTier} needs a ${info.wasmTier === 2 ? "full" : "light"} node; this one runs ${p.wasm}` };
      // Limits above the tier's are the engine's LIMIT_OUT_OF_RANGE, the same result everywhere: run it.
      return info.size <= WasmLimit.MAX_JOB_SIZE ? { ok: true } : { ok: false, code: "LIMIT_EXCEEDED", reason: "job above 4 MiB" };
    }
    const m = p.mhrByte;
    if (!m) return { ok: false, code: "CAPABILITY_UNAVAILABLE", reason: "this node runs no MHR-Byte" };
    if (info.maxCycles > BigInt(m.maxCycles)) return { ok: false, code: "LIMIT_EXCEEDED", reason: `max_cycles ${info.maxCycles} above this node's ${m.maxCycles}` };
    if (info.maxMemory > BigInt(m.maxMemory) || info.maxStateSize > BigInt(m.maxStateSize)) return { ok: false, code: "LIMIT_EXCEEDED", reason: "memory or state above this node's limits" };
    if (info.size > m.maxJobBytes) return { ok: false, code: "LIMIT_EXCEEDED", reason: `job of ${info.size} bytes above this node's ${m.maxJobBytes}` };
    return { ok: true };
  }

  /** Capable, and a slot free now. */
  canRun(info: JobInfo): RunDecision {
    const c = this.capable(info);
    if (!c.ok) return c;
    const max = info.kind === "function" ? Math.min(this.opts.profile.maxConcurrentJobs, this.opts.functions.get(info.functionId!)!.maxConcurrent) : this.opts.profile.maxConcurrentJobs;
    return this.running < max ? { ok: true } : { ok: false, code: "BUSY", reason: `${this.running} jobs running (max ${max})` };
  }

  /** Resolves when a slot is free for the job (a local requester waits; a remote one is told BUSY). */
  async slot(info: JobInfo): Promise<void> {
    while (!this.canRun(info).ok && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }

  /** Runs a job this node is capable of. Rejects only when an engine fails (a dead board link). */
  async run(job: Uint8Array, info: JobInfo): Promise<LocalRun> {
    if (this.closed) throw new Error("executor closed");
    this.running++;
    try {
      if (info.kind === "function") return await this.runFunction(job, info);
      if (info.kind === "wasm") {
        const r = await this.wasmEngine().run(job);
        return { resultBytes: r.resultBytes, state: r.state ? encodeState(r.state) : undefined, status: r.result.status, cycles: BigInt(r.result.cycles), outcome: r.outcome ?? "result", detail: r.message };
      }
      const engine = await this.engine();
      const r = await this.mhrSerial.run(() => engine.run(job));
      return { resultBytes: r.resultBytes, state: r.state ? encodeState(r.state) : undefined, status: r.result.status, cycles: BigInt(r.result.cycles), outcome: "result" };
    } finally {
      this.running--;
      for (const w of this.waiters.splice(0)) w();
    }
  }

  private async runFunction(call: Uint8Array, info: JobInfo): Promise<LocalRun> {
    const c = decodeFunctionCall(call);
    const f = this.opts.functions.get(c.functionId);
    if (!f) throw new Error("function not offered here");
    let out;
    try {
      out = await f.run(c.input);
    } catch (e) {
      out = { ok: false as const, code: 0xffff, message: `function failed: ${(e as Error).message}` };
    }
    const resultBytes = encodeFunctionResult({
      version: 1, functionId: c.functionId, callHash: info.jobHash,
      status: out.ok ? FunctionStatus.Ok : FunctionStatus.Rejected, code: out.ok ? 0 : out.code, output: out.ok ? out.output : new Uint8Array(0),
    });
    return { resultBytes, status: out.ok ? FunctionStatus.Ok : FunctionStatus.Rejected, cycles: 0n, outcome: "result", detail: out.ok ? undefined : out.message };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
    const m = this.mhrByte;
    this.mhrByte = null;
    if (m) await m.then((e) => e.close(), () => {});
    if (this.wasm) await this.wasm.close();
    this.wasm = null;
  }
}
