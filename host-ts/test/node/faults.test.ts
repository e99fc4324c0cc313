/**
 * Faults at node level over the memory transport: a lying provider caught by
 * Redundant 2-of-3 and by SpotCheck (unpaid, compute_score down), a provider
 * crashing mid-job (retried elsewhere, same bytes, paid exactly once), a lost
 * payment acknowledgement (resent, taken once), a restart (channels and
 * reputation intact), opaque functions on the same path.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createEngine } from "../../src/engines/targets.ts";
import { bytesToHex } from "../../src/model/bytes.ts";
import { parseProof } from "../../src/node/consumer.ts";
import { MeshNode } from "../../src/node/mesh-node.ts";
import { merkleRoot } from "../../src/node/functions/merkle-root.ts";
import { decodeFunctionResult } from "../../src/node/messages/execution-messages.ts";
import { classifyJob } from "../../src/node/job-info.ts";
import { AGREEMENT } from "./samples.ts";
import { NodeLimit } from "../../src/generated/node-protocol.ts";
import { converge, SMALL, startNet, sumJob, type NodeSpec, type TestNet } from "./helpers.ts";

let t: TestNet | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const reference = await createEngine("reference");
async function localBytes(job: Uint8Array): Promise<string> {
  return bytesToHex((await reference.run(job)).resultBytes);
}

const minimal: NodeSpec = { name: "m", profile: "minimal", functions: [] };
const provider = (name: string, extra: Partial<NodeSpec> = {}): NodeSpec => ({ name, profile: "community", ...extra });

function paymentsOn(node: MeshNode): number {
  return node.channels.summaries().reduce((n, c) => n + c.payments, 0);
}

describe("lying providers", () => {
  it("Redundant 2-of-3: the liar's result is disputed, unpaid, and its compute_score falls", async () => {
    t = await startNet([minimal, provider("p1"), provider("p2"), provider("liar", { testing: { lie: {} } })]);
    const [m, p1, p2, liar] = t.nodes;
    const job = sumJob(321, undefined, m.identity.nodeId, m.identity.nodeId);
    const out = await m.submit({ job }, { proof: parseProof("redundant:2-of-3") });
    await out.payments;
    expect(bytesToHex(out.resultBytes)).toBe(await localBytes(job));
    expect(out.providers.sort()).toEqual([p1.nodeId, p2.nodeId].sort());
    expect(out.attempts.find((a) => a.provider === liar.nodeId)).toMatchObject({ outcome: "disputed", code: "RESULT_DISPUTED" });
    expect(m.reputation.score(liar.identity.nodeId)).toBe(4500);
    expect(m.reputation.score(p1.identity.nodeId)).toBe(5050);
    expect(paymentsOn(p1)).toBe(1);
    expect(paymentsOn(p2)).toBe(1);
    expect(paymentsOn(liar)).toBe(0);
    expect(liar.counters.get("provider.lies")).toBe(1);
    expect(m.counters.get("redundant.disputed")).toBe(1);
  });

  it("Redundant 2-of-2 with a liar: no quorum, nobody paid; no provider at all: NO_PROVIDER", async () => {
    t = await startNet([minimal, provider("p1"), provider("liar", { testing: { lie: {} } })]);
    const [m, p1, liar] = t.nodes;
    const job = sumJob(222, undefined, m.identity.nodeId, m.identity.nodeId);
    await expect(m.submit({ job }, { proof: parseProof("redundant:2-of-2") })).rejects.toMatchObject({ codeName: "NO_QUORUM" });
    await m.settled();
    expect(paymentsOn(p1) + paymentsOn(liar)).toBe(0);
    await t.stop();
    t = await startNet([minimal]);
    await expect(t.nodes[0].submit({ job }, { placement: "delegate" })).rejects.toMatchObject({ codeName: "NO_PROVIDER" });
  });

  it("Redundant providers are drawn at random from the pool and from distinct neighbourhoods, not always the same top n", async () => {
    // Six providers at one price; p1..p3 advertise addresses in one /16 (one operator's network), p4..p6 in others.
    const at = (name: string, ip: string) => provider(name, { announce: [`/ip4/${ip}/tcp/4001/p2p/${name}`] });
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    t = await startNet([{ ...minimal, testing: { random } }, at("p1", "203.0.113.1"), at("p2", "203.0.113.2"), at("p3", "203.0.9.9"), at("p4", "198.51.100.1"), at("p5", "192.0.2.1"), at("p6", "100.1.0.1")]);
    const [m] = t.nodes;
    const sameNet = new Set(t.nodes.slice(1, 4).map((n) => n.nodeId));
    const sets = new Set<string>();
    const used = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const out = await m.submit({ job: sumJob(40 + i, undefined, m.identity.nodeId, m.identity.nodeId) }, { proof: parseProof("redundant:2-of-3") });
      const asked = out.attempts.map((a) => a.provider);
      expect(asked).toHaveLength(3);
      // Never two of one neighbourhood while three others are free.
      expect(asked.filter((p) => sameNet.has(p)).length).toBeLessThanOrEqual(1);
      sets.add([...asked].sort().join(","));
      for (const p of asked) used.add(p);
      await out.payments;
    }
    expect(sets.size).toBeGreaterThan(1);
    expect(used.size).toBeGreaterThan(3);
  });

  it("SpotCheck: a known-answer job exposes the liar, which is not paid; the job is rerun on an honest provider", async () => {
    // The liar is the cheapest, so it is asked first.
    t = await startNet([minimal, provider("liar", { price: 100n, testing: { lie: {} } }), provider("honest", { price: 5000n })]);
    const [m, liar, honest] = t.nodes;
    // Jobs the Minimal node ran itself are answers it knows.
    for (const n of [3, 4, 5]) await m.submit({ job: sumJob(n, SMALL, m.identity.nodeId, m.identity.nodeId) });
    const job = sumJob(4000, undefined, m.identity.nodeId, m.identity.nodeId);
    const out = await m.submit({ job }, { proof: parseProof("spotcheck:1") });
    await out.payments;
    expect(bytesToHex(out.resultBytes)).toBe(await localBytes(job));
    expect(out.providers).toEqual([honest.nodeId]);
    expect(out.attempts[0]).toMatchObject({ provider: liar.nodeId, outcome: "caught" });
    expect(m.counters.get("spotcheck.caught")).toBe(1);
    expect(m.counters.get("spotcheck.passed")).toBe(1);
    expect(m.reputation.score(liar.identity.nodeId)).toBe(4500);
    expect(paymentsOn(liar)).toBe(0);
    // The honest provider ran the real job and a known-answer job, and was paid for both.
    expect(paymentsOn(honest)).toBe(2);
  });

  it("a liar below the threshold is no longer chosen", async () => {
    t = await startNet([{ ...minimal, scoreThreshold: 4600 }, provider("p1"), provider("p2"), provider("liar", { price: 10n, testing: { lie: {} } })]);
    const [m, , , liar] = t.nodes;
    await m.submit({ job: sumJob(9, undefined, m.identity.nodeId, m.identity.nodeId) }, { proof: parseProof("redundant:2-of-3") });
    expect(m.reputation.score(liar.identity.nodeId)).toBe(4500);
    const info = (await import("../../src/node/job-info.ts")).classifyJob(sumJob(10));
    expect(m.consumer.candidates(info, { kind: "result-hash" }).map((h) => bytesToHex(h.advert.nodeId))).not.toContain(liar.nodeId);
  });
});

describe("crashes and lost messages", () => {
  it("a provider that dies mid-job: retried on another, same bytes, paid exactly once", async () => {
    let crashed = false;
    const specs = [minimal, provider("p1", { price: 100n }), provider("p2", { price: 200n })];
    t = await startNet(specs.map((s) => s.name === "p1" ? { ...s, testing: { crashPoint: (p: string) => { if (p === "provider:executing" && !crashed) { crashed = true; t!.net.crash("p1"); } } } } : s));
    const [m, p1, p2] = t.nodes;
    const job = sumJob(2500, undefined, m.identity.nodeId, m.identity.nodeId);
    const out = await m.submit({ job });
    await out.payments;
    expect(crashed).toBe(true);
    expect(bytesToHex(out.resultBytes)).toBe(await localBytes(job));
    expect(out.providers).toEqual([p2.nodeId]);
    expect(out.attempts.map((a) => [a.provider, a.outcome, a.code])).toEqual([[p1.nodeId, "unavailable", "TRANSPORT_RESET"], [p2.nodeId, "ok", undefined]]);
    // The job's one payment is on p2's channel (a payment names the job_id, which every attempt shares).
    const paid = m.store.paymentsForJob(Buffer.from(out.jobId, "hex"));
    expect(paid).toHaveLength(1);
    expect(bytesToHex(paid[0].channelId)).toBe(m.channels.summaries().find((c) => c.peer === p2.nodeId)!.channelId);
    expect(paymentsOn(p2)).toBe(1);
    expect(paymentsOn(p1)).toBe(0);
    expect(m.channels.summaries().reduce((n, c) => n + c.payments, 0)).toBe(1);
    // A crash proves nothing wrong about p1's answers: its score is untouched, it is backed off instead (§7.8).
    expect(m.reputation.score(p1.identity.nodeId)).toBe(5000);
    expect(m.status().backoff).toEqual([{ nodeId: p1.nodeId, failures: 1, retryInMs: expect.any(Number) }]);
    // p1's advert is still held (it has not expired), yet the next job does not try the dead provider first.
    expect(m.adverts.get(p1.identity.nodeId)).toBeDefined();
    const next = await m.submit({ job: sumJob(77, undefined, m.identity.nodeId, m.identity.nodeId) });
    expect(next.attempts.map((a) => [a.provider, a.outcome])).toEqual([[p2.nodeId, "ok"]]);
    await next.payments;
  });

  it("back-off: doubling from BACKOFF_BASE_MS per consecutive outage up to BACKOFF_CAP_MS; chosen again once it passes, reset by a verified result", async () => {
    let clock = Date.now();
    t = await startNet([{ ...minimal, now: () => clock }, provider("p1", { price: 100n }), provider("p2", { price: 200n })]);
    const [m, p1, p2] = t.nodes;
    const job = (n: number) => sumJob(n, undefined, m.identity.nodeId, m.identity.nodeId);
    const info = classifyJob(job(1));
    const first = () => bytesToHex(m.consumer.candidates(info, { kind: "result-hash" })[0].advert.nodeId);
    expect(first()).toBe(p1.nodeId);
    t.net.partition("m", "p1"); // connection refused, every time
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const out = await m.submit({ job: job(10 + i) }, { placement: "delegate" });
      expect(out.providers).toEqual([p2.nodeId]);
      waits.push(m.status().backoff.find((b) => b.nodeId === p1.nodeId)!.retryInMs);
      expect(first()).toBe(p2.nodeId); // p1 backed off: not chosen
      expect(m.reputation.score(p1.identity.nodeId)).toBe(5000);
      clock += waits[i]; // the back-off passes: p1 is the first choice again
      expect(first()).toBe(p1.nodeId);
    }
    expect(waits).toEqual([NodeLimit.BACKOFF_BASE_MS, 2 * NodeLimit.BACKOFF_BASE_MS, 4 * NodeLimit.BACKOFF_BASE_MS]);
    t.net.heal("m", "p1");
    const ok = await m.submit({ job: job(20) }, { placement: "delegate" });
    expect(ok.providers).toEqual([p1.nodeId]);
    expect(m.status().backoff).toEqual([]);
  }, 60_000);

  it("payments acknowledged, failing or starting after the payer's stop began: no crash, nothing lost, settling resumes after the restart", async () => {
    t = await startNet([{ ...minimal, stopGraceMs: 20 }, provider("p1"), provider("p2")]);
    const [m, p1, p2] = t.nodes;
    const dir = t.dirs[0];
    const job = sumJob(4321, undefined, m.identity.nodeId, m.identity.nodeId);
    const out = await m.submit({ job }, { proof: parseProof("redundant:2-of-2") });
    // The payees stop answering: m's stop gives up waiting for the first acknowledgement, the second payment
    // starts while m shuts down, and both failures come back to a node whose store is closing.
    t.net.hang("p1", true);
    t.net.hang("p2", true);
    const stopped = m.stop();
    expect(await out.payments).toBe(0n); // never rejects: the payments are left pending (or unsent), not lost
    await stopped;
    // A payment asked for now is refused before anything is read or written (the store is closed).
    await expect(m.channels.pay(new Uint8Array(16), AGREEMENT, new Uint8Array(16), 1n)).rejects.toMatchObject({ codeName: "SHUTTING_DOWN" });
    await new Promise((r) => setTimeout(r, 200));
    t.net.hang("p1", false);
    t.net.hang("p2", false);
    const again = await MeshNode.start({ dataDir: dir, profile: "minimal", engine: "reference", functions: [], control: false, transport: (id) => t!.net.transport("m", { publicKey: id.publicKey }), bootstrap: ["/memory/p1", "/memory/p2"] });
    t.nodes[0] = again;
    const paidBoth = () => again.channels.summaries().length === 2 && again.channels.summaries().every((c) => !c.pending && c.payments === 1);
    for (let i = 0; !paidBoth(); i++) {
      if (i > 500) throw new Error(`the payments were never settled: ${JSON.stringify(again.channels.summaries())}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const p of [p1, p2]) {
      const mc = again.channels.summaries().find((c) => c.peer === p.nodeId)!;
      const [pc] = p.channels.summaries();
      expect([mc.sequence, mc.balanceA, mc.balanceB, mc.payments]).toEqual([pc.sequence, pc.balanceA, pc.balanceB, pc.payments]);
      expect(mc.sequence).toBe("1");
    }
    expect(again.store.paymentsForJob(Buffer.from(out.jobId, "hex"))).toHaveLength(2);
  });

  it("a lost payment acknowledgement: the update is resent, the payee takes it once", async () => {
    let cut = false;
    t = await startNet([{ ...minimal, testing: { crashPoint: (p: string) => { if (p === "payer:update-persisted" && !cut) { cut = true; t!.net.partition("m", "p1"); } } } }, provider("p1")]);
    const [m, p1] = t.nodes;
    const job = sumJob(1234, undefined, m.identity.nodeId, m.identity.nodeId);
    const out = await m.submit({ job });
    await out.payments;
    expect(bytesToHex(out.resultBytes)).toBe(await localBytes(job)); // the result is not held back by the payment
    expect(m.channels.summaries()[0].pending).toBe(true);
    expect(paymentsOn(p1)).toBe(0);
    t.net.heal("m", "p1");
    expect(await m.channels.resumeAll()).toBe(1);
    expect(await m.channels.resumeAll()).toBe(0);
    const [mc] = m.channels.summaries();
    const [pc] = p1.channels.summaries();
    expect(mc.pending).toBe(false);
    expect(mc.sequence).toBe("1");
    expect(pc.sequence).toBe("1");
    expect([mc.balanceA, mc.balanceB]).toEqual([pc.balanceA, pc.balanceB]);
    expect(paymentsOn(p1)).toBe(1);
    // The next job pays at sequence 2.
    await (await m.submit({ job: sumJob(99, undefined, m.identity.nodeId, m.identity.nodeId) })).payments;
    expect(p1.channels.summaries()[0].sequence).toBe("2");
  });

  it("a restarted node keeps its channels, reputation, journal and advert seq", async () => {
    t = await startNet([minimal, provider("p1", { price: 100n }), provider("liar", { price: 50n, testing: { lie: {} } }), provider("p2", { price: 200n })]);
    const [m, p1] = t.nodes;
    await (await m.submit({ job: sumJob(50, undefined, m.identity.nodeId, m.identity.nodeId) }, { proof: parseProof("redundant:2-of-3") })).payments;
    expect(m.reputation.score(t.nodes[2].identity.nodeId)).toBe(4500);
    const before = m.status();
    const seq = m.advertSeq.last;
    await m.stop();
    const again = await MeshNode.start({ dataDir: t.dirs[0], profile: "minimal", engine: "reference", functions: [], control: false, transport: (id) => t!.net.transport("m", { publicKey: id.publicKey }), bootstrap: ["/memory/p1"] });
    t.nodes[0] = again;
    const after = again.status();
    expect(after.nodeId).toBe(before.nodeId);
    expect(after.channels).toEqual(before.channels);
    expect(after.reputation).toEqual(before.reputation);
    expect(after.journal.map((j) => j.jobId)).toEqual(before.journal.map((j) => j.jobId));
    expect(again.advertSeq.last).toBeGreaterThan(seq);
    await converge(t.nodes);
    // The channels are used again, from the stored sequence on (reputation:5000 skips the liar, now at 4500).
    const out = await again.submit({ job: sumJob(51, undefined, again.identity.nodeId, again.identity.nodeId) }, { proof: parseProof("reputation:5000") });
    await out.payments;
    expect(out.providers).toEqual([p1.nodeId]);
    const ch = again.channels.summaries().find((c) => c.peer === p1.nodeId)!;
    expect(ch.sequence).toBe("2");
    expect(p1.channels.summaries()[0].sequence).toBe("2");
  });
});

describe("opaque functions through the same path", () => {
  it("a node without the function delegates it, verifies, and pays per invocation", async () => {
    t = await startNet([minimal, provider("p1", { functionPrices: { "blake3-merkle-4k": 3n } }), provider("p2", { functionPrices: { "blake3-merkle-4k": 3n } }), provider("p3", { functionPrices: { "blake3-merkle-4k": 3n } })]);
    const [m] = t.nodes;
    const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 256);
    const out = await m.submit({ function: "blake3-merkle-4k", input: data });
    expect(out.ranOn).toBe("delegated");
    const r = decodeFunctionResult(out.resultBytes);
    expect(r.output.subarray(0, 32)).toEqual(merkleRoot(data).root);
    expect(await out.payments).toBe(3n);
    const red = await m.submit({ function: "blake3-merkle-4k", input: data }, { proof: parseProof("redundant:2-of-3") });
    expect(red.providers).toHaveLength(3);
    expect(bytesToHex(red.resultBytes)).toBe(bytesToHex(out.resultBytes));
  });

  it("a node that offers the function runs it itself", async () => {
    t = await startNet([provider("c"), provider("p1")]);
    const out = await t.nodes[0].submit({ function: "blake3-merkle-4k", input: new Uint8Array(5) });
    expect(out.ranOn).toBe("local");
    expect(await out.payments).toBe(0n);
  });
});

