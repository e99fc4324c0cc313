/**
 * Calibration outputs: the terminal table, the self-contained HTML report
 * (inline CSS and SVG, no scripts, fonts or network), and the files written
 * to the output directory.
 */
import { writeFileSync } from "node:fs";
import { makeOutputDir } from "../model/output-dir.ts";
import { join } from "node:path";
import { COST_TABLES, chargeOf, type Cost } from "../generated/opcodes.ts";
import type { CalibrationResult } from "./run.ts";
import type { CostTableEntry, KeyFinding, TermFinding } from "./solve.ts";

// ---- formatting -------------------------------------------------------------------------

export function fmtCost(c: Cost | undefined): string {
  if (!c) return "—";
  if (c.per === undefined || c.unit === undefined) return String(c.base);
  return `${c.base} + ${c.per}/${c.unit} B of ${c.of}`;
}

export function fmtUs(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  if (Math.abs(x) < 1) return x.toFixed(3);
  if (Math.abs(x) < 100) return x.toFixed(2);
  return Math.round(x).toLocaleString("en-US");
}

export function fmtRatio(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  if (x < 0.01) return x.toExponential(1);
  if (x < 10) return x.toFixed(3);
  return x.toFixed(1);
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

// ---- terminal ---------------------------------------------------------------------------

/** The per-key table printed by `mhr calibrate`. */
export function terminalTable(r: CalibrationResult): string {
  const head = ["cost key", "v1 cost", "worst case measured", r.estimates ? "µs (EST.)" : "µs", "charged", "ratio", "verdict", "proposed"];
  const rows = r.findings.keys.map((k) => [
    k.key,
    fmtCost(k.v1),
    k.worstTerm ?? "(not measured)",
    fmtUs(k.us),
    k.charged === undefined ? "—" : String(k.charged),
    fmtRatio(k.ratio),
    !k.measured ? "" : k.unsound ? "UNSOUND" : "ok",
    fmtCost(r.proposed.entry.costs[k.key]),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const right = new Set([3, 4, 5]);
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ").trimEnd();
  const out = [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
  return out.join("\n");
}

/** A few lines under the table: the estimate label, the unsound list, the spread, the overhead. */
export function terminalSummary(r: CalibrationResult): string {
  const f = r.findings;
  const lines: string[] = [];
  lines.push(r.estimates ? `ESTIMATES (virtual board): ${r.basis.description}` : `measured: ${r.basis.description}`);
  lines.push(`unsound under v1 (ratio > 1: a contract can make the node work longer than it pays for): ${f.unsound.length ? f.unsound.join(", ") : "none"}`);
  if (f.spread) lines.push(`spread: ${fmtRatio(f.spread.value)}× (max ratio ${f.spread.max.key} ${fmtRatio(f.spread.max.ratio)} / min ratio ${f.spread.min.key} ${fmtRatio(f.spread.min.ratio)}: the least and the most over-charged keys)`);
  const o = r.overhead.find((x) => x.id === "minimal");
  if (o) lines.push(`per-job work: ${fmtUs(o.us)} µs for the smallest job (up to ${fmtUs(Math.max(...r.overhead.map((x) => x.us)))} µs: ${r.overhead.map((x) => `${x.id} ${fmtUs(x.us)}`).join(", ")})`);
  // The base table's spread is the line above.
  for (const c of r.checks) if (c.spread && c.table !== r.costTable) lines.push(`spread under ${c.table}: ${fmtRatio(c.spread.value)}× (${c.spread.max.key} ${fmtRatio(c.spread.max.ratio)} / ${c.spread.min.key} ${fmtRatio(c.spread.min.ratio)})`);
  for (const c of r.intrinsic?.checks ?? []) lines.push(`per-job work under ${c.table}: charged ${fmtRatio(c.minRatio)}–${fmtRatio(c.maxRatio)} × its time${c.unsound.length ? ` (UNSOUND: ${c.unsound.join(", ")})` : ""}`);
  for (const d of r.derived ?? []) {
    const v = d.checks.find((c) => c.table === "v2");
    if (v) lines.push(`v2 on ${d.id} (times × ${d.factor.toFixed(2)}${d.reference ? "" : ", below the reference clock"}): ${v.unsound.length ? `${v.unsound.length} unsound key(s) ${v.unsound.map((u) => `${u.key} ${fmtRatio(u.ratio)}`).join(", ")}` : "every key sound"}; per-job ${fmtRatio(v.jobs?.minRatio ?? 0)}–${fmtRatio(v.jobs?.maxRatio ?? 0)} × its time`);
  }
  if (r.warnings.length) lines.push(`warnings (${r.warnings.length}): ${r.warnings[0]}${r.warnings.length > 1 ? " …(see calibration.json)" : ""}`);
  lines.push(r.proposed.violations.length ? `proposed table ${r.proposed.name}: NOT SOUND at ${r.proposed.violations.length} point(s)` : `proposed table ${r.proposed.name}: sound at every measured point with margin ${r.settings.margin}`);
  return lines.join("\n");
}

// ---- SVG charts ---------------------------------------------------------------------------

const COLORS = { measured: "#2563eb", charged: "#9ca3af", proposed: "#16a34a", unsound: "#dc2626", sound: "#2563eb", grid: "#e5e7eb", axis: "#374151" };

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function tickLabel(v: number): string {
  if (v >= 1000) return `${v / 1000 >= 1000 ? `${v / 1e6}M` : `${v / 1000}k`}`;
  return String(v);
}

interface LogAxis {
  lo: number;
  hi: number;
  x: (v: number) => number;
}

function logAxis(values: number[], x0: number, width: number): LogAxis {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...pos, 1)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...pos, 1)));
  const span = Math.log10(hi) - Math.log10(lo) || 1;
  return { lo, hi, x: (v: number) => x0 + ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / span) * width };
}

