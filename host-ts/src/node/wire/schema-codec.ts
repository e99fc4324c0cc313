/**
 * The strict codec of every node message, driven by the schemas generated
 * from spec/node-protocol.json: a message is the deterministic CBOR map
 * { 0: type, field keys..., 31: signature } (D3, D4). Decoding checks, in
 * this order, and stops at the first failure (docs/NODE.md §3.3):
 *   size (OVERSIZED) → CBOR (MALFORMED) → key 0 (UNKNOWN_TYPE) → the type's
 *   size (OVERSIZED) → unknown keys, lowest first (UNKNOWN_FIELD) → fields in
 *   key order, depth first (MISSING_FIELD, WRONG_TYPE) → struct rules
 *   (WRONG_TYPE) → signature present (UNSIGNED).
 * Signature verification and semantic checks belong to the message modules.
 */
import { CborError, decodeStrict, encodeCanonical, isBytes, isMap, isText, isUint, type CborMap, type CborValue } from "../../model/cbor.ts";
import {
  ENUM_VALUES,
  MESSAGE_NAMES,
  MESSAGE_SCHEMAS,
  NodeLimit,
  SIGNING_DOMAIN,
  STRUCT_SCHEMAS,
  type FieldSchema,
  type FieldType,
  type MessageName,
  type MessageTypes,
  type StructName,
  type StructTypes,
} from "../../generated/node-protocol.ts";
import { fail } from "./protocol-error.ts";
import { STRUCT_RULES } from "./struct-rules.ts";

const SIG_KEY = BigInt(NodeLimit.SIGNATURE_KEY);
const MAX: Record<8 | 16 | 32 | 64, bigint> = { 8: 0xffn, 16: 0xffffn, 32: 0xffffffffn, 64: 0xffffffffffffffffn };


type Plain = Record<string, unknown>;

function encodeValue(type: FieldType, v: unknown, path: string): CborValue {
  switch (type.t) {
    case "uint": {
      const n = typeof v === "bigint" ? v : BigInt(v as number);
      if (n < 0n || n > MAX[type.bits]) throw new RangeError(`${path}: ${n} does not fit uint${type.bits}`);
      return n;
    }
    case "flag": return (v as boolean) ? 1n : 0n;
    case "bytes": {
      const b = v as Uint8Array;
      if (!(b instanceof Uint8Array)) throw new TypeError(`${path}: expected bytes`);
      if (type.exact !== undefined && b.length !== type.exact) throw new RangeError(`${path}: ${b.length} bytes, expected ${type.exact}`);
      if (type.max !== undefined && b.length > type.max) throw new RangeError(`${path}: ${b.length} bytes, max ${type.max}`);
      return b;
    }
    case "text": {
      const s = v as string;
      if (Buffer.byteLength(s, "utf8") > type.max) throw new RangeError(`${path}: text longer than ${type.max} bytes`);
      return s;
    }
    case "enum": return BigInt(v as number);
    case "struct": return encodeFields(STRUCT_SCHEMAS[type.name as StructName], v as Plain, path);
    case "list": {
      const a = v as unknown[];
      if (a.length > type.max) throw new RangeError(`${path}: ${a.length} entries, max ${type.max}`);
      return a.map((x, i) => encodeValue(type.of, x, `${path}[${i}]`));
    }
  }
}

function encodeFields(fields: readonly FieldSchema[], value: Plain, path: string): CborMap {
  const m: CborMap = new Map();
  for (const f of fields) {
    const v = value[f.prop];
    if (v === undefined) {
      if (!f.optional) throw new TypeError(`${path}.${f.name} is required`);
      continue;
    }
    m.set(BigInt(f.key), encodeValue(f.type, v, `${path}.${f.name}`));
  }
  return m;
}

function decodeValue(type: FieldType, v: CborValue, path: string): unknown {
  const wrong = (what: string): never => fail("WRONG_TYPE", `${path}: ${what}`);
  switch (type.t) {
    case "uint":
      if (!isUint(v)) return wrong("expected an unsigned integer");
      if (v > MAX[type.bits]) return wrong(`${v} does not fit uint${type.bits}`);
      return type.bits === 64 ? v : Number(v);
    case "flag":
      if (v !== 0n && v !== 1n) return wrong("expected 0 or 1");
      return v === 1n;
    case "bytes":
      if (!isBytes(v)) return wrong("expected a byte string");
      if (type.exact !== undefined && v.length !== type.exact) return wrong(`${v.length} bytes, expected ${type.exact}`);
      if (type.max !== undefined && v.length > type.max) return wrong(`${v.length} bytes, at most ${type.max}`);
      return v;
    case "text":
      if (!isText(v)) return wrong("expected a text string");
      if (Buffer.byteLength(v, "utf8") > type.max) return wrong(`text longer than ${type.max} bytes`);
      return v;
    case "enum": {
      if (!isUint(v) || v > 0xffffn || !ENUM_VALUES[type.name].includes(Number(v))) return wrong(`not a ${type.name} value`);
      return Number(v);
    }
    case "struct":
      if (!isMap(v)) return wrong(`expected a map (${type.name})`);
      return decodeFields(type.name, STRUCT_SCHEMAS[type.name as StructName], v, path, []);
    case "list": {
      if (!Array.isArray(v)) return wrong("expected an array");
      if (v.length > type.max) return wrong(`${v.length} entries, at most ${type.max}`);
      return v.map((x, i) => decodeValue(type.of, x, `${path}[${i}]`));
    }
  }
}

