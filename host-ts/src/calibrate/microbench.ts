/**
 * Microbenchmark jobs for cost calibration (`mhr calibrate`).
 *
 * Every benchmark is a PAIR of jobs with the SAME contract (same code, same
 * limits, same input, context and prior state): the contract exports two
 * functions with names of equal length, `base` (entry: the final HALT) and
 * `work` (entry: straight-line code that repeats the measured instruction K
 * times with balanced stack use, then falls into the same HALT). Decoding,
 * validation, the code hash, input copy and result encoding are identical in
 * both, so `t(work) - t(base)` is the cost of the executed instructions only.
 * (`base` comes first in the function table, so looking `work` up costs a
 * few more instructions than `base`: the difference errs on the high side.)
 *
 * Which instructions ran, and how often, is not assumed: each job runs on
 * the reference engine with a trace, and the trace of `work` minus the trace
 * of `base` gives the executed count of every *term*. A term is a cost key
 * (SPEC §10: a mnemonic or LOAD/STORE.space), refined where the cost may
 * depend on it:
 *   - PUSH by immediate length (`PUSH#imm0` .. `PUSH#imm8`),
 *   - the measured instruction by operand variant (`DIV#wide`, `JZ#taken`)
 *     and, for size-dependent costs, by byte count n (`HASH@1024`).
 * Helper instructions (PUSH, POP, CALL) have benchmarks of their own, so the
 * solver (solve.ts) gets one equation per benchmark and one new unknown per
 * benchmark: K PUSHes give PUSH, K×(PUSH, POP) gives POP, K×(operand PUSHes,
 * OP, result POPs) gives OP once PUSH and POP are known.
 *
 * HALT and ABORT end the call, so they cannot be repeated: three functions on
 * one code (`PUSH 0; ABORT; HALT; PUSH 0`) give a HALT-ending, an
 * ABORT-ending and a trap-ending (END_OF_CODE) job, and HALT/ABORT are
 * measured against the trap ending. CALL is measured alone (a chain of CALLs
 * to the next instruction, up to CALL_DEPTH deep; HALT with pending returns is
 * legal), RET as K×(CALL f … f: RET) minus CALL.
 */
import { assemble } from "../asm/index.ts";
import { encodeJob } from "../model/codec.ts";
import { makeJob } from "../model/job.ts";
import { bytesToHex, hexToBytes, concatBytes } from "../model/bytes.ts";
import { decodeStrict, isMap, isBytes } from "../model/cbor.ts";
import type { Contract, StateMap } from "../model/types.ts";
import { COST_KEYS, COST_TABLES, Limit, Status, compactionOf, indexMoveOf, type Cost } from "../generated/opcodes.ts";
import { createReferenceEngine } from "../engines/reference-engine.ts";
import type { TraceStep } from "../model/engine.ts";
import { grindVrfAlpha, patternBytes, sigInput, vrfInput, vrfKey, type VrfInput } from "./crypto-inputs.ts";

/** The nominal table every calibration compares against. */
export const BASE_TABLE = "v1";
export const V1_COSTS: Readonly<Record<string, Cost>> = COST_TABLES[BASE_TABLE];
/** Every cost key of the v1 table, in table order. */
export { COST_KEYS };

export type ExpectedEnd = "HALT" | "ABORT" | "TRAP";

export interface BenchJob {
  /** Function the job calls (`work`, `base`, or h/a/t for the end-of-call benchmark). */
  fn: string;
  bytes: Uint8Array;
  expect: ExpectedEnd;
}

export interface Microbench {
  /** Unique id; equals the term it defines. */
  id: string;
  /** The cost key (v1 table key) the term belongs to. */
  key: string;
  /** The term this benchmark solves for (see the module comment). */
  term: string;
  /** Byte count n of the cost's *of* column, for size-dependent keys. */
  n?: number;
  /** Operand / situation variant (e.g. "wide", "taken", "many8"). */
  variant?: string;
  /** Repetitions of the measured instruction in `work`. */
  k: number;
  run: BenchJob;
  base: BenchJob;
  /** Human note: what the variant exercises. */
  note: string;
  /** Other opcodes the work runs, counted as these terms (defined by their own benchmarks) instead of their plain names. */
  termsOf?: Readonly<Record<string, string>>;
  /** Every execution of the term may advance the arena's compaction (SPEC §9.7): its work is counted from the reference trace (see TermInfo). */
  compacts?: boolean;
}

export interface ValidatedBench extends Microbench {
  /** Executed count of every term in run minus base, from the reference traces (non-zero only). */
  counts: Record<string, number>;
  /** Reference-charged cycles of run minus base. */
  chargedDelta: number;
  /** Reference result bytes of both jobs (a board must produce exactly these). */
  runResult: Uint8Array;
  baseResult: Uint8Array;
}

export interface TermInfo {
  term: string;
  key: string;
  n?: number;
  variant?: string;
  /** Cycles charged per execution under v1 (from the reference trace). */
  charged: number;
  /**
   * The compaction work (SPEC §9.7) of one execution, on average, from the
   * reference trace: the share of executions that did any, records processed,
   * bytes moved, and what each table's compaction rows charge for it (exact,
   * summed per store). Such a term is priced by its key plus these charges.
   */
  compaction?: CompactionPerExecution;
  /**
   * The index slots (SPEC §9.7) one execution of a STORE.state of a new key or
   * a STORE.del of a present one moves, on average, and what each table's
   * indexMove row charges for them; a term is priced by its key plus these.
   * A compacting benchmark's term also takes the index charges of the other
   * stores in its work beyond what their own terms were measured with (their
   * time beyond their term's is in its time, too).
   */
  index?: IndexPerExecution;
}

export interface IndexPerExecution {
  moves: number;
  /** Per cost table: the index-move charge of one execution on average. */
  charged: Record<string, number>;
}

export interface CompactionPerExecution {
  stores: number;
  records: number;
  bytes: number;
  /** Per cost table: the compaction charge of one execution on average. */
  charged: Record<string, number>;
}

export interface MicrobenchOptions {
  /** Repetitions of cheap instructions per job (default 64). */
  k?: number;
  /** Only benchmarks of these cost keys (plus the helpers they need). */
  only?: readonly string[];
}

export interface MicrobenchSet {
  benches: ValidatedBench[];
  terms: Record<string, TermInfo>;
  /** Facts about the crypto inputs, for the report. */
  notes: string[];
}

// ---- job construction ---------------------------------------------------------

const MAX_CYCLES = 1_000_000_000;

interface JobEnv {
  memory: number;
  stateSize?: number;
  input?: Uint8Array;
  state?: StateMap;
  balances?: Map<string, bigint>;
  self?: Uint8Array;
  sender?: Uint8Array;
  epoch?: bigint;
}

function encode(contract: Contract, fn: string, env: JobEnv): Uint8Array {
  return encodeJob(makeJob(contract, { fn, ...env }));
}

function header(env: JobEnv): string[] {
  return [`.memory ${env.memory}`, `.cycles ${MAX_CYCLES}`, `.state ${env.stateSize ?? 4096}`];
}

