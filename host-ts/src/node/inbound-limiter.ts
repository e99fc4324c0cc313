/**
 * Fair admission of inbound requests, per peer.
 *
 * A transport asks `admit(peer)` when a request stream arrives. The limiter
 * refuses it outright when that peer already has too many requests in the
 * node (running, waiting or still being read) or has spent its rate budget,
 * and otherwise hands back a ticket whose `ready` resolves when a handler slot
 * is free. A free slot goes to the waiting peer that was last granted one
 * longest ago (a peer never served comes first), so one peer with a thousand
 * queued requests delays another peer's single request by at most one handler
 * run per busy slot, never by its whole queue.
 *
 * Pure bookkeeping: no timers, no I/O; the clock is injected for tests.
 */

export interface InboundLimits {
  /** Handlers running at once for one peer. */
  maxConcurrentPerPeer: number;
  /**
   * Requests of one peer admitted beyond those running (being read, or waiting
   * for a slot): one peer has at most maxConcurrentPerPeer + maxQueuedPerPeer
   * requests in the node at once, and the next is refused.
   */
  maxQueuedPerPeer: number;
  /** Handlers running at once over all peers. */
  maxConcurrentTotal: number;
  /** Sustained requests per second one peer may open; `Infinity` disables the token bucket. */
  ratePerSecond: number;
  /** Bucket size: requests one peer may open in a burst above the sustained rate. */
  burst: number;
}

export const DEFAULT_INBOUND_LIMITS: Readonly<InboundLimits> = Object.freeze({
  maxConcurrentPerPeer: 4,
  maxQueuedPerPeer: 28,
  maxConcurrentTotal: 16,
  ratePerSecond: Infinity,
  burst: Infinity,
});

/** Why a request was refused at the door. */
export type AdmissionRefusal = "QUEUE_FULL" | "RATE";

export interface Ticket {
  readonly peer: string;
  /** Resolves when the handler may run; never rejects (a cancelled ticket's promise stays pending). */
  readonly ready: Promise<void>;
  /** Frees the slot (after the handler ran) or the queue place (if it never ran). Idempotent. */
  release(): void;
}

interface PeerState {
  running: number;
  /** Admitted tickets of this peer that do not hold a slot (reading or waiting). */
  pending: number;
  /** Tickets asking for a slot, in arrival order. */
  waiting: TicketImpl[];
  tokens: number;
  refilledAt: number;
  /** Grant counter value at this peer's last grant (0: never served). */
  lastGrant: number;
}

interface TicketImpl extends Ticket {
  state: "pending" | "waiting" | "running" | "done";
  grant: () => void;
}

export class InboundLimiter {
  readonly limits: Readonly<InboundLimits>;
  private readonly peers = new Map<string, PeerState>();
  /** Peers with waiting tickets. */
  private readonly waitingPeers = new Set<string>();
  private runningTotal = 0;
  private grants = 0;

  constructor(limits: Partial<InboundLimits> = {}, private readonly now: () => number = () => performance.now()) {
    const merged = { ...DEFAULT_INBOUND_LIMITS, ...limits };
    for (const [k, v] of Object.entries(merged)) {
      if (!(typeof v === "number" && v > 0)) throw new RangeError(`inbound limit ${k} must be a positive number, got ${String(v)}`);
    }
    this.limits = Object.freeze(merged);
  }

  /** Admits a new request of `peer`, or says why not. The ticket holds a queue place until it is released. */
  admit(peer: string): Ticket | AdmissionRefusal {
    const p = this.peer(peer);
    if (p.pending + p.waiting.length + p.running >= this.limits.maxQueuedPerPeer + this.limits.maxConcurrentPerPeer) return "QUEUE_FULL";
    if (!this.takeToken(p)) return "RATE";
    p.pending++;
    let grant!: () => void;
    const ready = new Promise<void>((resolve) => (grant = resolve));
    const ticket: TicketImpl = {
      peer,
      ready,
      state: "pending",
      grant,
      release: () => this.release(ticket),
    };
    return ticket;
  }

  /** The request is read: the ticket now asks for a handler slot (`ready` resolves when it has one). */
  request(t: Ticket): void {
    const ticket = t as TicketImpl;
    if (ticket.state !== "pending") return;
    const p = this.peer(ticket.peer);
    p.pending--;
    ticket.state = "waiting";
    p.waiting.push(ticket);
    this.waitingPeers.add(ticket.peer);
    this.schedule();
  }

  /** Handlers running now (all peers, or one). */
  running(peer?: string): number {
    if (peer === undefined) return this.runningTotal;
    return this.peers.get(peer)?.running ?? 0;
  }

  /** Tickets admitted and not running (all peers, or one). */
  queued(peer?: string): number {
    const count = (p: PeerState) => p.pending + p.waiting.length;
    if (peer !== undefined) {
      const p = this.peers.get(peer);
      return p ? count(p) : 0;
    }
    let n = 0;
    for (const p of this.peers.values()) n += count(p);
    return n;
  }

  private peer(peer: string): PeerState {
    let p = this.peers.get(peer);
    if (!p) {
      p = { running: 0, pending: 0, waiting: [], tokens: this.limits.burst, refilledAt: this.now(), lastGrant: 0 };
      this.peers.set(peer, p);
    }
    return p;
  }

  private takeToken(p: PeerState): boolean {
    if (this.limits.ratePerSecond === Infinity) return true;
    const t = this.now();
    p.tokens = Math.min(this.limits.burst, p.tokens + ((t - p.refilledAt) / 1000) * this.limits.ratePerSecond);
    p.refilledAt = t;
    if (p.tokens < 1) return false;
    p.tokens -= 1;
    return true;
  }

  private release(ticket: TicketImpl): void {
    const p = this.peer(ticket.peer);
    switch (ticket.state) {
      case "done":
        return;
      case "pending":
        p.pending--;
        break;
      case "waiting": {
        p.waiting.splice(p.waiting.indexOf(ticket), 1);
        if (p.waiting.length === 0) this.waitingPeers.delete(ticket.peer);
        break;
      }
      case "running":
        p.running--;
        this.runningTotal--;
        break;
    }
    ticket.state = "done";
    this.forgetIfIdle(ticket.peer, p);
    this.schedule();
  }

  /** Grants free slots, each to the eligible waiting peer served longest ago. */
  private schedule(): void {
    while (this.runningTotal < this.limits.maxConcurrentTotal) {
      let best: PeerState | undefined;
      let bestPeer = "";
      for (const peer of this.waitingPeers) {
        const p = this.peers.get(peer)!;
        if (p.running >= this.limits.maxConcurrentPerPeer) continue;
        if (!best || p.lastGrant < best.lastGrant) {
          best = p;
          bestPeer = peer;
        }
      }
      if (!best) return;
      const ticket = best.waiting.shift()!;
      if (best.waiting.length === 0) this.waitingPeers.delete(bestPeer);
      ticket.state = "running";
      best.running++;
      this.runningTotal++;
      best.lastGrant = ++this.grants;
      ticket.grant();
    }
  }

  private forgetIfIdle(peer: string, p: PeerState): void {
    // A peer's bucket is kept while it could still matter (not yet refilled), so reconnecting does not reset the rate.
    const full = this.limits.ratePerSecond === Infinity || p.tokens + ((this.now() - p.refilledAt) / 1000) * this.limits.ratePerSecond >= this.limits.burst;
    if (p.running === 0 && p.pending === 0 && p.waiting.length === 0 && full) this.peers.delete(peer);
  }
}
