/**
 * Test helpers for the reference interpreter: a tiny label assembler (the
 * project's assembler is not used here on purpose) and job builders on the
 * shared model helpers.
 */
import { Op, Space, type Mnemonic, type SpaceName } from "../../src/generated/opcodes.ts";
import { encodeJob, makeContract } from "../../src/model/codec.ts";
import { makeJob as makeModelJob } from "../../src/model/job.ts";
import { bytesToHex } from "../../src/model/bytes.ts";
import type { Context, FunctionSignature, Job, StateMap } from "../../src/model/types.ts";
import { runJob } from "../../src/reference/index.ts";
import type { EngineRun } from "../../src/model/engine.ts";

/** PUSH's minimal immediate (SPEC §5.1): the length byte and the value bytes. */
export function pushImmediate(value: bigint | number): number[] {
  const v = BigInt(value);
  if (v === 0n) return [0];
  for (let n = 1; n <= 8; n++) {
    const half = 1n << BigInt(8 * n - 1);
    if (v >= -half && v < half) {
      const bytes: number[] = [];
      let u = BigInt.asUintN(8 * n, v);
      for (let i = 0; i < n; i++) {
        bytes.push(Number(u & 0xffn));
        u >>= 8n;
      }
      return [n, ...bytes];
    }
  }
  throw new Error(`PUSH ${v} does not fit in 64 bits`);
}

/** One source item: `"ADD"`, `"loop:"`, `["PUSH", 5]`, `["JMP", "loop"]`, `["LOAD", "m8"]`, or raw bytes `{ raw: [...] }`. */
export type Item = string | [Mnemonic, bigint | number | string] | { raw: number[] };

/** Assembles items to code bytes, resolving labels (two passes). */
export function asm(...items: Item[]): Uint8Array {
  const encode = (labels: Map<string, number>): number[] => {
    const out: number[] = [];
    for (const it of items) {
      if (typeof it === "string") {
        if (it.endsWith(":")) labels.set(it.slice(0, -1), out.length);
        else out.push(Op[it as Mnemonic]);
      } else if (Array.isArray(it)) {
        const [name, arg] = it;
        out.push(Op[name]);
        if (name === "PUSH") out.push(...pushImmediate(arg as bigint | number));
        else if (name === "LOAD" || name === "STORE") out.push(Space[arg as SpaceName]);
        else {
          const t = typeof arg === "string" ? (labels.get(arg) ?? 0) : Number(arg);
          out.push(t & 0xff, t >> 8);
        }
      } else out.push(...it.raw);
    }
    return out;
  };
  const labels = new Map<string, number>();
  encode(labels);
  return Uint8Array.from(encode(labels));
}

export interface JobSpec {
  code: Uint8Array;
  fn?: string;
  args?: (bigint | number)[];
  rets?: number;
  /** Defaults to one function `main` at 0 with `args.length` args and `rets` returns. */
  functions?: FunctionSignature[];
  input?: Uint8Array;
  maxMemory?: number;
  maxCycles?: number;
  maxStateSize?: number;
  state?: Record<string, Uint8Array> | StateMap;
  context?: Partial<Context>;
  /** Contract version (the cost table, SPEC §5); these tests default to 1 (table v1, no intrinsic charge). */
  version?: number;
}

export function makeJob(s: JobSpec): Job {
  const args = (s.args ?? []).map(BigInt);
  const functions = s.functions ?? [{ name: "main", entry: 0, args: args.length, rets: s.rets ?? 0 }];
  const state: StateMap = s.state instanceof Map ? s.state : new Map(Object.entries(s.state ?? {}));
  const contract = makeContract({ code: s.code, maxMemory: s.maxMemory ?? 1024, maxCycles: s.maxCycles ?? 1_000_000, maxStateSize: s.maxStateSize ?? 4096, functions, version: s.version ?? 1 });
  return makeModelJob(contract, { fn: s.fn, args, input: s.input, state, ...s.context });
}

export function jobBytes(s: JobSpec): Uint8Array {
  return encodeJob(makeJob(s));
}

export function run(s: JobSpec, trace = false): EngineRun {
  return runJob(jobBytes(s), { trace });
}

/** Shorthand: status name, code and returns of a run. */
export function outcome(r: EngineRun): { status: string; code: bigint; returns: bigint[] } {
  return { status: ["HALT", "ABORT", "TRAP", "INVALID"][r.result.status], code: r.result.code, returns: r.result.returns };
}

export const hex = bytesToHex;
export function fromHex(h: string): Uint8Array {
  return Uint8Array.from(Buffer.from(h, "hex"));
}
