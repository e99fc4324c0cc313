/**
 * The consumer side of delegation (docs/NODE.md §7.3–§7.6): choose
 * providers from held adverts (capability, price, reputation, proof
 * methods), open a channel, negotiate or reuse an agreement, send the job,
 * verify the result by the chosen proof method, pay what was verified, and
 * move the providers' compute_score.
 */
import { randomBytes } from "node:crypto";
import { bytesToHex, equalBytes } from "../model/bytes.ts";
import { decodeState, hash32 } from "../model/codec.ts";
import {
  CapabilityKind,
  NodeErrorCode,
  NodeLimit,
  PrivacyTier,
  ProofKind,
  Protocol,
  WasmTier,
  type AgreementBody,
  type CapabilitySpec,
  type Cost,
  type MessageName,
  type NodeErrorName,
  type ProofMethod,
  type RequestProtocolInfo,
} from "../generated/node-protocol.ts";
import { MarketLimit } from "../generated/private-protocol.ts";
import type { NodeIdentity } from "./identity.ts";
import { agreementIdOf, decodeCapabilityOffer, encodeCapabilityRequest, signAgreement } from "./messages/negotiation-messages.ts";
import { encodeExecuteRequest } from "./messages/execution-messages.ts";
import { decodeStruct, encodeStruct, type Decoded } from "./wire/schema-codec.ts";
import { fail, ProtocolError } from "./wire/protocol-error.ts";
import { PeerError } from "./messages/error-reply.ts";
import { TransportError } from "./transport.ts";
import { owedForCycles, decodeChannelState } from "./channel-state.ts";
import { maxJobCost, type Channels } from "./channels.ts";
import { verifyComputeResult, type VerifiedResult } from "./verification.ts";
import type { AdvertBook, HeldAdvert } from "./adverts.ts";
import type { Reputation } from "./reputation.ts";
import type { Backoff } from "./backoff.ts";
import { neighbourhoodOf } from "../private/shamir/select.ts";
import type { NodeStore, OwedRow } from "./store.ts";
import type { Counters } from "./stats.ts";
import type { JobInfo } from "./job-info.ts";

export type ProofChoice =
  | { kind: "result-hash" }
  | { kind: "redundant"; k: number; n: number }
  | { kind: "spotcheck"; ratePpm: number }
  | { kind: "reputation"; minScore: number };

/** `result-hash`, `redundant:2-of-3`, `spotcheck:0.05` (or `spotcheck:5%`), `reputation:6000`. */
export function parseProof(s: string): ProofChoice {
  let m: RegExpExecArray | null;
  if (s === "result-hash" || s === "resulthash") return { kind: "result-hash" };
  if ((m = /^redundant:(\d+)-of-(\d+)$/.exec(s))) {
    const k = Number(m[1]), n = Number(m[2]);
    if (n < 2 || n > NodeLimit.MAX_REDUNDANCY || k < 1 || k > n || 2 * k <= n) throw new RangeError(`redundant:k-of-n needs 2 <= n <= ${NodeLimit.MAX_REDUNDANCY} and n/2 < k <= n`);
    return { kind: "redundant", k, n };
  }
  if ((m = /^spotcheck:([0-9.]+)(%?)$/.exec(s))) {
    const rate = Number(m[1]) / (m[2] ? 100 : 1);
    if (!(rate > 0 && rate <= 1)) throw new RangeError("spotcheck:RATE needs 0 < RATE <= 1 (or a percentage)");
    return { kind: "spotcheck", ratePpm: Math.max(1, Math.round(rate * 1_000_000)) };
  }
  if ((m = /^reputation:(\d+)$/.exec(s))) {
    const minScore = Number(m[1]);
    if (minScore > NodeLimit.MAX_COMPUTE_SCORE) throw new RangeError("reputation:MIN is at most 10000");
    return { kind: "reputation", minScore };
  }
  throw new RangeError(`unknown proof method "${s}": use result-hash, redundant:K-of-N, spotcheck:RATE or reputation:MIN`);
}

export function proofText(p: ProofChoice): string {
  switch (p.kind) {
    case "result-hash": return "result-hash";
    case "redundant": return `redundant:${p.k}-of-${p.n}`;
    case "spotcheck": return `spotcheck:${p.ratePpm / 1_000_000}`;
    case "reputation": return `reputation:${p.minScore}`;
  }
}

export function proofMethodOf(p: ProofChoice): ProofMethod {
  switch (p.kind) {
    case "result-hash": return { kind: ProofKind.ResultHash };
    case "redundant": return { kind: ProofKind.Redundant, k: p.k, n: p.n };
    case "spotcheck": return { kind: ProofKind.SpotCheck, ratePpm: p.ratePpm };
    case "reputation": return { kind: ProofKind.Reputation, minScore: p.minScore };
  }
}

