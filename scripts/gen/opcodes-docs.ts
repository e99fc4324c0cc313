/** The tables of docs/SPEC.md between its GENERATED markers. */
import type { CostRow, OpcodeTable } from "../../host-ts/src/spec/table-schema.ts";
import { hex2 } from "./util.ts";

/** Measures that count bytes (the others count instructions or entries). */
const BYTE_MEASURES = new Set(["len", "klen", "job", "code", "state", "memory"]);

export function costText(c: CostRow): string {
  if (c.per === undefined) return String(c.base);
  if (c.of !== undefined && !BYTE_MEASURES.has(c.of)) return `${c.base} + ${c.per}${c.unit === 1 ? "" : `/${c.unit}`} per ${c.of === "entries" ? "entry" : c.of.replace(/s$/, "")}`;
  return `${c.base} + ${c.per}/${c.unit} B of ${c.of}`;
}

export function specTables(t: OpcodeTable): Record<string, string> {
  // One cost column per table, in contract-version order (SPEC §5 names the table by the version).
  const tables = Object.entries(t.costTables).sort((a, b) => a[1].contractVersion - b[1].contractVersion);
  const heads = tables.map(([n, ct]) => `cost (${n}, version ${ct.contractVersion})`);
  const ops: string[] = [`| byte | mnemonic | category | immediate | stack | ${heads.join(" | ")} | description |`, `|---|---|---|---|---|${heads.map(() => "---|").join("")}---|`];
  for (const o of t.opcodes) {
    const cost = tables.map(([, ct]) => (o.immediate === "space" ? "by space" : costText(ct.costs[o.mnemonic])));
    ops.push(`| \`${hex2(Number(o.byte))}\` | ${o.mnemonic} | ${o.category} | ${o.immediate} | \`${o.stack}\` | ${cost.join(" | ")} | ${o.doc} |`);
  }
  const sp: string[] = [`| space | byte | LOAD | STORE | ${heads.join(" | ")} |`, `|---|---|---|---|${heads.map(() => "---|").join("")}`];
  for (const s of t.spaces) {
    const eff = (k: "LOAD" | "STORE") => (s[k] ? `\`${s[k]!.stack}\` ${s[k]!.doc}` : "—");
    const cost = tables.map(([, ct]) => (["LOAD", "STORE"] as const).filter((k) => s[k]).map((k) => `${k}: ${costText(ct.costs[`${k}.${s.name}`])}`).join("; "));
    sp.push(`| ${s.name} | \`${hex2(Number(s.byte))}\` | ${eff("LOAD")} | ${eff("STORE")} | ${cost.join(" | ")} |`);
  }
  const intr = ["| table | contract version | intrinsic charge (SPEC §8) |", "|---|---|---|", ...tables.map(([n, ct]) => {
    const rows = Object.entries(ct.intrinsic ?? {});
    return `| ${n} | ${ct.contractVersion} | ${rows.length ? rows.map(([p, r]) => `${p}: ${costText(r!)}`).join("; ") : "none"} |`;
  })];
  const compaction = ["| table | compaction charge (SPEC §9.7), on top of the STORE.state that advances the compaction |", "|---|---|", ...tables.map(([n, ct]) =>
    `| ${n} | ${ct.compaction && ct.compactionMove ? `${ct.compaction.base} + ${ct.compaction.per} × units processed (live records and dead runs) + ${ct.compactionMove.per} × ceil(bytes moved / ${ct.compactionMove.unit})` : "none"} |`)];
  const indexMove = ["| table | index-move charge (SPEC §9.7), on top of a STORE.state of a new key or a STORE.del of a present one |", "|---|---|", ...tables.map(([n, ct]) =>
    `| ${n} | ${ct.indexMove ? `${ct.indexMove.per} × ceil(index slots moved / ${ct.indexMove.unit})` : "none"} |`)];
  const rehash = ["| table | rehash charge (SPEC §8.2), on top of HALT's when the call changed the state |", "|---|---|", ...tables.map(([n, ct]) =>
    `| ${n} | ${ct.rehash ? `${ct.rehash.base} + ${ct.rehash.per} × entries of the final state` : "none"} |`)];
  const rows = (r: { code: number; name: string; doc: string }[]) =>
    ["| code | name | meaning |", "|---|---|---|", ...r.map((x) => `| ${x.code} | \`${x.name}\` | ${x.doc} |`)].join("\n");
  const lim = ["| name | value | meaning |", "|---|---|---|", ...t.limits.map((l) => `| \`${l.name}\` | ${l.value} | ${l.doc} |`)].join("\n");
  return { opcodes: ops.join("\n"), spaces: sp.join("\n"), intrinsic: intr.join("\n"), compaction: compaction.join("\n"), indexMove: indexMove.join("\n"), rehash: rehash.join("\n"), limits: lim, status: rows(t.status), traps: rows(t.traps), errors: rows(t.errors) };
}

