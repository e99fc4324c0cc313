/**
 * The consumer side of the private tiers on the node (docs/PRIVATE.md §M4):
 * choose providers whose adverts list the tier, negotiate Private agreements
 * (reselecting on refusal), run the tier's protocol over PrivateMessages,
 * check every reply (signature, ids, then the tier's own checks), and pay
 * each provider one job through its channel once the answer is verified.
 */
import { randomBytes } from "node:crypto";
import { bytesToHex, equalBytes } from "../../model/bytes.ts";
import { hash32 } from "../../model/codec.ts";
import { NodeErrorCode, NodeLimit, NodeTimeout, PrivacyTier, type AgreementBody, type Shareholder } from "../../generated/node-protocol.ts";
import { MarketLimit, MarketTeeTask } from "../../generated/private-protocol.ts";
import type { NodeIdentity } from "../identity.ts";
import { fail, ProtocolError } from "../wire/protocol-error.ts";
import type { Decoded } from "../wire/schema-codec.ts";
import { PeerError } from "../messages/error-reply.ts";
import { TransportError } from "../transport.ts";
import { checkPrivateSignature, encodePrivateMessage } from "../messages/private-messages.ts";
import type { AdvertBook, HeldAdvert } from "../adverts.ts";
import type { Reputation } from "../reputation.ts";
import type { Channels } from "../channels.ts";
import type { NodeStore } from "../store.ts";
import type { Counters } from "../stats.ts";
import type { ActiveAgreement, Attempt, Consumer, Progress } from "../consumer.ts";
import type { PrivateSend } from "./provider-host.ts";
import type { SplitModels } from "./split-models.ts";
import { libraryPlatformOf } from "./pricing.ts";
import { buildSharedJob, type SharedJob } from "./shared-jobs.ts";
import { encodeTeeTask, float32sOf, MNIST_CLASSES, MNIST_PIXELS, pixelsAsInput } from "./tee-task.ts";
import { SplitConsumer, type NoiseSpec } from "../../private/split/consumer.ts";
import { SplitProtocolError } from "../../private/split/messages.ts";
import { SPLIT_ERROR_NAMES } from "../../generated/private-protocol.ts";
import { Consumer as ShamirConsumer } from "../../private/shamir/consumer.ts";
import { SharedSplitConsumer } from "../../private/combined/shared-split.ts";
import { TeeSplitConsumer } from "../../private/combined/tee-split.ts";
import { CombinedError } from "../../private/combined/errors.ts";
import { ShamirCode, ShamirError } from "../../private/shamir/errors.ts";
import { encodeMessage as encodeShamirMessage } from "../../private/shamir/messages.ts";
import { selectShareholders, type ShareholderCandidate } from "../../private/shamir/select.ts";
import { createAttestRequest, verifyAttestation, type TeeSession } from "../../private/attestation/consumer.ts";
import { decodeTeeMessage, encodeTeeMessage } from "../../private/attestation/messages.ts";
import { TeeError } from "../../private/attestation/errors.ts";
import { platformsOf, type TeePolicy } from "../../private/attestation/policy.ts";

import { PRIVACY_MODES, type PrivacyMode } from "./modes.ts";
export { PRIVACY_MODES, type PrivacyMode };

export interface PrivateRequest {
  privacy: PrivacyMode;
  /** split, tee: uint8 MNIST pixels, batch × 784 (value / 255 is the model's input). */
  pixels?: Uint8Array;
  /** split, tee: a committed model (default mnist-mlp). */
  model?: string;
  /** split: ε per image for the discrete Gaussian at the cut (δ default 10⁻⁵); absent: no noise (ε = ∞). */
  epsilon?: number;
  delta?: number;
  /** shared: the workload and the consumer's values. */
  shared?: SharedJob;
  /** tee: what the consumer accepts (production: binding "transcript"), and the evaluation time of certificates (default now). */
  tee?: { policy: TeePolicy; at?: Date };
  /** How loopback and private addresses form neighbourhoods in the SecretShared rule ("endpoint" for test networks on one machine). */
  local?: "host" | "endpoint";
}

