/** SPEC §7: every validation error code, and the order of the checks. */
import { describe, expect, it } from "vitest";
import { ErrorCode, Limit, Op, Space, Status } from "../../src/generated/opcodes.ts";
import { encodeCanonical, type CborMap, type CborValue } from "../../src/model/cbor.ts";
import { hash32, jobToCbor } from "../../src/model/codec.ts";
import { runJob, validateJob } from "../../src/reference/index.ts";
import { asm, jobBytes, makeJob, run, type JobSpec } from "./helpers.ts";

const HALT_CODE = asm("HALT");
const base: JobSpec = { code: HALT_CODE };

/** Validation error of a job given as bytes, or "ok". */
function check(bytes: Uint8Array): number | "ok" {
  const v = validateJob(bytes);
  return v.ok ? "ok" : v.error;
}

/** The job map of a spec, to be edited and encoded. */
function jobMap(s: JobSpec = base): CborMap {
  return jobToCbor(makeJob(s));
}
const contractOf = (j: CborMap): CborMap => j.get(1n) as CborMap;
const contextOf = (j: CborMap): CborMap => j.get(5n) as CborMap;
const enc = (v: CborValue): Uint8Array => encodeCanonical(v);

/** Encodes after an edit of the job map. */
function edited(edit: (job: CborMap) => void, s: JobSpec = base): Uint8Array {
  const j = jobMap(s);
  edit(j);
  return enc(j);
}

/** Replaces the code (re-hashing it, so only the code itself is at fault). */
function withCode(code: Uint8Array, s: JobSpec = base): Uint8Array {
  return edited((j) => {
    contractOf(j).set(2n, code);
    contractOf(j).set(1n, hash32(code));
  }, s);
}

describe("a well-formed job validates", () => {
  it("passes every step", () => {
    expect(check(jobBytes(base))).toBe("ok");
    expect(run(base).result.status).toBe(Status.HALT);
  });
});

describe("step 0: JOB_TOO_LARGE", () => {
  it("rejects MAX_JOB_SIZE + 1 bytes before decoding", () => {
    expect(check(new Uint8Array(Limit.MAX_JOB_SIZE + 1))).toBe(ErrorCode.JOB_TOO_LARGE);
  });
  it("accepts a well-formed job of exactly MAX_JOB_SIZE bytes and rejects one byte more", () => {
    // The input is bounded by max_memory, so pad with a prior-state value too;
    // both lengths stay in the 2-byte-length CBOR class, so the size is linear in them.
    const spec = (input: number): JobSpec => ({
      ...base,
      maxMemory: Limit.MAX_MEMORY,
      maxStateSize: Limit.MAX_STATE_SIZE,
      input: new Uint8Array(input),
      state: { aa: new Uint8Array(Limit.MAX_STATE_SIZE - Limit.STATE_ENTRY_OVERHEAD - 1) },
    });
    const probe = jobBytes(spec(30000)).length;
    const exact = jobBytes(spec(30000 + Limit.MAX_JOB_SIZE - probe));
    expect(exact.length).toBe(Limit.MAX_JOB_SIZE);
    expect(check(exact)).toBe("ok");
    const over = jobBytes(spec(30000 + Limit.MAX_JOB_SIZE - probe + 1));
    expect(over.length).toBe(Limit.MAX_JOB_SIZE + 1);
    expect(check(over)).toBe(ErrorCode.JOB_TOO_LARGE);
  });
  it("reports JOB_TOO_LARGE with the hash of all the bytes received", () => {
    const bytes = new Uint8Array(Limit.MAX_JOB_SIZE + 7).fill(3);
    const r = runJob(bytes);
    expect(r.result.status).toBe(Status.INVALID);
    expect(r.result.code).toBe(BigInt(ErrorCode.JOB_TOO_LARGE));
    expect(r.result.jobHash).toEqual(hash32(bytes));
  });
});

