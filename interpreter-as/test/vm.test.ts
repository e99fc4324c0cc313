/**
 * The AssemblyScript VM (release build) against SPEC expectations worked out
 * by hand: every opcode, trap and validation error, limits at and past their
 * bounds, state commit and rollback, and the canonical result encoding.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ed25519 } from "@noble/curves/ed25519.js";
import { createAsEngine } from "../../host-ts/src/engines/as-engine.ts";
import type { Engine, EngineRun } from "../../host-ts/src/model/engine.ts";
import { emptyContext } from "../../host-ts/src/model/job.ts";
import { makeContract, encodeJob, encodeResult, hash32, stateHash, jobToCbor, encodeState } from "../../host-ts/src/model/codec.ts";
import { encodeCanonical, type CborMap, type CborValue } from "../../host-ts/src/model/cbor.ts";
import { bytesToHex, hexToBytes } from "../../host-ts/src/model/bytes.ts";
import type { Job, StateMap, Context, FunctionSignature } from "../../host-ts/src/model/types.ts";
import { Op, Space, Trap, ErrorCode, Status, Limit } from "../../host-ts/src/generated/opcodes.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Builds the release VM into a private file (or takes MHR_VM_WASM). */
export function buildVm(): string {
  if (process.env.MHR_VM_WASM) return process.env.MHR_VM_WASM;
  const out = join(tmpdir(), `mhr-vm-${process.pid}-${Date.now()}.wasm`);
  execFileSync(process.execPath, [join(ROOT, "node_modules/assemblyscript/bin/asc.js"), "interpreter-as/assembly/index.ts",
    "--target", "release", "--outFile", out, "--textFile", out.replace(/\.wasm$/, ".wat")], { cwd: ROOT, stdio: "pipe" });
  return out;
}

// ------------------------------------------------------------------ assembly helpers
type Part = number | number[] | Uint8Array;
const code = (...parts: Part[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : [...p])));
/** PUSH with the minimal immediate (SPEC §5.1). */
function push(v: bigint | number): number[] {
  const x = BigInt(v);
  if (x === 0n) return [Op.PUSH, 0];
  for (let n = 1; n <= 8; n++) {
    const lim = 1n << BigInt(8 * n - 1);
    if (x >= -lim && x < lim) {
      const u = BigInt.asUintN(8 * n, x);
      return [Op.PUSH, n, ...Array.from({ length: n }, (_, i) => Number((u >> BigInt(8 * i)) & 0xffn))];
    }
  }
  throw new Error("out of range");
}
const tgt = (op: number, t: number): number[] => [op, t & 0xff, t >> 8];
const load = (s: number): number[] => [Op.LOAD, s];
const stor = (s: number): number[] => [Op.STORE, s];
const MAX = (1n << 63n) - 1n;
const MIN = -(1n << 63n);

// ------------------------------------------------------------------ job helpers
interface Opts {
  maxMemory?: number;
  maxCycles?: number;
  maxStateSize?: number;
  functions?: FunctionSignature[];
  fn?: string;
  args?: bigint[];
  rets?: number;
  input?: Uint8Array;
  context?: Context;
  state?: StateMap;
}
function makeJob(c: Uint8Array, o: Opts = {}): Job {
  // Contract version 1 (cost table v1): these cases assert the v1 cycle counts;
  // v2 and its intrinsic charge are covered by the vector suite's v2 twins.
  const contract = makeContract({
    version: 1,
    code: c,
    maxMemory: o.maxMemory ?? 1024,
    maxCycles: o.maxCycles ?? 1_000_000,
    maxStateSize: o.maxStateSize ?? 4096,
    functions: o.functions ?? [{ name: "main", entry: 0, args: o.args?.length ?? 0, rets: o.rets ?? 0 }],
  });
  return { version: 1, contract, function: o.fn ?? "main", args: o.args ?? [], input: o.input ?? new Uint8Array(0), context: o.context ?? emptyContext(), state: o.state ?? new Map() };
}

let engine: Engine;
let wasmPath: string;
beforeAll(async () => {
  wasmPath = buildVm();
  engine = await createAsEngine(wasmPath);
});

/** Runs job bytes and checks what holds for every result. */
async function runBytes(bytes: Uint8Array): Promise<EngineRun> {
  const r = await engine.run(bytes);
  expect(Buffer.from(encodeResult(r.result)).toString("hex")).toBe(Buffer.from(r.resultBytes).toString("hex"));
  expect(bytesToHex(r.result.jobHash)).toBe(bytesToHex(hash32(bytes)));
  expect(r.result.version).toBe(1);
  return r;
}
const run = (c: Uint8Array, o: Opts = {}) => runBytes(encodeJob(makeJob(c, o)));
const runJob = (j: Job) => runBytes(encodeJob(j));

function halts(r: EngineRun, returns: bigint[], cycles?: number): void {
  expect({ status: r.result.status, code: r.result.code }).toEqual({ status: Status.HALT, code: 0n });
  expect(r.result.returns).toEqual(returns);
  if (cycles !== undefined) expect(r.result.cycles).toBe(cycles);
}
function traps(r: EngineRun, trap: number, cycles?: number): void {
  expect({ status: r.result.status, code: r.result.code }).toEqual({ status: Status.TRAP, code: BigInt(trap) });
  expect(r.result.returns).toEqual([]);
  expect(r.result.output.length).toBe(0);
  expect(r.result.transfers).toEqual([]);
  if (cycles !== undefined) expect(r.result.cycles).toBe(cycles);
}
function invalid(r: EngineRun, err: number): void {
  expect({ status: r.result.status, code: r.result.code, cycles: r.result.cycles }).toEqual({ status: Status.INVALID, code: BigInt(err), cycles: 0 });
  expect(r.result.returns).toEqual([]);
  expect(r.result.logs).toEqual([]);
  expect(r.result.output.length).toBe(0);
  expect(r.result.stateHash).toEqual(new Uint8Array(32));
  expect(r.state).toBeUndefined();
}
/** Evaluates straight-line code ending in HALT with one return value. */
async function evalOne(...parts: Part[]): Promise<EngineRun> {
  return run(code(...parts, Op.HALT), { rets: 1 });
}
async function value(...parts: Part[]): Promise<bigint> {
  const r = await evalOne(...parts);
  halts(r, [r.result.returns[0] ?? -999n]);
  return r.result.returns[0];
}
async function trapOf(...parts: Part[]): Promise<EngineRun> {
  return run(code(...parts, Op.HALT), { rets: 1 });
}

// ------------------------------------------------------------------ module
describe("module", () => {
  it("has no imports, the ABI exports and a fixed memory of at most 3 pages", () => {
    const mod = new WebAssembly.Module(readFileSync(wasmPath));
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
    const names = WebAssembly.Module.exports(mod).map((e) => e.name);
    for (const n of ["memory", "mhr_abi_version", "mhr_job_ptr", "mhr_job_cap", "mhr_run", "mhr_result_ptr", "mhr_state_ptr", "mhr_state_len"]) expect(names).toContain(n);
    const inst = new WebAssembly.Instance(mod, {});
    const x = inst.exports as Record<string, any>;
    expect(x.mhr_abi_version()).toBe(2);
    expect(x.mhr_job_cap()).toBe(Limit.MAX_JOB_SIZE);
    expect((x.memory as WebAssembly.Memory).buffer.byteLength).toBeLessThanOrEqual(3 * 65536);
    expect(() => (x.memory as WebAssembly.Memory).grow(1)).toThrow();
    // The static layout ends below the static data (asconfig memoryBase).
    const cfg = JSON.parse(readFileSync(join(ROOT, "asconfig.json"), "utf8"));
    expect(x.mhr_layout_end()).toBeLessThanOrEqual(cfg.options.memoryBase);
    expect(x.mhr_static_end()).toBeLessThanOrEqual((x.memory as WebAssembly.Memory).buffer.byteLength);
    // job, result and state regions lie inside memory
    expect(x.mhr_job_ptr() + x.mhr_job_cap()).toBeLessThanOrEqual((x.memory as WebAssembly.Memory).buffer.byteLength);
  });

  it("runs many jobs on one instance with independent results", async () => {
    for (let i = 0; i < 5; i++) halts(await evalOne(push(i), push(1), Op.ADD), [BigInt(i + 1)], 5);
  });
});

