/**
 * The per-job work (SPEC §8's intrinsic charge, §8.2's rehash charge): jobs
 * whose function HALTs at once (or stores one byte first, so the final state
 * is encoded and hashed anew), on job encodings, code, balances, prior states
 * and memories of growing size. Each is measured as a whole on the board —
 * decoding, validation, the job and code hashes, the prior-state load and
 * hash, memory set-up, the final-state hash on a HALT that changed the state
 * and the result — and charged as a whole under every cost table (the
 * reference's cycles for the same job under that table's contract version).
 *
 * The fit of the rows to these jobs is intrinsic-minimax.ts: every job
 * charged at least margin × its time on every board, the rehash of each
 * dirty job at least its extra time over its clean twin, the largest ratio
 * as small as it can be.
 */
import { assemble } from "../asm/index.ts";
import { encodeJob } from "../model/codec.ts";
import { makeJob } from "../model/job.ts";
import { bytesToHex } from "../model/bytes.ts";
import type { StateMap } from "../model/types.ts";
import { runJob } from "../reference/index.ts";
import { intrinsicMeasureOf } from "../model/intrinsic-measure.ts";
import { COST_TABLES, DEFAULT_COST_TABLE, Limit, Status, chargeOf, type Cost, type IntrinsicMeasure } from "../generated/opcodes.ts";
import { ceilInt } from "./solve.ts";

export interface IntrinsicJob {
  id: string;
  doc: string;
  /** The job under the default table (what the board runs). */
  bytes: Uint8Array;
  measure: IntrinsicMeasure;
  /** The reference's cycles for this job under each table (its contract version). */
  charged: Record<string, number>;
  /** Whether the intrinsic fit uses it (the write jobs check STORE.state's per-byte part instead). */
  fit: boolean;
  /** A job that changes the state before its HALT: the id of its clean twin (the same job without the store). */
  cleanTwin?: string;
  /** Entries of the final state of a job that changes the state. */
  finalEntries?: number;
  /** A write job: the key and value bytes its one STORE.state stores. */
  stored?: number;
  /**
   * The same job with its prior state at the other three offsets mod 4 in the
   * job (a longer epoch or function name before it): a strict-alignment core
   * hashes a misaligned state more slowly, so every one is measured and the
   * slowest is the point.
   */
  shifts?: IntrinsicVariant[];
}

/** One alignment of a job: its bytes, measure and charges. */
export type IntrinsicVariant = Pick<IntrinsicJob, "bytes" | "measure" | "charged">;

export interface IntrinsicPoint extends Omit<IntrinsicJob, "shifts"> {
  us: number;
  /** With shifts: the time of each alignment measured (the job's own first); bytes, measure and charged are the slowest one's. */
  alignmentsUs?: number[];
}

export interface IntrinsicCheck {
  table: string;
  /** Per job: charged cycles / measured µs (≥ 1 is sound). */
  ratios: { id: string; us: number; charged: number; ratio: number }[];
  /** Jobs charged below their time. */
  unsound: string[];
  minRatio: number;
  maxRatio: number;
}

/** Units of the intrinsic parts (per 64 job bytes, code bytes, instructions and state bytes; per entry; per KiB of memory). */
export const UNITS = { JOB: 64, "JOB.code": 64, "JOB.instructions": 64, "JOB.entries": 1, "JOB.state": 64, "JOB.memory": 1024 } as const;
export type Part = keyof typeof UNITS;

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x = (x * 1103515245 + 12345) >>> 0; out[i] = x >>> 24; }
  return out;
}

function stateOf(entries: number, klen: number, vlen: number): StateMap {
  const s: StateMap = new Map();
  for (let i = 0; i < entries; i++) {
    const k = pattern(klen, 7000 + i);
    k[0] = 0x40 | (k[0] & 0x3f); // sorts after the 0x00 key "touch" inserts
    s.set(bytesToHex(k), pattern(vlen, 9000 + i));
  }
  return s;
}


interface Shape {
  id: string; doc: string; memory: number; code?: string; input?: Uint8Array; state?: StateMap; balances?: Map<string, bigint>;
  /** Context epoch and function name: what decides the prior state's offset mod 4 in the job (SHIFTS). */
  epoch?: bigint; fn?: string;
  /** Store one 1-byte key first (the final state is hashed again). */
  touch?: boolean;
  /** Store one value of this many bytes first: the final-state hash of written bytes, which STORE.state must pay for. */
  write?: number;
}

