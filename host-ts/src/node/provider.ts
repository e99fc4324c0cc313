/**
 * The provider side (docs/NODE.md §6.2, §7.2): answers CapabilityRequests
 * with signed offers and ExecuteRequests with signed ComputeResults, from
 * this node's own engines only (a provider never re-delegates, so a job
 * crosses at most one hop and is paid once).
 */
import { bytesToHex, equalBytes } from "../model/bytes.ts";
import { hash32 } from "../model/codec.ts";
import { resultHashOf } from "../model/engine.ts";
import {
  CapabilityKind,
  NodeLimit,
  PrivacyTier,
  ProofKind,
  WasmTier,
  type AgreementBody,
  type CapabilityRequest,
  type Cost,
  type SignedAgreement,
} from "../generated/node-protocol.ts";
import type { NodeIdentity } from "./identity.ts";
import { MarketLimit } from "../generated/private-protocol.ts";
import { agreementIdOf, checkSignedAgreement, decodeCapabilityRequest, encodeCapabilityOffer, signAgreement } from "./messages/negotiation-messages.ts";
import { decodeExecuteRequest, decodeFunctionCall, encodeComputeResult } from "./messages/execution-messages.ts";
import { decodeStruct, encodeStruct, signingInput } from "./wire/schema-codec.ts";
import { fail, ProtocolError } from "./wire/protocol-error.ts";
import { verifySignature } from "./identity.ts";
import { checkPeer } from "./wire/signed.ts";
import { classifyJob, functionJobInfo, type JobInfo } from "./job-info.ts";
import { decodeChannelState } from "./channel-state.ts";
import { maxJobCost } from "./channels.ts";
import type { Executor, RunDecision } from "./executor.ts";
import type { FunctionRegistry } from "./functions/opaque-function.ts";
import type { NodeStore } from "./store.ts";
import type { Counters } from "./stats.ts";

export interface ProviderPricing {
  /** cost_per_million_cycles, milli-µMHR (D5). */
  costPerMillionCycles: bigint;
  /** µMHR per call, by function name (default: the function's own). */
  functionPrices: Map<string, bigint>;
}

/** Test option (docs/NODE.md §12): make this provider lie. Never set outside tests. */
export interface LieOption {
  /** Fraction of results to falsify (default 1). */
  rate?: number;
}

export interface ProviderOptions {
  identity: NodeIdentity;
  store: NodeStore;
  executor: Executor;
  functions: FunctionRegistry;
  pricing: ProviderPricing;
  proofMethods: readonly number[];
  now: () => number;
  counters: Counters;
  lie?: LieOption;
  random?: () => number;
  /** Test hook (docs/NODE.md §11.2): called with "provider:executing" before a job runs. */
  crashPoint?: (point: string) => void;
  /** µMHR per private job of a privacy tier this node offers, undefined when it does not (docs/PRIVATE.md, Marketplace integration). */
  privatePrice?: (tier: number) => bigint | undefined;
  /** Whether a private job can start now (PRIVATE_SESSION_LIMIT otherwise). */
  privateRoom?: () => boolean;
}

export class Provider {
  constructor(private readonly o: ProviderOptions) {}

  /** The price this provider asks for a capability. */
  costFor(kind: number, functionId: Uint8Array | undefined, maxCycles: bigint, privacy: number = PrivacyTier.None): Cost {
    if (kind === CapabilityKind.Private) return { perInvocation: { costPerCall: this.o.privatePrice?.(privacy) ?? 0n, maxInputBytes: MarketLimit.MAX_PRIVATE_INPUT_BYTES } };
    if (kind === CapabilityKind.Function) {
      const f = this.o.functions.get(functionId!)!;
      return { perInvocation: { costPerCall: this.o.pricing.functionPrices.get(f.name) ?? f.costPerCall, maxInputBytes: f.maxInputBytes } };
    }
    return { perCycle: { costPerMillionCycles: this.o.pricing.costPerMillionCycles, maxCycles } };
  }

  /** The largest max_cycles it runs for a capability kind and tier. */
  maxCyclesFor(kind: number, tier: number): bigint {
    const p = this.o.executor.profile;
    if (kind === CapabilityKind.MhrByte) return BigInt(p.mhrByte?.maxCycles ?? 0);
    if (kind === CapabilityKind.Wasm) return tier === WasmTier.Full ? 10_000_000_000n : 100_000_000n;
    return 0n;
  }

