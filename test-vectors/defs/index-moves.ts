/**
 * The index-move charge (SPEC §9.7) of contract version 2: a STORE.state of
 * a new key and a STORE.del of a present one pay v2's `indexMove` row for
 * the slots of the sorted index they move. The index is counted as 64-slot
 * blocks (INDEX_BLOCK), every one full but the last: an insert at position p
 * of n entries shifts the slots from p to the end of p's block (or to n in the
 * last block) and moves one slot across each later block boundary; a removal
 * likewise. Each expectation is written from that rule, with the count of
 * slots spelled out, not from a run.
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
const PUSH = V2.PUSH.base;
const HALT = V2.HALT.base;
const index = (slots: number): number => indexMoveOf("v2", slots);
if (Limit.INDEX_BLOCK !== 64) throw new Error("index-move vectors: the slot counts below assume 64-slot blocks");

// The input, at memory 0: key 00 at 0, key 40 01 at 1, key f0 f1 f2 at 3, key 40 00 at 6, key 41 8e at 8.
const INPUT = Uint8Array.of(0x00, 0x40, 0x01, 0xf0, 0xf1, 0xf2, 0x40, 0x00, 0x41, 0x8e);
const key2 = (v: number): string => bytesToHex(Uint8Array.of(0x40 + (v >> 8), v & 0xff));
/** 64 entries 40 00..40 3f, one-byte values: one full block. */
const S64: StateMap = new Map(Array.from({ length: 64 }, (_, i) => [key2(i), Uint8Array.of(i)] as [string, Uint8Array]));
/** 200 entries of the even 2-byte keys 40 00, 40 02, .. 41 8e: blocks of 64, 64, 64 and 8. */
const S200: StateMap = new Map(Array.from({ length: 200 }, (_, i) => [key2(2 * i), Uint8Array.of(i & 0xff)] as [string, Uint8Array]));
const sizeOf = (m: StateMap): number => [...m].reduce((s, [k, v]) => s + Limit.STATE_ENTRY_OVERHEAD + k.length / 2 + v.length, 0);

interface Shape { body: string[]; state: StateMap; maxState?: number }
const fieldsOf = (s: Shape): JobFields => ({ input: INPUT, state: s.state });
const source = (s: Shape, cycles: number): string => main(s.body.join("\n"), { memory: 256, state: s.maxState ?? 4096, cycles });
function intrinsicFor(s: Shape, cycles: number): number {
  const contract = assemble(source(s, cycles), { costTable: "v2" });
  return intrinsicOf("v2", intrinsicMeasureOf(encodeJob(makeJob(contract, vectorJobParts(fieldsOf(s), contract)))));
}
/** max_cycles = intrinsic + extra for the job that carries it (its length depends on how max_cycles encodes). */
function fitted(name: string, description: string, s: Shape, extra: number, expect: (intrinsic: number) => VectorDef["expect"]): VectorDef {
  let limit = extra;
  for (let n = 0; n < 8; n++) {
    const want = intrinsicFor(s, limit) + extra;
    if (want === limit) return { name, description, source: source(s, limit), ...fieldsOf(s), expect: expect(want - extra) };
    limit = want;
  }
  throw new Error("index-move vectors: no fixed point for max_cycles");
}
function vector(name: string, description: string, s: Shape, expect: (intrinsic: number) => VectorDef["expect"]): VectorDef {
  const cycles = 1_000_000;
  return { name, description, source: source(s, cycles), ...fieldsOf(s), expect: expect(intrinsicFor(s, cycles)) };
}
const hexState = (m: StateMap): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, bytesToHex(v)]));
const withEntry = (m: StateMap, k: string, v: Uint8Array): StateMap => new Map([...m, [k, v]]);
const without = (m: StateMap, k: string): StateMap => { const o = new Map(m); o.delete(k); return o; };

const store = (keyAt: number, klen: number, valAt: number, vlen: number) => [`PUSH ${keyAt}`, `PUSH ${klen}`, `PUSH ${valAt}`, `PUSH ${vlen}`, "STORE.state"];
const storeCost = (klen: number, vlen: number) => 4 * PUSH + costOf("STORE.state", klen + vlen, V2);
const del = (keyAt: number, klen: number) => [`PUSH ${keyAt}`, `PUSH ${klen}`, "STORE.del"];
const delCost = (klen: number) => 2 * PUSH + costOf("STORE.del", klen, V2);
const changedHalt = (entries: number) => HALT + rehashOf("v2", entries);

