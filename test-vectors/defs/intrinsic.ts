/**
 * The intrinsic charge (SPEC §8) of contract version 2: charged after
 * validation and before the first instruction, `JOB + JOB.state + JOB.memory`
 * of spec/opcodes.json's v2 table over the job's length, the prior state
 * size and max_memory. Each expectation is that formula over the vector's
 * own job bytes; a limit that must fit exactly is found as the fixed point of
 * "max_cycles = intrinsic(job with that max_cycles) + extra" (the job's length
 * depends on how max_cycles encodes).
 */
import { COST_TABLES, Limit, intrinsicOf } from "../../host-ts/src/generated/opcodes.ts";
import { assemble } from "../../host-ts/src/asm/index.ts";
import { encodeJob } from "../../host-ts/src/model/codec.ts";
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
  const bytes = encodeJob(makeJob(contract, vectorJobParts(s.fields ?? {}, contract)));
  let size = 0;
  for (const [k, v] of s.fields?.state ?? new Map<string, Uint8Array>()) size += Limit.STATE_ENTRY_OVERHEAD + k.length / 2 + v.length;
  return intrinsicOf("v2", { jobBytes: bytes.length, stateSize: size, maxMemory: contract.maxMemory });
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
    at("intrinsic/big-code-halt", "4096 bytes of code never run: JOB charges their validation and hashing; exact fit then HALT", CODE, c("HALT"), halts),
    { name: "version/1-no-intrinsic", description: "the same near-full prior state under contract version 1: table v1 and no intrinsic charge", source: ".costs v1\n" + source(STATE, 10), ...STATE.fields, expect: { status: "HALT", cycles: COST_TABLES.v1.HALT.base } },
    { name: "version/3-unsupported", description: "contract version 3 names no cost table: UNSUPPORTED_VERSION", source: source(HALT, 1000), contract: (k) => { k.version = 3; }, expect: { status: "INVALID", code: "UNSUPPORTED_VERSION" } },
    { name: "version/0-unsupported", description: "contract version 0 names no cost table: UNSUPPORTED_VERSION", source: source(HALT, 1000), contract: (k) => { k.version = 0; }, expect: { status: "INVALID", code: "UNSUPPORTED_VERSION" } },
  ],
};