interface PairSpec {
  key: string;
  n?: number;
  variant?: string;
  k: number;
  env: JobEnv;
  prologue?: string[];
  /** Lines of repetition i (labels must be unique per i). */
  body: (i: number) => string[];
  termsOf?: Readonly<Record<string, string>>;
  compacts?: boolean;
  /**
   * End both jobs with ABORT instead of HALT: the prior state is reported, so
   * neither hashes a final state and a store or delete is measured alone.
   */
  abort?: boolean;
  epilogue?: string[];
  /** Code after the final HALT (subroutines). */
  tail?: string[];
  /**
   * Lines both jobs run first (the base then jumps to the final HALT), so that
   * per-job work they trigger cancels in the difference: a same-size overwrite
   * makes the state dirty in both, and both hash the final state the same way.
   */
  shared?: string[];
  note: string;
}

export function termId(key: string, n?: number, variant?: string): string {
  return key + (n !== undefined ? `@${n}` : "") + (variant !== undefined ? `#${variant}` : "");
}

function pair(spec: PairSpec): Microbench {
  const shared = spec.shared ?? [];
  const lines = [
    ...header(spec.env),
    `.func base 0 0 ${shared.length ? "pre" : "end"}`,
    ".func work 0 0 start",
    "start:",
    ...(spec.prologue ?? []),
    ...shared,
  ];
  for (let i = 0; i < spec.k; i++) lines.push(...spec.body(i));
  lines.push(...(spec.epilogue ?? []));
  if (shared.length) lines.push("JMP end", "pre:", ...shared);
  lines.push("end:", ...(spec.abort ? ["PUSH 0", "ABORT"] : ["HALT"]), ...(spec.tail ?? []));
  // The benchmarks measure instructions: contract version 1 keeps the per-job work out of the charge.
  const contract = assemble(lines.join("\n"), { costTable: BASE_TABLE });
  const term = termId(spec.key, spec.n, spec.variant);
  return {
    id: term,
    key: spec.key,
    term,
    ...(spec.n !== undefined ? { n: spec.n } : {}),
    ...(spec.variant !== undefined ? { variant: spec.variant } : {}),
    k: spec.k,
    run: { fn: "work", bytes: encode(contract, "work", spec.env), expect: spec.abort ? "ABORT" : "HALT" },
    base: { fn: "base", bytes: encode(contract, "base", spec.env), expect: spec.abort ? "ABORT" : "HALT" },
    note: spec.note,
    ...(spec.termsOf ? { termsOf: spec.termsOf } : {}),
    ...(spec.compacts ? { compacts: true } : {}),
  };
}

const rep = (n: number, lines: string[]): string[] => Array.from({ length: n }, () => lines).flat();

/** A NodeID whose bytes sort after (0xff…) or before (0x00…) the generated ones. */
function nodeId(tag: number, first = 0x40): Uint8Array {
  const id = patternBytes(16, 1000 + tag);
  id[0] = first;
  return id;
}

function balancesWith(count: number, extra: [Uint8Array, bigint][]): Map<string, bigint> {
  const m = new Map<string, bigint>();
  for (let i = 0; i < count; i++) m.set(bytesToHex(nodeId(i)), BigInt(1000 + i));
  for (const [id, v] of extra) m.set(bytesToHex(id), v);
  return m;
}

/** `count` state entries with `klen`-byte keys (first byte 0x40..0x7f: they sort between the 0x00… and 0xff… probe keys) and empty values. */
function stateWith(count: number, klen = 8): StateMap {
  const s: StateMap = new Map();
  for (let i = 0; i < count; i++) {
    const key = patternBytes(klen, 5000 + i);
    key[0] = 0x40 | (key[0] & 0x3f);
    s.set(bytesToHex(key), new Uint8Array(0));
  }
  return s;
}

function keyBytes(klen: number, first: number, seed: number): Uint8Array {
  const k = patternBytes(klen, seed);
  k[0] = first;
  return k;
}

// ---- the benchmark catalogue --------------------------------------------------------

/** A value whose minimal PUSH immediate is exactly `len` bytes (SPEC §5.1). */
export function valueOfLength(len: number): bigint {
  if (len === 0) return 0n;
  let v = 0x5an;
  for (let i = 1; i < len; i++) v = (v << 8n) | BigInt((0x13 * i + 7) & 0xff);
  return v;
}

const BIG_A = 0x3edcba9876543210n;
const BIG_B = 0x3123456789abcdefn;
const HUGE = 0x7edcba9876543210n;

type Operands = Record<string, bigint[]>;

/** Binary operators: operand variants (a, b) chosen to stay clear of traps. */
const BINARY: Record<string, Operands> = {
  ADD: { small: [5n, 7n], large: [BIG_A, BIG_B], negative: [-BIG_A, -BIG_B] },
  SUB: { small: [7n, 5n], large: [BIG_A, -BIG_B], negative: [-BIG_A, BIG_B] },
  MUL: { small: [5n, 7n], large: [0x7fffffffn, 0x7fffffffn], mixed: [-0x1234567890n, 0x1234567n] },
  DIV: { small: [7n, 3n], large: [HUGE, 0x1234567n], wide: [HUGE, 0x123456789abcn], negative: [-HUGE, 3n] },
  MOD: { small: [7n, 3n], large: [HUGE, 0x1234567n], wide: [HUGE, 0x123456789abcn], negative: [-HUGE, 3n] },
  MIN: { small: [5n, 7n], large: [BIG_A, -BIG_B] },
  MAX: { small: [5n, 7n], large: [BIG_A, -BIG_B] },
  AND: { small: [5n, 7n], large: [BIG_A, BIG_B] },
  OR: { small: [5n, 7n], large: [BIG_A, BIG_B] },
  XOR: { small: [5n, 7n], large: [BIG_A, BIG_B] },
  SHL: { by1: [BIG_A, 1n], by63: [BIG_A, 63n] },
  SHR: { by1: [-BIG_A, 1n], by63: [-BIG_A, 63n] },
  EQ: { small: [5n, 7n], large: [BIG_A, BIG_A] },
  NEQ: { small: [5n, 7n], large: [BIG_A, BIG_A] },
  LT: { small: [5n, 7n], large: [-BIG_A, BIG_B] },
  GT: { small: [5n, 7n], large: [-BIG_A, BIG_B] },
  LTE: { small: [5n, 7n], large: [-BIG_A, BIG_B] },
  GTE: { small: [5n, 7n], large: [-BIG_A, BIG_B] },
};

const UNARY: Record<string, Operands> = {
  NEG: { small: [5n], large: [-HUGE] },
  ABS: { small: [5n], large: [-HUGE] },
  NOT: { small: [5n], large: [BIG_A] },
};

const MEM_WIDTH: Record<string, number> = { m8: 1, m16: 2, m32: 4, m64: 8 };

interface CryptoInputs {
  sig: (len: number) => ReturnType<typeof sigInput>;
  vrf: (len: number) => VrfInput;
  vrfGrind: VrfInput;
  notes: string[];
}

/** Size points of the size-dependent keys (byte count n of the cost's *of* column). */
export const SIZE_POINTS = {
  HASH: [0, 64, 1024, 8192],
  VERIFY_SIG: [0, 1024, 8192],
  VERIFY_VRF: [0, 1024, 8192],
  LOG: [0, 64, 2048],
  EMIT: [0, 64, 4096],
  STORE_COPY: [0, 64, 4096, 16384],
  STATE: [
    [1, 0],
    [32, 32],
    [64, 4096],
  ] as [number, number][],
  DEL: [1, 64],
} as const;