export interface Attempt {
  provider: string;
  /**
   * "ok" (verified and accepted), "failed" (a provably wrong answer: score down), "unavailable" (no answer, or the
   * provider's own failure: backed off, §7.8), "refused" (the provider declined), "disputed" (lost a vote), "caught"
   * (failed a spot check).
   */
  outcome: "ok" | "failed" | "unavailable" | "refused" | "disputed" | "caught";
  code?: string;
  detail?: string;
}

export interface Delegated {
  resultBytes: Uint8Array;
  state?: Uint8Array;
  resultHash: Uint8Array;
  cycles: bigint;
  status: number;
  /** NodeIDs whose (matching) result was accepted and paid. */
  providers: Uint8Array[];
  /**
   * The µMHR paid for this job (spot checks included). Payment follows the
   * verified result: each state update is committed before it is sent and
   * acknowledged in the background, so the result does not wait for it.
   * Resolves when every payment is acknowledged or left pending; never rejects.
   */
  payments: Promise<bigint>;
  attempts: Attempt[];
}

export type Progress = (event: { stage: string; detail?: string }) => void;

/** How the consumer reaches a provider (the node resolves the NodeID to a transport peer). */
export type PeerCall = <N extends MessageName>(advert: HeldAdvert, protocol: RequestProtocolInfo, request: Uint8Array, expected: readonly N[], timeoutMs?: number) => Promise<Decoded<N>>;

export interface ConsumerOptions {
  identity: NodeIdentity;
  store: NodeStore;
  adverts: AdvertBook;
  reputation: Reputation;
  backoff: Backoff;
  channels: Channels;
  counters: Counters;
  now: () => number;
  call: PeerCall;
  /** The address a provider is reached at: the observed one of an open connection, else its advert's first (§7.5). */
  addressOf: (advert: HeldAdvert) => string | undefined;
  /** Highest cost_per_million_cycles (milli-µMHR) it pays. */
  maxPrice: bigint;
  /** Highest µMHR per function call it pays. */
  maxPricePerCall: bigint;
  agreementDurationS: number;
  executeTimeoutMs: number;
  random?: () => number;
}

export interface ActiveAgreement {
  body: AgreementBody;
  providerSig: Uint8Array;
  consumerSig: Uint8Array;
}

interface Success {
  advert: HeldAdvert;
  agreement: ActiveAgreement;
  verified: VerifiedResult;
  jobId: Uint8Array;
}

/**
 * How a failed attempt counts against the provider (docs/NODE.md §7.7, §7.8):
 * - "wrong": an answer that came over the provider's authenticated connection
 *   and is provably not a right one (it does not decode, its signature, hashes
 *   or ids do not verify, the offer does not answer the request): compute_score falls;
 * - "outage": nothing was answered, or the provider said it failed itself
 *   (unreachable, time-out, reset, an oversized reply it never finished, a crash
 *   with the job, EXECUTION_FAILED, INTERNAL, SHUTTING_DOWN): the provider is
 *   backed off, its score untouched (a dead or overloaded machine is not a liar,
 *   and a consumer's bad link must not ruin an honest provider's score);
 * - "declined": a refusal the provider may make (BUSY, PRICE_TOO_LOW, …), or
 *   the consumer's own doing (its funds, its own abort): neither.
 */
export function failureKind(e: unknown): "wrong" | "outage" | "declined" {
  if (e instanceof TransportError) return e.code === "CLOSED" ? "declined" : "outage";
  if (e instanceof PeerError) return e.codeName === "EXECUTION_FAILED" || e.codeName === "INTERNAL" || e.codeName === "SHUTTING_DOWN" ? "outage" : "declined";
  if (e instanceof ProtocolError) return e.codeName === "INSUFFICIENT_FUNDS" ? "declined" : "wrong";
  return "declined";
}

function isOwnFunds(e: unknown): boolean {
  return e instanceof ProtocolError && !(e instanceof PeerError) && e.codeName === "INSUFFICIENT_FUNDS";
}

function describe(e: unknown): { code: string; detail: string } {
  if (e instanceof ProtocolError) return { code: e.codeName, detail: e.message };
  if (e instanceof TransportError) return { code: `TRANSPORT_${e.code}`, detail: e.message };
  return { code: "INTERNAL", detail: e instanceof Error ? e.message : String(e) };
}

