/**
 * The wasm-tier engine: WASM contracts (docs/WASM.md) in a fuel-metered,
 * memory- and wall-clock-limited sandbox on Node's own WebAssembly engine.
 * Same job/result model as the MHR-Byte engines; every run happens in a
 * worker thread, so a hostile module can never take the host process down.
 * Its run records carry `outcome` ("result", or the local outcomes
 * "delegate", "timeout", "crashed"), `memoryBytes` and `wallMs`.
 */
import type { Engine, EngineRun, RunOptions } from "../model/engine.ts";
import { Sandbox, type SandboxOptions } from "../wasm-tier/sandbox.ts";
export { PreparedModules } from "../wasm-tier/sandbox.ts";
import type { NodeTier } from "../generated/wasm-tier.ts";

export function createWasmTierEngine(opts: { nodeTier?: NodeTier } & Omit<SandboxOptions, "nodeTier"> = {}): Engine {
  const sandbox = new Sandbox(opts);
  return {
    name: "wasm-tier",
    run: (job: Uint8Array, _options?: RunOptions): Promise<EngineRun> => sandbox.run(job),
    close: () => sandbox.close(),
  };
}
