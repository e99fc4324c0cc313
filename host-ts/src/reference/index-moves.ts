/**
 * SPEC §9.7's index-move count: the slots of the sorted index an insert or a
 * removal moves, in the model every engine charges by, whatever index it
 * keeps. The index is a tiered vector: entry i (in canonical order) lies in
 * block floor(i / INDEX_BLOCK), every block full but the last. An insert or
 * removal at position p shifts the slots after p inside p's block and moves
 * one slot across each later block boundary.
 */
import { Limit } from "../generated/opcodes.ts";
import { canonicalOrder } from "./arena.ts";

const B = Limit.INDEX_BLOCK;

/** The position of `hexKey` among the keys: how many of them sort before it. */
export function positionOf(keys: Iterable<string>, hexKey: string): number {
  let p = 0;
  for (const k of keys) if (canonicalOrder(k, hexKey) < 0) p++;
  return p;
}

/** Slots moved by inserting an entry at position p of an index of `count` entries (0 ≤ p ≤ count). */
export function insertMoves(count: number, p: number): number {
  const block = Math.floor(p / B);
  const last = Math.floor(count / B); // the block that gains a slot
  const end = block < last ? B - 1 : count % B;
  return (last - block) + (end - (p % B));
}

/** Slots moved by removing entry p of an index of `count` entries (0 ≤ p < count). */
export function removeMoves(count: number, p: number): number {
  const block = Math.floor(p / B);
  const last = Math.floor((count - 1) / B); // the block that loses a slot
  const end = block < last ? B - 1 : (count - 1) % B;
  return (end - (p % B)) + (last - block);
}
