/**
 * A node facing a hostile peer (a bare transport speaking the protocol by
 * hand): malformed, oversized, unsigned, wrongly signed, replayed, stale and
 * out-of-order messages each refused with their code and counted; forged,
 * stale, replayed and oversized adverts dropped and counted; a flood from
 * one peer rate-limited while another is served; random and mutated bytes on
 * every protocol never crash a handler (fast-check).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { rmSync } from "node:fs";
import { MemoryNetwork, type MemoryTransport } from "../../src/node/memory-transport.ts";
import { MeshNode } from "../../src/node/mesh-node.ts";
import { identityFromSeed, type NodeIdentity } from "../../src/node/identity.ts";
import { Protocol, Topic, CapabilityKind, PrivacyTier, ProofKind, WasmTier, NODE_ERROR_NAMES, type RequestProtocolInfo } from "../../src/generated/node-protocol.ts";
import { decodeMessage } from "../../src/node/wire/schema-codec.ts";
import { encodeSigned } from "../../src/node/wire/signed.ts";
import { encodeCapabilityRequest, decodeCapabilityOffer, signAgreement } from "../../src/node/messages/negotiation-messages.ts";
import { encodeExecuteRequest } from "../../src/node/messages/execution-messages.ts";
import { encodeChannelOpen, encodeChannelUpdate } from "../../src/node/messages/channel-messages.ts";
import { encodeSyncRequest } from "../../src/node/messages/advert-sync.ts";
import { encodeAdvert } from "../../src/node/messages/advert.ts";
import { channelIdOf, encodeChannelState, signState, unsigned, balancesAfter, owedForCycles } from "../../src/node/channel-state.ts";
import { decodeStrict, encodeCanonical, type CborMap } from "../../src/model/cbor.ts";
import { TransportError } from "../../src/node/transport.ts";
import { ADVERT, sampleMessages } from "./samples.ts";
import { sumJob, tempDir } from "./helpers.ts";
import { runJob } from "../../src/reference/index.ts";

const net = new MemoryNetwork({ log: () => {} });
let p: MeshNode;
let rogue: MemoryTransport;
let dir: string;
/** How far p's clock is ahead of the real one. */
let skew = 0;
const R = identityFromSeed(new Uint8Array(32).fill(0x77));
const OTHER = identityFromSeed(new Uint8Array(32).fill(0x78));

beforeAll(async () => {
  dir = tempDir();
  // Every proof method but Reputation (PROOF_UNSUPPORTED), and a clock the tests can move (AGREEMENT_EXPIRED).
  p = await MeshNode.start({ dataDir: dir, profile: "community", engine: "reference", control: false, transport: (id) => net.transport("p", { publicKey: id.publicKey }), rateLimit: { perSecond: 1000, burst: 100_000 }, proofMethods: [ProofKind.ResultHash, ProofKind.Redundant, ProofKind.SpotCheck], now: () => Date.now() + skew });
  rogue = net.transport("rogue", { publicKey: R.publicKey });
  await rogue.start();
  await rogue.dial("/memory/p");
});
/** Directories of tests that make their own nodes: removed even when such a test fails half-way. */
const cleanup: (() => void)[] = [];

