/**
 * Canonical encodings of contracts, jobs, states and results (SPEC §4–§6, §13),
 * and decoding of results (engines return result bytes). Validating *jobs*
 * is the interpreters' business (SPEC §7): the reference does it in
 * host-ts/src/reference/validate.ts, the VM in AssemblyScript.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { DEFAULT_CONTRACT_VERSION, ErrorCode, Limit, Status, isStatusCode } from "../generated/opcodes.ts";
import { encodeCanonical, decodeStrict, isMap, isBytes, isInt, isUint, CborError, type CborValue, type CborMap } from "./cbor.ts";
import { bytesToHex, hexToBytes, compareBytes } from "./bytes.ts";
import type { Contract, Job, Result, StateMap, Context, FunctionSignature, Transfer } from "./types.ts";

export const FORMAT_VERSION = 1;

export function hash32(bytes: Uint8Array): Uint8Array {
  return blake3(bytes);
}

function m(entries: [number, CborValue][]): CborMap {
  return new Map(entries.map(([k, v]) => [BigInt(k), v] as [CborValue, CborValue]));
}

export function contractToCbor(c: Contract): CborMap {
  return m([
    [0, BigInt(c.version)],
    [1, c.hash],
    [2, c.code],
    [3, BigInt(c.maxMemory)],
    [4, BigInt(c.maxCycles)],
    [5, BigInt(c.maxStateSize)],
    [6, c.stateKey],
    [7, c.functions.map((f) => [f.name, BigInt(f.entry), BigInt(f.args), BigInt(f.rets)])],
  ]);
}

export function stateToCbor(s: StateMap): CborMap {
  const keys = [...s.keys()].map(hexToBytes).sort(compareBytes);
  return new Map(keys.map((k) => [k, s.get(bytesToHex(k))!] as [CborValue, CborValue]));
}

export function contextToCbor(c: Context): CborMap {
  const ids = [...c.balances.keys()].map(hexToBytes).sort(compareBytes);
  return m([
    [0, c.sender],
    [1, c.self],
    [2, c.epoch],
    [3, new Map(ids.map((id) => [id, c.balances.get(bytesToHex(id))!] as [CborValue, CborValue]))],
  ]);
}

export function jobToCbor(j: Job): CborMap {
  return m([
    [0, BigInt(j.version)],
    [1, contractToCbor(j.contract)],
    [2, j.function],
    [3, [...j.args]],
    [4, j.input],
    [5, contextToCbor(j.context)],
    [6, stateToCbor(j.state)],
  ]);
}

export function encodeContract(c: Contract): Uint8Array {
  return encodeCanonical(contractToCbor(c));
}
export function encodeJob(j: Job): Uint8Array {
  return encodeCanonical(jobToCbor(j));
}
export function encodeState(s: StateMap): Uint8Array {
  return encodeCanonical(stateToCbor(s));
}
export function stateHash(s: StateMap): Uint8Array {
  return hash32(encodeState(s));
}

export function resultToCbor(r: Result): CborMap {
  return m([
    [0, BigInt(r.version)],
    [1, r.jobHash],
    [2, BigInt(r.status)],
    [3, r.code],
    [4, BigInt(r.cycles)],
    [5, [...r.returns]],
    [6, r.output],
    [7, [...r.logs]],
    [8, r.transfers.map((t) => [t.to, t.amount])],
    [9, r.stateHash],
  ]);
}
export function encodeResult(r: Result): Uint8Array {
  return encodeCanonical(resultToCbor(r));
}

/** INVALID (SPEC §13): the error code, nothing charged, no logs, and a state hash of 32 zero bytes. */
export function invalidResult(jobHash: Uint8Array, error: number): Result {
  return {
    version: FORMAT_VERSION,
    jobHash,
    status: Status.INVALID,
    code: BigInt(error),
    cycles: 0,
    returns: [],
    output: new Uint8Array(0),
    logs: [],
    transfers: [],
    stateHash: new Uint8Array(32),
  };
}

/**
 * SPEC §7 step 0, the one too-large-job rule: the error code for a job of
 * `length` bytes (JOB_TOO_LARGE past `max`), or undefined when it may be
 * decoded. `max` is MAX_JOB_SIZE for MHR-Byte; the WASM tier passes its own.
 */
export function jobSizeError(length: number, max: number = Limit.MAX_JOB_SIZE): number | undefined {
  return length > max ? ErrorCode.JOB_TOO_LARGE : undefined;
}

/** The result the rule prescribes, for engines that answer a too-large job without running it (the `as` VM, boards). */
export function tooLargeJobResult(job: Uint8Array, max: number = Limit.MAX_JOB_SIZE): Result | undefined {
  const error = jobSizeError(job.length, max);
  return error === undefined ? undefined : invalidResult(hash32(job), error);
}