function axisSvg(ax: LogAxis, top: number, bottom: number, label: string): string {
  const parts: string[] = [];
  for (const t of logTicks(ax.lo, ax.hi)) {
    const x = ax.x(t).toFixed(1);
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${x}" y="${top - 6}" text-anchor="middle" class="tick">${tickLabel(t)}</text>`);
  }
  parts.push(`<text x="${ax.x(ax.hi).toFixed(1)}" y="${top - 20}" text-anchor="end" class="axis-label">${esc(label)}</text>`);
  return parts.join("");
}

/** Horizontal grouped bars: measured (µs) vs charged (cycles = µs) per cost key, log axis. */
export function measuredVsChargedSvg(keys: KeyFinding[]): string {
  const rows = keys.filter((k) => k.measured);
  const labelW = 110;
  const plotW = 620;
  const rowH = 18;
  const top = 44;
  const height = top + rows.length * rowH + 30;
  const ax = logAxis(rows.flatMap((k) => [k.us ?? 0, k.charged ?? 0]), labelW, plotW);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-measured-charged" viewBox="0 0 ${labelW + plotW + 110} ${height}" width="${labelW + plotW + 110}" height="${height}" role="img" aria-label="measured versus charged per cost key">`];
  parts.push(axisSvg(ax, top, top + rows.length * rowH, "µs (log scale); 1 charged cycle = 1 µs"));
  rows.forEach((k, i) => {
    const y = top + i * rowH;
    const m = k.us ?? 0;
    const c = k.charged ?? 0;
    parts.push(`<text x="${labelW - 6}" y="${y + 12}" text-anchor="end" class="label">${esc(k.key)}</text>`);
    parts.push(`<rect x="${labelW}" y="${y + 2}" width="${Math.max(0.5, ax.x(m) - labelW).toFixed(1)}" height="7" fill="${k.unsound ? COLORS.unsound : COLORS.measured}"><title>${esc(`${k.worstTerm}: measured ${fmtUs(m)} µs`)}</title></rect>`);
    parts.push(`<rect x="${labelW}" y="${y + 9}" width="${Math.max(0.5, ax.x(c) - labelW).toFixed(1)}" height="7" fill="${COLORS.charged}"><title>${esc(`${k.worstTerm}: charged ${c} cycles`)}</title></rect>`);
    parts.push(`<text x="${(Math.max(ax.x(m), ax.x(c)) + 4).toFixed(1)}" y="${y + 12}" class="value">${esc(`${fmtUs(m)} / ${c}`)}</text>`);
  });
  const ly = height - 12;
  parts.push(`<rect x="${labelW}" y="${ly - 8}" width="10" height="8" fill="${COLORS.measured}"/><text x="${labelW + 14}" y="${ly}" class="tick">measured (sound)</text>`);
  parts.push(`<rect x="${labelW + 120}" y="${ly - 8}" width="10" height="8" fill="${COLORS.unsound}"/><text x="${labelW + 134}" y="${ly}" class="tick">measured (UNSOUND)</text>`);
  parts.push(`<rect x="${labelW + 260}" y="${ly - 8}" width="10" height="8" fill="${COLORS.charged}"/><text x="${labelW + 274}" y="${ly}" class="tick">charged under v1 (worst-case term)</text>`);
  parts.push("</svg>");
  return parts.join("");
}

