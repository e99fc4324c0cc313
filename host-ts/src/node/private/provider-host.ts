/**
 * The provider side of the private tiers on the node (docs/PRIVATE.md §M5):
 * every PrivateMessage under an agreement this node offered is checked
 * (agreement, validity, tier, sender and signature) and handed to the tier's
 * library — split/provider.ts, shamir/provider.ts, attestation/provider.ts —
 * whose answer goes back in a signed PrivateReply or, for SecretShared, as
 * PrivateMessages to the other shareholders and the consumer. The job's
 * final answer is recorded as an execution (1 unit), which is what the
 * consumer's channel payment is checked against (NODE.md §8.3).
 */
import { bytesToHex, equalBytes } from "../../model/bytes.ts";
import { hash32 } from "../../model/codec.ts";
import { NodeTimeout, PrivacyTier, type AgreementBody, type Shareholder } from "../../generated/node-protocol.ts";
import { MarketLimit } from "../../generated/private-protocol.ts";
import { nodeIdOf, type NodeIdentity } from "../identity.ts";
import { fail } from "../wire/protocol-error.ts";
import { checkSender } from "../wire/signed.ts";
import { decodeStruct, type Decoded } from "../wire/schema-codec.ts";
import { checkPrivateSignature, decodePrivateMessage, encodePrivateMessage, encodePrivateReply } from "../messages/private-messages.ts";
import type { Provider } from "../provider.ts";
import type { NodeStore } from "../store.ts";
import type { Counters } from "../stats.ts";
import { decodeSplitMessage, encodeError, SplitProtocolError } from "../../private/split/messages.ts";
import { SplitErrorCode } from "../../generated/private-protocol.ts";
import { Provider as ShamirProvider, type Outgoing } from "../../private/shamir/provider.ts";
import { decodeMessage as decodeShamirMessage } from "../../private/shamir/messages.ts";
import { ShamirError } from "../../private/shamir/errors.ts";
import { TeeProvider } from "../../private/attestation/provider.ts";
import { decodeTeeMessage } from "../../private/attestation/messages.ts";
import { TeeError } from "../../private/attestation/errors.ts";
import type { TeeBackend } from "../../private/attestation/backend.ts";
import { shareholderHandler, type ShareholderHandler } from "../../private/combined/shareholder.ts";
import { agreedFirstLayerDigests } from "../../private/combined/first-layer.ts";
import type { SplitModels } from "./split-models.ts";
import { teeCompute } from "./tee-task.ts";

/** Delivers one encoded PrivateMessage to a node and waits for its PrivateReply (or throws its ErrorReply / transport failure). */
export type PrivateSend = (nodeId: Uint8Array, message: Uint8Array) => Promise<Decoded<"PrivateReply">>;

/** A PrivateMessage for a job this node consumes (a SecretShared provider writing to the consumer). */
export type ConsumerInbox = (message: Decoded<"PrivateMessage">, agreement: AgreementBody) => void;

export interface PrivateTiers {
  split?: boolean;
  shared?: boolean;
  /** The TEE backend (real, or the REPLAY TEST DOUBLE: docs/PRIVATE.md §3.0). */
  tee?: TeeBackend;
}

export interface PrivateHostOptions {
  identity: NodeIdentity;
  store: NodeStore;
  provider: Provider;
  counters: Counters;
  now: () => number;
  tiers: PrivateTiers;
  models: SplitModels;
  send: PrivateSend;
  inbox: ConsumerInbox;
  log: (line: string) => void;
}

interface SharedSession {
  agreement: AgreementBody;
  jobId: Uint8Array;
  shareholders?: readonly Shareholder[];
  lib?: ShamirProvider;
  /** Shareholders' messages that arrived before the consumer's first one (verified once the list is known). */
  early: Decoded<"PrivateMessage">[];
  queues: Map<string, Promise<void>>;
  timer: ReturnType<typeof setTimeout>;
}

const hex = bytesToHex;