/**
 * Builds a contract from its parts, computing the hash of the code. The
 * version names the cost table (SPEC §5); new packages get the default
 * table's (spec/opcodes.json defaultCostTable) unless told otherwise.
 */
export function makeContract(parts: Omit<Contract, "hash" | "version" | "stateKey"> & { stateKey?: Uint8Array; version?: number }): Contract {
  return {
    version: parts.version ?? DEFAULT_CONTRACT_VERSION,
    hash: hash32(parts.code),
    code: parts.code,
    maxMemory: parts.maxMemory,
    maxCycles: parts.maxCycles,
    maxStateSize: parts.maxStateSize,
    stateKey: parts.stateKey ?? new Uint8Array(32),
    functions: parts.functions.map((f) => ({ ...f })),
  };
}

/** Decodes a contract package that tools load from disk (not the SPEC §7 validation). */
export function decodeContract(bytes: Uint8Array): Contract {
  const v = decodeStrict(bytes);
  const bad = (what: string): never => { throw new CborError(`not a contract package: ${what}`); };
  if (!isMap(v)) return bad("top level is not a map");
  const get = (k: number) => v.get(BigInt(k)) ?? bad(`missing field ${k}`);
  const num = (k: number) => { const x = get(k); if (!isUint(x)) bad(`field ${k} is not an unsigned integer`); return Number(x); };
  const bytesF = (k: number) => { const x = get(k); if (!isBytes(x)) bad(`field ${k} is not a byte string`); return x as Uint8Array; };
  const fns = get(7);
  if (!Array.isArray(fns)) return bad("functions is not an array");
  const functions: FunctionSignature[] = fns.map((f, i) => {
    if (!Array.isArray(f) || f.length !== 4 || typeof f[0] !== "string" || !f.slice(1).every(isUint)) bad(`function ${i} is not [name, entry, args, rets]`);
    const a = f as [string, bigint, bigint, bigint];
    return { name: a[0], entry: Number(a[1]), args: Number(a[2]), rets: Number(a[3]) };
  });
  return { version: num(0), hash: bytesF(1), code: bytesF(2), maxMemory: num(3), maxCycles: num(4), maxStateSize: num(5), stateKey: bytesF(6), functions };
}

/** Decodes result bytes produced by an engine; throws CborError if they are not a well-formed result. */
export function decodeResult(bytes: Uint8Array): Result {
  const v = decodeStrict(bytes);
  const bad = (what: string): never => { throw new CborError(`not a result: ${what}`); };
  if (!isMap(v) || v.size !== 10) return bad("expected a map of 10 fields");
  const get = (k: number) => v.get(BigInt(k)) ?? bad(`missing field ${k}`);
  const uint = (k: number) => { const x = get(k); if (!isUint(x)) bad(`field ${k} not uint`); return x as bigint; };
  const bytesF = (k: number) => { const x = get(k); if (!isBytes(x)) bad(`field ${k} not bytes`); return x as Uint8Array; };
  const arr = (k: number) => { const x = get(k); if (!Array.isArray(x)) bad(`field ${k} not an array`); return x as CborValue[]; };
  const code = get(3);
  if (!isInt(code)) bad("code not an integer");
  const status = Number(uint(2));
  if (!isStatusCode(status)) return bad(`status ${status} is not one of SPEC §13's`);
  const transfers: Transfer[] = arr(8).map((t) => {
    if (!Array.isArray(t) || t.length !== 2 || !isBytes(t[0]) || !isUint(t[1])) bad("transfer entry malformed");
    const [to, amount] = t as [Uint8Array, bigint];
    return { to, amount };
  });
  return {
    version: Number(uint(0)),
    jobHash: bytesF(1),
    status,
    code: code as bigint,
    cycles: Number(uint(4)),
    returns: arr(5).map((x) => (isInt(x) ? x : bad("return value not an integer"))),
    output: bytesF(6),
    logs: arr(7).map((x) => (isBytes(x) ? x : bad("log not bytes"))),
    transfers,
    stateHash: bytesF(9),
  };
}

/** Decodes a canonical state encoding (as engines report it). */
export function decodeState(bytes: Uint8Array): StateMap {
  const v = decodeStrict(bytes);
  if (!isMap(v)) throw new CborError("state is not a map");
  const out: StateMap = new Map();
  for (const [k, x] of v) {
    if (!isBytes(k) || !isBytes(x)) throw new CborError("state entries must be byte strings");
    out.set(bytesToHex(k), x);
  }
  return out;
}
