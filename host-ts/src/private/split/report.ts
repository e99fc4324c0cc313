/**
 * The split-inference report: accuracy against ε and latency of split
 * against whole inference, as one self-contained HTML page (inline CSS and
 * SVG; no scripts, fonts or network requests), in the style of the
 * calibration report. The data is a plain JSON object (SplitReport) written
 * next to the page, so figures measured elsewhere (e.g. over the mesh on
 * loopback) can be merged in and the page regenerated.
 */
import { dpAccuracyBound } from "../dp/bounds.ts";

export interface ReportModel {
  readonly name: string;
  readonly sizes: readonly number[];
  readonly clipNorm: number;
  /** Norm of the clip at the cut (absent: "l2"). */
  readonly clipKind?: "l2" | "l1";
  /** The model's clipped cut (absent: "relu1") and its width. */
  readonly cut?: string;
  readonly cutWidth?: number;
  /** σ of the float noise injected at the cut during training (0: trained clean). */
  readonly trainingCutNoise: number;
  /** Noise-aware training with the inference mechanism itself, e.g. "discrete Laplace, ε = 8". */
  readonly trainingMechanism?: string;
  readonly onnxBlake3: string;
  readonly wholeAccuracy: number;
}

export interface AccuracyRow {
  readonly model: string;
  readonly cut: string;
  readonly mechanism: "none" | "discrete-gaussian" | "discrete-laplace";
  /** Per-query ε target; null = ∞ (no noise). */
  readonly epsilon: number | null;
  readonly accuracy: number;
  readonly correct: number;
  readonly images: number;
  readonly noiseStdReal: number;
  readonly rho: number;
}

export interface LatencyRow {
  readonly label: string;
  /** "in-process", "libp2p loopback", … */
  readonly transport: string;
  readonly images: number;
  readonly medianTotalUs: number;
  readonly medianHeadUs?: number;
  readonly medianPrivatizeUs?: number;
  readonly medianMiddleUs?: number;
  readonly medianRoundTripUs?: number;
  readonly medianTailUs?: number;
  readonly requestBytes?: number;
  readonly replyBytes?: number;
}

export interface Equivalence {
  readonly model?: string;
  readonly cut?: string;
  readonly images: number;
  readonly floatMaxAbsDiff: number;
  readonly fixedPointMaxAbsDiff: number;
  readonly fixedPointArgmaxAgree: number;
}

