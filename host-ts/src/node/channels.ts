/**
 * Bilateral payment channels (D5–D9, docs/NODE.md §8): the consumer opens a
 * channel to a provider with a deposit from its node-config credit, pays each
 * verified job with one state update (sequence + 1, billed on the
 * agreement's verified units, 2% burned), and closes cooperatively.
 *
 * Durability (§11): every state this node signs is committed before the
 * signature leaves the process; the payee commits the countersigned state,
 * with the payment it records, before it acknowledges. A payer restarted
 * with an unacknowledged update resends the same bytes, which the payee
 * answers with the same acknowledgement, so a payment is never lost, never
 * taken twice, and no sequence goes backwards.
 *
 * There is no settlement layer here: the deposit is a claim on the payer's
 * credit, and closing returns balance_a to it (balance_b is the payee's
 * earnings). A settlement layer can take the final 200-byte state unchanged.
 */
import { randomBytes } from "node:crypto";
import { bytesToHex, equalBytes } from "../model/bytes.ts";
import type { AgreementBody, MessageName } from "../generated/node-protocol.ts";
import { nodeIdOf, verifySignature, type NodeIdentity } from "./identity.ts";
import {
  balancesAfter,
  channelIdOf,
  decodeChannelState,
  encodeChannelState,
  hasSignature,
  owedForCycles,
  paidIn,
  signState,
  unsigned,
  verifyStateSignature,
  type ChannelState,
} from "./channel-state.ts";
import {
  encodeChannelAccept,
  encodeChannelAck,
  encodeChannelClose,
  encodeChannelCloseAck,
  encodeChannelOpen,
  encodeChannelSync,
  encodeChannelUpdate,
  type ChannelRequestName,
} from "./messages/channel-messages.ts";
import { signingInput, type Decoded } from "./wire/schema-codec.ts";
import { fail } from "./wire/protocol-error.ts";
import { checkPeer } from "./wire/signed.ts";
import { PeerError } from "./messages/error-reply.ts";
import type { ChannelRow, NodeStore } from "./store.ts";

export interface ChannelPeer {
  nodeId: Uint8Array;
  publicKey: Uint8Array;
}

/** How the channel manager reaches a peer (the node routes by NodeID). */
export type ChannelSend = <N extends MessageName>(peer: Uint8Array, request: Uint8Array, expected: readonly N[]) => Promise<Decoded<N>>;

export interface ChannelOptions {
  store: NodeStore;
  identity: NodeIdentity;
  now: () => number;
  send: ChannelSend;
  /** Deposit of a new channel, µMHR (raised to what one job may cost). */
  deposit: bigint;
  /** Test hook: called at the named points of docs/NODE.md §11.2 (a test kills the process there). */
  crashPoint?: (point: string) => void;
}

const CREDIT = "credit";

/** µMHR an agreement owes for `units` more verified units after `billed` (D6; PerInvocation: per call). */
export function owedDelta(body: AgreementBody, billed: bigint, units: bigint): bigint {
  if (body.cost.perCycle) {
    const price = body.cost.perCycle.costPerMillionCycles;
    return owedForCycles(billed + units, price) - owedForCycles(billed, price);
  }
  return body.cost.perInvocation!.costPerCall * units;
}

/** The most one job under an agreement can cost (what a channel must be able to cover). */
export function maxJobCost(body: AgreementBody): bigint {
  if (body.cost.perCycle) return owedForCycles(body.capability.maxCycles, body.cost.perCycle.costPerMillionCycles) + 1n;
  return body.cost.perInvocation!.costPerCall;
}

export interface ChannelSummary {
  channelId: string;
  role: "payer" | "payee";
  peer: string;
  status: string;
  deposit: string;
  balanceA: string;
  balanceB: string;
  burned: string;
  sequence: string;
  pending: boolean;
  payments: number;
}

export class Channels {
  private readonly locks = new Map<string, Promise<unknown>>();
  private closing = false;

  constructor(private readonly o: ChannelOptions) {}

