/** SPEC §9: the normal path of every opcode (and every LOAD/STORE space), with its cost. */
import { describe, expect, it } from "vitest";
import { COST_KEYS, OPCODES, SPACES, Status } from "../../src/generated/opcodes.ts";
import { INSTRUCTIONS } from "../../src/reference/instructions/index.ts";
import { COST_TABLES, costOf } from "../../src/generated/opcodes.ts";
// These tests pin the instructions under table v1 (their jobs are contract version 1, helpers.ts).
const cost = (key: string, n = 0): number => costOf(key, n, COST_TABLES.v1);
import { asm, fromHex, hex, outcome, run, type Item, type JobSpec } from "./helpers.ts";

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;

/** Runs `items` then HALT with `rets` returns; returns the run. */
function exec(items: Item[], rets: number, extra: Partial<JobSpec> = {}, args: (bigint | number)[] = []) {
  return run({ code: asm(...items, "HALT"), rets, args, ...extra }, true);
}
function returns(items: Item[], rets: number, extra: Partial<JobSpec> = {}, args: (bigint | number)[] = []): bigint[] {
  const r = exec(items, rets, extra, args);
  expect(outcome(r).status, `trap ${r.result.code}`).toBe("HALT");
  return r.result.returns;
}

describe("the instruction table", () => {
  it("has a handler for every cost key and nothing else", () => {
    expect(Object.keys(INSTRUCTIONS).sort()).toEqual([...COST_KEYS].sort());
  });
  it("covers all 47 opcodes and every space of LOAD/STORE", () => {
    expect(OPCODES.length).toBe(47);
    for (const op of OPCODES) {
      if (op.immediate !== "space") expect(INSTRUCTIONS[op.mnemonic]).toBeTypeOf("function");
    }
    for (const s of SPACES) {
      if (s.LOAD) expect(INSTRUCTIONS[`LOAD.${s.name}`]).toBeTypeOf("function");
      if (s.STORE) expect(INSTRUCTIONS[`STORE.${s.name}`]).toBeTypeOf("function");
    }
  });
});

describe("§9.1 stack", () => {
  it("PUSH pushes its sign-extended immediate", () => {
    expect(returns([["PUSH", 0], ["PUSH", 127], ["PUSH", 128], ["PUSH", -1], ["PUSH", MIN], ["PUSH", MAX]], 6)).toEqual([0n, 127n, 128n, -1n, MIN, MAX]);
  });
  it("POP, DUP, SWAP, OVER, ROT follow their stack effects", () => {
    expect(returns(["POP"], 1, {}, [1, 2])).toEqual([1n]);
    expect(returns(["DUP"], 2, {}, [7])).toEqual([7n, 7n]);
    expect(returns(["SWAP"], 2, {}, [1, 2])).toEqual([2n, 1n]);
    expect(returns(["OVER"], 3, {}, [1, 2])).toEqual([1n, 2n, 1n]);
    expect(returns(["ROT"], 3, {}, [1, 2, 3])).toEqual([2n, 3n, 1n]);
  });
  it("arguments start on the stack, first argument deepest", () => {
    expect(returns([], 3, {}, [10, 20, 30])).toEqual([10n, 20n, 30n]);
  });
});

describe("§9.2 arithmetic", () => {
  const bin = (op: Item, a: bigint | number, b: bigint | number) => returns([op], 1, {}, [a, b])[0];
  it("ADD SUB MUL DIV MOD", () => {
    expect(bin("ADD", 2, 3)).toBe(5n);
    expect(bin("SUB", 2, 3)).toBe(-1n);
    expect(bin("MUL", -4, 3)).toBe(-12n);
    expect(bin("DIV", 7, 2)).toBe(3n);
    expect(bin("DIV", -7, 2)).toBe(-3n);
    expect(bin("DIV", 7, -2)).toBe(-3n);
    expect(bin("MOD", 7, 2)).toBe(1n);
    expect(bin("MOD", -7, 2)).toBe(-1n);
    expect(bin("MOD", 7, -2)).toBe(1n);
  });
  it("NEG ABS MIN MAX", () => {
    expect(returns(["NEG"], 1, {}, [5])).toEqual([-5n]);
    expect(returns(["ABS"], 1, {}, [-5])).toEqual([5n]);
    expect(returns(["ABS"], 1, {}, [MAX])).toEqual([MAX]);
    expect(bin("MIN", -1, 1)).toBe(-1n);
    expect(bin("MAX", -1, 1)).toBe(1n);
    expect(bin("MIN", MIN, MAX)).toBe(MIN);
  });
});