  /** A CapabilityRequest that arrived from the peer whose authenticated key is `fromKey` (transport.ts). */
  handleRequest(bytes: Uint8Array, fromKey: Uint8Array | null): Uint8Array {
    const o = this.o;
    const r: CapabilityRequest = decodeCapabilityRequest(bytes);
    checkPeer(r.consumerKey, fromKey, "CapabilityRequest");
    const now = o.now();
    if (!equalBytes(r.provider, o.identity.nodeId)) fail("NOT_FOR_ME", "the request names another provider");
    const age = now - Number(r.issuedAt);
    if (age > NodeLimit.REQUEST_MAX_AGE_MS || -age > NodeLimit.CLOCK_SKEW_MS) fail("REQUEST_EXPIRED", `issued ${age} ms ago`);
    const cap = r.capability;
    if (cap.kind === CapabilityKind.Private && o.privatePrice?.(r.privacy) === undefined) fail("CAPABILITY_UNAVAILABLE", `privacy tier ${r.privacy} is not offered here`);
    if (cap.kind === CapabilityKind.Private && r.proofPreference.kind !== ProofKind.ResultHash) fail("PROOF_UNSUPPORTED", "a private agreement is verified by its tier's own checks and the signed replies (ResultHash)");
    const p = o.executor.profile;
    if (cap.kind === CapabilityKind.MhrByte && !p.mhrByte) fail("CAPABILITY_UNAVAILABLE", "no MHR-Byte here");
    if (cap.kind === CapabilityKind.Wasm && o.executor.wasmTier < cap.wasmTier) fail("CAPABILITY_UNAVAILABLE", `WASM tier ${cap.wasmTier} is above this node's`);
    if (cap.kind === CapabilityKind.Function && !o.functions.get(cap.functionId!)) fail("CAPABILITY_UNAVAILABLE", "function not offered here");
    if (cap.maxCycles > this.maxCyclesFor(cap.kind, cap.wasmTier)) fail("LIMIT_EXCEEDED", `max_cycles ${cap.maxCycles} above this node's ${this.maxCyclesFor(cap.kind, cap.wasmTier)}`);
    const maxBytes = cap.kind === CapabilityKind.MhrByte ? p.mhrByte!.maxJobBytes : cap.kind === CapabilityKind.Wasm ? 4 * 1024 * 1024
      : cap.kind === CapabilityKind.Private ? MarketLimit.MAX_PRIVATE_INPUT_BYTES : o.functions.get(cap.functionId!)!.maxInputBytes + 64;
    if (cap.maxJobBytes > maxBytes) fail("LIMIT_EXCEEDED", `max_job_bytes ${cap.maxJobBytes} above this node's ${maxBytes}`);
    if (!o.proofMethods.includes(r.proofPreference.kind)) fail("PROOF_UNSUPPORTED", "proof method not accepted here");
    const cost = this.costFor(cap.kind, cap.functionId, cap.maxCycles, r.privacy);
    if (cost.perCycle && r.desiredCost.perCycle!.costPerMillionCycles < cost.perCycle.costPerMillionCycles) fail("PRICE_TOO_LOW", `price is ${cost.perCycle.costPerMillionCycles} milli-µMHR per 10^6 cycles`);
    if (cost.perInvocation && r.desiredCost.perInvocation!.costPerCall < cost.perInvocation.costPerCall) fail("PRICE_TOO_LOW", `price is ${cost.perInvocation.costPerCall} µMHR per call`);
    const ch = o.store.channel(r.paymentChannel);
    if (!ch || ch.role !== "payee" || ch.status !== "open" || !equalBytes(ch.peer, r.consumer)) fail("BAD_CHANNEL", "no open channel from this consumer with that id");
    if (cap.kind === CapabilityKind.Private && o.privateRoom && !o.privateRoom()) fail("BUSY", "too many private jobs open", 1000);
    const load: RunDecision = cap.kind === CapabilityKind.Private ? { ok: true } : o.executor.canRun(cap.kind === CapabilityKind.Function ? functionJobInfo(new Uint8Array(0), cap.functionId!) : { kind: cap.kind === CapabilityKind.Wasm ? "wasm" : "mhr-byte", wasmTier: cap.wasmTier, maxCycles: 0n, maxMemory: 0n, maxStateSize: 0n, size: 0, jobHash: new Uint8Array(32) });
    if (!load.ok && load.code === "BUSY") fail("BUSY", load.reason, 1000);
    if (!o.store.rememberNonce(r.consumer, r.nonce, now, NodeLimit.REQUEST_MAX_AGE_MS)) fail("NONCE_REPLAYED", `nonce ${r.nonce} already used`);
    const duration = Math.min(r.desiredDuration, NodeLimit.MAX_AGREEMENT_DURATION_S);
    const body: AgreementBody = {
      agreementId: agreementIdOf(bytes), requestNonce: r.nonce,
      provider: o.identity.nodeId, providerKey: o.identity.publicKey, consumer: r.consumer, consumerKey: r.consumerKey,
      capability: cap, cost, paymentChannel: r.paymentChannel, proofMethod: r.proofPreference,
      validFrom: BigInt(now), validUntil: BigInt(now + duration * 1000), privacy: r.privacy,
    };
    if (decodeChannelState(ch!.state).balanceA < maxJobCost(body)) fail("BAD_CHANNEL", "the channel cannot cover one job at this cost");
    // Stored (half-signed) before the signature leaves: the consumer's first ExecuteRequest completes it.
    o.store.insertAgreement({
      agreementId: body.agreementId, role: "provider", peer: r.consumer, body: encodeStruct("AgreementBody", body),
      providerSig: signAgreement(body, o.identity), consumerSig: null, validUntil: body.validUntil,
    }, now);
    o.counters.inc("provider.offers");
    return encodeCapabilityOffer(body, o.identity);
  }