export interface PrivateOutcome {
  privacy: PrivacyMode;
  jobId: string;
  /** Hex NodeIDs of the providers paid, in party order for SecretShared. */
  providers: string[];
  agreements: string[];
  /** µMHR per provider as agreed (Σ is the job's price). */
  prices: bigint[];
  /** µMHR paid once the payments are acknowledged (or left pending); never rejects. */
  payments: Promise<bigint>;
  attempts: Attempt[];
  /** split, tee: logits per image and the predicted classes. */
  logits?: number[][];
  classes?: number[];
  /** shared: the workload's answer. */
  answer?: number | boolean;
  /** split: the (ε, δ) the accountant charged per image (ε = Infinity without noise). */
  dp?: { epsilon: number; delta: number };
  /** tee: the verified platform and whether the TEE key is bound by the hardware (false only under a pinned-replay test policy). */
  tee?: { platform: number; keyBoundByHardware: boolean; measurement: string };
  /** PrivateMessage and PrivateReply bytes this node sent and received for the job. */
  bytes: { sent: number; received: number };
}

export interface PrivateClientOptions {
  identity: NodeIdentity;
  store: NodeStore;
  adverts: AdvertBook;
  reputation: Reputation;
  channels: Channels;
  consumer: Consumer;
  counters: Counters;
  now: () => number;
  send: PrivateSend;
  models: SplitModels;
  maxPricePerCall: bigint;
  /** NodeID of the peer that relayed a provider's advert (the SecretShared rule's introducer), when known. */
  introducerOf: (nodeId: Uint8Array) => Uint8Array | undefined;
  log: (line: string) => void;
  /** Longest a SecretShared session may take (default NodeTimeout.PRIVATE_SESSION_MS). */
  sessionMs?: number;
}

interface Candidate { h: HeldAdvert; price: bigint; platform?: number }
/** jobId: what PrivateMessages and payments name; journal: the consumer's journal entry (the same, except for a sub-job). */
interface Job { jobId: Uint8Array; journal: Uint8Array; attempts: Attempt[]; bytes: { sent: number; received: number }; progress?: Progress }
/** A provider with its agreement; `jobId` when its part of the job is paid under its own id (the Split + SecretShared middle). */
interface Chosen { h: HeldAdvert; agreement: ActiveAgreement; jobId?: Uint8Array }

interface SharedRun {
  lib: ShamirConsumer;
  chosen: Chosen[];
  job: Job;
  settle: (error?: unknown) => void;
}

/** Failures of the tier's protocol (the provider's answer did not check): PRIVATE_FAILED with the tier's code name. */
function tierFailure(e: unknown): ProtocolError | undefined {
  if (e instanceof TeeError || e instanceof ShamirError || e instanceof CombinedError) return new ProtocolError(NodeErrorCode.PRIVATE_FAILED, e.message);
  if (e instanceof SplitProtocolError) return new ProtocolError(NodeErrorCode.PRIVATE_FAILED, `${SPLIT_ERROR_NAMES[e.code] ?? e.code}: ${e.message}`);
  return undefined;
}

function describe(e: unknown): { code: string; detail: string } {
  if (e instanceof ProtocolError) return { code: e.codeName, detail: e.message };
  if (e instanceof TransportError) return { code: `TRANSPORT_${e.code}`, detail: e.message };
  return { code: "INTERNAL", detail: (e as Error).message ?? String(e) };
}

/** A provider's failure (as opposed to a refusal): it costs reputation. */
function blames(e: unknown): boolean {
  if (e instanceof PeerError) return ["EXECUTION_FAILED", "INTERNAL", "PRIVATE_REJECTED"].includes(e.codeName);
  if (e instanceof TransportError) return e.code === "TIMEOUT" || e.code === "RESET" || e.code === "OVERSIZED";
  return e instanceof ProtocolError;
}

export class PrivateClient {
  private readonly attached = new Set<string>();
  private readonly shared = new Map<string, SharedRun>();