/**
 * Near-full prior states (MAX_STATE_SIZE is 32768): the state operations'
 * cost grows with the state, so the worst case is a full one. Two shapes,
 * because the growth may follow bytes or entries: 2600 entries with 8-byte
 * keys (2600 × 12 = 31200 bytes) and 5300 entries with 2-byte keys
 * (5300 × 6 = 31800 bytes); both leave room for one 20-byte probe entry and
 * 32 inserts of 20 bytes.
 */
export const MANY_STATES = [
  { tag: "8", entries: 2600, keyLen: 8 },
  { tag: "2", entries: 5300, keyLen: 2 },
] as const;

/**
 * Big-value churns (SPEC §10): 1000-byte values, and 4000-byte ones, where a
 * store's own copy and the compaction's moves dominate its fixed work. `k` is
 * how many inserts the near-empty baseline makes (they must fit the state);
 * `churns` how many measured stores each move COMPACTION_RATE times their
 * record's bytes of live records (one, for values of which few fit).
 */
export const BIG_CHURNS = [
  { vlen: 1000, k: 8, churns: 4 },
  { vlen: 4000, k: 4, churns: 1 },
] as const;
/** Where a big churn's value lies in memory: after the 2-byte keys. */
const BIG_VALUE_AT = 1024;
/** The memory a big churn needs: the keys' KiB and the value, in whole KiB. */
const bigMemory = (vlen: number): number => BIG_VALUE_AT + Math.ceil(vlen / 1024) * 1024;

/** Try-and-increment counter the ground VRF alpha must reach (each step is one more SHA-512 and point decompression). */
export const VRF_GRIND_CTR = 6;

function cryptoInputs(): CryptoInputs {
  const key = vrfKey();
  const sigs = new Map<number, ReturnType<typeof sigInput>>();
  const vrfs = new Map<number, VrfInput>();
  const grind = grindVrfAlpha(key, 16, VRF_GRIND_CTR);
  return {
    sig: (len) => {
      if (!sigs.has(len)) sigs.set(len, sigInput(len));
      return sigs.get(len)!;
    },
    vrf: (len) => {
      if (!vrfs.has(len)) vrfs.set(len, vrfInput(key, patternBytes(len, 31 + len)));
      return vrfs.get(len)!;
    },
    vrfGrind: grind,
    notes: [
      `VERIFY_VRF proofs: made by an RFC 9381 §5.1 prover with the ${key.source}; the prover reproduces the RFC proof (checked at every run) and every proof verifies on the reference.`,
      `VERIFY_VRF#ground: a 16-byte alpha ground to try-and-increment counter ${grind.ctr} (the verifier hashes and decompresses ${grind.ctr + 1} candidates); a contract author can grind further at 2^ctr host work.`,
      "VERIFY_SIG: Ed25519 signatures from @noble/curves with a fixed seed; every one verifies under the SPEC §14.2 rule, so the full cofactored check runs.",
    ],
  };
}

