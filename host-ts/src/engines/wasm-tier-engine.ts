/**
 * The wasm-tier engine: WASM contracts (docs/WASM.md) in a fuel-metered,
 * memory- and wall-clock-limited sandbox on Node's own WebAssembly engine.
 * Same job/result model as the MHR-Byte engines; every run happens in a
 * worker thread, so a hostile module can never take the host process down.
 */
import type { Engine, EngineRun, RunOptions } from "../model/engine.ts";
import { hash32 } from "../model/codec.ts";
import { Sandbox, type SandboxOptions, type SandboxRun } from "../wasm-tier/sandbox.ts";
import type { NodeTier } from "../generated/wasm-tier.ts";

export interface WasmTierEngineRun extends EngineRun {
  /** "result" (a consensus result), "delegate" (tier above this node's), "timeout" / "crashed" (local outcomes). */
  outcome: SandboxRun["outcome"];
  delegate?: SandboxRun["delegate"];
  message?: string;
  memoryBytes: number;
  wallMs: number;
}

export interface WasmTierEngine extends Engine {
  run(job: Uint8Array, options?: RunOptions): Promise<WasmTierEngineRun>;
}

export function createWasmTierEngine(opts: { nodeTier?: NodeTier } & Omit<SandboxOptions, "nodeTier"> = {}): WasmTierEngine {
  const sandbox = new Sandbox(opts);
  return {
    name: "wasm-tier",
    async run(job: Uint8Array): Promise<WasmTierEngineRun> {
      const r = await sandbox.run(job);
      return {
        resultBytes: r.resultBytes,
        result: r.result,
        resultHash: hash32(r.resultBytes),
        state: r.state,
        outcome: r.outcome,
        delegate: r.delegate,
        message: r.message,
        memoryBytes: r.memoryBytes,
        wallMs: r.wallMs,
      };
    },
    close: () => sandbox.close(),
  };
}