export class PrivateHost {
  private readonly sessions = new Map<string, SharedSession>();
  private readonly tee: TeeProvider | undefined;
  private shareholder: ShareholderHandler | undefined;
  private readonly linearDeals = new Map<string, number>();

  constructor(private readonly o: PrivateHostOptions) {
    this.tee = o.tiers.tee ? new TeeProvider({ backend: o.tiers.tee, compute: teeCompute(o.models) }) : undefined;
  }

  /** Private jobs open now (SecretShared sessions in progress). */
  get openJobs(): number {
    return this.sessions.size;
  }

  /** The /mehr-compute/private/1 handler: a signed PrivateReply, or a ProtocolError (answered as an ErrorReply). */
  async handle(bytes: Uint8Array, fromKey: Uint8Array | null): Promise<Uint8Array> {
    const o = this.o;
    const d = decodePrivateMessage(bytes);
    const m = d.value;
    // Every signature below is checked with a key whose NodeID is m.sender, so this binds the signer to the peer (D21).
    checkSender(m.sender, fromKey, "PrivateMessage");
    const row = o.store.agreement(m.agreementId);
    if (row?.role === "consumer") {
      // A provider of a job this node consumes writes back (SecretShared READY, OUTPUT, ABORT).
      const body = decodeStruct("AgreementBody", row.body);
      if (!equalBytes(m.sender, body.provider)) fail("NOT_SHAREHOLDER", "only the agreement's provider writes to its consumer");
      checkPrivateSignature(d, body.providerKey);
      o.inbox(d, body);
      return this.reply(m.agreementId, m.jobId, new Uint8Array(0));
    }
    if (m.agreement && !equalBytes(m.agreement.body.agreementId, m.agreementId)) fail("AGREEMENT_MISMATCH", "the attached agreement has another id");
    const body = o.provider.agreementFor(m.agreementId, m.agreement, (b) => {
      if (equalBytes(m.sender, b.consumer)) checkPrivateSignature(d, b.consumerKey);
    });
    if (body.privacy === PrivacyTier.None) fail("PRIVACY_MISMATCH", "a PrivateMessage under an agreement without privacy");
    const now = o.now();
    if (now >= Number(body.validUntil)) fail("AGREEMENT_EXPIRED", "outside the agreement's validity");
    const fromConsumer = equalBytes(m.sender, body.consumer);
    if (fromConsumer) checkPrivateSignature(d, body.consumerKey);
    else if (body.privacy !== PrivacyTier.SecretShared) fail("BAD_SIGNATURE", "only the agreement's consumer writes here");
    if (m.shareholders && (body.privacy !== PrivacyTier.SecretShared || !fromConsumer)) fail("PRIVACY_MISMATCH", "a shareholder list belongs in the consumer's SecretShared messages only");
    o.counters.inc(`private.received.${body.privacy}`);
    switch (body.privacy) {
      case PrivacyTier.SplitInference: return this.split(body, m.jobId, m.payload);
      case PrivacyTier.TEE: return this.teeMessage(body, m.jobId, m.payload);
      default: return this.shared(body, d, fromConsumer);
    }
  }

  private reply(agreementId: Uint8Array, jobId: Uint8Array, payload: Uint8Array): Uint8Array {
    return encodePrivateReply({ agreementId, jobId, sender: this.o.identity.nodeId, payload }, this.o.identity);
  }

  /** A job already answered: the same request gets the same signed reply, another one PRIVATE_JOB_DONE. */
  private answered(body: AgreementBody, jobId: Uint8Array, payload: Uint8Array): Uint8Array | undefined {
    const done = this.o.store.execution(body.agreementId, jobId);
    if (!done) return undefined;
    if (!equalBytes(done.jobHash, hash32(payload))) fail("PRIVATE_JOB_DONE", "this job id already ran under this agreement with other bytes");
    this.o.counters.inc("private.retransmitted");
    return done.resultMessage;
  }