// ------------------------------------------------------------------ opcodes
describe("stack opcodes", () => {
  it("PUSH decodes minimal immediates of every length", async () => {
    for (const v of [0n, 1n, -1n, 127n, 128n, -128n, -129n, 32767n, 32768n, 1n << 40n, MAX, MIN]) {
      expect(await value(push(v))).toBe(v);
    }
    halts(await evalOne(push(5)), [5n], 3); // PUSH 1 + HALT 2
  });
  it("POP DUP SWAP OVER ROT", async () => {
    halts(await run(code(push(1), push(2), Op.POP, Op.HALT), { rets: 1 }), [1n], 5);
    halts(await run(code(push(7), Op.DUP, Op.HALT), { rets: 2 }), [7n, 7n], 4);
    halts(await run(code(push(1), push(2), Op.SWAP, Op.HALT), { rets: 2 }), [2n, 1n], 5);
    halts(await run(code(push(1), push(2), Op.OVER, Op.HALT), { rets: 3 }), [1n, 2n, 1n], 5);
    halts(await run(code(push(1), push(2), push(3), Op.ROT, Op.HALT), { rets: 3 }), [2n, 3n, 1n], 6);
  });
  it("HALT returns the top rets values, deepest first, leaving the rest", async () => {
    halts(await run(code(push(1), push(2), push(3), Op.HALT), { rets: 2 }), [2n, 3n]);
    halts(await run(code(push(1), Op.HALT), { rets: 0 }), []);
  });
});

describe("arithmetic", () => {
  it("ADD SUB MUL DIV MOD NEG ABS MIN MAX", async () => {
    expect(await value(push(2), push(3), Op.ADD)).toBe(5n);
    expect(await value(push(2), push(3), Op.SUB)).toBe(-1n);
    expect(await value(push(-4), push(3), Op.MUL)).toBe(-12n);
    expect(await value(push(1n << 31n), push(1n << 31n), Op.MUL)).toBe(1n << 62n);
    expect(await value(push(-(1n << 62n)), push(2), Op.MUL)).toBe(MIN);
    expect(await value(push(MIN), push(1), Op.MUL)).toBe(MIN);
    expect(await value(push(0), push(MIN), Op.MUL)).toBe(0n);
    expect(await value(push(7), push(-2), Op.DIV)).toBe(-3n);
    expect(await value(push(-7), push(2), Op.DIV)).toBe(-3n);
    expect(await value(push(-7), push(2), Op.MOD)).toBe(-1n);
    expect(await value(push(7), push(-2), Op.MOD)).toBe(1n);
    expect(await value(push(MIN), push(-1), Op.MOD)).toBe(0n);
    expect(await value(push(5), Op.NEG)).toBe(-5n);
    expect(await value(push(-5), Op.ABS)).toBe(5n);
    expect(await value(push(MAX), Op.ABS)).toBe(MAX);
    expect(await value(push(-3), push(2), Op.MIN)).toBe(-3n);
    expect(await value(push(-3), push(2), Op.MAX)).toBe(2n);
  });
  it("charges MUL 2, DIV 3, MOD 3", async () => {
    halts(await evalOne(push(2), push(3), Op.MUL), [6n], 6);
    halts(await evalOne(push(6), push(3), Op.DIV), [2n], 7);
    halts(await evalOne(push(6), push(4), Op.MOD), [2n], 7);
  });
  it("traps INTEGER_OVERFLOW after charging", async () => {
    traps(await trapOf(push(MAX), push(1), Op.ADD), Trap.INTEGER_OVERFLOW, 3);
    traps(await trapOf(push(MIN), push(-1), Op.ADD), Trap.INTEGER_OVERFLOW, 3);
    traps(await trapOf(push(MIN), push(1), Op.SUB), Trap.INTEGER_OVERFLOW, 3);
    traps(await trapOf(push(MAX), push(-1), Op.SUB), Trap.INTEGER_OVERFLOW, 3);
    traps(await trapOf(push(MIN), push(-1), Op.MUL), Trap.INTEGER_OVERFLOW, 4);
    traps(await trapOf(push(-1), push(MIN), Op.MUL), Trap.INTEGER_OVERFLOW, 4);
    traps(await trapOf(push(1n << 32n), push(1n << 31n), Op.MUL), Trap.INTEGER_OVERFLOW, 4);
    traps(await trapOf(push(3037000500n), push(3037000500n), Op.MUL), Trap.INTEGER_OVERFLOW, 4);
    traps(await trapOf(push(MIN), push(-1), Op.DIV), Trap.INTEGER_OVERFLOW, 5);
    traps(await trapOf(push(MIN), Op.NEG), Trap.INTEGER_OVERFLOW, 2);
    traps(await trapOf(push(MIN), Op.ABS), Trap.INTEGER_OVERFLOW, 2);
  });
  it("traps DIVISION_BY_ZERO after charging", async () => {
    traps(await trapOf(push(1), push(0), Op.DIV), Trap.DIVISION_BY_ZERO, 5);
    traps(await trapOf(push(1), push(0), Op.MOD), Trap.DIVISION_BY_ZERO, 5);
  });
});

describe("bitwise and comparison", () => {
  it("AND OR XOR NOT", async () => {
    expect(await value(push(12), push(10), Op.AND)).toBe(8n);
    expect(await value(push(12), push(10), Op.OR)).toBe(14n);
    expect(await value(push(12), push(10), Op.XOR)).toBe(6n);
    expect(await value(push(0), Op.NOT)).toBe(-1n);
  });
  it("SHL discards bits, SHR is logical, counts outside 0..63 trap", async () => {
    expect(await value(push(1), push(63), Op.SHL)).toBe(MIN);
    expect(await value(push(3), push(63), Op.SHL)).toBe(MIN);
    expect(await value(push(-1), push(1), Op.SHR)).toBe(MAX);
    expect(await value(push(-1), push(63), Op.SHR)).toBe(1n);
    expect(await value(push(5), push(0), Op.SHR)).toBe(5n);
    traps(await trapOf(push(1), push(64), Op.SHL), Trap.SHIFT_OUT_OF_RANGE, 3);
    traps(await trapOf(push(1), push(-1), Op.SHR), Trap.SHIFT_OUT_OF_RANGE, 3);
  });
  it("EQ NEQ LT GT LTE GTE are signed", async () => {
    const cmp = async (op: number, a: bigint, b: bigint) => value(push(a), push(b), op);
    expect(await cmp(Op.EQ, 3n, 3n)).toBe(1n);
    expect(await cmp(Op.EQ, 3n, 4n)).toBe(0n);
    expect(await cmp(Op.NEQ, 3n, 4n)).toBe(1n);
    expect(await cmp(Op.LT, -1n, 0n)).toBe(1n);
    expect(await cmp(Op.LT, 0n, -1n)).toBe(0n);
    expect(await cmp(Op.GT, MAX, MIN)).toBe(1n);
    expect(await cmp(Op.LTE, 2n, 2n)).toBe(1n);
    expect(await cmp(Op.GTE, MIN, MAX)).toBe(0n);
  });
});

describe("control", () => {
  it("JMP JZ JNZ", async () => {
    // 0: JMP 6; 3: PUSH 1 (skipped); 6: PUSH 2; HALT
    halts(await run(code(tgt(Op.JMP, 6), push(1), push(2), Op.HALT), { rets: 1 }), [2n], 5);
    // JZ taken on 0, not taken on 5
    // push(0) is 2 bytes, JZ 3, push(1) 3, HALT 1: the target is 9
    halts(await run(code(push(0), tgt(Op.JZ, 9), push(1), Op.HALT, push(2), Op.HALT), { rets: 1 }), [2n], 7);
    halts(await run(code(push(0), tgt(Op.JNZ, 9), push(1), Op.HALT, push(2), Op.HALT), { rets: 1 }), [1n], 7);
    halts(await run(code(push(-9), tgt(Op.JNZ, 10), push(1), Op.HALT, push(2), Op.HALT), { rets: 1 }), [2n], 7);
    halts(await run(code(push(-9), tgt(Op.JZ, 10), push(1), Op.HALT, push(2), Op.HALT), { rets: 1 }), [1n], 7);
  });
  it("CALL and RET share the data stack", async () => {
    // 0: PUSH 4; 3: CALL 7; 6: HALT; 7: DUP; 8: ADD; 9: RET
    halts(await run(code(push(4), tgt(Op.CALL, 7), Op.HALT, Op.DUP, Op.ADD, Op.RET), { rets: 1 }), [8n], 1 + 5 + 1 + 1 + 4 + 2);
  });
  it("RET with no pending call traps without charging", async () => {
    traps(await run(code(push(1), Op.RET)), Trap.RETURN_WITHOUT_CALL, 1);
  });
  it("CALL_DEPTH: 64 nested calls run, the 65th traps", async () => {
    // main: PUSH n; CALL f; HALT.  f: (n -- ) DUP JZ done; PUSH 1 SUB CALL f; done: RET
    const prog = (n: number) => {
      const p = push(n);
      const f = p.length + 4;
      // f: DUP(1) JZ done(3) PUSH 1(3) SUB(1) CALL f(3) RET(1) -> done at f+11
      return code(p, tgt(Op.CALL, f), Op.HALT, Op.DUP, tgt(Op.JZ, f + 11), push(1), Op.SUB, tgt(Op.CALL, f), Op.RET);
    };
    // n = 63: depth reaches 64 (main's call + 63 recursive calls)
    const ok = await run(prog(63), { rets: 1 });
    halts(ok, [0n]);
    const deep = await run(prog(64), { rets: 1 });
    traps(deep, Trap.CALL_DEPTH_EXCEEDED);
  });
  it("falling off the end traps END_OF_CODE, also after a CALL at the end", async () => {
    traps(await run(code(push(1))), Trap.END_OF_CODE, 1);
    // RET returns to the offset after a final CALL, which is the end of the code
    traps(await run(code(tgt(Op.JMP, 4), Op.RET, tgt(Op.CALL, 3))), Trap.END_OF_CODE, 2 + 5 + 4);
  });
  it("ABORT ends with the popped code and discards output, transfers and state", async () => {
    const r = await run(code(push(0), push(4), Op.EMIT, push(0), push(1), push(0), push(1), stor(Space.state), push(-42), Op.ABORT),
      { state: new Map([["01", Uint8Array.of(9)]]) });
    expect(r.result.status).toBe(Status.ABORT);
    expect(r.result.code).toBe(-42n);
    expect(r.result.output.length).toBe(0);
    expect(r.result.returns).toEqual([]);
    expect(bytesToHex(r.result.stateHash)).toBe(bytesToHex(stateHash(new Map([["01", Uint8Array.of(9)]]))));
    expect(r.state).toEqual(new Map([["01", Uint8Array.of(9)]]));
  });
});

