/**
 * The compaction charge (SPEC §9.7) of contract version 2: a STORE.state that
 * appends an entry (a new key, or a new value length) while the state arena's
 * fill would pass MAX_STATE_SIZE pays the v2 table's `compaction` row,
 * `base + per × entries`, on top of its own cost. The fill starts at the prior
 * state's size, grows by the size of every appended entry, and a compaction
 * resets it to the state size (without the replaced entry) plus the new entry.
 *
 * Each expectation is written from that rule and the table, not from a run:
 * the prior state fills the arena to exactly MAX_STATE_SIZE - 20, so the first
 * store of an 8-byte key with an 8-byte value (an entry of 20) fills it and
 * the next appending store compacts.
 */
import { COST_TABLES, Limit, chargeOf, costOf, intrinsicOf, COMPACTION, rehashOf } from "../../host-ts/src/generated/opcodes.ts";
import { assemble } from "../../host-ts/src/asm/index.ts";
import { encodeJob } from "../../host-ts/src/model/codec.ts";
import { intrinsicMeasureOf } from "../../host-ts/src/model/intrinsic-measure.ts";
import { makeJob } from "../../host-ts/src/model/job.ts";
import type { StateMap } from "../../host-ts/src/model/types.ts";
import { bytesToHex } from "../../host-ts/src/model/bytes.ts";
import { main, vectorJobParts, type DefFile, type JobFields, type VectorDef } from "./lib.ts";

const V2 = COST_TABLES.v2;
const MAX = Limit.MAX_STATE_SIZE;
const entrySize = (klen: number, vlen: number): number => Limit.STATE_ENTRY_OVERHEAD + klen + vlen;

/** Key K (8 bytes) at 0, an 8-byte value at 8, a 9-byte value at 16, key K2 at 32. */
const K = Uint8Array.from({ length: 8 }, (_, i) => 0x01 + i);
const K2 = Uint8Array.from({ length: 8 }, (_, i) => 0x21 + i);
const INPUT = Uint8Array.from({ length: 40 }, (_, i) => (i < 8 ? K[i] : i >= 32 ? K2[i - 32] : (i * 13) & 0xff));
const SMALL = 100;

/** 100 entries of 2-byte keys and empty values, and one padding entry: the state size is MAX_STATE_SIZE - 20. */
function fullState(): StateMap {
  const s: StateMap = new Map();
  for (let i = 0; i < SMALL; i++) s.set(bytesToHex(Uint8Array.of(0x80, i)), new Uint8Array(0));
  const padKey = Uint8Array.of(0xf0, 0xf1, 0xf2);
  const padLen = MAX - 20 - SMALL * entrySize(2, 0) - entrySize(padKey.length, 0);
  s.set(bytesToHex(padKey), Uint8Array.from({ length: padLen }, (_, i) => (i * 7) & 0xff));
  return s;
}
const PRIOR = fullState();

const storeK = (valueAt: number, vlen: number) => ["PUSH 0", "PUSH 8", `PUSH ${valueAt}`, `PUSH ${vlen}`, "STORE.state"];
const storeK2 = (valueAt: number, vlen: number) => ["PUSH 32", "PUSH 8", `PUSH ${valueAt}`, `PUSH ${vlen}`, "STORE.state"];
const delK = ["PUSH 0", "PUSH 8", "STORE.del"];
const delSmall0 = [`PUSH 48`, "PUSH 2", "STORE.del"]; // the 2-byte key 80 00, stored in memory at 48 by the program

/** What the listed instructions charge under v2 (PUSH of 0..255 has a 1-byte immediate; its cost has no size part). */
function charges(lines: string[]): number {
  let sum = 0;
  for (const l of lines) {
    const op = l.split(" ")[0];
    if (op === "PUSH") sum += V2.PUSH.base;
    else if (op === "STORE.state") throw new Error("internal: price STORE.state with its operands");
    else sum += costOf(op, 0, V2);
  }
  return sum;
}
const storeCost = (klen: number, vlen: number) => costOf("STORE.state", klen + vlen, V2);
const delCost = (klen: number) => costOf("STORE.del", klen, V2);
const compaction = (entries: number): number => chargeOf(COMPACTION.v2!, entries);

interface Shape { body: string[]; cycles: number; fields: JobFields }

function source(s: Shape, cycles = s.cycles): string {
  return main(s.body.join("\n"), { memory: 64, state: MAX, cycles });
}
function intrinsicFor(s: Shape, cycles = s.cycles): number {
  const contract = assemble(source(s, cycles), { costTable: "v2" });
  return intrinsicOf("v2", intrinsicMeasureOf(encodeJob(makeJob(contract, vectorJobParts(s.fields, contract)))));
}

/** Writes 80 00 (the first small key) at memory 48, so delSmall0 can name it. */
const putSmallKey = ["PUSH 128", "PUSH 48", "STORE.m8", "PUSH 0", "PUSH 49", "STORE.m8"];
const putSmallKeyCost = 4 * V2.PUSH.base + 2 * V2["STORE.m8"].base;

const fields: JobFields = { input: INPUT, state: PRIOR };
const halt = V2.HALT.base;
// SPEC §8.2: each of these calls changes the state, so its HALT also pays the rehash row over the final entries.
const haltChanged = (entries: number): number => halt + rehashOf("v2", entries);
const haltK = haltChanged(PRIOR.size + 1); // the final state: the prior one with K
const hexState = (m: StateMap): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, bytesToHex(v)]));
const withK = (value: Uint8Array, key = K): Record<string, string> => hexState(new Map([...PRIOR, [bytesToHex(key), value]]));
const V8 = INPUT.slice(8, 16);
const V9 = INPUT.slice(16, 25);

