/**
 * Types and loader for spec/wasm-tier.json, the data file the WASM tier's
 * constants (host-ts/src/generated/wasm-tier.ts) and docs/WASM.md's tables are
 * generated from.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { costKeys, type OpcodeTable } from "./table-schema.ts";

export type WasmValType = "i32" | "i64";
export interface WasmTierRow { value: number; name: string; title: string; memory: number; fuel: number; wallClockMs: number; nodeNeeds: string }
export interface WasmLimitRow { name: string; value: number; unit: "bytes" | "count"; doc: string; row: string; text: string }
export interface WasmCodeRow { code: number; name: string; doc: string }
export interface WasmCodes { reused: string[]; own: WasmCodeRow[] }
export interface HostFunctionRow {
  name: string;
  params: [string, WasmValType][];
  results: WasmValType[];
  equivalent: string;
  /** The argument whose byte count is the cost's n, where it is not the equivalent key's own *of*. */
  of?: string;
  seed: boolean;
  doc: string;
}
export interface FuelRow { class: string; key: string; part?: "base" | "row"; what: string }

export interface WasmTierTable {
  format: string;
  doc: string;
  pageSize: number;
  hostModule: string;
  tiers: WasmTierRow[];
  noTier: string;
  limits: WasmLimitRow[];
  sharedLimits: string[];
  traps: WasmCodes;
  errors: WasmCodes;
  hostFunctions: HostFunctionRow[];
  fuel: FuelRow[];
  growBytesPerFuel: number;
}

export const WASM_TIER_TABLE_PATH = fileURLToPath(new URL("../../../spec/wasm-tier.json", import.meta.url));

export function checkWasmTierTable(t: WasmTierTable, op: OpcodeTable): void {
  const fail = (m: string): never => { throw new Error(`spec/wasm-tier.json: ${m}`); };
  if (t.format !== "mhr-wasm-tier-table/1") fail(`unknown format ${t.format}`);
  t.tiers.forEach((r, i) => { if (r.value !== i + 1) fail("tier values must be 1..n in order"); });
  const keys = new Set(costKeys(op));
  for (const h of t.hostFunctions) if (!keys.has(h.equivalent)) fail(`${h.name}: unknown cost key ${h.equivalent}`);
  for (const f of t.fuel) if (!keys.has(f.key)) fail(`fuel class ${f.class}: unknown cost key ${f.key}`);
  const limits = new Set(op.limits.map((l) => l.name));
  for (const n of t.sharedLimits) if (!limits.has(n)) fail(`shared limit ${n} is not in spec/opcodes.json`);
  for (const [what, codes, base] of [["trap", t.traps, op.traps], ["error", t.errors, op.errors]] as const) {
    for (const n of codes.reused) if (!base.some((r) => r.name === n)) fail(`reused ${what} ${n} is not in spec/opcodes.json`);
    for (const r of codes.own) if (r.code < 100) fail(`${what} ${r.name}: WASM-tier codes start at 100`);
    codes.own.forEach((r, i) => { if (r.code !== 100 + i) fail(`${what} codes must be 100.. in order`); });
  }
  for (const l of t.limits) if (!l.text.includes("{}")) fail(`limit ${l.name}: its text needs a {} for the value`);
}

export function loadWasmTierTable(op: OpcodeTable, path = WASM_TIER_TABLE_PATH): WasmTierTable {
  const t = JSON.parse(readFileSync(path, "utf8")) as WasmTierTable;
  checkWasmTierTable(t, op);
  return t;
}