// ------------------------------------------------------------------ stack limits
describe("stack limits", () => {
  it("STACK_UNDERFLOW charges nothing", async () => {
    traps(await run(code(Op.ADD)), Trap.STACK_UNDERFLOW, 0);
    traps(await run(code(push(1), Op.ADD)), Trap.STACK_UNDERFLOW, 1);
    traps(await run(code(Op.POP)), Trap.STACK_UNDERFLOW, 0);
    traps(await run(code(push(1), push(1), Op.ROT)), Trap.STACK_UNDERFLOW, 2);
    traps(await run(code(tgt(Op.JZ, 0))), Trap.STACK_UNDERFLOW, 0);
    traps(await run(code(push(1), Op.HALT), { rets: 2 }), Trap.STACK_UNDERFLOW, 1);
    traps(await run(code(Op.ABORT)), Trap.STACK_UNDERFLOW, 0);
  });
  it("256 values fit, the 257th traps STACK_OVERFLOW", async () => {
    const fill = (n: number) => Array(n).fill(Op.DUP);
    const ok = await run(code(push(1), fill(255), push(0), tgt(Op.JZ, 0xffff & 0), Op.HALT), {});
    void ok;
    halts(await run(code(push(1), fill(255), Op.HALT), { rets: 16 }), Array(16).fill(1n), 258);
    traps(await run(code(push(1), fill(256), Op.HALT)), Trap.STACK_OVERFLOW, 256);
    traps(await run(code(push(1), fill(255), push(1))), Trap.STACK_OVERFLOW, 256);
    traps(await run(code(push(1), fill(255), Op.MSIZE)), Trap.STACK_OVERFLOW, 256);
    traps(await run(code(push(1), fill(255), Op.EPOCH)), Trap.STACK_OVERFLOW, 256);
    traps(await run(code(push(1), fill(255), load(Space.inlen))), Trap.STACK_OVERFLOW, 256);
    traps(await run(code(push(1), push(1), fill(254), Op.OVER)), Trap.STACK_OVERFLOW, 256);
    // a full stack still allows instructions that do not grow it
    halts(await run(code(push(1), fill(255), Op.ADD, Op.HALT), { rets: 1 }), [2n], 259);
  });
  it("arguments are on the stack, first argument deepest", async () => {
    halts(await run(code(Op.SUB, Op.HALT), { args: [10n, 3n], rets: 1 }), [7n], 3);
    halts(await run(code(Op.HALT), { args: [MIN, MAX], rets: 2 }), [MIN, MAX]);
  });
});

// ------------------------------------------------------------------ cycles
describe("cycles", () => {
  it("runs with exactly max_cycles, traps OUT_OF_CYCLES one short without charging", async () => {
    const c = code(push(1), push(2), Op.ADD, Op.HALT); // 1+1+1+2 = 5
    halts(await run(c, { maxCycles: 5, rets: 1 }), [3n], 5);
    traps(await run(c, { maxCycles: 4, rets: 1 }), Trap.OUT_OF_CYCLES, 3);
    traps(await run(c, { maxCycles: 0, rets: 1 }), Trap.OUT_OF_CYCLES, 0);
  });
  it("an infinite loop stops at max_cycles", async () => {
    traps(await run(code(tgt(Op.JMP, 0)), { maxCycles: 1001 }), Trap.OUT_OF_CYCLES, 1000);
  });
  it("accepts max_cycles = MAX_CYCLES", async () => {
    halts(await run(code(push(1), Op.HALT), { maxCycles: Limit.MAX_CYCLES, rets: 1 }), [1n], 3);
  });
});

// ------------------------------------------------------------------ memory
describe("memory", () => {
  it("LOAD/STORE m8 m16 m32 m64 little-endian, zero-extended", async () => {
    expect(await value(push(0x1122334455667788n), push(8), stor(Space.m64), push(8), load(Space.m64))).toBe(0x1122334455667788n);
    expect(await value(push(-2), push(0), stor(Space.m64), push(0), load(Space.m8))).toBe(0xfen);
    expect(await value(push(-2), push(0), stor(Space.m64), push(0), load(Space.m16))).toBe(0xfffen);
    expect(await value(push(-2), push(0), stor(Space.m64), push(0), load(Space.m32))).toBe(0xfffffffen);
    expect(await value(push(0x1ff), push(3), stor(Space.m8), push(3), load(Space.m64))).toBe(0xffn);
    expect(await value(push(0x12345), push(3), stor(Space.m16), push(3), load(Space.m32))).toBe(0x2345n);
    expect(await value(push(-1), push(1), stor(Space.m32), push(0), load(Space.m64))).toBe(0xffffffff00n);
    halts(await evalOne(push(0), load(Space.m8)), [0n], 6);
    halts(await evalOne(push(1), push(0), stor(Space.m8), push(0), load(Space.m8)), [1n], 11);
  });
  it("ranges end exactly at max_memory; past it, or negative, trap MEMORY_OUT_OF_BOUNDS uncharged", async () => {
    const m = { maxMemory: 64, rets: 1 };
    halts(await run(code(push(56), load(Space.m64), Op.HALT), m), [0n]);
    halts(await run(code(push(63), load(Space.m8), Op.HALT), m), [0n]);
    traps(await run(code(push(57), load(Space.m64), Op.HALT), m), Trap.MEMORY_OUT_OF_BOUNDS, 1);
    traps(await run(code(push(64), load(Space.m8), Op.HALT), m), Trap.MEMORY_OUT_OF_BOUNDS, 1);
    traps(await run(code(push(-1), load(Space.m8), Op.HALT), m), Trap.MEMORY_OUT_OF_BOUNDS, 1);
    traps(await run(code(push(MIN), load(Space.m8), Op.HALT), m), Trap.MEMORY_OUT_OF_BOUNDS, 1);
    traps(await run(code(push(1), push(62), stor(Space.m32), Op.HALT), m), Trap.MEMORY_OUT_OF_BOUNDS, 2);
    traps(await run(code(push(0), load(Space.m8), Op.HALT), { maxMemory: 0, rets: 1 }), Trap.MEMORY_OUT_OF_BOUNDS, 1);
    // len range: (0, max_memory) is fine, (1, max_memory) is not, huge lengths do not wrap
    halts(await run(code(push(0), push(64), Op.LOG, Op.HALT), { maxMemory: 64 }), [], 16);
    traps(await run(code(push(1), push(64), Op.LOG, Op.HALT), { maxMemory: 64 }), Trap.MEMORY_OUT_OF_BOUNDS, 2);
    traps(await run(code(push(8), push(-8), Op.LOG, Op.HALT), { maxMemory: 64 }), Trap.MEMORY_OUT_OF_BOUNDS, 2);
    traps(await run(code(push(MAX), push(MAX), Op.LOG, Op.HALT), { maxMemory: 64 }), Trap.MEMORY_OUT_OF_BOUNDS, 2);
  });
  it("the input is at address 0, LOAD.inlen gives its length, MSIZE max_memory", async () => {
    const input = Uint8Array.of(0xaa, 0xbb, 0xcc);
    halts(await run(code(load(Space.inlen), push(1), load(Space.m8), Op.MSIZE, Op.HALT), { input, maxMemory: 100, rets: 3 }), [3n, 0xbbn, 100n], 3 + 1 + 3 + 2 + 2);
    // memory beyond the input is zero
    halts(await run(code(push(3), load(Space.m8), Op.HALT), { input, rets: 1 }), [0n]);
    // input may fill memory exactly
    halts(await run(code(push(7), load(Space.m8), Op.HALT), { input: new Uint8Array(8).fill(5), maxMemory: 8, rets: 1 }), [5n]);
  });
  it("STORE.copy moves overlapping ranges and costs 3 + 1/32 B", async () => {
    const input = Uint8Array.from({ length: 40 }, (_, i) => i + 1);
    // copy [0..33) to [1..34): memmove
    const r = await run(code(push(1), push(0), push(33), stor(Space.copy), push(0), push(40), Op.EMIT, Op.HALT), { input, maxMemory: 64 });
    halts(r, [], 3 + 5 + 2 + 7 + 2);
    const want = Uint8Array.from(input);
    want.copyWithin(1, 0, 33);
    expect(r.result.output).toEqual(want);
    traps(await run(code(push(0), push(60), push(5), stor(Space.copy)), { maxMemory: 64 }), Trap.MEMORY_OUT_OF_BOUNDS, 3);
    traps(await run(code(push(60), push(0), push(5), stor(Space.copy)), { maxMemory: 64 }), Trap.MEMORY_OUT_OF_BOUNDS, 3);
    halts(await run(code(push(0), push(0), push(0), stor(Space.copy), Op.HALT)), [], 3 + 3 + 2);
  });
});