function catalogue(k: number, crypto: CryptoInputs | undefined): Microbench[] {
  const out: Microbench[] = [];
  const small: JobEnv = { memory: 2048 };
  const kPush = Math.min(2 * k, Limit.STACK_DEPTH - 16);

  // Stack.
  for (let len = 0; len <= 8; len++) {
    const v = valueOfLength(len);
    out.push(pair({ key: "PUSH", variant: `imm${len}`, k: kPush, env: small, body: () => [`PUSH ${v}`], note: `K PUSHes of a ${len}-byte immediate` }));
  }
  out.push(pair({ key: "POP", k, env: small, body: () => ["PUSH 5", "POP"], note: "K×(PUSH, POP)" }));
  out.push(pair({ key: "DUP", k, env: small, prologue: ["PUSH 5"], body: () => ["DUP", "POP"], epilogue: ["POP"], note: "K×(DUP, POP)" }));
  out.push(pair({ key: "SWAP", k, env: small, prologue: ["PUSH 5", "PUSH 6"], body: () => ["SWAP"], epilogue: ["POP", "POP"], note: "K SWAPs" }));
  out.push(pair({ key: "OVER", k, env: small, prologue: ["PUSH 5", "PUSH 6"], body: () => ["OVER", "POP"], epilogue: ["POP", "POP"], note: "K×(OVER, POP)" }));
  out.push(pair({ key: "ROT", k, env: small, prologue: ["PUSH 5", "PUSH 6", "PUSH 7"], body: () => ["ROT"], epilogue: ["POP", "POP", "POP"], note: "K ROTs" }));

  // Arithmetic, bitwise, comparison.
  for (const [op, variants] of Object.entries(BINARY)) {
    for (const [variant, [a, b]] of Object.entries(variants)) {
      out.push(pair({ key: op, variant, k, env: small, body: () => [`PUSH ${a}`, `PUSH ${b}`, op, "POP"], note: `K×(PUSH ${a}, PUSH ${b}, ${op}, POP)` }));
    }
  }
  for (const [op, variants] of Object.entries(UNARY)) {
    for (const [variant, [a]] of Object.entries(variants)) {
      out.push(pair({ key: op, variant, k, env: small, body: () => [`PUSH ${a}`, op, "POP"], note: `K×(PUSH ${a}, ${op}, POP)` }));
    }
  }

  // Control.
  out.push(pair({ key: "JMP", k, env: small, body: (i) => [`JMP j${i}`, `j${i}:`], note: "K JMPs to the next instruction" }));
  for (const op of ["JZ", "JNZ"]) {
    const takenWith = op === "JZ" ? 0 : 1;
    out.push(pair({ key: op, variant: "taken", k, env: small, body: (i) => [`PUSH ${takenWith}`, `${op} j${i}`, `j${i}:`], note: `K×(PUSH ${takenWith}, ${op} next): taken` }));
    out.push(pair({ key: op, variant: "fallthrough", k, env: small, body: (i) => [`PUSH ${1 - takenWith}`, `${op} j${i}`, `j${i}:`], note: `K×(PUSH ${1 - takenWith}, ${op} next): not taken` }));
  }
  const kCall = Math.min(k, Limit.CALL_DEPTH);
  out.push(pair({ key: "CALL", k: kCall, env: small, body: (i) => [`CALL c${i}`, `c${i}:`], note: `a chain of ${kCall} CALLs to the next instruction (HALT with the returns pending)` }));
  out.push(pair({ key: "RET", k, env: small, body: () => ["CALL f"], tail: ["f:", "RET"], note: "K×(CALL f; f: RET) minus CALL" }));
  out.push(...endOfCall());

  // Crypto.
  for (const n of SIZE_POINTS.HASH) {
    const kk = n <= 64 ? Math.max(4, Math.floor(k / 4)) : n <= 1024 ? 4 : 2;
    out.push(pair({ key: "HASH", n, k: kk, env: { memory: Math.max(n + 64, 128) }, body: () => ["PUSH 0", `PUSH ${n}`, `PUSH ${n}`, "HASH"], note: `${kk} Blake3 hashes of ${n} bytes` }));
  }
  if (crypto) out.push(...cryptoBenches(crypto));
  // System.
  const who = nodeId(1, 0xff);
  const self = nodeId(2, 0xfe);
  const idInput = who;
  out.push(pair({ key: "BALANCE", variant: "few", k, env: { memory: 256, input: idInput, balances: balancesWith(3, [[who, 77n]]) }, body: () => ["PUSH 0", "BALANCE", "POP"], note: "K×BALANCE of an id present among 4 balances" }));
  out.push(pair({ key: "BALANCE", variant: "absent", k, env: { memory: 256, input: idInput, balances: balancesWith(4, []) }, body: () => ["PUSH 0", "BALANCE", "POP"], note: "K×BALANCE of an id absent from 4 balances" }));
  out.push(pair({ key: "BALANCE", variant: "many", k, env: { memory: 256, input: idInput, balances: balancesWith(1000, [[who, 77n]]) }, body: () => ["PUSH 0", "BALANCE", "POP"], note: "K×BALANCE of the last of 1001 balances" }));
  out.push(pair({ key: "SENDER", k, env: { memory: 256, sender: who }, body: () => ["PUSH 64", "SENDER"], note: "K×(PUSH dst, SENDER)" }));
  out.push(pair({ key: "SELF", k, env: { memory: 256, self }, body: () => ["PUSH 64", "SELF"], note: "K×(PUSH dst, SELF)" }));
  out.push(pair({ key: "EPOCH", k, env: { memory: 256, epoch: 123456789n }, body: () => ["EPOCH", "POP"], note: "K×(EPOCH, POP)" }));
  out.push(pair({ key: "MSIZE", k, env: small, body: () => ["MSIZE", "POP"], note: "K×(MSIZE, POP)" }));
  const kTransfer = Math.min(k, Limit.MAX_TRANSFERS);
  out.push(pair({ key: "TRANSFER", variant: "ok", k: kTransfer, env: { memory: 256, input: idInput, self, balances: balancesWith(3, [[self, 10n ** 15n]]) }, body: () => ["PUSH 0", "PUSH 1000", "TRANSFER", "POP"], note: `${kTransfer} recorded transfers (MAX_TRANSFERS), 4 balances` }));
  out.push(pair({ key: "TRANSFER", variant: "insufficient", k, env: { memory: 256, input: idInput, self, balances: balancesWith(3, [[self, 10n]]) }, body: () => ["PUSH 0", "PUSH 1000", "TRANSFER", "POP"], note: "K transfers refused for lack of balance" }));
  out.push(pair({ key: "TRANSFER", variant: "many", k: kTransfer, env: { memory: 256, input: idInput, self: nodeId(3, 0xff), balances: balancesWith(1000, [[nodeId(3, 0xff), 10n ** 15n]]) }, body: () => ["PUSH 0", "PUSH 1000", "TRANSFER", "POP"], note: `${kTransfer} recorded transfers, SELF the last of 1001 balances` }));
  for (const n of SIZE_POINTS.LOG) {
    const kk = Math.max(1, Math.min(Limit.MAX_LOGS, n === 0 ? Limit.MAX_LOGS : Math.floor(Limit.MAX_LOG_BYTES / n)));
    out.push(pair({ key: "LOG", n, k: kk, env: { memory: Math.max(n, 64) }, body: () => ["PUSH 0", `PUSH ${n}`, "LOG"], note: `${kk} LOG records of ${n} bytes` }));
  }
  for (const n of SIZE_POINTS.EMIT) {
    const kk = Math.max(1, Math.min(k, n === 0 ? k : Math.floor(Limit.MAX_OUTPUT / n)));
    out.push(pair({ key: "EMIT", n, k: kk, env: { memory: Math.max(n, 64) }, body: () => ["PUSH 0", `PUSH ${n}`, "EMIT"], note: `${kk} EMITs of ${n} bytes` }));
  }

  // LOAD / STORE on memory words, aligned and not.
  for (const [space, width] of Object.entries(MEM_WIDTH)) {
    for (const [variant, addr] of [["aligned", 1024], ["unaligned", 1027]] as const) {
      out.push(pair({ key: `LOAD.${space}`, variant, k, env: small, body: () => [`PUSH ${addr}`, `LOAD.${space}`, "POP"], note: `K×LOAD.${space} at ${variant} address ${addr} (${width} bytes)` }));
      out.push(pair({ key: `STORE.${space}`, variant, k, env: small, body: () => [`PUSH ${BIG_A}`, `PUSH ${addr}`, `STORE.${space}`], note: `K×STORE.${space} at ${variant} address ${addr} (${width} bytes)` }));
    }
  }
  out.push(pair({ key: "LOAD.inlen", k, env: { memory: 256, input: new Uint8Array(100) }, body: () => ["LOAD.inlen", "POP"], note: "K×(LOAD.inlen, POP)" }));
  for (const n of SIZE_POINTS.STORE_COPY) {
    const kk = n <= 64 ? k : n <= 4096 ? 4 : 2;
    out.push(pair({ key: "STORE.copy", n, k: kk, env: { memory: Limit.MAX_MEMORY }, body: () => [`PUSH ${Limit.MAX_MEMORY - n - 1}`, "PUSH 1", `PUSH ${n}`, "STORE.copy"], note: `${kk} memmoves of ${n} bytes` }));
  }

  // State. Keys live in memory from address 0 (the job input); values and buffers after them.
  const stateCap = Limit.MAX_STATE_SIZE;
  for (const [klen, vlen] of SIZE_POINTS.STATE) {
    const key = keyBytes(klen, 0xff, 77 + klen);
    const value = patternBytes(vlen, 99 + vlen);
    const others = stateWith(3);
    const prior: StateMap = new Map([...others, [bytesToHex(key), value]]);
    const input = concatBytes(key, value);
    const mem = Math.max(256, klen + 2 * vlen + 64);
    const kk = vlen >= 4096 ? 4 : k;
    out.push(pair({ key: "LOAD.state", n: klen + vlen, variant: "few", k: kk, env: { memory: mem, stateSize: stateCap, input, state: prior }, body: () => ["PUSH 0", `PUSH ${klen}`, `PUSH ${klen + vlen}`, `PUSH ${vlen}`, "LOAD.state", "POP"], note: `K×LOAD.state of a ${klen}-byte key with a ${vlen}-byte value (cap ${vlen}) among 4 entries` }));
    out.push(pair({ key: "STORE.state", n: klen + vlen, variant: "overwrite", k: kk, env: { memory: mem, stateSize: stateCap, input, state: prior }, body: () => ["PUSH 0", `PUSH ${klen}`, `PUSH ${klen}`, `PUSH ${vlen}`, "STORE.state"], note: `K×STORE.state overwriting a ${klen}-byte key's ${vlen}-byte value (same size) among 4 entries` }));
  }
  for (const shape of MANY_STATES) {
    // A near-full state (see MANY_STATES), leaving room for the inserts.
    const { entries, keyLen, tag } = shape;
    const many = stateWith(entries, keyLen);
    const last = keyBytes(8, 0xff, 4242);
    const prior: StateMap = new Map([...many, [bytesToHex(last), patternBytes(8, 1)]]);
    const env: JobEnv = { memory: 1024, stateSize: stateCap, input: last, state: prior };
    const among = `among ${entries + 1} entries (${keyLen}-byte keys)`;
    out.push(pair({ key: "LOAD.state", n: 16, variant: `many${tag}`, k, env, body: () => ["PUSH 0", "PUSH 8", "PUSH 512", "PUSH 8", "LOAD.state", "POP"], note: `K×LOAD.state of the last-sorted key ${among}` }));
    const absentEnv: JobEnv = { ...env, input: keyBytes(8, 0xfe, 4243) };
    out.push(pair({ key: "LOAD.state", n: 16, variant: `absent-many${tag}`, k, env: absentEnv, body: () => ["PUSH 0", "PUSH 8", "PUSH 512", "PUSH 8", "LOAD.state", "POP"], note: `K×LOAD.state of an absent key ${among}` }));
    const kIns = Math.min(k, 32);
    // New keys as long as the state's, sorting before all of them: each insert lands at the index's front (its worst case).
    const newKeys = Array.from({ length: kIns }, (_, i) => (keyLen === 8 ? keyBytes(8, 0x00, 9000 + i) : Uint8Array.of(0x00, i)));
    // Both jobs of an insert/delete pair end in ABORT: neither hashes a final state, so the difference is the K operations.
    out.push(pair({ key: "STORE.state", n: keyLen + 8, variant: `insert-many${tag}`, k: kIns, env: { memory: 1024, stateSize: stateCap, input: concatBytes(...newKeys), state: many }, abort: true, body: (i) => [`PUSH ${keyLen * i}`, `PUSH ${keyLen}`, "PUSH 512", "PUSH 8", "STORE.state"], note: `${kIns} inserts of new first-sorted ${keyLen}-byte keys (8-byte values) into ${entries} entries (${keyLen}-byte keys); both jobs end in ABORT (no final-state hash)` }));
    const delKeys = [...many.keys()].sort().slice(0, kIns);
    const delInput = concatBytes(...delKeys.map(hexToBytes));
    out.push(pair({ key: "STORE.del", n: keyLen, variant: `present-many${tag}`, k: kIns, env: { memory: 1024, stateSize: stateCap, input: delInput, state: many }, abort: true, body: (i) => [`PUSH ${keyLen * i}`, `PUSH ${keyLen}`, "STORE.del"], note: `${kIns} deletes of the first-sorted keys of ${entries} entries (${keyLen}-byte keys); both jobs end in ABORT (no final-state hash)` }));
    out.push(pair({ key: "STORE.del", n: 8, variant: `absent-many${tag}`, k, env: absentEnv, body: () => ["PUSH 0", "PUSH 8", "STORE.del"], note: `K deletes of an absent key ${among}` }));
  }
  // The same inserts and deletes on a near-empty state: what the many-entry variants are compared with
  // (issue 9's goal: an operation on a full state costs at most 5x the same operation on an empty one).
  {
    const kIns = Math.min(k, 32);
    const few = stateWith(3);
    const newKeys = Array.from({ length: kIns }, (_, i) => keyBytes(8, 0x00, 9000 + i));
    out.push(pair({ key: "STORE.state", n: 16, variant: "insert-few", k: kIns, env: { memory: 1024, stateSize: stateCap, input: concatBytes(...newKeys), state: few }, abort: true, body: (i) => [`PUSH ${8 * i}`, "PUSH 8", "PUSH 512", "PUSH 8", "STORE.state"], note: `${kIns} inserts of new first-sorted 8-byte keys into 3 entries; both jobs end in ABORT (no final-state hash)` }));
    // And of big values (2-byte keys), what the churn-move benchmarks are compared with.
    for (const { vlen, k: kBig } of BIG_CHURNS) {
      const bigKeys = Array.from({ length: kBig }, (_, i) => Uint8Array.of(0x00, i));
      const valueAt = BIG_VALUE_AT;
      out.push(pair({ key: "STORE.state", n: 2 + vlen, variant: "insert-few", k: kBig, env: { memory: bigMemory(vlen), stateSize: stateCap, input: concatBytes(...bigKeys), state: few }, abort: true, body: (i) => [`PUSH ${2 * i}`, "PUSH 2", `PUSH ${valueAt}`, `PUSH ${vlen}`, "STORE.state"], note: `${kBig} inserts of new first-sorted 2-byte keys with ${vlen}-byte values into 3 entries; both jobs end in ABORT (no final-state hash)` }));
    }
    const small = stateWith(kIns + 3);
    const sorted = [...small.keys()].sort();
    const delInput = concatBytes(...sorted.slice(0, kIns).map(hexToBytes));
    out.push(pair({ key: "STORE.del", n: 8, variant: "present-few", k: kIns, env: { memory: 1024, stateSize: stateCap, input: delInput, state: small }, abort: true, body: (i) => [`PUSH ${8 * i}`, "PUSH 8", "STORE.del"], note: `${kIns} deletes of the first-sorted keys of ${kIns + 3} entries; both jobs end in ABORT (no final-state hash)` }));
  }
  // Churn on a full state while the arena's compaction runs (SPEC §9.7), its worst case: both jobs first
  // delete the state's first record in the arena (so every live record after it must move) and churn (delete
  // and store one key again) until an append passes COMPACTION_START; then each measured store slides
  // COMPACTION_RATE times its own bytes of records down, and every one of those records is live.
  const warmUps = (prior: number, record: number): number => Math.floor((Limit.COMPACTION_START - prior) / record) + 1;
  for (const shape of MANY_STATES) {
    const { entries, keyLen, tag } = shape;
    const full = stateWith(entries, keyLen);
    let size = 0;
    for (const [kh, v] of full) size += Limit.STATE_ENTRY_OVERHEAD + kh.length / 2 + v.length;
    // The churn key sorts last, so its delete and insert touch the index's end: what the store adds on a full
    // state is the longer search and the compaction's work (its delete is priced as present-few's, which
    // under-counts the longer search: the store's term carries the difference).
    const churnKey = keyBytes(8, 0xff, 9100);
    // Fill to within one churn record of MAX_STATE_SIZE with one padding entry.
    const churnSize = Limit.STATE_ENTRY_OVERHEAD + 8 + 8;
    const padLen = stateCap - size - churnSize - Limit.STATE_ENTRY_OVERHEAD - 8;
    if (padLen < 0) continue;
    full.set(bytesToHex(keyBytes(8, 0xfe, 9101)), patternBytes(padLen, 3));
    const firstKey = hexToBytes([...full.keys()].sort((a, b) => a.length - b.length || (a < b ? -1 : 1))[0]);
    const churn = ["PUSH 0", "PUSH 8", "STORE.del", "PUSH 0", "PUSH 8", "PUSH 512", "PUSH 8", "STORE.state"];
    const shared = ["PUSH 8", `PUSH ${firstKey.length}`, "STORE.del", ...rep(warmUps(stateCap - churnSize, churnSize), churn)];
    const kChurn = Math.min(k, 32);
    out.push(pair({ key: "STORE.state", n: 16, variant: `churn-full${tag}`, k: kChurn, env: { memory: 1024, stateSize: stateCap, input: concatBytes(churnKey, firstKey), state: full }, shared, termsOf: { "STORE.del": "STORE.del@8#present-few" }, compacts: true, body: () => churn, note: `${kChurn}× (STORE.del, STORE.state of the same 8-byte key and 8-byte value) on a state of ${entries + 1} entries (${keyLen}-byte keys) one record short of MAX_STATE_SIZE, while the compaction slides every record it passes` }));
  }
  // The same churn when the records the compaction moves are not in key order: both jobs first store every key
  // again with a one-byte value (a loop, which also runs compactions), in reverse key order (the index scan,
  // which starts at the slot after the last one found and goes down, finds each in a few probes) or scattered
  // (key i × 1013 mod 2400: the slot is anywhere in the GROUP-slot group the record names, half of it scanned
  // on average).
  {
    const entries = 2400;
    const many = stateWith(entries, 8);
    const sorted = [...many.keys()].sort().map(hexToBytes);
    const churnKey = keyBytes(8, 0xff, 9100);
    const churnAt = entries * 8; // the sorted keys lie from 0, key i at 8i
    const valueAt = churnAt + 8;
    const churn = [`PUSH ${churnAt}`, "PUSH 8", "STORE.del", `PUSH ${churnAt}`, "PUSH 8", `PUSH ${valueAt}`, "PUSH 8", "STORE.state"];
    const orders = [
      { tag: "reversed8", index: [] as string[], doc: "rewritten in reverse key order" },
      { tag: "scattered8", index: ["PUSH 1013", "MUL", `PUSH ${entries}`, "MOD"], doc: "rewritten in a scattered order (key i × 1013 mod 2400)" },
    ];
    const kChurn = Math.min(k, 32);
    for (const order of orders) {
      const reorder = ["reorder:", `PUSH ${entries}`, "again:", "PUSH 1", "SUB", "DUP", ...order.index, "PUSH 8", "MUL", "PUSH 8", `PUSH ${valueAt}`, "PUSH 1", "STORE.state", "DUP", "JNZ again", "POP", "RET"];
      out.push(pair({ key: "STORE.state", n: 16, variant: `churn-${order.tag}`, k: kChurn, env: { memory: Limit.MAX_MEMORY, stateSize: stateCap, input: concatBytes(...sorted, churnKey), state: many }, shared: ["CALL reorder"], tail: reorder, termsOf: { "STORE.del": "STORE.del@8#present-few" }, compacts: true, body: () => churn, note: `${kChurn}× (STORE.del, STORE.state of an 8-byte key and value) on ${entries} entries of 8-byte keys ${order.doc}, while the compaction slides them: every moved record's slot is searched for in its group` }));
    }
  }
  // The same with big values: a 1-byte-key entry (which sorts first, so its record is the arena's first), then
  // as many entries of the value as fit; the churn key sorts last. Both jobs delete the small entry and churn
  // until just before an append would pass COMPACTION_START, so each measured store processes
  // COMPACTION_RATE times its record's bytes of live records and moves them all: the store's own copy and the
  // compaction's moves dominate its fixed work, and the bigger the value the closer its ratio to the empty
  // state's store comes to 1 + COMPACTION_RATE (SPEC §10).
  for (const { vlen, churns } of BIG_CHURNS) {
    const record = Limit.STATE_ENTRY_OVERHEAD + 2 + vlen;
    const tinyKey = Uint8Array.of(0x00);
    const tinyRecord = Limit.STATE_ENTRY_OVERHEAD + 1 + 1;
    const count = Math.floor((stateCap - tinyRecord) / record);
    const big: StateMap = new Map([[bytesToHex(tinyKey), Uint8Array.of(1)]]);
    for (let i = 0; i < count; i++) big.set(bytesToHex(Uint8Array.of(0x6b, i)), patternBytes(vlen, 300 + i));
    const churnKey = Uint8Array.of(0x6b, count - 1);
    const churn = ["PUSH 1", "PUSH 2", "STORE.del", "PUSH 1", "PUSH 2", `PUSH ${BIG_VALUE_AT}`, `PUSH ${vlen}`, "STORE.state"];
    const prior = tinyRecord + count * record;
    const shared = ["PUSH 0", "PUSH 1", "STORE.del", ...rep(Math.floor((Limit.COMPACTION_START - prior) / record), churn)];
    const moved = Math.round((Limit.COMPACTION_RATE * record) / 1000);
    out.push(pair({ key: "STORE.state", n: 2 + vlen, variant: `churn-move${count}`, k: churns, env: { memory: bigMemory(vlen), stateSize: stateCap, input: concatBytes(tinyKey, churnKey), state: big }, shared, termsOf: { "STORE.del": "STORE.del@2#present-big" }, compacts: true, abort: true, body: () => churn, note: `${churns}× (STORE.del, STORE.state of the same key and a ${vlen}-byte value) on ${count} such entries while the compaction slides ~${moved} KB of live records per store` }));
  }
  // A big store whose compaction step moves only live tiny records: a 1-byte-key entry (the arena's first
  // record), then 6-byte records (2-byte keys, empty values) up to one 4000-byte value short of
  // MAX_STATE_SIZE. Both jobs delete the first entry and churn a 4000-byte value (its key sorts last) until
  // just before an append would pass COMPACTION_START, so the measured store's step moves ~4000 records of
  // 6 bytes, each 6 bytes down, and searches each one's slot: the per-record work at its densest.
  {
    const vlen = 4000;
    const bigKey = Uint8Array.of(0xff, 0x01); // stateWith keys start 0x40..0x7f
    const record = Limit.STATE_ENTRY_OVERHEAD + bigKey.length + vlen;
    const tinyRecord = Limit.STATE_ENTRY_OVERHEAD + 1 + 1;
    const count = Math.floor((stateCap - tinyRecord - record) / (Limit.STATE_ENTRY_OVERHEAD + 2));
    const small = stateWith(count, 2);
    small.set("00", Uint8Array.of(1));
    let prior = 0;
    for (const [kh, v] of small) prior += Limit.STATE_ENTRY_OVERHEAD + kh.length / 2 + v.length;
    const valueAt = 16;
    const churn = ["PUSH 1", "PUSH 2", "STORE.del", "PUSH 1", "PUSH 2", `PUSH ${valueAt}`, `PUSH ${vlen}`, "STORE.state"];
    const shared = ["PUSH 0", "PUSH 1", "STORE.del", ...rep(Math.floor((Limit.COMPACTION_START - prior) / record), churn)];
    out.push(pair({ key: "STORE.state", n: 2 + vlen, variant: `churn-small${count}`, k: 1, env: { memory: valueAt + 4096, stateSize: stateCap, input: concatBytes(Uint8Array.of(0x00), bigKey), state: small }, shared, termsOf: { "STORE.del": "STORE.del@2#present-big" }, compacts: true, abort: true, body: () => churn, note: `STORE.del, STORE.state of a ${vlen}-byte value on ${count} entries of 6-byte records, while the compaction moves ~${Math.round((Limit.COMPACTION_RATE * record) / 6)} of them per store` }));
  }
  // A big store whose compaction step passes only dead tiny records: both jobs delete every entry of a
  // 5300-entry state of 6-byte records, then churn a 4000-byte value until just before an append would pass
  // COMPACTION_START; the measured store's step drops ~4000 dead records (COMPACTION_RATE × its 4006 bytes)
  // and moves nothing. Its time follows the records, its empty-state twin's the bytes.
  {
    const tiny = stateWith(5300, 2);
    const keys = [...tiny.keys()].sort().map(hexToBytes);
    const bigKey = Uint8Array.of(0xff, 0x01); // stateWith keys start 0x40..0x7f
    const vlen = 4000;
    const record = Limit.STATE_ENTRY_OVERHEAD + bigKey.length + vlen;
    let prior = 0;
    for (const kh of tiny.keys()) prior += Limit.STATE_ENTRY_OVERHEAD + kh.length / 2;
    const keyAt = keys.length * 2;
    const valueAt = 12288;
    const churn = [`PUSH ${keyAt}`, "PUSH 2", "STORE.del", `PUSH ${keyAt}`, "PUSH 2", `PUSH ${valueAt}`, `PUSH ${vlen}`, "STORE.state"];
    const dropAll = ["dropAll:", `PUSH ${keys.length}`, "again:", "PUSH 1", "SUB", "DUP", "PUSH 2", "MUL", "PUSH 2", "STORE.del", "DUP", "JNZ again", "POP", "RET"];
    const shared = ["CALL dropAll", ...rep(Math.floor((Limit.COMPACTION_START - prior) / record), churn)];
    out.push(pair({ key: "STORE.state", n: 2 + vlen, variant: "churn-dead5300", k: 1, env: { memory: valueAt + 4096, stateSize: stateCap, input: concatBytes(...keys, bigKey), state: tiny }, shared, tail: dropAll, termsOf: { "STORE.del": "STORE.del@2#present-big" }, compacts: true, abort: true, body: () => churn, note: `STORE.del, STORE.state of a ${vlen}-byte value after all ${keys.length} entries of 2-byte keys were deleted, while the compaction drops ~${Math.round((Limit.COMPACTION_RATE * record) / 6)} dead 6-byte records` }));
  }
  {
    const big: StateMap = new Map();
    for (let i = 0; i < 32; i++) big.set(bytesToHex(Uint8Array.of(0x6b, i)), patternBytes(1000, 300 + i));
    out.push(pair({ key: "STORE.del", n: 2, variant: "present-big", k: 16, env: { memory: 2048, stateSize: stateCap, input: concatBytes(...[...big.keys()].sort().slice(0, 16).map(hexToBytes)), state: big }, abort: true, body: (i) => [`PUSH ${2 * i}`, "PUSH 2", "STORE.del"], note: `16 deletes of 1000-byte entries among 32` }));
  }
  for (const klen of SIZE_POINTS.DEL) {
    const key = keyBytes(klen, 0xfd, 55 + klen);
    out.push(pair({ key: "STORE.del", n: klen, variant: "absent", k, env: { memory: 256, stateSize: stateCap, input: key, state: stateWith(3) }, body: () => ["PUSH 0", `PUSH ${klen}`, "STORE.del"], note: `K deletes of an absent ${klen}-byte key among 3 entries` }));
  }
  return out;
}

