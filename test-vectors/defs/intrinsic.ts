/**
 * The intrinsic charge (SPEC §8) of contract version 2: charged after
 * validation and before the first instruction, `JOB + JOB.state + JOB.memory`
 * of spec/opcodes.json's v2 table over the job's length, the prior state
 * size and max_memory. Each expectation is that formula over the vector's
 * own job bytes; a limit that must fit exactly is found as the fixed point of
 * "max_cycles = intrinsic(job with that max_cycles) + extra" (the job's length
 * depends on how max_cycles encodes).
 */
import { COST_TABLES, Limit, costOf, indexMoveOf, intrinsicOf, rehashOf } from "../../host-ts/src/generated/opcodes.ts";
import { assemble } from "../../host-ts/src/asm/index.ts";
import { encodeJob } from "../../host-ts/src/model/codec.ts";
import { intrinsicMeasureOf } from "../../host-ts/src/model/intrinsic-measure.ts";
import { makeJob } from "../../host-ts/src/model/job.ts";
import type { StateMap } from "../../host-ts/src/model/types.ts";
import { bytesToHex } from "../../host-ts/src/model/bytes.ts";
import { main, vectorJobParts, type DefFile, type JobFields, type VectorDef } from "./lib.ts";

const V2 = COST_TABLES.v2;
const c = (k: string): number => V2[k].base;

interface Shape { body: string; memory?: number; state?: number; fields?: JobFields }

const source = (s: Shape, cycles: number): string => main(s.body, { memory: s.memory ?? 256, state: s.state ?? 4096, cycles });

/** The intrinsic charge of the job this shape gives with max_cycles = `cycles`. */
function intrinsicFor(s: Shape, cycles: number): number {
  const contract = assemble(source(s, cycles), { costTable: "v2" });
  return intrinsicOf("v2", intrinsicMeasureOf(encodeJob(makeJob(contract, vectorJobParts(s.fields ?? {}, contract)))));
}

/** max_cycles such that max_cycles == intrinsic + extra for the job carrying it. */
function fit(s: Shape, extra: number): { limit: number; intrinsic: number } {
  let limit = Math.max(0, extra);
  for (let i = 0; i < 8; i++) {
    const want = intrinsicFor(s, limit) + extra;
    if (want === limit) return { limit, intrinsic: want - extra };
    limit = want;
  }
  throw new Error("intrinsic vectors: no fixed point for max_cycles");
}

/** A vector of this shape at max_cycles = intrinsic + extra. */
function at(name: string, description: string, s: Shape, extra: number, expect: (i: number) => VectorDef["expect"]): VectorDef {
  const f = fit(s, extra);
  return { name, description, source: source(s, f.limit), ...s.fields, expect: expect(f.intrinsic) };
}

function bigState(bytes: number): StateMap {
  // 1000-byte values under 2-byte keys: entries of 1006 bytes in the state size.
  const m: StateMap = new Map();
  for (let i = 0; m.size * 1006 + 1006 <= bytes; i++) m.set(bytesToHex(Uint8Array.of(0x6b, i)), Uint8Array.from({ length: 1000 }, (_, j) => (i * 31 + j) & 0xff));
  return m;
}

const HALT: Shape = { body: "HALT" };
const LOGS: Shape = { body: "PUSH 0\nPUSH 1\nLOG\nHALT" };
const STATE: Shape = { body: "HALT", state: Limit.MAX_STATE_SIZE, fields: { state: bigState(Limit.MAX_STATE_SIZE) } };
const INPUT: Shape = { body: "HALT", memory: Limit.MAX_MEMORY, fields: { input: Uint8Array.from({ length: Limit.MAX_MEMORY }, (_, i) => (i * 7) & 0xff) } };
const MEMORY: Shape = { body: "HALT", memory: Limit.MAX_MEMORY };
// 4096 bytes of unreachable code after the HALT: validated, hashed and charged per job byte, never run.
const CODE: Shape = { body: "HALT\n" + Array.from({ length: 4096 }, () => "POP").join("\n") };