/**
 * The next provider of a Redundant job (docs/NODE.md §7.5): drawn at random
 * from the best REDUNDANT_POOL_FACTOR × n of `ranked` (the §7.4 order), the
 * first in that random order whose neighbourhood (`hoodOf`, the rule of
 * private/shamir/select.ts) no provider already working on the job has; when
 * every pooled candidate shares one with them, the first in the random order.
 * Random, so that n colluding providers cannot count on being asked
 * together by pricing themselves at the top; neighbourhoods, so that one
 * operator's or network's machines seldom make up a quorum.
 */
export function pickRedundant<T>(ranked: readonly T[], n: number, hoodOf: (t: T) => string, inUse: ReadonlySet<string>, random: () => number): T | undefined {
  const pool = ranked.slice(0, Math.max(1, NodeLimit.REDUNDANT_POOL_FACTOR * n));
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.find((t) => !inUse.has(hoodOf(t))) ?? pool[0];
}

const DELEGATION_SLACK_MS = 5000;
/** Longest retry_after_ms of a BUSY or RATE_LIMITED provider the consumer waits for (once per provider and job). */
const MAX_WAIT_MS = 2000;

function roundCycles(c: bigint): bigint {
  let r = 1_000_000n;
  while (r < c) r *= 10n;
  return r;
}

export class Consumer {
  /** Agreements whose countersignature the provider has (so the agreement need not ride along). */
  private readonly attached = new Set<string>();
  /** Owed payments being paid now (channel/job). */
  private readonly paying = new Set<string>();
  private readonly random: () => number;

  constructor(private readonly o: ConsumerOptions) {
    this.random = o.random ?? Math.random;
  }

  /** Held adverts that can run the job, affordable, trusted and not backed off (§7.8), best first. */
  candidates(info: JobInfo, proof: ProofChoice, exclude: Set<string> = new Set()): HeldAdvert[] {
    const o = this.o;
    const minScore = proof.kind === "reputation" ? proof.minScore : 0;
    const kind = proofMethodOf(proof).kind;
    const out: { a: HeldAdvert; price: bigint; score: number }[] = [];
    for (const h of o.adverts.list()) {
      const a = h.advert;
      const id = bytesToHex(a.nodeId);
      if (equalBytes(a.nodeId, o.identity.nodeId) || exclude.has(id)) continue;
      const c = a.compute;
      if (!c.proofMethods.includes(kind) || !c.privacyTiers.some((t) => t.tier === PrivacyTier.None)) continue;
      let price: bigint;
      if (info.kind === "function") {
        const f = c.offeredFunctions.find((x) => equalBytes(x.functionId, info.functionId!));
        if (!f || f.cost.maxInputBytes + 64 < info.size || f.cost.costPerCall > o.maxPricePerCall) continue;
        price = f.cost.costPerCall;
      } else {
        if (info.kind === "wasm" ? c.wasmTier < info.wasmTier : !c.mhrByte) continue;
        if (info.kind === "mhr-byte" && (c.price.maxCycles < info.maxCycles || c.limits.maxJobBytes < info.size || BigInt(c.limits.maxMemory) < info.maxMemory || BigInt(c.limits.maxStateSize) < info.maxStateSize)) continue;
        if (c.price.costPerMillionCycles > o.maxPrice) continue;
        price = c.price.costPerMillionCycles;
      }
      if (!o.reputation.trusted(a.nodeId, minScore) || o.backoff.blocked(a.nodeId)) continue;
      out.push({ a: h, price, score: o.reputation.score(a.nodeId) });
    }
    out.sort((x, y) => (x.price !== y.price ? (x.price < y.price ? -1 : 1) : y.score - x.score || x.a.advert.compute.load - y.a.advert.compute.load || (bytesToHex(x.a.advert.nodeId) < bytesToHex(y.a.advert.nodeId) ? -1 : 1)));
    return out.map((x) => x.a);
  }

  /** The neighbourhood of a provider (private/shamir/select.ts's rule) at the address this node reaches it at. */
  private hoodOf(h: HeldAdvert): string {
    const address = this.o.addressOf(h);
    return (address !== undefined ? neighbourhoodOf(address) : null) ?? "unknown";
  }

