/**
 * From benchmark measurements to per-instruction costs, soundness findings
 * and a proposed cost table.
 *
 * 1. solveTerms: each benchmark says Σ count[term] × cost[term] = Δ (the
 *    measured difference work − base). With one new term per benchmark the
 *    system is triangular and the least-squares solution is the exact
 *    sequential one (PUSH from K PUSHes, POP from K×(PUSH, POP), …); extra
 *    benchmarks of a term are averaged.
 * 2. analyse: a term's time in µs against its v1 charge (1 cycle = 1 µs on
 *    the reference platform); a cost key's ratio is the worst of its terms.
 * 3. proposeTable: the smallest integer table with the v1 structure that
 *    charges every measured term at least margin × its measured time.
 */
import { chargeOf, type Cost } from "../generated/opcodes.ts";
import type { CompactionPerExecution, IndexPerExecution, TermInfo } from "./microbench.ts";

export interface Equation {
  id: string;
  counts: Readonly<Record<string, number>>;
  /** Measured difference (board units: cycles or instructions). */
  y: number;
}

export class SolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SolveError";
  }
}

export interface Solution {
  values: Record<string, number>;
  /** y − Σ counts × values, per equation id (0 for an exactly determined system). */
  residuals: Record<string, number>;
}

/** Least squares over all equations (normal equations, Gaussian elimination with partial pivoting). */
export function solveTerms(equations: readonly Equation[]): Solution {
  const names: string[] = [];
  const index = new Map<string, number>();
  for (const e of equations) {
    for (const t of Object.keys(e.counts)) {
      if (!index.has(t)) {
        index.set(t, names.length);
        names.push(t);
      }
    }
  }
  const n = names.length;
  const ata = Array.from({ length: n }, () => new Float64Array(n));
  const aty = new Float64Array(n);
  for (const e of equations) {
    const row = Object.entries(e.counts).map(([t, c]) => [index.get(t)!, c] as const);
    for (const [i, ci] of row) {
      aty[i] += ci * e.y;
      for (const [j, cj] of row) ata[i][j] += ci * cj;
    }
  }
  // Scale-aware singularity threshold.
  let maxDiag = 0;
  for (let i = 0; i < n; i++) maxDiag = Math.max(maxDiag, Math.abs(ata[i][i]));
  const eps = 1e-12 * Math.max(1, maxDiag);
  const x = new Float64Array(n);
  const perm = Array.from({ length: n }, (_, i) => i);
  const a = ata.map((r) => Float64Array.from(r));
  const b = Float64Array.from(aty);
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
    if (Math.abs(a[piv][col]) <= eps) {
      throw new SolveError(`the benchmarks do not determine term ${names[perm[col]] ?? names[col]}: add a benchmark that isolates it`);
    }
    if (piv !== col) {
      [a[piv], a[col]] = [a[col], a[piv]];
      [b[piv], b[col]] = [b[col], b[piv]];
      [perm[piv], perm[col]] = [perm[col], perm[piv]];
    }
    for (let r = col + 1; r < n; r++) {
      const f = a[r][col] / a[col][col];
      if (f === 0) continue;
      for (let c = col; c < n; c++) a[r][c] -= f * a[col][c];
      b[r] -= f * b[col];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let c = r + 1; c < n; c++) s -= a[r][c] * x[c];
    x[r] = s / a[r][r];
  }
  const values: Record<string, number> = {};
  for (let i = 0; i < n; i++) values[names[i]] = x[i];
  const residuals: Record<string, number> = {};
  for (const e of equations) {
    let s = e.y;
    for (const [t, c] of Object.entries(e.counts)) s -= c * values[t];
    residuals[e.id] = s;
  }
  return { values, residuals };
}

// ---- findings --------------------------------------------------------------------------

export interface TermFinding {
  term: string;
  key: string;
  n?: number;
  variant?: string;
  /** Solved cost in board units (cycles or instructions). */
  units: number;
  /** Time in µs (an estimate on virtual boards). */
  us: number;
  /** v1 charge for one execution, in cycles (= µs on the reference platform). */
  charged: number;
  ratio: number;
  /** The compaction work of one execution (SPEC §9.7): priced by its key plus a table's compaction rows. */
  compaction?: CompactionPerExecution;
  /** The index slots one execution moves (SPEC §9.7): priced by its key plus a table's indexMove row. */
  index?: IndexPerExecution;
}

