/**
 * What the WASM tier derives from its data (spec/wasm-tier.json, generated
 * into generated/wasm-tier.ts): code names, the host API with its costs, and
 * the static fuel per instruction class. Costs are MHR-Byte cost-table rows,
 * so that 1 fuel is 1 MHR-Byte cycle for the same work and retuning the
 * MHR-Byte table retunes the WASM tier.
 */
import { COST_TABLES, ERRORCODE_NAMES, TRAP_NAMES, type Cost } from "../generated/opcodes.ts";
import {
  FUEL_KEYS, GROW_BYTES_PER_FUEL, HOST_FUNCTION_ROWS, WASM_PAGE, WasmError, WasmTier, WasmTrap,
  type HostFunctionRow, type NodeTier, type WasmTierValue,
} from "../generated/wasm-tier.ts";

export function tierValue(name: NodeTier): WasmTierValue {
  return name === "light" ? WasmTier.LIGHT : WasmTier.FULL;
}

const own = (codes: Readonly<Record<string, number>>): Record<number, string> =>
  Object.fromEntries(Object.entries(codes).filter(([, v]) => v >= 100).map(([k, v]) => [v, k]));

export const WASM_TRAP_NAMES: Readonly<Record<number, string>> = { ...TRAP_NAMES, ...own(WasmTrap) };
export const WASM_ERROR_NAMES: Readonly<Record<number, string>> = { ...ERRORCODE_NAMES, ...own(WasmError) };

export function trapName(code: number): string {
  return WASM_TRAP_NAMES[code] ?? `TRAP_${code}`;
}
export function errorName(code: number): string {
  return WASM_ERROR_NAMES[code] ?? `ERROR_${code}`;
}

/**
 * The static fuel classes are priced from table v1 for every contract version:
 * they measure a server-class WebAssembly engine, not an ESP32, which the
 * calibrated v2 rows describe (docs/WASM.md §6). Host functions charge the
 * contract's own table (host.ts).
 */
const FUEL_TABLE = COST_TABLES.v1;

function cost(key: string): Cost {
  const c = FUEL_TABLE[key];
  if (!c) throw new Error(`no MHR-Byte cost for ${key}`);
  return c;
}

export interface HostFunctionSpec extends HostFunctionRow {
  /** The v1 cost-table row of `equivalent` (a version-2 contract charges its own table's row: host.ts). */
  readonly cost: Cost;
}

/** The host API (docs/WASM.md §5) with each function's cost row. */
export const HOST_FUNCTIONS: readonly HostFunctionSpec[] = HOST_FUNCTION_ROWS.map((h) => ({ ...h, cost: cost(h.equivalent) }));
export const HOST_BY_NAME: ReadonlyMap<string, HostFunctionSpec> = new Map(HOST_FUNCTIONS.map((h) => [h.name, h]));

/** Static fuel per WebAssembly instruction class (docs/WASM.md §6). */
export const WASM_COSTS = {
  simple: cost(FUEL_KEYS.simple).base,
  mul: cost(FUEL_KEYS.mul).base,
  div: cost(FUEL_KEYS.div).base,
  load: cost(FUEL_KEYS.load).base,
  store: cost(FUEL_KEYS.store).base,
  br: cost(FUEL_KEYS.br).base,
  brIf: cost(FUEL_KEYS.brIf).base,
  call: cost(FUEL_KEYS.call).base,
  ret: cost(FUEL_KEYS.ret).base,
  unreachable: cost(FUEL_KEYS.unreachable).base,
  memorySize: cost(FUEL_KEYS.memorySize).base,
  /** memory.copy / memory.fill: the whole row; the size part is charged at run time. */
  bulk: cost(FUEL_KEYS.bulk),
  /** memory.grow: base, plus growPerPage per page actually added (charged at run time). */
  growBase: cost(FUEL_KEYS.growBase).base,
  growPerPage: WASM_PAGE / GROW_BYTES_PER_FUEL,
} as const;
