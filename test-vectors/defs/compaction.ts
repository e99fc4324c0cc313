/**
 * The compaction charge (SPEC §9.7) of contract version 2. The arena starts
 * with the prior state's records in canonical order; an appending STORE.state
 * (a new key, or a new value length) first counts the key's old record as
 * dead, starts a compaction if none runs and the arena's end plus its record
 * would pass COMPACTION_START, and lets a running one process records until
 * it has processed COMPACTION_RATE × its record's bytes (or reached the end,
 * which ends the compaction and moves the end down to the processed live
 * bytes). It pays the v2 `compaction` row per record processed and the
 * `compactionMove` row per 32 bytes of the live records it moved (those that
 * land at a lower offset); a store that processes nothing pays neither.
 *
 * Each expectation is written from that rule and the table, not from a run.
 * The prior state: 100 entries of 2-byte keys and empty values (600 bytes at
 * arena offsets 0..599), then a padding entry of 32,148 bytes at 600; its
 * size is MAX_STATE_SIZE - 20, so the arena's end starts at 32,748.
 */
import { COST_TABLES, Limit, compactionOf, costOf, indexMoveOf, intrinsicOf, rehashOf } from "../../host-ts/src/generated/opcodes.ts";
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

/** Keys K, K2, K3, K4, K5 (8 bytes each) at 0, 32, 40, 48, 56; an 8-byte value at 8, a 9-byte value at 16; zeros from 64 on. */
const key8 = (first: number) => Uint8Array.from({ length: 8 }, (_, i) => first + i);
const K = key8(0x01);
const K2 = key8(0x21);
const K3 = key8(0x31);
const K4 = key8(0x41);
const K5 = key8(0x51);
const INPUT = new Uint8Array(64);
INPUT.set(K, 0);
for (let i = 8; i < 32; i++) INPUT[i] = (i * 13) & 0xff;
INPUT.set(K2, 32);
INPUT.set(K3, 40);
INPUT.set(K4, 48);
INPUT.set(K5, 56);
const SMALL = 100;
const ZEROS = 64; // memory address of a run of zero bytes (past the input)

const padKey = Uint8Array.of(0xf0, 0xf1, 0xf2);
/** 100 entries of 2-byte keys and empty values, and one padding entry: the state size is MAX_STATE_SIZE - 20. */
function fullState(): StateMap {
  const s: StateMap = new Map();
  for (let i = 0; i < SMALL; i++) s.set(bytesToHex(Uint8Array.of(0x80, i)), new Uint8Array(0));
  const padLen = MAX - 20 - SMALL * entrySize(2, 0) - entrySize(padKey.length, 0);
  s.set(bytesToHex(padKey), Uint8Array.from({ length: padLen }, (_, i) => (i * 7) & 0xff));
  return s;
}
const PRIOR = fullState();
const PAD = entrySize(padKey.length, PRIOR.get(bytesToHex(padKey))!.length); // 32,148
const SMALLS = SMALL * entrySize(2, 0); // 600
if (SMALLS + PAD !== MAX - 20 || Limit.COMPACTION_RATE !== 6 || Limit.COMPACTION_START !== 40960) throw new Error("compaction vectors: the arithmetic below assumes the limits it was written for");

const store = (keyAt: number, valueAt: number, vlen: number) => [`PUSH ${keyAt}`, "PUSH 8", `PUSH ${valueAt}`, `PUSH ${vlen}`, "STORE.state"];
const del = (keyAt: number, klen = 8) => [`PUSH ${keyAt}`, `PUSH ${klen}`, "STORE.del"];
const delPad = ["PUSH 16302", "PUSH 3", "STORE.del"]; // the padding key, written at memory 16302 by putKeys
const delSmall0 = ["PUSH 16300", "PUSH 2", "STORE.del"]; // the 2-byte key 80 00, written at memory 16300 by putKeys

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
/**
 * The v2 index-move charge (SPEC §9.7) of an insert or removal that moves `slots` slots of the sorted index
 * (64-slot blocks, all full but the last: the entries at positions p.. of p's block shift, and each later
 * block passes one slot on). The keys sort 80 00..80 99, the padding key, then K < K2 < K3 < K4 < K5, so
 * storing a new 8-byte key after the others and deleting the last entry move nothing.
 */
