/**
 * What a node needs to know about a job before it decides where it runs
 * (docs/NODE.md §7.1): its kind (MHR-Byte, or WASM and the tier, from
 * contract key 8), its declared limits and size. Only the fields that decide
 * placement are read; validating the job is the engine's business (SPEC §7),
 * so bytes that are not a job are classified as MHR-Byte with no limits and
 * any MHR-Byte engine answers them with the same INVALID result.
 */
import { decodeStrict, isMap, isUint } from "../model/cbor.ts";
import { hash32 } from "../model/codec.ts";

export type JobKind = "mhr-byte" | "wasm" | "function";

export interface JobInfo {
  kind: JobKind;
  /** 0 for MHR-Byte and functions; 1 Light, 2 Full. */
  wasmTier: number;
  /** Declared max_cycles (0 when unreadable, and for functions). */
  maxCycles: bigint;
  maxMemory: bigint;
  maxStateSize: bigint;
  size: number;
  jobHash: Uint8Array;
  /** Functions only. */
  functionId?: Uint8Array;
}

/** Bytes that cannot be a job even for the WASM tier (4 MiB) are not decoded at all. */
const MAX_DECODE = 4 * 1024 * 1024;

export function classifyJob(job: Uint8Array): JobInfo {
  const info: JobInfo = { kind: "mhr-byte", wasmTier: 0, maxCycles: 0n, maxMemory: 0n, maxStateSize: 0n, size: job.length, jobHash: hash32(job) };
  if (job.length > MAX_DECODE) return info;
  let v;
  try {
    v = decodeStrict(job);
  } catch {
    return info;
  }
  if (!isMap(v)) return info;
  const c = v.get(1n);
  if (!isMap(c)) return info;
  const tier = c.get(8n);
  if (tier !== undefined) {
    // Any key 8 makes it a WASM-tier job: the MHR-Byte engines reject key 8, the WASM tier validates it.
    info.kind = "wasm";
    info.wasmTier = isUint(tier) && tier <= 2n ? Number(tier) : 2;
  }
  const u = (k: bigint) => { const x = c.get(k); return isUint(x) ? x : 0n; };
  info.maxMemory = u(3n);
  info.maxCycles = u(4n);
  info.maxStateSize = u(5n);
  return info;
}

export function functionJobInfo(call: Uint8Array, functionId: Uint8Array): JobInfo {
  return { kind: "function", wasmTier: 0, maxCycles: 0n, maxMemory: 0n, maxStateSize: 0n, size: call.length, jobHash: hash32(call), functionId };
}
