/**
 * The advert book (docs/NODE.md §5): the verified, unexpired adverts a node
 * holds, one per NodeID (the highest seq), persisted so a restarted node
 * still knows its neighbours and still refuses replays of adverts it has
 * seen superseded. Everything refused is counted by its error code.
 */
import { bytesToHex, equalBytes } from "../model/bytes.ts";
import { NodeLimit, type NodeAdvert, type NodeErrorName } from "../generated/node-protocol.ts";
import { decodeAdvert } from "./messages/advert.ts";
import { ProtocolError } from "./wire/protocol-error.ts";
import type { NodeStore } from "./store.ts";
import type { Counters } from "./stats.ts";

export interface HeldAdvert {
  advert: NodeAdvert;
  bytes: Uint8Array;
  receivedAt: number;
}

export type AdvertVerdict =
  | { result: "accepted"; advert: NodeAdvert }
  | { result: "duplicate" }
  | { result: "rejected"; code: NodeErrorName; detail: string };

export class AdvertBook {
  private readonly held = new Map<string, HeldAdvert>();
  /** Highest seq seen per NodeID, kept after its advert expires (replays stay refused). */
  private readonly highest = new Map<string, bigint>();

  constructor(
    private readonly store: NodeStore,
    private readonly now: () => number,
    private readonly counters: Counters,
    private readonly selfId: Uint8Array,
  ) {
    for (const row of store.adverts()) {
      const id = bytesToHex(row.nodeId);
      this.highest.set(id, row.seq);
      if (Number(row.expiresAt) <= now()) continue;
      try {
        this.held.set(id, { advert: decodeAdvert(row.bytes, now()), bytes: row.bytes, receivedAt: now() });
      } catch {
        // Expired between the check and the decode, or written by an older node: drop it.
      }
    }
  }

  /** Verifies one advert and keeps it when it is the freshest for its NodeID. */
  receive(bytes: Uint8Array): AdvertVerdict {
    const now = this.now();
    let a: NodeAdvert;
    try {
      a = decodeAdvert(bytes, now);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return this.reject(e.codeName, e.message);
    }
    const id = bytesToHex(a.nodeId);
    if (equalBytes(a.nodeId, this.selfId)) return { result: "duplicate" }; // our own, echoed back
    const high = this.highest.get(id);
    const cur = this.held.get(id);
    if (high !== undefined && a.seq < high) return this.reject("ADVERT_REPLAYED", `seq ${a.seq} below the held ${high}`);
    if (high !== undefined && a.seq === high) {
      if (cur && equalBytes(cur.bytes, bytes)) {
        this.counters.inc("adverts.duplicate");
        return { result: "duplicate" };
      }
      // The same seq with other bytes: either a second advert signed with one seq, or a replay of the one we hold superseded.
      return this.reject(cur ? "ADVERT_CONFLICT" : "ADVERT_REPLAYED", `seq ${a.seq} already seen with other bytes`);
    }
    this.highest.set(id, a.seq);
    this.held.set(id, { advert: a, bytes, receivedAt: now });
    this.store.putAdvert(a.nodeId, a.seq, bytes, a.expiresAt, now);
    this.counters.inc("adverts.accepted");
    if (this.held.size > NodeLimit.MAX_HELD_ADVERTS) this.evict();
    return { result: "accepted", advert: a };
  }

  private reject(code: NodeErrorName, detail: string): AdvertVerdict {
    this.counters.inc(`adverts.rejected.${code}`);
    return { result: "rejected", code, detail };
  }

  private evict(): void {
    const byExpiry = [...this.held.entries()].sort((x, y) => (x[1].advert.expiresAt < y[1].advert.expiresAt ? -1 : 1));
    for (const [id] of byExpiry.slice(0, this.held.size - NodeLimit.MAX_HELD_ADVERTS)) this.held.delete(id);
  }

  /** Unexpired adverts, freshest first. */
  list(): HeldAdvert[] {
    this.prune();
    return [...this.held.values()].sort((x, y) => (x.advert.issuedAt > y.advert.issuedAt ? -1 : x.advert.issuedAt < y.advert.issuedAt ? 1 : 0));
  }

  get(nodeId: Uint8Array): HeldAdvert | undefined {
    const h = this.held.get(bytesToHex(nodeId));
    if (h && Number(h.advert.expiresAt) <= this.now()) {
      this.held.delete(bytesToHex(nodeId));
      return undefined;
    }
    return h;
  }

  get size(): number {
    this.prune();
    return this.held.size;
  }

  prune(): void {
    const now = BigInt(Math.floor(this.now()));
    for (const [id, h] of this.held) if (h.advert.expiresAt <= now) this.held.delete(id);
  }
}

/** The transport PeerKey an advert names (the `/p2p/<peer>` tail of its addresses), if any. */
export function peerKeyOf(advert: NodeAdvert): string | undefined {
  for (const a of advert.addresses) {
    const m = /\/p2p\/([^/]+)$/.exec(a);
    if (m) return m[1];
  }
  return undefined;
}
