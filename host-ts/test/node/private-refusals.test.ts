/**
 * Every refusal of the private transport (docs/NODE.md §17, docs/PRIVATE.md
 * §M5): hand-made PrivateMessages sent straight to a provider's handler, each
 * answered with its documented node error code, and the consumer-side
 * failures (PRIVATE_FAILED, PRIVATE_TIMEOUT, NO_PROVIDER, CAPABILITY_UNAVAILABLE).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivacyTier, type Shareholder } from "../../src/generated/node-protocol.ts";
import { MarketLimit } from "../../src/generated/private-protocol.ts";
import { encodePrivateMessage, type PrivateMessage } from "../../src/node/messages/private-messages.ts";
import { decodeMessage } from "../../src/node/wire/schema-codec.ts";
import { ProtocolError } from "../../src/node/wire/protocol-error.ts";
import type { ActiveAgreement } from "../../src/node/consumer.ts";
import type { HeldAdvert } from "../../src/node/adverts.ts";
import type { MeshNode } from "../../src/node/mesh-node.ts";
import type { NodeIdentity } from "../../src/node/identity.ts";
import { randomIdentity } from "../../src/node/identity.ts";
import { ReplayedEvidenceBackend } from "../../src/private/attestation/replay-backend.ts";
import { encodeTeeMessage } from "../../src/private/attestation/messages.ts";
import { Consumer as ShamirConsumer } from "../../src/private/shamir/consumer.ts";
import { columnStats } from "../../src/private/shamir/workloads.ts";
import { snpEvidence } from "../private/attestation/fixtures.ts";
import { startNet, type TestNet } from "./helpers.ts";

let t: TestNet;
let c: MeshNode, p1: MeshNode, p2: MeshNode, p3: MeshNode;
const agreements: Partial<Record<"split" | "shared" | "tee", ActiveAgreement>> = {};
const job = () => crypto.getRandomValues(new Uint8Array(16));
const advertOf = (n: MeshNode): HeldAdvert => c.adverts.list().find((h) => Buffer.from(h.advert.nodeId).equals(Buffer.from(n.identity.nodeId)))!;

/** Calls p1's private handler with a message and returns the refusal's code name (or "OK"). */
async function codeOf(m: PrivateMessage, signer: NodeIdentity = c.identity, to: MeshNode = p1, from?: Uint8Array): Promise<string> {
  // By default the message arrives from the node it names as its sender (the transport's authenticated key, D21).
  const named = [c, p1, p2, p3].map((n) => n.identity).concat([signer]).find((i) => Buffer.from(i.nodeId).equals(Buffer.from(m.sender)));
  try {
    const reply = await to.privateHost.handle(encodePrivateMessage(m, signer), from ?? named?.publicKey ?? signer.publicKey);
    decodeMessage(reply, ["PrivateReply"]);
    return "OK";
  } catch (e) {
    if (e instanceof ProtocolError) return e.codeName;
    throw e;
  }
}

const signed = (a: ActiveAgreement) => ({ body: a.body, providerSig: a.providerSig, consumerSig: a.consumerSig });
const msg = (a: ActiveAgreement, payload: Uint8Array, extra: Partial<PrivateMessage> = {}): PrivateMessage =>
  ({ agreementId: a.body.agreementId, jobId: job(), sender: c.identity.nodeId, payload, agreement: signed(a), ...extra });

function deal(holders: Shareholder[]): { bytes: Uint8Array[]; session: Uint8Array } {
  const built = columnStats(3, 10);
  const lib = new ShamirConsumer({ program: built.program, inputs: built.encodeInputs(0, [1, 2, 3]) });
  void holders;
  return { bytes: lib.start().map((o) => o.bytes), session: lib.session };
}

