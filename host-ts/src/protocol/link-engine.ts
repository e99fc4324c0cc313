/**
 * An Engine (model/engine.ts) backed by a board over the board protocol:
 * a real ESP32 on a serial port, a virtual board under QEMU, or a native host
 * executable on stdio. Whatever carries the bytes, the job goes out as a RUN
 * request and the board's result bytes come back untouched.
 */
import { EngineError, runRecord, runRecordOf, type Engine, type EngineRun, type RunOptions } from "../model/engine.ts";
import { decodeState, hash32, tooLargeJobResult } from "../model/codec.ts";
import { equalBytes } from "../model/bytes.ts";
import { BoardClient, BoardError, LinkError, type CallOptions } from "./client.ts";
import type { HelloInfo } from "./messages.ts";

export interface LinkEngineOptions {
  /** Ask for the final state after every run (one more round trip). Default false. */
  fetchState?: boolean;
  /** Per-run reply timeout (ms), for jobs that run long on a slow board. */
  runTimeoutMs?: number;
  /** Check that each result's job_hash is Blake3 of the job sent. Default false: that is a conformance question, not a link one. */
  verifyJobHash?: boolean;
  /** Called by close() after the client is closed: end the process, close the port, stop QEMU. */
  onClose?: () => void | Promise<void>;
}

export function createLinkEngine(name: string, client: BoardClient, opts: LinkEngineOptions = {}): Engine & { hello(): Promise<HelloInfo> } {
  let hello: Promise<HelloInfo> | undefined;
  const fail = (e: unknown): never => {
    if (e instanceof EngineError) throw e;
    if (e instanceof LinkError) throw new EngineError(`${name}: ${e.message}`, name, `LINK_${e.code}`);
    if (e instanceof BoardError) throw new EngineError(`${name}: ${e.message}`, name, `BOARD_${e.codeName}`);
    throw new EngineError(`${name}: ${(e as Error).message ?? String(e)}`, name);
  };
  const handshake = (): Promise<HelloInfo> => {
    hello ??= client.hello();
    hello.catch(() => { hello = undefined; });
    return hello;
  };

  return {
    name,
    hello: () => handshake().catch(fail),

    async run(job: Uint8Array, options: RunOptions = {}): Promise<EngineRun> {
      void options; // boards do not trace
      // Answered here without sending: no frame could carry it, and SPEC §7 step 0 fixes the result.
      const tooLarge = tooLargeJobResult(job);
      if (tooLarge) return runRecordOf(tooLarge);
      try {
        const info = await handshake();
        if (job.length > info.maxPayload) {
          throw new EngineError(`${name}: job of ${job.length} bytes exceeds the board's job buffer (${info.maxPayload} bytes)`, name, "BOARD_TOO_SMALL");
        }
        const call: CallOptions = opts.runTimeoutMs !== undefined ? { timeoutMs: opts.runTimeoutMs } : {};
        const reply = await client.run(job, call);
        let run: EngineRun;
        try {
          run = runRecord(reply.resultBytes, {
            cpuCycles: reply.cycles,
            ...(reply.instret !== undefined ? { cpuInstructions: reply.instret } : {}),
            ...(info.cpuHz > 0 ? { cpuMicros: Math.round((reply.cycles / info.cpuHz) * 1e9) / 1e3 } : {}),
          });
        } catch (e) {
          throw new EngineError(`${name}: the board returned bytes that are not a result (${(e as Error).message})`, name, "BAD_RESULT");
        }
        if (opts.verifyJobHash && !equalBytes(run.result.jobHash, hash32(job))) {
          throw new EngineError(`${name}: the result's job_hash is not the hash of the job sent`, name, "JOB_HASH_MISMATCH");
        }
        if (opts.fetchState) {
          const st = await client.state();
          if (st !== undefined) {
            try {
              run.state = decodeState(st);
            } catch (e) {
              throw new EngineError(`${name}: the board's state is not a state encoding (${(e as Error).message})`, name, "BAD_STATE");
            }
          }
        }
        return run;
      } catch (e) {
        return fail(e);
      }
    },

    async close(): Promise<void> {
      client.close();
      await opts.onClose?.();
    },
  };
}