describe("step 1: MALFORMED_ENCODING", () => {
  const good = jobBytes(base);
  const cases: [string, Uint8Array][] = [
    ["empty input", new Uint8Array(0)],
    ["a trailing byte", Uint8Array.from([...good, 0x00])],
    ["a truncated job", good.subarray(0, good.length - 1)],
    ["a non-minimal integer head", Uint8Array.from([0x18, 0x05])],
    ["an indefinite-length array", Uint8Array.from([0x9f, 0x01, 0xff])],
    ["a float", Uint8Array.from([0xf9, 0x3c, 0x00])],
    ["false", Uint8Array.from([0xf4])],
    ["null", Uint8Array.from([0xf6])],
    ["a tag", Uint8Array.from([0xc2, 0x41, 0x01])],
    ["unsorted map keys", Uint8Array.from([0xa2, 0x01, 0x00, 0x00, 0x00])],
    ["duplicate map keys", Uint8Array.from([0xa2, 0x00, 0x00, 0x00, 0x00])],
    ["invalid UTF-8 text", Uint8Array.from([0x62, 0xc3, 0x28])],
    ["a float64 equal to 2^64", Uint8Array.from([0xfb, 0x43, 0xf0, 0, 0, 0, 0, 0, 0])],
    ["an unsigned integer over 2^64 - 1 as a float", Uint8Array.from([0xfa, 0x5f, 0x80, 0, 0])],
    ["nesting depth 17", Uint8Array.from([...new Array(16).fill(0x81), 0x00])],
  ];
  for (const [name, bytes] of cases) {
    it(`rejects ${name}`, () => expect(check(bytes)).toBe(ErrorCode.MALFORMED_ENCODING));
  }
  it("accepts a text string that starts with U+FEFF (valid UTF-8): the function is then unknown", () => {
    expect(check(Uint8Array.from([0x67, 0xef, 0xbb, 0xbf, 0x6d, 0x61, 0x69, 0x6e]))).toBe(ErrorCode.BAD_JOB_SHAPE);
  });
  it("accepts nesting depth 16 (then the shape is wrong)", () => {
    expect(check(Uint8Array.from([...new Array(15).fill(0x81), 0x00]))).toBe(ErrorCode.BAD_JOB_SHAPE);
  });
  it("rejects a non-minimal integer inside an otherwise good job", () => {
    // version 1 encoded as 0x18 0x01 instead of 0x01: the job map starts a7 00 01
    expect(good[0]).toBe(0xa7);
    expect(good[1]).toBe(0x00);
    expect(good[2]).toBe(0x01);
    const bad = Uint8Array.from([0xa7, 0x00, 0x18, 0x01, ...good.subarray(3)]);
    expect(check(bad)).toBe(ErrorCode.MALFORMED_ENCODING);
  });
});