// Key 00 sorts before all 64: its insert at 0 shifts the block's 63 others up and passes the last slot to a new block: 64.
const FIRST64: Shape = { body: [...store(0, 1, 0, 0), "HALT"], state: S64 };
const first64 = storeCost(1, 0) + index(64);
// Key f0 f1 f2 (3 bytes) sorts after every 2-byte key: it goes in at 64, the start of a new block: nothing moves.
const LAST64: Shape = { body: [...store(3, 3, 0, 0), "HALT"], state: S64 };
// Key 40 01 goes in at 1 of 200: 62 shifts in the first block and one slot across each of the 3 later boundaries: 65.
const SECOND200: Shape = { body: [...store(1, 2, 0, 0), "HALT"], state: S200 };
// Deleting 40 00, the first of 200: 63 shifts in its block and one slot back across each of 3 boundaries: 66.
const DELFIRST: Shape = { body: [...del(6, 2), "HALT"], state: S200 };
// Deleting 41 8e, the last of 200 (position 7 of the last block): nothing moves.
const DELLAST: Shape = { body: [...del(8, 2), "HALT"], state: S200 };
// Key 40 01 is absent from S200: nothing is removed, nothing moves, the state is unchanged.
const DELABSENT: Shape = { body: [...del(1, 2), "HALT"], state: S200 };
// 40 00 stored with a 2-byte value (a new length): the entry keeps its place, no slot moves.
const NEWLEN: Shape = { body: [...store(6, 2, 1, 2), "HALT"], state: S64 };
// As FIRST64 with max_state_size the prior size: the insert is charged, slots included, then traps.
const LIMIT64: Shape = { ...FIRST64, maxState: sizeOf(S64) };

export const indexMoveVectors: DefFile = {
  category: "v2-index",
  description: "the index-move charge of contract version 2 (SPEC §9.7): an insert or removal pays for the slots of the sorted index it moves",
  vectors: [
    vector("index/insert-first-of-64", "a new first key among 64 entries: 64 slots move (63 shifts, one across into a new block)", FIRST64,
      (i) => ({ status: "HALT", cycles: i + first64 + changedHalt(65), state: hexState(withEntry(S64, "00", new Uint8Array(0))) })),
    fitted("index/insert-first-of-64-exact", "max_cycles exactly the insert with its 64 slots, then HALT and its rehash: HALT with cycles == max_cycles", FIRST64, first64 + changedHalt(65),
      (i) => ({ status: "HALT", cycles: i + first64 + changedHalt(65) })),
    fitted("index/insert-first-of-64-one-short", "max_cycles one short of the insert with its slots: OUT_OF_CYCLES at the STORE.state, the state unchanged", FIRST64, first64 - 1,
      (i) => ({ status: "TRAP", code: "OUT_OF_CYCLES", cycles: i + 4 * PUSH })),
    vector("index/insert-last-of-64", "a new key that sorts after all 64 entries starts a new block: no slot moves, no index charge", LAST64,
      (i) => ({ status: "HALT", cycles: i + storeCost(3, 0) + changedHalt(65) })),
    vector("index/insert-second-of-200", "a new key at position 1 of 200 (blocks of 64, 64, 64, 8): 62 shifts and 3 boundary moves, 65 slots", SECOND200,
      (i) => ({ status: "HALT", cycles: i + storeCost(2, 0) + index(65) + changedHalt(201) })),
    vector("index/delete-first-of-200", "deleting the first of 200 entries: 63 shifts and 3 boundary moves, 66 slots", DELFIRST,
      (i) => ({ status: "HALT", cycles: i + delCost(2) + index(66) + changedHalt(199), state: hexState(without(S200, "4000")) })),
    vector("index/delete-last-of-200", "deleting the last of 200 entries: no slot moves, no index charge", DELLAST,
      (i) => ({ status: "HALT", cycles: i + delCost(2) + changedHalt(199) })),
    vector("index/delete-absent", "deleting an absent key moves no slot and changes nothing: no index charge, no rehash", DELABSENT,
      (i) => ({ status: "HALT", cycles: i + delCost(2) + HALT })),
    vector("index/new-length-keeps-place", "a present key stored with a new value length keeps its index place: no index charge", NEWLEN,
      (i) => ({ status: "HALT", cycles: i + storeCost(2, 2) + changedHalt(64), state: hexState(withEntry(S64, "4000", Uint8Array.of(0x40, 0x01))) })),
    vector("index/insert-then-state-limit", "max_state_size the prior size: the new first key is charged with its 64 slots, then STATE_LIMIT_EXCEEDED", LIMIT64,
      (i) => ({ status: "TRAP", code: "STATE_LIMIT_EXCEEDED", cycles: i + first64 })),
  ],
};
