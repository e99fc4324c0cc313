/**
 * The WASM-tier sandbox on the host side: one worker thread runs jobs
 * (sandbox-worker.ts); this class arms the wall-clock timer when execution
 * starts and terminates the worker when it passes, recycles the worker after
 * a job that used a lot of memory, and turns a worker that dies (a memory
 * bomb past the thread's heap limit, an engine bug) into a result, so nothing
 * a contract does can take the host process down.
 */
import { Worker } from "node:worker_threads";
import { EngineError, runRecordOf, type EngineRun } from "../model/engine.ts";
import { WasmTrap, type NodeTier } from "../generated/wasm-tier.ts";
import { timeoutResult, type PrepareOutcome } from "./run.ts";
import type { InspectRequest, RunRequest, SeedRequest, WorkerMessage } from "./sandbox-worker.ts";
import type { InspectReport } from "./inspect.ts";

export interface SandboxOptions {
  /** The node's own tier (a profile setting): contracts above it get the delegate outcome. Default "full". */
  nodeTier?: NodeTier;
  /** Override of the tier's wall-clock limit in milliseconds (tests and operators). */
  wallClockMs?: number;
  /** Recycle the worker after a job whose linear memory ended above this many bytes (default 32 MiB). */
  recycleAboveBytes?: number;
  /** Limit on validation + instrumentation of one job, before execution starts (default 120 s). */
  prepareTimeoutMs?: number;
  /**
   * Prepared (validated, instrumented, compiled) modules kept on the host side
   * by code hash, so a recycled or restarted sandbox thread need not
   * instrument them again (default: a private one of 32).
   */
  modules?: PreparedModules;
}

/** A bounded LRU of prepared modules by code hash, owned by the host (the node's executor keeps one per node). */
export class PreparedModules {
  private readonly map = new Map<string, PrepareOutcome>();
  /** Modules prepared afresh by a sandbox thread (a miss in every cache). */
  prepared = 0;
  constructor(readonly capacity = 32) {
    if (!(capacity >= 1)) throw new RangeError("a prepared-module cache holds at least one module");
  }
  put(hash: string, outcome: PrepareOutcome): void {
    this.prepared++;
    this.map.delete(hash);
    this.map.set(hash, outcome);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
  entries(): [string, PrepareOutcome][] {
    return [...this.map];
  }
  get size(): number {
    return this.map.size;
  }
}

const BOOT = new URL("./sandbox-boot.mjs", import.meta.url);

export class Sandbox {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Workers started so far (tests look at recycling). */
  spawned = 0;

  readonly modules: PreparedModules;

  constructor(private readonly opts: SandboxOptions = {}) {
    this.modules = opts.modules ?? new PreparedModules();
  }

  get nodeTier(): NodeTier {
    return this.opts.nodeTier ?? "full";
  }

  private spawn(): Promise<void> {
    const w = new Worker(BOOT, {
      // No inherited loader flags: the worker loads binaryen natively and its TypeScript through tsImport.
      execArgv: [],
      resourceLimits: { maxOldGenerationSizeMb: 384, maxYoungGenerationSizeMb: 48, stackSizeMb: 32 },
      stdout: true,
      stderr: true,
    });
    w.stdout.resume();
    w.stderr.resume();
    w.unref();
    this.worker = w;
    this.spawned++;
    // Every module a thread prepares is kept here; a new thread starts with them (a recycle costs no re-instrumentation).
    w.on("message", (m: WorkerMessage) => {
      if (m.type === "prepared") this.modules.put(m.hash, m.outcome);
    });
    this.ready = new Promise<void>((resolve, reject) => {
      const onMsg = (m: WorkerMessage) => {
        if (m.type === "ready") {
          w.off("message", onMsg);
          w.off("error", onErr);
          if (this.modules.size > 0) w.postMessage({ type: "seed", entries: this.modules.entries() } satisfies SeedRequest);
          resolve();
        }
      };
      const onErr = (e: Error) => { w.off("message", onMsg); reject(new EngineError(`sandbox worker failed to start: ${e.message}`, "wasm-tier")); };
      w.on("message", onMsg);
      w.once("error", onErr);
    });
    return this.ready;
  }

  private async drop(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    if (w) await w.terminate().catch(() => undefined);
  }