describe("step 2: BAD_JOB_SHAPE", () => {
  const cases: [string, (j: CborMap) => CborValue | void][] = [
    ["a top-level array", () => [1n]],
    ["a missing key", (j) => void j.delete(6n)],
    ["an extra key", (j) => void j.set(7n, 0n)],
    ["a text key", (j) => void j.set("x", 0n)],
    ["a text version", (j) => void j.set(0n, "1")],
    ["a negative version", (j) => void j.set(0n, -1n)],
    ["a contract that is not a map", (j) => void j.set(1n, [])],
    ["a function name as bytes", (j) => void j.set(2n, new Uint8Array([0x6d]))],
    ["args not an array", (j) => void j.set(3n, 0n)],
    ["an arg above MAX", (j) => void j.set(3n, [1n << 63n])],
    ["an arg below MIN", (j) => void j.set(3n, [-(1n << 63n) - 1n])],
    ["an arg that is bytes", (j) => void j.set(3n, [new Uint8Array(1)])],
    ["input as text", (j) => void j.set(4n, "")],
    ["context not a map", (j) => void j.set(5n, [])],
    ["context missing a key", (j) => void contextOf(j).delete(3n)],
    ["context with an extra key", (j) => void contextOf(j).set(4n, 0n)],
    ["sender as text", (j) => void contextOf(j).set(0n, "x")],
    ["self as an integer", (j) => void contextOf(j).set(1n, 0n)],
    ["a negative epoch", (j) => void contextOf(j).set(2n, -1n)],
    ["balances not a map", (j) => void contextOf(j).set(3n, [])],
    ["a balance key that is an integer", (j) => void contextOf(j).set(3n, new Map([[1n, 1n]]))],
    ["a negative balance", (j) => void contextOf(j).set(3n, new Map([[new Uint8Array(16), -1n]]))],
    ["state not a map", (j) => void j.set(6n, [])],
    ["a state value that is an integer", (j) => void j.set(6n, new Map([[new Uint8Array(1), 0n]]))],
    ["a state key that is text", (j) => void j.set(6n, new Map([["k", new Uint8Array(0)]]))],
  ];
  for (const [name, edit] of cases) {
    it(`rejects ${name}`, () => {
      const j = jobMap();
      const replaced = edit(j);
      expect(check(enc(replaced ?? j))).toBe(ErrorCode.BAD_JOB_SHAPE);
    });
  }
  it("leaves lengths and ranges of the context to step 15", () => {
    expect(check(edited((j) => void contextOf(j).set(2n, (1n << 64n) - 1n)))).toBe(ErrorCode.BAD_CONTEXT);
    expect(check(edited((j) => void contextOf(j).set(0n, new Uint8Array(0))))).toBe(ErrorCode.BAD_CONTEXT);
  });
});

describe("step 3: job UNSUPPORTED_VERSION", () => {
  it("rejects job version 0 and 2", () => {
    expect(check(edited((j) => void j.set(0n, 0n)))).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(check(edited((j) => void j.set(0n, 2n)))).toBe(ErrorCode.UNSUPPORTED_VERSION);
  });
});

describe("step 4: BAD_CONTRACT_SHAPE", () => {
  const cases: [string, (c: CborMap) => void][] = [
    ["a missing key", (c) => void c.delete(7n)],
    ["key 8 (wasm_tier)", (c) => void c.set(8n, new Map())],
    ["a hash of 31 bytes", (c) => void c.set(1n, new Uint8Array(31))],
    ["a hash of 33 bytes", (c) => void c.set(1n, new Uint8Array(33))],
    ["code as text", (c) => void c.set(2n, "x")],
    ["a negative max_memory", (c) => void c.set(3n, -1n)],
    ["max_cycles as bytes", (c) => void c.set(4n, new Uint8Array(1))],
    ["max_state_size as text", (c) => void c.set(5n, "1")],
    ["a state_key of 16 bytes", (c) => void c.set(6n, new Uint8Array(16))],
    ["functions as a map", (c) => void c.set(7n, new Map())],
    ["a function entry of 3 items", (c) => void c.set(7n, [["main", 0n, 0n]])],
    ["a function entry of 5 items", (c) => void c.set(7n, [["main", 0n, 0n, 0n, 0n]])],
    ["a function name as bytes", (c) => void c.set(7n, [[new Uint8Array(1), 0n, 0n, 0n]])],
    ["a negative entry", (c) => void c.set(7n, [["main", -1n, 0n, 0n]])],
    ["a text args count", (c) => void c.set(7n, [["main", 0n, "0", 0n]])],
    ["a version as text", (c) => void c.set(0n, "1")],
  ];
  for (const [name, edit] of cases) {
    it(`rejects ${name}`, () => expect(check(edited((j) => edit(contractOf(j))))).toBe(ErrorCode.BAD_CONTRACT_SHAPE));
  }
});

describe("step 5: contract UNSUPPORTED_VERSION", () => {
  it("rejects contract version 0 and 3 (1 and 2 name the cost tables v1 and v2)", () => {
    expect(check(edited((j) => void contractOf(j).set(0n, 0n)))).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(check(edited((j) => void contractOf(j).set(0n, 3n)))).toBe(ErrorCode.UNSUPPORTED_VERSION);
  });
});