// ------------------------------------------------------------------ output and logs
describe("EMIT and LOG", () => {
  it("EMIT appends to the output, cost 5 + 1/32 B, up to MAX_OUTPUT", async () => {
    const input = new TextEncoder().encode("hello");
    const r = await run(code(push(0), push(5), Op.EMIT, push(0), push(2), Op.EMIT, Op.HALT), { input });
    halts(r, [], 2 + 6 + 2 + 6 + 2);
    expect(new TextDecoder().decode(r.result.output)).toBe("hellohe");
    // 4096 bytes exactly fit; one more byte traps after charging
    const big = { maxMemory: 4096 };
    const full = await run(code(push(0), push(4096), Op.EMIT, Op.HALT), big);
    halts(full, [], 2 + 5 + 128 + 2);
    expect(full.result.output.length).toBe(4096);
    traps(await run(code(push(0), push(4096), Op.EMIT, push(0), push(1), Op.EMIT, Op.HALT), big), Trap.OUTPUT_LIMIT_EXCEEDED, 2 + 133 + 2 + 6);
    // empty EMIT at the limit is fine
    halts(await run(code(push(0), push(4096), Op.EMIT, push(0), push(0), Op.EMIT, Op.HALT), big), []);
  });
  it("LOG records are kept on HALT, ABORT and TRAP", async () => {
    const input = Uint8Array.of(1, 2, 3);
    const logs = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)];
    const body = [push(0), push(2), Op.LOG, push(0), push(0), Op.LOG, push(2), push(1), Op.LOG];
    const h = await run(code(...body, Op.HALT), { input });
    halts(h, [], 3 * (2 + 11) - 1 + 2);
    expect(h.result.logs).toEqual(logs);
    const a = await run(code(...body, push(3), Op.ABORT), { input });
    expect(a.result.status).toBe(Status.ABORT);
    expect(a.result.logs).toEqual(logs);
    const t = await run(code(...body, Op.ADD), { input });
    traps(t, Trap.STACK_UNDERFLOW);
    expect(t.result.logs).toEqual(logs);
  });
  it("LOG traps past MAX_LOGS records or MAX_LOG_BYTES bytes", async () => {
    const one = [push(0), push(0), Op.LOG];
    const r32 = await run(code(...Array(32).fill(one).flat(), Op.HALT));
    halts(r32, []);
    expect(r32.result.logs.length).toBe(32);
    const r33 = await run(code(...Array(33).fill(one).flat(), Op.HALT));
    traps(r33, Trap.LOG_LIMIT_EXCEEDED, 33 * 12);
    expect(r33.result.logs.length).toBe(32);
    const m = { maxMemory: 4096 };
    const b = await run(code(push(0), push(2048), Op.LOG, Op.HALT), m);
    halts(b, []);
    expect(b.result.logs[0].length).toBe(2048);
    const b2 = await run(code(push(0), push(2000), Op.LOG, push(0), push(49), Op.LOG, Op.HALT), m);
    traps(b2, Trap.LOG_LIMIT_EXCEEDED, 2 + 73 + 2 + 12);
    expect(b2.result.logs.length).toBe(1);
  });
});