  /** Records the job's final answer (billable: 1 unit) and journals it. */
  private executed(body: AgreementBody, jobId: Uint8Array, jobHash: Uint8Array, message: Uint8Array, kind: string): void {
    const o = this.o;
    const at = o.now();
    o.store.insertExecution({ agreementId: body.agreementId, jobId, jobHash, resultMessage: message, units: 1n, executedAt: BigInt(at) });
    o.store.journalStart({ jobId, role: "provided", jobHash, kind, receivedAt: at, proof: "result-hash" });
    o.store.journalFinish(jobId, { ranOn: "local", providers: [hex(o.identity.nodeId)], resultHash: hash32(message), cycles: 0n, cost: null, detail: `for ${hex(body.consumer)}`, finishedAt: at });
    o.counters.inc(`private.executed.${kind}`);
  }

  private async split(body: AgreementBody, jobId: Uint8Array, payload: Uint8Array): Promise<Uint8Array> {
    const again = this.answered(body, jobId, payload);
    if (again) return again;
    let descriptorId: Uint8Array;
    try {
      const msg = decodeSplitMessage(payload);
      if (msg.type !== "MiddleRequest") return fail("PRIVACY_MISMATCH", `a split provider takes MiddleRequests, not ${msg.type}`);
      descriptorId = msg.body.descriptorId;
    } catch (e) {
      if (!(e instanceof SplitProtocolError)) throw e;
      return fail("PRIVACY_MISMATCH", `not a split message: ${e.message}`);
    }
    const p = await this.o.models.providerFor(descriptorId);
    if (!p) return this.reply(body.agreementId, jobId, encodeError({ descriptorId, requestId: 0n, code: SplitErrorCode.SPLIT_UNKNOWN_DESCRIPTOR, text: "no model served here has this descriptor id" }));
    const out = await p.handle(payload);
    const reply = this.reply(body.agreementId, jobId, out);
    if (decodeSplitMessage(out).type === "MiddleReply") this.executed(body, jobId, hash32(payload), reply, "private:split");
    return reply;
  }

  private async teeMessage(body: AgreementBody, jobId: Uint8Array, payload: Uint8Array): Promise<Uint8Array> {
    if (!this.tee) return fail("CAPABILITY_UNAVAILABLE", "no TEE backend here");
    let type: string;
    try {
      const msg = decodeTeeMessage(payload);
      if (!equalBytes(msg.agreementId, body.agreementId)) return fail("PRIVACY_MISMATCH", "the TEE message names another agreement");
      type = msg.type;
    } catch (e) {
      if (!(e instanceof TeeError)) throw e;
      return fail("PRIVACY_MISMATCH", `not a TEE message: ${e.message}`);
    }
    if (type === "SealedInput") {
      const again = this.answered(body, jobId, payload);
      if (again) return again;
    }
    const out = await this.tee.handle(payload);
    const reply = this.reply(body.agreementId, jobId, out);
    if (type === "SealedInput" && decodeTeeMessage(out).type === "SealedOutput") this.executed(body, jobId, hash32(payload), reply, "private:tee");
    return reply;
  }

  // ---- SecretShared: one session per (agreement, job); messages are acknowledged at once and answered by new messages.