function cryptoBenches(crypto: CryptoInputs): Microbench[] {
  const out: Microbench[] = [];
  for (const n of SIZE_POINTS.VERIFY_SIG) {
    const s = crypto.sig(n);
    const input = concatBytes(s.pk, s.sig, s.msg); // pk @0, sig @32, msg @96
    out.push(pair({ key: "VERIFY_SIG", n, k: 1, env: { memory: input.length + 64, input }, body: () => ["PUSH 0", "PUSH 96", `PUSH ${n}`, "PUSH 32", "VERIFY_SIG", "POP"], note: `a valid Ed25519 signature over ${n} bytes` }));
  }
  const vrfBench = (v: VrfInput, variant: string | undefined, note: string) => {
    const n = v.alpha.length;
    const input = concatBytes(v.pk, v.proof, new Uint8Array(64), v.alpha); // pk @0, proof @32, beta @112, alpha @176
    out.push(pair({ key: "VERIFY_VRF", n, ...(variant ? { variant } : {}), k: 1, env: { memory: input.length + 64, input }, body: () => ["PUSH 0", "PUSH 176", `PUSH ${n}`, "PUSH 32", "PUSH 112", "VERIFY_VRF", "POP"], note }));
  };
  for (const n of SIZE_POINTS.VERIFY_VRF) {
    const v = crypto.vrf(n);
    vrfBench(v, undefined, `a valid ECVRF proof for a ${n}-byte alpha (try-and-increment ctr ${v.ctr})`);
  }
  vrfBench(crypto.vrfGrind, "ground", `a valid ECVRF proof for a 16-byte alpha ground to try-and-increment ctr ${crypto.vrfGrind.ctr}`);

  return out;
}

