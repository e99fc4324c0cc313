/**
 * Types and loader for spec/opcodes.json, the one data file that the TypeScript
 * reference, the AssemblyScript VM, the C header, the assembler and the SPEC's
 * tables are generated from.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export type ImmediateKind = "none" | "push" | "target" | "space";
export type Category = "stack" | "arithmetic" | "bitwise" | "comparison" | "control" | "crypto" | "system";
export type OperandRole = "addr" | "len" | "klen" | "shift" | "value";
export const OPERAND_ROLES: readonly OperandRole[] = ["addr", "len", "klen", "shift", "value"];

export interface OpcodeRow {
  byte: string;
  mnemonic: string;
  category: Category;
  immediate: ImmediateKind;
  pops: number | "rets" | "space";
  pushes: number | "space";
  /** What each popped operand is, deepest first (empty when the pops depend on the function or the space). */
  operands: OperandRole[];
  stack: string;
  doc: string;
}

export interface SpaceEffect { pops: number; pushes: number; operands: OperandRole[]; stack: string; doc: string }
export interface SpaceRow { byte: string; name: string; LOAD?: SpaceEffect; STORE?: SpaceEffect }
export interface CodeRow { code: number; name: string; doc: string }
export interface LimitRow { name: string; value: number; doc: string }
export interface CostRow { base: number; per?: number; unit?: number; of?: string }
/**
 * The intrinsic (per-job) charge of a table (SPEC §8): one row per part, each
 * `base + per × ceil(n / unit)` with n the part's measure (`of`).
 */
export const INTRINSIC_PARTS = {
  JOB: "job", "JOB.code": "code", "JOB.instructions": "instructions", "JOB.entries": "entries", "JOB.state": "state", "JOB.memory": "memory",
} as const;
export type IntrinsicPart = keyof typeof INTRINSIC_PARTS;
export interface CostTable {
  status: string;
  doc: string;
  /** The contract `version` that selects this table (SPEC §5). */
  contractVersion: number;
  costs: Record<string, CostRow>;
  /** Absent: no intrinsic charge (v1). */
  intrinsic?: Partial<Record<IntrinsicPart, CostRow>>;
  /**
   * SPEC §9.7: what an appending STORE.state pays on top when it advances the
   * arena's compaction: `base + per × records` it processed, plus
   * `compactionMove` (`per × ceil(bytes / unit)` of the records it moved).
   * Absent: nothing (v1); a table has both rows or neither.
   */
  compaction?: CostRow;
  compactionMove?: CostRow;
  /**
   * SPEC §9.7: what a STORE.state of a new key or a STORE.del of a present one
   * pays on top for the index slots the insert or removal moves,
   * `per × ceil(slots / unit)`. Absent: nothing (v1).
   */
  indexMove?: CostRow;
  /**
   * SPEC §8.2: what a HALT pays on top when the call changed the state (the final
   * state is encoded and hashed anew), `base + per × entries` of the final state.
   * Absent: nothing (v1).
   */
  rehash?: CostRow;
  basedOn?: string;
  margin?: number;
}

export interface OpcodeTable {
  format: string;
  spec: string;
  specVersion: number;
  limits: LimitRow[];
  status: CodeRow[];
  traps: CodeRow[];
  errors: CodeRow[];
  immediates: { kind: ImmediateKind; size: string; doc: string }[];
  operandRoles: { role: OperandRole; doc: string }[];
  opcodes: OpcodeRow[];
  spaces: SpaceRow[];
  costTables: Record<string, CostTable>;
  /** The table new contract packages name by default (its contractVersion is what the tools emit). */
  defaultCostTable: string;
}

export const TABLE_PATH = fileURLToPath(new URL("../../../spec/opcodes.json", import.meta.url));

/** Cost keys: the mnemonic, or MNEMONIC.space for LOAD/STORE. */
export function costKeys(table: OpcodeTable): string[] {
  const keys: string[] = [];
  for (const op of table.opcodes) {
    if (op.immediate === "space") {
      for (const s of table.spaces) if (s[op.mnemonic as "LOAD" | "STORE"]) keys.push(`${op.mnemonic}.${s.name}`);
    } else keys.push(op.mnemonic);
  }
  return keys;
}

