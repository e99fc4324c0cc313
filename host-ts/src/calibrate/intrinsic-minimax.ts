/**
 * The intrinsic and rehash rows (SPEC §8, §8.2) fitted as one problem: the
 * whole-number rows that charge every per-job job on every measured board
 * at least margin × its time, and each dirty job's rehash at least its extra
 * time over its clean twin, with the largest ratio of a job's charge to its
 * time on the board where it is slowest as small as it can be; among those,
 * the smallest sum of the ratios. Charges are whole cycles per whole unit
 * (SPEC §10's `base + per × ceil(n / unit)`), so this is a mixed-integer
 * program, solved by HiGHS.
 *
 * Why not one part at a time (fitIntrinsic): each part's rate was the worst
 * any of its jobs showed and the base what every job still needed, so the
 * smallest jobs carried every part's rounding and the rehash base carried the
 * store that makes a job dirty, and the most over-charged job (state-1-dirty)
 * came to 1.56 × its time on qemu-lx106; the joint fit trades the parts
 * against each other.
 */
import * as highsModule from "highs";
import { INTRINSIC_PARTS } from "../spec/table-schema.ts";
import { DEFAULT_COST_TABLE, chargeOf, intrinsicOf, rehashOf, type Cost } from "../generated/opcodes.ts";
import { UNITS, type IntrinsicFit, type IntrinsicPoint, type Part } from "./intrinsic.ts";

// The package is CommonJS with an ES build: its types see the CommonJS side, whose default is the loader.
const highsLoader = (highsModule as unknown as { default: typeof import("highs").default }).default;

/** One board's per-job points. */
export interface BoardPoints { readonly board: string; readonly points: readonly IntrinsicPoint[] }

const PARTS = Object.keys(UNITS) as Part[];
/** The measure each part counts. */
const MEASURE: Record<Part, keyof IntrinsicPoint["measure"]> = {
  JOB: "jobBytes", "JOB.code": "codeBytes", "JOB.instructions": "instructions", "JOB.entries": "entries", "JOB.state": "stateSize", "JOB.memory": "maxMemory",
};
/** Variables: the JOB base in tens (two significant digits for a base of 100..999), each part's per, the rehash base and per. */
const VARS = ["jb", ...PARTS.map((_, i) => `p${i}`), "rb", "rp"] as const;

interface Row { id: string; board: string; coef: number[]; fixed: number; us: number; slowest: number; extra?: number }

/** Solves the program; `table` is the one the points were charged under (its instructions' charges stay). */
export async function fitIntrinsicMinimax(boards: readonly BoardPoints[], margin: number, table = DEFAULT_COST_TABLE): Promise<IntrinsicFit> {
  const rows: Row[] = [];
  const slowest = new Map<string, number>();
  for (const b of boards) for (const p of b.points) if (p.fit) slowest.set(p.id, Math.max(slowest.get(p.id) ?? 0, p.us));
  for (const b of boards) {
    const byId = new Map(b.points.map((p) => [p.id, p]));
    for (const p of b.points.filter((x) => x.fit)) {
      const dirty = p.finalEntries !== undefined;
      const coef = [10, ...PARTS.map((part) => Math.ceil(p.measure[MEASURE[part]] / UNITS[part])), dirty ? 1 : 0, dirty ? p.finalEntries! : 0];
      // What the job's instructions are charged: its whole charge less the rows being fitted.
      const fixed = p.charged[table] - intrinsicOf(table, p.measure) - (dirty ? rehashOf(table, p.finalEntries!) : 0);
      const twin = p.cleanTwin !== undefined ? byId.get(p.cleanTwin) : undefined;
      rows.push({ id: p.id, board: b.board, coef, fixed, us: p.us, slowest: slowest.get(p.id)!, ...(twin ? { extra: Math.max(0, p.us - twin.us) } : {}) });
    }
  }
  if (!rows.length) throw new Error("fitIntrinsicMinimax: no per-job points to fit");
  const highs = await highsLoader();
  const term = (coef: readonly number[]) => coef.map((c, i) => (c !== 0 ? ` + ${c} ${VARS[i]}` : "")).join("") || " 0 jb";
  const constraints: string[] = [];
  rows.forEach((r, i) => {
    // charge >= margin × time; the rehash alone >= what the rehash took.
    constraints.push(` m${i}:${term(r.coef)} >= ${margin * r.us - r.fixed}`);
    if (r.extra !== undefined) constraints.push(` h${i}: ${r.coef[VARS.length - 1]} rp + rb >= ${r.extra}`);
  });
  const solve = (objective: string, extra: string[]): number[] => {
    const lp = ["Minimize", ` obj: ${objective}`, "Subject To", ...constraints, ...extra, "Bounds", ...VARS.map((v) => ` ${v} >= 0`), " t >= 0", "General", ` ${VARS.join(" ")}`, "End"].join("\n");
    const s = highs.solve(lp, { mip_rel_gap: 0 });
    if (s.Status !== "Optimal") throw new Error(`fitIntrinsicMinimax: HiGHS says ${s.Status}`);
    return VARS.map((v) => Math.round(s.Columns[v]?.Primal ?? 0));
  };
  // Stage 1: the smallest largest ratio t (charge <= t × the slowest board's time).
  const ratioRows = rows.map((r, i) => ` r${i}:${term(r.coef)} - ${r.slowest} t <= ${-r.fixed}`);
  const first = solve("t", ratioRows);
  const ratioOf = (x: readonly number[], r: Row) => (r.fixed + r.coef.reduce((s, c, i) => s + c * x[i], 0)) / r.slowest;
  const tMax = Math.max(...rows.map((r) => ratioOf(first, r)));
  // Stage 2: at that largest ratio, the smallest sum of ratios (the objective's constant part left out).
  const weights = VARS.map((_, i) => rows.reduce((s, r) => s + r.coef[i] / r.slowest, 0));
  const cap = rows.map((r, i) => ` s${i}:${term(r.coef)} <= ${tMax * r.slowest - r.fixed + 1e-6}`);
  const x = solve(term(weights), cap);
  const intrinsic = Object.fromEntries(PARTS.map((part, i) => [part, { base: part === "JOB" ? 10 * x[0] : 0, per: x[1 + i], unit: UNITS[part], of: INTRINSIC_PARTS[part] }])) as Record<Part, Cost>;
  const rehash: Cost = { base: x[VARS.length - 2], per: x[VARS.length - 1], unit: 1, of: "entries" };
  // The program's answer is sound by its constraints; recheck it with the charge formula itself.
  for (const r of rows) {
    const p = boards.find((b) => b.board === r.board)!.points.find((q) => q.id === r.id)!;
    const charge = r.fixed + Object.entries(intrinsic).reduce((s, [part, c]) => s + chargeOf(c, p.measure[MEASURE[part as Part]]), 0) + (p.finalEntries !== undefined ? chargeOf(rehash, p.finalEntries) : 0);
    if (charge + 1e-6 < margin * r.us) throw new Error(`fitIntrinsicMinimax: ${r.board} ${r.id} charged ${charge} < ${margin} × ${r.us}`);
  }
  return { intrinsic, rehash };
}