  /** The capability and the most the consumer will pay for it, from the provider's advert. */
  private wants(h: HeldAdvert, info: JobInfo): { capability: CapabilitySpec; cost: Cost } {
    const c = h.advert.compute;
    if (info.kind === "function") {
      const f = c.offeredFunctions.find((x) => equalBytes(x.functionId, info.functionId!))!;
      return {
        capability: { kind: CapabilityKind.Function, wasmTier: WasmTier.None, functionId: info.functionId, maxCycles: 0n, maxJobBytes: f.cost.maxInputBytes + 64 },
        cost: { perInvocation: { costPerCall: f.cost.costPerCall, maxInputBytes: f.cost.maxInputBytes } },
      };
    }
    const wasm = info.kind === "wasm";
    const cap = wasm ? (info.wasmTier === 2 ? 10_000_000_000n : 100_000_000n) : c.price.maxCycles;
    let maxCycles = roundCycles(info.maxCycles);
    if (maxCycles > cap) maxCycles = cap;
    const maxJobBytes = wasm ? 4 * 1024 * 1024 : Math.min(c.limits.maxJobBytes, 65536);
    return {
      capability: { kind: wasm ? CapabilityKind.Wasm : CapabilityKind.MhrByte, wasmTier: (wasm ? info.wasmTier : WasmTier.None) as WasmTier, maxCycles, maxJobBytes },
      cost: { perCycle: { costPerMillionCycles: c.price.costPerMillionCycles, maxCycles } },
    };
  }

  private fits(a: AgreementBody, info: JobInfo, method: ProofMethod, now: number): boolean {
    const cap = a.capability;
    if (Number(a.validUntil) < now + DELEGATION_SLACK_MS || !equalBytes(encodeStruct("ProofMethod", a.proofMethod), encodeStruct("ProofMethod", method))) return false;
    if (info.kind === "function") return cap.kind === CapabilityKind.Function && equalBytes(cap.functionId!, info.functionId!) && info.size <= cap.maxJobBytes;
    const kind = info.kind === "wasm" ? CapabilityKind.Wasm : CapabilityKind.MhrByte;
    if (cap.kind !== kind || cap.wasmTier < info.wasmTier || cap.maxCycles < info.maxCycles || cap.maxJobBytes < info.size) return false;
    const ch = this.o.store.channel(a.paymentChannel);
    return !!ch && ch.status === "open" && this.o.channels.available(ch) >= maxJobCost(a);
  }

  /** A valid agreement with the provider that covers the job, negotiated (D12) when none is held. */
  private async agreementWith(h: HeldAdvert, info: JobInfo, method: ProofMethod, progress?: Progress): Promise<ActiveAgreement> {
    const o = this.o;
    const now = o.now();
    for (const row of o.store.validAgreementsWith(h.advert.nodeId, now)) {
      if (!row.consumerSig) continue;
      const body = decodeStruct("AgreementBody", row.body);
      if (this.fits(body, info, method, now)) return { body, providerSig: row.providerSig, consumerSig: row.consumerSig };
    }
    const { capability, cost } = this.wants(h, info);
    return this.negotiate(h, capability, cost, method, PrivacyTier.None, progress);
  }

  /**
   * A held agreement of a privacy tier with the provider that can pay one more job, or a new one (docs/PRIVATE.md,
   * Marketplace integration): kind Private, priced per job at the advertised tier price, verified as ResultHash.
   */
  async privateAgreementWith(h: HeldAdvert, tier: PrivacyTier, costPerCall: bigint, progress?: Progress): Promise<ActiveAgreement> {
    const o = this.o;
    const now = o.now();
    const method: ProofMethod = { kind: ProofKind.ResultHash };
    for (const row of o.store.validAgreementsWith(h.advert.nodeId, now)) {
      if (!row.consumerSig) continue;
      const body = decodeStruct("AgreementBody", row.body);
      const ch = o.store.channel(body.paymentChannel);
      if (body.capability.kind === CapabilityKind.Private && body.privacy === tier && Number(body.validUntil) >= now + DELEGATION_SLACK_MS
        && body.cost.perInvocation!.costPerCall <= costPerCall && !!ch && ch.status === "open" && o.channels.available(ch) >= maxJobCost(body)) {
        return { body, providerSig: row.providerSig, consumerSig: row.consumerSig };
      }
    }
    const capability: CapabilitySpec = { kind: CapabilityKind.Private, wasmTier: WasmTier.None, maxCycles: 0n, maxJobBytes: MarketLimit.MAX_PRIVATE_INPUT_BYTES };
    const cost: Cost = { perInvocation: { costPerCall, maxInputBytes: MarketLimit.MAX_PRIVATE_INPUT_BYTES } };
    return this.negotiate(h, capability, cost, method, tier, progress);
  }