  /**
   * The node is stopping (docs/NODE.md §11.2 rule 7): nothing more is sent or
   * committed. A payment asked for now fails with SHUTTING_DOWN and stays
   * owed; an acknowledgement that arrives now is not committed, its update
   * stays pending. Both are settled after the restart.
   */
  shutdown(): void {
    this.closing = true;
  }

  private ensureRunning(): void {
    if (this.closing) fail("SHUTTING_DOWN", "the node is stopping: the payment is settled after its restart");
  }

  // --- credit -------------------------------------------------------------------

  /** Sets the node-config credit on first start; later starts keep the stored balance. */
  initCredit(initial: bigint): void {
    if (this.o.store.getMeta(CREDIT) === undefined) this.o.store.setMeta(CREDIT, initial.toString());
  }

  credit(): bigint {
    return BigInt(this.o.store.getMeta(CREDIT) ?? "0");
  }

  /** Serialises everything done to one channel (payments are one sequence). */
  private locked<T>(channelId: Uint8Array, f: () => Promise<T>): Promise<T> {
    const k = bytesToHex(channelId);
    const prev = this.locks.get(k) ?? Promise.resolve();
    const next = prev.then(f, f);
    this.locks.set(k, next.catch(() => {}));
    return next;
  }

  // --- payer ----------------------------------------------------------------------

  /** An open channel to `peer` that can cover `need` µMHR more, opening one if there is none. */
  async ensureChannel(peer: ChannelPeer, need: bigint): Promise<ChannelRow> {
    for (const c of this.o.store.liveChannelsWith(peer.nodeId, "payer")) {
      if (c.status === "opening") {
        // A channel opened before a crash: finish opening it (the payee answers a repeated open with the same accept).
        try {
          const opened = await this.finishOpen(c, peer);
          if (this.available(opened) >= need) return opened;
        } catch (e) {
          if (e instanceof PeerError) this.abandonOpening(c);
          else throw e;
        }
        continue;
      }
      if (c.pending) await this.resume(c);
      const fresh = this.o.store.channel(c.channelId)!;
      if (fresh.status === "open" && this.available(fresh) >= need) return fresh;
    }
    return this.open(peer, need > this.o.deposit ? need : this.o.deposit);
  }

  /** µMHR the payer can still pay on a channel. */
  available(c: ChannelRow): bigint {
    const latest = decodeChannelState(c.pending ? c.pending.state : c.state);
    return latest.balanceA;
  }

  async open(peer: ChannelPeer, deposit: bigint): Promise<ChannelRow> {
    const store = this.o.store;
    const me = this.o.identity;
    const nonce = new DataView(randomBytes(8).buffer).getBigUint64(0, true);
    const channelId = channelIdOf(me.nodeId, peer.nodeId, nonce);
    const s0 = signState(unsigned({ channelId, partyA: me.nodeId, partyB: peer.nodeId, balanceA: deposit, balanceB: 0n, sequence: 0n }), "a", me.sign);
    const row = {
      channelId, role: "payer" as const, peer: peer.nodeId, peerKey: peer.publicKey, nonce, deposit,
      state: encodeChannelState(s0), sequence: 0n, openedAt: BigInt(this.o.now()),
    };
    store.tx(() => {
      const credit = this.credit();
      if (credit < deposit) fail("INSUFFICIENT_FUNDS", `a channel deposit of ${deposit} µMHR is more than the node's credit of ${credit} µMHR`);
      store.setMeta(CREDIT, (credit - deposit).toString());
      store.insertChannel({ ...row, status: "opening" });
    });
    this.o.crashPoint?.("payer:open-persisted");
    const c = store.channel(channelId)!;
    try {
      return await this.finishOpen(c, peer);
    } catch (e) {
      if (e instanceof PeerError) this.abandonOpening(c);
      throw e;
    }
  }

  private async finishOpen(c: ChannelRow, peer: ChannelPeer): Promise<ChannelRow> {
    const reply = await this.o.send(peer.nodeId, encodeChannelOpen({ state: c.state, nonce: c.nonce, partyAKey: this.o.identity.publicKey }), ["ChannelAccept"]);
    const s = decodeChannelState(reply.value.state);
    const mine = decodeChannelState(c.state);
    if (!equalBytes(reply.value.state.subarray(0, 136), c.state.subarray(0, 136)) || !verifyStateSignature(s, "b", peer.publicKey) || !equalBytes(nodeIdOf(reply.value.partyBKey), mine.partyB)) {
      fail("BAD_SIGNATURE", "ChannelAccept does not countersign the state we opened");
    }
    this.o.store.activateChannel(c.channelId, reply.value.state);
    return this.o.store.channel(c.channelId)!;
  }