  constructor(private readonly o: PrivateClientOptions) {}

  /** Held adverts offering `tier` (and for TEE one of `platforms`), affordable and trusted: cheapest, then best score, load, NodeID. */
  candidates(tier: PrivacyTier, exclude: Set<string>, platforms?: readonly number[]): Candidate[] {
    const o = this.o;
    const out: Candidate[] = [];
    for (const h of o.adverts.list()) {
      const a = h.advert;
      if (equalBytes(a.nodeId, o.identity.nodeId) || exclude.has(bytesToHex(a.nodeId)) || !o.reputation.trusted(a.nodeId)) continue;
      const offer = a.compute.privacyTiers.find((t) => t.tier === tier && (platforms === undefined || platforms.includes(t.teePlatform ?? -1)));
      if (!offer || offer.costPerCall === undefined || offer.costPerCall > o.maxPricePerCall || !a.compute.proofMethods.includes(0)) continue;
      out.push({ h, price: offer.costPerCall, platform: offer.teePlatform });
    }
    const key = (c: Candidate) => [c.price, -o.reputation.score(c.h.advert.nodeId), c.h.advert.compute.load] as const;
    return out.sort((x, y) => {
      const [a, b] = [key(x), key(y)];
      for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      return bytesToHex(x.h.advert.nodeId) < bytesToHex(y.h.advert.nodeId) ? -1 : 1;
    });
  }

  async submit(req: PrivateRequest, progress?: Progress): Promise<PrivateOutcome> {
    const o = this.o;
    const id = new Uint8Array(randomBytes(16));
    const job: Job = { jobId: id, journal: id, attempts: [], bytes: { sent: 0, received: 0 }, progress };
    o.store.journalStart({ jobId: job.jobId, role: "requested", jobHash: hash32(job.jobId), kind: `private:${req.privacy}`, receivedAt: o.now(), proof: "result-hash" });
    try {
      type Run = (req: PrivateRequest, job: Job) => Promise<{ chosen: Chosen[]; result: Partial<PrivateOutcome> }>;
      const runs: Record<PrivacyMode, Run> = {
        shared: (q, j) => this.runShared(q, j), split: (q, j) => this.runSplit(q, j), tee: (q, j) => this.runTee(q, j),
        "split+shared": (q, j) => this.runSplitShared(q, j), "split+tee": (q, j) => this.runSplitTee(q, j),
      };
      const run = runs[req.privacy];
      if (!run) return fail("WRONG_TYPE", `privacy ${String(req.privacy)}: one of ${PRIVACY_MODES.join(", ")}`);
      const r = await run(req, job);
      const payments = this.settle(r.chosen, job.jobId);
      o.store.journalFinish(job.jobId, { ranOn: "delegated", providers: r.chosen.map((c) => bytesToHex(c.h.advert.nodeId)), resultHash: null, cycles: 0n, cost: null, detail: `privacy ${req.privacy}`, finishedAt: o.now() });
      return {
        ...r.result, privacy: req.privacy, jobId: bytesToHex(job.jobId), providers: r.chosen.map((c) => bytesToHex(c.h.advert.nodeId)),
        agreements: r.chosen.map((c) => bytesToHex(c.agreement.body.agreementId)), prices: r.chosen.map((c) => c.agreement.body.cost.perInvocation!.costPerCall),
        payments, attempts: job.attempts, bytes: job.bytes,
      };
    } catch (e) {
      o.store.journalFinish(job.jobId, { ranOn: "failed", providers: [], resultHash: null, cycles: null, cost: null, detail: (e as Error).message, finishedAt: o.now() });
      throw e;
    }
  }

  // ---- messages