function shapes(): Shape[] {
  const pad = (n: number, ins: string) => Array.from({ length: n }, () => ins).join("\n");
  const balances = new Map<string, bigint>();
  for (let i = 0; i < 1000; i++) balances.set(bytesToHex(pattern(16, 3000 + i)), BigInt(1_000_000 + i));
  const big = stateOf(32, 2, 1000);
  const one = stateOf(1, 2, 8);
  const many8 = stateOf(2600, 8, 0);
  const many2 = stateOf(5300, 2, 0);
  return [
    { id: "minimal", doc: "HALT, no memory, input, state or balances", memory: 0 },
    { id: "memory-8KiB", doc: "max_memory 8192 (zeroed per call)", memory: 8192 },
    { id: "memory-32KiB", doc: "max_memory 32768", memory: Limit.MAX_MEMORY },
    { id: "input-4KiB", doc: "4096 bytes of input, max_memory 32768", memory: Limit.MAX_MEMORY, input: pattern(4096, 1) },
    { id: "input-16KiB", doc: "16384 bytes of input, max_memory 32768", memory: Limit.MAX_MEMORY, input: pattern(16384, 2) },
    { id: "input-32KiB", doc: "32768 bytes of input, max_memory 32768", memory: Limit.MAX_MEMORY, input: pattern(Limit.MAX_MEMORY, 3) },
    { id: "code-4KiB", doc: "4096 one-byte instructions after the HALT (validated, hashed twice, never run)", memory: 0, code: pad(4096, "POP") },
    { id: "code-16KiB", doc: "16384 one-byte instructions after the HALT", memory: 0, code: pad(16384, "POP") },
    { id: "code-60KiB", doc: "60000 one-byte instructions after the HALT", memory: 0, code: pad(60000, "POP") },
    { id: "code-jmp-48KiB", doc: "16000 JMPs after the HALT (every target checked)", memory: 0, code: pad(16000, "JMP 0") },
    { id: "balances-1000", doc: "1000 balances (decoded, checked and indexed)", memory: 0, balances },
    { id: "state-1", doc: "1 prior entry (a 2-byte key, an 8-byte value)", memory: 0, state: one },
    { id: "state-32x1000", doc: "32 prior entries of 1000-byte values", memory: 0, state: big },
    { id: "state-2600", doc: "2600 prior entries of 8-byte keys", memory: 0, state: many8 },
    { id: "state-5300", doc: "5300 prior entries of 2-byte keys", memory: 0, state: many2 },
    { id: "state-1-dirty", doc: "1 entry, one 1-byte insert then HALT (the rehash of a 2-entry state: its base)", memory: 1, state: one, touch: true },
    { id: "state-32x1000-dirty", doc: "32 entries of 1000 bytes, one 1-byte insert then HALT (the final state is hashed again)", memory: 1, state: big, touch: true },
    { id: "state-2600-dirty", doc: "2600 entries of 8-byte keys, one insert then HALT", memory: 1, state: many8, touch: true },
    { id: "state-5300-dirty", doc: "5300 entries of 2-byte keys, one insert then HALT", memory: 1, state: many2, touch: true },
    { id: "write-1KiB", doc: "one STORE.state of a 1024-byte value into an empty state, then HALT (store and final-state hash)", memory: 1024, write: 1024 },
    { id: "write-16KiB", doc: "one STORE.state of a 16384-byte value into an empty state, then HALT", memory: 16384, write: 16384 },
  ];
}

/** The key length of the one STORE.state a storing job runs. */
const STORED_KEY = 1;

/** The function of a job that stores before its HALT: a STORED_KEY-byte key and a `vlen`-byte value, both from memory 0. */
function storeThenHalt(vlen: number): string[] {
  return ["PUSH 0", `PUSH ${STORED_KEY}`, "PUSH 0", `PUSH ${vlen}`, "STORE.state", "HALT"];
}

function jobFor(s: Shape, table: string): Uint8Array {
  const body = s.write !== undefined ? storeThenHalt(s.write) : s.touch ? storeThenHalt(0) : ["HALT"];
  const fn = s.fn ?? "m";
  const src = [`.memory ${s.memory}`, ".cycles 1000000000", `.state ${Limit.MAX_STATE_SIZE}`, `.func ${fn} 0 0`, ...body, ...(s.code ? [s.code] : [])].join("\n");
  const c = assemble(src, { costTable: table });
  return encodeJob(makeJob(c, { fn, ...(s.epoch !== undefined ? { epoch: s.epoch } : {}), ...(s.input ? { input: s.input } : {}), ...(s.state ? { state: s.state } : {}), ...(s.balances ? { balances: s.balances } : {}) }));
}

