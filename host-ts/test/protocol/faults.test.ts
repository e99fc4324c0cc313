/**
 * Fault injection: hundreds of jobs through a link that corrupts, drops,
 * duplicates, splits and merges bytes in both directions. Every job must be
 * answered exactly once, with its own result.
 */
import { describe, it, expect, beforeAll } from "vitest";
import { buildFakeBoard, spawnBoard, fakeDigest, haveRealHostPort, REAL_HOST_PORT } from "./harness.ts";
import { BoardClient } from "../../src/protocol/client.ts";
import { createLinkEngine } from "../../src/protocol/link-engine.ts";
import { withFaults, parseFaultSpec, prng, type FaultRates } from "../../src/protocol/faults.ts";
import { decodeResult, hash32 } from "../../src/model/codec.ts";
import { equalBytes } from "../../src/model/bytes.ts";

const RATES: FaultRates = { corrupt: 0.05, drop: 0.03, duplicate: 0.02, garbage: 0.03, split: 0.25, merge: 0.1 };

function jobs(count: number, seed: number): Uint8Array[] {
  const rnd = prng(seed);
  return Array.from({ length: count }, (_, i) => {
    const len = i % 50 === 7 ? 20_000 + Math.floor(rnd() * 20_000) : 1 + Math.floor(rnd() * 1500);
    const job = new Uint8Array(len).map(() => (rnd() < 0.2 ? 0 : Math.floor(rnd() * 256)));
    job[0] = 0x10 + (i & 0x0f); // never a fake-VM hook prefix
    return job;
  });
}

describe("fault injection", () => {
  let exe: string;
  beforeAll(() => { exe = buildFakeBoard(); });

  it("accounts for every one of 300 jobs exactly once, each with its own result", async () => {
    const board = spawnBoard(exe);
    const link = withFaults(board.stream, { seed: 20261125, tx: RATES, rx: RATES });
    const client = new BoardClient(link, { timeoutMs: 120, bytesPerSecond: 50e6, retries: 40 });
    const engine = createLinkEngine("fake-board+faults", client);
    const all = jobs(300, 7);
    const settled = new Array<number>(all.length).fill(0);
    const outcomes = await Promise.all(all.map((job, i) =>
      engine.run(job).then(
        (r) => { settled[i]++; return equalBytes(r.result.jobHash, fakeDigest(job)) && r.result.cycles === job.length ? "own" : "WRONG"; },
        (e: Error) => { settled[i]++; return `failed: ${e.message}`; },
      )));
    expect(settled.every((n) => n === 1)).toBe(true);
    expect(outcomes.filter((o) => o !== "own")).toEqual([]);
    // The faults really happened, and the client really had to work around them.
    expect(link.stats.corrupted + link.stats.dropped + link.stats.garbage).toBeGreaterThan(20);
    expect(client.stats.retries).toBeGreaterThan(10);
    expect(client.stats.requests).toBe(all.length + 1); // + the engine's HELLO
    await engine.close();
    expect(await board.close()).toBe(0);
    expect(board.stderr()).toBe("");
  });

  it("re-chunking alone (split, merge) costs no retries", async () => {
    const board = spawnBoard(exe);
    const link = withFaults(board.stream, { seed: 3, tx: { split: 0.5, merge: 0.3 }, rx: { split: 0.5, merge: 0.3 } });
    const client = new BoardClient(link, { timeoutMs: 2000, bytesPerSecond: 50e6 });
    await client.hello(); // may be resent once if the boot announcement crosses it
    const before = client.stats.retries;
    for (const job of jobs(60, 11)) {
      const r = await client.run(job);
      expect(decodeResult(r.resultBytes).jobHash).toEqual(fakeDigest(job));
    }
    expect(client.stats.retries).toBe(before);
    client.close();
    expect(await board.close()).toBe(0);
  });

  it("is reproducible from its seed", () => {
    const run = (seed: number) => {
      const seen: number[] = [];
      const link = withFaults({ write: (b) => seen.push(...b), onData: () => undefined }, { seed, tx: { corrupt: 0.3, drop: 0.3, duplicate: 0.3, garbage: 0.3 } });
      for (let i = 0; i < 50; i++) link.write(new Uint8Array(40).fill(i + 1));
      return seen;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it("parses fault specs", () => {
    expect(parseFaultSpec("seed=7,corrupt=0.01,rx.drop=0.2")).toEqual({ seed: 7, tx: { corrupt: 0.01 }, rx: { corrupt: 0.01, drop: 0.2 } });
    expect(() => parseFaultSpec("melt=0.1")).toThrow(/unknown fault/);
    expect(() => parseFaultSpec("drop=2")).toThrow(/probability/);
  });

  it.skipIf(!haveRealHostPort())("the real host port (build/firmware/host/mhr-host) survives the same faults", async () => {
    const board = spawnBoard(REAL_HOST_PORT);
    const link = withFaults(board.stream, { seed: 99, tx: RATES, rx: RATES });
    const client = new BoardClient(link, { timeoutMs: 300, bytesPerSecond: 50e6, retries: 40 });
    const engine = createLinkEngine("mhr-host+faults", client, { verifyJobHash: true });
    const hello = await engine.hello();
    expect(hello.protocolVersion).toBe(1);
    const all = jobs(120, 13);
    const results = await Promise.all(all.map((job) => engine.run(job)));
    results.forEach((r, i) => expect(r.result.jobHash).toEqual(hash32(all[i])));
    await engine.close();
    expect(await board.close()).toBe(0);
  });
});