  /** Sends one payload under an agreement (the signed agreement rides along until the provider has it) and checks the signed reply. */
  private async sendTo(c: Chosen, job: Job, payload: Uint8Array, shareholders?: Shareholder[]): Promise<Uint8Array> {
    const o = this.o;
    const a = c.agreement;
    const key = bytesToHex(a.body.agreementId);
    const msg = encodePrivateMessage({
      agreementId: a.body.agreementId, jobId: job.jobId, sender: o.identity.nodeId, payload, ...(shareholders ? { shareholders } : {}),
      ...(this.attached.has(key) ? {} : { agreement: { body: a.body, providerSig: a.providerSig, consumerSig: a.consumerSig } }),
    }, o.identity);
    job.bytes.sent += msg.length;
    const d = await o.send(a.body.provider, msg);
    this.attached.add(key);
    job.bytes.received += d.raw.length;
    const r = d.value;
    if (!equalBytes(r.sender, a.body.provider) || !equalBytes(r.agreementId, a.body.agreementId) || !equalBytes(r.jobId, job.jobId)) fail("RESULT_INCONSISTENT", "the PrivateReply answers another agreement, job or sender");
    checkPrivateSignature(d, a.body.providerKey);
    return r.payload;
  }

  private record(job: Job, h: HeldAdvert, outcome: Attempt["outcome"], e?: unknown): void {
    const a: Attempt = { provider: bytesToHex(h.advert.nodeId), outcome, ...(e === undefined ? {} : describe(e)) };
    job.attempts.push(a);
    this.o.store.addAttempt({ jobId: job.journal, n: job.attempts.length, provider: h.advert.nodeId, outcome, code: null, detail: a.code ? `${a.code}: ${a.detail}` : null, at: this.o.now() });
    this.o.counters.inc(`consumer.private.attempts.${outcome}`);
  }

  private failed(job: Job, h: HeldAdvert, e: unknown): void {
    if (blames(e)) {
      this.o.reputation.failure(h.advert.nodeId);
      this.record(job, h, "failed", e);
    } else this.record(job, h, "refused", e);
  }

  private giveUp(job: Job, tierError: ProtocolError | undefined): never {
    if (tierError) throw tierError;
    const last = job.attempts[job.attempts.length - 1];
    return fail("NO_PROVIDER", last ? `${job.attempts.length} attempt(s) failed; last: ${last.provider.slice(0, 8)} ${last.outcome} ${last.code ?? ""} (${last.detail ?? ""})` : "no held advert offers this privacy tier at an affordable price");
  }

  /** One provider at a time, best first, until one's answer checks (at most MAX_DELEGATION_ATTEMPTS). */
  private async single<T>(tier: PrivacyTier, job: Job, run: (c: Chosen) => Promise<T>, platforms?: readonly number[], avoid?: Set<string>): Promise<{ chosen: Chosen[]; value: T }> {
    const tried = new Set<string>();
    let tierError: ProtocolError | undefined;
    for (let i = 0; i < NodeLimit.MAX_DELEGATION_ATTEMPTS; i++) {
      const all = this.candidates(tier, tried, platforms);
      const c = all.find((x) => !avoid?.has(bytesToHex(x.h.advert.nodeId))) ?? all[0];
      if (!c) break;
      tried.add(bytesToHex(c.h.advert.nodeId));
      try {
        const agreement = await this.o.consumer.privateAgreementWith(c.h, tier, c.price, job.progress);
        job.progress?.({ stage: "private", detail: `${bytesToHex(c.h.advert.nodeId)} tier ${tier}` });
        const chosen = { h: c.h, agreement };
        const value = await run(chosen);
        this.o.reputation.success(c.h.advert.nodeId);
        this.record(job, c.h, "ok");
        return { chosen: [chosen], value };
      } catch (e) {
        if (e instanceof ProtocolError && !(e instanceof PeerError) && e.codeName === "INSUFFICIENT_FUNDS") throw e;
        const t = tierFailure(e);
        if (t) tierError = t;
        this.failed(job, c.h, t ?? e);
      }
    }
    return this.giveUp(job, tierError);
  }

  // ---- SplitInference

  private pixels(req: PrivateRequest): { pixels: Uint8Array; batch: number } {
    const px = req.pixels;
    if (!px || px.length === 0 || px.length % MNIST_PIXELS) return fail("WRONG_TYPE", `pixels: a whole number of ${MNIST_PIXELS}-pixel images is required`);
    return { pixels: px, batch: px.length / MNIST_PIXELS };
  }