  /** D12: opens (or reuses) the channel, sends the CapabilityRequest, checks and countersigns the offer. */
  private async negotiate(h: HeldAdvert, capability: CapabilitySpec, cost: Cost, method: ProofMethod, privacy: PrivacyTier, progress?: Progress): Promise<ActiveAgreement> {
    const o = this.o;
    const now = o.now();
    const need = cost.perCycle ? owedForCycles(capability.maxCycles, cost.perCycle.costPerMillionCycles) + 1n : cost.perInvocation!.costPerCall;
    progress?.({ stage: "channel", detail: bytesToHex(h.advert.nodeId) });
    const channel = await o.channels.ensureChannel({ nodeId: h.advert.nodeId, publicKey: h.advert.publicKey }, need);
    const nonce = new DataView(randomBytes(8).buffer).getBigUint64(0, true);
    const request = {
      consumer: o.identity.nodeId, consumerKey: o.identity.publicKey, provider: h.advert.nodeId, capability, desiredCost: cost,
      desiredDuration: o.agreementDurationS, paymentChannel: channel.channelId, proofPreference: method, nonce, issuedAt: BigInt(now), privacy,
    };
    const bytes = encodeCapabilityRequest(request, o.identity);
    progress?.({ stage: "negotiate", detail: bytesToHex(h.advert.nodeId) });
    const reply = await o.call(h, Protocol.NEGOTIATE, bytes, ["CapabilityOffer"]);
    const { body, providerSig } = decodeCapabilityOffer(reply.raw);
    const bad = (what: string): never => fail("BAD_OFFER", what);
    if (!equalBytes(body.agreementId, agreementIdOf(bytes)) || body.requestNonce !== nonce) bad("the offer answers another request");
    if (!equalBytes(body.provider, h.advert.nodeId) || !equalBytes(body.providerKey, h.advert.publicKey)) bad("the offer is from another provider");
    if (!equalBytes(body.consumer, o.identity.nodeId) || !equalBytes(body.consumerKey, o.identity.publicKey)) bad("the offer names another consumer");
    if (!equalBytes(encodeStruct("CapabilitySpec", body.capability), encodeStruct("CapabilitySpec", capability))) bad("the offer changes the capability");
    if (!equalBytes(encodeStruct("ProofMethod", body.proofMethod), encodeStruct("ProofMethod", method))) bad("the offer changes the proof method");
    if (!equalBytes(body.paymentChannel, channel.channelId) || body.privacy !== privacy) bad("the offer changes the channel or privacy");
    if (cost.perCycle ? !body.cost.perCycle || body.cost.perCycle.costPerMillionCycles > cost.perCycle.costPerMillionCycles || body.cost.perCycle.maxCycles < capability.maxCycles
      : !body.cost.perInvocation || body.cost.perInvocation.costPerCall > cost.perInvocation!.costPerCall) bad("the offer costs more than desired");
    const end = Number(body.validUntil);
    if (end <= now || Number(body.validFrom) > now + NodeLimit.CLOCK_SKEW_MS || end - Number(body.validFrom) > o.agreementDurationS * 1000 + NodeLimit.CLOCK_SKEW_MS) bad("the offer's validity is not what was asked");
    if (decodeChannelState(o.store.channel(channel.channelId)!.state).balanceA < maxJobCost(body)) bad("the channel cannot cover one job at the offered cost");
    const consumerSig = signAgreement(body, o.identity);
    o.store.insertAgreement({ agreementId: body.agreementId, role: "consumer", peer: body.provider, body: encodeStruct("AgreementBody", body), providerSig, consumerSig, validUntil: body.validUntil }, now);
    o.counters.inc("consumer.agreements");
    return { body, providerSig, consumerSig };
  }

  /** Runs the job on one provider and verifies the signed result (ResultHash). Throws on any failure. */
  private async runOn(h: HeldAdvert, job: Uint8Array, info: JobInfo, method: ProofMethod, jobId: Uint8Array, progress?: Progress): Promise<Success> {
    const o = this.o;
    const agreement = await this.agreementWith(h, info, method, progress);
    const key = bytesToHex(agreement.body.agreementId);
    const req = {
      agreementId: agreement.body.agreementId, jobId, job, issuedAt: BigInt(o.now()),
      ...(this.attached.has(key) ? {} : { agreement: { body: agreement.body, providerSig: agreement.providerSig, consumerSig: agreement.consumerSig } }),
    };
    progress?.({ stage: "execute", detail: bytesToHex(h.advert.nodeId) });
    const reply = await o.call(h, Protocol.EXECUTE, encodeExecuteRequest(req, o.identity), ["ComputeResult"], o.executeTimeoutMs);
    this.attached.add(key);
    const verified = verifyComputeResult(reply.raw, agreement.body, jobId, job, info);
    if (verified.message.state) {
      try {
        decodeState(verified.message.state);
      } catch {
        fail("RESULT_INCONSISTENT", "the reported state is not a state encoding");
      }
    }
    return { advert: h, agreement, verified, jobId };
  }