  /**
   * The agreement a request names (an ExecuteRequest, or a PrivateMessage of the private host), with the consumer's
   * signature on the attached agreement when it is not countersigned yet. `check` verifies the request itself (its
   * signature and the peer it came from) before anything is committed: a newly countersigned agreement is stored only
   * after it passed.
   */
  agreementFor(id: Uint8Array, attached: SignedAgreement | undefined, check: (body: AgreementBody) => void): AgreementBody {
    const row = this.o.store.agreement(id);
    if (!row || row.role !== "provider") return fail("UNKNOWN_AGREEMENT", `no agreement ${bytesToHex(id)} offered by this node`);
    const body = decodeStruct("AgreementBody", row.body);
    if (!row.consumerSig) {
      if (!attached) fail("UNKNOWN_AGREEMENT", "the agreement is not countersigned yet: attach it");
      if (!equalBytes(encodeStruct("AgreementBody", attached!.body), row.body)) fail("AGREEMENT_MISMATCH", "the attached agreement is not the one offered");
      checkSignedAgreement(attached!);
    }
    check(body);
    if (!row.consumerSig) {
      this.o.store.insertAgreement({ ...row, consumerSig: attached!.consumerSig }, this.o.now());
      this.o.counters.inc("provider.agreements");
    }
    return body;
  }

  /** An ExecuteRequest that arrived from the peer whose authenticated key is `fromKey` (transport.ts). */
  async handleExecute(bytes: Uint8Array, fromKey: Uint8Array | null): Promise<Uint8Array> {
    const o = this.o;
    const d = decodeExecuteRequest(bytes);
    const r = d.value;
    if (r.agreement && !equalBytes(r.agreement.body.agreementId, r.agreementId)) fail("AGREEMENT_MISMATCH", "the attached agreement has another id");
    const body = this.agreementFor(r.agreementId, r.agreement, (b) => {
      if (!verifySignature(b.consumerKey, signingInput("ExecuteRequest", d.body), d.signature!)) fail("BAD_SIGNATURE", "ExecuteRequest is not signed by the agreement's consumer");
      checkPeer(b.consumerKey, fromKey, "ExecuteRequest");
    });
    const now = o.now();
    // A retried request (the response was lost): the same signed result, not a second run.
    const done = o.store.execution(r.agreementId, r.jobId);
    if (done) {
      if (!equalBytes(done.jobHash, hash32(r.job))) fail("AGREEMENT_MISMATCH", "job_id was used for another job under this agreement");
      if (now > Number(body.validUntil) + NodeLimit.RESULT_RETENTION_MS) fail("AGREEMENT_EXPIRED", "the agreement and its result retention have expired");
      o.counters.inc("provider.retransmitted");
      return done.resultMessage;
    }
    const age = now - Number(r.issuedAt);
    if (age > NodeLimit.REQUEST_MAX_AGE_MS || -age > NodeLimit.CLOCK_SKEW_MS) fail("REQUEST_EXPIRED", `issued ${age} ms ago`);
    if (now < Number(body.validFrom) - NodeLimit.CLOCK_SKEW_MS || now >= Number(body.validUntil)) fail("AGREEMENT_EXPIRED", "outside the agreement's validity");
    const info = this.jobInfo(r.job, body);
    const can = o.executor.canRun(info);
    if (!can.ok) fail(can.code, can.reason, can.code === "BUSY" ? 1000 : undefined);
    o.store.journalStart({ jobId: r.jobId, role: "provided", jobHash: info.jobHash, kind: info.kind, receivedAt: now, proof: proofName(body.proofMethod.kind) });
    o.crashPoint?.("provider:executing");
    let run;
    try {
      run = await o.executor.run(r.job, info);
    } catch (e) {
      o.store.journalFinish(r.jobId, { ranOn: "failed", providers: [], resultHash: null, cycles: null, cost: null, detail: (e as Error).message, finishedAt: o.now() });
      return fail("EXECUTION_FAILED", `engine failure: ${(e as Error).message}`);
    }
    if (run.outcome !== "result") {
      o.store.journalFinish(r.jobId, { ranOn: "failed", providers: [], resultHash: null, cycles: null, cost: null, detail: run.outcome, finishedAt: o.now() });
      return fail("EXECUTION_FAILED", `${run.outcome}: not a consensus result${run.detail ? ` (${run.detail})` : ""}`);
    }
    let resultBytes = run.resultBytes;
    let state = run.state;
    if (o.lie && (o.random ?? Math.random)() < (o.lie.rate ?? 1)) {
      // TEST ONLY (docs/NODE.md §12): a wrong result that is consistent in itself: the last byte (inside state_hash,
      // or the FunctionResult's output) flipped, the hash recomputed over the flipped bytes, no state to contradict it.
      resultBytes = resultBytes.slice();
      resultBytes[resultBytes.length - 1] ^= 0x01;
      state = undefined;
      o.counters.inc("provider.lies");
    }
    const result = {
      agreementId: r.agreementId, jobId: r.jobId, jobHash: info.jobHash, resultHash: resultHashOf(resultBytes), status: run.status,
      cycles: run.cycles, result: resultBytes, ...(state && state.length <= 2 * 1024 * 1024 ? { state } : {}), provider: o.identity.nodeId,
    };
    const message = encodeComputeResult(result, o.identity);
    const units = body.cost.perCycle ? run.cycles : 1n;
    o.store.insertExecution({ agreementId: r.agreementId, jobId: r.jobId, jobHash: info.jobHash, resultMessage: message, units, executedAt: BigInt(o.now()) });
    o.store.journalFinish(r.jobId, { ranOn: "local", providers: [bytesToHex(o.identity.nodeId)], resultHash: result.resultHash, cycles: run.cycles, cost: null, detail: `for ${bytesToHex(body.consumer)}`, finishedAt: o.now() });
    o.counters.inc("provider.executed");
    return message;
  }