// SPEC §8.2: a HALT whose call changed the state pays the rehash row over the final state's entries.
const storeNew = ["PUSH 0", "PUSH 1", "PUSH 0", "PUSH 0", "STORE.state"]; // key 00 (absent), empty value
// SPEC §9.7's index moves: key 00 sorts before the 32 prior keys, so its insert at 0 shifts all 32 slots of the one block.
const storeNewCost = 4 * c("PUSH") + costOf("STORE.state", 1, V2) + indexMoveOf("v2", 32);
const bigEntries = bigState(Limit.MAX_STATE_SIZE).size;
const STORE_HALT: Shape = { ...STATE, body: [...storeNew, "HALT"].join("\n") };
const storeHaltExtra = storeNewCost + c("HALT") + rehashOf("v2", bigEntries + 1);
// Key 6b 00 (present) written at memory 0, then deleted.
const delPresent = ["PUSH 107", "PUSH 0", "STORE.m8", "PUSH 0", "PUSH 2", "STORE.del"];
// Key 6b 00 is the first of the 32: its removal shifts the 31 after it.
const delPresentCost = 4 * c("PUSH") + c("STORE.m8") + costOf("STORE.del", 2, V2) + indexMoveOf("v2", 31);
const DEL_HALT: Shape = { ...STATE, body: [...delPresent, "HALT"].join("\n") };
const DEL_ABSENT: Shape = { ...STATE, body: ["PUSH 0", "PUSH 1", "STORE.del", "HALT"].join("\n") };
const delAbsentExtra = 2 * c("PUSH") + costOf("STORE.del", 1, V2) + c("HALT");
// The prior state {01: 05}; the call stores 05 under 01 again: unchanged bytes, still a store.
const SAME: Shape = { body: ["PUSH 1", "PUSH 0", "STORE.m8", "PUSH 5", "PUSH 1", "STORE.m8", "PUSH 0", "PUSH 1", "PUSH 1", "PUSH 1", "STORE.state", "HALT"].join("\n"), fields: { state: new Map([["01", Uint8Array.of(5)]]) } };
const sameExtra = 8 * c("PUSH") + 2 * c("STORE.m8") + costOf("STORE.state", 2, V2) + c("HALT") + rehashOf("v2", 1);
const STORE_ABORT: Shape = { ...STATE, body: [...storeNew, "PUSH 7", "ABORT"].join("\n") };
const storeAbortExtra = storeNewCost + c("PUSH") + c("ABORT");

const JUMPS: Shape = { body: "HALT\n" + Array.from({ length: 1365 }, () => "JMP 0").join("\n") };
const BALANCES: Shape = { body: "HALT", fields: { balances: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [bytesToHex(Uint8Array.from({ length: 16 }, (_, j) => (i * 13 + j * 7 + 1) & 0xff)), BigInt(i)])) } };
const MANY: Shape = { body: "HALT", fields: { state: new Map(Array.from({ length: 400 }, (_, i) => [bytesToHex(Uint8Array.of(0x20 + (i >> 8), i & 0xff)), Uint8Array.of(i & 0xff)] as [string, Uint8Array])) } };

const oneShort = (i: number): VectorDef["expect"] => { void i; return { status: "TRAP", code: "OUT_OF_CYCLES", cycles: 0, logs: [] }; };
const halts = (i: number): VectorDef["expect"] => ({ status: "HALT", cycles: i + c("HALT") });