  /**
   * Commits and sends one owed payment; never throws. A failure leaves it
   * pending (committed, resent when the payee is reachable) or owed (not
   * committed yet: paid by `payOwed`, at the latest after a restart).
   */
  private async payOwed1(w: OwedRow, agreement: AgreementBody, provider: Uint8Array): Promise<bigint> {
    const key = `${bytesToHex(w.channelId)}/${bytesToHex(w.jobId)}`;
    // Already being paid (a reconnect's payOwed while the job's own settle runs): once is enough.
    if (this.paying.has(key)) return 0n;
    this.paying.add(key);
    try {
      const amount = await this.o.channels.pay(w.channelId, agreement, w.jobId, w.units);
      this.o.store.addCost(w.journalJobId, amount);
      this.o.counters.inc("consumer.payments");
      return amount;
    } catch (e) {
      this.o.counters.inc("consumer.payments_pending");
      const own = e instanceof ProtocolError && !(e instanceof PeerError) ? e.codeName : null;
      // Stopping: the store is closing, the payment waits for the restart.
      if (own === "SHUTTING_DOWN") return 0n;
      const { code, detail } = describe(e);
      try {
        // A channel that can never take it (closed, unknown, unable to cover it): dropped, and journalled below.
        const never = own === "UNKNOWN_CHANNEL" || own === "CHANNEL_CLOSED" || own === "INSUFFICIENT_FUNDS";
        if (never) this.o.store.deleteOwed(w.channelId, w.jobId);
        this.o.store.addAttempt({ jobId: w.journalJobId, n: 1000 + Math.floor(this.random() * 1000), provider, outcome: never ? "payment-dropped" : "payment-pending", code: null, detail: `${code}: ${detail}`, at: this.o.now() });
      } catch {
        // The store closed under us (the node stopped): the payment is still pending or owed on disk.
      }
      return 0n;
    } finally {
      this.paying.delete(key);
    }
  }

  /** Pays what earlier runs (or a previous life of this node) left owed, oldest first; never throws. */
  async payOwed(provider?: Uint8Array): Promise<bigint> {
    let total = 0n;
    for (const w of this.o.store.owed()) {
      const row = this.o.store.agreement(w.agreementId);
      if (!row || (provider && !equalBytes(row.peer, provider))) continue;
      total += await this.payOwed1(w, decodeStruct("AgreementBody", row.body), row.peer);
    }
    return total;
  }

  private record(jobId: Uint8Array, attempts: Attempt[], h: HeldAdvert, outcome: Attempt["outcome"], e?: unknown): void {
    const a: Attempt = { provider: bytesToHex(h.advert.nodeId), outcome };
    if (e !== undefined) Object.assign(a, describe(e));
    attempts.push(a);
    this.o.store.addAttempt({ jobId, n: attempts.length, provider: h.advert.nodeId, outcome, code: null, detail: a.code ? `${a.code}: ${a.detail}` : null, at: this.o.now() });
    this.o.counters.inc(`consumer.attempts.${outcome}`);
  }

  private failed(jobId: Uint8Array, attempts: Attempt[], h: HeldAdvert, e: unknown): void {
    const kind = failureKind(e);
    if (kind === "wrong") {
      this.o.reputation.failure(h.advert.nodeId);
      this.record(jobId, attempts, h, "failed", e);
    } else if (kind === "outage") {
      this.o.backoff.fail(h.advert.nodeId);
      this.record(jobId, attempts, h, "unavailable", e);
    } else this.record(jobId, attempts, h, "refused", e);
  }

  /** A verified, accepted result: score up, back-off over. */
  private succeeded(h: HeldAdvert): void {
    this.o.reputation.success(h.advert.nodeId);
    this.o.backoff.succeed(h.advert.nodeId);
  }

  private done(wins: Success[], payments: Promise<bigint>, attempts: Attempt[]): Delegated {
    const m = wins[0].verified.message;
    return { resultBytes: m.result, state: m.state, resultHash: m.resultHash, cycles: m.cycles, status: m.status, providers: wins.map((w) => w.advert.advert.nodeId), payments, attempts };
  }