  private async shared(body: AgreementBody, d: Decoded<"PrivateMessage">, fromConsumer: boolean): Promise<Uint8Array> {
    const m = d.value;
    const key = `${hex(body.agreementId)}:${hex(m.jobId)}`;
    let s = this.sessions.get(key);
    if (!s && fromConsumer && !m.shareholders) return this.linear(body, m.jobId, m.payload);
    if (!s) {
      if (this.o.store.execution(body.agreementId, m.jobId)) fail("PRIVATE_JOB_DONE", "this SecretShared job already ran");
      if (this.sessions.size >= MarketLimit.MAX_OPEN_JOBS) fail("PRIVATE_SESSION_LIMIT", `${this.sessions.size} private jobs open`);
      const timer = setTimeout(() => this.expire(key), NodeTimeout.PRIVATE_SESSION_MS);
      timer.unref?.();
      s = { agreement: body, jobId: m.jobId, early: [], queues: new Map(), timer };
      this.sessions.set(key, s);
    }
    if (fromConsumer && !s.shareholders) {
      this.setUp(s, m.agreementId, m.shareholders, m.payload);
      const early = s.early.splice(0);
      this.feed(s, m.payload);
      for (const e of early) {
        try {
          this.fromShareholder(s, e);
        } catch (err) {
          this.o.counters.inc("private.shared.early_dropped");
          this.o.log(`shared ${key}: buffered message dropped: ${(err as Error).message}`);
        }
      }
    } else if (fromConsumer) {
      if (m.shareholders) fail("NOT_SHAREHOLDER", "the shareholder list was already given");
      this.feed(s, m.payload);
    } else if (!s.shareholders) {
      if (s.early.length >= MarketLimit.MAX_EARLY_MESSAGES) fail("PRIVATE_SESSION_LIMIT", "too many messages before the consumer's setup");
      s.early.push(d);
    } else this.fromShareholder(s, d);
    return this.reply(body.agreementId, m.jobId, new Uint8Array(0));
  }

  /**
   * Split + SecretShared's first layer (docs/PRIVATE.md §M8): a DEAL without a shareholder list is a one-request linear
   * session of the first layer of a served model (the combined library's shareholder handler); the reply carries the
   * OUTPUT (or an ABORT with the reason). One job pays once for up to MAX_LINEAR_DEALS deals (one per image).
   */
  private async linear(body: AgreementBody, jobId: Uint8Array, payload: Uint8Array): Promise<Uint8Array> {
    const k = `${hex(body.agreementId)}:${hex(jobId)}`;
    const count = (this.linearDeals.get(k) ?? 0) + 1;
    if (count > MarketLimit.MAX_LINEAR_DEALS) fail("PRIVATE_SESSION_LIMIT", `more than ${MarketLimit.MAX_LINEAR_DEALS} DEALs in one job`);
    this.linearDeals.set(k, count);
    if (this.linearDeals.size > MarketLimit.MAX_OPEN_JOBS * 16) this.linearDeals.delete(this.linearDeals.keys().next().value as string);
    const out = await this.linearShareholder()(payload);
    const reply = this.reply(body.agreementId, jobId, out);
    if (decodeShamirMessage(out).type === "output" && !this.o.store.execution(body.agreementId, jobId)) this.executed(body, jobId, hash32(payload), reply, "private:split+shared");
    return reply;
  }

  /** The combined library's shareholder, agreed to the first layers of the served models (built once). */
  private linearShareholder(): ShareholderHandler {
    this.shareholder ??= shareholderHandler({ agreed: this.o.models.names.flatMap((n) => agreedFirstLayerDigests(this.o.models.model(n, "pre1"))) });
    return this.shareholder;
  }

  /** Cuts the served models and builds the agreed first layers now rather than on the first job (a daemon calls it after start). */
  warm(): void {
    if (this.o.tiers.split || this.o.tiers.tee) for (const n of this.o.models.names) this.o.models.model(n, "relu1");
    if (this.o.tiers.shared) this.linearShareholder();
  }