/** Ratio measured / charged per cost key on a log axis, with the 1.0 soundness line; sorted, worst first. */
export function ratioSvg(keys: KeyFinding[]): string {
  const rows = keys.filter((k) => k.measured && (k.ratio ?? 0) > 0).sort((a, b) => (b.ratio ?? 0) - (a.ratio ?? 0));
  const labelW = 110;
  const plotW = 620;
  const rowH = 16;
  const top = 44;
  const height = top + rows.length * rowH + 16;
  const ax = logAxis(rows.map((k) => k.ratio ?? 1), labelW, plotW);
  const x1 = ax.x(1).toFixed(1);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-ratio" viewBox="0 0 ${labelW + plotW + 70} ${height}" width="${labelW + plotW + 70}" height="${height}" role="img" aria-label="ratio of measured time to charged cycles per cost key">`];
  parts.push(axisSvg(ax, top, top + rows.length * rowH, "measured µs / charged cycles (log scale)"));
  rows.forEach((k, i) => {
    const y = top + i * rowH;
    const r = k.ratio ?? 0;
    const xr = ax.x(r);
    const from = Math.min(xr, ax.x(1));
    const w = Math.max(0.5, Math.abs(xr - ax.x(1)));
    parts.push(`<text x="${labelW - 6}" y="${y + 11}" text-anchor="end" class="label">${esc(k.key)}</text>`);
    parts.push(`<rect x="${from.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="10" fill="${r > 1 ? COLORS.unsound : COLORS.sound}"><title>${esc(`${k.key}: ratio ${fmtRatio(r)} (${k.worstTerm})`)}</title></rect>`);
    parts.push(`<text x="${(Math.max(xr, ax.x(1)) + 4).toFixed(1)}" y="${y + 11}" class="value">${esc(fmtRatio(r))}</text>`);
  });
  parts.push(`<line x1="${x1}" y1="${top - 4}" x2="${x1}" y2="${top + rows.length * rowH}" stroke="${COLORS.unsound}" stroke-width="1.5" stroke-dasharray="4 3" class="soundness-line"/>`);
  parts.push(`<text x="${x1}" y="${top + rows.length * rowH + 12}" text-anchor="middle" class="tick">1.0 = charged exactly; right of it: UNSOUND</text>`);
  parts.push("</svg>");
  return parts.join("");
}

