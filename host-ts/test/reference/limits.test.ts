/** SPEC §11: every limit at its bound and one past it. */
import { describe, expect, it } from "vitest";
import { Limit, Status, Trap } from "../../src/generated/opcodes.ts";
import { COST_TABLES, costOf } from "../../src/generated/opcodes.ts";
// These tests pin the instructions under table v1 (their jobs are contract version 1, helpers.ts).
const cost = (key: string, n = 0): number => costOf(key, n, COST_TABLES.v1);
import { asm, outcome, run, type Item, type JobSpec } from "./helpers.ts";

const pushes = (...vs: (bigint | number)[]): Item[] => vs.map((v) => ["PUSH", v] as Item);
const status = (items: Item[], extra: Partial<JobSpec> = {}, args: (bigint | number)[] = []) => {
  const r = run({ code: asm(...items), args, ...extra });
  return { ...outcome(r), cycles: r.result.cycles, run: r };
};
const HALTED = { status: "HALT", code: 0n };
const trapped = (t: number) => ({ status: "TRAP", code: BigInt(t) });

describe("STACK_DEPTH", () => {
  const fill = (n: number): Item[] => new Array(n).fill(["PUSH", 7]);
  it("holds exactly STACK_DEPTH values", () => {
    expect(status([...fill(Limit.STACK_DEPTH), "HALT"])).toMatchObject(HALTED);
  });
  it("traps one past it", () => {
    expect(status([...fill(Limit.STACK_DEPTH + 1), "HALT"])).toMatchObject(trapped(Trap.STACK_OVERFLOW));
  });
  it("counts the arguments", () => {
    const functions = [{ name: "main", entry: 0, args: 3, rets: 0 }];
    expect(status([...fill(Limit.STACK_DEPTH - 3), "HALT"], { functions }, [1, 2, 3])).toMatchObject(HALTED);
    expect(status([...fill(Limit.STACK_DEPTH - 2), "HALT"], { functions }, [1, 2, 3])).toMatchObject(trapped(Trap.STACK_OVERFLOW));
  });
  it("lets a full stack run instructions that do not grow it", () => {
    expect(status([...fill(Limit.STACK_DEPTH), "ADD", ["PUSH", 1], "SWAP", "ROT", "HALT"])).toMatchObject(HALTED);
  });
});

describe("CALL_DEPTH", () => {
  // rec: n -- ; calls itself n times, then returns through every frame
  const rec: Item[] = [["CALL", "f"], "HALT", "f:", "DUP", ["JZ", "done"], ["PUSH", 1], "SUB", ["CALL", "f"], "RET", "done:", "RET"];
  const fns = [{ name: "main", entry: 0, args: 1, rets: 1 }];
  it("allows CALL_DEPTH pending return addresses", () => {
    // the outer CALL plus n nested ones: n = CALL_DEPTH - 1 reaches exactly CALL_DEPTH
    const r = status(rec, { functions: fns }, [Limit.CALL_DEPTH - 1]);
    expect(r).toMatchObject(HALTED);
    expect(r.run.result.returns).toEqual([0n]);
  });
  it("traps one past it", () => {
    expect(status(rec, { functions: fns }, [Limit.CALL_DEPTH])).toMatchObject(trapped(Trap.CALL_DEPTH_EXCEEDED));
  });
});

describe("max_cycles", () => {
  const prog: Item[] = [...pushes(1, 2), "ADD", "HALT"]; // 1 + 1 + 1 + 2 = 5
  it("may be reached exactly", () => {
    const r = status(prog, { maxCycles: 5 });
    expect(r).toMatchObject(HALTED);
    expect(r.cycles).toBe(5);
  });
  it("is never exceeded", () => {
    const r = status(prog, { maxCycles: 4 });
    expect(r).toMatchObject(trapped(Trap.OUT_OF_CYCLES));
    expect(r.cycles).toBe(3);
  });
  it("an infinite loop stops at the limit, exactly when the next charge would pass it", () => {
    const loop: Item[] = ["l:", ["JMP", "l"]];
    const r = status(loop, { maxCycles: 1001 });
    expect(r).toMatchObject(trapped(Trap.OUT_OF_CYCLES));
    expect(r.cycles).toBe(1000);
  });
  it("accepts MAX_CYCLES", () => {
    expect(status(prog, { maxCycles: Limit.MAX_CYCLES })).toMatchObject(HALTED);
  });
});