/** HALT and ABORT: one code, three entries (HALT-, ABORT- and trap-ending), measured against the trap ending. */
function endOfCall(): Microbench[] {
  const env: JobEnv = { memory: 64 };
  const contract = assemble([
    ...header(env),
    ".func h 0 0 eh",
    ".func a 0 0 ea",
    ".func t 0 0 et",
    "ea: PUSH 0",
    "ABORT",
    "eh: HALT",
    "et: PUSH 0",
  ].join("\n"), { costTable: BASE_TABLE });
  const trap: BenchJob = { fn: "t", bytes: encode(contract, "t", env), expect: "TRAP" };
  return [
    { id: "HALT", key: "HALT", term: "HALT", k: 1, run: { fn: "h", bytes: encode(contract, "h", env), expect: "HALT" }, base: trap, note: "a HALT-ending call minus a trap-ending call (END_OF_CODE after PUSH 0) of the same code, plus PUSH" },
    { id: "ABORT", key: "ABORT", term: "ABORT", k: 1, run: { fn: "a", bytes: encode(contract, "a", env), expect: "ABORT" }, base: trap, note: "a PUSH 0; ABORT call minus a PUSH 0; <end of code> call of the same code" },
  ];
}

// ---- validation on the reference ---------------------------------------------------------

const END_STATUS: Record<ExpectedEnd, number> = { HALT: Status.HALT, ABORT: Status.ABORT, TRAP: Status.TRAP };

