/** The reference interpreter (host-ts/src/reference) behind the Engine interface. */
import { runJob } from "../reference/index.ts";
import type { Engine, EngineRun, RunOptions } from "../model/engine.ts";

export function createReferenceEngine(): Engine {
  return {
    name: "reference",
    async run(job: Uint8Array, options?: RunOptions): Promise<EngineRun> {
      return runJob(job, { trace: options?.trace === true });
    },
    async close(): Promise<void> {},
  };
}