export interface KeyFinding {
  key: string;
  v1: Cost;
  measured: boolean;
  /** The term with the largest ratio (the binding one for soundness). */
  worstTerm?: string;
  /** That term's time and charge. */
  us?: number;
  charged?: number;
  /** max over the key's terms of us / charged. */
  ratio?: number;
  unsound: boolean;
  terms: TermFinding[];
}

export interface Spread { value: number; max: { key: string; ratio: number }; min: { key: string; ratio: number } }

export interface Findings {
  keys: KeyFinding[];
  unsound: string[];
  spread?: Spread;
}

export function termFindings(terms: Readonly<Record<string, TermInfo>>, units: Readonly<Record<string, number>>, toUs: (u: number) => number): TermFinding[] {
  return Object.values(terms).map((t) => {
    const u = units[t.term];
    if (u === undefined) throw new SolveError(`no solved value for term ${t.term}`);
    // A term can come out below zero (HALT costs less than the trap ending it is measured against):
    // it then costs nothing to charge for; `units` keeps the raw solution.
    const us = Math.max(0, toUs(u));
    return {
      term: t.term,
      key: t.key,
      ...(t.n !== undefined ? { n: t.n } : {}),
      ...(t.variant !== undefined ? { variant: t.variant } : {}),
      units: u,
      us,
      charged: t.charged,
      ratio: t.charged > 0 ? us / t.charged : Number.POSITIVE_INFINITY,
      ...(t.compaction !== undefined ? { compaction: t.compaction } : {}),
      ...(t.index !== undefined ? { index: t.index } : {}),
    };
  });
}

export function analyse(costKeys: readonly string[], v1: Readonly<Record<string, Cost>>, termList: readonly TermFinding[]): Findings {
  const keys: KeyFinding[] = costKeys.map((key) => {
    // Compacting terms are priced by the key's cost plus the compaction rows (checkTable), not by the key's own cost alone.
    const ts = termList.filter((t) => t.key === key && t.compaction === undefined).sort((a, b) => (a.n ?? -1) - (b.n ?? -1) || (a.variant ?? "").localeCompare(b.variant ?? ""));
    if (!ts.length) return { key, v1: v1[key], measured: false, unsound: false, terms: [] };
    const worst = ts.reduce((w, t) => (t.ratio > w.ratio ? t : w));
    return { key, v1: v1[key], measured: true, worstTerm: worst.term, us: worst.us, charged: worst.charged, ratio: worst.ratio, unsound: worst.ratio > 1, terms: ts };
  });
  const measured = keys.filter((k) => k.measured && k.ratio !== undefined && Number.isFinite(k.ratio) && k.ratio > 0);
  const findings: Findings = { keys, unsound: keys.filter((k) => k.unsound).map((k) => k.key) };
  const spread = spreadOver(measured.map((k) => [k.key, k.ratio!]));
  if (spread) findings.spread = spread;
  return findings;
}

/** Max / min over per-key ratios (undefined when there are none). */
function spreadOver(ratios: readonly (readonly [string, number])[]): Spread | undefined {
  if (!ratios.length) return undefined;
  const max = ratios.reduce((a, b) => (b[1] > a[1] ? b : a));
  const min = ratios.reduce((a, b) => (b[1] < a[1] ? b : a));
  return { value: max[1] / min[1], max: { key: max[0], ratio: max[1] }, min: { key: min[0], ratio: min[1] } };
}

// ---- proposed table ----------------------------------------------------------------------

/** A costTables entry of spec/opcodes.json. */
export interface CostTableEntry {
  status: "proposed";
  doc: string;
  basedOn: string;
  margin: number;
  costs: Record<string, Cost>;
  /** The proposed intrinsic charge (SPEC §8), from the per-job work jobs. */
  intrinsic?: Record<string, Cost>;
  /** The proposed rehash charge (SPEC §8.2), from the per-job jobs that change the state. */
  rehash?: Cost;
}

/** Integer ceiling that ignores floating-point dust (2.0000000001 → 2). */
export function ceilInt(x: number): number {
  return Math.ceil(x - 1e-9);
}

export interface SizePoint {
  n: number;
  us: number;
}