function termOf(step: TraceStep, code: Uint8Array, bench: Microbench): string {
  if (step.op === "PUSH") return `PUSH#imm${code[step.pc + 1]}`;
  if (step.op === bench.key) return bench.term;
  return bench.termsOf?.[step.op] ?? step.op;
}

/** The contract code inside a job (to read PUSH immediate lengths at traced offsets). */
function codeOf(job: Uint8Array): Uint8Array {
  const v = decodeStrict(job);
  if (!isMap(v)) throw new Error("internal: job is not a map");
  const contract = v.get(1n);
  if (!contract || !isMap(contract)) throw new Error("internal: job has no contract");
  const code = contract.get(2n);
  if (!code || !isBytes(code)) throw new Error("internal: contract has no code");
  return code;
}

export class MicrobenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MicrobenchError";
  }
}

/**
 * Runs both jobs of every benchmark on the reference engine with a trace:
 * each must end as expected (HALT unless it is the ABORT/trap end-of-call
 * pair), and the traces give the executed term counts and v1 charges.
 */
export async function validateBenches(benches: readonly Microbench[], terms: Record<string, TermInfo> = {}): Promise<ValidatedBench[]> {
  const ref = createReferenceEngine();
  const out: ValidatedBench[] = [];
  // Every step that moved index slots, per benchmark, signed (+1 in work, -1 in base); priced after all are seen.
  const moved = new Map<string, { t: string; sign: number; moves: number }[]>();
  for (const b of benches) {
    const counts = new Map<string, number>();
    const steps: { t: string; sign: number; moves: number }[] = [];
    moved.set(b.id, steps);
    const work = { stores: 0, records: 0, bytes: 0, charged: {} as Record<string, number> };
    const results: Uint8Array[] = [];
    const cycles: number[] = [];
    for (const [job, sign] of [[b.run, 1], [b.base, -1]] as const) {
      const r = await ref.run(job.bytes, { trace: true });
      if (r.result.status !== END_STATUS[job.expect]) {
        throw new MicrobenchError(`microbenchmark ${b.id} (${job.fn}) ended with status ${r.result.status} code ${r.result.code} on the reference, expected ${job.expect}`);
      }
      const code = codeOf(job.bytes);
      for (const step of r.trace ?? []) {
        const t = termOf(step, code, b);
        counts.set(t, (counts.get(t) ?? 0) + sign);
        const [key, n, variant] = splitTerm(t, b);
        const known = terms[t];
        if (known === undefined) terms[t] = { term: t, key, ...(n !== undefined ? { n } : {}), ...(variant !== undefined ? { variant } : {}), charged: step.cost };
        else if (known.charged !== step.cost) throw new MicrobenchError(`term ${t} is charged ${step.cost} in ${b.id} but ${known.charged} elsewhere`);
        if (step.indexMoves !== undefined) steps.push({ t, sign, moves: step.indexMoves });
        if (step.compaction !== undefined) {
          if (t !== b.term || !b.compacts) throw new MicrobenchError(`microbenchmark ${b.id}: ${t} advances the arena's compaction, which only its compacting term may`);
          work.stores += sign;
          work.records += sign * step.compaction.records;
          work.bytes += sign * step.compaction.bytes;
          for (const name of Object.keys(COST_TABLES)) work.charged[name] = (work.charged[name] ?? 0) + sign * compactionOf(name, step.compaction.records, step.compaction.bytes);
        }
      }
      results.push(r.resultBytes);
      cycles.push(r.result.cycles);
    }
    const nonZero = Object.fromEntries([...counts].filter(([, c]) => c !== 0));
    if (!(b.term in nonZero) || nonZero[b.term] <= 0) throw new MicrobenchError(`microbenchmark ${b.id} does not execute its term ${b.term} more often in work than in base`);
    if (b.compacts) {
      const per = nonZero[b.term];
      if (work.stores <= 0) throw new MicrobenchError(`microbenchmark ${b.id}: its measured stores do not advance the arena's compaction`);
      terms[b.term].compaction = {
        stores: work.stores / per,
        records: work.records / per,
        bytes: work.bytes / per,
        charged: Object.fromEntries(Object.entries(work.charged).map(([name, c]) => [name, c / per])),
      };
    }
    out.push({ ...b, counts: nonZero, chargedDelta: cycles[0] - cycles[1], runResult: results[0], baseResult: results[1] });
  }
  priceIndexMoves(out, moved, terms);
  return out;
}

