/**
 * Node-level delegation over the memory transport: a Minimal node delegates
 * what it cannot run (a job above its cycle cap, a WASM Light contract) and
 * returns exactly the bytes a local run of the same job gives.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../../src/engines/registry.ts";
import { createWasmTierEngine } from "../../src/engines/wasm-tier-engine.ts";
import { bytesToHex } from "../../src/model/hex.ts";
import { parseProof } from "../../src/node/consumer.ts";
import { gcounterWasmJob, SMALL, startNet, sumJob, type TestNet } from "./helpers.ts";

let t: TestNet;

beforeAll(async () => {
  t = await startNet([
    { name: "minimal", profile: "minimal" },
    { name: "community", profile: "community", engine: "as" },
    { name: "gateway", profile: "gateway", engine: "as", price: 2000n },
  ]);
});
afterAll(async () => t?.stop());

describe("delegation", () => {
  it("runs a job within its limits locally", async () => {
    const [minimal] = t.nodes;
    const job = sumJob(10, SMALL, minimal.identity.nodeId, minimal.identity.nodeId);
    const out = await minimal.submit({ job });
    expect(out.ranOn).toBe("local");
    expect(out.providers).toEqual([minimal.nodeId]);
    expect(bytesToHex(out.resultBytes)).toBe(bytesToHex((await (await createEngine("reference")).run(job)).resultBytes));
    expect(await out.payments).toBe(0n);
  });

  it("delegates a job above the Minimal cycle cap; the bytes equal a local run", async () => {
    const [minimal, community] = t.nodes;
    const job = sumJob(5000, undefined, minimal.identity.nodeId, minimal.identity.nodeId);
    const out = await minimal.submit({ job });
    expect(out.ranOn).toBe("delegated");
    // The cheaper provider wins (community asks 1000, gateway 2000).
    expect(out.providers).toEqual([community.nodeId]);
    const ref = await createEngine("reference");
    const local = await ref.run(job);
    expect(bytesToHex(out.resultBytes)).toBe(bytesToHex(local.resultBytes));
    expect(await out.payments).toBeGreaterThan(0n);
    const j = minimal.status().journal[0];
    expect(j.ranOn).toBe("delegated");
    expect(j.providers).toEqual([community.nodeId]);
  });

  it("delegates a WASM Light contract", async () => {
    const [minimal] = t.nodes;
    const job = gcounterWasmJob(7n, minimal.identity.nodeId);
    const out = await minimal.submit({ job });
    expect(out.ranOn).toBe("delegated");
    const w = createWasmTierEngine({ nodeTier: "full" });
    try {
      const local = await w.run(job);
      expect(bytesToHex(out.resultBytes)).toBe(bytesToHex(local.resultBytes));
    } finally {
      await w.close();
    }
  });

  it("redundant 2-of-3 with two providers: the two that answer agree, which is a quorum of 2", async () => {
    const [minimal, community, gateway] = t.nodes;
    const job = sumJob(77, undefined, minimal.identity.nodeId, minimal.identity.nodeId);
    const out = await minimal.submit({ job }, { proof: parseProof("redundant:2-of-3") });
    expect(out.providers.sort()).toEqual([community.nodeId, gateway.nodeId].sort());
    expect(bytesToHex(out.resultBytes)).toBe(bytesToHex((await (await createEngine("reference")).run(job)).resultBytes));
    expect(await out.payments).toBeGreaterThan(0n);
  });

  it("placement: local refuses what the node cannot run; delegate never runs locally", async () => {
    const [minimal, community] = t.nodes;
    await expect(minimal.submit({ job: sumJob(5) }, { placement: "local" })).rejects.toThrow(/max_cycles/);
    const out = await community.submit({ job: sumJob(5, SMALL) }, { placement: "delegate" });
    expect(out.ranOn).toBe("delegated");
    expect(out.providers).not.toContain(community.nodeId);
  });
});
