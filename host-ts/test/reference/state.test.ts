/** SPEC §8.2 and §13: what each ending commits, and the result fields. */
import { describe, expect, it } from "vitest";
import { Status, Trap } from "../../src/generated/opcodes.ts";
import { decodeResult, stateHash } from "../../src/model/codec.ts";
import type { StateMap } from "../../src/model/types.ts";
import { hash32 } from "../../src/model/codec.ts";
import { asm, hex, jobBytes, run, type Item, type JobSpec } from "./helpers.ts";
import { runJob } from "../../src/reference/index.ts";

const pushes = (...vs: (bigint | number)[]): Item[] => vs.map((v) => ["PUSH", v] as Item);
const self = new Uint8Array(16).fill(1);
const bob = new Uint8Array(16).fill(2);
const prior: StateMap = new Map([["aa", Uint8Array.from([1, 2, 3])], ["bb", new Uint8Array(0)]]);
const spec = (ending: Item[]): JobSpec => ({
  code: asm(
    // memory: bob at 0..16, key "cc" at 16, value 0x99 at 17
    ...pushes(0xcc, 16), ["STORE", "m8"], ...pushes(0x99, 17), ["STORE", "m8"],
    ...pushes(20, 16, 2), ["STORE", "copy"], // copy "cc 99" to 20 (memory only)
    ...pushes(16, 1, 17, 1), ["STORE", "state"], // cc = 99
    ...pushes(0xaa, 18), ["STORE", "m8"], ...pushes(18, 1), ["STORE", "del"], // delete aa
    ...pushes(17, 1), "EMIT",
    ...pushes(17, 1), "LOG",
    ...pushes(0, 10), "TRANSFER", "POP",
    ...pushes(5, 6),
    ...ending,
  ),
  input: bob,
  rets: 2,
  state: prior,
  context: { self, balances: new Map([[hex(self), 50n]]) },
});

describe("HALT commits", () => {
  it("returns, output, transfers and the final state", () => {
    const r = run(spec(["HALT"]));
    expect(r.result.status).toBe(Status.HALT);
    expect(r.result.code).toBe(0n);
    expect(r.result.returns).toEqual([5n, 6n]);
    expect(hex(r.result.output)).toBe("99");
    expect(r.result.logs.map(hex)).toEqual(["99"]);
    expect(r.result.transfers).toEqual([{ to: bob, amount: 10n }]);
    const final: StateMap = new Map([["bb", new Uint8Array(0)], ["cc", Uint8Array.from([0x99])]]);
    expect(r.result.stateHash).toEqual(stateHash(final));
    expect([...r.state!.keys()].sort()).toEqual(["bb", "cc"]);
  });
});

describe("ABORT and TRAP discard all but the logs", () => {
  const endings: [string, Item[], number, bigint][] = [
    ["ABORT", ["ABORT"], Status.ABORT, 6n],
    ["TRAP", ["DIV", ...pushes(0), "DIV"], Status.TRAP, BigInt(Trap.DIVISION_BY_ZERO)],
    ["END_OF_CODE", [], Status.TRAP, BigInt(Trap.END_OF_CODE)],
  ];
  for (const [name, ending, status, code] of endings) {
    it(`${name}: prior state hash, no returns, output or transfers, logs kept`, () => {
      const r = run(spec(ending));
      expect(r.result.status).toBe(status);
      expect(r.result.code).toBe(code);
      expect(r.result.returns).toEqual([]);
      expect(r.result.output.length).toBe(0);
      expect(r.result.transfers).toEqual([]);
      expect(r.result.logs.map(hex)).toEqual(["99"]);
      expect(r.result.stateHash).toEqual(stateHash(prior));
      expect(r.state).toEqual(prior);
      expect(r.result.cycles).toBeGreaterThan(0);
    });
  }
  it("does not change the job's prior state object", () => {
    const before = [...prior.entries()].map(([k, v]) => [k, hex(v)]);
    run(spec(["HALT"]));
    expect([...prior.entries()].map(([k, v]) => [k, hex(v)])).toEqual(before);
  });
});

describe("the result encoding (SPEC §13)", () => {
  it("encodes canonically, hashes to resultHash, and binds the job hash", () => {
    const bytes = jobBytes(spec(["HALT"]));
    const r = runJob(bytes);
    expect(r.result.jobHash).toEqual(hash32(bytes));
    expect(r.resultHash).toEqual(hash32(r.resultBytes));
    expect(decodeResult(r.resultBytes)).toEqual(r.result);
  });
  it("is deterministic", () => {
    const bytes = jobBytes(spec(["HALT"]));
    expect(hex(runJob(bytes).resultBytes)).toBe(hex(runJob(bytes).resultBytes));
  });
  it("an empty prior state hashes the empty map", () => {
    const r = run({ code: asm("HALT") });
    expect(r.result.stateHash).toEqual(hash32(Uint8Array.from([0xa0])));
  });
});