/**
 * Each term's index-move work (TermInfo.index): first every term in its own
 * benchmark, then a compacting benchmark's term takes the rest of its work's
 * index charges (those of other terms' stores beyond their own average).
 */
function priceIndexMoves(benches: readonly ValidatedBench[], moved: ReadonlyMap<string, readonly { t: string; sign: number; moves: number }[]>, terms: Record<string, TermInfo>): void {
  const tables = Object.keys(COST_TABLES);
  const charge = (moves: number) => Object.fromEntries(tables.map((name) => [name, indexMoveOf(name, moves)]));
  const own = new Map<string, IndexPerExecution>();
  for (const b of benches) {
    const steps = (moved.get(b.id) ?? []).filter((s) => s.t === b.term);
    if (!steps.length) continue;
    const per = b.counts[b.term];
    const sum: IndexPerExecution = { moves: 0, charged: Object.fromEntries(tables.map((name) => [name, 0])) };
    for (const s of steps) {
      sum.moves += (s.sign * s.moves) / per;
      const c = charge(s.moves);
      for (const name of tables) sum.charged[name] += (s.sign * c[name]) / per;
    }
    own.set(b.term, sum);
  }
  for (const b of benches) {
    const base = own.get(b.term);
    const total: IndexPerExecution = { moves: base?.moves ?? 0, charged: { ...(base?.charged ?? Object.fromEntries(tables.map((name) => [name, 0]))) } };
    if (b.compacts) {
      const per = b.counts[b.term];
      for (const s of moved.get(b.id) ?? []) {
        if (s.t === b.term) continue;
        const c = charge(s.moves);
        const theirs = own.get(s.t);
        for (const name of tables) total.charged[name] += (s.sign * (c[name] - (theirs?.charged[name] ?? 0))) / per;
      }
    }
    if (base !== undefined || Object.values(total.charged).some((c) => c !== 0)) terms[b.term].index = total;
  }
}

function splitTerm(t: string, b: Microbench): [string, number | undefined, string | undefined] {
  if (t === b.term) return [b.key, b.n, b.variant];
  const m = /^([A-Z_]+(?:\.[a-z0-9]+)?)(?:@(\d+))?(?:#(.+))?$/.exec(t);
  if (!m) return [t, undefined, undefined];
  return [m[1], m[2] !== undefined ? Number(m[2]) : undefined, m[3]];
}

/**
 * The benchmark set: the catalogue (optionally only some cost keys, plus the
 * benchmarks of every helper term they use), validated on the reference.
 */
export async function buildMicrobenches(opts: MicrobenchOptions = {}): Promise<MicrobenchSet> {
  const k = opts.k ?? 64;
  if (!Number.isInteger(k) || k < 4 || k > 200) throw new MicrobenchError(`K must be an integer from 4 to 200, got ${k}`);
  const only = opts.only ? new Set(opts.only) : undefined;
  if (only) {
    const unknown = [...only].filter((key) => !COST_KEYS.includes(key));
    if (unknown.length) throw new MicrobenchError(`unknown cost key(s) ${unknown.join(", ")}; keys: ${COST_KEYS.join(", ")}`);
  }
  const needsCrypto = !only || only.has("VERIFY_SIG") || only.has("VERIFY_VRF");
  const crypto = needsCrypto ? cryptoInputs() : undefined;
  const all = catalogue(k, crypto);
  const byTerm = new Map(all.map((b) => [b.term, b]));
  let chosen = only ? all.filter((b) => only.has(b.key)) : all;
  const terms: Record<string, TermInfo> = {};
  let validated = await validateBenches(chosen, terms);
  // Closure: every term that appears must be defined by a benchmark of its own.
  for (;;) {
    const have = new Set(validated.map((b) => b.term));
    const missing = new Set<string>();
    for (const b of validated) for (const t of Object.keys(b.counts)) if (!have.has(t)) missing.add(t);
    if (missing.size === 0) break;
    const add: Microbench[] = [];
    for (const t of missing) {
      const def = byTerm.get(t);
      if (!def) throw new MicrobenchError(`term ${t} has no benchmark that defines it`);
      add.push(def);
    }
    validated = [...validated, ...(await validateBenches(add, terms))];
    chosen = [...chosen, ...add];
  }
  // Helpers first (the order benchmarks run and are reported in).
  const order = new Map(all.map((b, i) => [b.id, i]));
  validated.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  for (const t of Object.keys(terms)) if (!validated.some((b) => b.term === t)) delete terms[t];
  return { benches: validated, terms, notes: crypto?.notes ?? [] };
}