  private noise(req: PrivateRequest): NoiseSpec {
    return req.epsilon === undefined ? { mechanism: "none" } : { mechanism: "discrete-gaussian", epsilon: req.epsilon, delta: req.delta ?? 1e-5 };
  }

  private dp(req: PrivateRequest): { epsilon: number; delta: number } {
    return { epsilon: req.epsilon ?? Infinity, delta: req.epsilon === undefined ? 0 : req.delta ?? 1e-5 };
  }

  /** The advert's TeePlatform values of the platforms the policy accepts. */
  private teePlatforms(policy: TeePolicy): number[] {
    const accepted = platformsOf(policy);
    return [0, 1, 2].filter((p) => accepted.includes(libraryPlatformOf(p)!));
  }

  private async runSplit(req: PrivateRequest, job: Job) {
    const { pixels, batch } = this.pixels(req);
    const model = this.o.models.model(req.model ?? "mnist-mlp", "relu1");
    const consumer = await SplitConsumer.create(model, { noise: this.noise(req) });
    try {
      // Head, clip and noise once: a retry with another provider resends the same release, so nothing more is revealed.
      const prepared = await consumer.prepare(pixelsAsInput(pixels), batch);
      const { chosen, value } = await this.single(PrivacyTier.SplitInference, job, async (c) => (await consumer.finish(prepared, await this.sendTo(c, job, prepared.bytes))).logits);
      return { chosen, result: { ...classify(value, batch), dp: this.dp(req) } };
    } finally {
      await consumer.close();
    }
  }

  // ---- TEE

  private async runTee(req: PrivateRequest, job: Job) {
    const { pixels, batch } = this.pixels(req);
    if (!req.tee) return fail("WRONG_TYPE", "a TEE job needs the consumer's attestation policy");
    const policy = req.tee.policy;
    const task = encodeTeeTask({ task: MarketTeeTask.Classify, model: req.model ?? "mnist-mlp", data: pixels });
    let session: TeeSession | undefined;
    const { chosen, value } = await this.single(PrivacyTier.TEE, job, async (c) => {
      const { request, pending } = createAttestRequest(c.agreement.body.agreementId, policy);
      const att = decodeTeeMessage(await this.sendTo(c, job, encodeTeeMessage(request)));
      if (att.type === "Failure") throw TeeError.fromCode(att.code, `provider says: ${att.reason}`);
      if (att.type !== "Attestation") return fail("RESULT_INCONSISTENT", `expected an Attestation, got ${att.type}`);
      session = verifyAttestation(pending, att, { policy, at: req.tee!.at ?? new Date(this.o.now()) });
      const out = decodeTeeMessage(await this.sendTo(c, job, encodeTeeMessage(session.sealInput(task))));
      if (out.type !== "SealedOutput" && out.type !== "Failure") return fail("RESULT_INCONSISTENT", `expected a SealedOutput, got ${out.type}`);
      return float32sOf(session.openOutput(out));
    }, this.teePlatforms(policy));
    if (value.length !== batch * MNIST_CLASSES) fail("RESULT_INCONSISTENT", `${value.length} logits for ${batch} images`);
    const v = session!.verified;
    return { chosen, result: { ...classify(value, batch), tee: { platform: v.platform, keyBoundByHardware: session!.keyBoundByHardware, measurement: bytesToHex(v.measurement) } } };
  }

  // ---- SecretShared

  private async runShared(req: PrivateRequest, job: Job) {
    if (!req.shared) return fail("WRONG_TYPE", "a SecretShared job needs a workload and values");
    let built;
    try {
      built = buildSharedJob(req.shared);
    } catch (e) {
      if (e instanceof ShamirError || e instanceof RangeError) return fail("WRONG_TYPE", e.message);
      throw e;
    }
    const b = built;
    const { chosen, value } = await this.withShareholders(req, job, (chosen) => this.session(b.built.program, b.inputs, chosen, job));
    return { chosen, result: { answer: b.answer(b.built.decodeOutputs(value)) } };
  }