describe("§9.3 bitwise", () => {
  const bin = (op: Item, a: bigint | number, b: bigint | number) => returns([op], 1, {}, [a, b])[0];
  it("AND OR XOR NOT on the two's-complement pattern", () => {
    expect(bin("AND", 0b1100, 0b1010)).toBe(0b1000n);
    expect(bin("OR", 0b1100, 0b1010)).toBe(0b1110n);
    expect(bin("XOR", 0b1100, 0b1010)).toBe(0b0110n);
    expect(bin("AND", -1, MIN)).toBe(MIN);
    expect(bin("XOR", -1, MAX)).toBe(MIN);
    expect(returns(["NOT"], 1, {}, [0])).toEqual([-1n]);
    expect(returns(["NOT"], 1, {}, [MIN])).toEqual([MAX]);
  });
  it("SHL loses bits, SHR zero-fills", () => {
    expect(bin("SHL", 1, 63)).toBe(MIN);
    expect(bin("SHL", 3, 63)).toBe(MIN);
    expect(bin("SHL", -1, 1)).toBe(-2n);
    expect(bin("SHL", 5, 0)).toBe(5n);
    expect(bin("SHR", -1, 63)).toBe(1n);
    expect(bin("SHR", -1, 1)).toBe(MAX);
    expect(bin("SHR", MIN, 0)).toBe(MIN);
    expect(bin("SHR", 0x1234, 8)).toBe(0x12n);
  });
});

describe("§9.4 comparison", () => {
  const bin = (op: Item, a: bigint | number, b: bigint | number) => returns([op], 1, {}, [a, b])[0];
  it("pushes 1 or 0, signed", () => {
    expect([bin("EQ", 3, 3), bin("EQ", 3, 4)]).toEqual([1n, 0n]);
    expect([bin("NEQ", 3, 3), bin("NEQ", 3, 4)]).toEqual([0n, 1n]);
    expect([bin("LT", -1, 0), bin("LT", 0, -1), bin("LT", 0, 0)]).toEqual([1n, 0n, 0n]);
    expect([bin("GT", -1, 0), bin("GT", 0, -1), bin("GT", 0, 0)]).toEqual([0n, 1n, 0n]);
    expect([bin("LTE", MIN, MAX), bin("LTE", MAX, MIN), bin("LTE", 5, 5)]).toEqual([1n, 0n, 1n]);
    expect([bin("GTE", MIN, MAX), bin("GTE", MAX, MIN), bin("GTE", 5, 5)]).toEqual([0n, 1n, 1n]);
  });
});

describe("§9.5 control", () => {
  it("JMP skips code", () => {
    expect(returns([["JMP", "x"], ["PUSH", 1], "x:", ["PUSH", 2]], 1)).toEqual([2n]);
  });
  it("JZ jumps on 0 only; JNZ on any non-zero value", () => {
    const prog = (op: "JZ" | "JNZ"): Item[] => [[op, "t"], ["PUSH", 0], "HALT", "t:", ["PUSH", 1]];
    expect(returns(prog("JZ"), 1, {}, [0])).toEqual([1n]);
    expect(returns(prog("JZ"), 1, {}, [5])).toEqual([0n]);
    expect(returns(prog("JNZ"), 1, {}, [-1])).toEqual([1n]);
    expect(returns(prog("JNZ"), 1, {}, [MIN])).toEqual([1n]);
    expect(returns(prog("JNZ"), 1, {}, [0])).toEqual([0n]);
  });
  it("CALL and RET share the data stack and return after the CALL", () => {
    // main: PUSH 3, CALL double, PUSH 1, ADD, HALT; double: DUP ADD RET
    const r = exec([["PUSH", 3], ["CALL", "double"], ["PUSH", 1], "ADD", "HALT", "double:", "DUP", "ADD", "RET"], 1);
    expect(r.result.returns).toEqual([7n]);
    const depths = r.trace!.map((s) => `${s.op}@${s.depth}`);
    expect(depths).toEqual(["PUSH@0", "CALL@0", "DUP@1", "ADD@1", "RET@1", "PUSH@0", "ADD@0", "HALT@0"]);
  });
  it("HALT returns the top `rets` values deepest first and ignores the rest", () => {
    expect(returns([["PUSH", 1], ["PUSH", 2], ["PUSH", 3]], 2)).toEqual([2n, 3n]);
    expect(returns([["PUSH", 1]], 0)).toEqual([]);
  });
  it("ABORT ends with status ABORT and the popped code", () => {
    for (const code of [0n, 42n, -1n, MIN, MAX]) {
      const r = exec([["PUSH", code], "ABORT"], 0);
      expect(outcome(r)).toEqual({ status: "ABORT", code, returns: [] });
    }
  });
  it("a function can start anywhere", () => {
    const code = asm(["PUSH", 1], "HALT", "second:", ["PUSH", 2], "HALT");
    const functions = [{ name: "first", entry: 0, args: 0, rets: 1 }, { name: "second", entry: 4, args: 0, rets: 1 }];
    expect(run({ code, functions, fn: "second" }).result.returns).toEqual([2n]);
    expect(run({ code, functions, fn: "first" }).result.returns).toEqual([1n]);
  });
});