  /** What the job is, checked against what the agreement covers (AGREEMENT_MISMATCH). */
  private jobInfo(job: Uint8Array, a: AgreementBody): JobInfo {
    const cap = a.capability;
    let info: JobInfo;
    if (cap.kind === CapabilityKind.Private) return fail("AGREEMENT_MISMATCH", "a private agreement carries PrivateMessages, not jobs");
    if (cap.kind === CapabilityKind.Function) {
      let call;
      try {
        call = decodeFunctionCall(job);
      } catch (e) {
        if (e instanceof ProtocolError) return fail("AGREEMENT_MISMATCH", `not a FunctionCall: ${e.message}`);
        throw e;
      }
      if (!equalBytes(call.functionId, cap.functionId!)) fail("AGREEMENT_MISMATCH", "the call is of another function");
      info = functionJobInfo(job, call.functionId);
    } else {
      info = classifyJob(job);
      const kind = cap.kind === CapabilityKind.Wasm ? "wasm" : "mhr-byte";
      if (info.kind !== kind || info.wasmTier > cap.wasmTier) fail("AGREEMENT_MISMATCH", `a ${info.kind} job (tier ${info.wasmTier}) under a ${kind} agreement (tier ${cap.wasmTier})`);
      if (info.maxCycles > cap.maxCycles) fail("AGREEMENT_MISMATCH", `max_cycles ${info.maxCycles} above the agreed ${cap.maxCycles}`);
    }
    if (info.size > cap.maxJobBytes) fail("AGREEMENT_MISMATCH", `${info.size} bytes above the agreed ${cap.maxJobBytes}`);
    return info;
  }

  /** For the channel manager: what a job run here under an agreement may be paid. */
  executionUnits(agreementId: Uint8Array, jobId: Uint8Array): { units: bigint; agreement: AgreementBody; billed: bigint } | undefined {
    const ex = this.o.store.execution(agreementId, jobId);
    const row = this.o.store.agreement(agreementId);
    if (!ex || !row || row.role !== "provider") return undefined;
    return { units: ex.units, agreement: decodeStruct("AgreementBody", row.body), billed: row.billedUnits };
  }
}

export function proofName(kind: number): string {
  return ({ [ProofKind.ResultHash]: "result-hash", [ProofKind.Redundant]: "redundant", [ProofKind.SpotCheck]: "spotcheck", [ProofKind.Reputation]: "reputation" } as Record<number, string>)[kind] ?? `proof-${kind}`;
}
