/**
 * The sandbox thread: runs jobs sent by sandbox.ts one at a time and reports
 * when execution starts (so the parent can arm the wall-clock timer) and the
 * result. Nothing here is reachable by the contract except the host API.
 */
import { parentPort } from "node:worker_threads";
import { ModuleCache, runWasmJob, type PrepareOutcome } from "./run.ts";
import { inspectModule, type InspectReport } from "./inspect.ts";
import type { NodeTier } from "../generated/wasm-tier.ts";
import type { EngineRun } from "../model/engine.ts";

export interface RunRequest { type: "run"; id: number; job: Uint8Array; nodeTier: NodeTier }
export interface InspectRequest { type: "inspect"; id: number; code: Uint8Array; withBinary?: boolean }
/** Modules the host kept from an earlier thread (WebAssembly.Module crosses threads by structured clone). */
export interface SeedRequest { type: "seed"; entries: [string, PrepareOutcome][] }
export type WorkerMessage =
  | { type: "ready" }
  | { type: "start"; id: number; wallClockMs: number; jobHash: Uint8Array; priorStateHash: Uint8Array }
  /** The run record (structured clone carries its bigints, byte arrays and maps). */
  | { type: "done"; id: number; run: EngineRun }
  | { type: "fail"; id: number; message: string }
  | { type: "inspected"; id: number; report: InspectReport }
  /** A module validated and instrumented afresh (the host keeps it for the next thread). */
  | { type: "prepared"; hash: string; outcome: PrepareOutcome };

const port = parentPort!;
const cache = new ModuleCache(32, (hash, outcome) => port.postMessage({ type: "prepared", hash, outcome } satisfies WorkerMessage));

port.on("message", (req: RunRequest | InspectRequest | SeedRequest) => {
  if (req.type === "seed") {
    for (const [hash, outcome] of req.entries) cache.seed(hash, outcome);
    return;
  }
  if (req.type === "inspect") {
    try {
      port.postMessage({ type: "inspected", id: req.id, report: inspectModule(req.code, req.withBinary) } satisfies WorkerMessage);
    } catch (e) {
      port.postMessage({ type: "fail", id: req.id, message: (e as Error)?.stack ?? String(e) } satisfies WorkerMessage);
    }
    return;
  }
  if (req.type !== "run") return;
  try {
    const out = runWasmJob(req.job, req.nodeTier, {
      cache,
      onExecStart: (info) => port.postMessage({ type: "start", id: req.id, ...info } satisfies WorkerMessage),
    });
    port.postMessage({ type: "done", id: req.id, run: out } satisfies WorkerMessage);
  } catch (e) {
    port.postMessage({ type: "fail", id: req.id, message: (e as Error)?.stack ?? String(e) } satisfies WorkerMessage);
  }
});
port.postMessage({ type: "ready" } satisfies WorkerMessage);
