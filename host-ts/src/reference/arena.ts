/**
 * The state arena of SPEC §9.7, as far as a charge depends on it: the size of
 * every record in arena order, whether it is live, and the compaction in
 * progress. The reference keeps the state itself in a map (machine.ts); this
 * model only decides what an appending STORE.state's compaction charge counts.
 */
import { Limit } from "../generated/opcodes.ts";
import type { StateMap } from "../model/types.ts";

interface ArenaRecord {
  readonly size: number;
  live: boolean;
}

/** What one appending store's compaction step did: units processed (a live record, or a run of dead ones), bytes of records moved. */
export interface CompactionWork {
  readonly records: number;
  readonly bytes: number;
}

/** Canonical state order (SPEC §3): shorter keys first, then bytewise; on hex strings of equal length, string order is byte order. */
export function canonicalOrder(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

export class StateArena {
  /** Without a compaction: every record, in arena order. With one: the processed records, at [0, to). */
  private done: ArenaRecord[] = [];
  /** With a compaction: the records at [from, end) that it has not processed, from `head` on. */
  private queue: ArenaRecord[] = [];
  private head = 0;
  private active = false;
  private to = 0;
  private from = 0;
  private end = 0;
  /** The live record of each key. */
  private readonly byKey = new Map<string, ArenaRecord>();
  /**
   * Records processed beyond a store's COMPACTION_RATE share only because its
   * record would not have fitted before STATE_ARENA_SIZE: SPEC §10 argues
   * that no call needs any (a test checks it); the rule still covers them.
   */
  overruns = 0;

  /** The arena after the prior state is loaded: its entries in canonical order from offset 0. */
  constructor(prior: StateMap) {
    for (const hexKey of [...prior.keys()].sort(canonicalOrder)) {
      this.place(hexKey, Limit.STATE_ENTRY_OVERHEAD + hexKey.length / 2 + prior.get(hexKey)!.length);
    }
  }

  /** STORE.del of a present key: its record is dead from now on. */
  remove(hexKey: string): void {
    const r = this.byKey.get(hexKey);
    if (r === undefined) throw new Error("internal: arena has no record for a present key");
    r.live = false;
    this.byKey.delete(hexKey);
  }

  /**
   * The GAS phase of an appending STORE.state of a record of `size` bytes
   * (SPEC §9.7): the key's old record, if any, is dead from here; a
   * compaction starts if none is active and the end would pass
   * COMPACTION_START; an active one processes units (a live record, or the
   * run of consecutive dead records up to the next live one) while this store has
   * processed fewer than COMPACTION_RATE × size bytes, or the record would
   * not fit before STATE_ARENA_SIZE, until it reaches the end.
   */
  advance(hexKey: string, size: number): CompactionWork {
    if (this.byKey.has(hexKey)) this.remove(hexKey);
    if (!this.active && this.end + size > Limit.COMPACTION_START) {
      this.active = true;
      this.queue = this.done;
      this.done = [];
      this.head = 0;
      this.to = 0;
      this.from = 0;
    }
    let records = 0;
    let bytes = 0;
    if (this.active) {
      const budget = Limit.COMPACTION_RATE * size;
      let processed = 0;
      while (this.head < this.queue.length && (processed < budget || this.end + size > Limit.STATE_ARENA_SIZE)) {
        if (processed >= budget) this.overruns++;
        // One unit: a live record, or every dead record from here to the next live one (a dead run).
        let size = 0;
        const r = this.queue[this.head];
        if (r.live) {
          size = r.size;
          this.head++;
          if (this.to !== this.from) bytes += size;
          this.done.push(r);
          this.to += size;
        } else {
          while (this.head < this.queue.length && !this.queue[this.head].live) size += this.queue[this.head++].size;
        }
        this.from += size;
        processed += size;
        records++;
      }
      if (this.head === this.queue.length) {
        this.active = false;
        this.queue = [];
        this.head = 0;
        this.end = this.to;
      }
    }
    if (this.end + size > Limit.STATE_ARENA_SIZE) throw new Error("internal: the arena has no room after a complete compaction");
    return { records, bytes };
  }

  /** The OPERATION phase of that store: its record is appended at the end. */
  append(hexKey: string, size: number): void {
    this.place(hexKey, size);
  }

  private place(hexKey: string, size: number): void {
    const r: ArenaRecord = { size, live: true };
    (this.active ? this.queue : this.done).push(r);
    this.byKey.set(hexKey, r);
    this.end += size;
  }
}