  /**
   * Three shareholders by the selection rule (private/shamir/select.ts), each with a SecretShared agreement; one that
   * refuses to agree, or cannot take its DEAL (DealFailed), is replaced and the rule applied again.
   */
  private async withShareholders<T>(req: PrivateRequest, job: Job, run: (chosen: Chosen[]) => Promise<T>): Promise<{ chosen: Chosen[]; value: T }> {
    const o = this.o;
    const tried = new Set<string>(), retried = new Set<string>();
    for (let round = 0; round < NodeLimit.MAX_DELEGATION_ATTEMPTS; round++) {
      const cands = this.candidates(PrivacyTier.SecretShared, tried);
      const byId = new Map(cands.map((c) => [bytesToHex(c.h.advert.nodeId), c]));
      const pool: ShareholderCandidate[] = cands.map((c) => ({ nodeId: c.h.advert.nodeId, address: c.h.advert.addresses[0] ?? "", introducer: o.introducerOf(c.h.advert.nodeId) }));
      let picked: Candidate[];
      try {
        const sel = selectShareholders(pool.filter((p) => p.address), { count: MarketLimit.SHAREHOLDERS, self: o.identity.nodeId, seed: new Uint8Array(randomBytes(32)), local: req.local });
        picked = sel.shareholders.map((x) => byId.get(bytesToHex(x.nodeId))!);
        job.progress?.({ stage: "select", detail: sel.neighbourhoods.join(", ") });
      } catch (e) {
        if (!(e instanceof ShamirError)) throw e;
        const last = job.attempts[job.attempts.length - 1];
        return fail("NO_PROVIDER", `SecretShared needs ${MarketLimit.SHAREHOLDERS} providers from distinct neighbourhoods: ${e.message}${last ? `; last attempt: ${last.provider.slice(0, 8)} ${last.outcome} ${last.code ?? ""}` : ""}`);
      }
      const agreed = await Promise.allSettled(picked.map((c) => o.consumer.privateAgreementWith(c.h, PrivacyTier.SecretShared, c.price, job.progress)));
      const refused = agreed.map((r, i) => ({ r, c: picked[i] })).filter((x) => x.r.status === "rejected");
      for (const { r, c } of refused) {
        tried.add(bytesToHex(c.h.advert.nodeId));
        this.failed(job, c.h, (r as PromiseRejectedResult).reason);
      }
      if (refused.length) continue;
      const chosen = picked.map((c, i) => ({ h: c.h, agreement: (agreed[i] as PromiseFulfilledResult<ActiveAgreement>).value }));
      let value: T;
      try {
        value = await run(chosen);
      } catch (e) {
        if (!(e instanceof DealFailed)) throw e;
        // A shareholder that cannot take its DEAL is replaced (the others were told, ABORT, or hold no session) —
        // after one more chance when the network, not the shareholder, failed (a reset or a time-out).
        const id = bytesToHex(chosen[e.index].h.advert.nodeId);
        if (!(e.cause instanceof TransportError) || retried.has(id)) tried.add(id);
        retried.add(id);
        this.failed(job, chosen[e.index].h, e.cause);
        continue;
      }
      for (const c of chosen) {
        o.reputation.success(c.h.advert.nodeId);
        this.record(job, c.h, "ok");
      }
      return { chosen, value };
    }
    return this.giveUp(job, undefined);
  }

  // ---- Split + SecretShared, Split + TEE (the combined library: private/combined/)