describe("§9.7 system", () => {
  const alice = fromHex("a1".repeat(16));
  const bob = fromHex("b0".repeat(16));
  const carol = fromHex("c3".repeat(16));
  const context = {
    sender: bob,
    self: alice,
    epoch: 123456789n,
    balances: new Map([[hex(alice), 1000n], [hex(bob), 5n]]),
  };
  it("BALANCE reads the snapshot, 0 when absent", () => {
    const input = Uint8Array.from([...alice, ...bob, ...carol]);
    expect(returns([["PUSH", 0], "BALANCE", ["PUSH", 16], "BALANCE", ["PUSH", 32], "BALANCE"], 3, { input, context })).toEqual([1000n, 5n, 0n]);
  });
  it("SENDER and SELF write 16 bytes", () => {
    const r = exec([["PUSH", 0], "SENDER", ["PUSH", 16], "SELF", ["PUSH", 0], ["PUSH", 32], "EMIT"], 0, { context });
    expect(hex(r.result.output)).toBe(hex(bob) + hex(alice));
  });
  it("EPOCH and MSIZE", () => {
    expect(returns(["EPOCH", "MSIZE"], 2, { context, maxMemory: 777 })).toEqual([123456789n, 777n]);
  });
  it("TRANSFER records while SELF's snapshot minus recorded transfers covers it", () => {
    const input = Uint8Array.from([...bob, ...carol]);
    const r = exec([
      ["PUSH", 0], ["PUSH", 600], "TRANSFER",
      ["PUSH", 16], ["PUSH", 400], "TRANSFER",
      ["PUSH", 16], ["PUSH", 1], "TRANSFER",
      // BALANCE of SELF is still the snapshot
      ["PUSH", 32], "SELF", ["PUSH", 32], "BALANCE",
    ], 4, { context, input });
    expect(r.result.returns).toEqual([1n, 1n, 0n, 1000n]);
    expect(r.result.transfers).toEqual([{ to: bob, amount: 600n }, { to: carol, amount: 400n }]);
  });
  it("TRANSFER with no balance for SELF pushes 0", () => {
    const r = exec([["PUSH", 0], ["PUSH", 1], "TRANSFER"], 1, { context: { ...context, balances: new Map() } });
    expect(r.result.returns).toEqual([0n]);
    expect(r.result.transfers).toEqual([]);
  });
  it("LOG appends records, empty ones included", () => {
    const input = Uint8Array.from([1, 2, 3, 4]);
    const r = exec([["PUSH", 0], ["PUSH", 2], "LOG", ["PUSH", 1], ["PUSH", 3], "LOG", ["PUSH", 0], ["PUSH", 0], "LOG"], 0, { input });
    expect(r.result.logs.map(hex)).toEqual(["0102", "020304", ""]);
  });
  it("EMIT appends to the output", () => {
    const input = Uint8Array.from([9, 8, 7]);
    const r = exec([["PUSH", 1], ["PUSH", 2], "EMIT", ["PUSH", 0], ["PUSH", 1], "EMIT"], 0, { input });
    expect(hex(r.result.output)).toBe("080709");
  });
});