/** One small plot per size-dependent key: measured points, the v1 charge and the proposed charge against n. */
export function sizeSvg(k: KeyFinding, proposed: Cost | undefined): string {
  const pts = k.terms.filter((t) => t.n !== undefined);
  const W = 350;
  const H = 200;
  const l = 52;
  const r = 24;
  const t = 22;
  const b = 34;
  const maxN = Math.max(...pts.map((p) => p.n ?? 0), 1);
  const charge = (c: Cost | undefined, n: number) => (c ? chargeOf(c, n) : 0);
  const maxY = Math.max(...pts.map((p) => p.us), charge(k.v1, maxN), charge(proposed, maxN), 1) * 1.08;
  const X = (n: number) => l + (n / maxN) * (W - l - r);
  const Y = (v: number) => H - b - (v / maxY) * (H - t - b);
  const steps = (c: Cost | undefined) => {
    if (!c) return "";
    const d: string[] = [];
    const samples = 120;
    for (let i = 0; i <= samples; i++) {
      const n = (i / samples) * maxN;
      d.push(`${i === 0 ? "M" : "L"}${X(n).toFixed(1)},${Y(charge(c, n)).toFixed(1)}`);
    }
    return d.join("");
  };
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart size-chart" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(k.key)} cost against size">`];
  parts.push(`<text x="${l}" y="14" class="label">${esc(k.key)} (n = ${esc(k.v1.of ?? "")} bytes)</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 4) * i;
    parts.push(`<line x1="${l}" y1="${Y(v).toFixed(1)}" x2="${W - r}" y2="${Y(v).toFixed(1)}" stroke="${COLORS.grid}"/><text x="${l - 4}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(fmtUs(v))}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const n = Math.round((maxN / 4) * i);
    parts.push(`<text x="${X(n).toFixed(1)}" y="${H - b + 14}" text-anchor="middle" class="tick">${n}</text>`);
  }
  parts.push(`<text x="${(W + l) / 2}" y="${H - 6}" text-anchor="middle" class="tick">n (bytes); y: µs = cycles</text>`);
  parts.push(`<path d="${steps(k.v1)}" fill="none" stroke="${COLORS.charged}" stroke-width="2"/>`);
  parts.push(`<path d="${steps(proposed)}" fill="none" stroke="${COLORS.proposed}" stroke-width="2" stroke-dasharray="5 3"/>`);
  for (const p of pts) {
    parts.push(`<circle cx="${X(p.n ?? 0).toFixed(1)}" cy="${Y(p.us).toFixed(1)}" r="3.5" fill="${p.ratio > 1 ? COLORS.unsound : COLORS.measured}"><title>${esc(`${p.term}: ${fmtUs(p.us)} µs, charged ${p.charged}`)}</title></circle>`);
  }
  parts.push("</svg>");
  return parts.join("");
}

// ---- HTML ---------------------------------------------------------------------------------

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#111827;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.banner{background:#fef3c7;border:1px solid #f59e0b;padding:8px 12px;border-radius:6px;font-weight:600;margin:12px 0}
.banner.measured{background:#dcfce7;border-color:#16a34a}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}.card{border:1px solid #e5e7eb;border-radius:6px;padding:8px 12px;min-width:180px}
.card b{display:block;font-size:20px}.bad{color:#dc2626}.good{color:#16a34a}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border-bottom:1px solid #e5e7eb;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb}td.num{text-align:right;font-variant-numeric:tabular-nums}
.chart{max-width:100%;height:auto;display:block;margin:8px 0}.chart .label{font-size:11px;fill:#111827}.chart .tick{font-size:10px;fill:#6b7280}
.chart .value{font-size:10px;fill:#374151}.chart .axis-label{font-size:11px;fill:#374151}
.sizes{display:flex;flex-wrap:wrap;gap:8px}code{background:#f3f4f6;padding:0 3px;border-radius:3px}
details summary{cursor:pointer;color:#2563eb}pre{background:#f9fafb;border:1px solid #e5e7eb;padding:8px;overflow:auto;font-size:12px}
.muted{color:#6b7280}
`;

function table(head: string[], rows: string[][], numeric: Set<number> = new Set()): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ""}>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

function termRows(terms: TermFinding[]): string[][] {
  return terms.map((t) => [esc(t.term), esc(t.key), t.n === undefined ? "" : String(t.n), esc(t.variant ?? ""), fmtUs(t.units), fmtUs(t.us), String(t.charged), `<span class="${t.ratio > 1 ? "bad" : ""}">${esc(fmtRatio(t.ratio))}</span>`]);
}