const index = (slots: number): number => indexMoveOf("v2", slots);
/** The v2 compaction charge of a store that processed `records` records and moved `bytes` bytes. */
const compaction = (records: number, bytes: number): number => compactionOf("v2", records, bytes);
/** A store's own instructions: four PUSHes and STORE.state of an 8-byte key. */
const storeOps = (vlen: number) => 4 * V2.PUSH.base + storeCost(8, vlen);
const delOps = (klen: number) => 2 * V2.PUSH.base + delCost(klen);

interface Shape { body: string[]; cycles: number; fields: JobFields }

function source(s: Shape, cycles = s.cycles): string {
  return main(s.body.join("\n"), { memory: Limit.MAX_MEMORY, state: MAX, cycles });
}
function intrinsicFor(s: Shape, cycles = s.cycles): number {
  const contract = assemble(source(s, cycles), { costTable: "v2" });
  return intrinsicOf("v2", intrinsicMeasureOf(encodeJob(makeJob(contract, vectorJobParts(s.fields, contract)))));
}

/** Writes 80 00 (the first small key) at memory 16300 and f0 f1 f2 (the padding key) at 16302, past the zeros the values are read from. */
const putKeys = ["PUSH 128", "PUSH 16300", "STORE.m8", "PUSH 0", "PUSH 16301", "STORE.m8", "PUSH 240", "PUSH 16302", "STORE.m8", "PUSH 241", "PUSH 16303", "STORE.m8", "PUSH 242", "PUSH 16304", "STORE.m8"];
const putKeysCost = 10 * V2.PUSH.base + 5 * V2["STORE.m8"].base;

const fields: JobFields = { input: INPUT, state: PRIOR };
const halt = V2.HALT.base;
// SPEC §8.2: each of these calls changes the state, so its HALT also pays the rehash row over the final entries.
const haltChanged = (entries: number): number => halt + rehashOf("v2", entries);
const hexState = (m: StateMap): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, bytesToHex(v)]));
/** The prior state without the padding entry (and without 80 00 if `noSmall0`), plus `extra`. */
function stateAfter(extra: [Uint8Array, Uint8Array][], noSmall0 = false): StateMap {
  const m = new Map(PRIOR);
  m.delete(bytesToHex(padKey));
  if (noSmall0) m.delete(bytesToHex(Uint8Array.of(0x80, 0)));
  for (const [k, v] of extra) m.set(bytesToHex(k), v);
  return m;
}
const zeros = (n: number) => new Uint8Array(n);
const V8 = INPUT.slice(8, 16);

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

// ---- one store that starts a compaction and finishes it ----
// Delete the padding (dead at 600), store K with an 8,201-byte value: its record of 8,213 bytes takes the end
// from 32,748 past 40,960, so a compaction starts; its share (6 × 8,213) covers the whole arena: it processes
// all 101 records and ends the compaction (end = 600).
const BIG = 8201;
const finish = [...putKeys, ...delPad, ...store(0, ZEROS, BIG)];
const finishBefore = putKeysCost + delOps(3) + 4 * V2.PUSH.base;
// The same after deleting 80 00 too: the 99 other small records now land 6 bytes lower (594 bytes moved).
const finishMoving = [...putKeys, ...delSmall0, ...delPad, ...store(0, ZEROS, BIG)];
// Deleting 80 00, the first of 101 entries, shifts the other 63 of its block and moves one across into it.
const finishMovingBefore = putKeysCost + delOps(2) + index(64) + delOps(3) + 4 * V2.PUSH.base;

// ---- a compaction that runs over several stores ----
// Delete the padding, store K2 with 8,000 bytes (end 40,760) and K with 8 (end 40,780): neither passes
// 40,960. K3 with 188 bytes (a 200-byte record) does: its share of 1,200 bytes is used up by the 100 small
// records (600, live, not moved: nothing before them is dead) and the dead padding (32,148); the compaction
// stops at 32,748, before K2's record. K4 (a 20-byte record, share 120) then processes K2's record (8,012
// bytes, live, moved down to 600) and stops; K5 (share 120) processes K (20, moved) and K3 (200, moved).
const grow = [...putKeys, ...delPad, ...store(32, ZEROS, 8000), ...store(0, 8, 8)];
// K2 goes in at the end (100 entries: none move); K, before K2, moves K2's slot.
const growCost = putKeysCost + delOps(3) + storeOps(8000) + storeOps(8) + index(1);
const k3 = store(40, ZEROS, 188);
const k3Cost = storeOps(188) + compaction(SMALL + 1, 0);
const k4 = store(48, ZEROS, 8);
const k4Cost = storeOps(8) + compaction(1, entrySize(8, 8000));
const k5 = store(56, ZEROS, 8);
const k5Cost = storeOps(8) + compaction(2, entrySize(8, 8) + entrySize(8, 188));
const grown: [Uint8Array, Uint8Array][] = [[K2, zeros(8000)], [K, V8], [K3, zeros(188)]];

