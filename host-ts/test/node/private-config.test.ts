/**
 * The private tiers' configuration (docs/PRIVATE.md M3, M4, M10): policy
 * files, provider flags, control-API parameters, tier prices, and the
 * SecretShared rule's introducers as the node records them from gossip.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PrivacyTier } from "../../src/generated/node-protocol.ts";
import { MarketLimit } from "../../src/generated/private-protocol.ts";
import { parseTeePolicy, teeBackendFrom } from "../../src/node/private/tee-config.ts";
import { privacyOffers, providersPaid, tierPrice } from "../../src/node/private/pricing.ts";
import { privateRequestOf } from "../../src/node/control-api.ts";
import { privacyFlags } from "../../src/cli/commands/node-private.ts";
import { ProtocolError } from "../../src/node/wire/protocol-error.ts";
import { snpEvidence } from "../private/attestation/fixtures.ts";
import { ROOT, startNet, type TestNet } from "./helpers.ts";

const policyFile = (name: string) => JSON.parse(readFileSync(join(ROOT, "examples/private", name), "utf8")) as unknown;

describe("TEE policy files and backends", () => {
  it("the production example binds the transcript; the replay example pins the recording's report_data (test only)", () => {
    const prod = parseTeePolicy(policyFile("tee-policy.json"));
    expect(prod.policy.binding).toBeUndefined();
    expect(prod.policy.snp!.measurements[0].length).toBe(48);
    expect(prod.at!.toISOString()).toBe("2025-07-01T00:00:00.000Z");
    const replay = parseTeePolicy(policyFile("tee-policy-replay.json"));
    expect(replay.policy.binding!.kind).toBe("pinned-replay");
    const pinned = replay.policy.binding as { reportData: Uint8Array };
    expect(Buffer.from(pinned.reportData).equals(Buffer.from(snpEvidence().report.subarray(0x50, 0x90)))).toBe(true);
  });

  it("refuses malformed policies", () => {
    expect(() => parseTeePolicy({ snp: { measurements: ["zz"], minTcb: {} } })).toThrow(/hex/);
    expect(() => parseTeePolicy({ binding: { kind: "anything" } })).toThrow(/binding.kind/);
    expect(() => parseTeePolicy({ at: "yesterday" })).toThrow(/ISO/);
    expect(() => parseTeePolicy([])).toThrow(/object/);
  });

  it("the replay backend says what it is, and needs both files", async () => {
    const dir = join(ROOT, "host-ts/test/fixtures/attestation/sev-snp/milan-virtee");
    const b = await teeBackendFrom({ kind: "replay", report: join(dir, "report_milan.hex"), endorsement: join(dir, "vcek_milan.der") });
    expect(b.description).toMatch(/^REPLAY TEST DOUBLE/);
    expect(b.platform).toBe(1);
    await expect(teeBackendFrom({ kind: "replay" })).rejects.toThrow(/--tee-report/);
    await expect(teeBackendFrom({ kind: "replay", platform: "h100", report: "x", endorsement: "y" })).rejects.toThrow(/--tee-platform/);
  });
});

describe("provider flags and control parameters", () => {
  it("--privacy takes split, shared, tee; tee needs an explicit backend", () => {
    expect(privacyFlags({ privacy: "split,shared" })).toEqual({ split: true, shared: true, tee: undefined });
    expect(() => privacyFlags({ privacy: "split,magic" })).toThrow(/magic/);
    expect(() => privacyFlags({ privacy: "tee" })).toThrow(/--tee-backend/);
    expect(privacyFlags({ privacy: "tee", teeBackend: "replay", teeReport: "r", teeEndorsement: "e" })!.tee).toEqual({ kind: "replay", platform: undefined, report: "r", endorsement: "e" });
  });

  it("the control API's private parameters are checked before anything is sent", () => {
    expect(privateRequestOf({ privacy: "shared", shared: { workload: "mean", values: [1, 2] } }).shared).toEqual({ workload: "mean", values: [1, 2], weights: undefined, list: undefined });
    expect(() => privateRequestOf({ privacy: "secret" })).toThrow(/privacy/);
    expect(() => privateRequestOf({ privacy: "shared", shared: { workload: "median", values: [1] } })).toThrow(/workload/);
    expect(() => privateRequestOf({ privacy: "shared", shared: { workload: "sum", values: ["1"] } })).toThrow(/numbers/);
    expect(() => privateRequestOf({ privacy: "split", epsilon: "8" })).toThrow(/epsilon/);
    expect(() => privateRequestOf({ privacy: "split", local: "planet" })).toThrow(/local/);
  });
});

describe("prices", () => {
  it("ceil(base × factor / 1000), and SecretShared pays three providers", () => {
    expect(tierPrice(10n, PrivacyTier.SplitInference)).toBe(10n);
    expect(tierPrice(10n, PrivacyTier.SecretShared)).toBe(20n);
    expect(tierPrice(10n, PrivacyTier.TEE)).toBe(15n);
    expect(tierPrice(1n, PrivacyTier.TEE)).toBe(2n); // 1.5 rounded up
    expect(providersPaid(PrivacyTier.SecretShared)).toBe(MarketLimit.SHAREHOLDERS);
    expect(() => tierPrice(10n, PrivacyTier.None)).toThrow(RangeError);
    expect(privacyOffers(10n, { shared: true, tee: 2 })).toEqual([{ tier: 0 }, { tier: 2, costPerCall: 20n }, { tier: 3, teePlatform: 1, costPerCall: 15n }]);
  });
});

describe("introducers on the node (PRIVATE.md §2.10 through M10)", () => {
  let t: TestNet;
  afterAll(async () => {
    await t?.stop();
  });

  it("providers known only through another provider are refused; once the consumer reaches them directly they are chosen", async () => {
    // startNet makes every node dial the first: the consumer hears of p2 and p3 only through p1.
    t = await startNet([
      { name: "p1", profile: "community", privacy: { shared: true } },
      { name: "p2", profile: "community", privacy: { shared: true } },
      { name: "p3", profile: "community", privacy: { shared: true } },
      { name: "c", profile: "community" },
    ]);
    const c = t.nodes[3];
    const job = { privacy: "shared" as const, shared: { workload: "sum" as const, values: [1, 2, 3] } };
    const e = await c.submitPrivate(job).catch((x) => x);
    expect((e as ProtocolError).codeName).toBe("NO_PROVIDER");
    expect((e as Error).message).toMatch(/NOT_ENOUGH_NEIGHBOURHOODS/);
    await c.transport.dial("/memory/p2");
    await c.transport.dial("/memory/p3");
    const r = await c.submitPrivate(job);
    expect(r.answer).toBeCloseTo(6, 9);
    expect(new Set(r.providers)).toEqual(new Set(t.nodes.slice(0, 3).map((n) => n.nodeId)));
  }, 60_000);
});