beforeAll(async () => {
  t = await startNet([
    { name: "c", profile: "community", privateSessionMs: 400 },
    { name: "p1", profile: "community", privacy: { split: true, shared: true, tee: new ReplayedEvidenceBackend(snpEvidence(), "virtee") } },
    { name: "p2", profile: "community", privacy: { shared: true } },
    { name: "p3", profile: "community", privacy: { shared: true } },
  ]);
  [c, p1, p2, p3] = t.nodes;
  const h = advertOf(p1);
  const price = (tier: number) => h.advert.compute.privacyTiers.find((x) => x.tier === tier)!.costPerCall!;
  agreements.split = await c.consumer.privateAgreementWith(h, PrivacyTier.SplitInference, price(PrivacyTier.SplitInference));
  agreements.shared = await c.consumer.privateAgreementWith(h, PrivacyTier.SecretShared, price(PrivacyTier.SecretShared));
  agreements.tee = await c.consumer.privateAgreementWith(h, PrivacyTier.TEE, price(PrivacyTier.TEE));
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

describe("the provider's refusals", () => {
  it("UNKNOWN_AGREEMENT: no such agreement, or not countersigned and none attached", async () => {
    expect(await codeOf({ ...msg(agreements.split!, new Uint8Array(1)), agreementId: new Uint8Array(16).fill(9), agreement: undefined })).toBe("UNKNOWN_AGREEMENT");
    const fresh = await c.consumer.privateAgreementWith(advertOf(p2), PrivacyTier.SecretShared, 20n);
    expect(await codeOf(msg(fresh, new Uint8Array(1), { agreement: undefined }), c.identity, p2)).toBe("UNKNOWN_AGREEMENT");
  });

  it("AGREEMENT_MISMATCH: the attached agreement is another one", async () => {
    expect(await codeOf({ ...msg(agreements.split!, new Uint8Array(1)), agreement: signed(agreements.tee!) })).toBe("AGREEMENT_MISMATCH");
  });

  it("BAD_SIGNATURE: signed by another key, or a stranger writing under a split or TEE agreement", async () => {
    const other = randomIdentity();
    expect(await codeOf(msg(agreements.split!, new Uint8Array(1)), other)).toBe("BAD_SIGNATURE");
    expect(await codeOf({ ...msg(agreements.tee!, new Uint8Array(1)), sender: other.nodeId }, other)).toBe("BAD_SIGNATURE");
  });

  it("PEER_MISMATCH: a message signed by its sender but arriving from another peer (D21)", async () => {
    const other = randomIdentity();
    expect(await codeOf(msg(agreements.split!, new Uint8Array(1)), c.identity, p1, other.publicKey)).toBe("PEER_MISMATCH");
  });

  it("PRIVACY_MISMATCH: a payload of another tier, a TEE message for another agreement, a shareholder list outside SecretShared", async () => {
    const attest = (id: Uint8Array) => encodeTeeMessage({ type: "AttestRequest", agreementId: id, nonce: new Uint8Array(32).fill(1), platforms: [1] });
    expect(await codeOf(msg(agreements.split!, attest(agreements.split!.body.agreementId)))).toBe("PRIVACY_MISMATCH");
    expect(await codeOf(msg(agreements.tee!, attest(agreements.split!.body.agreementId)))).toBe("PRIVACY_MISMATCH");
    expect(await codeOf(msg(agreements.tee!, new Uint8Array([0xa0])))).toBe("PRIVACY_MISMATCH");
    const list = [{ nodeId: p1.identity.nodeId, publicKey: p1.identity.publicKey, agreementId: agreements.tee!.body.agreementId }];
    expect(await codeOf(msg(agreements.tee!, attest(agreements.tee!.body.agreementId), { shareholders: list }))).toBe("PRIVACY_MISMATCH");
  });

  it("NOT_SHAREHOLDER: a list too short, not naming this node with this agreement, a wrong key, or a sender not on it", async () => {
    const a = agreements.shared!;
    const me = { nodeId: p1.identity.nodeId, publicKey: p1.identity.publicKey, agreementId: a.body.agreementId };
    const peer = (n: MeshNode) => ({ nodeId: n.identity.nodeId, publicKey: n.identity.publicKey, agreementId: new Uint8Array(16).fill(n === p2 ? 2 : 3) });
    const d = deal([]);
    expect(await codeOf(msg(a, d.bytes[0], { shareholders: [me, peer(p2)] }))).toBe("NOT_SHAREHOLDER");
    expect(await codeOf(msg(a, d.bytes[0], { shareholders: [peer(p2), peer(p3), { ...me, agreementId: new Uint8Array(16) }] }))).toBe("NOT_SHAREHOLDER");
    expect(await codeOf(msg(a, d.bytes[0], { shareholders: [me, peer(p2), { ...peer(p3), publicKey: p2.identity.publicKey }] }))).toBe("NOT_SHAREHOLDER");
    // A session set up with p1 as party 1; a stranger's message is refused.
    const jobId = job();
    expect(await codeOf(msg(a, d.bytes[0], { jobId, shareholders: [me, peer(p2), peer(p3)] }))).toBe("OK");
    const stranger = randomIdentity();
    expect(await codeOf({ ...msg(a, d.bytes[1], { jobId }), sender: stranger.nodeId, agreement: undefined }, stranger)).toBe("NOT_SHAREHOLDER");
    // The list only once.
    expect(await codeOf(msg(a, d.bytes[0], { jobId, shareholders: [me, peer(p2), peer(p3)] }))).toBe("NOT_SHAREHOLDER");
  });

  it("PRIVATE_REJECTED: the shamir provider refuses the message (a DEAL addressed to another party); nothing changes", async () => {
    const a = agreements.shared!;
    const me = { nodeId: p1.identity.nodeId, publicKey: p1.identity.publicKey, agreementId: a.body.agreementId };
    const list = [me, { nodeId: p2.identity.nodeId, publicKey: p2.identity.publicKey, agreementId: new Uint8Array(16).fill(2) }, { nodeId: p3.identity.nodeId, publicKey: p3.identity.publicKey, agreementId: new Uint8Array(16).fill(3) }];
    const d = deal(list);
    const jobId = job();
    expect(await codeOf(msg(a, d.bytes[1], { jobId, shareholders: list }))).toBe("PRIVATE_REJECTED");
  });

  it("PRIVATE_SESSION_LIMIT: more early messages than MAX_EARLY_MESSAGES before the consumer's setup", async () => {
    const a = agreements.shared!;
    const jobId = job();
    const codes: string[] = [];
    for (let i = 0; i <= MarketLimit.MAX_EARLY_MESSAGES; i++) codes.push(await codeOf({ ...msg(a, new Uint8Array([i]), { jobId, agreement: undefined }), sender: p2.identity.nodeId }, p2.identity));
    expect(codes.slice(0, MarketLimit.MAX_EARLY_MESSAGES).every((x) => x === "OK")).toBe(true);
    expect(codes[MarketLimit.MAX_EARLY_MESSAGES]).toBe("PRIVATE_SESSION_LIMIT");
  });

  it("PRIVATE_JOB_DONE: a job id that ran is answered again only for the same bytes", async () => {
    const r = await c.submitPrivate({ privacy: "split", pixels: new Uint8Array(784).fill(100) });
    const agreementId = Buffer.from(r.agreements[0], "hex");
    const jobId = Uint8Array.from(Buffer.from(r.jobId, "hex"));
    const a = agreements.split!;
    expect(Buffer.from(a.body.agreementId).equals(agreementId)).toBe(true);
    const ex = p1.store.execution(a.body.agreementId, jobId)!;
    expect(ex.units).toBe(1n);
    expect(await codeOf(msg(a, new Uint8Array([1, 2, 3]), { jobId }))).toBe("PRIVATE_JOB_DONE");
  });

  it("AGREEMENT_MISMATCH for an ExecuteRequest under a Private agreement (it carries PrivateMessages only)", () => {
    expect(() => (p1.provider as unknown as { jobInfo(j: Uint8Array, a: unknown): unknown }).jobInfo(new Uint8Array(8), agreements.split!.body)).toThrow(/private agreement/);
  });
});

describe("negotiation and the consumer's failures", () => {
  it("CAPABILITY_UNAVAILABLE: a tier the provider does not offer", async () => {
    const e = await c.consumer.privateAgreementWith(advertOf(p2), PrivacyTier.SplitInference, 100n).catch((x) => x);
    expect((e as ProtocolError).codeName).toBe("CAPABILITY_UNAVAILABLE");
  });

  it("PRICE_TOO_LOW: asking below the tier's price", async () => {
    const e = await c.consumer.privateAgreementWith(advertOf(p3), PrivacyTier.SecretShared, 1n).catch((x) => x);
    expect((e as ProtocolError).codeName).toBe("PRICE_TOO_LOW");
  });

  it("NO_PROVIDER: nobody advertises the tier (split+tee needs TEE with the policy's platform: TDX here)", async () => {
    const e = await c.submitPrivate({ privacy: "tee", pixels: new Uint8Array(784), tee: { policy: { tdx: { mrTds: [new Uint8Array(48)] } } } }).catch((x) => x);
    expect((e as ProtocolError).codeName).toBe("NO_PROVIDER");
  });

  it("PRIVATE_FAILED: a shareholder cut off from another aborts the session; nobody is paid", async () => {
    t.net.partition("p2", "p3");
    const e = await c.submitPrivate({ privacy: "shared", shared: { workload: "variance", values: [1, 2, 3] } }).catch((x) => x);
    t.net.heal("p2", "p3");
    expect((e as ProtocolError).codeName).toBe("PRIVATE_FAILED");
    expect((e as Error).message).toMatch(/PEER_ABORTED/);
  }, 30_000);

  it("PRIVATE_TIMEOUT: a shareholder too slow for the session's deadline", async () => {
    t.net.setLink("c", "p3", { latencyMs: 600 });
    const e = await c.submitPrivate({ privacy: "shared", shared: { workload: "sum", values: [1, 2, 3] } }).catch((x) => x);
    t.net.setLink("c", "p3", { latencyMs: 0 });
    expect((e as ProtocolError).codeName).toBe("PRIVATE_TIMEOUT");
  }, 30_000);
});