/** Per measured key: its worst case (over all tables' verdicts), measured µs, and each table's charge and ratio there. */
function sideBySide(r: CalibrationResult): string {
  const names = Object.keys(COST_TABLES);
  const rows = r.findings.keys.filter((k) => k.measured).map((k) => {
    const worst = k.terms.reduce((w, t) => (t.us > w.us ? t : w));
    const cells = names.map((name) => {
      const c = COST_TABLES[name][k.key];
      const charged = (c ? chargeOf(c, worst.n ?? 0) : 0) + (worst.index?.charged[name] ?? 0);
      const ratio = charged > 0 ? worst.us / charged : Number.POSITIVE_INFINITY;
      const unsound = r.checks.find((x) => x.table === name)?.unsound.some((u) => u.key === k.key) ?? false;
      return `${esc(fmtCost(c))} → ${charged} <span class="${unsound ? "bad" : "good"}">(${esc(fmtRatio(ratio))})</span>`;
    });
    return [esc(k.key), esc(worst.term), fmtUs(worst.us), ...cells];
  });
  return table(["cost key", "largest case", "measured µs", ...names.map((n) => `${esc(n)}: cost → charged (ratio)`)], rows, new Set([2]));
}

export function reportHtml(r: CalibrationResult): string {
  const f = r.findings;
  const est = r.estimates;
  const unsoundKeys = f.keys.filter((k) => k.unsound).sort((a, b) => (b.ratio ?? 0) - (a.ratio ?? 0));
  const sizeKeys = f.keys.filter((k) => k.measured && k.v1.per !== undefined);
  const sig = f.keys.find((k) => k.key === "VERIFY_SIG");
  const h = r.hello;
  const parts: string[] = [];
  parts.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><title>MHR-Byte cost calibration — ${esc(r.board.name)}</title><style>${CSS}</style></head><body>`);
  parts.push(`<h1>MHR-Byte cost calibration — ${esc(r.board.name)}</h1>`);
  parts.push(`<div class="muted">${esc(r.board.description)} · ${esc(r.createdAt)} · ${r.benches.length} microbenchmarks, BENCH min of ${r.settings.repeat}, K = ${r.settings.k} · table compared: ${esc(r.costTable)} (1 cycle = 1 µs)</div>`);
  parts.push(
    est
      ? `<div class="banner" id="estimates">ESTIMATES — the times in this report are estimated from ${esc(r.basis.description)}. Confirm on a real board before adopting a table.</div>`
      : `<div class="banner measured">MEASURED — ${esc(r.basis.description)}.</div>`,
  );
  parts.push(`<div class="cards">`);
  parts.push(`<div class="card">unsound cost keys<b class="${f.unsound.length ? "bad" : "good"}">${f.unsound.length} / ${f.keys.filter((k) => k.measured).length}</b></div>`);
  if (f.spread) parts.push(`<div class="card">spread (max / min ratio)<b>${esc(fmtRatio(f.spread.value))}×</b>${esc(f.spread.max.key)} ${esc(fmtRatio(f.spread.max.ratio))} / ${esc(f.spread.min.key)} ${esc(fmtRatio(f.spread.min.ratio))}</div>`);
  if (sig?.measured) parts.push(`<div class="card">VERIFY_SIG ratio<b class="${sig.unsound ? "bad" : "good"}">${esc(fmtRatio(sig.ratio))}</b>${esc(fmtUs(sig.us))} µs vs ${sig.charged} charged</div>`);
  const min = r.overhead.find((o) => o.id === "minimal");
  if (min) parts.push(`<div class="card">uncharged per-job overhead<b>${esc(fmtUs(min.us))} µs</b>smallest job (decode, validate, hash)</div>`);
  parts.push(`<div class="card">proposed table<b class="${r.proposed.violations.length ? "bad" : "good"}">${esc(r.proposed.name)}</b>${r.proposed.violations.length ? `${r.proposed.violations.length} violations` : `sound with margin ${r.settings.margin}`}</div>`);
  parts.push(`</div>`);

  parts.push(`<h2>Unsound under v1</h2>`);
  parts.push(`<p>A cost key is <b>UNSOUND</b> when some measured case takes longer (in µs) than it is charged (in cycles, 1 cycle = 1 µs): a contract can then make a node work longer than it pays for.</p>`);
  parts.push(
    unsoundKeys.length
      ? table(["cost key", "worst case", "measured µs", "charged", "ratio", "v1", "proposed"], unsoundKeys.map((k) => [esc(k.key), esc(k.worstTerm ?? ""), fmtUs(k.us), String(k.charged), `<b class="bad">${esc(fmtRatio(k.ratio))}</b>`, esc(fmtCost(k.v1)), esc(fmtCost(r.proposed.entry.costs[k.key]))]), new Set([2, 3, 4]))
      : `<p class="good">None: every measured instruction is charged at least its time.</p>`,
  );
  if (f.spread) parts.push(`<p>Spread between the most and the least over-charged cost keys: <b>${esc(fmtRatio(f.spread.value))}×</b> (${esc(f.spread.max.key)} at ${esc(fmtRatio(f.spread.max.ratio))} against ${esc(f.spread.min.key)} at ${esc(fmtRatio(f.spread.min.ratio))}). A perfectly proportional table has a spread of 1.</p>`);

  parts.push(`<h2>Every cost table side by side</h2>`);
  parts.push(`<p>Each key's worst measured case charged under every table of <code>spec/opcodes.json</code> (1 cycle = 1 µs, no margin): ${r.checks.map((c) => `<b>${esc(c.table)}</b> ${c.unsound.length ? `<b class="bad">${c.unsound.length} unsound</b>` : `<b class="good">sound</b>`}`).join(" · ")} (<code>mhr calibrate --check TABLE</code>).</p>`);
  const spreads = r.checks.filter((c) => c.spread);
  if (spreads.length) parts.push(`<p>Spread (the least over-charged key's time / charge over the most over-charged key's): ${spreads.map((c) => `<b>${esc(c.table)}</b> ${esc(fmtRatio(c.spread!.value))}× (${esc(c.spread!.max.key)} ${esc(fmtRatio(c.spread!.max.ratio))} / ${esc(c.spread!.min.key)} ${esc(fmtRatio(c.spread!.min.ratio))})`).join(" · ")}.</p>`);
  parts.push(sideBySide(r));
  if (r.derived?.length) {
    parts.push(`<h2>Cores that run this build (ESTIMATES)</h2>`);
    parts.push(`<p>The same measurements with every time scaled by the core's CPI and clock against this board's (<code>cpi-models.ts</code> <code>DERIVED_MODELS</code>). Configurations at the reference clock must be sound; the ROM-booted images run below it and are reported only.</p>`);
    parts.push(`<table><tr><th>core</th><th>times ×</th><th>reference clock</th>${r.checks.map((c) => `<th>${esc(c.table)}: keys</th><th>${esc(c.table)}: per-job charge / time</th>`).join("")}</tr>`);
    for (const d of r.derived) {
      const cells = d.checks.map((c) => `<td>${c.unsound.length ? `<b class="bad">${c.unsound.length} unsound</b> (${esc(c.unsound.map((u) => `${u.key} ${fmtRatio(u.ratio)}`).join(", "))})` : `<b class="good">sound</b>`}</td><td>${c.jobs ? `${esc(fmtRatio(c.jobs.minRatio))}–${esc(fmtRatio(c.jobs.maxRatio))}${c.jobs.unsound.length ? ` <b class="bad">(${c.jobs.unsound.length} below)</b>` : ""}` : ""}</td>`).join("");
      parts.push(`<tr><td>${esc(d.target)}</td><td>${esc(d.factor.toFixed(2))}</td><td>${d.reference ? "yes" : "no"}</td>${cells}</tr>`);
    }
    parts.push(`</table>`);
  }
  parts.push(`<h2>Measured vs charged, per cost key</h2>`);
  parts.push(`<p class="muted">Each key's worst measured case (the term with the largest ratio) against its v1 charge for that case.</p>`);
  parts.push(measuredVsChargedSvg(f.keys));
  parts.push(`<h2>Ratio measured / charged</h2>`);
  parts.push(ratioSvg(f.keys));
  if (sizeKeys.length) {
    parts.push(`<h2>Size-dependent costs</h2><p class="muted">Dots: measured cases (red: unsound). Grey: the v1 charge. Green dashed: the proposed charge.</p><div class="sizes">`);
    for (const k of sizeKeys) parts.push(sizeSvg(k, r.proposed.entry.costs[k.key]));
    parts.push(`</div>`);
  }

  parts.push(`<h2>Proposed cost table <code>${esc(r.proposed.name)}</code></h2>`);
  parts.push(`<p>Every measured case is charged at least <b>${r.settings.margin} ×</b> its time, rounded up to whole cycles and never below 1, keeping the v1 structure (base, per, unit, of). The entry below is in the <code>costTables</code> format of <code>spec/opcodes.json</code> (status "proposed"; the SPEC stays on v1 until a decision is recorded). ${r.proposed.violations.length ? `<b class="bad">Violations: ${esc(r.proposed.violations.join("; "))}</b>` : ""}</p>`);
  parts.push(
    table(
      ["cost key", "v1", "proposed", "measured worst µs", "factor at worst case"],
      f.keys.map((k) => {
        const p = r.proposed.entry.costs[k.key];
        const worst = k.terms.find((t) => t.term === k.worstTerm);
        const factor = worst && p ? chargeOf(p, worst.n ?? 0) / chargeOf(k.v1, worst.n ?? 0) : undefined;
        return [esc(k.key), esc(fmtCost(k.v1)), esc(fmtCost(p)), fmtUs(k.us), factor === undefined ? "—" : `×${esc(factor.toFixed(factor < 10 ? 2 : 0))}`];
      }),
      new Set([3, 4]),
    ),
  );
  parts.push(`<details><summary>JSON entry (proposed-cost-table.json)</summary><pre>${esc(proposedTableJson(r.proposed.name, r.proposed.entry))}</pre></details>`);

  parts.push(`<h2>Per-job overhead (charged by no cost key)</h2>`);
  parts.push(`<p>Work every job costs before and after its instructions: decoding and validating the job, hashing the code and the job, zeroing memory, copying the input, hashing the state, encoding the result. No cost key pays for it.</p>`);
  parts.push(table(["job", "what", "job bytes", r.basis.units, "µs"], r.overhead.map((o) => [esc(o.id), esc(o.doc), String(o.jobBytes), fmtUs(o.units), fmtUs(o.us)]), new Set([2, 3, 4])));
  if (r.intrinsic) {
    const names = r.intrinsic.checks.map((c) => c.table);
    parts.push(`<h2>Per-job work: the intrinsic and rehash charges (SPEC §8, §8.2)</h2>`);
    const what = (c: Cost) => (c.of === "entries" ? (c.unit === 1 ? "entry" : `${c.unit} entries`) : c.of === "instructions" ? `${c.unit} instructions` : `${c.unit} B of ${c.of}`);
    const rowText = (k: string, c: Cost) => `${k} ${c.base ? `${c.base} + ` : ""}${c.per} per ${what(c)}`;
    parts.push(`<p>Each job above, measured whole, against what each table charges for it (the intrinsic charge, the rehash charge of a HALT that changed the state, and its few instructions; v1 has neither). Ratio = charged cycles / measured µs; below 1 a job makes the node work longer than it pays for. Proposed rows: ${esc([...Object.entries(r.proposed.entry.intrinsic ?? {}).map(([k, c]) => rowText(k, c)), ...(r.proposed.entry.rehash ? [rowText("rehash", r.proposed.entry.rehash)] : [])].join("; "))}.</p>`);
    parts.push(table(["job", "job bytes", "code bytes", "instructions", "entries", "state bytes", "max_memory", "µs", ...names.flatMap((n) => [`${n} charged`, `${n} ratio`])], r.intrinsic.points.map((p) => [
      esc(p.id), String(p.measure.jobBytes), String(p.measure.codeBytes), String(p.measure.instructions), String(p.measure.entries), String(p.measure.stateSize), String(p.measure.maxMemory), fmtUs(p.us),
      ...names.flatMap((n) => { const c = p.charged[n]; const ratio = c / p.us; return [String(c), `<span class="${ratio < 1 ? "bad" : ""}">${fmtRatio(ratio)}</span>`]; }),
    ]), new Set([1, 2, 3, 4, 5, 6, 7, ...names.flatMap((_n, i) => [8 + 2 * i, 9 + 2 * i])])));
  }

  parts.push(`<h2>How the times were obtained</h2>`);
  parts.push(`<p>${esc(r.basis.description)}.</p>`);
  if (r.model) {
    const m = r.model;
    parts.push(`<p>Cycles-per-instruction model for <b>${esc(m.target)}</b>: CPI <b>${m.cpi}</b> (plausible range ${m.range[0]}–${m.range[1]}).</p>`);
    parts.push(table(["instruction class", "share", "cycles", "why"], m.classes.map((c) => [esc(c.name), `${Math.round(c.share * 100)} %`, String(c.cycles), esc(c.why)]), new Set([1, 2])));
    parts.push(`<ul>${m.reasoning.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>`);
  }
  parts.push(`<p>Board HELLO: chip <code>${esc(h.chip)}</code>, counter clock ${h.cpuHz} Hz, port <code>${esc(h.port)}</code>, firmware ${esc(h.firmwareVersion)}, VM build <code>${esc(h.buildId.slice(0, 16))}…</code>, instret ${h.features.instret ? "real" : "absent"}, timer overhead ${h.timerOverhead}.</p>`);
  parts.push(`<ul>${r.notes.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>`);
  if (r.warnings.length) parts.push(`<h3>Warnings</h3><ul id="warnings">${r.warnings.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>`);

  parts.push(`<h2>Every measured term</h2>`);
  parts.push(table(["term", "cost key", "n", "variant", r.basis.units, "µs", "charged", "ratio"], termRows(r.terms), new Set([2, 4, 5, 6, 7])));
  parts.push(`<details><summary>Benchmarks (${r.benches.length})</summary>`);
  parts.push(
    table(
      ["benchmark", "K", "executed (work − base)", `work ${r.basis.units}`, `base ${r.basis.units}`, "Δ", "residual", "what"],
      r.benches.map((b) => [esc(b.id), String(b.k), esc(Object.entries(b.counts).map(([t, c]) => `${t}×${c}`).join(" ")), fmtUs(b.run.units), fmtUs(b.base.units), fmtUs(b.delta), fmtUs(b.residual), esc(b.note)]),
      new Set([1, 3, 4, 5, 6]),
    ),
  );
  parts.push(`</details>`);
  parts.push(`<p class="muted">Generated by <code>mhr calibrate --board ${esc(r.board.name)}</code> in ${r.seconds.toFixed(1)} s. Self-contained: no scripts, fonts or network requests.</p>`);
  parts.push(`</body></html>\n`);
  return parts.join("\n");
}