afterAll(async () => {
  for (const c of cleanup) c();
  await p?.stop();
  await rogue?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Reply = { name: string; code?: string; value: Record<string, unknown>; raw: Uint8Array };

/** As `ask`, but a request above the protocol's limit may also be refused by a reset (the transport never reads it). */
async function askAny(protocol: RequestProtocolInfo, body: Uint8Array): Promise<Reply | "reset"> {
  try {
    return await ask(protocol, body);
  } catch (e) {
    if (e instanceof TransportError && e.code === "RESET" && body.length > protocol.maxRequestBytes) return "reset";
    throw e;
  }
}

async function ask(protocol: RequestProtocolInfo, body: Uint8Array, from: MemoryTransport = rogue, to = "p"): Promise<Reply> {
  const raw = await from.request(to, protocol.id, body, { timeoutMs: 10_000, maxResponseBytes: protocol.maxResponseBytes });
  const d = decodeMessage(raw, [...protocol.responses]);
  const v = d.value as unknown as Record<string, unknown>;
  return { name: d.name, code: d.name === "ErrorReply" ? NODE_ERROR_NAMES[v.code as number] : undefined, value: v, raw };
}

const now = () => BigInt(Date.now());
let nonce = 1000n;

function request(over: Partial<Parameters<typeof encodeCapabilityRequest>[0]> = {}, signer: NodeIdentity = R): Uint8Array {
  return encodeCapabilityRequest({
    consumer: R.nodeId, consumerKey: R.publicKey, provider: p.identity.nodeId,
    capability: { kind: CapabilityKind.MhrByte, wasmTier: WasmTier.None, maxCycles: 10_000_000n, maxJobBytes: 65536 },
    desiredCost: { perCycle: { costPerMillionCycles: 1000n, maxCycles: 10_000_000n } }, desiredDuration: 600,
    paymentChannel: CHANNEL, proofPreference: { kind: ProofKind.ResultHash }, nonce: nonce++, issuedAt: now(), privacy: PrivacyTier.None,
    ...over,
  }, signer);
}

const CHANNEL = channelIdOf(R.nodeId, (() => new Uint8Array(16))(), 1n); // replaced once p is known
let channelId: Uint8Array;
const DEPOSIT = 100_000n;

/** Waits until `cond` holds (gossip is asynchronous); fails only after a generous deadline, so load never decides the result. */
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function mutate(bytes: Uint8Array, f: (m: CborMap) => void): Uint8Array {
  const m = decodeStrict(bytes) as CborMap;
  f(m);
  return encodeCanonical(m);
}

describe("request handlers refuse bad messages with their codes", () => {
  it("negotiate: malformed, unsigned, wrongly signed, forged NodeID, not for me, expired, unknown channel", async () => {
    expect((await ask(Protocol.NEGOTIATE, Uint8Array.of(0xff))).code).toBe("MALFORMED");
    expect((await ask(Protocol.NEGOTIATE, sampleMessages().ErrorReply)).code).toBe("UNKNOWN_TYPE");
    expect((await ask(Protocol.NEGOTIATE, mutate(request(), (m) => m.delete(31n)))).code).toBe("UNSIGNED");
    expect((await ask(Protocol.NEGOTIATE, request({}, OTHER))).code).toBe("BAD_SIGNATURE");
    expect((await ask(Protocol.NEGOTIATE, request({ consumerKey: OTHER.publicKey }, OTHER))).code).toBe("BAD_NODE_ID");
    expect((await ask(Protocol.NEGOTIATE, request({ provider: new Uint8Array(16) }))).code).toBe("NOT_FOR_ME");
    expect((await ask(Protocol.NEGOTIATE, request({ proofPreference: { kind: ProofKind.Reputation, minScore: 100 } }))).code).toBe("PROOF_UNSUPPORTED");
    expect((await ask(Protocol.NEGOTIATE, request({ issuedAt: now() - 120_000n }))).code).toBe("REQUEST_EXPIRED");
    expect((await ask(Protocol.NEGOTIATE, request())).code).toBe("BAD_CHANNEL");
  });

  it("channel open: refused when forged, accepted when valid (and the same accept when repeated)", async () => {
    channelId = channelIdOf(R.nodeId, p.identity.nodeId, 1n);
    const s0 = signState(unsigned({ channelId, partyA: R.nodeId, partyB: p.identity.nodeId, balanceA: DEPOSIT, balanceB: 0n, sequence: 0n }), "a", R.sign);
    const open = encodeChannelOpen({ state: encodeChannelState(s0), nonce: 1n, partyAKey: R.publicKey });
    expect((await ask(Protocol.CHANNEL, encodeChannelOpen({ state: encodeChannelState(s0), nonce: 2n, partyAKey: R.publicKey }))).code).toBe("WRONG_TYPE");
    expect((await ask(Protocol.CHANNEL, encodeChannelOpen({ state: encodeChannelState({ ...s0, sigA: new Uint8Array(64) }), nonce: 1n, partyAKey: R.publicKey }))).code).toBe("UNSIGNED");
    expect((await ask(Protocol.CHANNEL, encodeChannelOpen({ state: encodeChannelState(s0), nonce: 1n, partyAKey: OTHER.publicKey }))).code).toBe("BAD_NODE_ID");
    const a1 = await ask(Protocol.CHANNEL, open);
    expect(a1.name).toBe("ChannelAccept");
    expect((await ask(Protocol.CHANNEL, open)).raw).toEqual(a1.raw);
    // The same channel id with other terms (another deposit): not the open it accepted.
    const other = signState(unsigned({ channelId, partyA: R.nodeId, partyB: p.identity.nodeId, balanceA: DEPOSIT + 1n, balanceB: 0n, sequence: 0n }), "a", R.sign);
    expect((await ask(Protocol.CHANNEL, encodeChannelOpen({ state: encodeChannelState(other), nonce: 1n, partyAKey: R.publicKey }))).code).toBe("CHANNEL_EXISTS");
  });

  let agreement: ReturnType<typeof decodeCapabilityOffer> & { consumerSig: Uint8Array };
  const job = sumJob(100);
  const jobId = new Uint8Array(16).fill(9);

  it("negotiate: price, limits and capability are checked; a replayed request is NONCE_REPLAYED", async () => {
    const pay = { paymentChannel: channelIdOf(R.nodeId, p.identity.nodeId, 1n) };
    expect((await ask(Protocol.NEGOTIATE, request({ ...pay, desiredCost: { perCycle: { costPerMillionCycles: 10n, maxCycles: 10_000_000n } } }))).code).toBe("PRICE_TOO_LOW");
    expect((await ask(Protocol.NEGOTIATE, request({ ...pay, capability: { kind: CapabilityKind.MhrByte, wasmTier: WasmTier.None, maxCycles: 1n << 40n, maxJobBytes: 65536 }, desiredCost: { perCycle: { costPerMillionCycles: 1000n, maxCycles: 1n << 40n } } }))).code).toBe("LIMIT_EXCEEDED");
    expect((await ask(Protocol.NEGOTIATE, request({ ...pay, capability: { kind: CapabilityKind.Wasm, wasmTier: WasmTier.Full, maxCycles: 1_000_000n, maxJobBytes: 65536 }, desiredCost: { perCycle: { costPerMillionCycles: 1000n, maxCycles: 1_000_000n } } }))).code).toBe("CAPABILITY_UNAVAILABLE");
    const ok = request(pay);
    const offer = await ask(Protocol.NEGOTIATE, ok);
    expect(offer.name).toBe("CapabilityOffer");
    const o = decodeCapabilityOffer(offer.raw);
    agreement = { ...o, consumerSig: signAgreement(o.body, R) };
    expect((await ask(Protocol.NEGOTIATE, ok)).code).toBe("NONCE_REPLAYED");
  });

  it("execute: unknown agreement, missing countersignature, wrong signer; a replayed request gets the same result, run once", async () => {
    const signed = { body: agreement.body, providerSig: agreement.providerSig, consumerSig: agreement.consumerSig };
    const req = (over: Record<string, unknown> = {}, signer = R) => encodeExecuteRequest({ agreementId: agreement.body.agreementId, jobId, job, issuedAt: now(), ...over }, signer);
    expect((await ask(Protocol.EXECUTE, req({ agreementId: new Uint8Array(16) }))).code).toBe("UNKNOWN_AGREEMENT");
    expect((await ask(Protocol.EXECUTE, req())).code).toBe("UNKNOWN_AGREEMENT");
    expect((await ask(Protocol.EXECUTE, req({ agreement: { ...signed, consumerSig: OTHER.sign(new Uint8Array(1)) } }))).code).toBe("BAD_SIGNATURE");
    expect((await ask(Protocol.EXECUTE, req({ agreement: signed }, OTHER))).code).toBe("BAD_SIGNATURE");
    expect((await ask(Protocol.EXECUTE, req({ job: sumJob(1, undefined, undefined, undefined).subarray(0, 10), jobId: new Uint8Array(16).fill(8), agreement: signed }))).name).toBe("ComputeResult"); // bytes that are no job: an INVALID result, deterministic
    const first = await ask(Protocol.EXECUTE, req({ agreement: signed }));
    expect(first.name).toBe("ComputeResult");
    const executed = p.counters.get("provider.executed");
    const again = await ask(Protocol.EXECUTE, req());
    expect(again.raw).toEqual(first.raw);
    expect(p.counters.get("provider.executed")).toBe(executed);
    expect(p.counters.get("provider.retransmitted")).toBe(1);
    expect((await ask(Protocol.EXECUTE, req({ job: sumJob(101) }))).code).toBe("AGREEMENT_MISMATCH");
    // Past the agreement's valid_until (p's clock 11 minutes on; the request is fresh by it): a new job is refused.
    skew = 660_000;
    try {
      expect((await ask(Protocol.EXECUTE, req({ jobId: new Uint8Array(16).fill(6), issuedAt: now() + 660_000n }))).code).toBe("AGREEMENT_EXPIRED");
    } finally {
      skew = 0;
    }
  });

  it("PEER_MISMATCH: R's signed requests replayed from another peer's connection (or one with no key) are refused before they do anything", async () => {
    const relay = net.transport("relay", { publicKey: OTHER.publicKey }), anon = net.transport("anon");
    for (const t of [relay, anon]) await t.start();
    try {
      const pay = { paymentChannel: channelIdOf(R.nodeId, p.identity.nodeId, 1n) };
      const fresh = request(pay);
      expect((await ask(Protocol.NEGOTIATE, fresh, relay)).code).toBe("PEER_MISMATCH");
      expect((await ask(Protocol.NEGOTIATE, fresh, anon)).code).toBe("PEER_MISMATCH");
      // Refused before the nonce was taken: the consumer's own copy still gets its offer.
      expect((await ask(Protocol.NEGOTIATE, fresh)).name).toBe("CapabilityOffer");
      const executed = p.counters.get("provider.executed"), retransmitted = p.counters.get("provider.retransmitted");
      // A retransmission of a job already run, and a new job under the same agreement: neither is answered to the relay.
      for (const j of [{ jobId, job }, { jobId: new Uint8Array(16).fill(7), job: sumJob(7) }]) {
        expect((await ask(Protocol.EXECUTE, encodeExecuteRequest({ agreementId: agreement.body.agreementId, ...j, issuedAt: now() }, R), relay)).code).toBe("PEER_MISMATCH");
      }
      expect(p.counters.get("provider.executed")).toBe(executed);
      expect(p.counters.get("provider.retransmitted")).toBe(retransmitted);
      const id2 = channelIdOf(R.nodeId, p.identity.nodeId, 2n);
      const s0 = signState(unsigned({ channelId: id2, partyA: R.nodeId, partyB: p.identity.nodeId, balanceA: DEPOSIT, balanceB: 0n, sequence: 0n }), "a", R.sign);
      expect((await ask(Protocol.CHANNEL, encodeChannelOpen({ state: encodeChannelState(s0), nonce: 2n, partyAKey: R.publicKey }), relay)).code).toBe("PEER_MISMATCH");
      expect(p.store.channel(id2)).toBeUndefined();
      expect((await ask(Protocol.CHANNEL, encodeSigned("ChannelSync", { channelId, sender: R.nodeId, issuedAt: now() }, R), relay)).code).toBe("PEER_MISMATCH");
      expect((await ask(Protocol.CHANNEL, encodeSigned("ChannelClose", { channelId, sequence: 0n }, R), relay)).code).toBe("PEER_MISMATCH");
      expect(p.store.channel(channelId)!.status).toBe("open");
    } finally {
      for (const t of [relay, anon]) await t.stop();
    }
  });

  it("channel update: stale, out-of-order, unsigned, wrong amount, wrong balance, unknown job, replay — then a valid payment, once", async () => {
    const cycles = BigInt(runJob(job).result.cycles); // sum(100), under the table its contract names
    const amount = owedForCycles(cycles, 1000n);
    const state = (seq: bigint, paid: bigint, sign = true) => {
      const s = unsigned({ channelId, partyA: R.nodeId, partyB: p.identity.nodeId, ...balancesAfter(DEPOSIT, paid)!, sequence: seq });
      return encodeChannelState(sign ? signState(s, "a", R.sign) : s);
    };
    const upd = (st: Uint8Array, over: Record<string, unknown> = {}, signer = R) => encodeChannelUpdate({ state: st, agreementId: agreement.body.agreementId, jobId, amount, units: cycles, ...over }, signer);
    expect((await ask(Protocol.CHANNEL, upd(state(2n, amount)))).code).toBe("CHANNEL_OUT_OF_ORDER");
    expect((await ask(Protocol.CHANNEL, upd(state(0n, amount)))).code).toBe("CHANNEL_STALE");
    expect((await ask(Protocol.CHANNEL, upd(state(1n, amount, false)))).code).toBe("UNSIGNED");
    expect((await ask(Protocol.CHANNEL, upd(state(1n, amount), {}, OTHER))).code).toBe("BAD_SIGNATURE");
    expect((await ask(Protocol.CHANNEL, upd(state(1n, amount + 5n), { amount: amount + 5n }))).code).toBe("PAYMENT_MISMATCH");
    expect((await ask(Protocol.CHANNEL, upd(state(1n, amount), { amount: amount + 1n }))).code).toBe("PAYMENT_MISMATCH");
    expect((await ask(Protocol.CHANNEL, upd(state(1n, amount), { jobId: new Uint8Array(16).fill(1) }))).code).toBe("PAYMENT_MISMATCH");
    const badBalance = encodeChannelState(signState(unsigned({ channelId, partyA: R.nodeId, partyB: p.identity.nodeId, balanceA: DEPOSIT - amount, balanceB: amount + 1n, sequence: 1n }), "a", R.sign));
    expect((await ask(Protocol.CHANNEL, upd(badBalance))).code).toBe("CHANNEL_BAD_BALANCE");
    expect((await ask(Protocol.CHANNEL, upd(state(1n, amount), { units: cycles + 1n }))).code).toBe("PAYMENT_MISMATCH");
    const good = upd(state(1n, amount));
    const relay = net.transport("relay2", { publicKey: OTHER.publicKey });
    await relay.start();
    expect((await ask(Protocol.CHANNEL, good, relay)).code).toBe("PEER_MISMATCH"); // R's payment, replayed by another peer
    await relay.stop();
    const ack = await ask(Protocol.CHANNEL, good);
    expect(ack.name).toBe("ChannelAck");
    // The same update again (a retransmission): the same acknowledgement, nothing paid twice.
    expect((await ask(Protocol.CHANNEL, good)).raw).toEqual(ack.raw);
    const ch = p.channels.summaries().find((c) => c.peer === Buffer.from(R.nodeId).toString("hex"))!;
    expect(ch.payments).toBe(1);
    expect(ch.sequence).toBe("1");
    // The same job again at the next sequence: ALREADY_PAID.
    expect((await ask(Protocol.CHANNEL, upd(state(2n, amount * 2n)))).code).toBe("ALREADY_PAID");
    // An older state with other bytes: stale.
    expect((await ask(Protocol.CHANNEL, upd(state(1n, 0n)))).code).toBe("CHANNEL_STALE");
    expect((await ask(Protocol.CHANNEL, upd(encodeChannelState(signState(unsigned({ channelId: new Uint8Array(16), partyA: R.nodeId, partyB: p.identity.nodeId, balanceA: 1n, balanceB: 0n, sequence: 1n }), "a", R.sign))))).code).toBe("UNKNOWN_CHANNEL");
  });

  it("a request above the protocol's size limit is not read: the stream is reset and the violation counted", async () => {
    const before = p.counters.get("violations.OVERSIZED");
    await expect(rogue.request("p", Protocol.NEGOTIATE.id, new Uint8Array(Protocol.NEGOTIATE.maxRequestBytes + 1), { timeoutMs: 5000, maxResponseBytes: 8192 })).rejects.toMatchObject({ code: "RESET" });
    expect(p.counters.get("violations.OVERSIZED")).toBe(before + 1);
  });

  it("every refusal is counted by its code", () => {
    const c = p.counters.group("requests.rejected.");
    for (const k of ["MALFORMED", "UNSIGNED", "BAD_SIGNATURE", "PEER_MISMATCH", "NONCE_REPLAYED", "CHANNEL_STALE", "CHANNEL_OUT_OF_ORDER", "PAYMENT_MISMATCH", "UNKNOWN_AGREEMENT"]) expect(c[k]).toBeGreaterThan(0);
    expect(c.INTERNAL ?? 0).toBe(0);
  });
});

describe("adverts from a hostile peer", () => {
  it("forged, stale, replayed, out-of-order, oversized and badly formed adverts are dropped and counted; a valid one is held", async () => {
    rogue.subscribe(Topic.ADVERTS.id, () => "accept", () => {});
    const t = BigInt(Date.now());
    const fresh = (seq: bigint, over: Partial<typeof ADVERT> = {}) => encodeAdvert({ ...ADVERT, nodeId: R.nodeId, publicKey: R.publicKey, seq, issuedAt: t, expiresAt: t + 60_000n, ...over }, R);
    // Each publication is counted once handled (accepted, duplicate or refused by code): wait for that count to move.
    const handled = () => Object.entries(p.counters.all()).filter(([k]) => k === "adverts.accepted" || k === "adverts.duplicate" || k.startsWith("adverts.rejected.")).reduce((n, [, v]) => n + v, 0);
    const pub = async (b: Uint8Array) => { const before = handled(); await rogue.publish(Topic.ADVERTS.id, b); await until(() => handled() > before, "the advert to be handled"); };
    await pub(fresh(10n));
    expect(p.adverts.get(R.nodeId)?.advert.seq).toBe(10n);
    await pub(fresh(9n)); // replayed / out of order
    await pub(encodeSigned("NodeAdvert", { ...ADVERT, nodeId: R.nodeId, publicKey: R.publicKey, seq: 11n, issuedAt: t, expiresAt: t + 60_000n }, OTHER)); // forged
    await pub(fresh(12n, { issuedAt: t - 120_000n, expiresAt: t - 60_000n })); // stale
    await pub(fresh(13n, { issuedAt: t + 3_600_000n, expiresAt: t + 3_660_000n })); // from the future
    await pub(mutate(fresh(14n), (m) => m.set(8n, new Uint8Array(17_000)))); // oversized: refused on its size before anything is decoded
    await pub(Uint8Array.of(1, 2, 3));
    await pub(fresh(10n, { expiresAt: t + 30_000n })); // the held seq with other bytes: R signed two adverts with one seq
    await pub(fresh(10n)); // a duplicate of the held one: ignored, not counted as a rejection
    const c = p.counters.group("adverts.rejected.");
    expect(c).toMatchObject({ ADVERT_REPLAYED: 1, ADVERT_CONFLICT: 1, BAD_SIGNATURE: 1, ADVERT_EXPIRED: 1, ADVERT_FROM_FUTURE: 1, MALFORMED: 1 });
    expect(c.OVERSIZED ?? 0).toBe(1);
    expect(p.adverts.get(R.nodeId)?.advert.seq).toBe(10n);
  });

  it("a replay of a superseded advert is still refused after a restart", async () => {
    const net2 = new MemoryNetwork({ log: () => {} });
    const d = tempDir();
    cleanup.push(() => rmSync(d, { recursive: true, force: true }));
    const r2 = net2.transport("r2");
    await r2.start();
    r2.subscribe(Topic.ADVERTS.id, () => "accept", () => {});
    const t = BigInt(Date.now());
    const ad = (seq: bigint) => encodeAdvert({ ...ADVERT, nodeId: R.nodeId, publicKey: R.publicKey, seq, issuedAt: t, expiresAt: t + 60_000n }, R);
    let n = await MeshNode.start({ dataDir: d, profile: "community", engine: "reference", control: false, transport: (id) => net2.transport("n", { publicKey: id.publicKey }) });
    await r2.dial("/memory/n");
    await r2.publish(Topic.ADVERTS.id, ad(5n));
    await r2.publish(Topic.ADVERTS.id, ad(6n));
    await until(() => n.adverts.get(R.nodeId)?.advert.seq === 6n, "seq 6 to be held");
    await n.stop();
    n = await MeshNode.start({ dataDir: d, profile: "community", engine: "reference", control: false, transport: (id) => net2.transport("n", { publicKey: id.publicKey }) });
    await r2.dial("/memory/n");
    await until(() => r2.peers().includes("n"), "the connection");
    await r2.publish(Topic.ADVERTS.id, ad(5n));
    await until(() => n.counters.get("adverts.rejected.ADVERT_REPLAYED") === 1, "the replay to be refused");
    expect(n.adverts.get(R.nodeId)?.advert.seq).toBe(6n);
    await n.stop();
    await r2.stop();
    rmSync(d, { recursive: true, force: true });
  });
});

describe("per-peer rate limit", () => {
  it("a flood from one peer is answered RATE_LIMITED while another peer is served", async () => {
    const net2 = new MemoryNetwork({ log: () => {} });
    const d = tempDir();
    cleanup.push(() => rmSync(d, { recursive: true, force: true }));
    const n = await MeshNode.start({ dataDir: d, profile: "community", engine: "reference", control: false, transport: (id) => net2.transport("n", { publicKey: id.publicKey }), rateLimit: { perSecond: 0.5, burst: 10 } });
    const flood = net2.transport("flood"), calm = net2.transport("calm");
    await flood.start();
    await calm.start();
    const replies = await Promise.all(Array.from({ length: 40 }, () => ask(Protocol.ADVERT_SYNC, encodeSyncRequest(10), flood, "n")));
    const limited = replies.filter((r) => r.code === "RATE_LIMITED");
    expect(limited.length).toBeGreaterThanOrEqual(25);
    expect(limited[0].value.retryAfterMs).toBeGreaterThan(0);
    expect((await ask(Protocol.ADVERT_SYNC, encodeSyncRequest(10), calm, "n")).name).toBe("AdvertSyncResponse");
    expect(n.counters.get("requests.rejected.RATE_LIMITED")).toBe(limited.length);
    await n.stop();
    await flood.stop();
    await calm.stop();
    rmSync(d, { recursive: true, force: true });
  });
});

describe("the node never throws on network input (fast-check)", () => {
  const protocols = [Protocol.ADVERT_SYNC, Protocol.NEGOTIATE, Protocol.EXECUTE, Protocol.CHANNEL];
  const samples = Object.values(sampleMessages());

  it("random bytes on every protocol get a decodable reply; gossip junk is rejected", async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...protocols), fc.uint8Array({ maxLength: 600 }), async (proto, body) => {
      const r = await askAny(proto, body);
      if (r !== "reset") expect(r.code).not.toBe("INTERNAL");
    }), { numRuns: 300, seed: 12 });
  });

  it("mutated valid messages (byte flips, truncation, splices) on every protocol never reach INTERNAL", async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(...protocols), fc.constantFrom(...samples), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }), fc.nat(), async (proto, sample, flips, cut) => {
      const b = sample.slice(0, Math.max(1, sample.length - (cut % 4 === 0 ? cut % sample.length : 0)));
      for (const [at, x] of flips) b[at % b.length] ^= x;
      const r = await askAny(proto, b);
      if (r !== "reset") expect(r.code).not.toBe("INTERNAL");
    }), { numRuns: 400, seed: 7 });
    expect(p.counters.get("requests.rejected.INTERNAL")).toBe(0);
  });

  it("random gossip never throws out of the validator", async () => {
    await fc.assert(fc.asyncProperty(fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.constantFrom(...samples)), async (b) => {
      await rogue.publish(Topic.ADVERTS.id, b);
    }), { numRuns: 200, seed: 3 });
    // The node is still answering.
    expect((await ask(Protocol.ADVERT_SYNC, encodeSyncRequest(5))).name).toBe("AdvertSyncResponse");
  });
});

