/**
 * Types, loader and invariant checks for spec/node-protocol.json: the one
 * table of the mesh node's message types, field layouts, protocols, limits,
 * time-outs and error codes. scripts/gen/node-protocol.ts generates the
 * TypeScript table (host-ts/src/generated/node-protocol.ts) and the tables
 * of docs/NODE.md from it.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface NamedValue { name: string; value: number; doc: string }
export interface EnumValue { value: number; name: string; doc: string }
export interface EnumDef { name: string; doc: string; values: EnumValue[] }
export interface FieldDef { key: number; name: string; type: string; optional?: boolean; doc: string }
export interface StructDef { name: string; doc: string; fields: FieldDef[] }
export type Signing = "none" | "message" | "agreement" | "state";
export interface MessageDef { code: number; name: string; signed: Signing; maxBytes: number; doc: string; fields: FieldDef[] }
export interface ErrorDef { code: number; name: string; doc: string }
export interface TopicDef { name: string; kind: "topic"; id: string; maxBytes: number; messages: string[]; doc: string }
export interface RequestProtocolDef {
  name: string;
  kind: "request";
  id: string;
  maxRequestBytes: number;
  maxResponseBytes: number;
  readTimeout: string;
  timeout: string;
  requests: string[];
  responses: string[];
  doc: string;
}
export type ProtocolDef = TopicDef | RequestProtocolDef;

export interface NodeProtocolTable {
  format: string;
  protocolVersion: number;
  domain: string;
  signatureKey: number;
  limits: NamedValue[];
  timeouts: NamedValue[];
  protocols: ProtocolDef[];
  enums: EnumDef[];
  structs: StructDef[];
  messages: MessageDef[];
  errors: ErrorDef[];
}

/** A field type, parsed from the table's type grammar (docs/NODE.md §3). */
export type ParsedType =
  | { t: "uint"; bits: 8 | 16 | 32 | 64 }
  | { t: "flag" }
  | { t: "bytes"; exact?: number; max?: number }
  | { t: "text"; max: number }
  | { t: "enum"; name: string }
  | { t: "struct"; name: string }
  | { t: "list"; max: number; of: ParsedType };

export const NODE_PROTOCOL_PATH = fileURLToPath(new URL("../../../spec/node-protocol.json", import.meta.url));

export function parseType(s: string): ParsedType {
  let m: RegExpExecArray | null;
  if ((m = /^uint(8|16|32|64)$/.exec(s))) return { t: "uint", bits: Number(m[1]) as 8 | 16 | 32 | 64 };
  if (s === "flag") return { t: "flag" };
  if ((m = /^bytes\[(\d+)\]$/.exec(s))) return { t: "bytes", exact: Number(m[1]) };
  if ((m = /^bytes\[\.\.(\d+)\]$/.exec(s))) return { t: "bytes", max: Number(m[1]) };
  if ((m = /^text\[\.\.(\d+)\]$/.exec(s))) return { t: "text", max: Number(m[1]) };
  if ((m = /^enum:([A-Za-z]+)$/.exec(s))) return { t: "enum", name: m[1] };
  if ((m = /^struct:([A-Za-z]+)$/.exec(s))) return { t: "struct", name: m[1] };
  if ((m = /^list\[\.\.(\d+)\]:(.+)$/.exec(s))) return { t: "list", max: Number(m[1]), of: parseType(m[2]) };
  throw new Error(`unknown field type "${s}"`);
}

export function snakeToCamel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function loadNodeProtocol(path = NODE_PROTOCOL_PATH): NodeProtocolTable {
  const t = JSON.parse(readFileSync(path, "utf8")) as NodeProtocolTable;
  checkNodeProtocol(t);
  return t;
}