export const intrinsic: DefFile = {
  category: "v2-intrinsic",
  description: "the intrinsic per-job charge of contract version 2 (SPEC §8) and the contract version rule (SPEC §5)",
  vectors: [
    at("intrinsic/exact-fit-halt-short", "max_cycles == intrinsic: the charge fits, then HALT's does not: OUT_OF_CYCLES at HALT with cycles = intrinsic", HALT, 0, (i) => ({ status: "TRAP", code: "OUT_OF_CYCLES", cycles: i })),
    at("intrinsic/exact-fit-halt", "max_cycles == intrinsic + HALT: HALT with cycles == max_cycles", HALT, c("HALT"), halts),
    at("intrinsic/one-short", "max_cycles == intrinsic - 1: OUT_OF_CYCLES before the first instruction, cycles 0, no LOG record", LOGS, -1, oneShort),
    { name: "intrinsic/zero-cycles", description: "max_cycles 0: OUT_OF_CYCLES before the first instruction, cycles 0", source: source(LOGS, 0), expect: oneShort(0) },
    at("intrinsic/logs-fit", "max_cycles == intrinsic + the program's charges: LOG runs and is kept", LOGS, 2 * c("PUSH") + V2.LOG.base + V2.LOG.per! + c("HALT"), (i) => ({ status: "HALT", cycles: i + 2 * c("PUSH") + V2.LOG.base + V2.LOG.per! + c("HALT"), logs: ["00"] })),
    at("intrinsic/big-state-halt", "a near-full prior state (32 entries, 32192 bytes): JOB.state charges it; exact fit then HALT", STATE, c("HALT"), halts),
    at("intrinsic/big-state-one-short", "a near-full prior state, one cycle short of the intrinsic charge: cycles 0, state_hash of the prior state", STATE, -1, oneShort),
    at("intrinsic/big-input-halt", "32768 bytes of input (max_memory 32768): JOB and JOB.memory charge it; exact fit then HALT", INPUT, c("HALT"), halts),
    at("intrinsic/big-input-one-short", "32768 bytes of input, one cycle short of the intrinsic charge", INPUT, -1, oneShort),
    at("intrinsic/big-memory-halt", "max_memory 32768 without input: JOB.memory charges the zeroed memory; exact fit then HALT", MEMORY, c("HALT"), halts),
    at("intrinsic/big-code-halt", "4096 bytes of code never run: JOB, JOB.code and JOB.instructions charge their validation and hashing; exact fit then HALT", CODE, c("HALT"), halts),
    at("intrinsic/big-code-one-short", "4096 bytes of code never run, one cycle short of the intrinsic charge", CODE, -1, oneShort),
    at("intrinsic/jump-code-halt", "1365 JMPs never run (3 bytes each): JOB.code over the bytes, JOB.instructions over the instructions; exact fit then HALT", JUMPS, c("HALT"), halts),
    at("intrinsic/balances-halt", "200 balances in the context: JOB.entries charges them with the prior state's entries; exact fit then HALT", BALANCES, c("HALT"), halts),
    at("intrinsic/balances-one-short", "200 balances, one cycle short of the intrinsic charge", BALANCES, -1, oneShort),
    at("intrinsic/many-entries-one-short", "400 prior entries of 1-byte values: JOB.entries; one cycle short of the intrinsic charge", MANY, -1, oneShort),
    at("intrinsic/many-entries-halt", "400 prior entries: exact fit then HALT", MANY, c("HALT"), halts),
    at("rehash/store-halt", "a near-full prior state, one new key stored, HALT: HALT pays its base plus the rehash row over the 33 final entries; exact fit", STORE_HALT, storeHaltExtra, (i) => ({ status: "HALT", cycles: i + storeHaltExtra })),
    at("rehash/store-halt-one-short", "as store-halt with one cycle less: the HALT (base and rehash, one charge) traps OUT_OF_CYCLES, charging neither; the prior state stays", STORE_HALT, storeHaltExtra - 1, (i) => ({ status: "TRAP", code: "OUT_OF_CYCLES", cycles: i + storeNewCost })),
    at("rehash/del-present-halt", "STORE.del of a present key changes the state: HALT pays the rehash row over the 31 entries left; exact fit", DEL_HALT, delPresentCost + c("HALT") + rehashOf("v2", bigEntries - 1), (i) => ({ status: "HALT", cycles: i + delPresentCost + c("HALT") + rehashOf("v2", bigEntries - 1) })),
    at("rehash/del-absent-halt", "STORE.del of an absent key changes nothing: HALT pays its base only (exact fit without the rehash row)", DEL_ABSENT, delAbsentExtra, (i) => ({ status: "HALT", cycles: i + delAbsentExtra })),
    at("rehash/same-value-halt", "storing the value a key already holds is still a store: HALT pays the rehash row (state_hash equals the prior one)", SAME, sameExtra, (i) => ({ status: "HALT", cycles: i + sameExtra, state: { "01": "05" } })),
    at("rehash/same-value-one-short", "as same-value-halt with one cycle less: OUT_OF_CYCLES at HALT", SAME, sameExtra - 1, (i) => ({ status: "TRAP", code: "OUT_OF_CYCLES", cycles: i + sameExtra - c("HALT") - rehashOf("v2", 1) })),
    at("rehash/store-abort", "a store then ABORT: the state is not committed, ABORT pays its base only (exact fit)", STORE_ABORT, storeAbortExtra, (i) => ({ status: "ABORT", code: "7", cycles: i + storeAbortExtra })),
    { name: "version/1-no-intrinsic", description: "the same near-full prior state under contract version 1: table v1 and no intrinsic charge", source: ".costs v1\n" + source(STATE, 10), ...STATE.fields, expect: { status: "HALT", cycles: COST_TABLES.v1.HALT.base } },
    { name: "version/3-unsupported", description: "contract version 3 names no cost table: UNSUPPORTED_VERSION", source: source(HALT, 1000), contract: (k) => { k.version = 3; }, expect: { status: "INVALID", code: "UNSUPPORTED_VERSION" } },
    { name: "version/0-unsupported", description: "contract version 0 names no cost table: UNSUPPORTED_VERSION", source: source(HALT, 1000), contract: (k) => { k.version = 0; }, expect: { status: "INVALID", code: "UNSUPPORTED_VERSION" } },
  ],
};
