/**
 * The per-job work fit (fitIntrinsic): on the real per-job jobs, timed by a
 * synthetic board whose cost per job byte, code byte, instruction, entry,
 * state byte and memory KiB is drawn at random, and whose final-state walk
 * costs more per entry for bigger entries (as on qemu-lx106), every job the
 * fit uses is charged at least margin × its time by the proposed rows, and
 * each dirty job's rehash row covers at least what the rehash took.
 */
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { chargeOf } from "../../src/generated/opcodes.ts";
import { chargeRows, fitIntrinsic, intrinsicJobs, type IntrinsicJob, type IntrinsicPoint } from "../../src/calibrate/intrinsic.ts";

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

describe("fitIntrinsic", () => {
  it("charges every fitted job margin × its time, and every dirty job's rehash at least its time", () => {
    fc.assert(
      fc.property(boards, fc.constantFrom(1, 1.25, 1.5), (b, margin) => {
        const points = pointsOn(b);
        const fit = fitIntrinsic(points, margin);
        const byId = new Map(points.map((p) => [p.id, p]));
        for (const p of points.filter((x) => x.fit)) {
          const rehash = p.finalEntries !== undefined ? chargeOf(fit.rehash, p.finalEntries) : 0;
          expect(chargeRows(fit.intrinsic, p.measure) + rehash, p.id).toBeGreaterThanOrEqual(margin * p.us * (1 - 1e-9));
          if (p.cleanTwin) expect(rehash, `${p.id} rehash`).toBeGreaterThanOrEqual((p.us - byId.get(p.cleanTwin)!.us) * (1 - 1e-9));
        }
      }),
      { numRuns: 40, seed: 9 },
    );
  });
});