  /**
   * Records what the accepted results are owed (durable before the result is
   * returned, so a node stopped or killed before it paid pays after its
   * restart), then pays them one after the other in the background. Never rejects.
   */
  private settle(paid: Success[], journalJobId: Uint8Array): Promise<bigint> {
    const owed = paid.filter((s) => s.verified.units > 0n).map((s) => ({
      row: { channelId: s.agreement.body.paymentChannel, jobId: s.jobId, agreementId: s.agreement.body.agreementId, units: s.verified.units, journalJobId },
      s,
    }));
    this.o.store.addOwed(owed.map((x) => x.row), this.o.now());
    return (async () => {
      // After the caller has its result: the commit below is a synchronous fsync.
      await new Promise((r) => setImmediate(r));
      let total = 0n;
      for (const { row, s } of owed) total += await this.payOwed1(row, s.agreement.body, s.advert.advert.nodeId);
      return total;
    })();
  }

  private noProvider(attempts: Attempt[], why: NodeErrorName = "NO_PROVIDER"): never {
    const last = attempts[attempts.length - 1];
    return fail(why, attempts.length ? `${attempts.length} attempt(s) failed; last: ${last.provider.slice(0, 8)} ${last.outcome}${last.code ? ` ${last.code}` : ""}${last.detail ? ` (${last.detail})` : ""}` : "no held advert offers a capable, affordable, trusted provider");
  }

  async delegate(job: Uint8Array, info: JobInfo, proof: ProofChoice, jobId: Uint8Array, progress?: Progress): Promise<Delegated> {
    if (proof.kind === "redundant") return this.redundant(job, info, proof, jobId, progress);
    const method = proofMethodOf(proof);
    const attempts: Attempt[] = [];
    const tried = new Set<string>();
    const waited = new Set<string>();
    for (let i = 0; i < NodeLimit.MAX_DELEGATION_ATTEMPTS; i++) {
      const h = this.candidates(info, proof, tried)[0];
      if (!h) break;
      tried.add(bytesToHex(h.advert.nodeId));
      let s: Success;
      let check: { success: Success; known: Uint8Array; job: Uint8Array } | undefined;
      try {
        if (proof.kind === "spotcheck" && this.random() * 1_000_000 < proof.ratePpm) {
          const r = await this.withSpotCheck(h, job, info, method, jobId, progress);
          s = r.real;
          check = r.check;
        } else s = await this.runOn(h, job, info, method, jobId, progress);
      } catch (e) {
        // This node cannot pay anyone: no point asking the next provider.
        if (isOwnFunds(e)) throw e;
        // A provider that is merely full says when to come back: wait once for it rather than give up on it.
        if (e instanceof PeerError && (e.codeName === "BUSY" || e.codeName === "RATE_LIMITED") && e.retryAfterMs !== undefined && e.retryAfterMs <= MAX_WAIT_MS && !waited.has(bytesToHex(h.advert.nodeId))) {
          waited.add(bytesToHex(h.advert.nodeId));
          tried.delete(bytesToHex(h.advert.nodeId));
          this.record(jobId, attempts, h, "refused", e);
          await new Promise((r) => setTimeout(r, e.retryAfterMs));
          continue;
        }
        if (e instanceof SpotCheckFailed) {
          this.o.reputation.failure(h.advert.nodeId);
          this.o.counters.inc("spotcheck.caught");
          this.record(jobId, attempts, h, "caught", e.cause);
        } else this.failed(jobId, attempts, h, e);
        continue;
      }
      if (check) {
        this.o.store.markKnownAnswerSent(hash32(check.job), h.advert.nodeId);
        this.o.counters.inc("spotcheck.passed");
      }
      this.succeeded(h);
      this.record(jobId, attempts, h, "ok");
      return this.done([s], this.settle(check ? [s, check.success] : [s], jobId), attempts);
    }
    return this.noProvider(attempts);
  }

  /** The real job and one known-answer job, in random order (one at a time, so a provider cannot tell a pair). */
  private async withSpotCheck(h: HeldAdvert, job: Uint8Array, info: JobInfo, method: ProofMethod, jobId: Uint8Array, progress?: Progress): Promise<{ real: Success; check?: { success: Success; known: Uint8Array; job: Uint8Array } }> {
    const kindKey = knownAnswerKind(info);
    const ka = this.o.store.knownAnswersFor(h.advert.nodeId, kindKey, 8).find((k) => k.maxCycles <= roundCycles(info.maxCycles) && k.job.length <= Math.max(info.size, 65536) && !equalBytes(k.jobHash, info.jobHash));
    if (!ka) {
      this.o.counters.inc("spotcheck.skipped");
      return { real: await this.runOn(h, job, info, method, jobId, progress) };
    }
    const kaInfo: JobInfo = { ...info, maxCycles: ka.maxCycles, size: ka.job.length, jobHash: ka.jobHash };
    const kaJobId = new Uint8Array(randomBytes(16));
    const order = this.random() < 0.5;
    const runCheck = async () => {
      let s: Success;
      try {
        s = await this.runOn(h, ka.job, kaInfo, method, kaJobId, progress);
      } catch (e) {
        if (e instanceof ProtocolError && !(e instanceof PeerError)) throw new SpotCheckFailed(e);
        throw e;
      }
      if (!equalBytes(s.verified.message.resultHash, ka.resultHash)) throw new SpotCheckFailed(new ProtocolError(NodeErrorCode.RESULT_HASH_MISMATCH, "the known-answer job's result differs from the known answer"));
      return s;
    };
    let real: Success, check: Success;
    if (order) {
      real = await this.runOn(h, job, info, method, jobId, progress);
      check = await runCheck();
    } else {
      check = await runCheck();
      real = await this.runOn(h, job, info, method, jobId, progress);
    }
    return { real, check: { success: check, known: ka.resultHash, job: ka.job } };
  }