  /** The first layer on three shareholders (one linear DEAL → OUTPUT per image), then the pre1 middle on a split provider. */
  private async runSplitShared(req: PrivateRequest, job: Job) {
    const { pixels, batch } = this.pixels(req);
    if (batch > MarketLimit.MAX_LINEAR_DEALS) return fail("LIMIT_EXCEEDED", `at most ${MarketLimit.MAX_LINEAR_DEALS} images per Split + SecretShared job`);
    const model = this.o.models.model(req.model ?? "mnist-mlp", "pre1");
    // One image's DEALs at a time: three 300 KB DEALs per image already keep every shareholder busy.
    const consumer = await SharedSplitConsumer.create(model, { noise: this.noise(req), concurrency: 1 });
    try {
      const input = pixelsAsInput(pixels);
      const { chosen: holders, value: cut } = await this.withShareholders(req, job, async (chosen) => {
        try {
          return await consumer.sharedCut(input, batch, async (i, deal) => {
            try {
              return await this.sendTo(chosen[i - 1], job, deal);
            } catch (e) {
              throw new DealFailed(i - 1, e);
            }
          });
        } catch (e) {
          throw tierFailure(e) ?? e;
        }
      });
      const request = consumer.split.requestFor(cut.cut, batch, { spent: cut.spent });
      // The middle sees z₁ + noise only; prefer a provider that holds no share of this job.
      const holderIds = new Set(holders.map((c) => bytesToHex(c.h.advert.nodeId)));
      // The middle's part has its own job id: a provider that is both a shareholder and the middle is paid twice on one channel.
      const middleJob: Job = { ...job, jobId: hash32(Uint8Array.from([...job.jobId, 0x6d])).slice(0, 16) };
      const { chosen, value } = await this.single(PrivacyTier.SplitInference, middleJob, async (c) => (await consumer.split.finish(request, await this.sendTo(c, middleJob, request.bytes))).logits, undefined, holderIds);
      return { chosen: [...holders, ...chosen.map((c) => ({ ...c, jobId: middleJob.jobId }))], result: { ...classify(value, batch), dp: this.dp(req) } };
    } finally {
      await consumer.close();
    }
  }

  /** The split middle inside an attested TEE: attestation first, then the noisy cut sealed to the TEE key. */
  private async runSplitTee(req: PrivateRequest, job: Job) {
    const { pixels, batch } = this.pixels(req);
    if (!req.tee) return fail("WRONG_TYPE", "a Split + TEE job needs the consumer's attestation policy");
    const tee = req.tee;
    const model = this.o.models.model(req.model ?? "mnist-mlp", "relu1");
    let bound = false;
    const { chosen, value } = await this.single(PrivacyTier.TEE, job, async (c) => {
      const consumer = await TeeSplitConsumer.create(model, { noise: this.noise(req), agreementId: c.agreement.body.agreementId, policy: tee.policy, at: tee.at ?? new Date(this.o.now()) });
      try {
        const r = await consumer.infer(pixelsAsInput(pixels), batch, (bytes) => this.sendTo(c, job, bytes));
        bound = r.keyBoundByHardware;
        const v = consumer.session!.verified;
        return { logits: r.logits, platform: v.platform, measurement: bytesToHex(v.measurement) };
      } finally {
        await consumer.close();
      }
    }, this.teePlatforms(tee.policy));
    return { chosen, result: { ...classify(value.logits, batch), dp: this.dp(req), tee: { platform: value.platform, keyBoundByHardware: bound, measurement: value.measurement } } };
  }