// ------------------------------------------------------------------ state
describe("state", () => {
  const key = (s: string) => new TextEncoder().encode(s);
  const hx = (s: string) => bytesToHex(key(s));
  it("STORE.state then LOAD.state, committed on HALT", async () => {
    // memory: key "k" at 0, value "vv" at 1..3
    const input = key("kvv");
    const c = code(push(0), push(1), push(1), push(2), stor(Space.state), // store k = vv
      push(0), push(1), push(10), push(8), load(Space.state), // load into 10, cap 8 -> 2
      push(10), load(Space.m16), Op.HALT);
    const r = await run(c, { input, rets: 2 });
    halts(r, [2n, 0x7676n], 4 + 4 + 4 + 4 + 4 + 2);
    const want: StateMap = new Map([[hx("k"), key("vv")]]);
    expect(r.state).toEqual(want);
    expect(bytesToHex(r.result.stateHash)).toBe(bytesToHex(stateHash(want)));
  });
  it("LOAD.state copies min(len, cap) and pushes the full length, -1 when absent", async () => {
    const state: StateMap = new Map([[hx("a"), key("12345")]]);
    const r = await run(code(push(0), push(1), push(8), push(2), load(Space.state), push(8), load(Space.m64),
      push(1), push(1), push(20), push(4), load(Space.state), Op.HALT), { input: key("ab"), state, rets: 3 });
    halts(r, [5n, 0x3231n, -1n]);
    expect(r.state).toEqual(state);
  });
  it("LOAD.state cost is 3 + 1/32 B of klen + cap", async () => {
    halts(await run(code(push(0), push(1), push(0), push(32), load(Space.state), Op.HALT), { rets: 1 }), [-1n], 4 + 5 + 2);
    halts(await run(code(push(0), push(1), push(0), push(31), load(Space.state), Op.HALT), { rets: 1 }), [-1n], 4 + 4 + 2);
  });
  it("keys must be 1..64 bytes: INVALID_STATE_KEY before charging, after memory checks", async () => {
    traps(await run(code(push(0), push(0), push(0), push(0), stor(Space.state))), Trap.INVALID_STATE_KEY, 4);
    traps(await run(code(push(0), push(65), push(0), push(0), stor(Space.state))), Trap.INVALID_STATE_KEY, 4);
    traps(await run(code(push(0), push(65), push(0), push(0), load(Space.state))), Trap.INVALID_STATE_KEY, 4);
    traps(await run(code(push(0), push(0), stor(Space.del))), Trap.INVALID_STATE_KEY, 2);
    // memory first: a bad key length with a bad range is MEMORY_OUT_OF_BOUNDS
    traps(await run(code(push(0), push(0), push(2000), push(1), stor(Space.state))), Trap.MEMORY_OUT_OF_BOUNDS, 4);
    halts(await run(code(push(0), push(64), push(0), push(0), stor(Space.state), Op.HALT)), []);
  });
  it("STORE.del removes a key, absent keys are no-ops", async () => {
    const state: StateMap = new Map([[hx("a"), key("1")], [hx("b"), key("2")], [hx("cc"), key("3")]]);
    const r = await run(code(push(0), push(1), stor(Space.del), push(5), push(1), stor(Space.del), Op.HALT), { input: key("a"), state });
    halts(r, [], 2 + 4 + 2 + 4 + 2);
    expect(r.state).toEqual(new Map([[hx("b"), key("2")], [hx("cc"), key("3")]]));
  });
  it("replacing values with shorter, equal and longer ones keeps the order canonical", async () => {
    const state: StateMap = new Map([[hx("a"), key("111")], [hx("b"), key("222")], [hx("zz"), key("x")], [hx("c"), key("")]]);
    // input: "b" at 0, "Q" at 1.., "c" at 9
    const input = key("bQQQQQQQQc");
    const c = code(
      push(0), push(1), push(1), push(1), stor(Space.state), // b = "Q"
      push(9), push(1), push(1), push(8), stor(Space.state), // c = "QQQQQQQQ"
      push(1), push(1), push(1), push(8), stor(Space.state), // Q = "QQQQQQQQ"... wait key Q at 1
      Op.HALT);
    const r = await run(c, { input, state });
    halts(r, []);
    const want: StateMap = new Map([[hx("a"), key("111")], [hx("b"), key("Q")], [hx("c"), key("QQQQQQQQ")], [hx("Q"), key("QQQQQQQQ")], [hx("zz"), key("x")]]);
    expect(r.state).toEqual(want);
    expect(bytesToHex(r.result.stateHash)).toBe(bytesToHex(stateHash(want)));
  });
  it("an empty value is not an absent key", async () => {
    const r = await run(code(push(0), push(1), push(0), push(0), stor(Space.state), push(0), push(1), push(0), push(0), load(Space.state), Op.HALT), { input: key("k"), rets: 1 });
    halts(r, [0n]);
    expect(r.state).toEqual(new Map([[hx("k"), new Uint8Array(0)]]));
  });
  it("STATE_LIMIT_EXCEEDED after charging leaves the prior state", async () => {
    // max 16: entry "k"(1) + 11 value bytes = 16 fits exactly; 12 does not
    const ok = await run(code(push(0), push(1), push(0), push(11), stor(Space.state), Op.HALT), { maxStateSize: 16 });
    halts(ok, []);
    const prior: StateMap = new Map([[bytesToHex(Uint8Array.of(0)), key("abc")]]);
    const bad = await run(code(push(0), push(1), push(0), push(12), stor(Space.state), Op.HALT), { maxStateSize: 16 });
    traps(bad, Trap.STATE_LIMIT_EXCEEDED, 4 + 4);
    // replacing counts the old entry out: prior {00: abc} (8 bytes), set 00 = 11 bytes -> 16 fits
    const rep = await run(code(push(0), push(1), push(0), push(11), stor(Space.state), Op.HALT), { maxStateSize: 16, state: prior });
    halts(rep, []);
    expect(rep.state).toEqual(new Map([[bytesToHex(Uint8Array.of(0)), new Uint8Array(11)]]));
    const rb = await run(code(push(0), push(1), push(0), push(12), stor(Space.state), Op.HALT), { maxStateSize: 16, state: prior });
    traps(rb, Trap.STATE_LIMIT_EXCEEDED);
    expect(rb.state).toEqual(prior);
    expect(bytesToHex(rb.result.stateHash)).toBe(bytesToHex(stateHash(prior)));
  });
  it("a trap rolls back every store of the call", async () => {
    const prior: StateMap = new Map([[hx("a"), key("1")]]);
    const r = await run(code(push(0), push(1), stor(Space.del), push(0), push(1), push(0), push(1), stor(Space.state), push(1), push(0), Op.DIV), { input: key("b"), state: prior });
    traps(r, Trap.DIVISION_BY_ZERO);
    expect(r.state).toEqual(prior);
    expect(bytesToHex(r.result.stateHash)).toBe(bytesToHex(stateHash(prior)));
  });
  it("the state of a HALT without stores is the prior state", async () => {
    const prior: StateMap = new Map([[hx("x"), key("1")], [bytesToHex(new Uint8Array(64).fill(7)), new Uint8Array(300).fill(1)]]);
    const r = await run(code(Op.HALT), { state: prior });
    expect(r.state).toEqual(prior);
    expect(bytesToHex(r.result.stateHash)).toBe(bytesToHex(stateHash(prior)));
  });
  it("fills max_state_size with many small entries, then deletes them all", async () => {
    // 6553 entries of 5 bytes (1-byte key, empty value) would need 32765 bytes; use 2-byte keys: 6 bytes each, 5461 entries = 32766
    const n = 5461;
    // loop: i from 0 to n-1: store i (2 bytes at 0) as key, empty value
    // 0: PUSH 0 (counter)
    // L: DUP PUSH 0 STORE.m16 ; PUSH 0 PUSH 2 PUSH 0 PUSH 0 STORE.state ; PUSH 1 ADD DUP PUSH n LT JNZ L ; HALT
    const L = 2;
    const body = code(push(0), Op.DUP, push(0), stor(Space.m16), push(0), push(2), push(0), push(0), stor(Space.state),
      push(1), Op.ADD, Op.DUP, push(n), Op.LT, tgt(Op.JNZ, L), Op.HALT);
    const r = await run(body, { maxStateSize: Limit.MAX_STATE_SIZE, maxCycles: 10_000_000, rets: 1 });
    halts(r, [BigInt(n)]);
    expect(r.state!.size).toBe(n);
    const want: StateMap = new Map();
    for (let i = 0; i < n; i++) want.set(bytesToHex(Uint8Array.of(i & 0xff, i >> 8)), new Uint8Array(0));
    expect(bytesToHex(r.result.stateHash)).toBe(bytesToHex(stateHash(want)));
    // one more entry does not fit
    const r2 = await run(code(push(0xffff), push(0), stor(Space.m16), push(0), push(2), push(0), push(0), stor(Space.state), Op.HALT), { maxStateSize: Limit.MAX_STATE_SIZE, state: want });
    traps(r2, Trap.STATE_LIMIT_EXCEEDED);
    // delete them all, in reverse
    const del = code(push(n), Op.DUP, push(1), Op.SUB, Op.DUP, push(0), stor(Space.m16), push(0), push(2), stor(Space.del),
      Op.DUP, push(1), Op.SUB, Op.DUP, tgt(Op.JNZ, 3), Op.HALT);
    void del;
    const d = await run(code(push(n), /*3*/ push(1), Op.SUB, Op.DUP, push(0), stor(Space.m16), push(0), push(2), stor(Space.del), Op.DUP, tgt(Op.JNZ, 4), Op.HALT),
      { maxStateSize: Limit.MAX_STATE_SIZE, state: want, maxCycles: 10_000_000, rets: 1 });
    halts(d, [0n]);
    expect(d.state!.size).toBe(0);
  });
});