describe("memory", () => {
  const mm = { maxMemory: 100 };
  it("the last byte is addressable, the next is not", () => {
    expect(status([...pushes(99), ["LOAD", "m8"], "HALT"], mm)).toMatchObject(HALTED);
    expect(status([...pushes(100), ["LOAD", "m8"], "HALT"], mm)).toMatchObject(trapped(Trap.MEMORY_OUT_OF_BOUNDS));
    expect(status([...pushes(92), ["LOAD", "m64"], "HALT"], mm)).toMatchObject(HALTED);
    expect(status([...pushes(93), ["LOAD", "m64"], "HALT"], mm)).toMatchObject(trapped(Trap.MEMORY_OUT_OF_BOUNDS));
    expect(status([...pushes(7, 98), ["STORE", "m16"], "HALT"], mm)).toMatchObject(HALTED);
    expect(status([...pushes(7, 99), ["STORE", "m16"], "HALT"], mm)).toMatchObject(trapped(Trap.MEMORY_OUT_OF_BOUNDS));
    expect(status([...pushes(96), ["LOAD", "m32"], "HALT"], mm)).toMatchObject(HALTED);
    expect(status([...pushes(97), ["LOAD", "m32"], "HALT"], mm)).toMatchObject(trapped(Trap.MEMORY_OUT_OF_BOUNDS));
  });
  it("an empty range may sit at max_memory, not past it", () => {
    expect(status([...pushes(100, 0), "EMIT", "HALT"], mm)).toMatchObject(HALTED);
    expect(status([...pushes(101, 0), "EMIT", "HALT"], mm)).toMatchObject(trapped(Trap.MEMORY_OUT_OF_BOUNDS));
    expect(status([...pushes(0, 100), "EMIT", "HALT"], mm)).toMatchObject(HALTED);
    expect(status([...pushes(1, 100), "EMIT", "HALT"], mm)).toMatchObject(trapped(Trap.MEMORY_OUT_OF_BOUNDS));
  });
  it("max_memory 0 has no addressable byte", () => {
    expect(status([...pushes(0, 0), "EMIT", "MSIZE", "HALT"], { maxMemory: 0, rets: 1 }).run.result.returns).toEqual([0n]);
    expect(status([...pushes(0), ["LOAD", "m8"], "HALT"], { maxMemory: 0 })).toMatchObject(trapped(Trap.MEMORY_OUT_OF_BOUNDS));
  });
  it("MAX_MEMORY: the last byte of a 32 KiB memory", () => {
    const m = { maxMemory: Limit.MAX_MEMORY };
    expect(status([...pushes(Limit.MAX_MEMORY - 1), ["LOAD", "m8"], "HALT"], m)).toMatchObject(HALTED);
    expect(status([...pushes(Limit.MAX_MEMORY), ["LOAD", "m8"], "HALT"], m)).toMatchObject(trapped(Trap.MEMORY_OUT_OF_BOUNDS));
  });
  it("starts as the input followed by zero bytes", () => {
    const r = status([...pushes(0, 6), "EMIT", "HALT"], { maxMemory: 6, input: Uint8Array.from([1, 2, 3]) });
    expect([...r.run.result.output]).toEqual([1, 2, 3, 0, 0, 0]);
  });
});