  /** The consumer's first message: the shareholder list must name this node, with this agreement, once. */
  private setUp(s: SharedSession, agreementId: Uint8Array, list: readonly Shareholder[] | undefined, payload: Uint8Array): void {
    if (!list) fail("NOT_SHAREHOLDER", "the consumer's first SecretShared message carries the shareholder list");
    const ids = new Set(list!.map((h) => hex(h.nodeId)));
    if (list!.length < MarketLimit.SHAREHOLDERS || ids.size !== list!.length) fail("NOT_SHAREHOLDER", `${list!.length} shareholders, ${ids.size} distinct; at least ${MarketLimit.SHAREHOLDERS}`);
    for (const h of list!) if (!equalBytes(nodeIdOf(h.publicKey), h.nodeId)) fail("NOT_SHAREHOLDER", `shareholder ${hex(h.nodeId)} is not the NodeID of its key`);
    const mine = list!.map((h, i) => (equalBytes(h.nodeId, this.o.identity.nodeId) && equalBytes(h.agreementId, agreementId) ? i + 1 : 0)).filter((i) => i > 0);
    if (mine.length !== 1) fail("NOT_SHAREHOLDER", "the list does not name this node with this agreement exactly once");
    let session: Uint8Array;
    try {
      session = decodeShamirMessage(payload).session;
    } catch (e) {
      if (!(e instanceof ShamirError)) throw e;
      return fail("PRIVACY_MISMATCH", `not a shamir message: ${e.message}`);
    }
    s.lib = new ShamirProvider({ index: mine[0], session });
    s.shareholders = list;
  }

  private fromShareholder(s: SharedSession, d: Decoded<"PrivateMessage">): void {
    const m = d.value;
    const j = s.shareholders!.findIndex((h) => equalBytes(h.nodeId, m.sender));
    if (j < 0) fail("NOT_SHAREHOLDER", `${hex(m.sender)} is not a shareholder of this job`);
    checkPrivateSignature(d, s.shareholders![j].publicKey);
    let from: number;
    try {
      from = decodeShamirMessage(m.payload).from;
    } catch (e) {
      if (!(e instanceof ShamirError)) throw e;
      return fail("PRIVACY_MISMATCH", `not a shamir message: ${e.message}`);
    }
    if (from !== j + 1) fail("NOT_SHAREHOLDER", `shareholder ${j + 1} sent a message as party ${from}`);
    this.feed(s, m.payload);
  }

  /** One message into the session; its consequences go out in order, per receiver. */
  private feed(s: SharedSession, payload: Uint8Array): void {
    let outs: Outgoing[];
    try {
      outs = s.lib!.receive(payload);
    } catch (e) {
      if (!(e instanceof ShamirError)) throw e;
      return fail("PRIVATE_REJECTED", e.message);
    }
    this.dispatch(s, outs);
  }

  private dispatch(s: SharedSession, outs: readonly Outgoing[]): void {
    const o = this.o;
    for (const out of outs) {
      const toConsumer = out.to === 0;
      const peer = toConsumer ? undefined : s.shareholders![out.to - 1];
      const nodeId = toConsumer ? s.agreement.consumer : peer!.nodeId;
      const agreementId = toConsumer ? s.agreement.agreementId : peer!.agreementId;
      if (out.message.type === "output") this.executed(s.agreement, s.jobId, hash32(out.bytes), out.bytes, "private:shared");
      const msg = encodePrivateMessage({ agreementId, jobId: s.jobId, sender: o.identity.nodeId, payload: out.bytes }, o.identity);
      const k = hex(nodeId);
      const next = (s.queues.get(k) ?? Promise.resolve()).then(async () => {
        try {
          await o.send(nodeId, msg);
          o.counters.inc("private.shared.sent");
        } catch (e) {
          o.counters.inc("private.shared.send_failed");
          o.log(`shared: delivery to ${k.slice(0, 8)} failed: ${(e as Error).message}`);
          if (out.message.type !== "abort") this.dispatch(s, s.lib!.abort("PEER_ABORTED"));
        }
      });
      s.queues.set(k, next);
    }
    const phase = s.lib?.phase;
    if (phase === "done" || phase === "failed") this.close(s);
  }

  private close(s: SharedSession): void {
    const key = `${hex(s.agreement.agreementId)}:${hex(s.jobId)}`;
    clearTimeout(s.timer);
    this.sessions.delete(key);
  }

  private expire(key: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.o.counters.inc("private.shared.expired");
    if (s.lib && s.shareholders) this.dispatch(s, s.lib.abort("PEER_ABORTED"));
    this.sessions.delete(key);
  }

  stop(): void {
    for (const s of this.sessions.values()) clearTimeout(s.timer);
    this.sessions.clear();
  }
}