// ------------------------------------------------------------------ system ops
describe("system", () => {
  const id = (b: number) => new Uint8Array(16).fill(b);
  const ctx = (): Context => ({ sender: id(1), self: id(2), epoch: 77n, balances: new Map([[bytesToHex(id(2)), 100n], [bytesToHex(id(3)), MAX], [bytesToHex(id(0)), 5n]]) });
  it("SENDER SELF EPOCH BALANCE", async () => {
    const r = await run(code(push(0), Op.SENDER, push(16), Op.SELF, push(0), push(32), Op.EMIT, Op.EPOCH,
      push(16), Op.BALANCE, push(64), Op.BALANCE, Op.HALT), { context: ctx(), input: new Uint8Array(80).fill(3).fill(0, 0, 64), rets: 3 });
    halts(r, [77n, 100n, MAX], 1 + 2 + 1 + 2 + 1 + 1 + 6 + 5 + 1 + 10 + 1 + 10 + 2);
    expect(r.result.output).toEqual(new Uint8Array([...id(1), ...id(2)]));
    halts(await run(code(push(0), Op.BALANCE, push(100), Op.BALANCE, Op.HALT), { context: ctx(), input: new Uint8Array(16).fill(0x44), rets: 2 }), [0n, 5n]);
    traps(await run(code(push(1009), Op.BALANCE), { context: ctx() }), Trap.MEMORY_OUT_OF_BOUNDS, 1);
    traps(await run(code(push(1009), Op.SENDER), { context: ctx() }), Trap.MEMORY_OUT_OF_BOUNDS, 1);
    traps(await run(code(push(-1), Op.SELF), { context: ctx() }), Trap.MEMORY_OUT_OF_BOUNDS, 1);
  });
  it("BALANCE finds every id of a large snapshot", async () => {
    const balances = new Map<string, bigint>();
    for (let i = 0; i < 500; i++) { const k = new Uint8Array(16); k[0] = i & 0xff; k[15] = i >> 8; balances.set(bytesToHex(k), BigInt(i * 1000 + 1)); }
    const c: Context = { ...emptyContext(), balances };
    for (const i of [0, 1, 255, 256, 499]) {
      const k = new Uint8Array(16); k[0] = i & 0xff; k[15] = i >> 8;
      halts(await run(code(push(0), Op.BALANCE, Op.HALT), { context: c, input: k, rets: 1 }), [BigInt(i * 1000 + 1)]);
    }
    const miss = new Uint8Array(16); miss[0] = 1; miss[15] = 2;
    halts(await run(code(push(0), Op.BALANCE, Op.HALT), { context: c, input: miss, rets: 1 }), [0n]);
  });
  it("TRANSFER records while SELF's snapshot balance covers it; BALANCE does not change", async () => {
    const r = await run(code(push(0), push(60), Op.TRANSFER, push(0), push(41), Op.TRANSFER, push(0), push(40), Op.TRANSFER,
      push(16), Op.BALANCE, Op.HALT), { context: ctx(), input: new Uint8Array(32).fill(9).fill(2, 16), rets: 4 });
    halts(r, [1n, 0n, 1n, 100n], 3 * (1 + 1 + 50) + 1 + 10 + 2);
    expect(r.result.transfers).toEqual([{ to: new Uint8Array(16).fill(9), amount: 60n }, { to: new Uint8Array(16).fill(9), amount: 40n }]);
  });
  it("TRANSFER: amount <= 0 traps INVALID_AMOUNT before charging; memory is checked first", async () => {
    traps(await run(code(push(0), push(0), Op.TRANSFER), { context: ctx() }), Trap.INVALID_AMOUNT, 2);
    traps(await run(code(push(0), push(-5), Op.TRANSFER), { context: ctx() }), Trap.INVALID_AMOUNT, 2);
    traps(await run(code(push(-1), push(0), Op.TRANSFER), { context: ctx() }), Trap.MEMORY_OUT_OF_BOUNDS, 2);
    // insufficient balance with no SELF entry: pushes 0
    halts(await run(code(push(0), push(1), Op.TRANSFER, Op.HALT), { rets: 1 }), [0n], 2 + 50 + 2);
  });
  it("TRANSFER_LIMIT_EXCEEDED on the 17th recorded transfer, not on a refused one", async () => {
    const one = [push(0), push(1), Op.TRANSFER, Op.POP];
    const r16 = await run(code(...Array(16).fill(one).flat(), push(0), push(1000), Op.TRANSFER, Op.HALT), { context: ctx(), rets: 1 });
    halts(r16, [0n]);
    expect(r16.result.transfers.length).toBe(16);
    const r17 = await run(code(...Array(17).fill(one).flat(), Op.HALT), { context: ctx() });
    traps(r17, Trap.TRANSFER_LIMIT_EXCEEDED, 16 * 53 + 52);
  });
  it("transfers and output are dropped on TRAP", async () => {
    const r = await run(code(push(0), push(1), Op.TRANSFER, push(0), push(1), Op.EMIT, Op.ADD, Op.ADD, Op.ADD), { context: ctx() });
    traps(r, Trap.STACK_UNDERFLOW);
  });
});

