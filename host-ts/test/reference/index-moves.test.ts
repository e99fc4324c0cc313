/**
 * SPEC §9.7's index-move count against a tiered vector simulated slot by slot:
 * blocks of INDEX_BLOCK slots, every one full but the last; an insert shifts
 * the slots after p in its block up and each later block takes the previous
 * block's last slot as its first; a removal the other way. Every slot that
 * changes place counts once.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Limit } from "../../src/generated/opcodes.ts";
import { insertMoves, positionOf, removeMoves } from "../../src/reference/index-moves.ts";

const B = Limit.INDEX_BLOCK;

/** The lengths of the blocks of an index of n entries: full ones, then the rest. */
function blocks(n: number): number[] {
  const out: number[] = [];
  for (let left = n; left > 0; left -= B) out.push(Math.min(B, left));
  return out;
}

/**
 * An insert at p, entry by entry: the entries after p in its block move one
 * place (if the block is full its last one lands in the next block's new
 * first slot); a later full block's other entries stay put (its head steps
 * back) and its last entry moves on likewise, until a block with room.
 */
function simulateInsert(n: number, p: number): number {
  const len = blocks(n);
  let b = Math.floor(p / B);
  let moved = (len[b] ?? 0) - (p % B);
  while ((len[b] ?? 0) === B) {
    b++;
    if ((len[b] ?? 0) === B) moved++; // this block is full too: its last entry moves on
  }
  return moved;
}

/** A removal of entry p: the entries after it in its block move down one, then each later block's first entry moves back into the block before. */
function simulateRemove(n: number, p: number): number {
  const len = blocks(n);
  const b = Math.floor(p / B);
  return len[b] - 1 - (p % B) + (len.length - 1 - b);
}

describe("index-move count (SPEC §9.7)", () => {
  it("matches a slot-by-slot tiered vector for every insert and removal position", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 6553 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
      const p = Math.min(n, Math.floor(f * (n + 1)));
      expect(insertMoves(n, p)).toBe(simulateInsert(n, p));
      if (n > 0) {
        const q = Math.min(n - 1, p);
        expect(removeMoves(n, q)).toBe(simulateRemove(n, q));
      }
    }), { numRuns: 300 });
  });

  it("gives the counts the vectors spell out", () => {
    expect(insertMoves(64, 0)).toBe(64);
    expect(insertMoves(64, 64)).toBe(0);
    expect(insertMoves(200, 1)).toBe(65);
    expect(removeMoves(200, 0)).toBe(66);
    expect(removeMoves(200, 199)).toBe(0);
    expect(insertMoves(0, 0)).toBe(0);
    // The largest index: an insert at 0 of 6,552 entries shifts 63 and crosses 102 boundaries.
    expect(insertMoves(6552, 0)).toBe(63 + 102);
  });

  it("orders keys canonically: shorter first, then bytewise", () => {
    const keys = ["4000", "00", "f0f1f2", "4001", "ff"];
    expect(positionOf(keys, "01")).toBe(1);
    expect(positionOf(keys, "4000")).toBe(2);
    expect(positionOf(keys, "000000")).toBe(4);
    expect(positionOf(keys, "ffffffff")).toBe(5);
  });
});