describe("state size", () => {
  // STORE.state key (1 byte at 0), value of `vlen` bytes at 0
  const store = (vlen: number): Item[] => [...pushes(0, 1, 0, vlen), ["STORE", "state"]];
  const entry = (klen: number, vlen: number) => Limit.STATE_ENTRY_OVERHEAD + klen + vlen;
  it("may reach max_state_size exactly", () => {
    expect(status([...store(20), "HALT"], { maxStateSize: entry(1, 20) })).toMatchObject(HALTED);
  });
  it("traps one byte over", () => {
    expect(status([...store(21), "HALT"], { maxStateSize: entry(1, 20) })).toMatchObject(trapped(Trap.STATE_LIMIT_EXCEEDED));
  });
  it("replacing a value counts the old entry out", () => {
    expect(status([...store(20), ...store(15), ...store(20), "HALT"], { maxStateSize: entry(1, 20) })).toMatchObject(HALTED);
  });
  it("counts the prior state, and deleting frees its entry", () => {
    const state = { aa: new Uint8Array(10) };
    const max = entry(1, 10) + entry(1, 5);
    expect(status([...store(5), "HALT"], { maxStateSize: max, state })).toMatchObject(HALTED);
    expect(status([...store(6), "HALT"], { maxStateSize: max, state })).toMatchObject(trapped(Trap.STATE_LIMIT_EXCEEDED));
    // delete key aa (the byte 0xaa at address 10), then a bigger value fits
    const del: Item[] = [...pushes(0xaa, 10), ["STORE", "m8"], ...pushes(10, 1), ["STORE", "del"]];
    expect(status([...del, ...store(10), "HALT"], { maxStateSize: max, state })).toMatchObject(HALTED);
  });
  it("an empty value still costs the entry overhead", () => {
    expect(status([...store(0), "HALT"], { maxStateSize: entry(1, 0) })).toMatchObject(HALTED);
    expect(status([...store(0), "HALT"], { maxStateSize: entry(1, 0) - 1 })).toMatchObject(trapped(Trap.STATE_LIMIT_EXCEEDED));
  });
  it("keys of 1 and MAX_KEY_SIZE bytes are valid, 0 and MAX_KEY_SIZE + 1 are not", () => {
    const key = (klen: number): Item[] => [...pushes(0, klen, 0, 0), ["STORE", "state"], "HALT"];
    expect(status(key(1))).toMatchObject(HALTED);
    expect(status(key(Limit.MAX_KEY_SIZE))).toMatchObject(HALTED);
    expect(status(key(0))).toMatchObject(trapped(Trap.INVALID_STATE_KEY));
    expect(status(key(Limit.MAX_KEY_SIZE + 1))).toMatchObject(trapped(Trap.INVALID_STATE_KEY));
  });
});

