/** interpreter-as/assembly/generated/opcodes.ts: constants and byte tables for the AssemblyScript VM. */
import { INTRINSIC_PARTS, costKeys, type CostRow, type IntrinsicPart, type OpcodeTable } from "../../host-ts/src/spec/table-schema.ts";
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
  // Cost tables (SPEC §10) as data the loop indexes at run time, so the table is
  // the job's (its contract version's) and not fixed at build time.
  const keys = costKeys(t);
  const tables = Object.entries(t.costTables).sort((a, b) => a[1].contractVersion - b[1].contractVersion);
  const fail = (m: string): never => { throw new Error(`spec/opcodes.json (AS VM tables): ${m}`); };
  const first = tables[0][1].contractVersion;
  tables.forEach(([name, ct], i) => { if (ct.contractVersion !== first + i) fail(`cost table ${name}: contract versions must be consecutive`); });
  // One unit per sized key (and per intrinsic part) for every table: the unit stays a constant, only base and per are per table.
  const sizedKeys = keys.filter((k) => tables.some(([, ct]) => ct.costs[k].per !== undefined));
  const unitOf = (rows: (CostRow | undefined)[], what: string): number => {
    const units = new Set(rows.filter((r): r is CostRow => r !== undefined).map((r) => r.unit));
    if (units.size !== 1 || [...units][0] === undefined) fail(`${what}: every table needs the same unit`);
    return [...units][0]!;
  };
  L.push("// Units of the size-dependent costs (the same in every table): cost = base + per * ceil(n / UNIT).");
  for (const k of sizedKeys) {
    for (const [name, ct] of tables) if (ct.costs[k].per === undefined) fail(`${k} is size-dependent in one table but not in ${name}`);
    L.push(`export const COST_${cname(k)}_UNIT: u32 = ${unitOf(tables.map(([, ct]) => ct.costs[k]), k)};`);
  }
  const parts = Object.keys(INTRINSIC_PARTS) as IntrinsicPart[];
  for (const p of parts) {
    const rows = tables.map(([, ct]) => ct.intrinsic?.[p]);
    for (const [name, ct] of tables) if ((ct.intrinsic?.[p]?.base ?? 0) !== 0 && p !== "JOB") fail(`cost table ${name}: intrinsic ${p} has a base (only JOB may)`);
    L.push(`export const INTRINSIC_${cname(p)}_UNIT: u32 = ${rows.some((r) => r) ? unitOf(rows, `intrinsic ${p}`) : 1};`);
  }
  L.push("");
  // Layout of one table: every key's base, then the per of each sized key, then the intrinsic
  // (JOB base, then the per of JOB, JOB.code, JOB.instructions, JOB.entries, JOB.state, JOB.memory;
  // zeros for a table without one), the compaction row, the rehash row.
  L.push("// Byte offsets in a cost table (u32 entries): CK_* base costs, CKP_* per-unit parts, CKI_* the intrinsic charge, CKC_* the compaction charge, CKR_* the rehash charge, CKX_* the index-move charge.");
  keys.forEach((k, i) => L.push(`export const CK_${cname(k)}: usize = ${4 * i};`));
  sizedKeys.forEach((k, i) => L.push(`export const CKP_${cname(k)}: usize = ${4 * (keys.length + i)};`));
  const ib = keys.length + sizedKeys.length;
  const perNames = ["JOB_PER", "CODE_PER", "INS_PER", "ENTRIES_PER", "STATE_PER", "MEMORY_PER"];
  L.push(`export const CKI_JOB: usize = ${4 * ib};`, ...perNames.map((n, i) => `export const CKI_${n}: usize = ${4 * (ib + 1 + i)};`));
  const cb = ib + 1 + perNames.length;
  L.push(`export const CKC_COMPACT: usize = ${4 * cb};`, `export const CKC_COMPACT_PER: usize = ${4 * (cb + 1)};`, `export const CKC_MOVE_PER: usize = ${4 * (cb + 2)};`);
  L.push(`export const CKR_REHASH: usize = ${4 * (cb + 3)};`, `export const CKR_REHASH_PER: usize = ${4 * (cb + 4)};`);
  L.push(`export const CKX_INDEX_PER: usize = ${4 * (cb + 5)};`);
  const stride = cb + 6;
  // One unit for the moved bytes of every table that has the row (the VM divides by a constant).
  const moveUnits = [...new Set(tables.filter(([, ct]) => ct.compactionMove).map(([, ct]) => ct.compactionMove!.unit!))];
  if (moveUnits.length > 1) fail(`the compactionMove rows use different units (${moveUnits.join(", ")})`);
  L.push(`/** Bytes per unit of the compaction's moved-bytes charge (SPEC §9.7). */`, `export const COMPACT_MOVE_UNIT: u32 = ${moveUnits[0] ?? 1};`);
  const block = t.limits.find((l) => l.name === "INDEX_BLOCK")?.value;
  if (block === undefined || !Number.isSafeInteger(block) || block < 2 || block > 256 || (block & (block - 1)) !== 0) fail("INDEX_BLOCK must be a power of two from 2 to 256 (the VM keeps one u8 head per block)");
  const slotUnits = [...new Set(tables.filter(([, ct]) => ct.indexMove).map(([, ct]) => ct.indexMove!.unit!))];
  if (slotUnits.length > 1) fail(`the indexMove rows use different units (${slotUnits.join(", ")})`);
  L.push(`/** Slots per unit of the index-move charge (SPEC §9.7). */`, `export const INDEX_MOVE_UNIT: u32 = ${slotUnits[0] ?? 1};`);
  L.push(`/** Bytes per table in COST_TABLES. */`, `export const COST_TABLE_STRIDE: usize = ${4 * stride};`);
  L.push(`/** Contract versions ${first}..${first + tables.length - 1} name the tables ${tables.map(([n]) => n).join(", ")} (SPEC §5), in this order in COST_TABLES. */`);
  L.push(`export const COST_VERSION_FIRST: u64 = ${first};`, `export const COST_VERSION_LAST: u64 = ${first + tables.length - 1};`);
  // vm.ts multiplies per by the unit count in 32 bits. Every n it counts is below 2^17 (klen + cap
  // <= MAX_KEY_SIZE + MAX_MEMORY, a job <= MAX_JOB_SIZE + 1), so per × ceil(2^17 / unit) must fit.
  const fits = (row: CostRow | undefined) => row === undefined || row.per === undefined || row.per * Math.ceil(2 ** 17 / row.unit!) < 2 ** 32;
  for (const [name, ct] of tables) {
    for (const k of sizedKeys) if (!fits(ct.costs[k])) fail(`cost table ${name}, ${k}: per × units does not fit in 32 bits`);
    for (const p of parts) if (!fits(ct.intrinsic?.[p])) fail(`cost table ${name}, intrinsic ${p}: per × units does not fit in 32 bits`);
    // vm.ts sums the intrinsic charge, and computes the rehash charge, in 32 bits (entries < 2^17 too).
    const most = (row: CostRow | undefined) => (row ? row.base + (row.per ?? 0) * Math.ceil(2 ** 17 / (row.unit ?? 1)) : 0);
    if (parts.reduce((s, p) => s + most(ct.intrinsic?.[p]), 0) >= 2 ** 32) fail(`cost table ${name}: the intrinsic charge's largest sum does not fit in 32 bits`);
    if (most(ct.rehash) >= 2 ** 32) fail(`cost table ${name}: the rehash charge does not fit in 32 bits`);
    // The compaction charge is summed in 64 bits, but each product in 32: a store processes fewer than 2^17 records and moves fewer than 2^17 bytes.
    if (most(ct.compaction) >= 2 ** 32 || most(ct.compactionMove) >= 2 ** 32) fail(`cost table ${name}: a compaction charge part does not fit in 32 bits`);
    if (most(ct.indexMove) >= 2 ** 32) fail(`cost table ${name}: the index-move charge does not fit in 32 bits`);
  }
  const row = (ct: (typeof tables)[number][1]): number[] => [
    ...keys.map((k) => ct.costs[k].base), ...sizedKeys.map((k) => ct.costs[k].per!),
    ct.intrinsic?.JOB?.base ?? 0, ...parts.map((p) => ct.intrinsic?.[p]?.per ?? 0),
    ct.compaction?.base ?? 0, ct.compaction?.per ?? 0, ct.compactionMove?.per ?? 0, ct.rehash?.base ?? 0, ct.rehash?.per ?? 0,
    ct.indexMove?.per ?? 0,
  ];
  L.push(`export const COST_TABLES: usize = memory.data<u32>([${tables.map(([, ct]) => row(ct).join(",")).join(",\n  ")}]);`);
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

