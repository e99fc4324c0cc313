/** Per-opcode, per-trap and per-error vector counts (mhr vectors coverage). */
import { OPCODES, SPACES, Trap, ErrorCode } from "../generated/opcodes.ts";
import type { Vector } from "./format.ts";

export interface Coverage {
  total: number;
  opcodes: Record<string, number>;
  spaces: Record<string, number>;
  traps: Record<string, number>;
  errors: Record<string, number>;
  statuses: Record<string, number>;
  missing: string[];
}

export function coverage(vectors: Vector[]): Coverage {
  const opcodes = Object.fromEntries(OPCODES.map((o) => [o.mnemonic, 0]));
  const spaces: Record<string, number> = {};
  for (const o of OPCODES) if (o.immediate === "space") for (const s of SPACES) if (s[o.mnemonic as "LOAD" | "STORE"]) spaces[`${o.mnemonic}.${s.name}`] = 0;
  const traps = Object.fromEntries(Object.keys(Trap).map((t) => [t, 0]));
  const errors = Object.fromEntries(Object.keys(ErrorCode).map((t) => [t, 0]));
  const statuses: Record<string, number> = { HALT: 0, ABORT: 0, TRAP: 0, INVALID: 0 };
  for (const v of vectors) {
    const seenOps = new Set<string>();
    for (const op of v.covers.opcodes) {
      const base = op.split(".")[0];
      if (!seenOps.has(base) && base in opcodes) { opcodes[base]++; seenOps.add(base); }
      if (op in spaces) spaces[op]++;
    }
    for (const t of new Set(v.covers.traps)) if (t in traps) traps[t]++;
    for (const e of new Set(v.covers.errors)) if (e in errors) errors[e]++;
    statuses[v.expected.status] = (statuses[v.expected.status] ?? 0) + 1;
  }
  const missing = [
    ...Object.entries(opcodes).filter(([, n]) => n === 0).map(([k]) => `opcode ${k}`),
    ...Object.entries(spaces).filter(([, n]) => n === 0).map(([k]) => `space ${k}`),
    ...Object.entries(traps).filter(([, n]) => n === 0).map(([k]) => `trap ${k}`),
    ...Object.entries(errors).filter(([, n]) => n === 0).map(([k]) => `error ${k}`),
  ];
  return { total: vectors.length, opcodes, spaces, traps, errors, statuses, missing };
}

export function formatCoverage(c: Coverage): string {
  const block = (title: string, rec: Record<string, number>) => {
    const rows = Object.entries(rec).map(([k, n]) => `  ${k.padEnd(26)} ${String(n).padStart(5)}${n === 0 ? "  <- NOT COVERED" : ""}`);
    return [`${title}:`, ...rows].join("\n");
  };
  return [
    `vectors: ${c.total}`,
    block("opcodes", c.opcodes),
    block("LOAD/STORE spaces", c.spaces),
    block("traps", c.traps),
    block("validation errors", c.errors),
    block("statuses", c.statuses),
    c.missing.length ? `MISSING: ${c.missing.length}` : "every opcode, space, trap and error is covered",
  ].join("\n");
}