/** Throws with a precise message when the table breaks one of its own invariants. */
export function checkTable(table: OpcodeTable): void {
  const fail = (m: string): never => { throw new Error(`spec/opcodes.json: ${m}`); };
  if (table.format !== "mhr-opcode-table/1") fail(`unknown format ${table.format}`);
  if (table.opcodes.length !== 47) fail(`expected 47 opcodes, found ${table.opcodes.length}`);
  const bytes = new Set<number>();
  const names = new Set<string>();
  for (const op of table.opcodes) {
    const b = Number(op.byte);
    if (!Number.isInteger(b) || b <= 0 || b > 255) fail(`${op.mnemonic}: bad byte ${op.byte}`);
    if (bytes.has(b)) fail(`duplicate byte ${op.byte}`);
    if (names.has(op.mnemonic)) fail(`duplicate mnemonic ${op.mnemonic}`);
    bytes.add(b);
    names.add(op.mnemonic);
    const want = typeof op.pops === "number" ? op.pops : 0;
    if (!Array.isArray(op.operands) || op.operands.length !== want || !op.operands.every((r) => OPERAND_ROLES.includes(r))) {
      fail(`${op.mnemonic}: operands must name ${want} roles of ${OPERAND_ROLES.join(", ")}`);
    }
  }
  for (const s of table.spaces) {
    for (const k of ["LOAD", "STORE"] as const) {
      const e = s[k];
      if (e && (!Array.isArray(e.operands) || e.operands.length !== e.pops || !e.operands.every((r) => OPERAND_ROLES.includes(r)))) {
        fail(`${k}.${s.name}: operands must name ${e.pops} roles of ${OPERAND_ROLES.join(", ")}`);
      }
    }
  }
  for (const [name, ct] of Object.entries(table.costTables)) {
    for (const key of costKeys(table)) {
      const c = ct.costs[key];
      if (!c) fail(`cost table ${name} has no cost for ${key}`);
      if ((c.per === undefined) !== (c.unit === undefined) || (c.per === undefined) !== (c.of === undefined)) {
        fail(`cost table ${name}, ${key}: per, unit and of go together`);
      }
      const whole = (x: number | undefined, min: number) => x === undefined || (Number.isSafeInteger(x) && x >= min);
      if (!whole(c.base, 0) || !whole(c.per, 0) || !whole(c.unit, 1)) fail(`cost table ${name}, ${key}: base and per are whole numbers >= 0, unit >= 1`);
    }
    for (const key of Object.keys(ct.costs)) if (!costKeys(table).includes(key)) fail(`cost table ${name}: unknown key ${key}`);
  }
  if (!table.costTables[table.defaultCostTable]) fail(`default cost table ${table.defaultCostTable} missing`);
  const versions = new Set<number>();
  for (const [name, ct] of Object.entries(table.costTables)) {
    if (!Number.isSafeInteger(ct.contractVersion) || ct.contractVersion < 1) fail(`cost table ${name}: contractVersion must be a whole number >= 1`);
    if (versions.has(ct.contractVersion)) fail(`cost table ${name}: contract version ${ct.contractVersion} already names another table`);
    versions.add(ct.contractVersion);
    for (const [part, row] of Object.entries(ct.intrinsic ?? {})) {
      const of = (INTRINSIC_PARTS as Record<string, string>)[part];
      if (of === undefined) fail(`cost table ${name}: unknown intrinsic part ${part}`);
      if (row.of !== of || row.per === undefined || row.unit === undefined) fail(`cost table ${name}, intrinsic ${part}: needs base, per, unit and of "${of}"`);
      const whole = (x: number | undefined, min: number) => x !== undefined && Number.isSafeInteger(x) && x >= min;
      if (!whole(row.base, 0) || !whole(row.per, 0) || !whole(row.unit, 1)) fail(`cost table ${name}, intrinsic ${part}: base and per are whole numbers >= 0, unit >= 1`);
    }
  }
  for (const [name, ct] of Object.entries(table.costTables)) {
    const whole = (x: number | undefined, min: number) => x !== undefined && Number.isSafeInteger(x) && x >= min;
    for (const [what, c, of] of [["compaction", ct.compaction, "records"], ["rehash", ct.rehash, "entries"]] as const) {
      if (c === undefined) continue;
      if (c.of !== of || c.unit !== 1 || !whole(c.base, 0) || !whole(c.per, 0)) fail(`cost table ${name}, ${what}: needs whole base and per >= 0, unit 1 and of "${of}"`);
    }
    if ((ct.compaction === undefined) !== (ct.compactionMove === undefined)) fail(`cost table ${name}: compaction and compactionMove come together`);
    const mv = ct.compactionMove;
    if (mv && (mv.of !== "bytes" || mv.base !== 0 || !whole(mv.per, 0) || !whole(mv.unit, 1))) fail(`cost table ${name}, compactionMove: needs base 0, whole per >= 0, unit >= 1 and of "bytes"`);
    const im = ct.indexMove;
    if (im && (im.of !== "slots" || im.base !== 0 || !whole(im.per, 0) || !whole(im.unit, 1))) fail(`cost table ${name}, indexMove: needs base 0, whole per >= 0, unit >= 1 and of "slots"`);
  }
  const codes = (rows: CodeRow[], what: string) => rows.forEach((r, i) => { if (r.code !== i + 1) fail(`${what} codes must be 1..n in order`); });
  codes(table.traps, "trap");
  codes(table.errors, "error");
}

export function loadTable(path = TABLE_PATH): OpcodeTable {
  const table = JSON.parse(readFileSync(path, "utf8")) as OpcodeTable;
  checkTable(table);
  return table;
}
