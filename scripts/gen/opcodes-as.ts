/** interpreter-as/assembly/generated/opcodes.ts: constants and byte tables for the AssemblyScript VM. */
import { costKeys, type OpcodeTable } from "../../host-ts/src/spec/table-schema.ts";
import { HEADER, cname, hex2 } from "./util.ts";

export function opcodesAs(t: OpcodeTable): string {
  const L: string[] = [`// ${HEADER}`, "// AssemblyScript constants for the VM. Shared data only, never logic.", ""];
  L.push(`export const SPEC_VERSION: i32 = ${t.specVersion};`, "");
  for (const o of t.opcodes) L.push(`export const OP_${o.mnemonic}: u8 = ${hex2(Number(o.byte))};`);
  L.push("");
  for (const s of t.spaces) L.push(`export const SPACE_${s.name.toUpperCase()}: u8 = ${hex2(Number(s.byte))};`);
  L.push("");
  for (const l of t.limits) L.push(`export const LIMIT_${l.name}: ${l.value > 0x7fffffff ? "u64" : "i32"} = ${l.value};`);
  L.push("");
  for (const r of t.status) L.push(`export const STATUS_${r.name}: i32 = ${r.code};`);
  for (const r of t.traps) L.push(`export const TRAP_${r.name}: i32 = ${r.code};`);
  for (const r of t.errors) L.push(`export const ERR_${r.name}: i32 = ${r.code};`);
  L.push("");
  const costs = t.costTables[t.activeCostTable].costs;
  L.push(`// Cost table ${t.activeCostTable}: cost = BASE + PER * ceil(n / UNIT).`);
  for (const k of costKeys(t)) {
    const c = costs[k];
    L.push(`export const COST_${cname(k)}: u32 = ${c.base};`);
    if (c.per !== undefined) L.push(`export const COST_${cname(k)}_PER: u32 = ${c.per};\nexport const COST_${cname(k)}_UNIT: u32 = ${c.unit};`);
  }
  L.push("");
  // Base costs as arrays (one u32 per cost key, in costKeys order), so the loop
  // reads an instruction's base cost through a table pointer a job can switch.
  const keys = costKeys(t);
  L.push("// Byte offset of each cost key's base cost in a COST_TABLE_* array (u32 entries).");
  keys.forEach((k, i) => L.push(`export const CK_${cname(k)}: usize = ${4 * i};`));
  for (const [name, ct] of Object.entries(t.costTables)) {
    L.push(`/** Cost table ${name} (${ct.status}): ${keys.length} u32 base costs, indexed by CK_*. */`);
    L.push(`export const COST_TABLE_${cname(name)}: usize = memory.data<u32>([${keys.map((k) => ct.costs[k].base).join(",")}]);`);
  }
  L.push(`/** The active table (${t.activeCostTable}). */`);
  L.push(`export const COST_TABLE: usize = COST_TABLE_${cname(t.activeCostTable)};`);
  L.push("");
  // Per-byte immediate kind: 0 = not an opcode, 1 none, 2 push, 3 target, 4 space.
  const kinds = new Array<number>(256).fill(0);
  const kindCode = { none: 1, push: 2, target: 3, space: 4 } as const;
  for (const o of t.opcodes) kinds[Number(o.byte)] = kindCode[o.immediate];
  L.push("export const IMM_INVALID: u8 = 0;\nexport const IMM_NONE: u8 = 1;\nexport const IMM_PUSH: u8 = 2;\nexport const IMM_TARGET: u8 = 3;\nexport const IMM_SPACE: u8 = 4;");
  L.push("/** 256 bytes: the immediate kind of each opcode byte (IMM_*). */");
  L.push(`export const OPCODE_IMMEDIATE: usize = memory.data<u8>([${kinds.join(",")}]);`);
  // Stack effects are not tables here: the loop's STACK phase is generated from them (gen/vm-loop.ts).
  return L.join("\n") + "\n";
}

