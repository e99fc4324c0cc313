/**
 * SPEC §8.1 and §12.2: every trap code, and when it charges. A trap in the
 * STACK or OPERANDS phase charges nothing; OUT_OF_CYCLES leaves cycles
 * unchanged; a trap in the OPERATION phase keeps the charge.
 */
import { describe, expect, it } from "vitest";
import { Limit, Status, Trap } from "../../src/generated/opcodes.ts";
import { COST_TABLES, costOf } from "../../src/generated/opcodes.ts";
// These tests pin the instructions under table v1 (their jobs are contract version 1, helpers.ts).
const cost = (key: string, n = 0): number => costOf(key, n, COST_TABLES.v1);
import { asm, outcome, run, type Item, type JobSpec } from "./helpers.ts";

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;

/** Runs the items, expecting a trap; returns the cycles charged. */
function trap(items: Item[], code: number, extra: Partial<JobSpec> = {}, args: (bigint | number)[] = []): number {
  const r = run({ code: asm(...items), args, ...extra });
  expect(outcome(r)).toEqual({ status: "TRAP", code: BigInt(code), returns: [] });
  return r.result.cycles;
}
const pushes = (...vs: (bigint | number)[]): Item[] => vs.map((v) => ["PUSH", v] as Item);

describe("every trap code", () => {
  it("STACK_UNDERFLOW (charges nothing)", () => {
    expect(trap(["ADD"], Trap.STACK_UNDERFLOW)).toBe(0);
    expect(trap([...pushes(1), "ADD"], Trap.STACK_UNDERFLOW)).toBe(1);
    expect(trap(["POP"], Trap.STACK_UNDERFLOW)).toBe(0);
    expect(trap([...pushes(1, 2), "ROT"], Trap.STACK_UNDERFLOW)).toBe(2);
    expect(trap([["JZ", "e"], "e:", "HALT"], Trap.STACK_UNDERFLOW)).toBe(0);
    expect(trap([...pushes(1, 2, 3), "VERIFY_SIG"], Trap.STACK_UNDERFLOW)).toBe(3);
    expect(trap([["STORE", "state"]], Trap.STACK_UNDERFLOW)).toBe(0);
  });
  it("STACK_UNDERFLOW on HALT with fewer values than rets", () => {
    expect(trap([...pushes(1), "HALT"], Trap.STACK_UNDERFLOW, { rets: 2 })).toBe(1);
  });
  it("STACK_OVERFLOW (charges nothing)", () => {
    const args = new Array(Limit.MAX_ARGS).fill(0);
    const fill: Item[] = new Array(Limit.STACK_DEPTH - Limit.MAX_ARGS).fill(["PUSH", 0]);
    const functions = [{ name: "main", entry: 0, args: Limit.MAX_ARGS, rets: 0 }];
    expect(trap([...fill, "DUP"], Trap.STACK_OVERFLOW, { functions }, args)).toBe(fill.length);
    expect(trap([...fill, ["PUSH", 1]], Trap.STACK_OVERFLOW, { functions }, args)).toBe(fill.length);
    expect(trap([...fill, "OVER"], Trap.STACK_OVERFLOW, { functions }, args)).toBe(fill.length);
    expect(trap([...fill, "EPOCH"], Trap.STACK_OVERFLOW, { functions }, args)).toBe(fill.length);
    expect(trap([...fill, ["LOAD", "inlen"]], Trap.STACK_OVERFLOW, { functions }, args)).toBe(fill.length);
  });
  it("INTEGER_OVERFLOW (after the charge)", () => {
    expect(trap([...pushes(MAX, 1), "ADD"], Trap.INTEGER_OVERFLOW)).toBe(2 + cost("ADD"));
    expect(trap([...pushes(MIN, 1), "SUB"], Trap.INTEGER_OVERFLOW)).toBe(2 + cost("SUB"));
    expect(trap([...pushes(MIN, -1), "MUL"], Trap.INTEGER_OVERFLOW)).toBe(2 + cost("MUL"));
    expect(trap([...pushes(MIN, -1), "DIV"], Trap.INTEGER_OVERFLOW)).toBe(2 + cost("DIV"));
    expect(trap([...pushes(MIN), "NEG"], Trap.INTEGER_OVERFLOW)).toBe(1 + cost("NEG"));
    expect(trap([...pushes(MIN), "ABS"], Trap.INTEGER_OVERFLOW)).toBe(1 + cost("ABS"));
  });
  it("DIVISION_BY_ZERO (after the charge)", () => {
    expect(trap([...pushes(1, 0), "DIV"], Trap.DIVISION_BY_ZERO)).toBe(2 + cost("DIV"));
    expect(trap([...pushes(MIN, 0), "MOD"], Trap.DIVISION_BY_ZERO)).toBe(2 + cost("MOD"));
  });
  it("SHIFT_OUT_OF_RANGE (after the charge)", () => {
    for (const n of [64, -1, MIN, MAX, 1000]) {
      expect(trap([...pushes(1, n), "SHL"], Trap.SHIFT_OUT_OF_RANGE)).toBe(2 + cost("SHL"));
      expect(trap([...pushes(1, n), "SHR"], Trap.SHIFT_OUT_OF_RANGE)).toBe(2 + cost("SHR"));
    }
  });
  it("OUT_OF_CYCLES (cycles unchanged)", () => {
    expect(trap([...pushes(1, 2), "ADD", "HALT"], Trap.OUT_OF_CYCLES, { maxCycles: 4 })).toBe(3);
    expect(trap(["HALT"], Trap.OUT_OF_CYCLES, { maxCycles: 0 })).toBe(0);
    // a size-dependent cost: HASH of 64 bytes is 510, of 65 bytes 520
    const hashProg = (len: number): Item[] => [...pushes(0, len, 0), "HASH", "HALT"];
    expect(run({ code: asm(...hashProg(64)), maxCycles: 3 + 510 + 2, maxMemory: 128 }).result.status).toBe(Status.HALT);
    expect(trap(hashProg(65), Trap.OUT_OF_CYCLES, { maxCycles: 3 + 510 + 2, maxMemory: 128 })).toBe(3);
  });
  it("MEMORY_OUT_OF_BOUNDS (charges nothing)", () => {
    const mm = { maxMemory: 64 };
    expect(trap([...pushes(64), ["LOAD", "m8"]], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(1);
    expect(trap([...pushes(-1), ["LOAD", "m8"]], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(1);
    expect(trap([...pushes(0, 57), ["STORE", "m64"]], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(2);
    expect(trap([...pushes(0, -1), "EMIT"], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(2);
    expect(trap([...pushes(1, 64), "LOG"], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(2);
    expect(trap([...pushes(MAX, MAX), "LOG"], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(2); // no wrap-around
    expect(trap([...pushes(0, 0, 33), "HASH"], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(3);
    expect(trap([...pushes(49), "SENDER"], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(1);
    expect(trap([...pushes(49), "SELF"], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(1);
    expect(trap([...pushes(49), "BALANCE"], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(1);
    expect(trap([...pushes(49, 1), "TRANSFER"], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(2);
    expect(trap([...pushes(0, 0, 65), ["STORE", "copy"]], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(3);
    expect(trap([...pushes(1, 0, 64), ["STORE", "copy"]], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(3);
    expect(trap([...pushes(0, 1, 60, 5), ["LOAD", "state"]], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(4);
    expect(trap([...pushes(0, 1, 60, 5), ["STORE", "state"]], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(4);
    expect(trap([...pushes(64, 1), ["STORE", "del"]], Trap.MEMORY_OUT_OF_BOUNDS, mm)).toBe(2);
  });
  it("CALL_DEPTH_EXCEEDED (charges nothing)", () => {
    // f: CALL f — recursion without end
    const cycles = trap(["f:", ["CALL", "f"]], Trap.CALL_DEPTH_EXCEEDED);
    expect(cycles).toBe(Limit.CALL_DEPTH * cost("CALL"));
  });
  it("RETURN_WITHOUT_CALL (charges nothing)", () => {
    expect(trap(["RET"], Trap.RETURN_WITHOUT_CALL)).toBe(0);
    // CALL f; f returns to the RET after the CALL, which has nothing to return to
    expect(trap([["CALL", "f"], "RET", "f:", "RET"], Trap.RETURN_WITHOUT_CALL)).toBe(cost("CALL") + cost("RET"));
  });
  it("END_OF_CODE: falling off the end, or returning to the code length", () => {
    expect(trap([...pushes(1)], Trap.END_OF_CODE)).toBe(1);
    expect(trap([["JMP", "end"], "HALT", "end:", "POP"], Trap.END_OF_CODE, {}, [1])).toBe(cost("JMP") + cost("POP"));
    // CALL as the last instruction: RET returns to the code length
    expect(trap([["JMP", "main"], "f:", "RET", "main:", ["CALL", "f"]], Trap.END_OF_CODE)).toBe(cost("JMP") + cost("CALL") + cost("RET"));
  });
  it("STATE_LIMIT_EXCEEDED (after the charge, state unchanged)", () => {
    // one entry of key 1 byte, value 10 bytes = OVERHEAD + 11
    const size = Limit.STATE_ENTRY_OVERHEAD + 11;
    const r = run({ code: asm(...pushes(0, 1, 0, 11), ["STORE", "state"], "HALT"), maxStateSize: size });
    expect(outcome(r)).toEqual({ status: "TRAP", code: BigInt(Trap.STATE_LIMIT_EXCEEDED), returns: [] });
    expect(r.result.cycles).toBe(4 + cost("STORE.state", 12));
  });
  it("INVALID_STATE_KEY (charges nothing)", () => {
    expect(trap([...pushes(0, 0, 0, 0), ["LOAD", "state"]], Trap.INVALID_STATE_KEY)).toBe(4);
    expect(trap([...pushes(0, Limit.MAX_KEY_SIZE + 1, 0, 0), ["STORE", "state"]], Trap.INVALID_STATE_KEY)).toBe(4);
    expect(trap([...pushes(0, 0), ["STORE", "del"]], Trap.INVALID_STATE_KEY)).toBe(2);
    expect(trap([...pushes(0, -1), ["STORE", "del"]], Trap.MEMORY_OUT_OF_BOUNDS)).toBe(2); // a negative length is a bad range first
  });
  it("INVALID_AMOUNT (charges nothing)", () => {
    expect(trap([...pushes(0, 0), "TRANSFER"], Trap.INVALID_AMOUNT)).toBe(2);
    expect(trap([...pushes(0, -5), "TRANSFER"], Trap.INVALID_AMOUNT)).toBe(2);
    expect(trap([...pushes(0, MIN), "TRANSFER"], Trap.INVALID_AMOUNT)).toBe(2);
  });
  it("OUTPUT_LIMIT_EXCEEDED (after the charge)", () => {
    const mm = { maxMemory: Limit.MAX_OUTPUT + 1 };
    expect(trap([...pushes(0, Limit.MAX_OUTPUT + 1), "EMIT"], Trap.OUTPUT_LIMIT_EXCEEDED, mm)).toBe(2 + cost("EMIT", Limit.MAX_OUTPUT + 1));
  });
  it("LOG_LIMIT_EXCEEDED (after the charge)", () => {
    const mm = { maxMemory: Limit.MAX_LOG_BYTES + 1 };
    expect(trap([...pushes(0, Limit.MAX_LOG_BYTES + 1), "LOG"], Trap.LOG_LIMIT_EXCEEDED, mm)).toBe(2 + cost("LOG", Limit.MAX_LOG_BYTES + 1));
  });
  it("TRANSFER_LIMIT_EXCEEDED (after the charge)", () => {
    const self = new Uint8Array(16).fill(1);
    const context = { self, balances: new Map([["01".repeat(16), 1000n]]) };
    const one: Item[] = [...pushes(0, 1), "TRANSFER", "POP"];
    const items: Item[] = [...new Array(Limit.MAX_TRANSFERS).fill(one).flat(), ...pushes(0, 1), "TRANSFER"];
    const before = Limit.MAX_TRANSFERS * (2 + cost("TRANSFER") + cost("POP")) + 2;
    expect(trap(items, Trap.TRANSFER_LIMIT_EXCEEDED, { context })).toBe(before + cost("TRANSFER"));
  });
});

describe("the order of the checks inside a step (SPEC §8.1)", () => {
  it("STACK before OPERANDS before GAS", () => {
    expect(trap([...pushes(1000, 1), "EMIT"], Trap.MEMORY_OUT_OF_BOUNDS, { maxCycles: 2, maxMemory: 8 })).toBe(2);
    expect(trap([...pushes(1000), "EMIT"], Trap.STACK_UNDERFLOW, { maxCycles: 1, maxMemory: 8 })).toBe(1);
  });
  it("memory ranges before key lengths before the charge", () => {
    expect(trap([...pushes(100, 0, 0, 0), ["STORE", "state"]], Trap.MEMORY_OUT_OF_BOUNDS, { maxMemory: 8 })).toBe(4);
    expect(trap([...pushes(0, 0, 0, 0), ["STORE", "state"]], Trap.INVALID_STATE_KEY, { maxCycles: 4 })).toBe(4);
  });
  it("memory range before amount before the charge", () => {
    expect(trap([...pushes(100, 0), "TRANSFER"], Trap.MEMORY_OUT_OF_BOUNDS, { maxMemory: 8 })).toBe(2);
    expect(trap([...pushes(0, 0), "TRANSFER"], Trap.INVALID_AMOUNT, { maxCycles: 2 })).toBe(2);
  });
  it("the charge before the operation's traps", () => {
    expect(trap([...pushes(1, 0), "DIV"], Trap.OUT_OF_CYCLES, { maxCycles: 4 })).toBe(2);
  });
  it("CALL_DEPTH checks the call stack in the STACK phase, before the charge", () => {
    // 64 nested calls fit exactly; the 65th traps CALL_DEPTH_EXCEEDED even with no cycles left
    const maxCycles = Limit.CALL_DEPTH * cost("CALL");
    expect(trap(["f:", ["CALL", "f"]], Trap.CALL_DEPTH_EXCEEDED, { maxCycles })).toBe(maxCycles);
  });
});

describe("TRAP and ABORT results (SPEC §8.2, §13)", () => {
  it("a trap's code is the trap code, with no returns", () => {
    const r = run({ code: asm(...pushes(1, 0), "DIV", "HALT"), rets: 1 });
    expect(r.result.status).toBe(Status.TRAP);
    expect(r.result.returns).toEqual([]);
  });
});