/**
 * Fits `base + per × ceil(n / unit)` above margin × the measured points.
 * The slope is the larger of the least-squares slope over all points and the
 * slope between the two largest sizes (so extrapolation past the largest
 * measured size follows the steepest recent growth); the base is then the
 * least integer that covers every point.
 */
export function fitSizeCost(v1: Cost, points: readonly SizePoint[], margin: number): Cost {
  const unit = v1.unit!;
  const worstAt = new Map<number, number>();
  for (const p of points) {
    const u = Math.ceil(p.n / unit);
    worstAt.set(u, Math.max(worstAt.get(u) ?? Number.NEGATIVE_INFINITY, p.us));
  }
  const pts = [...worstAt].map(([u, us]) => ({ u, us })).sort((a, b) => a.u - b.u);
  let slope: number;
  if (pts.length >= 2) {
    const mu = pts.reduce((s, p) => s + p.u, 0) / pts.length;
    const mt = pts.reduce((s, p) => s + p.us, 0) / pts.length;
    const sxx = pts.reduce((s, p) => s + (p.u - mu) ** 2, 0);
    const sxy = pts.reduce((s, p) => s + (p.u - mu) * (p.us - mt), 0);
    const ls = sxx > 0 ? sxy / sxx : 0;
    const [p1, p2] = pts.slice(-2);
    const tail = (p2.us - p1.us) / (p2.u - p1.u);
    slope = Math.max(ls, tail, 0);
  } else {
    // One size only: the slope cannot be measured; keep the v1 slope.
    slope = (v1.per ?? 0) / margin;
  }
  const per = Math.max(1, ceilInt(margin * slope));
  const base = Math.max(1, ...pts.map((p) => ceilInt(margin * p.us - per * p.u)));
  return { base, per, unit, of: v1.of! };
}

/**
 * The proposed table: every v1 key in v1 order. Fixed costs become
 * ceil(margin × the worst measured term) (at least 1); size-dependent ones
 * are fitted by fitSizeCost with v1's unit and *of*. Keys that were not
 * measured keep their v1 cost (and the doc says so).
 */
export function proposeTable(v1: Readonly<Record<string, Cost>>, findings: Findings, margin: number, doc: string, basedOn = "v1", indexTable?: string): CostTableEntry {
  const costs: Record<string, Cost> = {};
  // A term's index moves are paid by the indexMove row of the table the proposal is for (fitted by hand): the key covers the rest.
  const own = (t: TermFinding) => Math.max(0, t.us - (indexTable !== undefined ? (t.index?.charged[indexTable] ?? 0) / margin : 0));
  const unmeasured: string[] = [];
  for (const [key, c] of Object.entries(v1)) {
    const f = findings.keys.find((k) => k.key === key);
    if (!f || !f.measured) {
      costs[key] = { ...c };
      unmeasured.push(key);
      continue;
    }
    if (c.per !== undefined && c.unit !== undefined) {
      costs[key] = fitSizeCost(c, f.terms.map((t) => ({ n: t.n ?? 0, us: own(t) })), margin);
    } else {
      const worst = Math.max(...f.terms.map(own));
      costs[key] = { base: Math.max(1, ceilInt(margin * worst)) };
    }
  }
  const note = unmeasured.length ? ` Not measured in this run, kept from ${basedOn}: ${unmeasured.join(", ")}.` : "";
  return { status: "proposed", doc: doc + note, basedOn, margin, costs };
}

/** Every measured term charged below margin × its time under `table` (empty when sound). */
export function soundnessViolations(table: Readonly<Record<string, Cost>>, terms: readonly TermFinding[], margin: number, indexTable?: string): string[] {
  const out: string[] = [];
  for (const t of terms) {
    if (t.compaction !== undefined) continue;
    const c = table[t.key];
    if (!c) {
      out.push(`${t.term}: no cost for ${t.key}`);
      continue;
    }
    const charged = chargeOf(c, t.n ?? 0) + (indexTable !== undefined ? (t.index?.charged[indexTable] ?? 0) : 0);
    if (charged + 1e-9 < margin * t.us) out.push(`${t.term}: charged ${charged} < ${margin} × ${t.us.toFixed(3)} µs`);
  }
  return out;
}

// ---- soundness check of a table (`mhr calibrate --check TABLE`) ----------------------------