  /**
   * Runs one job; jobs queue behind each other. Rejects only on an engine
   * failure. The record always has `outcome` (delegation, time-outs and
   * crashes are local outcomes, not consensus results), `memoryBytes` and `wallMs`.
   */
  run(job: Uint8Array): Promise<EngineRun> {
    const p = this.chain.then(() => this.runOne(job));
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async runOne(job: Uint8Array): Promise<EngineRun> {
    if (this.closed) throw new EngineError("sandbox is closed", "wasm-tier");
    if (!this.worker) await this.spawn();
    else await this.ready;
    const w = this.worker!;
    const id = this.nextId++;
    const t0 = performance.now();
    return new Promise<EngineRun>((resolve, reject) => {
      let timer: NodeJS.Timeout | null = null;
      let started: Extract<WorkerMessage, { type: "start" }> | null = null;
      let settled = false;
      const cleanup = () => {
        settled = true;
        if (timer) clearTimeout(timer);
        w.off("message", onMsg);
        w.off("error", onError);
        w.off("exit", onExit);
      };
      const localOutcome = (code: number, outcome: "timeout" | "crashed", message: string) => {
        const s = started!;
        resolve(runRecordOf(timeoutResult(s.jobHash, s.priorStateHash, code), { outcome, message, memoryBytes: 0, wallMs: performance.now() - t0 }));
      };
      const onMsg = (m: WorkerMessage) => {
        if (settled || !("id" in m) || m.id !== id) return;
        if (m.type === "start") {
          started = m;
          if (timer) clearTimeout(timer);
          const ms = this.opts.wallClockMs ?? m.wallClockMs;
          timer = setTimeout(() => {
            cleanup();
            void this.drop().then(() => localOutcome(WasmTrap.WALL_CLOCK_EXCEEDED, "timeout", `wall-clock limit of ${ms} ms passed; the sandbox was terminated`));
          }, ms);
          return;
        }
        cleanup();
        if (m.type === "fail") {
          void this.drop();
          reject(new EngineError(`sandbox failure: ${m.message}`, "wasm-tier"));
          return;
        }
        if (m.type !== "done") return;
        const run = m.run;
        if ((run.memoryBytes ?? 0) > (this.opts.recycleAboveBytes ?? 32 * 1024 * 1024)) void this.drop();
        resolve({ ...run, outcome: run.delegate ? "delegate" : "result", wallMs: performance.now() - t0 });
      };
      const onError = (e: Error) => {
        if (settled) return;
        cleanup();
        this.worker = null;
        this.ready = null;
        if (started) localOutcome(WasmTrap.HOST_RESOURCES_EXHAUSTED, "crashed", `sandbox worker died: ${e.message}`);
        else reject(new EngineError(`sandbox worker died before execution: ${e.message}`, "wasm-tier"));
      };
      const onExit = (code: number) => onError(new Error(`exit ${code}`));
      w.on("message", onMsg);
      w.once("error", onError);
      w.once("exit", onExit);
      timer = setTimeout(() => {
        cleanup();
        void this.drop();
        reject(new EngineError(`validation and instrumentation took longer than ${this.opts.prepareTimeoutMs ?? 120_000} ms`, "wasm-tier"));
      }, this.opts.prepareTimeoutMs ?? 120_000);
      w.postMessage({ type: "run", id, job, nodeTier: this.nodeTier } satisfies RunRequest);
    });
  }

  /** Validates and instruments a module in the sandbox thread (binaryen never loads in the caller's thread). */
  inspect(code: Uint8Array, withBinary = false): Promise<InspectReport> {
    const p = this.chain.then(async () => {
      if (!this.worker) await this.spawn();
      else await this.ready;
      const w = this.worker!;
      const id = this.nextId++;
      return new Promise<InspectReport>((resolve, reject) => {
        const onMsg = (m: WorkerMessage) => {
          if (!("id" in m) || m.id !== id) return;
          w.off("message", onMsg);
          if (m.type === "inspected") resolve(m.report);
          else if (m.type === "fail") { void this.drop(); reject(new EngineError(`sandbox failure: ${m.message}`, "wasm-tier")); }
        };
        w.on("message", onMsg);
        w.postMessage({ type: "inspect", id, code, withBinary } satisfies InspectRequest);
      });
    });
    this.chain = p.catch(() => undefined);
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.chain.catch(() => undefined);
    await this.drop();
  }
}
