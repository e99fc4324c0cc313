/**
 * Types and loader for spec/protocol.json, the data file the board
 * protocol's TypeScript constants, C header and PROTOCOL.md tables are
 * generated from.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { OpcodeTable } from "./table-schema.ts";

export interface ProtoSizeRow { name: string; value?: number; limit?: string; doc: string }
export interface ProtoMessageRow { type: string; name: string; replyOnly?: boolean; arg: string; request: string; reply: string; doc: string }
export interface ProtoErrorRow { code: number; name: string; link: boolean; doc: string; action: string }
export interface ProtoBitRow { bit: string; name: string; doc: string }

export interface ProtocolTable {
  format: string;
  doc: string;
  protocolVersion: number;
  sizes: ProtoSizeRow[];
  replyBit: string;
  messages: ProtoMessageRow[];
  errors: ProtoErrorRow[];
  features: ProtoBitRow[];
  benchFlags: ProtoBitRow[];
}

export const PROTOCOL_TABLE_PATH = fileURLToPath(new URL("../../../spec/protocol.json", import.meta.url));

/** A size's value: its own, or the opcode table's limit it names. */
export function sizeValue(row: ProtoSizeRow, opcodes: OpcodeTable): number {
  if (row.value !== undefined) return row.value;
  const lim = opcodes.limits.find((l) => l.name === row.limit);
  if (!lim) throw new Error(`spec/protocol.json: size ${row.name} names unknown limit ${row.limit}`);
  return lim.value;
}

export function checkProtocolTable(t: ProtocolTable, opcodes: OpcodeTable): void {
  const fail = (m: string): never => { throw new Error(`spec/protocol.json: ${m}`); };
  if (t.format !== "mhr-protocol-table/1") fail(`unknown format ${t.format}`);
  const reply = Number(t.replyBit);
  const types = new Set<number>();
  for (const m of t.messages) {
    const b = Number(m.type);
    if (!Number.isInteger(b) || b < 1 || b > 0xff) fail(`${m.name}: bad type ${m.type}`);
    if (types.has(b)) fail(`duplicate type ${m.type}`);
    if (!m.replyOnly && (b & reply) !== 0) fail(`${m.name}: a request type may not have the reply bit`);
    types.add(b);
  }
  t.errors.forEach((e, i) => { if (e.code !== i + 1) fail("error codes must be 1..n in order"); });
  for (const rows of [t.features, t.benchFlags]) {
    for (const r of rows) { const b = Number(r.bit); if (!Number.isInteger(b) || b <= 0 || (b & (b - 1)) !== 0) fail(`${r.name}: ${r.bit} is not one bit`); }
  }
  for (const s of t.sizes) if ((s.value === undefined) === (s.limit === undefined)) fail(`size ${s.name}: give value or limit`);
  for (const s of t.sizes) sizeValue(s, opcodes);
}

export function loadProtocolTable(opcodes: OpcodeTable, path = PROTOCOL_TABLE_PATH): ProtocolTable {
  const t = JSON.parse(readFileSync(path, "utf8")) as ProtocolTable;
  checkProtocolTable(t, opcodes);
  return t;
}
