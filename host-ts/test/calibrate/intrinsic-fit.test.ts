/**
 * The per-job work fit (fitIntrinsicMinimax): on the real per-job jobs, timed by a
 * synthetic board whose cost per job byte, code byte, instruction, entry,
 * state byte and memory KiB is drawn at random, and whose final-state walk
 * costs more per entry for bigger entries (as on qemu-lx106), every job the
 * fit uses is charged at least margin × its time (its instructions' charges
 * and the proposed rows), each dirty job's rehash row covers at least what
 * the rehash took, and no row could be a step lower.
 */
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { chargeOf, intrinsicOf, rehashOf } from "../../src/generated/opcodes.ts";
import { chargeRows, intrinsicJobs, type IntrinsicFit, type IntrinsicJob, type IntrinsicPoint } from "../../src/calibrate/intrinsic.ts";
import { fitIntrinsicMinimax } from "../../src/calibrate/intrinsic-minimax.ts";

let jobs: IntrinsicJob[];
beforeAll(() => {
  jobs = intrinsicJobs();
}, 60_000);

interface Board { base: number; job: number; code: number; ins: number; entry: number; stateByte: number; kib: number; walk: number; walkByte: number }

const micro = (lo: number, hi: number) => fc.double({ min: lo, max: hi, noNaN: true });
const boards = fc.record<Board>({
  base: micro(100, 600), job: micro(0.05, 1), code: micro(0.1, 2), ins: micro(0, 1), entry: micro(1, 20),
  stateByte: micro(0.05, 1), kib: micro(0, 10), walk: micro(2, 20), walkByte: micro(0, 0.05),
});

function pointsOn(b: Board): IntrinsicPoint[] {
  return jobs.map((j) => {
    const m = j.measure;
    let us = b.base + b.job * m.jobBytes + b.code * m.codeBytes + b.ins * m.instructions + b.entry * m.entries + b.stateByte * m.stateSize + (b.kib * m.maxMemory) / 1024;
    // The walk of a changed state: per entry, more for bigger entries.
    if (j.finalEntries !== undefined) us += 20 + j.finalEntries * (b.walk + b.walkByte * (m.stateSize / Math.max(1, m.entries)));
    const { shifts: _, ...rest } = j;
    return { ...rest, us };
  });
}

/** What the job's instructions are charged under v2: its charge less the v2 rows being fitted. */
const fixedOf = (p: IntrinsicPoint) => p.charged.v2 - intrinsicOf("v2", p.measure) - (p.finalEntries !== undefined ? rehashOf("v2", p.finalEntries) : 0);

/** Every way the fit fails: a job charged below margin × its time, or a rehash below its extra time. */
function failures(points: readonly IntrinsicPoint[], fit: IntrinsicFit, margin: number): string[] {
  const byId = new Map(points.map((p) => [p.id, p]));
  const out: string[] = [];
  for (const p of points.filter((x) => x.fit)) {
    const rehash = p.finalEntries !== undefined ? chargeOf(fit.rehash, p.finalEntries) : 0;
    if (fixedOf(p) + chargeRows(fit.intrinsic, p.measure) + rehash < margin * p.us * (1 - 1e-9)) out.push(p.id);
    if (p.cleanTwin && rehash < (p.us - byId.get(p.cleanTwin)!.us) * (1 - 1e-9)) out.push(`${p.id} rehash`);
  }
  return out;
}

describe("fitIntrinsicMinimax", () => {
  it("charges every fitted job margin × its time, and every dirty job's rehash at least its time", async () => {
    await fc.assert(
      fc.asyncProperty(boards, fc.constantFrom(1, 1.25, 1.5), async (b, margin) => {
        const points = pointsOn(b);
        const fit = await fitIntrinsicMinimax([{ board: "synthetic", points }], margin);
        expect(failures(points, fit, margin)).toEqual([]);
      }),
      { numRuns: 40, seed: 9 },
    );
  });

  it("leaves no row higher than it must be: one step lower fails some job", async () => {
    await fc.assert(
      fc.asyncProperty(boards, async (b) => {
        const points = pointsOn(b);
        const fit = await fitIntrinsicMinimax([{ board: "synthetic", points }], 1.25);
        const lower: IntrinsicFit[] = [];
        for (const [part, row] of Object.entries(fit.intrinsic)) {
          if ((row.per ?? 0) > 0) lower.push({ ...fit, intrinsic: { ...fit.intrinsic, [part]: { ...row, per: row.per! - 1 } } });
          if (part === "JOB" && row.base >= 10) lower.push({ ...fit, intrinsic: { ...fit.intrinsic, JOB: { ...row, base: row.base - 10 } } });
        }
        if (fit.rehash.base > 0) lower.push({ ...fit, rehash: { ...fit.rehash, base: fit.rehash.base - 1 } });
        if ((fit.rehash.per ?? 0) > 0) lower.push({ ...fit, rehash: { ...fit.rehash, per: fit.rehash.per! - 1 } });
        for (const l of lower) expect(failures(points, l, 1.25).length, JSON.stringify(l)).toBeGreaterThan(0);
      }),
      { numRuns: 10, seed: 11 },
    );
  });
});
