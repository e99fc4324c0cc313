/**
 * The private tiers through the mesh node (docs/PRIVATE.md, Marketplace
 * integration): one consumer and four providers on one MemoryNetwork, each a
 * real MeshNode with its store, channels and adverts. Every answer is
 * checked against the same computation in plaintext; every job is paid
 * through the channels at the advertised tier price (SecretShared: three
 * providers).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrivacyTier } from "../../src/generated/node-protocol.ts";
import { MarketLimit, MarketPriceFactorFactorMilli } from "../../src/generated/private-protocol.ts";
import { ReplayedEvidenceBackend, replayTestPolicy } from "../../src/private/attestation/replay-backend.ts";
import type { TeePolicy } from "../../src/private/attestation/policy.ts";
import { loadMnist } from "../../src/private/split/mnist-idx.ts";
import { OnnxPart } from "../../src/private/split/runtime.ts";
import { committedModel } from "../../src/private/split/parts.ts";
import { pixelsAsInput } from "../../src/node/private/tee-task.ts";
import { plaintextShared, type SharedJob } from "../../src/node/private/shared-jobs.ts";
import { tierPrice } from "../../src/node/private/pricing.ts";
import { ProtocolError } from "../../src/node/wire/protocol-error.ts";
import type { MeshNode } from "../../src/node/mesh-node.ts";
import { AT, VIRTEE_MEASUREMENT, snpEvidence } from "../private/attestation/fixtures.ts";
import { startNet, type TestNet } from "./helpers.ts";

const SNP_POLICY: TeePolicy = { snp: { measurements: [VIRTEE_MEASUREMENT], minTcb: { bootLoader: 3, tee: 0, snp: 8, microcode: 115 } } };
const replay = new ReplayedEvidenceBackend(snpEvidence(), "virtee Milan report");
const BASE = 12n;

let t: TestNet;
let consumer: MeshNode;
let whole: OnnxPart;
const test = loadMnist("test");
const pixels = (from: number, count: number) => test.pixels.slice(from * 784, (from + count) * 784);

async function plaintextLogits(px: Uint8Array): Promise<number[][]> {
  const out = await whole.run(pixelsAsInput(px), px.length / 784);
  return Array.from({ length: px.length / 784 }, (_, b) => Array.from(out.subarray(b * 10, b * 10 + 10)));
}

const argmax = (r: number[]) => r.indexOf(Math.max(...r));

async function paidTo(node: MeshNode): Promise<bigint> {
  await consumer.settled();
  return node.channels.summaries().filter((c) => c.role === "payee").reduce((a, c) => a + BigInt(c.balanceB) + BigInt(c.burned), 0n);
}

beforeAll(async () => {
  whole = await OnnxPart.load(committedModel("mnist-mlp"));
  t = await startNet([
    { name: "consumer", profile: "community" },
    { name: "p1", profile: "community", privacy: { split: true, shared: true, tee: replay }, privatePrice: BASE },
    { name: "p2", profile: "community", privacy: { split: true, shared: true }, privatePrice: BASE + 5n },
    { name: "p3", profile: "community", privacy: { shared: true }, privatePrice: BASE },
    { name: "p4", profile: "community", privacy: { shared: true }, privatePrice: BASE + 1n },
  ]);
  consumer = t.nodes[0];
}, 60_000);

afterAll(async () => {
  await t?.stop();
  await whole?.close();
});

describe("adverts and prices", () => {
  it("each provider advertises the tiers its options enable, priced base × the spec's factor", () => {
    const p1 = consumer.adverts.list().find((h) => Buffer.from(h.advert.nodeId).equals(Buffer.from(t.nodes[1].identity.nodeId)))!;
    const tiers = p1.advert.compute.privacyTiers;
    expect(tiers.map((x) => x.tier)).toEqual([PrivacyTier.None, PrivacyTier.SplitInference, PrivacyTier.SecretShared, PrivacyTier.TEE]);
    expect(tiers[3].teePlatform).toBe(0); // AmdSevSnp: the replayed report's platform
    for (const x of tiers.slice(1)) expect(x.costPerCall).toBe((BASE * BigInt(MarketPriceFactorFactorMilli[x.tier]) + 999n) / 1000n);
    const p3 = consumer.adverts.list().find((h) => Buffer.from(h.advert.nodeId).equals(Buffer.from(t.nodes[3].identity.nodeId)))!;
    expect(p3.advert.compute.privacyTiers.map((x) => x.tier)).toEqual([PrivacyTier.None, PrivacyTier.SecretShared]);
    expect(consumer.buildAdvert().length).toBeGreaterThan(0);
  });
});

describe("SplitInference through the node", () => {
  it("without noise: the logits of 8 images match the whole model's, on the cheapest split provider, paid its tier price", async () => {
    const before = await paidTo(t.nodes[1]);
    const px = pixels(0, 8);
    const r = await consumer.submitPrivate({ privacy: "split", pixels: px });
    const plain = await plaintextLogits(px);
    expect(r.providers).toEqual([t.nodes[1].nodeId]); // p1 (base 12) is cheaper than p2 (17)
    for (let b = 0; b < 8; b++) for (let k = 0; k < 10; k++) expect(Math.abs(r.logits![b][k] - plain[b][k])).toBeLessThan(0.05);
    expect(r.classes).toEqual(plain.map(argmax));
    expect(await r.payments).toBe(tierPrice(BASE, PrivacyTier.SplitInference));
    expect(r.dp).toEqual({ epsilon: Infinity, delta: 0 });
    expect((await paidTo(t.nodes[1])) - before).toBe(tierPrice(BASE, PrivacyTier.SplitInference));
  });

  it("with ε = 8 per image: the answer still comes back (noisy), charged to the accountant", async () => {
    const r = await consumer.submitPrivate({ privacy: "split", pixels: pixels(8, 4), epsilon: 8 });
    expect(r.logits).toHaveLength(4);
    expect(r.dp).toEqual({ epsilon: 8, delta: 1e-5 });
    expect(r.classes!.every((c) => c >= 0 && c < 10)).toBe(true);
  });
});

describe("SecretShared through the node", () => {
  const cases: SharedJob[] = [
    { workload: "sum", values: [1.5, -2.25, 3, 10] },
    { workload: "mean", values: [1, 2, 3, 4, 5, 6] },
    { workload: "variance", values: [2, 4, 4, 4, 5, 5, 7, 9] },
    { workload: "dot", values: [1, 2, 3], weights: [0.5, -1, 2] },
    { workload: "linear", values: [1, 2, 3], weights: [0.5, -1, 2], bias: 0.25 },
    { workload: "search", values: [42], list: [7, 42, 99] },
    { workload: "search", values: [43], list: [7, 42, 99] },
  ];
  for (const c of cases) {
    it(`${c.workload}${c.workload === "search" ? ` ${c.values[0]}` : ""}: three providers from distinct neighbourhoods, the plaintext answer, three payments`, async () => {
      const r = await consumer.submitPrivate({ privacy: "shared", shared: c });
      const plain = plaintextShared(c);
      if (typeof plain === "boolean") expect(r.answer).toBe(plain);
      else expect(Math.abs((r.answer as number) - plain)).toBeLessThan(1e-4);
      expect(new Set(r.providers).size).toBe(MarketLimit.SHAREHOLDERS);
      expect(r.providers).not.toContain(consumer.nodeId);
      const total = await r.payments;
      expect(total).toBe(r.prices.reduce((a, b) => a + b, 0n));
      expect(r.prices.every((p) => p >= tierPrice(BASE, PrivacyTier.SecretShared))).toBe(true);
    }, 60_000);
  }

  it("a shareholder that is gone is replaced: the job still gets its answer from three others", async () => {
    t.net.crash("p3");
    const c: SharedJob = { workload: "sum", values: [5, 6, 7] };
    let ok = 0;
    for (let i = 0; i < 3; i++) {
      const r = await consumer.submitPrivate({ privacy: "shared", shared: c });
      expect(r.answer).toBeCloseTo(18, 6);
      expect(r.providers).not.toContain(t.nodes[3].nodeId);
      ok++;
    }
    expect(ok).toBe(3);
  }, 90_000);
});

describe("TEE through the node (REPLAY TEST DOUBLE: docs/PRIVATE.md §3.0)", () => {
  it("the production policy refuses the replayed report (BINDING_MISMATCH) and nothing is paid", async () => {
    const before = await paidTo(t.nodes[1]);
    const e = await consumer.submitPrivate({ privacy: "tee", pixels: pixels(0, 2), tee: { policy: SNP_POLICY, at: AT } }).catch((x) => x);
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).codeName).toBe("PRIVATE_FAILED");
    expect((e as Error).message).toMatch(/BINDING_MISMATCH/);
    expect(await paidTo(t.nodes[1])).toBe(before);
  });

  it("under the explicit pinned-replay test policy the same verification passes; the logits are the whole model's; key not hardware-bound", async () => {
    const px = pixels(20, 3);
    const r = await consumer.submitPrivate({ privacy: "tee", pixels: px, tee: { policy: replayTestPolicy(SNP_POLICY, replay), at: AT } });
    const plain = await plaintextLogits(px);
    expect(r.logits).toEqual(plain.map((row) => row.map((x) => Math.fround(x))));
    expect(r.tee).toMatchObject({ platform: 1, keyBoundByHardware: false });
    expect(await r.payments).toBe(tierPrice(BASE, PrivacyTier.TEE));
  });
});

describe("combinations through the node (private/combined/)", () => {
  // p3 was crashed above: the shareholders are p1, p2, p4, so the middle (p1 or p2) also holds a share here.
  it("split+shared: the first layer on three shareholders, the pre1 middle on a fourth provider; logits within 0.05 of the whole model; 3 + 1 payments", async () => {
    const px = pixels(30, 4);
    const r = await consumer.submitPrivate({ privacy: "split+shared", pixels: px });
    const plain = await plaintextLogits(px);
    for (let b = 0; b < 4; b++) for (let k = 0; k < 10; k++) expect(Math.abs(r.logits![b][k] - plain[b][k])).toBeLessThan(0.05);
    expect(r.classes).toEqual(plain.map(argmax));
    expect(r.providers).toHaveLength(4);
    expect(new Set(r.providers.slice(0, 3)).size).toBe(3);
    expect([t.nodes[1].nodeId, t.nodes[2].nodeId]).toContain(r.providers[3]); // the middle is a split provider (p1, p2)
    expect(r.prices.slice(0, 3).every((p) => p >= tierPrice(BASE, PrivacyTier.SecretShared))).toBe(true);
    expect(await r.payments).toBe(r.prices.reduce((a, b) => a + b, 0n));
  }, 90_000);

  it("split+shared with ε = 8: noisy, still answered, charged per image", async () => {
    const r = await consumer.submitPrivate({ privacy: "split+shared", pixels: pixels(40, 2), epsilon: 8 });
    expect(r.logits).toHaveLength(2);
    expect(r.dp).toEqual({ epsilon: 8, delta: 1e-5 });
  }, 90_000);

  it("split+tee: refused under the production policy; under the pinned-replay test policy the middle runs sealed, logits within 0.05 of the whole model", async () => {
    const px = pixels(50, 3);
    const e = await consumer.submitPrivate({ privacy: "split+tee", pixels: px, tee: { policy: SNP_POLICY, at: AT } }).catch((x) => x);
    expect((e as ProtocolError).codeName).toBe("PRIVATE_FAILED");
    expect((e as Error).message).toMatch(/BINDING_MISMATCH/);
    const r = await consumer.submitPrivate({ privacy: "split+tee", pixels: px, tee: { policy: replayTestPolicy(SNP_POLICY, replay), at: AT } });
    const plain = await plaintextLogits(px);
    for (let b = 0; b < 3; b++) for (let k = 0; k < 10; k++) expect(Math.abs(r.logits![b][k] - plain[b][k])).toBeLessThan(0.05);
    expect(r.tee).toMatchObject({ platform: 1, keyBoundByHardware: false });
    expect(r.providers).toEqual([t.nodes[1].nodeId]);
    expect(await r.payments).toBe(tierPrice(BASE, PrivacyTier.TEE));
  }, 60_000);
});
