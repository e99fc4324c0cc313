/** The tables of docs/SPEC.md between its GENERATED markers. */
import type { CostRow, OpcodeTable } from "../../host-ts/src/spec/table-schema.ts";
import { hex2 } from "./util.ts";

export function costText(c: CostRow): string {
  return c.per === undefined ? String(c.base) : `${c.base} + ${c.per}/${c.unit} B of ${c.of}`;
}

export function specTables(t: OpcodeTable): Record<string, string> {
  const costs = t.costTables[t.activeCostTable].costs;
  const ops: string[] = ["| byte | mnemonic | category | immediate | stack | cost (v1) | description |", "|---|---|---|---|---|---|---|"];
  for (const o of t.opcodes) {
    const cost = o.immediate === "space" ? "by space" : costText(costs[o.mnemonic]);
    ops.push(`| \`${hex2(Number(o.byte))}\` | ${o.mnemonic} | ${o.category} | ${o.immediate} | \`${o.stack}\` | ${cost} | ${o.doc} |`);
  }
  const sp: string[] = ["| space | byte | LOAD | STORE | cost (v1) |", "|---|---|---|---|---|"];
  for (const s of t.spaces) {
    const eff = (k: "LOAD" | "STORE") => (s[k] ? `\`${s[k]!.stack}\` ${s[k]!.doc}` : "—");
    const cost = (["LOAD", "STORE"] as const).filter((k) => s[k]).map((k) => `${k}: ${costText(costs[`${k}.${s.name}`])}`).join("; ");
    sp.push(`| ${s.name} | \`${hex2(Number(s.byte))}\` | ${eff("LOAD")} | ${eff("STORE")} | ${cost} |`);
  }
  const rows = (r: { code: number; name: string; doc: string }[]) =>
    ["| code | name | meaning |", "|---|---|---|", ...r.map((x) => `| ${x.code} | \`${x.name}\` | ${x.doc} |`)].join("\n");
  const lim = ["| name | value | meaning |", "|---|---|---|", ...t.limits.map((l) => `| \`${l.name}\` | ${l.value} | ${l.doc} |`)].join("\n");
  return { opcodes: ops.join("\n"), spaces: sp.join("\n"), limits: lim, status: rows(t.status), traps: rows(t.traps), errors: rows(t.errors) };
}