function vector(name: string, description: string, body: string[], expect: (intrinsic: number) => VectorDef["expect"], cycles = 10_000_000): VectorDef {
  const s: Shape = { body, cycles, fields };
  const i = intrinsicFor(s);
  return { name, description, source: source(s), ...fields, expect: expect(i) };
}

/** max_cycles == intrinsic + extra for the job that carries it (its length depends on how max_cycles encodes). */
function fitted(name: string, description: string, body: string[], extra: number, expect: (intrinsic: number) => VectorDef["expect"]): VectorDef {
  let limit = extra;
  for (let n = 0; n < 8; n++) {
    const want = intrinsicFor({ body, cycles: limit, fields }) + extra;
    if (want === limit) {
      const s: Shape = { body, cycles: limit, fields };
      return { name, description, source: source(s), ...fields, expect: expect(want - extra) };
    }
    limit = want;
  }
  throw new Error("compaction vectors: no fixed point for max_cycles");
}

const first = [...storeK(8, 8)];
const firstCost = charges(["PUSH 0", "PUSH 8", "PUSH 8", "PUSH 8"]) + storeCost(8, 8);
const churn = [...first, ...delK, ...storeK(8, 8)];
const churnBefore = firstCost + charges(delK.slice(0, 2)) + delCost(8) + charges(["PUSH 0", "PUSH 8", "PUSH 8", "PUSH 8"]);
// Entries when the second store of K runs: the prior state's (K was stored, then deleted).
const churnEntries = PRIOR.size;

export const compactionVectors: DefFile = {
  category: "v2-compaction",
  description: "the compaction charge of contract version 2 (SPEC §9.7): a STORE.state that appends to a full state arena",
  vectors: [
    vector("compaction/fill-exact", "the first store fills the arena to exactly MAX_STATE_SIZE: no compaction, no charge beyond STORE.state's", [...first, "HALT"],
      (i) => ({ status: "HALT", cycles: i + firstCost + haltK, state: withK(V8) })),
    vector("compaction/churn", "store K, delete K, store K again: the second store finds the arena full and compacts (entries = the prior state's 101)", [...churn, "HALT"],
      (i) => ({ status: "HALT", cycles: i + churnBefore + storeCost(8, 8) + compaction(churnEntries) + haltK, state: withK(V8) })),
    vector("compaction/overwrite-same-length", "on a full arena, overwriting K's value with one of the same length appends nothing: no compaction", [...first, ...storeK(8, 8), "HALT"],
      (i) => ({ status: "HALT", cycles: i + 2 * firstCost + haltK, state: withK(V8) })),
    vector("compaction/resize", "on a full arena, delete a small entry, then give K a 9-byte value: the new length appends and compacts (entries = 101 with K, less the deleted one)", [...putSmallKey, ...first, ...delSmall0, ...storeK(16, 9), "HALT"],
      (i) => {
        const state = new Map([...PRIOR, [bytesToHex(K), V9]]);
        state.delete(bytesToHex(Uint8Array.of(0x80, 0)));
        return { status: "HALT", cycles: i + putSmallKeyCost + firstCost + charges(delSmall0.slice(0, 2)) + delCost(2) + charges(["PUSH 0", "PUSH 8", "PUSH 16", "PUSH 9"]) + storeCost(8, 9) + compaction(PRIOR.size) + haltChanged(PRIOR.size), state: hexState(state) };
      }),
    fitted("compaction/out-of-cycles", "max_cycles one short of the compacting store's charge with the compaction: OUT_OF_CYCLES at that store, the cycles of the instructions before it", [...churn, "HALT"],
      churnBefore + storeCost(8, 8) + compaction(churnEntries) - 1,
      (i) => ({ status: "TRAP", code: "OUT_OF_CYCLES", cycles: i + churnBefore })),
    fitted("compaction/exact-fit", "max_cycles exactly the compacting store's charge with the compaction, then HALT's: HALT with cycles == max_cycles", [...churn, "HALT"],
      churnBefore + storeCost(8, 8) + compaction(churnEntries) + haltK,
      (i) => ({ status: "HALT", cycles: i + churnBefore + storeCost(8, 8) + compaction(churnEntries) + haltK, state: withK(V8) })),
    vector("compaction/then-state-limit", "on a full arena, delete K, then store K2 with a 9-byte value: charged with the compaction, then STATE_LIMIT_EXCEEDED (the state would be one byte over)", [...first, ...delK, ...storeK2(16, 9), "HALT"],
      (i) => ({ status: "TRAP", code: "STATE_LIMIT_EXCEEDED", cycles: i + firstCost + charges(delK.slice(0, 2)) + delCost(8) + charges(["PUSH 32", "PUSH 8", "PUSH 16", "PUSH 9"]) + storeCost(8, 9) + compaction(PRIOR.size) })),
    vector("compaction/fill-resets", "after a compaction the fill is the state size: a third store of K after another delete compacts again (each append to a full arena does)", [...churn, ...delK, ...storeK(8, 8), "HALT"],
      (i) => ({ status: "HALT", cycles: i + churnBefore + storeCost(8, 8) + compaction(churnEntries) + charges(delK.slice(0, 2)) + delCost(8) + charges(["PUSH 0", "PUSH 8", "PUSH 8", "PUSH 8"]) + storeCost(8, 8) + compaction(churnEntries) + haltK, state: withK(V8) })),
  ],
};
