/**
 * A synthetic board for calibration tests: it answers HELLO and BENCH like a
 * virtual board with exact instruction counts, but its "instructions" come
 * from a known cost model applied to the reference trace:
 *   units(job) = OVERHEAD + Σ over executed steps of weight(step),
 *   weight = FIXED + SLOPE × (the step's v1 charge) (+ PUSH_EXTRA × immediate length for PUSH).
 * So every term's true cost is known exactly and the solver must recover it.
 */
import { createReferenceEngine } from "../../src/engines/reference-engine.ts";
import { decodeStrict, isBytes, isMap } from "../../src/model/cbor.ts";
import type { BoardClient } from "../../src/protocol/client.ts";
import type { BenchReply, HelloInfo } from "../../src/protocol/messages.ts";
import type { BoardProfile } from "../../src/boards/profiles.ts";

export const OVERHEAD = 54_321;
export const FIXED = 30;
export const SLOPE = 7;
export const PUSH_EXTRA = 3;

/** The true cost of one execution of a term, given its v1 charge and (for PUSH) its immediate length. */
export function trueUnits(charged: number, pushLen?: number): number {
  return FIXED + SLOPE * charged + (pushLen !== undefined ? PUSH_EXTRA * pushLen : 0);
}

function codeOf(job: Uint8Array): Uint8Array {
  const v = decodeStrict(job);
  if (!isMap(v)) throw new Error("not a job");
  const c = v.get(1n);
  if (!c || !isMap(c)) throw new Error("no contract");
  const code = c.get(2n);
  if (!code || !isBytes(code)) throw new Error("no code");
  return code;
}

export const FAKE_HELLO: HelloInfo = {
  protocolVersion: 1,
  specVersion: 1,
  chip: "fake",
  cpuHz: 1_000_000_000,
  port: "qemu-rv32",
  firmwareVersion: "test",
  buildId: "0".repeat(64),
  maxPayload: 65536,
  maxBench: 1_000_000,
  features: { instret: true, reset: false, vmReady: true, read: false },
  timerOverhead: 0,
};

export function fakeConnect(): (board: BoardProfile) => Promise<{ client: BoardClient; close: () => Promise<void> }> {
  const ref = createReferenceEngine();
  const client = {
    lastHello: FAKE_HELLO,
    async hello(): Promise<HelloInfo> {
      return FAKE_HELLO;
    },
    async bench(job: Uint8Array, iterations: number): Promise<BenchReply> {
      const r = await ref.run(job, { trace: true });
      const code = codeOf(job);
      let units = OVERHEAD;
      for (const s of r.trace ?? []) units += trueUnits(s.cost, s.op === "PUSH" ? code[s.pc + 1] : undefined);
      return {
        iterations,
        totalCycles: BigInt(units * iterations),
        minCycles: units,
        maxCycles: units,
        totalInstret: BigInt(units * iterations),
        minInstret: units,
        maxInstret: units,
        resultVaried: false,
        resultBytes: r.resultBytes,
      };
    },
  };
  return async () => ({ client: client as unknown as BoardClient, close: async () => {} });
}