/**
 * The other three alignments of a job's prior state. The state follows the
 * context, whose epoch takes 1, 2 or 3 bytes for 0, 24 and 256, and the
 * function name, which the job holds twice: epoch 24, epoch 256, and epoch
 * 24 with a two-letter name move the state by 1, 2 and 3 bytes.
 */
export const SHIFTS: readonly { epoch: bigint; fn: string }[] = [{ epoch: 24n, fn: "m" }, { epoch: 256n, fn: "m" }, { epoch: 24n, fn: "mm" }];

function variant(s: Shape): IntrinsicVariant {
  const charged: Record<string, number> = {};
  for (const table of Object.keys(COST_TABLES)) {
    const r = runJob(jobFor(s, table)).result;
    if (r.status !== Status.HALT) throw new Error(`internal: per-job work job ${s.id} does not HALT under ${table}`);
    charged[table] = r.cycles;
  }
  const bytes = jobFor(s, DEFAULT_COST_TABLE);
  return { bytes, measure: intrinsicMeasureOf(bytes), charged };
}

/** The per-job work jobs, each with its charge under every table (validated on the reference: every one HALTs). */
export function intrinsicJobs(): IntrinsicJob[] {
  return shapes().map((s) => {
    const changes = s.touch === true || s.write !== undefined;
    return {
      id: s.id, doc: s.doc, ...variant(s), fit: s.write === undefined,
      ...(s.touch ? { cleanTwin: s.id.replace(/-dirty$/, "") } : {}),
      ...(changes ? { finalEntries: (s.state?.size ?? 0) + 1 } : {}),
      ...(s.write !== undefined ? { stored: STORED_KEY + s.write } : {}),
      ...(s.state ? { shifts: SHIFTS.map((x) => variant({ ...s, ...x })) } : {}),
    };
  });
}

/** The proposed intrinsic rows (SPEC §8) and rehash row (SPEC §8.2). */
export interface IntrinsicFit { intrinsic: Record<Part, Cost>; rehash: Cost }

/** The intrinsic rows' charge for a measure (mirrors generated intrinsicOf for rows that are not yet in a table). */
export function chargeRows(rows: Readonly<Record<string, Cost>>, m: IntrinsicMeasure): number {
  const n: Record<string, number> = { job: m.jobBytes, code: m.codeBytes, instructions: m.instructions, entries: m.entries, state: m.stateSize, memory: m.maxMemory };
  return Object.values(rows).reduce((s, c) => s + chargeOf(c, n[c.of ?? ""] ?? 0), 0);
}

/** Every table's charge of every point against its time (1 cycle = 1 µs, no margin). */
export function checkIntrinsic(points: readonly IntrinsicPoint[]): IntrinsicCheck[] {
  return Object.keys(COST_TABLES).map((table) => {
    const ratios = points.map((p) => ({ id: p.id, us: p.us, charged: p.charged[table], ratio: p.us > 0 ? p.charged[table] / p.us : Number.POSITIVE_INFINITY }));
    const r = ratios.map((x) => x.ratio);
    return { table, ratios, unsound: ratios.filter((x) => x.charged + 1e-9 < x.us).map((x) => x.id), minRatio: Math.min(...r), maxRatio: Math.max(...r) };
  });
}

/**
 * STORE.state's per-byte part, raised where the write jobs need it: a stored
 * byte is also hashed into the final state at the end of the call (SPEC §8.2),
 * which only STORE.state's bytes can pay for. Each write job (storeThenHalt)
 * must be charged margin × its time by the fitted intrinsic and rehash rows
 * and its instructions' bases; STORE.state's per is what is left per unit of
 * the bytes stored.
 */
export function fitStoredBytes(all: readonly IntrinsicPoint[], margin: number, costs: Readonly<Record<string, Cost>>, fit: IntrinsicFit): Cost {
  const store = costs["STORE.state"];
  if (!store || store.unit === undefined) throw new Error("internal: STORE.state has no per-byte part");
  const bases = storeThenHalt(0).reduce((sum, ins) => sum + costs[ins.split(" ")[0]].base, 0);
  let per = store.per ?? 0;
  for (const p of all.filter((x) => x.stored !== undefined)) {
    const other = chargeRows(fit.intrinsic, p.measure) + chargeOf(fit.rehash, p.finalEntries ?? 1) + bases;
    per = Math.max(per, ceilInt((margin * p.us - other) / Math.ceil(p.stored! / store.unit)));
  }
  return { ...store, per };
}
