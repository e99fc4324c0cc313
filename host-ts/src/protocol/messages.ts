/**
 * Commands and replies of the board protocol (docs/PROTOCOL.md §4–§5): the
 * request frames and the payload layouts of each reply. Message types, ERROR
 * codes and feature bits are generated from spec/protocol.json
 * (generated/protocol.ts).
 */
import { decodeStrict, isMap, isText, isUint, CborError, type CborValue } from "../model/cbor.ts";
import type { Frame } from "./framing.ts";
import { BENCH_METRICS_SIZE, BenchFlag, Feature, Msg, RUN_METRICS_SIZE } from "../generated/protocol.ts";

// ---- requests ---------------------------------------------------------------

export function helloRequest(id: number): Frame {
  return { type: Msg.HELLO, id, arg: 0, payload: new Uint8Array(0) };
}
export function runRequest(id: number, job: Uint8Array): Frame {
  return { type: Msg.RUN, id, arg: 0, payload: job };
}
export function benchRequest(id: number, job: Uint8Array, iterations: number): Frame {
  return { type: Msg.BENCH, id, arg: iterations, payload: job };
}
export function stateRequest(id: number): Frame {
  return { type: Msg.STATE, id, arg: 0, payload: new Uint8Array(0) };
}
export function resetRequest(id: number): Frame {
  return { type: Msg.RESET, id, arg: 0, payload: new Uint8Array(0) };
}

// ---- replies ----------------------------------------------------------------

/** A reply payload that does not have its documented layout. */
export class MessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MessageError";
  }
}

export interface HelloInfo {
  protocolVersion: number;
  specVersion: number;
  chip: string;
  cpuHz: number;
  port: string;
  firmwareVersion: string;
  /** The VM build's id (mhr_byte_build_id). */
  buildId: string;
  /** Largest job the board's buffer holds. */
  maxPayload: number;
  maxBench: number;
  features: { instret: boolean; reset: boolean; vmReady: boolean };
  /** Cycles between two back-to-back cycle-counter reads: the floor under every measured delta. */
  timerOverhead: number;
}

export function parseHello(payload: Uint8Array): HelloInfo {
  let v: CborValue;
  try {
    v = decodeStrict(payload);
  } catch (e) {
    throw new MessageError(`HELLO reply is not deterministic CBOR: ${(e as CborError).message}`);
  }
  if (!isMap(v)) throw new MessageError("HELLO reply is not a map");
  const num = (k: number): number => {
    const x = v.get(BigInt(k));
    if (!isUint(x)) throw new MessageError(`HELLO field ${k} is not an unsigned integer`);
    return Number(x);
  };
  const text = (k: number): string => {
    const x = v.get(BigInt(k));
    if (!isText(x)) throw new MessageError(`HELLO field ${k} is not a text string`);
    return x;
  };
  const features = num(9);
  return {
    protocolVersion: num(0),
    specVersion: num(1),
    chip: text(2),
    cpuHz: num(3),
    port: text(4),
    firmwareVersion: text(5),
    buildId: text(6),
    maxPayload: num(7),
    maxBench: num(8),
    features: {
      instret: (features & Feature.INSTRET) !== 0,
      reset: (features & Feature.RESET) !== 0,
      vmReady: (features & Feature.VM_READY) !== 0,
    },
    timerOverhead: num(10),
  };
}

export interface RunReply {
  /** The canonical result encoding, as the VM produced it. */
  resultBytes: Uint8Array;
  /** CPU cycle-counter delta around mhr_byte_run (modulo 2^32). */
  cycles: number;
  /** Retired-instruction delta, when the core counts them. */
  instret?: number;
}

export function parseRunReply(payload: Uint8Array): RunReply {
  if (payload.length <= RUN_METRICS_SIZE) throw new MessageError(`RUN reply of ${payload.length} bytes has no result`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const flags = v.getUint32(8, true);
  return {
    cycles: v.getUint32(0, true),
    instret: flags & Feature.INSTRET ? v.getUint32(4, true) : undefined,
    resultBytes: payload.slice(RUN_METRICS_SIZE),
  };
}

export interface BenchReply {
  iterations: number;
  /** Sum of the per-run cycle deltas. */
  totalCycles: bigint;
  minCycles: number;
  maxCycles: number;
  totalInstret?: bigint;
  minInstret?: number;
  maxInstret?: number;
  /** Not every run gave the same result bytes (a nondeterministic VM, or one that changed its job buffer). */
  resultVaried: boolean;
  /** The last run's result. */
  resultBytes: Uint8Array;
}

export function parseBenchReply(payload: Uint8Array): BenchReply {
  if (payload.length <= BENCH_METRICS_SIZE) throw new MessageError(`BENCH reply of ${payload.length} bytes has no result`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const flags = v.getUint32(4, true);
  const instret = (flags & BenchFlag.INSTRET) !== 0;
  return {
    iterations: v.getUint32(0, true),
    totalCycles: v.getBigUint64(8, true),
    minCycles: v.getUint32(16, true),
    maxCycles: v.getUint32(20, true),
    totalInstret: instret ? v.getBigUint64(24, true) : undefined,
    minInstret: instret ? v.getUint32(32, true) : undefined,
    maxInstret: instret ? v.getUint32(36, true) : undefined,
    resultVaried: (flags & BenchFlag.RESULT_VARIED) !== 0,
    resultBytes: payload.slice(BENCH_METRICS_SIZE),
  };
}