function decodeFields(name: string, fields: readonly FieldSchema[], m: CborMap, path: string, extraKeys: bigint[]): Plain {
  const known = new Set(fields.map((f) => BigInt(f.key)));
  for (const k of m.keys()) {
    if (typeof k !== "bigint" || (!known.has(k) && !extraKeys.includes(k))) fail("UNKNOWN_FIELD", `${path}: unknown key ${typeof k === "bigint" ? k : JSON.stringify(String(k))}`);
  }
  const out: Plain = {};
  for (const f of fields) {
    const v = m.get(BigInt(f.key));
    if (v === undefined) {
      if (!f.optional) fail("MISSING_FIELD", `${path}.${f.name} (key ${f.key}) is missing`);
      continue;
    }
    out[f.prop] = decodeValue(f.type, v, `${path}.${f.name}`);
  }
  STRUCT_RULES[name as StructName]?.(out, path);
  return out;
}

export function encodeStruct<N extends StructName>(name: N, value: StructTypes[N]): Uint8Array {
  return encodeCanonical(encodeFields(STRUCT_SCHEMAS[name], value as unknown as Plain, name));
}

/** Strictly decodes a standalone struct document (FunctionCall, FunctionResult, AgreementBody). */
export function decodeStruct<N extends StructName>(name: N, bytes: Uint8Array, maxBytes = Infinity): StructTypes[N] {
  if (bytes.length > maxBytes) fail("OVERSIZED", `${name}: ${bytes.length} bytes, at most ${maxBytes}`);
  let v: CborValue;
  try {
    v = decodeStrict(bytes);
  } catch (e) {
    return fail("MALFORMED", `${name}: ${(e as CborError).message}`);
  }
  if (!isMap(v)) return fail("MALFORMED", `${name}: not a map`);
  return decodeFields(name, STRUCT_SCHEMAS[name], v, name, []) as unknown as StructTypes[N];
}

/** The canonical map of a message without its signature (what D4 signs). */
export function messageBody<N extends MessageName>(name: N, value: MessageTypes[N]): CborMap {
  const s = MESSAGE_SCHEMAS[name];
  const m = encodeFields(s.fields, value as unknown as Plain, name);
  m.set(0n, BigInt(s.code));
  return m;
}

/** D4: the bytes a signature covers: domain prefix ‖ type name ‖ 0x00 ‖ body. */
export function signingInput(typeName: string, body: Uint8Array): Uint8Array {
  const prefix = Buffer.from(`${SIGNING_DOMAIN}${typeName}\u0000`, "utf8");
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix);
  out.set(body, prefix.length);
  return out;
}

/** Encodes a message; `signature` (64 bytes) is put under key 31 for signed types. */
export function encodeMessage<N extends MessageName>(name: N, value: MessageTypes[N], signature?: Uint8Array): Uint8Array {
  const m = messageBody(name, value);
  const s = MESSAGE_SCHEMAS[name];
  if (s.signed === "message" || s.signed === "agreement") {
    if (!signature || signature.length !== 64) throw new TypeError(`${name} is a signed message: a 64-byte signature is required`);
    m.set(SIG_KEY, signature);
  } else if (signature) throw new TypeError(`${name} carries no signature field`);
  const bytes = encodeCanonical(m);
  if (bytes.length > s.maxBytes) throw new RangeError(`${name}: ${bytes.length} bytes, above its maximum ${s.maxBytes}`);
  return bytes;
}

export interface Decoded<N extends MessageName = MessageName> {
  name: N;
  value: MessageTypes[N];
  /** Key 31, for signed types. */
  signature?: Uint8Array;
  /** Canonical encoding of the message without key 31 (the D4 body). */
  body: Uint8Array;
  /** The message bytes as received. */
  raw: Uint8Array;
}

/** Decodes one message whose type must be one of `expected`. */
export function decodeMessage<N extends MessageName>(bytes: Uint8Array, expected: readonly N[]): Decoded<N> {
  const limit = Math.max(...expected.map((n) => MESSAGE_SCHEMAS[n].maxBytes));
  if (bytes.length > limit) fail("OVERSIZED", `${bytes.length} bytes, at most ${limit}`);
  let v: CborValue;
  try {
    v = decodeStrict(bytes);
  } catch (e) {
    return fail("MALFORMED", (e as Error).message);
  }
  if (!isMap(v)) return fail("MALFORMED", "a message is a CBOR map");
  const type = v.get(0n);
  if (!isUint(type)) return fail("UNKNOWN_TYPE", "key 0 (the message type) is missing or not an unsigned integer");
  const name = type <= 0xffffn ? MESSAGE_NAMES[Number(type)] : undefined;
  if (!name || !(expected as readonly string[]).includes(name)) return fail("UNKNOWN_TYPE", `type ${type}${name ? ` (${name})` : ""} is not expected here (${expected.join(", ")})`);
  const s = MESSAGE_SCHEMAS[name];
  if (bytes.length > s.maxBytes) fail("OVERSIZED", `${name}: ${bytes.length} bytes, at most ${s.maxBytes}`);
  const signed = s.signed === "message" || s.signed === "agreement";
  const value = decodeFields(name, s.fields, v, name, signed ? [0n, SIG_KEY] : [0n]);
  let signature: Uint8Array | undefined;
  if (signed) {
    const sig = v.get(SIG_KEY);
    if (sig === undefined) fail("UNSIGNED", `${name} has no signature (key ${SIG_KEY})`);
    if (!isBytes(sig) || sig.length !== 64) fail("WRONG_TYPE", `${name}.sig: expected a 64-byte byte string`);
    signature = sig as Uint8Array;
  }
  const bodyMap: CborMap = new Map(v);
  bodyMap.delete(SIG_KEY);
  return { name: name as N, value: value as unknown as MessageTypes[N], signature, body: encodeCanonical(bodyMap), raw: bytes };
}

