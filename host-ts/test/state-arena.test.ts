/**
 * The reference's model of the state arena (SPEC §9.7) under random stores
 * and deletes that keep the state legal: the compaction never needs to run
 * past a store's COMPACTION_RATE share to make room (SPEC §10's argument),
 * and what it counts stays within that share plus one record.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Limit } from "../src/generated/opcodes.ts";
import { StateArena } from "../src/reference/arena.ts";

type Op = { kind: "store"; key: number; value: number } | { kind: "del"; key: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("store" as const), key: fc.integer({ min: 0, max: 400 }), value: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 2000 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 30000 }) }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("del" as const), key: fc.integer({ min: 0, max: 400 }) }) },
);

function run(priorEntries: number, priorValue: number, ops: readonly Op[]): { arena: StateArena; worst: number } {
  const sizes = new Map<string, number>();
  const prior = new Map<string, Uint8Array>();
  let live = 0;
  for (let k = 0; k < priorEntries; k++) {
    const key = (0x1000 + k).toString(16);
    const size = Limit.STATE_ENTRY_OVERHEAD + 2 + priorValue;
    if (live + size > Limit.MAX_STATE_SIZE) break;
    prior.set(key, new Uint8Array(priorValue));
    sizes.set(key, size);
    live += size;
  }
  const arena = new StateArena(prior);
  let worst = 0;
  for (const o of ops) {
    const key = (0x2000 + o.key).toString(16);
    if (o.kind === "del") {
      const s = sizes.get(key);
      if (s !== undefined) { arena.remove(key); sizes.delete(key); live -= s; }
      continue;
    }
    const size = Limit.STATE_ENTRY_OVERHEAD + 2 + o.value;
    const next = live - (sizes.get(key) ?? 0) + size;
    if (next > Limit.MAX_STATE_SIZE) continue; // STATE_LIMIT_EXCEEDED would end the call
    if (sizes.get(key) === size) continue; // a same-length overwrite appends nothing
    const w = arena.advance(key, size);
    arena.append(key, size);
    sizes.set(key, size);
    live = next;
    // Records processed are at least STATE_ENTRY_OVERHEAD + 1 bytes each: the share in records, plus one.
    worst = Math.max(worst, w.records / (Limit.COMPACTION_RATE * size / (Limit.STATE_ENTRY_OVERHEAD + 1) + 1));
  }
  return { arena, worst };
}

describe("state arena model (SPEC §9.7)", () => {
  it("never runs a compaction past a store's share to make room", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 6000 }), fc.integer({ min: 0, max: 60 }), fc.array(op, { minLength: 200, maxLength: 3000 }), (entries, value, ops) => {
      const { arena, worst } = run(entries, value, ops);
      expect(arena.overruns).toBe(0);
      expect(worst).toBeLessThanOrEqual(1);
    }), { numRuns: 60, seed: 20261202 });
  });

  it("keeps a churning full state compacting without overruns", () => {
    // 5,000 records of 6 bytes, then churn of one 20-byte record: compaction after compaction.
    const ops: Op[] = [];
    for (let i = 0; i < 20000; i++) ops.push({ kind: "del", key: i % 7 }, { kind: "store", key: i % 7, value: 14 - (i % 3) });
    const { arena } = run(5400, 0, ops);
    expect(arena.overruns).toBe(0);
  });
});
