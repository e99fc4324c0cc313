/**
 * `mhr wasm inspect`: what a module imports and exports, its memory and
 * tables, whether it fits each tier, which functions a contract can call,
 * and what instrumentation does to it.
 */
import { errorName } from "./constants.ts";
import { TIERS, WASM_PAGE, type WasmTierValue } from "../generated/wasm-tier.ts";
import { analyzeModule, checkMemoryLimit, instrumentModule, type InstrumentStats, type ModuleFacts } from "./instrument.ts";

export interface InspectReport {
  valid: boolean;
  error?: { code: number; name: string; message: string };
  facts?: ModuleFacts;
  /** Exports usable as contract functions: (i64 x args) -> () or (i64). */
  callable: { name: string; args: number; rets: number }[];
  tiers: { tier: "light" | "full"; fits: boolean; reason?: string }[];
  instrumentation?: InstrumentStats;
  /** The instrumented module, when asked for (benchmarks). */
  instrumented?: Uint8Array;
}

export function inspectModule(code: Uint8Array, withBinary = false): InspectReport {
  const a = analyzeModule(code);
  if (!a.ok) return { valid: false, error: { code: a.code, name: errorName(a.code), message: a.message }, callable: [], tiers: [] };
  const facts = a.facts;
  const callable = facts.exports
    .filter((x) => x.kind === "function" && (x.params ?? []).every((p) => p === "i64") && (x.results ?? []).length <= 1 && (x.results ?? []).every((r) => r === "i64"))
    .map((x) => ({ name: x.name, args: x.params!.length, rets: x.results!.length }));
  const tiers = ([1, 2] as WasmTierValue[]).map((t) => {
    const lim = TIERS[t];
    const m = checkMemoryLimit(facts, lim.memory);
    return { tier: lim.name, fits: !m, ...(m ? { reason: m.message } : {}) };
  });
  const ins = instrumentModule(code);
  return { valid: true, facts, callable, tiers, instrumentation: ins.stats, ...(withBinary ? { instrumented: ins.binary } : {}) };
}

export function formatInspect(r: InspectReport): string {
  if (!r.valid) return `INVALID ${r.error!.name} (${r.error!.code}): ${r.error!.message}`;
  const f = r.facts!;
  const lines: string[] = [];
  lines.push(`module      ${f.size} bytes, ${f.functions.defined} functions (+${f.functions.imported} imported), ${f.globals} globals`);
  lines.push(`imports     ${f.imports.length ? "" : "(none)"}`);
  for (const i of f.imports) lines.push(`  ${i.module}.${i.name} (${(i.params ?? []).join(", ")}) -> (${(i.results ?? []).join(", ")})`);
  lines.push(`memory      ${f.memory ? `${f.memory.initial} pages (${f.memory.initial * WASM_PAGE} bytes) initial, maximum ${f.memory.maximum ?? "none declared"}` : "none"}`);
  if (f.tables.length) lines.push(`tables      ${f.tables.map((t) => `${t.initial} elements (max ${t.maximum ?? "-"})`).join(", ")}`);
  lines.push(`segments    ${f.dataSegments.length} data (${f.dataSegments.reduce((n, s) => n + s.length, 0)} bytes), ${f.elementSegments.length} element`);
  lines.push(`start       ${f.hasStart ? "yes (run metered before the call)" : "no"}`);
  lines.push(`callable    ${r.callable.map((c) => `${c.name}(${c.args})${c.rets ? "->i64" : ""}`).join(", ") || "(none: exports must take and return i64)"}`);
  for (const t of r.tiers) lines.push(`tier        ${t.tier.padEnd(5)} ${t.fits ? "fits" : `does not fit: ${t.reason}`}`);
  const s = r.instrumentation!;
  const uses = Object.entries(f.uses).map(([k, n]) => `${k} ${n}`).join(", ");
  if (uses) lines.push(`uses        ${uses}`);
  lines.push(`instrument  ${s.meteredRegions} metered regions, ${s.canonicalisedFloatOps} NaN-canonicalised float ops, ${s.growOps} memory.grow, ${s.bulkMemoryOps} bulk-memory ops, max frame ${s.maxFrameUnits} units`);
  lines.push(`            ${s.inputBytes} -> ${s.outputBytes} bytes (${((s.outputBytes / s.inputBytes - 1) * 100).toFixed(0)}% larger), ${s.ms.toFixed(1)} ms (${(s.ms / (s.inputBytes / 1024)).toFixed(2)} ms/KB)`);
  return lines.join("\n");
}
