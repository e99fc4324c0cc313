/** The reference interpreter (host-ts/src/reference) behind the Engine interface. */
import { runJob } from "../reference/index.ts";
import type { Engine, EngineRun, RunOptions } from "../model/engine.ts";

export function createReferenceEngine(): Engine {
  return {
    name: "reference",
    async run(job: Uint8Array, options?: RunOptions): Promise<EngineRun> {
      const run = runJob(job, { trace: options?.trace === true });
      const out: EngineRun = { resultBytes: run.resultBytes, result: run.result, resultHash: run.resultHash };
      if (run.state !== undefined) out.state = run.state;
      if (run.trace !== undefined) out.trace = run.trace;
      return out;
    },
    async close(): Promise<void> {},
  };
}