// ---- dead runs: adjacent dead records are one unit ----
// 2-byte keys 80 i are written at memory 16310 + 2i (i < 100): six instructions each.
const smallAt = (i: number) => 16310 + 2 * i;
const putSmall = (i: number) => ["PUSH 128", `PUSH ${smallAt(i)}`, "STORE.m8", `PUSH ${i}`, `PUSH ${smallAt(i) + 1}`, "STORE.m8"];
const putSmallCost = 4 * V2.PUSH.base + 2 * V2["STORE.m8"].base;
const delSmall = (i: number) => del(smallAt(i), 2);
const small = (i: number) => Uint8Array.of(0x80, i);
const storeSmall = (i: number, vlen: number) => [`PUSH ${smallAt(i)}`, "PUSH 2", `PUSH ${ZEROS}`, `PUSH ${vlen}`, "STORE.state"];
const storeSmallOps = (vlen: number) => 4 * V2.PUSH.base + storeCost(2, vlen);
const without = (m: StateMap, ...keys: Uint8Array[]): StateMap => {
  const out = new Map(m);
  for (const k of keys) out.delete(bytesToHex(k));
  return out;
};

// Delete 80 00..80 09 (arena 0..59) and the padding, then store K with 8,201 bytes (as start-and-finish): the
// ten dead records are one run, one unit, so the step processes 1 + 90 live (moved 60 bytes down: 540 bytes)
// + 1 (the padding) = 92 units. In either order of the deletes: ascending, each dying record joins the run
// before it (which its header says is there); descending, the run after it.
const ten = Array.from({ length: 10 }, (_, i) => i);
const runOf = (order: number[]) => [...putKeys, ...ten.flatMap(putSmall), ...order.flatMap(delSmall), ...delPad, ...store(0, ZEROS, BIG), "HALT"];
const runCycles = (i: number, deletes: number) => i + putKeysCost + 10 * putSmallCost + 10 * delOps(2) + deletes + delOps(3) + storeOps(BIG) + compaction(92, 90 * entrySize(2, 0)) + haltChanged(SMALL - 10 + 1);
// The deletes' index moves: ascending, each takes the first of 101..92 entries (63 shifts, one block boundary);
// descending, 80 i is at position i (64 - i moves).
const ascendingMoves = 10 * index(64);
const descendingMoves = ten.reduce((sum, i) => sum + index(64 - i), 0);
const runState = () => hexState(without(stateAfter([[K, zeros(BIG)]]), ...ten.map(small)));

// The GAS phase counts a store's old record as dead: after the grow steps and deleting 80 01 and 80 03, a
// new length for 80 02 (a 194-byte record: the end would pass COMPACTION_START, a compaction starts, share
// 1,164) meets 80 00 (live, in place), then 80 01, its own old record and 80 03 as one unit (18 bytes), the
// 96 records after them (moved 18 bytes down: 576), and the dead padding: 99 units.
const joinsOld = [...grow, ...[1, 2, 3].flatMap(putSmall), ...delSmall(1), ...delSmall(3), ...storeSmall(2, 188), "HALT"];
// 80 01 is at position 1 of 102 entries (63 moves), 80 03 then at 2 of 101 (62); 80 02's new length keeps its place.
const joinsOldCycles = (i: number) => i + growCost + 3 * putSmallCost + 2 * delOps(2) + index(63) + index(62) + storeSmallOps(188) + compaction(99, 96 * entrySize(2, 0)) + haltChanged(SMALL - 2 + 2);
const joinsOldState = () => hexState(without(stateAfter([[K2, zeros(8000)], [K, V8], [small(2), zeros(188)]]), small(1), small(3)));