  private async redundant(job: Uint8Array, info: JobInfo, proof: { kind: "redundant"; k: number; n: number }, jobId: Uint8Array, progress?: Progress): Promise<Delegated> {
    const method = proofMethodOf(proof);
    const attempts: Attempt[] = [];
    const tried = new Set<string>();
    const results: Success[] = [];
    let launched = 0;
    const budget = proof.n + NodeLimit.MAX_DELEGATION_ATTEMPTS;
    // Neighbourhoods of the providers working on the job or with a result (a failed one frees its place).
    const hoods = new Map<string, number>();
    const use = (hood: string, d: number): void => {
      const k = (hoods.get(hood) ?? 0) + d;
      if (k > 0) hoods.set(hood, k);
      else hoods.delete(hood);
    };
    // Each slot keeps trying fresh providers until it has a verified result or none are left.
    const slot = async (): Promise<void> => {
      while (launched < budget) {
        const h = pickRedundant(this.candidates(info, proof, tried), proof.n, (x) => this.hoodOf(x), new Set(hoods.keys()), this.random);
        if (!h) return;
        const hood = this.hoodOf(h);
        tried.add(bytesToHex(h.advert.nodeId));
        use(hood, 1);
        launched++;
        try {
          results.push(await this.runOn(h, job, info, method, jobId, progress));
          return;
        } catch (e) {
          use(hood, -1);
          if (isOwnFunds(e)) throw e;
          this.failed(jobId, attempts, h, e);
        }
      }
    };
    await Promise.all(Array.from({ length: proof.n }, () => slot()));
    const groups = new Map<string, Success[]>();
    for (const r of results) {
      const k = bytesToHex(r.verified.message.resultHash);
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    const winner = [...groups.values()].find((g) => g.length >= proof.k);
    if (!winner) {
      for (const r of results) this.record(jobId, attempts, r.advert, "failed", new ProtocolError(NodeErrorCode.NO_QUORUM, "no quorum"));
      return this.noProvider(attempts, results.length ? "NO_QUORUM" : "NO_PROVIDER");
    }
    for (const r of results) {
      if (winner.includes(r)) continue;
      this.o.reputation.failure(r.advert.advert.nodeId);
      this.o.counters.inc("redundant.disputed");
      this.record(jobId, attempts, r.advert, "disputed", new ProtocolError(NodeErrorCode.RESULT_DISPUTED, `result ${bytesToHex(r.verified.message.resultHash).slice(0, 16)} lost ${winner.length}-of-${results.length}`));
    }
    for (const w of winner) {
      this.succeeded(w.advert);
      this.record(jobId, attempts, w.advert, "ok");
    }
    this.addKnownAnswer(job, info, winner[0].verified.message.resultHash, "redundant");
    return this.done(winner, this.settle(winner, jobId), attempts);
  }

  /** Keeps a verified answer for later spot checks of other providers. */
  addKnownAnswer(job: Uint8Array, info: JobInfo, resultHash: Uint8Array, source: string): void {
    void source;
    this.o.store.addKnownAnswer({ jobHash: info.jobHash, job, resultHash, kind: knownAnswerKind(info), tier: info.wasmTier, maxCycles: info.maxCycles, functionId: info.functionId ?? null }, this.o.now(), 256);
  }
}

class SpotCheckFailed extends Error {
  constructor(override readonly cause: ProtocolError) {
    super(cause.message);
    this.name = "SpotCheckFailed";
  }
}

export function knownAnswerKind(info: JobInfo): string {
  return info.kind === "function" ? `function:${bytesToHex(info.functionId!)}` : info.kind === "wasm" ? `wasm:${info.wasmTier}` : "mhr-byte";
}