  /** The payee refused the open: the deposit goes back to the credit. */
  private abandonOpening(c: ChannelRow): void {
    this.o.store.tx(() => {
      this.o.store.deleteChannel(c.channelId);
      this.o.store.setMeta(CREDIT, (this.credit() + c.deposit).toString());
    });
  }

  /**
   * Pays `units` verified units of a job under an agreement. Returns the
   * amount (0 when nothing is owed). Idempotent per (channel, job): a job
   * already paid on the channel is not paid again.
   */
  async pay(channelId: Uint8Array, agreement: AgreementBody, jobId: Uint8Array, units: bigint): Promise<bigint> {
    return this.locked(channelId, async () => {
      this.ensureRunning();
      const store = this.o.store;
      let c = store.channel(channelId);
      if (!c || c.role !== "payer") return fail("UNKNOWN_CHANNEL", "no such payer channel");
      if (c.pending) {
        await this.resumeLocked(c);
        this.ensureRunning();
        c = store.channel(channelId)!;
      }
      const existing = store.payment(channelId, jobId);
      if (existing) {
        store.deleteOwed(channelId, jobId);
        return existing.amount;
      }
      if (c.status !== "open") fail("CHANNEL_CLOSED", "the channel is not open");
      const billed = store.agreement(agreement.agreementId)?.billedUnits ?? 0n;
      const amount = owedDelta(agreement, billed, units);
      const cur = decodeChannelState(c.state);
      const paidBefore = paidIn(cur, c.deposit)!;
      const bal = balancesAfter(c.deposit, paidBefore + amount);
      if (!bal) fail("INSUFFICIENT_FUNDS", `the channel cannot cover ${amount} µMHR`);
      const next = signState(unsigned({ channelId, partyA: cur.partyA, partyB: cur.partyB, ...bal, sequence: cur.sequence + 1n }), "a", this.o.identity.sign);
      const pending = { state: encodeChannelState(next), sequence: next.sequence, jobId, agreementId: agreement.agreementId, amount, units };
      store.tx(() => {
        store.setPending(channelId, pending);
        store.insertPayment({ channelId, jobId, agreementId: agreement.agreementId, sequence: next.sequence, amount, units, acknowledged: false });
        store.addBilled(agreement.agreementId, units, amount);
        store.deleteOwed(channelId, jobId);
      });
      this.o.crashPoint?.("payer:update-persisted");
      await this.sendPending(store.channel(channelId)!);
      return amount;
    });
  }

  private async sendPending(c: ChannelRow): Promise<void> {
    const p = c.pending!;
    const msg = encodeChannelUpdate({ state: p.state, agreementId: p.agreementId, jobId: p.jobId, amount: p.amount, units: p.units }, this.o.identity);
    const reply = await this.o.send(c.peer, msg, ["ChannelAck"]);
    this.o.crashPoint?.("payer:ack-received");
    // An ack that arrives while the node stops is not committed: the update stays pending and is resent after the restart.
    this.ensureRunning();
    this.acceptAck(c, reply.value.state);
  }

  private acceptAck(c: ChannelRow, stateBytes: Uint8Array): void {
    const p = c.pending!;
    const s = decodeChannelState(stateBytes);
    if (!equalBytes(stateBytes.subarray(0, 136), p.state.subarray(0, 136)) || !verifyStateSignature(s, "b", c.peerKey)) {
      fail("BAD_SIGNATURE", "ChannelAck does not countersign the update we sent");
    }
    this.o.store.tx(() => {
      this.o.store.setChannelState(c.channelId, stateBytes, s.sequence);
      this.o.store.acknowledgePayment(c.channelId, s.sequence);
    });
  }

