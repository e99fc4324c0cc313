/**
 * The calibration solver and the proposed table: known per-term costs are
 * recovered from synthetic measurements (directly, and end to end through
 * `calibrate` on a synthetic board), and the proposed table is sound
 * (≥ measured × margin at every measured point) and keeps every v1 cost key
 * with its structure.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { buildMicrobenches, COST_KEYS, V1_COSTS, type MicrobenchSet } from "../../src/calibrate/microbench.ts";
import { chargeOf } from "../../src/generated/opcodes.ts";
import { analyse, ceilInt, checkTable, fitSizeCost, proposeTable, solveTerms, soundnessViolations, termFindings, SolveError, type Equation } from "../../src/calibrate/solve.ts";
import { calibrate, usOf, type CalibrationResult } from "../../src/calibrate/run.ts";
import { CPI_MODELS } from "../../src/calibrate/cpi-models.ts";
import { fakeConnect, trueUnits } from "./fake-board.ts";

let set: MicrobenchSet;
beforeAll(async () => {
  set = await buildMicrobenches({ k: 16 });
}, 60_000);

/** A deterministic "true" cost per term. */
function truth(terms: string[]): Record<string, number> {
  return Object.fromEntries(terms.map((t, i) => [t, 10 + ((i * 7919) % 1000) + (t.length % 7) / 8]));
}

describe("solveTerms", () => {
  it("recovers known per-term costs exactly from synthetic measurements of every benchmark", () => {
    const x = truth(Object.keys(set.terms));
    const overhead = 54_000;
    const eqs = set.benches.map((b) => {
      const work = overhead + Object.entries(b.counts).reduce((s, [t, c]) => s + c * x[t], 0);
      return { id: b.id, counts: b.counts, y: work - overhead };
    });
    const { values, residuals } = solveTerms(eqs);
    for (const [t, v] of Object.entries(x)) expect(values[t], t).toBeCloseTo(v, 6);
    for (const r of Object.values(residuals)) expect(Math.abs(r)).toBeLessThan(1e-6);
  });

  it("averages repeated noisy benchmarks of one term", () => {
    const eqs: Equation[] = [
      { id: "push", counts: { PUSH: 100 }, y: 100 * 40 },
      { id: "pop", counts: { PUSH: 50, POP: 50 }, y: 50 * 40 + 50 * 10 + 30 },
      { id: "pop2", counts: { PUSH: 50, POP: 50 }, y: 50 * 40 + 50 * 10 - 30 },
    ];
    const { values } = solveTerms(eqs);
    expect(values.PUSH).toBeCloseTo(40, 9);
    expect(values.POP).toBeCloseTo(10, 9);
  });

  it("names a term the benchmarks cannot separate", () => {
    expect(() => solveTerms([{ id: "pair", counts: { CALL: 8, RET: 8 }, y: 100 }])).toThrow(SolveError);
  });
});

