/**
 * 1,000 real nodes in one process on the memory transport (sim/mesh-sim.ts):
 * 300 providers of which 30 lie and 30 crash mid-job (one liar and two
 * crashers undercut every honest price, so consumers meet them first), 700
 * Minimal consumers. The 300 providers' adverts are republished and must
 * reach all 1,000 nodes (the full round of 1,000 adverts is `npm run
 * bench`'s). With a fixed seed every choice is the seed's, so the
 * properties below are exact; no timing is asserted (the figures go to
 * `npm run bench`).
 */
import { describe, expect, it } from "vitest";
import { runMeshSimulation, type MeshSimReport } from "../../src/sim/mesh-sim.ts";

describe("1,000-node mesh simulation (seed 12)", () => {
  let r: MeshSimReport;

  it("runs: adverts converge, a late joiner learns every advert from its syncs", { timeout: 900_000 }, async () => {
    r = await runMeshSimulation({ nodes: 1000, seed: 12, republishers: 300, jobs: 72, activeConsumers: 6 });
    expect(r.nodes).toBe(1000);
    expect([r.providers, r.liars, r.crashers]).toEqual([300, 30, 30]);
    expect(r.convergence.complete).toBe(true);
    expect(r.convergence.singleAdvertMs).toBeGreaterThanOrEqual(0);
    expect(r.convergence.republished).toBe(300);
    expect(r.lateJoiner.of).toBeGreaterThanOrEqual(300);
    expect(r.lateJoiner.held).toBe(r.lateJoiner.of);
  });

  it("recovers from crashes mid-job, and fails a job only when every provider it tried was faulty", () => {
    const d = r.delegation;
    expect(d.jobs).toBe(72);
    expect(d.crashedMidJob).toBeGreaterThanOrEqual(1);
    const faulty = new Set([...r.faulty.liars, ...r.faulty.crashers]);
    for (const x of r.records) {
      if (x.ok) continue;
      // The attempt budget (MAX_DELEGATION_ATTEMPTS) ran out on dead or lying providers: an unreachable
      // provider costs no reputation; it is backed off (NODE.md §7.8), so later jobs skip it for a while.
      expect(x.error).toMatch(/attempt\(s\) failed/);
      expect(x.attempts.length).toBeGreaterThan(0);
      for (const a of x.attempts) expect(faulty.has(a.provider)).toBe(true);
    }
    // Jobs that met a crashing provider and still got a verified result from another.
    expect(d.jobsRecoveredFromCrash).toBeGreaterThan(0);
    expect(d.byProof["result-hash"].succeeded).toBe(24);
  });

  it("pays each accepted provider exactly once, and nothing for a failed job", () => {
    expect(r.delegation.paymentAnomalies).toBe(0);
    for (const x of r.records) expect(x.payments).toBe(x.winners.length);
  });

  it("never accepts a wrong result from an honest provider, and outvotes a lone liar under redundant 2-of-3", () => {
    const d = r.delegation;
    const liar = (p: string) => r.faulty.liars.includes(p);
    expect(d.honestJobs).toBeGreaterThan(0);
    expect(d.honestCorrect).toBe(d.honestJobs);
    for (const x of r.records.filter((y) => y.ok && !y.correct)) {
      // A wrong result is liars' only: under redundant 2-of-3 it takes two of them agreeing.
      expect(x.winners.every(liar)).toBe(true);
      if (x.proof.startsWith("redundant")) expect(x.winners.length).toBeGreaterThanOrEqual(2);
    }
    // Under redundant 2-of-3 a job that met at most one liar gets the right answer: the lone liar is
    // outvoted. Which providers a job draws also follows the dead-provider back-off, which is timed
    // (NODE.md §7.8), so two colluding liars are sometimes drawn together; their agreement is the
    // only way to a wrong result (checked above), and it is counted.
    const red = d.byProof["redundant:2-of-3"];
    expect([red.jobs, red.succeeded]).toEqual([24, 24]);
    for (const x of r.records.filter((y) => y.proof === "redundant:2-of-3")) {
      const met = new Set([...x.attempts.map((a) => a.provider), ...x.winners].filter(liar));
      if (met.size <= 1) expect(x.correct).toBe(true);
    }
    expect(red.correct + d.wrongUnderRedundantLiarQuorum).toBe(red.succeeded);
    expect(r.records.some((x) => x.proof.startsWith("redundant") && x.attempts.some((a) => liar(a.provider) && a.outcome === "disputed"))).toBe(true);
  });

  it("catches the liar it meets, does not pay it for the caught lie, and lowers its compute_score", () => {
    const d = r.delegation;
    expect(d.liarsChosen).toBeGreaterThanOrEqual(1);
    expect(d.caughtButPaid).toBe(0);
    expect(d.liarScores.length).toBeGreaterThan(0);
    if (d.wrongUnderRedundantLiarQuorum === 0) {
      expect(d.liarsCaught).toBe(d.liarsChosen);
      for (const s of d.liarScores) expect(s).toBeLessThan(5000);
    } else {
      // Liars that won together as a quorum were paid and scored as honest by the consumer that
      // met them only that way; every other liar met was caught.
      expect(d.liarsCaught).toBeGreaterThan(0);
      expect(d.liarScores.some((s) => s < 5000)).toBe(true);
    }
  });
});