  /** One SecretShared session: DEALs (with the shareholder list) out, READY/OUTPUT in through inbox(), CHALLENGEs out. */
  private async session(program: ShamirConsumer["analysis"]["program"], inputs: bigint[], chosen: Chosen[], job: Job): Promise<readonly bigint[]> {
    const lib = new ShamirConsumer({ program, inputs });
    const key = bytesToHex(job.jobId);
    const list: Shareholder[] = chosen.map((c) => ({ nodeId: c.h.advert.nodeId, publicKey: c.h.advert.publicKey, agreementId: c.agreement.body.agreementId }));
    const done = new Promise<void>((resolve, reject) => {
      const ms = this.o.sessionMs ?? NodeTimeout.PRIVATE_SESSION_MS;
      const timer = setTimeout(() => settle(new ProtocolError(NodeErrorCode.PRIVATE_TIMEOUT, `no answer within ${ms} ms`)), ms);
      timer.unref?.();
      const settle = (error?: unknown) => {
        clearTimeout(timer);
        this.shared.delete(key);
        if (error) reject(error);
        else resolve();
      };
      this.shared.set(key, { lib, chosen, job, settle });
    });
    done.catch(() => {});
    const run = this.shared.get(key)!;
    const dealt = await Promise.allSettled(lib.start().map((out) => this.sendTo(chosen[out.to - 1], job, out.bytes, list)));
    const lost = dealt.findIndex((r) => r.status === "rejected");
    if (lost >= 0) {
      // Even if a shareholder already aborted (it could not reach the lost one), the cause is the lost DEAL: replace that one.
      const failure = new DealFailed(lost, (dealt[lost] as PromiseRejectedResult).reason);
      run.settle(failure);
      await Promise.allSettled(dealt.map((r, i) => (r.status === "fulfilled" ? this.sendTo(chosen[i], job, encodeShamirMessage({ type: "abort", session: lib.session, from: 0, to: i + 1, code: ShamirCode.PEER_ABORTED })) : undefined)));
      throw failure;
    }
    try {
      await done;
    } catch (e) {
      throw tierFailure(e) ?? e;
    }
    const outcome = lib.outcome;
    if (outcome.status === "failed") throw tierFailure(outcome.error)!;
    if (outcome.status !== "done") return fail("INTERNAL", "session settled while running");
    return outcome.outputs;
  }

  /** A shareholder's message to this consumer (verified by the host: the agreement's provider signed it). */
  inbox(d: Decoded<"PrivateMessage">, agreement: AgreementBody): void {
    const run = this.shared.get(bytesToHex(d.value.jobId));
    if (!run || !run.chosen.some((c) => equalBytes(c.agreement.body.agreementId, agreement.agreementId))) {
      this.o.counters.inc("consumer.private.unexpected");
      return;
    }
    run.job.bytes.received += d.raw.length;
    let outs;
    try {
      outs = run.lib.receive(d.value.payload);
    } catch (e) {
      // A rejected message changes nothing (PRIVATE.md §2.7); an honest session goes on, a stalled one times out.
      this.o.counters.inc("consumer.private.rejected");
      this.o.log(`shared ${bytesToHex(d.value.jobId).slice(0, 8)}: ${(e as Error).message}`);
      return;
    }
    if (run.lib.outcome.status !== "running") {
      run.settle();
      return;
    }
    if (outs.length) void Promise.all(outs.map((out) => this.sendTo(run.chosen[out.to - 1], run.job, out.bytes))).catch((e) => run.settle(e));
  }

  // ---- payment

  /** One job paid to every provider, after the verified answer; acknowledgements in the background. */
  private settle(chosen: Chosen[], jobId: Uint8Array): Promise<bigint> {
    const o = this.o;
    return (async () => {
      await new Promise((r) => setImmediate(r));
      let total = 0n;
      for (const c of chosen) {
        try {
          const amount = await o.channels.pay(c.agreement.body.paymentChannel, c.agreement.body, c.jobId ?? jobId, 1n);
          o.store.addCost(jobId, amount);
          o.counters.inc("consumer.payments");
          total += amount;
        } catch (e) {
          o.counters.inc("consumer.payments_pending");
          o.log(`private payment to ${bytesToHex(c.h.advert.nodeId).slice(0, 8)} pending: ${(e as Error).message}`);
        }
      }
      return total;
    })();
  }
}

/** A shareholder refused or could not take its DEAL: replace it (the session never started on it). */
class DealFailed extends Error {
  constructor(readonly index: number, override readonly cause: unknown) {
    super(`shareholder ${index + 1} did not take its DEAL: ${(cause as Error).message}`);
    this.name = "DealFailed";
  }
}

function classify(logits: Float32Array, batch: number): { logits: number[][]; classes: number[] } {
  const rows = Array.from({ length: batch }, (_, b) => Array.from(logits.subarray(b * MNIST_CLASSES, (b + 1) * MNIST_CLASSES)));
  return { logits: rows, classes: rows.map((r) => r.indexOf(Math.max(...r))) };
}