export interface SplitReport {
  readonly generatedAt: string;
  readonly command: string;
  readonly machine: { readonly cpu: string; readonly cpus: number; readonly node: string; readonly onnxruntime: string };
  readonly delta: number;
  readonly conversion: string;
  readonly images: number;
  readonly noiseSource: string;
  readonly models: readonly ReportModel[];
  /** How Δ was obtained, per cut (keys "relu1", "pre1", or "<model>/<cut>"). */
  readonly sensitivity: Readonly<Record<string, string>>;
  /** One per model (or one for the main model). */
  readonly equivalence: Equivalence | readonly Equivalence[];
  readonly accuracy: readonly AccuracyRow[];
  readonly latency: readonly LatencyRow[];
  /** Median whole-model time per image in the same run (the baseline of every latency ratio). */
  readonly wholeMedianUs: number;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const epsLabel = (e: number | null) => (e === null ? "∞" : String(e));
const us = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "—" : x < 100 ? x.toFixed(1) : Math.round(x).toLocaleString("en-US"));

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#111827;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
.banner{background:#fef3c7;border:1px solid #f59e0b;padding:8px 12px;border-radius:6px;margin:12px 0}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}.card{border:1px solid #e5e7eb;border-radius:6px;padding:8px 12px;min-width:180px}
.card b{display:block;font-size:20px}.bad{color:#dc2626}.good{color:#16a34a}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border-bottom:1px solid #e5e7eb;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb}td{white-space:nowrap}td.num{text-align:right;font-variant-numeric:tabular-nums}
.chart{max-width:100%;height:auto;display:block;margin:8px 0}.chart .label{font-size:11px;fill:#111827}.chart .tick{font-size:10px;fill:#6b7280}
.chart .value{font-size:10px;fill:#374151}.chart .axis-label{font-size:11px;fill:#374151}
code{background:#f3f4f6;padding:0 3px;border-radius:3px}.muted{color:#6b7280}
`;

const SERIES_COLORS = ["#2563eb", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#be123c", "#854d0e", "#4f46e5", "#059669", "#c026d3"];

/** The accuracy no (ε, δ) mechanism can beat on 10 balanced classes (private/dp/bounds.ts); 1 at ε = ∞. */
export const accuracyBoundOf = (epsilon: number | null, delta: number, mechanism: AccuracyRow["mechanism"]): number =>
  epsilon === null ? 1 : dpAccuracyBound(epsilon, mechanism === "discrete-laplace" ? 0 : delta, 10);

function table(head: string[], rows: string[][], numeric: Set<number>, id?: string): string {
  return `<table${id ? ` id="${id}"` : ""}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="num"' : ""}>${c}</td>`).join("")}</tr>`)
    .join("")}</tbody></table>`;
}

const seriesKey = (r: AccuracyRow) => `${r.model} · ${r.cut} · ${r.mechanism === "discrete-laplace" ? "Laplace" : "Gaussian"}`;
const mechName = (m: AccuracyRow["mechanism"]) => (m === "none" ? "none" : m === "discrete-gaussian" ? "discrete Gaussian" : "discrete Laplace");

/** Accuracy against per-query ε: one line per model/cut/mechanism, the baseline, and the seed's claimed band. */
export function accuracySvg(rep: SplitReport): string {
  const finite = [...new Set(rep.accuracy.map((r) => r.epsilon).filter((e): e is number => e !== null))].sort((a, b) => a - b);
  const W = 800, H = 340, l = 56, r = 240, t = 24, b = 44;
  const plotW = W - l - r, plotH = H - t - b;
  const lo = Math.log2(Math.min(...finite, 1)), hi = Math.log2(Math.max(...finite, 2));
  const xInf = l + plotW;
  const X = (e: number | null) => (e === null ? xInf : l + ((Math.log2(e) - lo) / (hi - lo || 1)) * (plotW - 50));
  const Y = (a: number) => t + (1 - a) * plotH;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-accuracy" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="test accuracy against per-query epsilon">`];
  for (let i = 0; i <= 10; i += 2) {
    const y = Y(i / 10).toFixed(1);
    parts.push(`<line x1="${l}" y1="${y}" x2="${l + plotW}" y2="${y}" stroke="#e5e7eb"/><text x="${l - 6}" y="${(Number(y) + 4).toFixed(1)}" text-anchor="end" class="tick">${i * 10} %</text>`);
  }
  for (const e of [...finite, null]) {
    const x = X(e).toFixed(1);
    parts.push(`<line x1="${x}" y1="${t}" x2="${x}" y2="${t + plotH}" stroke="#f3f4f6"/><text x="${x}" y="${t + plotH + 14}" text-anchor="middle" class="tick">${epsLabel(e)}</text>`);
  }
  parts.push(`<text x="${l + plotW / 2}" y="${H - 8}" text-anchor="middle" class="axis-label">per-query ε (log scale; δ = ${rep.delta} per query)</text>`);
  parts.push(`<text x="14" y="${t + plotH / 2}" transform="rotate(-90 14 ${t + plotH / 2})" text-anchor="middle" class="axis-label">test accuracy (${rep.images.toLocaleString("en-US")} images)</text>`);
  const base = rep.models.length ? Math.max(...rep.models.map((m) => m.wholeAccuracy)) : undefined;
  if (finite.length) {
    const pts = finite.map((e) => `${X(e).toFixed(1)},${Y(accuracyBoundOf(e, rep.delta, "discrete-gaussian")).toFixed(1)}`).join(" ");
    parts.push(`<polyline class="bound" fill="none" stroke="#111827" stroke-width="1.5" stroke-dasharray="1 3" points="${pts}"><title>upper bound for any (ε, δ)-DP release: (e^ε + 9δ)/(e^ε + 9)</title></polyline>`);
    const e0 = finite[0];
    parts.push(`<text x="${(X(e0) + 4).toFixed(1)}" y="${(Y(accuracyBoundOf(e0, rep.delta, "discrete-gaussian")) - 5).toFixed(1)}" class="tick">bound for any mechanism</text>`);
  }
  if (base !== undefined) {
    // The seed's claim: 2–15 % accuracy loss (read as percentage points below the plaintext model).
    parts.push(`<rect x="${l}" y="${Y(base - 0.02).toFixed(1)}" width="${plotW}" height="${(Y(base - 0.15) - Y(base - 0.02)).toFixed(1)}" fill="#fef3c7" opacity="0.7" class="seed-band"><title>seed claim: 2–15 % loss</title></rect>`);
    parts.push(`<line x1="${l}" y1="${Y(base).toFixed(1)}" x2="${l + plotW}" y2="${Y(base).toFixed(1)}" stroke="#374151" stroke-dasharray="5 3" class="baseline"/>`);
    parts.push(`<text x="${l + 4}" y="${(Y(base) - 4).toFixed(1)}" class="tick">whole model ${pct(base)}</text>`);
    parts.push(`<text x="${l + 4}" y="${(Y(base - 0.15) - 4).toFixed(1)}" class="tick">seed claim: 2–15 % loss</text>`);
    parts.push(`<line x1="${l}" y1="${Y(0.1).toFixed(1)}" x2="${l + plotW}" y2="${Y(0.1).toFixed(1)}" stroke="#dc2626" stroke-dasharray="2 3"/><text x="${l + plotW - 4}" y="${(Y(0.1) - 4).toFixed(1)}" text-anchor="end" class="tick">chance (10 %)</text>`);
  }
  const keys = [...new Set(rep.accuracy.map(seriesKey))];
  keys.forEach((k, si) => {
    // The noiseless point (ε = ∞) belongs to every series of its model and cut.
    const pts = rep.accuracy.filter((r) => seriesKey(r) === k || (r.mechanism === "none" && k.startsWith(`${r.model} · ${r.cut} · `))).sort((a, b) => (a.epsilon ?? Infinity) - (b.epsilon ?? Infinity));
    const color = SERIES_COLORS[si % SERIES_COLORS.length];
    parts.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="2" points="${pts.map((p) => `${X(p.epsilon).toFixed(1)},${Y(p.accuracy).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) parts.push(`<circle cx="${X(p.epsilon).toFixed(1)}" cy="${Y(p.accuracy).toFixed(1)}" r="3.5" fill="${color}"><title>${esc(`${k}, ε = ${epsLabel(p.epsilon)}: ${pct(p.accuracy)}`)}</title></circle>`);
    const ly = t + 10 + si * 16;
    parts.push(`<rect x="${W - r + 12}" y="${ly - 8}" width="10" height="10" fill="${color}"/><text x="${W - r + 26}" y="${ly + 1}" class="label">${esc(k)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

/** Stacked per-image latency bars: head, noise + encoding, round trip (middle + transport), tail; the whole model for reference. */
export function latencySvg(rep: SplitReport): string {
  const rows: { label: string; total: number; segs: [string, number, string][] }[] = [{ label: "whole model (plaintext)", total: rep.wholeMedianUs, segs: [["whole", rep.wholeMedianUs, "#6b7280"]] }];
  for (const r of rep.latency) {
    rows.push({
      label: `${r.label} (${r.transport})`,
      total: r.medianTotalUs,
      segs: [["head", r.medianHeadUs ?? 0, "#2563eb"], ["quantise + clip + noise + encode", r.medianPrivatizeUs ?? 0, "#ea580c"], ["round trip (provider middle + transport)", r.medianRoundTripUs ?? 0, "#16a34a"], ["decode + tail", r.medianTailUs ?? 0, "#9333ea"]],
    });
  }
  const labelW = 300, plotW = 480, rowH = 24, top = 30;
  const H = top + rows.length * rowH + 40;
  const max = Math.max(...rows.map((x) => x.segs.reduce((a, s) => a + s[1], 0)), 1);
  const X = (v: number) => (v / max) * plotW;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="chart-latency" viewBox="0 0 ${labelW + plotW + 120} ${H}" width="${labelW + plotW + 120}" height="${H}" role="img" aria-label="per-image latency of split and whole inference">`];
  parts.push(`<text x="${labelW}" y="16" class="axis-label">median µs per image and phase (linear); label: median total</text>`);
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${labelW - 6}" y="${y + 14}" text-anchor="end" class="label">${esc(row.label)}</text>`);
    let x = labelW;
    for (const [name, v, color] of row.segs) {
      const w = X(v);
      parts.push(`<rect x="${x.toFixed(1)}" y="${y + 3}" width="${Math.max(0.5, w).toFixed(1)}" height="16" fill="${color}" class="bar"><title>${esc(`${name}: ${us(v)} µs`)}</title></rect>`);
      x += w;
    }
    parts.push(`<text x="${(x + 4).toFixed(1)}" y="${y + 14}" class="value">${us(row.total)} µs</text>`);
  });
  const legend: [string, string][] = [["head", "#2563eb"], ["noise + encode", "#ea580c"], ["round trip", "#16a34a"], ["tail", "#9333ea"], ["whole", "#6b7280"]];
  legend.forEach(([name, color], i) => parts.push(`<rect x="${labelW + i * 105}" y="${H - 18}" width="10" height="10" fill="${color}"/><text x="${labelW + i * 105 + 14}" y="${H - 9}" class="tick">${esc(name)}</text>`));
  parts.push("</svg>");
  return parts.join("");
}

export function reportHtml(rep: SplitReport): string {
  const p: string[] = [];
  p.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,"><title>Split inference with differential privacy — MNIST</title><style>${CSS}</style></head><body>`);
  p.push(`<h1>Split inference with differential privacy (Tier 1)</h1>`);
  p.push(`<p class="muted">MNIST MLPs cut into head (consumer) → middle (provider) → tail (consumer); exact discrete Gaussian or discrete Laplace noise at the cut (Canonne–Kamath–Steinke 2020). Generated ${esc(rep.generatedAt)} by <code>${esc(rep.command)}</code> on ${esc(rep.machine.cpu)} (${rep.machine.cpus} CPUs), Node ${esc(rep.machine.node)}, onnxruntime-node ${esc(rep.machine.onnxruntime)}.</p>`);
  const best = Math.max(...rep.models.map((m) => m.wholeAccuracy));
  const bestAt = (eps: number) => rep.accuracy.filter((r) => r.epsilon === eps).sort((a, b) => b.accuracy - a.accuracy)[0];
  const e8 = bestAt(8);
  // The fastest configuration with DP at ε = 8 (the bottleneck with the Laplace, when measured).
  const dp = [...rep.latency].filter((l) => l.label.includes("ε = 8")).sort((a, b) => a.medianTotalUs - b.medianTotalUs)[0] ?? rep.latency[rep.latency.length - 1];
  const plain = rep.latency.find((l) => l.label.includes("no noise"));
  p.push(`<div class="cards">`);
  if (rep.models.length) p.push(`<div class="card">best whole model<b>${pct(best)}</b>${rep.images.toLocaleString("en-US")} test images</div>`);
  if (e8) p.push(`<div class="card">best split, ε = 8 per image<b class="${best - e8.accuracy > 0.15 ? "bad" : "good"}">${pct(e8.accuracy)}</b>${esc(e8.model)}, ${esc(mechName(e8.mechanism))}; bound ${pct(accuracyBoundOf(8, rep.delta, e8.mechanism))}</div>`);
  if (plain) p.push(`<div class="card">split latency, no noise<b>${(plain.medianTotalUs / rep.wholeMedianUs).toFixed(1)}×</b>whole (${esc(plain.transport)}); seed claims 1.2–2×</div>`);
  if (dp && dp !== plain) p.push(`<div class="card">split latency, with DP<b>${(dp.medianTotalUs / rep.wholeMedianUs).toFixed(1)}×</b>${esc(dp.label)} (${esc(dp.transport)})</div>`);
  p.push(`</div>`);

  p.push(`<h2>Accuracy against ε</h2>`);
  p.push(`<p>Each test image is one query: its activations at the cut are released to the provider once, with noise calibrated so that this release is (ε, δ)-DP for <b>any two input images</b> (local DP of the consumer's input against the provider): the discrete Gaussian with δ = ${rep.delta} (ρ-zCDP with ρ = Δ₂²/(2σ²), converted with the ${esc(rep.conversion)} conversion), the discrete Laplace with δ = 0 (pure ε = Δ₁/b). A session of k images is kρ-zCDP, or kε pure for Laplace queries. Noise source: ${esc(rep.noiseSource)}. The dotted curve is the most any mechanism can reach on 10 balanced classes from one (ε, δ) release, (e^ε + 9δ)/(e^ε + 9) (<code>host-ts/src/private/dp/bounds.ts</code>).</p>`);
  p.push(accuracySvg(rep));
  const required = [8, 4, 2, 1].filter((e) => bestAt(e));
  if (required.length) {
    p.push(`<h3>Best configuration per ε (the consumer picks the model for its ε)</h3>`);
    p.push(table(
      ["ε / image", "model", "noise", "accuracy", "loss vs best plaintext", "bound, any mechanism", "share of the bound"],
      required.map((e) => {
        const r = bestAt(e)!;
        const bound = accuracyBoundOf(e, rep.delta, r.mechanism);
        return [String(e), esc(r.model), esc(mechName(r.mechanism)), pct(r.accuracy), `${(100 * (best - r.accuracy)).toFixed(2)} pts`, pct(bound), `${((100 * r.accuracy) / bound).toFixed(0)} %`];
      }),
      new Set([0, 3, 4, 5, 6]),
      "table-best",
    ));
  }
  const baseOf = (m: string) => rep.models.find((x) => x.name === m)?.wholeAccuracy ?? NaN;
  p.push(table(
    ["model", "cut", "noise", "ε / image", "σ (value units)", "ρ / image", "accuracy", "loss vs own whole", "loss vs best plaintext", "correct / images", "bound, any mechanism"],
    rep.accuracy.map((r) => [esc(r.model), esc(r.cut), mechName(r.mechanism), epsLabel(r.epsilon), r.noiseStdReal ? r.noiseStdReal.toFixed(3) : "0", r.rho ? r.rho.toPrecision(4) : "0", pct(r.accuracy), `${(100 * (baseOf(r.model) - r.accuracy)).toFixed(2)} pts`, `${(100 * (best - r.accuracy)).toFixed(2)} pts`, `${r.correct.toLocaleString("en-US")} / ${r.images.toLocaleString("en-US")}`, pct(accuracyBoundOf(r.epsilon, rep.delta, r.mechanism))]),
    new Set([3, 4, 5, 6, 7, 8, 10]),
    "table-accuracy",
  ));
  p.push(`<p class="muted">${Object.entries(rep.sensitivity).map(([k, v]) => `Sensitivity at <code>${esc(k)}</code>: ${esc(v)}.`).join("<br>")}</p>`);
  p.push(`<h3>Against the seed's claim</h3>`);
  const inBand = rep.accuracy.filter((r) => r.epsilon !== null && best - r.accuracy <= 0.15).sort((a, b) => (a.epsilon ?? 0) - (b.epsilon ?? 0) || b.accuracy - a.accuracy)[0];
  const e1 = bestAt(1);
  p.push(`<p>The seed claims an accuracy loss of 2–15 % "depending on privacy budget". With a formal guarantee per image against the provider, the bound above caps what any split, model or mechanism can reach: ${[8, 4, 2, 1].map((e) => `${pct(dpAccuracyBound(e, 0, 10))} at ε = ${e}`).join(", ")} (pure DP; δ = ${rep.delta} moves these by less than 0.01 point). A loss within 15 points of the best plaintext model (${pct(best)}) is therefore impossible at ε ≤ 2 for any design, and at ε = 4 it needs ${((100 * (best - 0.15)) / dpAccuracyBound(4, 0, 10)).toFixed(0)} % of the bound. ${e8 ? `Measured, the best configuration at ε = 8 (${esc(e8.model)}, ${esc(mechName(e8.mechanism))}) reaches ${pct(e8.accuracy)}, ${(100 * (best - e8.accuracy)).toFixed(1)} points below the best plaintext model` : ""}${e1 ? `; at ε = 1, ${pct(e1.accuracy)}` : ""}. ${inBand ? `The smallest per-image ε measured at which a configuration stays within 15 points of the best plaintext model is <b>ε = ${epsLabel(inBand.epsilon)}</b> (${esc(inBand.model)}, ${esc(inBand.cut)}, ${esc(mechName(inBand.mechanism))}: ${pct(inBand.accuracy)}).` : "No measured finite ε stays within 15 points."} What moved the measured figures toward the bound is a cut that carries little more than the class: a 10-wide L1-clipped bottleneck (every pair of one-hot codes is at the full L1 distance Δ₁), the discrete Laplace (for one low-dimensional release it adds far less noise than the Gaussian at the same ε), and training with the inference mechanism itself at the cut.</p>`);

  p.push(`<h2>Latency: split against whole inference</h2>`);
  p.push(`<p>Median per image, batch of one, after warm-up; every phase measured in the same run as the whole model (${us(rep.wholeMedianUs)} µs per image). "Round trip" is from handing the request to the transport to holding the reply: in-process it is the provider's decode, middle and encode; over a network it adds the link.</p>`);
  p.push(latencySvg(rep));
  p.push(table(
    ["setting", "transport", "images", "head µs", "noise + encode µs", "middle µs", "round trip µs", "tail µs", "total µs", "× whole", "bytes at the cut", "reply bytes"],
    rep.latency.map((l) => [esc(l.label), esc(l.transport), String(l.images), us(l.medianHeadUs), us(l.medianPrivatizeUs), us(l.medianMiddleUs), us(l.medianRoundTripUs), us(l.medianTailUs), us(l.medianTotalUs), (l.medianTotalUs / rep.wholeMedianUs).toFixed(1), String(l.requestBytes ?? "—"), String(l.replyBytes ?? "—")]),
    new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
    "table-latency",
  ));
  p.push(`<p>The seed claims 1.2–2× the latency of plaintext inference. Here the whole model takes ${us(rep.wholeMedianUs)} µs, so fixed costs dominate: the onnxruntime call per part, CBOR encoding and, with DP, one exact discrete sample per activation at the cut (BigInt rejection sampling; 128 per image at relu1 of mnist-mlp, 10 at the bottleneck). The ratio says little about large models, whose layer time would dwarf these costs; it says that for small models split inference is not nearly free.</p>`);

  p.push(`<h2>Equivalence of the parts</h2>`);
  const eqvs: readonly Equivalence[] = Array.isArray(rep.equivalence) ? rep.equivalence : [rep.equivalence as Equivalence];
  for (const eqv of eqvs) p.push(`<p>${eqv.model ? `<code>${esc(eqv.model)}</code> at <code>${esc(eqv.cut ?? "")}</code>, o` : "O"}n ${eqv.images.toLocaleString("en-US")} test images: head → middle → tail in float gives the whole model's logits with largest absolute difference <b>${eqv.floatMaxAbsDiff}</b>${eqv.floatMaxAbsDiff === 0 ? " (bit-identical)" : ""}; through the fixed-point protocol without noise (2^−cut and 2^−reply grids) the largest logit difference is ${eqv.fixedPointMaxAbsDiff.toExponential(2)} and the predicted class agrees on ${eqv.fixedPointArgmaxAgree.toLocaleString("en-US")} of ${eqv.images.toLocaleString("en-US")} images.</p>`);

  p.push(`<h2>Models</h2>`);
  const trainingNoise = (m: ReportModel) => m.trainingMechanism ?? (m.trainingCutNoise ? `Gaussian σ = ${m.trainingCutNoise} (float, training only)` : "none");
  p.push(table(["model", "layers", "cut (width)", "clip", "training noise at the cut", "whole-model accuracy", "ONNX Blake3"], rep.models.map((m) => [esc(m.name), esc(m.sizes.join("-")), `${esc(m.cut ?? "relu1")} (${m.cutWidth ?? m.sizes[1]})`, `‖·‖${m.clipKind === "l1" ? "₁" : "₂"} ≤ ${m.clipNorm}`, esc(trainingNoise(m)), pct(m.wholeAccuracy), `<code>${esc(m.onnxBlake3.slice(0, 16))}…</code>`]), new Set([5])));
  p.push(`<p class="muted">Self-contained: no scripts, fonts or network requests. Data: report JSON beside this file; regenerate with <code>npm run report:split</code>.</p>`);
  p.push(`</body></html>\n`);
  return p.join("\n");
}