// Runs on both sides of a running compaction, and across two compactions. After the grow steps and K3 (which
// leaves [0, 600) processed and [32,748, 40,980) not: K2, K, K3):
// - delete 80 99 and 80 98, the last records of [0, 600): one run at 588..600, which ends where the processed
//   part ends and so does not reach past it;
// - delete K2, the first record of the unprocessed part: a run of its own, though the dead padding was just
//   before it (the compaction has dropped that);
// - K4 (share 120) processes K2's run: one unit, nothing moved; K5 processes K and K3 (moved to 600 and 620:
//   two units, 220 bytes), and K's header now says the record before it is dead;
// - delete K (at 600): it joins the run before it, 588..620;
// - store 80 99 again with an empty value (share 36): K4 and K5 move down (two units, 40 bytes), the
//   compaction ends and the end is 860; the record goes to 860..866;
// - store K2 with 15,000 bytes (to 15,878) and 15,001 (to 30,891): no compaction (the first dies, a run at the
//   end); then 15,002: a compaction starts and processes everything (its share is 90,084 bytes): 80 00..80 97
//   in place (98 units), the run 588..620 (one), K3, K4, K5 and 80 99 (four, moved 32 bytes down: 246 bytes),
//   and the dead K2 with its old record (one): 104 units.
const both = [
  ...grow, ...k3, ...[98, 99].flatMap(putSmall), ...delSmall(99), ...delSmall(98), ...del(32), ...k4, ...k5, ...del(0),
  ...storeSmall(99, 0), ...store(32, ZEROS, 15000), ...store(32, ZEROS, 15001), ...store(32, ZEROS, 15002), "HALT",
];
// Index moves, in order: 80 99 at 99 of 103 and 80 98 at 98 of 102 (3 each: the last block's slots after them),
// K2 at 99 of 101 (1), K at 98 of 102 (3), 80 99 again at 98 of 101 (3), K2 again at 99 of 102 (3); K4 and K5
// go in at the end and the other stores keep their keys' places.
const bothMoves = index(3) + index(3) + index(1) + index(3) + index(3) + index(3);
const bothCycles = (i: number) =>
  i + bothMoves + growCost + k3Cost + 2 * putSmallCost + 2 * delOps(2) + delOps(8) + storeOps(8) + compaction(1, 0) + k5Cost + delOps(8) +
  storeSmallOps(0) + compaction(2, 2 * entrySize(8, 8)) + storeOps(15000) + storeOps(15001) +
  storeOps(15002) + compaction(104, entrySize(8, 188) + 2 * entrySize(8, 8) + entrySize(2, 0)) + haltChanged(SMALL - 1 + 4);
const bothState = () => hexState(without(stateAfter([[K2, zeros(15002)], [K3, zeros(188)], [K4, zeros(8)], [K5, zeros(8)]]), K, small(98)));

