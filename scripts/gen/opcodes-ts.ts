/** host-ts/src/generated/opcodes.ts: the opcode table for the reference, the assembler and the tools. */
import { costKeys, type OpcodeTable } from "../../host-ts/src/spec/table-schema.ts";
import { HEADER, hex2 } from "./util.ts";

export function opcodesTs(t: OpcodeTable): string {
  const L: string[] = [`// ${HEADER}`, "", `export const SPEC_VERSION = ${t.specVersion};`, ""];
  L.push("export type Category = " + [...new Set(t.opcodes.map((o) => JSON.stringify(o.category)))].join(" | ") + ";");
  L.push('export type ImmediateKind = "none" | "push" | "target" | "space";');
  L.push("/** What a popped operand is (spec/opcodes.json operandRoles): " + t.operandRoles.map((r) => `${r.role}: ${r.doc}`).join(" ") + " */");
  L.push(`export type OperandRole = ${t.operandRoles.map((r) => JSON.stringify(r.role)).join(" | ")};`);
  L.push("export interface OpInfo {\n  readonly byte: number;\n  readonly mnemonic: Mnemonic;\n  readonly category: Category;\n  readonly immediate: ImmediateKind;\n  /** A count, \"rets\" (HALT: the function's return count) or \"space\" (see SPACES). */\n  readonly pops: number | \"rets\" | \"space\";\n  readonly pushes: number | \"space\";\n  /** What each popped operand is, deepest first (empty when the pops are \"rets\" or \"space\"). */\n  readonly operands: readonly OperandRole[];\n  readonly stack: string;\n  readonly doc: string;\n}");
  L.push("export interface SpaceEffect { readonly pops: number; readonly pushes: number; readonly operands: readonly OperandRole[]; readonly stack: string; readonly doc: string }");
  L.push("export interface SpaceInfo { readonly byte: number; readonly name: SpaceName; readonly LOAD?: SpaceEffect; readonly STORE?: SpaceEffect }");
  L.push("export interface Cost { readonly base: number; readonly per?: number; readonly unit?: number; readonly of?: string }");
  L.push("");
  L.push("export const Op = {");
  for (const o of t.opcodes) L.push(`  ${o.mnemonic}: ${hex2(Number(o.byte))},`);
  L.push("} as const;");
  L.push("export type Mnemonic = keyof typeof Op;");
  L.push("");
  L.push("export const OPCODES: readonly OpInfo[] = [");
  for (const o of t.opcodes) {
    L.push(`  { byte: ${hex2(Number(o.byte))}, mnemonic: "${o.mnemonic}", category: "${o.category}", immediate: "${o.immediate}", pops: ${JSON.stringify(o.pops)}, pushes: ${JSON.stringify(o.pushes)}, operands: ${JSON.stringify(o.operands)}, stack: ${JSON.stringify(o.stack)}, doc: ${JSON.stringify(o.doc)} },`);
  }
  L.push("];");
  L.push("export const OP_BY_BYTE: ReadonlyMap<number, OpInfo> = new Map(OPCODES.map((o) => [o.byte, o]));");
  L.push("export const OP_BY_NAME: ReadonlyMap<string, OpInfo> = new Map(OPCODES.map((o) => [o.mnemonic, o]));");
  L.push("");
  L.push("export const Space = {");
  for (const s of t.spaces) L.push(`  ${s.name}: ${hex2(Number(s.byte))},`);
  L.push("} as const;");
  L.push("export type SpaceName = keyof typeof Space;");
  L.push("export const SPACES: readonly SpaceInfo[] = [");
  for (const s of t.spaces) {
    const parts = [`byte: ${hex2(Number(s.byte))}`, `name: "${s.name}"`];
    for (const k of ["LOAD", "STORE"] as const) if (s[k]) parts.push(`${k}: ${JSON.stringify(s[k])}`);
    L.push(`  { ${parts.join(", ")} },`);
  }
  L.push("];");
  L.push("");
  L.push("export const Limit = {");
  for (const l of t.limits) L.push(`  /** ${l.doc} */\n  ${l.name}: ${l.value},`);
  L.push("} as const;");
  L.push("");
  for (const [name, rows] of [["Status", t.status], ["Trap", t.traps], ["ErrorCode", t.errors]] as const) {
    L.push(`export const ${name} = {`);
    for (const r of rows) L.push(`  /** ${r.doc} */\n  ${r.name}: ${r.code},`);
    L.push("} as const;");
    if (name === "Status") {
      L.push("/** A result's status code (SPEC §13). */");
      L.push("export type StatusCode = (typeof Status)[keyof typeof Status];");
      L.push("export type StatusName = keyof typeof Status;");
      L.push(`export const STATUS_NAMES: Readonly<Record<StatusCode, StatusName>> = { ${rows.map((r) => `${r.code}: "${r.name}"`).join(", ")} };`);
      L.push("export function isStatusCode(n: number): n is StatusCode {\n  return Object.prototype.hasOwnProperty.call(STATUS_NAMES, n);\n}");
    } else {
      L.push(`export const ${name.toUpperCase()}_NAMES: Readonly<Record<number, string>> = { ${rows.map((r) => `${r.code}: "${r.name}"`).join(", ")} };`);
    }
    L.push("");
  }
  L.push("/** Every cost key: the mnemonic, or MNEMONIC.space for LOAD and STORE. */");
  L.push(`export const COST_KEYS: readonly string[] = ${JSON.stringify(costKeys(t))};`);
  L.push("/** The cost table new contract packages name by default (spec/opcodes.json defaultCostTable). */");
  L.push(`export const DEFAULT_COST_TABLE = ${JSON.stringify(t.defaultCostTable)};`);
  L.push("export const COST_TABLES: Readonly<Record<string, Readonly<Record<string, Cost>>>> = {");
  for (const [name, ct] of Object.entries(t.costTables)) {
    L.push(`  ${JSON.stringify(name)}: {`);
    for (const k of costKeys(t)) L.push(`    ${JSON.stringify(k)}: ${JSON.stringify(ct.costs[k])},`);
    L.push("  },");
  }
  L.push("};");
  L.push("/** SPEC §5: the contract `version` that names each cost table, and back. */");
  L.push(`export const CONTRACT_VERSION_OF_TABLE: Readonly<Record<string, number>> = ${JSON.stringify(Object.fromEntries(Object.entries(t.costTables).map(([n, ct]) => [n, ct.contractVersion])))};`);
  L.push(`export const COST_TABLE_OF_VERSION: Readonly<Record<number, string>> = ${JSON.stringify(Object.fromEntries(Object.entries(t.costTables).map(([n, ct]) => [ct.contractVersion, n])))};`);
  L.push(`/** The contract version tools emit unless told otherwise (the version of ${t.defaultCostTable}). */`);
  L.push(`export const DEFAULT_CONTRACT_VERSION = ${t.costTables[t.defaultCostTable].contractVersion};`);
  L.push("/** SPEC §8: the intrinsic charge's rows per table (JOB: job bytes, JOB.code: code bytes, JOB.instructions: instructions, JOB.entries: prior state entries and balances, JOB.state: prior state size, JOB.memory: max_memory); absent = none. */");
  L.push("export const INTRINSIC: Readonly<Record<string, Readonly<Record<string, Cost>> | undefined>> = {");
  for (const [name, ct] of Object.entries(t.costTables)) L.push(`  ${JSON.stringify(name)}: ${ct.intrinsic ? JSON.stringify(ct.intrinsic) : "undefined"},`);
  L.push("};");
  L.push("/** SPEC §9.7: what an appending STORE.state that advances the arena's compaction pays on top, per table (base + per × units processed: live records and dead runs); absent = nothing. */");
  L.push("export const COMPACTION: Readonly<Record<string, Cost | undefined>> = {");
  for (const [name, ct] of Object.entries(t.costTables)) L.push(`  ${JSON.stringify(name)}: ${ct.compaction ? JSON.stringify(ct.compaction) : "undefined"},`);
  L.push("};");
  L.push("/** SPEC §9.7: with COMPACTION, per × ceil(bytes / unit) of the records that compaction moved; absent = nothing. */");
  L.push("export const COMPACTION_MOVE: Readonly<Record<string, Cost | undefined>> = {");
  for (const [name, ct] of Object.entries(t.costTables)) L.push(`  ${JSON.stringify(name)}: ${ct.compactionMove ? JSON.stringify(ct.compactionMove) : "undefined"},`);
  L.push("};");
  L.push("/** SPEC §9.7: what a STORE.state of a new key or a STORE.del of a present one pays on top, per table (per × ceil(slots / unit) of the index slots it moves); absent = nothing. */");
  L.push("export const INDEX_MOVE: Readonly<Record<string, Cost | undefined>> = {");
  for (const [name, ct] of Object.entries(t.costTables)) L.push(`  ${JSON.stringify(name)}: ${ct.indexMove ? JSON.stringify(ct.indexMove) : "undefined"},`);
  L.push("};");
  L.push("/** SPEC §8.2: what a HALT of a call that changed the state pays on top, per table (base + per × entries of the final state); absent = nothing. */");
  L.push("export const REHASH: Readonly<Record<string, Cost | undefined>> = {");
  for (const [name, ct] of Object.entries(t.costTables)) L.push(`  ${JSON.stringify(name)}: ${ct.rehash ? JSON.stringify(ct.rehash) : "undefined"},`);
  L.push("};");
  L.push("");
  L.push("/** SPEC §10, the one cost formula over a row of any cost table: base + per × ceil(n / unit), n being the byte count of the row's *of* column (0 when it has none). */");
  L.push("export function chargeOf(c: Cost, n = 0): number {");
  L.push("  return c.per === undefined || c.unit === undefined ? c.base : c.base + c.per * Math.ceil(n / c.unit);");
  L.push("}");
  L.push("/** The charge of cost key `key` (a mnemonic, or LOAD.space / STORE.space) under `table` (a contract's: costTableOf). */");
  L.push("export function costOf(key: string, n: number, table: Readonly<Record<string, Cost>>): number {");
  L.push("  const c = table[key];");
  L.push("  if (c === undefined) throw new Error(`no cost for ${key} in the cost table`);");
  L.push("  return chargeOf(c, n);");
  L.push("}");
  L.push("/** The cost table a contract `version` names (SPEC §5), or undefined: UNSUPPORTED_VERSION. */");
  L.push("export function costTableNameOf(contractVersion: number): string | undefined {");
  L.push("  return Object.prototype.hasOwnProperty.call(COST_TABLE_OF_VERSION, contractVersion) ? COST_TABLE_OF_VERSION[contractVersion] : undefined;");
  L.push("}");
  L.push("/** The cost rows of the table a contract `version` names; throws for a version no table has. */");
  L.push("export function costTableOf(contractVersion: number): Readonly<Record<string, Cost>> {");
  L.push("  const name = costTableNameOf(contractVersion);");
  L.push("  if (name === undefined) throw new Error(`no cost table for contract version ${contractVersion}`);");
  L.push("  return COST_TABLES[name];");
  L.push("}");
  L.push("/** SPEC §9.7: the compaction charge under table `name` of a store that processed `records` arena records and moved `bytes` bytes (0 when it processed none, or for a table without one). */");
  L.push("export function compactionOf(name: string, records: number, bytes: number): number {");
  L.push("  const c = COMPACTION[name];");
  L.push("  const m = COMPACTION_MOVE[name];");
  L.push("  return c === undefined || m === undefined || records === 0 ? 0 : chargeOf(c, records) + chargeOf(m, bytes);");
  L.push("}");
  L.push("/** SPEC §9.7: the index-move charge under table `name` of an insert or removal that moves `slots` index slots (0 for a table without one). */");
  L.push("export function indexMoveOf(name: string, slots: number): number {");
  L.push("  const c = INDEX_MOVE[name];");
  L.push("  return c === undefined ? 0 : chargeOf(c, slots);");
  L.push("}");
  L.push("/** SPEC §8.2: the rehash charge under table `name` of a HALT whose call changed the state, which ends with `entries` entries (0 for a table without one). */");
  L.push("export function rehashOf(name: string, entries: number): number {");
  L.push("  const c = REHASH[name];");
  L.push("  return c === undefined ? 0 : chargeOf(c, entries);");
  L.push("}");
  L.push("/** What the intrinsic charge measures (SPEC §8): the job encoding's length, the code's length and instruction count, the prior state's entries plus the balances, the prior state size (SPEC §3), max_memory. */");
  L.push("export interface IntrinsicMeasure { readonly jobBytes: number; readonly codeBytes: number; readonly instructions: number; readonly entries: number; readonly stateSize: number; readonly maxMemory: number }");
  L.push("/** SPEC §8: the intrinsic charge of a job under table `name` (0 for a table without one). */");
  L.push("export function intrinsicOf(name: string, m: IntrinsicMeasure): number {");
  L.push("  const rows = INTRINSIC[name];");
  L.push("  if (rows === undefined) return 0;");
  L.push("  const n: Readonly<Record<string, number>> = { job: m.jobBytes, code: m.codeBytes, instructions: m.instructions, entries: m.entries, state: m.stateSize, memory: m.maxMemory };");
  L.push("  let sum = 0;");
  L.push("  for (const c of Object.values(rows)) sum += chargeOf(c, n[c.of ?? \"\"] ?? 0);");
  L.push("  return sum;");
  L.push("}");
  return L.join("\n") + "\n";
}