  /** Resends an unacknowledged update (after a fault or a restart). */
  resume(c: ChannelRow): Promise<void> {
    return this.locked(c.channelId, () => {
      this.ensureRunning();
      return this.resumeLocked(this.o.store.channel(c.channelId)!);
    });
  }

  private async resumeLocked(c: ChannelRow): Promise<void> {
    this.ensureRunning();
    if (!c.pending) return;
    try {
      await this.sendPending(c);
    } catch (e) {
      if (!(e instanceof PeerError)) throw e;
      // The payee may have lost nothing and answered STALE for a state it holds: ask it what it has.
      const sync = await this.o.send(c.peer, encodeChannelSync({ channelId: c.channelId, sender: this.o.identity.nodeId, issuedAt: BigInt(this.o.now()) }, this.o.identity), ["ChannelAck"]);
      const theirs = decodeChannelState(sync.value.state);
      this.ensureRunning();
      if (theirs.sequence === c.pending.sequence) this.acceptAck(c, sync.value.state);
      else throw e;
    }
  }

  /** Resends every unacknowledged update this node holds (on start and when a peer connects). */
  async resumeAll(peer?: Uint8Array): Promise<number> {
    let done = 0;
    for (const c of this.o.store.channels()) {
      if (c.role !== "payer" || !c.pending || (peer && !equalBytes(peer, c.peer))) continue;
      try {
        await this.resume(c);
        done++;
      } catch {
        // Still unreachable: tried again on the next connect.
      }
    }
    return done;
  }

  /** Cooperative close: the payee's final state is adopted and balance_a returns to the credit. */
  async close(channelId: Uint8Array): Promise<ChannelState> {
    return this.locked(channelId, async () => {
      const store = this.o.store;
      let c = store.channel(channelId);
      if (!c || c.role !== "payer") return fail("UNKNOWN_CHANNEL", "no such payer channel");
      if (c.status === "closed") return fail("CHANNEL_CLOSED", "already closed");
      if (c.pending) {
        await this.resumeLocked(c);
        c = store.channel(channelId)!;
      }
      const msg = encodeChannelClose({ channelId, sequence: c.sequence }, this.o.identity);
      const reply = await this.o.send(c.peer, msg, ["ChannelCloseAck"]);
      if (!verifySignature(c.peerKey, signingInput("ChannelCloseAck", reply.body), reply.signature!)) fail("BAD_SIGNATURE", "ChannelCloseAck signature");
      const s = decodeChannelState(reply.value.state);
      if (!equalBytes(s.channelId, channelId) || s.sequence < c.sequence || !verifyStateSignature(s, "a", this.o.identity.publicKey) || !verifyStateSignature(s, "b", c.peerKey)) {
        fail("CHANNEL_STALE", "the payee's final state is not a later state we both signed");
      }
      store.tx(() => {
        if (s.sequence > c!.sequence) store.setChannelState(channelId, reply.value.state, s.sequence);
        store.closeChannel(channelId, this.o.now());
        store.setMeta(CREDIT, (this.credit() + s.balanceA).toString());
      });
      return s;
    });
  }

  // --- payee -------------------------------------------------------------------------

  /**
   * Handles one channel request that arrived from the peer whose
   * authenticated key is `fromKey` (transport.ts); returns the reply bytes.
   * Throws ProtocolError to refuse; a request signed by another party than
   * that peer is PEER_MISMATCH (D21).
   */
  handle(d: Decoded<ChannelRequestName>, executionUnits: (agreementId: Uint8Array, jobId: Uint8Array) => { units: bigint; agreement: AgreementBody; billed: bigint } | undefined, fromKey: Uint8Array | null): Uint8Array {
    switch (d.name) {
      case "ChannelOpen": return this.onOpen(d as Decoded<"ChannelOpen">, fromKey);
      case "ChannelUpdate": return this.onUpdate(d as Decoded<"ChannelUpdate">, executionUnits, fromKey);
      case "ChannelClose": return this.onClose(d as Decoded<"ChannelClose">, fromKey);
      case "ChannelSync": return this.onSync(d as Decoded<"ChannelSync">, fromKey);
    }
    return fail("UNKNOWN_TYPE", d.name);
  }

