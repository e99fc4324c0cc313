/**
 * Advert sequence numbers (docs/NODE.md §5.1): strictly increasing per node,
 * across restarts and crashes, without an fsync per advert. The node
 * reserves a block of ADVERT_SEQ_BLOCK numbers at a time — one
 * synchronous=FULL commit of the block's last number (`advert_seq_reserved`)
 * before the first number of the block leaves — and hands them out from
 * memory. A restarted node (stopped or killed at any point) starts after the
 * reserved block, so it never reuses a number; at most one block's unused
 * rest is skipped per restart.
 */
import { NodeLimit } from "../generated/node-protocol.ts";
import type { NodeStore } from "./store.ts";

/** The highest reserved seq (every seq ever signed is at most this). */
export const RESERVED_KEY = "advert_seq_reserved";
/** Written by nodes before seq blocks: the last seq used. Read once, as a floor. */
const LEGACY_KEY = "advert_seq";

export class AdvertSeq {
  private next: bigint;
  private reserved: bigint;
  /** FULL commits made (one per block). */
  reservations = 0;

  constructor(private readonly store: Pick<NodeStore, "getMeta" | "setMeta">, private readonly block: bigint = BigInt(NodeLimit.ADVERT_SEQ_BLOCK)) {
    if (block < 1n) throw new RangeError("an advert seq block holds at least one number");
    const r = BigInt(store.getMeta(RESERVED_KEY) ?? "0");
    const legacy = BigInt(store.getMeta(LEGACY_KEY) ?? "0");
    this.reserved = r > legacy ? r : legacy;
    this.next = this.reserved + 1n;
  }

  /** The next seq; durable (its block reserved) before it is returned. */
  take(): bigint {
    if (this.next > this.reserved) {
      const end = this.next + this.block - 1n;
      this.store.setMeta(RESERVED_KEY, end.toString());
      this.reserved = end;
      this.reservations++;
    }
    return this.next++;
  }

  /** The last seq handed out (0 before the first). */
  get last(): bigint {
    return this.next - 1n;
  }
}