/** The proposed entry as JSON in the layout of spec/opcodes.json's costTables (one cost per line). */
export function proposedTableJson(name: string, entry: CostTableEntry): string {
  const one = (c: Cost) => `{ ${Object.entries(c).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")} }`;
  const costs = Object.entries(entry.costs).map(([k, c]) => `      ${JSON.stringify(k)}: ${one(c)}`).join(",\n");
  return [
    "{",
    `  ${JSON.stringify(name)}: {`,
    `    "status": ${JSON.stringify(entry.status)},`,
    `    "doc": ${JSON.stringify(entry.doc)},`,
    `    "basedOn": ${JSON.stringify(entry.basedOn)},`,
    `    "margin": ${JSON.stringify(entry.margin)},`,
    ...(entry.rehash ? [`    "rehash": ${one(entry.rehash)},`] : []),
    ...(entry.intrinsic ? ['    "intrinsic": {', Object.entries(entry.intrinsic).map(([k, c]) => `      ${JSON.stringify(k)}: ${one(c)}`).join(",\n"), "    },"] : []),
    `    "costs": {`,
    costs,
    "    }",
    "  }",
    "}",
    "",
  ].join("\n");
}

// ---- files --------------------------------------------------------------------------------

export interface WrittenFiles {
  calibration: string;
  report: string;
  proposed: string;
}

export function writeOutputs(r: CalibrationResult, dir: string): WrittenFiles {
  makeOutputDir(dir);
  const files: WrittenFiles = { calibration: join(dir, "calibration.json"), report: join(dir, "report.html"), proposed: join(dir, "proposed-cost-table.json") };
  writeFileSync(files.calibration, JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 1) + "\n");
  writeFileSync(files.report, reportHtml(r));
  writeFileSync(files.proposed, proposedTableJson(r.proposed.name, r.proposed.entry));
  return files;
}