// ------------------------------------------------------------------ crypto
describe("crypto", () => {
  it("HASH writes Blake3-256, may overlap its source, costs 500 + 10/64 B", async () => {
    const input = new TextEncoder().encode("abcdefghijklmnopqrstuvwxyz0123456789-abcdefghijklmnopqrstuvwxyz0123456789");
    const r = await run(code(push(0), push(65), push(1), Op.HASH, push(1), push(32), Op.EMIT, Op.HALT), { input });
    halts(r, [], 3 + 500 + 20 + 2 + 6 + 2);
    expect(bytesToHex(r.result.output)).toBe(bytesToHex(hash32(input.subarray(0, 65))));
    const e = await run(code(push(0), push(0), push(0), Op.HASH, push(0), push(32), Op.EMIT, Op.HALT));
    halts(e, [], 3 + 500 + 2 + 6 + 2);
    expect(bytesToHex(e.result.output)).toBe(bytesToHex(hash32(new Uint8Array(0))));
    traps(await run(code(push(0), push(0), push(1000), Op.HASH), {}), Trap.MEMORY_OUT_OF_BOUNDS, 3);
  });
  it("VERIFY_SIG accepts a valid Ed25519 signature and rejects a changed one", async () => {
    const sk = new Uint8Array(32).fill(7);
    const pk = ed25519.getPublicKey(sk);
    const msg = new TextEncoder().encode("mehr");
    const sig = ed25519.sign(msg, sk);
    const input = new Uint8Array([...pk, ...sig, ...msg]);
    const c = code(push(0), push(96), push(4), push(32), Op.VERIFY_SIG, Op.HALT);
    halts(await run(c, { input, rets: 1 }), [1n], 4 + 1010 + 2);
    const bad = Uint8Array.from(input); bad[96] ^= 1;
    halts(await run(c, { input: bad, rets: 1 }), [0n]);
    const badS = Uint8Array.from(input); badS[95] = 0xff; // S >= L
    halts(await run(c, { input: badS, rets: 1 }), [0n]);
    traps(await run(code(push(0), push(96), push(4), push(1000), Op.VERIFY_SIG), { input }), Trap.MEMORY_OUT_OF_BOUNDS, 4);
  });
  it("VERIFY_VRF: RFC 9381 B.3 example 17, output written only when valid", async () => {
    const pk = hexToBytes("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
    const pi = hexToBytes("f3141cd382dc42909d19ec5110469e4feae18300e94f304590abdced48aed5933bf0864a62558b3ed7f2fea45c92a465301b3bbf5e3e54ddf2d935be3b67926da3ef39226bbc355bdc9850112c8f4b02");
    const beta = "eb4440665d3891d668e7e0fcaf587f1b4bd7fbfe99d0eb2211ccec90496310eb5e33821bc613efb94db5e5b54c70a848a0bef4553a41befc57663b56373a5031";
    const input = new Uint8Array([...pk, 0x72, ...pi]); // pk 0..32, alpha 32, proof 33..113
    const c = code(push(0), push(32), push(1), push(33), push(200), Op.VERIFY_VRF, push(200), push(64), Op.EMIT, Op.HALT);
    const r = await run(c, { input, rets: 1 });
    halts(r, [1n], 5 + 2010 + 2 + 7 + 2);
    expect(bytesToHex(r.result.output)).toBe(beta);
    const bad = Uint8Array.from(input); bad[32] = 0x73;
    const rb = await run(c, { input: bad, rets: 1 });
    halts(rb, [0n]);
    expect(rb.result.output).toEqual(new Uint8Array(64));
    traps(await run(code(push(0), push(32), push(1), push(33), push(961), Op.VERIFY_VRF), { input }), Trap.MEMORY_OUT_OF_BOUNDS, 5);
  });
});

// ------------------------------------------------------------------ validation
/** Re-encodes a job after editing its CBOR tree. */
function edit(j: Job, f: (m: CborMap) => void): Uint8Array {
  const m = jobToCbor(j);
  f(m);
  return encodeCanonical(m);
}
const K = (n: number) => BigInt(n);
const contractOf = (m: CborMap) => m.get(K(1)) as CborMap;
const ok = () => makeJob(code(push(1), Op.HALT), { rets: 1 });

describe("validation (SPEC §7)", () => {
  it("0: JOB_TOO_LARGE over 65536 bytes, with the job's hash", async () => {
    const big = new Uint8Array(Limit.MAX_JOB_SIZE + 1);
    const r = await engine.run(big);
    invalid(r, ErrorCode.JOB_TOO_LARGE);
    expect(r.result.jobHash).toEqual(hash32(big));
    // exactly 65536 bytes is decoded (and here malformed)
    invalid(await runBytes(new Uint8Array(Limit.MAX_JOB_SIZE)), ErrorCode.MALFORMED_ENCODING);
  });
  it("1: MALFORMED_ENCODING", async () => {
    const good = encodeJob(ok());
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(...good, 0), // trailing byte
      good.subarray(0, good.length - 1), // truncated
      Uint8Array.of(0x18, 0x05), // non-shortest integer
      Uint8Array.of(0x19, 0x00, 0x10),
      Uint8Array.of(0x5f, 0x41, 0x00, 0xff), // indefinite bstr
      Uint8Array.of(0x9f, 0xff), // indefinite array
      Uint8Array.of(0xf9, 0x3c, 0x00), // float
      Uint8Array.of(0xf4), // false
      Uint8Array.of(0xf6), // null
      Uint8Array.of(0xc1, 0x00), // tag
      Uint8Array.of(0x1c), // reserved additional info
      Uint8Array.of(0xa2, 0x01, 0x00, 0x00, 0x00), // unsorted keys
      Uint8Array.of(0xa2, 0x00, 0x00, 0x00, 0x00), // duplicate keys
      Uint8Array.of(0xa2, 0x41, 0x00, 0x00, 0x00, 0x00), // key order by encoding: 0x00 < 0x41
      Uint8Array.of(0x62, 0xc3, 0x28), // invalid UTF-8
      Uint8Array.of(0x63, 0xed, 0xa0, 0x80), // surrogate
      Uint8Array.of(0x62, 0xc0, 0x80), // overlong
      Uint8Array.of(0x5a, 0xff, 0xff, 0xff, 0xff), // length past the end
      Uint8Array.of(0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // huge count
      Uint8Array.of(...Array(17).fill(0x81), 0x00), // depth 18
      Uint8Array.of(...Array(16).fill(0x81), 0x00), // depth 17 (the integer)
    ];
    for (const b of cases) invalid(await runBytes(b), ErrorCode.MALFORMED_ENCODING);
    // depth 16 is fine (and then the wrong shape)
    invalid(await runBytes(Uint8Array.of(...Array(15).fill(0x81), 0x00)), ErrorCode.BAD_JOB_SHAPE);
    invalid(await runBytes(Uint8Array.of(0x62, 0xc3, 0xa9)), ErrorCode.BAD_JOB_SHAPE);
  });
  it("2: BAD_JOB_SHAPE", async () => {
    const j = ok();
    const cases = [
      edit(j, (m) => m.delete(K(4))),
      edit(j, (m) => m.set(K(7), 0n)),
      edit(j, (m) => m.set(K(0), "1")),
      edit(j, (m) => m.set(K(2), new Uint8Array(4))),
      edit(j, (m) => m.set(K(3), [1n << 63n])),
      edit(j, (m) => m.set(K(3), [-(1n << 63n) - 1n])),
      edit(j, (m) => m.set(K(3), [new Uint8Array(1)])),
      edit(j, (m) => m.set(K(4), "")),
      edit(j, (m) => m.set(K(1), [])),
      edit(j, (m) => (m.get(K(5)) as CborMap).delete(K(3))),
      edit(j, (m) => (m.get(K(5)) as CborMap).set(K(2), -1n)),
      edit(j, (m) => (m.get(K(5)) as CborMap).set(K(0), "x")),
      edit(j, (m) => (m.get(K(5)) as CborMap).set(K(3), new Map<CborValue, CborValue>([[new Uint8Array(16), -1n]]))),
      edit(j, (m) => (m.get(K(5)) as CborMap).set(K(3), new Map<CborValue, CborValue>([[1n, 1n]]))),
      edit(j, (m) => m.set(K(6), new Map<CborValue, CborValue>([[new Uint8Array(1), 1n]]))),
      edit(j, (m) => m.set(K(6), new Map<CborValue, CborValue>([["k", new Uint8Array(1)]]))),
      encodeCanonical([1n]),
      encodeCanonical(1n),
    ];
    for (const b of cases) invalid(await runBytes(b), ErrorCode.BAD_JOB_SHAPE);
    // the largest and smallest args are accepted
    halts(await run(code(Op.HALT), { args: [MAX, MIN], rets: 2 }), [MAX, MIN]);
  });
  it("3 and 5: UNSUPPORTED_VERSION", async () => {
    invalid(await runBytes(edit(ok(), (m) => m.set(K(0), 2n))), ErrorCode.UNSUPPORTED_VERSION);
    invalid(await runBytes(edit(ok(), (m) => contractOf(m).set(K(0), 0n))), ErrorCode.UNSUPPORTED_VERSION);
    // job version is checked before the contract shape
    invalid(await runBytes(edit(ok(), (m) => { m.set(K(0), 2n); contractOf(m).delete(K(3)); })), ErrorCode.UNSUPPORTED_VERSION);
  });
  it("4: BAD_CONTRACT_SHAPE", async () => {
    const j = ok();
    const cases = [
      edit(j, (m) => contractOf(m).set(K(8), new Uint8Array(0))), // wasm_tier key
      edit(j, (m) => contractOf(m).delete(K(6))),
      edit(j, (m) => contractOf(m).set(K(1), new Uint8Array(31))),
      edit(j, (m) => contractOf(m).set(K(6), new Uint8Array(33))),
      edit(j, (m) => contractOf(m).set(K(3), -1n)),
      edit(j, (m) => contractOf(m).set(K(2), "code")),
      edit(j, (m) => contractOf(m).set(K(7), [["main", 0n, 0n]])),
      edit(j, (m) => contractOf(m).set(K(7), [["main", 0n, 0n, -1n]])),
      edit(j, (m) => contractOf(m).set(K(7), [[new Uint8Array(1), 0n, 0n, 0n]])),
      edit(j, (m) => contractOf(m).set(K(7), new Map())),
    ];
    for (const b of cases) invalid(await runBytes(b), ErrorCode.BAD_CONTRACT_SHAPE);
    // contract version is checked after the contract shape
    invalid(await runBytes(edit(j, (m) => { contractOf(m).set(K(0), 2n); contractOf(m).delete(K(6)); })), ErrorCode.BAD_CONTRACT_SHAPE);
  });
  it("6: LIMIT_OUT_OF_RANGE", async () => {
    invalid(await run(code(Op.HALT), { maxMemory: Limit.MAX_MEMORY + 1 }), ErrorCode.LIMIT_OUT_OF_RANGE);
    invalid(await run(code(Op.HALT), { maxCycles: Limit.MAX_CYCLES + 1 }), ErrorCode.LIMIT_OUT_OF_RANGE);
    invalid(await run(code(Op.HALT), { maxStateSize: Limit.MAX_STATE_SIZE + 1 }), ErrorCode.LIMIT_OUT_OF_RANGE);
    invalid(await runBytes(edit(ok(), (m) => contractOf(m).set(K(4), (1n << 64n) - 1n))), ErrorCode.LIMIT_OUT_OF_RANGE);
    halts(await run(code(Op.HALT), { maxMemory: Limit.MAX_MEMORY, maxStateSize: Limit.MAX_STATE_SIZE }), []);
  });
  it("7: BAD_CODE_SIZE, 8: HASH_MISMATCH", async () => {
    invalid(await run(new Uint8Array(0)), ErrorCode.BAD_CODE_SIZE);
    invalid(await runBytes(edit(ok(), (m) => { contractOf(m).set(K(1), new Uint8Array(32)); })), ErrorCode.HASH_MISMATCH);
    // code size comes before the hash
    invalid(await runBytes(edit(ok(), (m) => { contractOf(m).set(K(2), new Uint8Array(0)); })), ErrorCode.BAD_CODE_SIZE);
  });
  it("9: UNKNOWN_OPCODE, TRUNCATED_IMMEDIATE, BAD_IMMEDIATE at the first problem", async () => {
    const v = async (c: number[], err: number) => invalid(await run(code(c)), err);
    await v([0x00], ErrorCode.UNKNOWN_OPCODE);
    await v([Op.HALT, 0x07], ErrorCode.UNKNOWN_OPCODE);
    await v([0xff], ErrorCode.UNKNOWN_OPCODE);
    await v([Op.PUSH], ErrorCode.TRUNCATED_IMMEDIATE);
    await v([Op.PUSH, 2, 1], ErrorCode.TRUNCATED_IMMEDIATE);
    await v([Op.JMP, 0], ErrorCode.TRUNCATED_IMMEDIATE);
    await v([Op.LOAD], ErrorCode.TRUNCATED_IMMEDIATE);
    await v([Op.PUSH, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9], ErrorCode.BAD_IMMEDIATE);
    await v([Op.PUSH, 9], ErrorCode.BAD_IMMEDIATE); // length checked once present
    await v([Op.PUSH, 1, 0], ErrorCode.BAD_IMMEDIATE); // 0 takes n = 0
    await v([Op.PUSH, 2, 0x7f, 0x00], ErrorCode.BAD_IMMEDIATE);
    await v([Op.PUSH, 2, 0xff, 0xff], ErrorCode.BAD_IMMEDIATE);
    await v([Op.PUSH, 8, 0, 0, 0, 0, 0, 0, 0, 0], ErrorCode.BAD_IMMEDIATE);
    await v([Op.LOAD, Space.del], ErrorCode.BAD_IMMEDIATE);
    await v([Op.LOAD, Space.copy], ErrorCode.BAD_IMMEDIATE);
    await v([Op.STORE, Space.inlen], ErrorCode.BAD_IMMEDIATE);
    await v([Op.LOAD, 0x03], ErrorCode.BAD_IMMEDIATE);
    await v([Op.STORE, 0x00], ErrorCode.BAD_IMMEDIATE);
    // first problem wins
    await v([0x07, Op.PUSH], ErrorCode.UNKNOWN_OPCODE);
    await v([Op.PUSH, 1, 0, 0x07], ErrorCode.BAD_IMMEDIATE);
    await v([Op.LOAD, 0x03, Op.PUSH], ErrorCode.BAD_IMMEDIATE);
    // an immediate's bytes are not opcodes
    halts(await run(code(push(7), Op.HALT), { rets: 1 }), [7n]);
  });
  it("10: BAD_JUMP_TARGET", async () => {
    invalid(await run(code(tgt(Op.JMP, 4), push(1), Op.HALT)), ErrorCode.BAD_JUMP_TARGET); // into PUSH's value
    invalid(await run(code(tgt(Op.CALL, 4), Op.HALT)), ErrorCode.BAD_JUMP_TARGET); // the end of the code
    invalid(await run(code(Op.HALT, tgt(Op.JZ, 0xffff))), ErrorCode.BAD_JUMP_TARGET);
    // scanning errors come first even when they sit after a bad target
    invalid(await run(code(tgt(Op.JMP, 9), 0x07)), ErrorCode.UNKNOWN_OPCODE);
  });
  it("11: BAD_FUNCTION_TABLE", async () => {
    const c = code(push(1), Op.HALT);
    const f = (fs: FunctionSignature[]) => run(c, { functions: fs, fn: fs[0]?.name ?? "main" });
    const good = { name: "main", entry: 0, args: 0, rets: 0 };
    invalid(await f([]), ErrorCode.BAD_FUNCTION_TABLE);
    invalid(await f(Array.from({ length: 33 }, (_, i) => ({ ...good, name: `f${i}` }))), ErrorCode.BAD_FUNCTION_TABLE);
    invalid(await f([good, { ...good }]), ErrorCode.BAD_FUNCTION_TABLE);
    invalid(await f([good, { ...good, name: "" }]), ErrorCode.BAD_FUNCTION_TABLE);
    invalid(await f([good, { ...good, name: "x".repeat(33) }]), ErrorCode.BAD_FUNCTION_TABLE);
    invalid(await f([good, { ...good, name: "é".repeat(17) }]), ErrorCode.BAD_FUNCTION_TABLE); // 34 bytes
    invalid(await f([good, { ...good, name: "b", entry: 1 }]), ErrorCode.BAD_FUNCTION_TABLE);
    invalid(await f([good, { ...good, name: "b", entry: 4 }]), ErrorCode.BAD_FUNCTION_TABLE); // the end of the code
    invalid(await f([good, { ...good, name: "b", args: 17 }]), ErrorCode.BAD_FUNCTION_TABLE);
    invalid(await f([good, { ...good, name: "b", rets: 17 }]), ErrorCode.BAD_FUNCTION_TABLE);
    halts(await f(Array.from({ length: 32 }, (_, i) => ({ ...good, name: i === 0 ? "main" : "x".repeat(i) + "é".repeat(0), entry: i % 2 === 0 ? 0 : 3, args: 0, rets: 0 }))), []);
    halts(await run(c, { functions: [{ name: "x".repeat(32), entry: 3, args: 16, rets: 16 }], fn: "x".repeat(32), args: Array(16).fill(3n) }), Array(16).fill(3n));
    // the table is checked before the function is looked up
    invalid(await run(c, { functions: [good, { ...good, name: "b", args: 17 }], fn: "zzz" }), ErrorCode.BAD_FUNCTION_TABLE);
  });
  it("12: UNKNOWN_FUNCTION, 13: ARGUMENT_MISMATCH, 14: INPUT_TOO_LARGE", async () => {
    const c = code(Op.HALT);
    invalid(await run(c, { fn: "Main" }), ErrorCode.UNKNOWN_FUNCTION);
    invalid(await run(c, { fn: "mai" }), ErrorCode.UNKNOWN_FUNCTION);
    invalid(await run(c, { functions: [{ name: "main", entry: 0, args: 1, rets: 0 }] }), ErrorCode.ARGUMENT_MISMATCH);
    invalid(await run(c, { functions: [{ name: "main", entry: 0, args: 0, rets: 0 }], args: [1n] }), ErrorCode.ARGUMENT_MISMATCH);
    invalid(await run(c, { maxMemory: 4, input: new Uint8Array(5) }), ErrorCode.INPUT_TOO_LARGE);
    halts(await run(c, { maxMemory: 5, input: new Uint8Array(5) }), []);
  });
  it("15: BAD_CONTEXT", async () => {
    const c = code(Op.HALT);
    const base = emptyContext();
    invalid(await run(c, { context: { ...base, sender: new Uint8Array(15) } }), ErrorCode.BAD_CONTEXT);
    invalid(await run(c, { context: { ...base, self: new Uint8Array(17) } }), ErrorCode.BAD_CONTEXT);
    invalid(await run(c, { context: { ...base, epoch: 1n << 63n } }), ErrorCode.BAD_CONTEXT);
    invalid(await run(c, { context: { ...base, balances: new Map([["00", 1n]]) } }), ErrorCode.BAD_CONTEXT);
    invalid(await run(c, { context: { ...base, balances: new Map([[bytesToHex(new Uint8Array(16)), 1n << 63n]]) } }), ErrorCode.BAD_CONTEXT);
    halts(await run(c, { context: { ...base, epoch: MAX, balances: new Map([[bytesToHex(new Uint8Array(16)), MAX]]) } }), []);
  });
  it("16: BAD_PRIOR_STATE", async () => {
    const c = code(Op.HALT);
    invalid(await runBytes(edit(ok(), (m) => m.set(K(6), new Map<CborValue, CborValue>([[new Uint8Array(0), new Uint8Array(1)]])))), ErrorCode.BAD_PRIOR_STATE);
    invalid(await run(c, { state: new Map([[bytesToHex(new Uint8Array(65)), new Uint8Array(0)]]) }), ErrorCode.BAD_PRIOR_STATE);
    invalid(await run(c, { maxStateSize: 9, state: new Map([["01", new Uint8Array(5)]]) }), ErrorCode.BAD_PRIOR_STATE);
    halts(await run(c, { maxStateSize: 10, state: new Map([["01", new Uint8Array(5)]]) }), []);
    invalid(await run(c, { maxStateSize: 0, state: new Map([["01", new Uint8Array(0)]]) }), ErrorCode.BAD_PRIOR_STATE);
  });
  it("the order of §7: a job with several problems gets the first", async () => {
    // bad context and bad prior state and unknown function: UNKNOWN_FUNCTION (12) first
    invalid(await run(code(Op.HALT), { fn: "nope", context: { ...emptyContext(), sender: new Uint8Array(1) } }), ErrorCode.UNKNOWN_FUNCTION);
    // input too large and bad context: INPUT_TOO_LARGE
    invalid(await run(code(Op.HALT), { maxMemory: 0, input: new Uint8Array(1), context: { ...emptyContext(), sender: new Uint8Array(1) } }), ErrorCode.INPUT_TOO_LARGE);
    // bad context and bad state: BAD_CONTEXT
    invalid(await run(code(Op.HALT), { maxStateSize: 0, state: new Map([["01", new Uint8Array(0)]]), context: { ...emptyContext(), sender: new Uint8Array(1) } }), ErrorCode.BAD_CONTEXT);
    // limit and code size: LIMIT_OUT_OF_RANGE
    invalid(await run(new Uint8Array(0), { maxMemory: 1 << 20 }), ErrorCode.LIMIT_OUT_OF_RANGE);
    // hash mismatch before bad opcodes
    invalid(await runBytes(edit(makeJob(code(0x07)), (m) => contractOf(m).set(K(1), new Uint8Array(32)))), ErrorCode.HASH_MISMATCH);
  });
});

// ------------------------------------------------------------------ result encoding
describe("result", () => {
  it("is the canonical map of SPEC §13, byte for byte", async () => {
    const j = makeJob(code(push(0), push(2), Op.LOG, push(0), push(3), Op.EMIT, push(-7), push(300), Op.HALT), { input: Uint8Array.of(1, 2, 3), rets: 2 });
    const bytes = encodeJob(j);
    const r = await runBytes(bytes);
    const want = encodeResult({
      version: 1, jobHash: hash32(bytes), status: 0, code: 0n, cycles: 2 + 11 + 2 + 6 + 2 + 2,
      returns: [-7n, 300n], output: Uint8Array.of(1, 2, 3), logs: [Uint8Array.of(1, 2)], transfers: [],
      stateHash: hash32(encodeState(new Map())),
    });
    expect(bytesToHex(r.resultBytes)).toBe(bytesToHex(want));
    expect(bytesToHex(r.resultHash)).toBe(bytesToHex(hash32(want)));
  });
});