/** Throws with a precise message when the table breaks one of its own rules. */
export function checkNodeProtocol(t: NodeProtocolTable): void {
  const fail = (m: string): never => { throw new Error(`spec/node-protocol.json: ${m}`); };
  if (t.format !== "mhr-node-protocol/1") fail(`format must be mhr-node-protocol/1`);
  const unique = <T>(rows: T[], key: (r: T) => string | number, what: string) => {
    const seen = new Set<string | number>();
    for (const r of rows) {
      const k = key(r);
      if (seen.has(k)) fail(`duplicate ${what} ${k}`);
      seen.add(k);
    }
  };
  unique(t.limits, (l) => l.name, "limit");
  unique(t.timeouts, (l) => l.name, "timeout");
  unique(t.enums, (e) => e.name, "enum");
  unique(t.structs, (s) => s.name, "struct");
  unique(t.messages, (m) => m.name, "message name");
  unique(t.messages, (m) => m.code, "message code");
  unique(t.errors, (e) => e.code, "error code");
  unique(t.errors, (e) => e.name, "error name");
  unique(t.protocols, (p) => p.id, "protocol id");
  const enums = new Set(t.enums.map((e) => e.name));
  const structs = new Set(t.structs.map((s) => s.name));
  const messages = new Set(t.messages.map((m) => m.name));
  const timeouts = new Set(t.timeouts.map((x) => x.name));
  for (const e of t.enums) unique(e.values, (v) => v.value, `value of enum ${e.name}`);
  const checkType = (p: ParsedType, where: string): void => {
    if (p.t === "enum" && !enums.has(p.name)) fail(`${where}: unknown enum ${p.name}`);
    if (p.t === "struct" && !structs.has(p.name)) fail(`${where}: unknown struct ${p.name}`);
    if (p.t === "list") checkType(p.of, where);
  };
  const checkFields = (fields: FieldDef[], where: string, reserved: number[]) => {
    unique(fields, (f) => f.key, `key in ${where}`);
    unique(fields, (f) => f.name, `field name in ${where}`);
    for (const f of fields) {
      if (!Number.isInteger(f.key) || f.key < 0 || f.key > 23) fail(`${where}.${f.name}: keys are 0..23 (one-byte CBOR heads)`);
      if (reserved.includes(f.key)) fail(`${where}.${f.name}: key ${f.key} is reserved`);
      if (!/^[a-z][a-z0-9_]*$/.test(f.name)) fail(`${where}.${f.name}: field names are snake_case`);
      let p: ParsedType;
      try {
        p = parseType(f.type);
      } catch (e) {
        return fail(`${where}.${f.name}: ${(e as Error).message}`);
      }
      checkType(p, `${where}.${f.name}`);
    }
  };
  for (const s of t.structs) checkFields(s.fields, s.name, []);
  for (const m of t.messages) {
    // Key 0 is the type code of every message; the signature key is never a field.
    checkFields(m.fields, m.name, [0]);
    if (!["none", "message", "agreement", "state"].includes(m.signed)) fail(`${m.name}: signed must be none, message, agreement or state`);
    if (!(m.maxBytes > 0)) fail(`${m.name}: maxBytes must be positive`);
    if (m.code < 1 || m.code > 0xffff) fail(`${m.name}: code must be 1..65535`);
  }
  for (const p of t.protocols) {
    if (p.kind === "topic") {
      for (const m of p.messages) if (!messages.has(m)) fail(`${p.name}: unknown message ${m}`);
    } else {
      for (const m of [...p.requests, ...p.responses]) if (!messages.has(m)) fail(`${p.name}: unknown message ${m}`);
      if (!timeouts.has(p.readTimeout) || !timeouts.has(p.timeout)) fail(`${p.name}: unknown time-out`);
      for (const m of p.requests) {
        const def = t.messages.find((x) => x.name === m)!;
        if (def.maxBytes > p.maxRequestBytes) fail(`${p.name}: ${m} may be ${def.maxBytes} bytes, above maxRequestBytes ${p.maxRequestBytes}`);
      }
      for (const m of p.responses) {
        const def = t.messages.find((x) => x.name === m)!;
        if (def.maxBytes > p.maxResponseBytes) fail(`${p.name}: ${m} may be ${def.maxBytes} bytes, above maxResponseBytes ${p.maxResponseBytes}`);
      }
    }
  }
  for (const e of t.errors) if (!/^[A-Z][A-Z0-9_]*$/.test(e.name) || e.code < 1 || e.code > 0xffff) fail(`error ${e.name}: bad name or code`);
}