/** A cost key whose worst measured term takes longer than the table charges (1 cycle = 1 µs). */
export interface UnsoundKey {
  key: string;
  term: string;
  us: number;
  charged: number;
  ratio: number;
}

/** The table's verdict on the measured terms: the unsound keys, worst ratio first. */
export interface TableCheck {
  table: string;
  /** Measured terms checked. */
  terms: number;
  unsound: UnsoundKey[];
  /**
   * Per cost key the worst ratio of time to charge over its measured terms, and
   * the spread between the most and the least over-charged keys (max / min;
   * terms that took no time and compacting terms left out, as in analyse).
   */
  spread?: Spread;
  /** The per-job work jobs charged under the table (intrinsic charge plus their instructions). */
  jobs?: { checked: number; unsound: { id: string; us: number; charged: number }[]; minRatio: number; maxRatio: number };
}

/**
 * Charges every measured term under `table` (at the term's size; a compacting
 * term also pays the table's compaction rows for its work, and a term that
 * moves index slots its indexMove row, SPEC §9.7) and keeps,
 * per cost key, the worst term measured above its charge. A key the table
 * does not price counts as unsound with charge 0.
 */
export function checkTable(name: string, table: Readonly<Record<string, Cost>>, terms: readonly TermFinding[]): TableCheck {
  const worst = new Map<string, UnsoundKey>();
  for (const t of terms) {
    const c = table[t.key];
    const charged = (c ? chargeOf(c, t.n ?? 0) : 0) + (t.compaction?.charged[name] ?? 0) + (t.index?.charged[name] ?? 0);
    if (t.us <= charged + 1e-9) continue;
    const ratio = charged > 0 ? t.us / charged : Number.POSITIVE_INFINITY;
    const seen = worst.get(t.key);
    if (!seen || ratio > seen.ratio) worst.set(t.key, { key: t.key, term: t.term, us: t.us, charged, ratio });
  }
  const spread = spreadOf(name, table, terms);
  return { table: name, terms: terms.length, unsound: [...worst.values()].sort((a, b) => b.ratio - a.ratio), ...(spread ? { spread } : {}) };
}

/** The spread of a table over the measured terms (TableCheck.spread). */
function spreadOf(name: string, table: Readonly<Record<string, Cost>>, terms: readonly TermFinding[]): Spread | undefined {
  const byKey = new Map<string, number>();
  for (const t of terms) {
    const c = table[t.key];
    if (t.compaction !== undefined || !c || t.us <= 0) continue;
    const r = t.us / (chargeOf(c, t.n ?? 0) + (t.index?.charged[name] ?? 0));
    if (r > (byKey.get(t.key) ?? 0)) byKey.set(t.key, r);
  }
  return spreadOver([...byKey]);
}

/** One line per unsound key, for the terminal. */
export function checkSummary(check: TableCheck, board: string): string {
  const head = `check ${check.table} on ${board}: ${check.terms} measured terms, `;
  const j = check.jobs;
  const jobsLine = j === undefined ? "" : j.unsound.length
    ? `\n  per-job work: ${j.unsound.length} of ${j.checked} jobs charged below their time: ${j.unsound.map((u) => `${u.id} ${u.us.toFixed(0)} µs > ${u.charged} cycles`).join(", ")}`
    : `\n  per-job work: ${j.checked} jobs, each charged ${j.minRatio.toFixed(2)}–${j.maxRatio.toFixed(2)} × its time`;
  const sp = check.spread;
  const spreadLine = sp ? `\n  spread: ${sp.value.toFixed(1)}× (least over-charged ${sp.max.key} at ${sp.max.ratio.toFixed(3)} of its charge, most ${sp.min.key} at ${sp.min.ratio.toFixed(3)})` : "";
  if (!check.unsound.length) return `${head}every key sound (measured ≤ charged at 1 cycle = 1 µs)${spreadLine}${jobsLine}`;
  const lines = check.unsound.map((u) => `  ${u.key.padEnd(12)} ${u.term}: ${u.us.toFixed(2)} µs > ${u.charged} cycles (ratio ${Number.isFinite(u.ratio) ? u.ratio.toFixed(2) : "∞"})`);
  return `${head}${check.unsound.length} unsound key(s): ${check.unsound.map((u) => u.key).join(", ")}\n${lines.join("\n")}${spreadLine}${jobsLine}`;
}