describe("§9.7 LOAD and STORE spaces", () => {
  const input = fromHex("0102030405060708ff");
  it("LOAD.m8/m16/m32 zero-extend little-endian; LOAD.m64 is signed", () => {
    expect(returns([["PUSH", 0], ["LOAD", "m8"], ["PUSH", 8], ["LOAD", "m8"], ["PUSH", 0], ["LOAD", "m16"], ["PUSH", 0], ["LOAD", "m32"], ["PUSH", 0], ["LOAD", "m64"]], 5, { input }))
      .toEqual([1n, 255n, 0x0201n, 0x04030201n, 0x0807060504030201n]);
    const neg = fromHex("ffffffffffffffff");
    expect(returns([["PUSH", 0], ["LOAD", "m64"], ["PUSH", 0], ["LOAD", "m32"], ["PUSH", 0], ["LOAD", "m16"]], 3, { input: neg })).toEqual([-1n, 0xffffffffn, 0xffffn]);
  });
  it("STORE.m8/m16/m32/m64 write the low bytes of the value", () => {
    const r = exec([
      ["PUSH", 0x1ff], ["PUSH", 0], ["STORE", "m8"],
      ["PUSH", -2], ["PUSH", 1], ["STORE", "m16"],
      ["PUSH", 0x1122334455n], ["PUSH", 3], ["STORE", "m32"],
      ["PUSH", MIN], ["PUSH", 7], ["STORE", "m64"],
      ["PUSH", 0], ["PUSH", 15], "EMIT",
    ], 0);
    expect(hex(r.result.output)).toBe("ff" + "feff" + "55443322" + "0000000000000080");
  });
  it("LOAD.inlen pushes the input length; the input sits at address 0", () => {
    expect(returns([["LOAD", "inlen"]], 1, { input })).toEqual([9n]);
    expect(returns([["LOAD", "inlen"]], 1)).toEqual([0n]);
  });
  it("STORE.copy copies like memmove, both directions", () => {
    const r1 = exec([["PUSH", 2], ["PUSH", 0], ["PUSH", 6], ["STORE", "copy"], ["PUSH", 0], ["PUSH", 9], "EMIT"], 0, { input });
    expect(hex(r1.result.output)).toBe("0102" + "010203040506" + "ff");
    const r2 = exec([["PUSH", 0], ["PUSH", 2], ["PUSH", 6], ["STORE", "copy"], ["PUSH", 0], ["PUSH", 9], "EMIT"], 0, { input });
    expect(hex(r2.result.output)).toBe("030405060708" + "0708ff");
  });
  it("STORE.state, LOAD.state and STORE.del", () => {
    // memory: key "k1" at 0..2, value "hello" at 2..7
    const mem = Uint8Array.from([0x6b, 0x31, ...new TextEncoder().encode("hello")]);
    const r = exec([
      // LOAD.state on an absent key: -1
      ["PUSH", 0], ["PUSH", 2], ["PUSH", 100], ["PUSH", 10], ["LOAD", "state"],
      // STORE.state k1 = hello
      ["PUSH", 0], ["PUSH", 2], ["PUSH", 2], ["PUSH", 5], ["STORE", "state"],
      // LOAD.state with cap 3 copies 3 bytes and pushes 5
      ["PUSH", 0], ["PUSH", 2], ["PUSH", 100], ["PUSH", 3], ["LOAD", "state"],
      // an empty value is present (length 0), unlike an absent key
      ["PUSH", 1], ["PUSH", 1], ["PUSH", 0], ["PUSH", 0], ["STORE", "state"],
      ["PUSH", 1], ["PUSH", 1], ["PUSH", 0], ["PUSH", 0], ["LOAD", "state"],
      // delete the empty one, then it is absent; deleting twice is fine
      ["PUSH", 1], ["PUSH", 1], ["STORE", "del"],
      ["PUSH", 1], ["PUSH", 1], ["STORE", "del"],
      ["PUSH", 1], ["PUSH", 1], ["PUSH", 0], ["PUSH", 0], ["LOAD", "state"],
      ["PUSH", 100], ["PUSH", 5], "EMIT",
    ], 4, { input: mem });
    expect(r.result.returns).toEqual([-1n, 5n, 0n, -1n]);
    expect(hex(r.result.output)).toBe(hex(new TextEncoder().encode("hel")) + "0000");
    expect([...r.state!.entries()].map(([k, v]) => [k, hex(v)])).toEqual([["6b31", hex(new TextEncoder().encode("hello"))]]);
  });
});