describe("step 6: LIMIT_OUT_OF_RANGE", () => {
  it("accepts each limit at its maximum", () => {
    expect(check(jobBytes({ ...base, maxMemory: Limit.MAX_MEMORY, maxCycles: Limit.MAX_CYCLES, maxStateSize: Limit.MAX_STATE_SIZE }))).toBe("ok");
    expect(check(jobBytes({ ...base, maxMemory: 0, maxCycles: 0, maxStateSize: 0 }))).toBe("ok");
  });
  it("rejects each limit one past its maximum", () => {
    expect(check(jobBytes({ ...base, maxMemory: Limit.MAX_MEMORY + 1 }))).toBe(ErrorCode.LIMIT_OUT_OF_RANGE);
    expect(check(jobBytes({ ...base, maxCycles: Limit.MAX_CYCLES + 1 }))).toBe(ErrorCode.LIMIT_OUT_OF_RANGE);
    expect(check(jobBytes({ ...base, maxStateSize: Limit.MAX_STATE_SIZE + 1 }))).toBe(ErrorCode.LIMIT_OUT_OF_RANGE);
    expect(check(edited((j) => void contractOf(j).set(4n, (1n << 64n) - 1n)))).toBe(ErrorCode.LIMIT_OUT_OF_RANGE);
  });
});

describe("step 7: BAD_CODE_SIZE", () => {
  it("rejects empty code", () => expect(check(withCode(new Uint8Array(0)))).toBe(ErrorCode.BAD_CODE_SIZE));
  it("accepts one byte of code", () => expect(check(withCode(Uint8Array.from([Op.HALT])))).toBe("ok"));
  it("cannot see code over MAX_CODE_SIZE: such a job is over MAX_JOB_SIZE first", () => {
    const code = new Uint8Array(Limit.MAX_CODE_SIZE + 1).fill(Op.HALT);
    expect(check(withCode(code))).toBe(ErrorCode.JOB_TOO_LARGE);
  });
});

describe("step 8: HASH_MISMATCH", () => {
  it("rejects a hash that is not Blake3-256 of the code", () => {
    expect(check(edited((j) => void contractOf(j).set(1n, new Uint8Array(32))))).toBe(ErrorCode.HASH_MISMATCH);
  });
});