  private onOpen(d: Decoded<"ChannelOpen">, fromKey: Uint8Array | null): Uint8Array {
    const me = this.o.identity;
    const s = decodeChannelState(d.value.state);
    if (!equalBytes(s.partyB, me.nodeId)) fail("NOT_FOR_ME", "party_b is another node");
    if (!equalBytes(nodeIdOf(d.value.partyAKey), s.partyA)) fail("BAD_NODE_ID", "party_a is not the NodeID of party_a_key");
    if (!equalBytes(channelIdOf(s.partyA, s.partyB, d.value.nonce), s.channelId)) fail("WRONG_TYPE", "channel_id is not Blake3(party_a || party_b || nonce)[0..16]");
    if (s.sequence !== 0n || s.balanceB !== 0n) fail("CHANNEL_BAD_BALANCE", "an opening state has sequence 0 and balance_b 0");
    if (!hasSignature(s, "a")) fail("UNSIGNED", "state 0 has no party_a signature");
    if (!verifyStateSignature(s, "a", d.value.partyAKey)) fail("BAD_SIGNATURE", "party_a's state signature");
    checkPeer(d.value.partyAKey, fromKey, "ChannelOpen");
    const existing = this.o.store.channel(s.channelId);
    if (existing) {
      // The payer's open repeated (it restarted before our accept reached it): the same accept while nothing was paid.
      if (existing.role === "payee" && existing.sequence === 0n && equalBytes(existing.state.subarray(0, 136), d.value.state.subarray(0, 136))) {
        return encodeChannelAccept({ state: existing.state, partyBKey: me.publicKey });
      }
      fail("CHANNEL_EXISTS", "a channel with this id exists");
    }
    const both = encodeChannelState(signState(s, "b", me.sign));
    this.o.store.insertChannel({
      channelId: s.channelId, role: "payee", peer: s.partyA, peerKey: d.value.partyAKey, nonce: d.value.nonce, deposit: s.balanceA,
      state: both, sequence: 0n, openedAt: BigInt(this.o.now()), status: "open",
    });
    return encodeChannelAccept({ state: both, partyBKey: me.publicKey });
  }

  private payeeChannel(channelId: Uint8Array): ChannelRow {
    const c = this.o.store.channel(channelId);
    if (!c || c.role !== "payee") return fail("UNKNOWN_CHANNEL", `no channel ${bytesToHex(channelId)} with this node as payee`);
    return c;
  }