describe("§10 costs", () => {
  it("each step is charged base + per × ceil(n / unit)", () => {
    const r = exec([
      ["PUSH", 0], ["PUSH", 65], ["PUSH", 100], "HASH",
      ["PUSH", 0], ["PUSH", 33], "LOG",
      ["PUSH", 0], ["PUSH", 64], "EMIT",
      ["PUSH", 0], ["PUSH", 1], ["PUSH", 0], ["PUSH", 31], ["STORE", "state"],
      ["PUSH", 0], ["PUSH", 1], ["PUSH", 0], ["PUSH", 33], ["LOAD", "state"],
      ["PUSH", 0], ["PUSH", 1], ["STORE", "del"],
      ["PUSH", 0], ["PUSH", 1], ["PUSH", 32], ["STORE", "copy"],
    ], 1, { maxMemory: 256 });
    const costOf = Object.fromEntries(r.trace!.filter((s) => s.op !== "PUSH").map((s) => [s.op, s.cost]));
    expect(costOf).toEqual({
      HASH: cost("HASH", 65),
      LOG: cost("LOG", 33),
      EMIT: cost("EMIT", 64),
      "STORE.state": cost("STORE.state", 32),
      "LOAD.state": cost("LOAD.state", 34),
      "STORE.del": cost("STORE.del", 1),
      "STORE.copy": cost("STORE.copy", 32),
      HALT: cost("HALT"),
    });
    expect(costOf.HASH).toBe(500 + 10 * 2);
    expect(costOf["LOAD.state"]).toBe(3 + 2);
    expect(r.result.cycles).toBe(r.trace!.reduce((n, s) => n + s.cost, 0));
  });
  it("a zero-length operand costs the base", () => {
    expect(cost("HASH", 0)).toBe(500);
    expect(cost("VERIFY_SIG", 0)).toBe(1000);
    expect(cost("VERIFY_SIG", 129)).toBe(1020);
    expect(cost("VERIFY_VRF", 128)).toBe(2010);
  });
});

describe("trace (EIP-3155 style)", () => {
  it("has one step per executed instruction with pc, op, cycles before, cost, depth and the stack", () => {
    const r = exec([["PUSH", -5], ["PUSH", 0], ["STORE", "m8"], ["PUSH", 0], ["LOAD", "m8"]], 1);
    expect(r.trace).toEqual([
      { pc: 0, op: "PUSH", cycles: 0, cost: 1, depth: 0, stack: [] },
      { pc: 3, op: "PUSH", cycles: 1, cost: 1, depth: 0, stack: ["-5"] },
      { pc: 5, op: "STORE.m8", cycles: 2, cost: 3, depth: 0, stack: ["-5", "0"] },
      { pc: 7, op: "PUSH", cycles: 5, cost: 1, depth: 0, stack: [] },
      { pc: 9, op: "LOAD.m8", cycles: 6, cost: 3, depth: 0, stack: ["0"] },
      { pc: 11, op: "HALT", cycles: 9, cost: 2, depth: 0, stack: ["251"] },
    ]);
  });
  it("records a trapping instruction with the cost it was charged", () => {
    const r = run({ code: asm(["PUSH", 1], ["PUSH", 0], "DIV", "ADD") }, true);
    expect(outcome(r).status).toBe("TRAP");
    expect(r.trace!.map((s) => [s.op, s.cost])).toEqual([["PUSH", 1], ["PUSH", 1], ["DIV", 3]]);
    const r2 = run({ code: asm("ADD") }, true);
    expect(r2.trace!.map((s) => [s.op, s.cost])).toEqual([["ADD", 0]]);
    expect(r2.result.status).toBe(Status.TRAP);
  });
  it("is absent unless asked for", () => {
    expect(run({ code: asm("HALT") }).trace).toBeUndefined();
  });
});