describe("analysis and the proposed table", () => {
  const margin = 1.25;
  const toUs = (u: number) => u / 100;
  const units = () => {
    const x = truth(Object.keys(set.terms));
    return Object.fromEntries(Object.entries(x).map(([t, v]) => [t, t.startsWith("VERIFY") || t.startsWith("HASH@8192") ? v * 1000 : v]));
  };

  it("flags ratio > 1 as unsound and reports the spread", () => {
    const terms = termFindings(set.terms, units(), toUs);
    const f = analyse(COST_KEYS, V1_COSTS, terms);
    for (const k of f.keys) {
      expect(k.measured, k.key).toBe(true);
      expect(k.unsound).toBe((k.ratio ?? 0) > 1);
      expect(k.ratio).toBeCloseTo(Math.max(...k.terms.map((t) => t.ratio)), 12);
    }
    expect(f.unsound).toContain("VERIFY_SIG");
    const ratios = f.keys.map((k) => k.ratio!).filter((r) => r > 0);
    expect(f.spread!.value).toBeCloseTo(Math.max(...ratios) / Math.min(...ratios), 9);
  });

  it("is sound (≥ measured × margin), integral, ≥ 1 and keeps every cost key and its structure", () => {
    const terms = termFindings(set.terms, units(), toUs);
    const f = analyse(COST_KEYS, V1_COSTS, terms);
    const entry = proposeTable(V1_COSTS, f, margin, "test");
    expect(entry.status).toBe("proposed");
    expect(entry.basedOn).toBe("v1");
    expect(entry.margin).toBe(margin);
    expect(Object.keys(entry.costs)).toEqual(Object.keys(V1_COSTS));
    for (const [key, c] of Object.entries(entry.costs)) {
      const v1 = V1_COSTS[key];
      expect(Object.keys(c).sort(), key).toEqual(Object.keys(v1).sort());
      expect(c.unit).toBe(v1.unit);
      expect(c.of).toBe(v1.of);
      for (const v of [c.base, c.per].filter((x) => x !== undefined)) {
        expect(Number.isInteger(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(1);
      }
    }
    expect(soundnessViolations(entry.costs, terms, margin)).toEqual([]);
    for (const t of terms) expect(chargeOf(entry.costs[t.key], t.n ?? 0) + 1e-9, t.term).toBeGreaterThanOrEqual(margin * t.us);
  });

  it("fits a size cost that follows the steepest recent slope and covers every point", () => {
    const v1 = { base: 500, per: 10, unit: 64, of: "len" };
    // 25 µs + 0.6 µs per byte: 38.4 µs per 64-byte unit.
    const pts = [0, 64, 1024, 8192].map((n) => ({ n, us: 25 + 0.6 * n }));
    const c = fitSizeCost(v1, pts, 1.25);
    expect(c.per).toBe(ceilInt(1.25 * 38.4));
    for (const p of pts) expect(chargeOf(c, p.n)).toBeGreaterThanOrEqual(1.25 * p.us);
    // Extrapolates soundly past the largest measured size.
    expect(chargeOf(c, 32768)).toBeGreaterThanOrEqual(1.25 * (25 + 0.6 * 32768));
  });

  it("keeps unmeasured keys from v1 and says so", () => {
    const some = termFindings(
      Object.fromEntries(Object.entries(set.terms).filter(([, t]) => t.key === "ADD")),
      units(),
      toUs,
    );
    const entry = proposeTable(V1_COSTS, analyse(COST_KEYS, V1_COSTS, some), margin, "partial");
    expect(entry.costs.HASH).toEqual(V1_COSTS.HASH);
    expect(entry.doc).toMatch(/Not measured in this run, kept from v1: .*HASH/);
  });
});

describe("calibrate end to end on a synthetic board", () => {
  let r: CalibrationResult;
  beforeAll(async () => {
    r = await calibrate({ board: "qemu-rv32", repeat: 2, k: 8, connect: fakeConnect() });
  }, 60_000);

  it("recovers the synthetic board's cost of every term", () => {
    const model = CPI_MODELS["qemu-rv32"];
    expect(r.estimates).toBe(true);
    expect(r.basis.cpi).toBe(model.cpi);
    for (const t of r.terms) {
      const info = r.benches.find((b) => b.term === t.term)!;
      expect(info).toBeDefined();
      const pushLen = t.key === "PUSH" ? Number(t.variant!.slice(3)) : undefined;
      expect(t.units, t.term).toBeCloseTo(trueUnits(t.charged, pushLen), 6);
      expect(t.us).toBeCloseTo(usOf(t.units, r.basis), 9);
    }
  });

  it("writes a sound proposed table for every cost key", () => {
    expect(r.proposed.violations).toEqual([]);
    expect(Object.keys(r.proposed.entry.costs)).toEqual(COST_KEYS);
    expect(r.proposed.entry.doc).toMatch(/ESTIMATES/);
    expect(r.findings.spread).toBeDefined();
  });
});

describe("checkTable (mhr calibrate --check)", () => {
  const term = (key: string, us: number, n?: number) => ({ term: n === undefined ? key : `${key}@${n}`, key, ...(n !== undefined ? { n } : {}), units: us, us, charged: 0, ratio: 0 });
  it("lists each key measured above the named table's charge once, worst term first", () => {
    const table = { ADD: { base: 1 }, HASH: { base: 500, per: 10, unit: 64, of: "len" } };
    const terms = [term("ADD", 0.5), term("HASH", 400, 64), term("HASH", 1200, 4096), term("HASH", 2000, 8192), term("DIV", 2)];
    const c = checkTable("t", table, terms);
    expect(c.terms).toBe(5);
    expect(c.unsound.map((u) => u.key)).toEqual(["DIV", "HASH"]); // DIV unpriced: ratio ∞
    expect(c.unsound[1]).toMatchObject({ term: "HASH@8192", charged: 500 + 10 * 128 });
    expect(checkTable("t", { ...table, DIV: { base: 2 } }, [terms[0], terms[1], terms[4]]).unsound).toEqual([]);
  });
});