  private onUpdate(d: Decoded<"ChannelUpdate">, executionUnits: Parameters<Channels["handle"]>[1], fromKey: Uint8Array | null): Uint8Array {
    const s = decodeChannelState(d.value.state);
    const c = this.payeeChannel(s.channelId);
    const held = decodeChannelState(c.state);
    if (!equalBytes(s.partyA, held.partyA) || !equalBytes(s.partyB, held.partyB)) fail("UNKNOWN_CHANNEL", "the state names other parties");
    if (!verifySignature(c.peerKey, signingInput("ChannelUpdate", d.body), d.signature!)) fail("BAD_SIGNATURE", "ChannelUpdate is not signed by party_a");
    checkPeer(c.peerKey, fromKey, "ChannelUpdate");
    // A retransmission of the update we accepted last: the same acknowledgement, nothing changes.
    if (s.sequence === c.sequence && equalBytes(d.value.state.subarray(0, 136), c.state.subarray(0, 136))) return encodeChannelAck({ state: c.state });
    if (c.status !== "open") fail("CHANNEL_CLOSED", "the channel is closed");
    if (s.sequence <= c.sequence) fail("CHANNEL_STALE", `sequence ${s.sequence} is not above the held ${c.sequence}`);
    if (s.sequence > c.sequence + 1n) fail("CHANNEL_OUT_OF_ORDER", `sequence ${s.sequence} skips past ${c.sequence + 1n}`);
    if (!hasSignature(s, "a")) fail("UNSIGNED", "the state has no party_a signature");
    if (!verifyStateSignature(s, "a", c.peerKey)) fail("BAD_SIGNATURE", "party_a's state signature");
    const before = paidIn(held, c.deposit)!;
    const after = paidIn(s, c.deposit);
    if (after === undefined || after < before) fail("CHANNEL_BAD_BALANCE", "balances do not follow from the deposit and the 2% burn, or pay the payer");
    if (after - before !== d.value.amount) fail("PAYMENT_MISMATCH", `the state pays ${after - before} µMHR, the message says ${d.value.amount}`);
    if (this.o.store.payment(c.channelId, d.value.jobId)) fail("ALREADY_PAID", "this job is already paid on this channel");
    const ex = executionUnits(d.value.agreementId, d.value.jobId);
    if (!ex) fail("PAYMENT_MISMATCH", "no job with this id ran under this agreement here");
    if (!equalBytes(ex!.agreement.paymentChannel, c.channelId)) fail("PAYMENT_MISMATCH", "the agreement pays through another channel");
    if (ex!.units !== d.value.units) fail("PAYMENT_MISMATCH", `the job's verified units are ${ex!.units}, not ${d.value.units}`);
    const owed = owedDelta(ex!.agreement, ex!.billed, d.value.units);
    if (owed !== d.value.amount) fail("PAYMENT_MISMATCH", `the agreement owes ${owed} µMHR for it, not ${d.value.amount}`);
    const both = signState(s, "b", this.o.identity.sign);
    const bytes = encodeChannelState(both);
    this.o.crashPoint?.("payee:update-verified");
    this.o.store.tx(() => {
      this.o.store.setChannelState(c.channelId, bytes, s.sequence);
      this.o.store.insertPayment({ channelId: c.channelId, jobId: d.value.jobId, agreementId: d.value.agreementId, sequence: s.sequence, amount: d.value.amount, units: d.value.units, acknowledged: true });
      this.o.store.markExecutionPaid(d.value.agreementId, d.value.jobId);
      this.o.store.addBilled(d.value.agreementId, d.value.units, d.value.amount);
    });
    this.o.crashPoint?.("payee:update-persisted");
    return encodeChannelAck({ state: bytes });
  }

  private onClose(d: Decoded<"ChannelClose">, fromKey: Uint8Array | null): Uint8Array {
    const c = this.payeeChannel(d.value.channelId);
    if (!verifySignature(c.peerKey, signingInput("ChannelClose", d.body), d.signature!)) fail("BAD_SIGNATURE", "ChannelClose is not signed by party_a");
    checkPeer(c.peerKey, fromKey, "ChannelClose");
    if (d.value.sequence > c.sequence) fail("CHANNEL_OUT_OF_ORDER", `close at ${d.value.sequence}, the latest countersigned state is ${c.sequence}`);
    if (c.status !== "closed") this.o.store.closeChannel(c.channelId, this.o.now());
    return encodeChannelCloseAck({ state: c.state }, this.o.identity);
  }

  private onSync(d: Decoded<"ChannelSync">, fromKey: Uint8Array | null): Uint8Array {
    const c = this.o.store.channel(d.value.channelId);
    if (!c || !equalBytes(c.peer, d.value.sender)) return fail("UNKNOWN_CHANNEL", "no such channel with the sender");
    if (!verifySignature(c.peerKey, signingInput("ChannelSync", d.body), d.signature!)) fail("BAD_SIGNATURE", "ChannelSync is not signed by the sender");
    checkPeer(c.peerKey, fromKey, "ChannelSync");
    return encodeChannelAck({ state: c.state });
  }

  // --- status ------------------------------------------------------------------------

  summaries(): ChannelSummary[] {
    return this.o.store.channels().map((c) => {
      const s = decodeChannelState(c.state);
      const paid = paidIn(s, c.deposit) ?? 0n;
      return {
        channelId: bytesToHex(c.channelId), role: c.role, peer: bytesToHex(c.peer), status: c.status, deposit: c.deposit.toString(),
        balanceA: s.balanceA.toString(), balanceB: s.balanceB.toString(), burned: (paid - s.balanceB).toString(), sequence: c.sequence.toString(),
        pending: c.pending !== null, payments: this.o.store.paymentCount(c.channelId),
      };
    });
  }
}