describe("output, logs and transfers", () => {
  it("EMIT up to MAX_OUTPUT bytes, not one more", () => {
    const mm = { maxMemory: Limit.MAX_OUTPUT };
    const half = Limit.MAX_OUTPUT / 2;
    const r = status([...pushes(0, half), "EMIT", ...pushes(0, half), "EMIT", "HALT"], mm);
    expect(r).toMatchObject(HALTED);
    expect(r.run.result.output.length).toBe(Limit.MAX_OUTPUT);
    expect(status([...pushes(0, half), "EMIT", ...pushes(0, half), "EMIT", ...pushes(0, 1), "EMIT", "HALT"], mm)).toMatchObject(trapped(Trap.OUTPUT_LIMIT_EXCEEDED));
    expect(status([...pushes(0, half), "EMIT", ...pushes(0, half), "EMIT", ...pushes(0, 0), "EMIT", "HALT"], mm)).toMatchObject(HALTED);
  });
  it("MAX_LOGS records, not one more (empty records count)", () => {
    const one: Item[] = [...pushes(0, 0), "LOG"];
    const r = status([...new Array(Limit.MAX_LOGS).fill(one).flat(), "HALT"]);
    expect(r).toMatchObject(HALTED);
    expect(r.run.result.logs.length).toBe(Limit.MAX_LOGS);
    expect(status([...new Array(Limit.MAX_LOGS + 1).fill(one).flat(), "HALT"])).toMatchObject(trapped(Trap.LOG_LIMIT_EXCEEDED));
  });
  it("MAX_LOG_BYTES bytes in all, not one more", () => {
    const mm = { maxMemory: Limit.MAX_LOG_BYTES };
    const half = Limit.MAX_LOG_BYTES / 2;
    expect(status([...pushes(0, half), "LOG", ...pushes(0, half), "LOG", "HALT"], mm)).toMatchObject(HALTED);
    const over = status([...pushes(0, half), "LOG", ...pushes(0, half + 1), "LOG", "HALT"], { maxMemory: Limit.MAX_LOG_BYTES });
    expect(over).toMatchObject(trapped(Trap.LOG_LIMIT_EXCEEDED));
    expect(over.run.result.logs.length).toBe(1); // the records before the trap are kept
  });
  it("MAX_TRANSFERS transfers, then the next covered one traps but an uncovered one pushes 0", () => {
    const self = new Uint8Array(16).fill(1);
    const context = { self, balances: new Map([["01".repeat(16), 100n]]) };
    const one: Item[] = [...pushes(0, 1), "TRANSFER", "POP"];
    const sixteen = new Array(Limit.MAX_TRANSFERS).fill(one).flat() as Item[];
    const r = status([...sixteen, "HALT"], { context });
    expect(r).toMatchObject(HALTED);
    expect(r.run.result.transfers.length).toBe(Limit.MAX_TRANSFERS);
    expect(status([...sixteen, ...one, "HALT"], { context })).toMatchObject(trapped(Trap.TRANSFER_LIMIT_EXCEEDED));
    // 16 recorded, 84 available: asking for 85 is not covered, so no trap
    const r2 = status([...sixteen, ...pushes(0, 85), "TRANSFER", "HALT"], { context, rets: 1 });
    expect(r2).toMatchObject(HALTED);
    expect(r2.run.result.returns).toEqual([0n]);
  });
  it("TRANSFER of exactly the available amount succeeds, one more does not", () => {
    const self = new Uint8Array(16).fill(1);
    const context = { self, balances: new Map([["01".repeat(16), 100n]]) };
    expect(status([...pushes(0, 60), "TRANSFER", ...pushes(0, 40), "TRANSFER", ...pushes(0, 1), "TRANSFER", "HALT"], { context, rets: 3 }).run.result.returns).toEqual([1n, 1n, 0n]);
  });
});

describe("a result stays small", () => {
  it("all bounds at once fit one frame (well under 8 KiB)", () => {
    const self = new Uint8Array(16).fill(1);
    const context = { self, balances: new Map([["01".repeat(16), 1000n]]) };
    const logs = new Array(Limit.MAX_LOGS).fill([...pushes(0, Limit.MAX_LOG_BYTES / Limit.MAX_LOGS), "LOG"]).flat() as Item[];
    const transfers = new Array(Limit.MAX_TRANSFERS).fill([...pushes(0, 1), "TRANSFER", "POP"]).flat() as Item[];
    const returns = new Array(Limit.MAX_RETURNS).fill(["PUSH", -(1n << 63n)]) as Item[];
    const r = status([...pushes(0, Limit.MAX_OUTPUT), "EMIT", ...logs, ...transfers, ...returns, "HALT"], {
      context, maxMemory: Limit.MAX_OUTPUT, rets: Limit.MAX_RETURNS,
    });
    expect(r).toMatchObject(HALTED);
    expect(r.run.resultBytes.length).toBeLessThan(8192);
    expect(r.cycles).toBeGreaterThan(cost("EMIT", Limit.MAX_OUTPUT));
    expect(r.run.result.status).toBe(Status.HALT);
  });
});
