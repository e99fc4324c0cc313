/**
 * Building blocks for vector definitions. A definition names a program (or raw
 * job bytes), the job around it, and — wherever the outcome can be derived by
 * hand from the SPEC — an `expect` that the generator checks against the
 * reference, so the vectors pin the SPEC rather than the reference's behaviour.
 */
import type { Job, Contract, StateMap } from "../../host-ts/src/model/types.ts";
import { bytesToHex } from "../../host-ts/src/model/bytes.ts";
import type { JobParts } from "../../host-ts/src/model/job.ts";
import type { Expect } from "../../host-ts/src/vectors/expect.ts";

export type { Expect };

/** The job fields a definition may set; everything else takes the vector defaults below. */
export interface JobFields {
  /** Function to call (default: the first in the table). */
  fn?: string;
  args?: bigint[];
  input?: Uint8Array;
  sender?: Uint8Array;
  self?: Uint8Array;
  epoch?: bigint;
  balances?: Record<string, bigint>;
  state?: StateMap;
}

export interface VectorDef extends JobFields {
  name: string;
  description: string;
  /** Assembly; the contract is assembled from it. */
  source?: string;
  /** What the vector's `source` field shows instead of the whole source (e.g. the contract's path). */
  sourceNote?: string;
  /** Edit the job model before encoding (bad hashes, out-of-range fields). */
  mutate?: (job: Job) => void;
  /** Edit the contract after assembly (its hash is recomputed unless keepHash). */
  contract?: (c: Contract) => void;
  keepHash?: boolean;
  /** Raw job bytes, or a transform of the canonical encoding, for malformed-encoding vectors. */
  raw?: Uint8Array | ((canonical: Uint8Array) => Uint8Array);
  expect?: Expect;
  /** Extra coverage tags (traps/errors are derived from the result, opcodes from the trace). */
  covers?: { opcodes?: string[] };
}

export interface DefFile {
  category: string;
  description: string;
  vectors: VectorDef[];
}

export const MIN = -(1n << 63n);
export const MAX = (1n << 63n) - 1n;

export const SENDER = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
export const SELF = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
export const OTHER = Uint8Array.from({ length: 16 }, (_, i) => 0x50 + i);
export const hex = bytesToHex;

/**
 * Every vector's job unless its definition says otherwise: the contract's first
 * function ("main" when its table is empty), SENDER calls, SELF runs with 1000
 * µMHR, epoch 7.
 */
export function vectorJobParts(d: JobFields, contract: Pick<Contract, "functions">): JobParts {
  return {
    fn: d.fn ?? contract.functions[0]?.name ?? "main",
    args: d.args ?? [],
    input: d.input ?? new Uint8Array(),
    sender: d.sender ?? SENDER,
    self: d.self ?? SELF,
    epoch: d.epoch ?? 7n,
    balances: d.balances ?? { [bytesToHex(SELF)]: 1000n },
    state: d.state ?? new Map(),
  };
}

export const ascii = (s: string) => new TextEncoder().encode(s);

/** A one-function program: `.func main ARGS RETS` then the body. */
export function main(body: string, opts: { args?: number; rets?: number; memory?: number; cycles?: number; state?: number } = {}): string {
  return [
    `.memory ${opts.memory ?? 256}`,
    `.cycles ${opts.cycles ?? 100000}`,
    `.state ${opts.state ?? 4096}`,
    `.func main ${opts.args ?? 0} ${opts.rets ?? 0}`,
    body,
  ].join("\n");
}

/** PUSH each value then HALT returning all of them. */
export function pushes(...vals: (bigint | number)[]): string {
  return vals.map((v) => `PUSH ${v}`).join("\n");
}

export function wrap64(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

export const inRange = (v: bigint) => v >= MIN && v <= MAX;

/** Lowercase, dash-separated label for a value, used in vector names. */
export function label(v: bigint): string {
  if (v === MAX) return "max";
  if (v === MIN) return "min";
  if (v === MAX - 1n) return "max-1";
  if (v === MIN + 1n) return "min+1";
  return v < 0n ? `m${-v}` : `${v}`;
}

export function stateOf(entries: Record<string, Uint8Array | string>): StateMap {
  const m: StateMap = new Map();
  for (const [k, v] of Object.entries(entries)) m.set(bytesToHex(ascii(k)), typeof v === "string" ? ascii(v) : v);
  return m;
}