describe("step 9: the code scan", () => {
  const cases: [string, number[], number][] = [
    ["0x00", [0x00], ErrorCode.UNKNOWN_OPCODE],
    ["0x07", [Op.HALT, 0x07], ErrorCode.UNKNOWN_OPCODE],
    ["0xff", [0xff], ErrorCode.UNKNOWN_OPCODE],
    ["PUSH without its length byte", [Op.HALT, Op.PUSH], ErrorCode.TRUNCATED_IMMEDIATE],
    ["PUSH 2 with 1 value byte", [Op.HALT, Op.PUSH, 2, 0x00], ErrorCode.TRUNCATED_IMMEDIATE],
    ["PUSH 9 (checked before the value bytes)", [Op.HALT, Op.PUSH, 9], ErrorCode.BAD_IMMEDIATE],
    ["PUSH 255", [Op.HALT, Op.PUSH, 255, 0, 0], ErrorCode.BAD_IMMEDIATE],
    ["PUSH 0 as 01 00", [Op.PUSH, 1, 0x00, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["PUSH 127 as 02 7f 00", [Op.PUSH, 2, 0x7f, 0x00, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["PUSH -1 as 02 ff ff", [Op.PUSH, 2, 0xff, 0xff, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["PUSH -128 as 02 80 ff", [Op.PUSH, 2, 0x80, 0xff, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["PUSH 1 as 8 bytes", [Op.PUSH, 8, 1, 0, 0, 0, 0, 0, 0, 0, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["a truncated non-minimal PUSH (truncation first)", [Op.HALT, Op.PUSH, 2, 0x00], ErrorCode.TRUNCATED_IMMEDIATE],
    ["JMP with 1 target byte", [Op.HALT, Op.JMP, 0x00], ErrorCode.TRUNCATED_IMMEDIATE],
    ["CALL with no target bytes", [Op.HALT, Op.CALL], ErrorCode.TRUNCATED_IMMEDIATE],
    ["LOAD without a space", [Op.HALT, Op.LOAD], ErrorCode.TRUNCATED_IMMEDIATE],
    ["LOAD.del (a STORE-only space)", [Op.LOAD, Space.del, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["LOAD.copy (a STORE-only space)", [Op.LOAD, Space.copy, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["STORE.inlen (a LOAD-only space)", [Op.STORE, Space.inlen, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["an undefined space 0x03", [Op.LOAD, 0x03, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["an undefined space 0x00", [Op.STORE, 0x00, Op.HALT], ErrorCode.BAD_IMMEDIATE],
    ["the first problem wins (unknown opcode before a bad immediate)", [0xee, Op.PUSH, 9], ErrorCode.UNKNOWN_OPCODE],
    ["the first problem wins (bad immediate before an unknown opcode)", [Op.PUSH, 9, 0xee], ErrorCode.BAD_IMMEDIATE],
    ["a byte inside an immediate is not scanned as an opcode", [Op.PUSH, 1, 0xee, Op.HALT], -1],
  ];
  for (const [name, code, error] of cases) {
    it(name, () => expect(check(withCode(Uint8Array.from(code)))).toBe(error === -1 ? "ok" : error));
  }
  it("accepts the minimal PUSH boundaries of SPEC §5.1", () => {
    const pushes: number[][] = [[0], [1, 0x7f], [2, 0x80, 0x00], [1, 0xff], [1, 0x80], [2, 0x7f, 0xff], [8, 0, 0, 0, 0, 0, 0, 0, 0x80]];
    for (const p of pushes) expect(check(withCode(Uint8Array.from([Op.PUSH, ...p, Op.HALT])))).toBe("ok");
  });
});

describe("step 10: BAD_JUMP_TARGET", () => {
  it("rejects a target inside an instruction", () => {
    expect(check(withCode(asm(["JMP", 1], "HALT")))).toBe(ErrorCode.BAD_JUMP_TARGET);
  });
  it("rejects a target equal to the code length", () => {
    expect(check(withCode(asm(["JZ", 4], "HALT")))).toBe(ErrorCode.BAD_JUMP_TARGET);
  });
  it("rejects a target past the end", () => {
    expect(check(withCode(asm(["CALL", 0xffff], "HALT")))).toBe(ErrorCode.BAD_JUMP_TARGET);
  });
  it("accepts every target kind on instruction starts, backwards included", () => {
    expect(check(withCode(asm("a:", ["JNZ", "a"], ["JMP", "b"], "b:", "HALT")))).toBe("ok");
  });
  it("runs after the whole scan: a bad target before an unknown opcode is UNKNOWN_OPCODE", () => {
    expect(check(withCode(Uint8Array.from([Op.JMP, 0x01, 0x00, Op.HALT, 0xfe])))).toBe(ErrorCode.UNKNOWN_OPCODE);
  });
});

describe("step 11: BAD_FUNCTION_TABLE", () => {
  const fns = (list: [string, number, number, number][]) => list.map(([name, entry, args, rets]) => ({ name, entry, args, rets }));
  const code = asm(["PUSH", 1], "HALT"); // starts at 0 and 3
  const cases: [string, [string, number, number, number][], number | "ok"][] = [
    ["an empty table", [], ErrorCode.BAD_FUNCTION_TABLE],
    ["MAX_FUNCTIONS entries", Array.from({ length: Limit.MAX_FUNCTIONS }, (_, i) => [`f${i}`, 0, 0, 0] as [string, number, number, number]), "ok"],
    ["MAX_FUNCTIONS + 1 entries", Array.from({ length: Limit.MAX_FUNCTIONS + 1 }, (_, i) => [`f${i}`, 0, 0, 0] as [string, number, number, number]), ErrorCode.BAD_FUNCTION_TABLE],
    ["an empty name", [["f", 0, 0, 0], ["", 0, 0, 0]], ErrorCode.BAD_FUNCTION_TABLE],
    ["a name of MAX_FUNCTION_NAME bytes", [["f".repeat(Limit.MAX_FUNCTION_NAME), 0, 0, 0]], "ok"],
    ["a name of MAX_FUNCTION_NAME + 1 bytes", [["f".repeat(Limit.MAX_FUNCTION_NAME + 1), 0, 0, 0]], ErrorCode.BAD_FUNCTION_TABLE],
    ["a name counted in UTF-8 bytes (16 × é = 32 bytes)", [["é".repeat(16), 0, 0, 0]], "ok"],
    ["a name counted in UTF-8 bytes (17 × é = 34 bytes)", [["é".repeat(17), 0, 0, 0]], ErrorCode.BAD_FUNCTION_TABLE],
    ["a duplicate name", [["f", 0, 0, 0], ["f", 3, 0, 0]], ErrorCode.BAD_FUNCTION_TABLE],
    ["an entry inside an instruction", [["f", 1, 0, 0]], ErrorCode.BAD_FUNCTION_TABLE],
    ["an entry at the code length", [["f", 4, 0, 0]], ErrorCode.BAD_FUNCTION_TABLE],
    ["an entry at a later instruction", [["f", 3, 0, 0]], "ok"],
    ["MAX_ARGS args", [["f", 0, Limit.MAX_ARGS, 0]], "ok"],
    ["MAX_ARGS + 1 args", [["f", 0, Limit.MAX_ARGS + 1, 0]], ErrorCode.BAD_FUNCTION_TABLE],
    ["MAX_RETURNS rets", [["f", 0, 0, Limit.MAX_RETURNS]], "ok"],
    ["MAX_RETURNS + 1 rets", [["f", 0, 0, Limit.MAX_RETURNS + 1]], ErrorCode.BAD_FUNCTION_TABLE],
  ];
  for (const [name, list, expected] of cases) {
    it(name, () => {
      const functions = fns(list);
      const bytes = edited((j) => {
        contractOf(j).set(7n, functions.map((f) => [f.name, BigInt(f.entry), BigInt(f.args), BigInt(f.rets)]));
        j.set(2n, list[0]?.[0] ?? "main");
        j.set(3n, new Array(list[0]?.[2] ?? 0).fill(0n));
      }, { code });
      expect(check(bytes)).toBe(expected);
    });
  }
  it("rejects an entry of 2^64 - 1", () => {
    expect(check(edited((j) => void contractOf(j).set(7n, [["main", (1n << 64n) - 1n, 0n, 0n]])))).toBe(ErrorCode.BAD_FUNCTION_TABLE);
  });
});

describe("steps 12–16", () => {
  it("UNKNOWN_FUNCTION: no entry of that name (exact match)", () => {
    expect(check(jobBytes({ ...base, fn: "Main" }))).toBe(ErrorCode.UNKNOWN_FUNCTION);
    expect(check(edited((j) => void j.set(2n, "main ")))).toBe(ErrorCode.UNKNOWN_FUNCTION);
  });
  it("ARGUMENT_MISMATCH: too many or too few args", () => {
    const functions = [{ name: "main", entry: 0, args: 2, rets: 0 }];
    expect(check(jobBytes({ ...base, functions, args: [1] }))).toBe(ErrorCode.ARGUMENT_MISMATCH);
    expect(check(jobBytes({ ...base, functions, args: [1, 2, 3] }))).toBe(ErrorCode.ARGUMENT_MISMATCH);
    expect(check(jobBytes({ ...base, functions, args: [1, 2] }))).toBe("ok");
  });
  it("INPUT_TOO_LARGE: input up to max_memory fits, one byte more does not", () => {
    expect(check(jobBytes({ ...base, maxMemory: 100, input: new Uint8Array(100) }))).toBe("ok");
    expect(check(jobBytes({ ...base, maxMemory: 100, input: new Uint8Array(101) }))).toBe(ErrorCode.INPUT_TOO_LARGE);
    expect(check(jobBytes({ ...base, maxMemory: 0, input: new Uint8Array(1) }))).toBe(ErrorCode.INPUT_TOO_LARGE);
  });
  it("BAD_CONTEXT: NodeID lengths, the epoch and balances", () => {
    const id = (n: number) => new Uint8Array(n);
    const MAXV = (1n << 63n) - 1n;
    expect(check(jobBytes({ ...base, context: { sender: id(15) } }))).toBe(ErrorCode.BAD_CONTEXT);
    expect(check(jobBytes({ ...base, context: { self: id(17) } }))).toBe(ErrorCode.BAD_CONTEXT);
    expect(check(jobBytes({ ...base, context: { epoch: MAXV } }))).toBe("ok");
    expect(check(jobBytes({ ...base, context: { epoch: MAXV + 1n } }))).toBe(ErrorCode.BAD_CONTEXT);
    expect(check(jobBytes({ ...base, context: { balances: new Map([["00".repeat(16), MAXV]]) } }))).toBe("ok");
    expect(check(jobBytes({ ...base, context: { balances: new Map([["00".repeat(16), MAXV + 1n]]) } }))).toBe(ErrorCode.BAD_CONTEXT);
    expect(check(jobBytes({ ...base, context: { balances: new Map([["00".repeat(15), 1n]]) } }))).toBe(ErrorCode.BAD_CONTEXT);
    expect(check(jobBytes({ ...base, context: { balances: new Map([["00".repeat(17), 1n]]) } }))).toBe(ErrorCode.BAD_CONTEXT);
  });
  it("BAD_PRIOR_STATE: key lengths and the state size", () => {
    const v = new Uint8Array(0);
    expect(check(jobBytes({ ...base, state: { "": v } }))).toBe(ErrorCode.BAD_PRIOR_STATE);
    expect(check(jobBytes({ ...base, state: { ["ab".repeat(Limit.MAX_KEY_SIZE)]: v } }))).toBe("ok");
    expect(check(jobBytes({ ...base, state: { ["ab".repeat(Limit.MAX_KEY_SIZE + 1)]: v } }))).toBe(ErrorCode.BAD_PRIOR_STATE);
    // size = OVERHEAD + 1 + 10
    const size = Limit.STATE_ENTRY_OVERHEAD + 1 + 10;
    expect(check(jobBytes({ ...base, maxStateSize: size, state: { aa: new Uint8Array(10) } }))).toBe("ok");
    expect(check(jobBytes({ ...base, maxStateSize: size - 1, state: { aa: new Uint8Array(10) } }))).toBe(ErrorCode.BAD_PRIOR_STATE);
    expect(check(jobBytes({ ...base, maxStateSize: 0, state: {} }))).toBe("ok");
  });
});

describe("the order of the checks when several problems coexist", () => {
  // Each problem is one flag; the job has every flag from `from` on. Removing
  // them one at a time in SPEC order must walk through the error codes in order.
  interface Flags { [k: string]: boolean }
  const order: [string, number][] = [
    ["tooLarge", ErrorCode.JOB_TOO_LARGE],
    ["malformed", ErrorCode.MALFORMED_ENCODING],
    ["jobShape", ErrorCode.BAD_JOB_SHAPE],
    ["jobVersion", ErrorCode.UNSUPPORTED_VERSION],
    ["contractShape", ErrorCode.BAD_CONTRACT_SHAPE],
    ["contractVersion", ErrorCode.UNSUPPORTED_VERSION],
    ["limits", ErrorCode.LIMIT_OUT_OF_RANGE],
    ["codeSize", ErrorCode.BAD_CODE_SIZE],
    ["hash", ErrorCode.HASH_MISMATCH],
    ["opcode", ErrorCode.UNKNOWN_OPCODE],
    ["target", ErrorCode.BAD_JUMP_TARGET],
    ["table", ErrorCode.BAD_FUNCTION_TABLE],
    ["function", ErrorCode.UNKNOWN_FUNCTION],
    ["argCount", ErrorCode.ARGUMENT_MISMATCH],
    ["input", ErrorCode.INPUT_TOO_LARGE],
    ["context", ErrorCode.BAD_CONTEXT],
    ["priorState", ErrorCode.BAD_PRIOR_STATE],
  ];
  function build(f: Flags): Uint8Array {
    const code = f.codeSize
      ? new Uint8Array(0)
      : Uint8Array.from([Op.JMP, f.target ? 0x01 : 0x03, 0x00, Op.HALT, ...(f.opcode ? [0xfe] : [])]);
    const memory = 64;
    const job: CborMap = new Map<CborValue, CborValue>([
      [0n, f.jobVersion ? 2n : 1n],
      [1n, new Map<CborValue, CborValue>([
        [0n, f.contractVersion ? 0n : 1n],
        [1n, f.hash ? new Uint8Array(32) : hash32(code)],
        [2n, code],
        [3n, BigInt(memory)],
        [4n, f.limits ? BigInt(Limit.MAX_CYCLES) + 1n : 1000n],
        [5n, 256n],
        [6n, new Uint8Array(f.contractShape ? 31 : 32)],
        [7n, [["main", 0n, 0n, 0n], ...(f.table ? [["x".repeat(Limit.MAX_FUNCTION_NAME + 1), 0n, 0n, 0n]] : [])]],
      ])],
      [2n, f.function ? "nope" : "main"],
      [3n, f.jobShape ? [1n << 63n] : f.argCount ? [1n] : []],
      [4n, new Uint8Array(f.input ? memory + 1 : memory)],
      [5n, new Map<CborValue, CborValue>([
        [0n, new Uint8Array(f.context ? 15 : 16)],
        [1n, new Uint8Array(16)],
        [2n, 7n],
        [3n, new Map()],
      ])],
      [6n, new Map([[new Uint8Array(f.priorState ? Limit.MAX_KEY_SIZE + 1 : 1), new Uint8Array(2)]])],
    ]);
    let bytes = encodeCanonical(job);
    if (f.malformed) bytes = Uint8Array.from([...bytes, 0x00]);
    if (f.tooLarge) bytes = Uint8Array.from([...bytes, ...new Uint8Array(Limit.MAX_JOB_SIZE)]);
    return bytes;
  }
  for (let from = 0; from <= order.length; from++) {
    const expected = from < order.length ? order[from] : undefined;
    it(expected ? `with problems ${order[from][0]}..${order[order.length - 1][0]}: ${expected[1]}` : "with none: runs", () => {
      const flags: Flags = Object.fromEntries(order.map(([name], i) => [name, i >= from]));
      const bytes = build(flags);
      if (expected) expect(check(bytes)).toBe(expected[1]);
      else expect(runJob(bytes).result.status).toBe(Status.HALT);
    });
  }
});

describe("INVALID results (SPEC §13)", () => {
  it("have cycles 0, no logs and a zero state hash", () => {
    const bytes = withCode(new Uint8Array(0));
    const r = runJob(bytes);
    expect(r.result).toMatchObject({ version: 1, status: Status.INVALID, code: BigInt(ErrorCode.BAD_CODE_SIZE), cycles: 0, returns: [], logs: [], transfers: [] });
    expect(r.result.output.length).toBe(0);
    expect(r.result.stateHash).toEqual(new Uint8Array(32));
    expect(r.result.jobHash).toEqual(hash32(bytes));
    expect(r.state).toBeUndefined();
  });
});