export const compactionVectors: DefFile = {
  category: "v2-compaction",
  description: "the compaction charge of contract version 2 (SPEC §9.7): an appending STORE.state advances the state arena's compaction and pays for the records it processes and the bytes it moves",
  vectors: [
    vector("compaction/below-start", "the padding deleted, K2 stored with 8,000 bytes and K with 8: the end reaches 40,780, not past COMPACTION_START: no compaction, no charge beyond STORE.state's", [...grow, "HALT"],
      (i) => ({ status: "HALT", cycles: i + growCost + haltChanged(SMALL + 2), state: hexState(stateAfter([[K2, zeros(8000)], [K, V8]])) })),
    vector("compaction/start-and-finish", "the padding deleted, K stored with 8,201 bytes: the end would pass COMPACTION_START, a compaction starts and this store's share covers the arena: 101 records processed, none moved (the dead padding is last)", [...finish, "HALT"],
      (i) => ({ status: "HALT", cycles: i + finishBefore + storeCost(8, BIG) + compaction(SMALL + 1, 0) + haltChanged(SMALL + 1), state: hexState(stateAfter([[K, zeros(BIG)]])) })),
    vector("compaction/moves", "as start-and-finish after deleting the first small record too: the 99 small records after it move down (594 bytes, 19 units of 32)", [...finishMoving, "HALT"],
      (i) => ({ status: "HALT", cycles: i + finishMovingBefore + storeCost(8, BIG) + compaction(SMALL + 1, 594) + haltChanged(SMALL), state: hexState(stateAfter([[K, zeros(BIG)]], true)) })),
    vector("compaction/incremental", "a compaction over three stores: K3 starts it and processes 101 records (its share, 1,200 bytes, ends inside the dead padding), K4 processes one (K2's 8,012-byte record, moved), K5 two (K's and K3's records, moved)", [...grow, ...k3, ...k4, ...k5, "HALT"],
      (i) => ({ status: "HALT", cycles: i + growCost + k3Cost + k4Cost + k5Cost + haltChanged(SMALL + 5), state: hexState(stateAfter([...grown, [K4, zeros(8)], [K5, zeros(8)]])) })),
    vector("compaction/overwrite-same-length", "while a compaction runs, overwriting K's value with one of the same length appends nothing: it processes nothing and pays no compaction charge", [...grow, ...k3, ...store(0, 16, 8), "HALT"],
      (i) => ({ status: "HALT", cycles: i + growCost + k3Cost + storeOps(8) + haltChanged(SMALL + 3), state: hexState(stateAfter([[K2, zeros(8000)], [K, INPUT.slice(16, 24)], [K3, zeros(188)]])) })),
    vector("compaction/delete-while-running", "while a compaction runs, a STORE.del pays only its own cost; the next append processes the deleted record as dead (K2's 8,012 bytes use up its share of 120: one record, nothing moved)", [...grow, ...k3, ...del(32), ...k4, "HALT"],
      // K2 is at position 101 of 103: deleting it moves K3's slot.
      (i) => ({ status: "HALT", cycles: i + growCost + k3Cost + delOps(8) + index(1) + storeOps(8) + compaction(1, 0) + haltChanged(SMALL + 3), state: hexState(stateAfter([[K, V8], [K3, zeros(188)], [K4, zeros(8)]])) })),
    fitted("compaction/out-of-cycles", "max_cycles one short of K3's charge with its compaction: OUT_OF_CYCLES at that store, the cycles of the instructions before it", [...grow, ...k3, "HALT"],
      growCost + k3Cost - 1,
      (i) => ({ status: "TRAP", code: "OUT_OF_CYCLES", cycles: i + growCost + 4 * V2.PUSH.base })),
    fitted("compaction/exact-fit", "max_cycles exactly K3's charge with its compaction, then HALT's: HALT with cycles == max_cycles", [...grow, ...k3, "HALT"],
      growCost + k3Cost + haltChanged(SMALL + 3),
      (i) => ({ status: "HALT", cycles: i + growCost + k3Cost + haltChanged(SMALL + 3), state: hexState(stateAfter(grown)) })),
    vector("compaction/dead-run-ascending", "80 00..80 09 deleted in key order (arena order), then the padding, then K stored with 8,201 bytes: the ten dead records are one unit, so the step processes 92 (the run, 90 live records moved 60 bytes down, the padding)", runOf(ten),
      (i) => ({ status: "HALT", cycles: runCycles(i, ascendingMoves), state: runState() })),
    vector("compaction/dead-run-descending", "as dead-run-ascending with the ten deletes in the reverse order: the same run, the same 92 units", runOf([...ten].reverse()),
      (i) => ({ status: "HALT", cycles: runCycles(i, descendingMoves), state: runState() })),
    vector("compaction/dead-run-joins-old", "80 01 and 80 03 deleted, then 80 02 stored with a new length while a compaction starts: its old record and the dead records either side are one unit (99 units, 576 bytes moved)", joinsOld,
      (i) => ({ status: "HALT", cycles: joinsOldCycles(i), state: joinsOldState() })),
    vector("compaction/dead-runs-both-sides", "dead runs at the end of the processed part and the start of the unprocessed one stay apart; a record moved behind a run joins it when it dies; the next compaction passes that run and a dead record with the store's old one as one unit each (104 units)", both,
      (i) => ({ status: "HALT", cycles: bothCycles(i), state: bothState() })),
    vector("compaction/then-state-limit", "the padding deleted, K2 stored with 32,157 bytes: the compaction is charged (all 101 records), then STATE_LIMIT_EXCEEDED (the state would be one byte over)", [...putKeys, ...delPad, ...store(32, ZEROS, MAX - SMALLS - entrySize(8, 0) + 1), "HALT"],
      (i) => ({ status: "TRAP", code: "STATE_LIMIT_EXCEEDED", cycles: i + putKeysCost + delOps(3) + storeOps(MAX - SMALLS - entrySize(8, 0) + 1) + compaction(SMALL + 1, 0) })),
  ],
};
