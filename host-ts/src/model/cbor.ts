/**
 * The deterministic CBOR subset of SPEC §4, on top of cborg.
 *
 * cborg decodes, rejecting non-minimal integer heads, indefinite lengths and
 * trailing bytes; encoding is our own (below). What cborg's decoder lets
 * through — booleans, null, floats that happen to be integral, unsorted maps,
 * duplicate byte-string keys, deep nesting — is checked here, so `decodeStrict`
 * accepts exactly the encodings `encodeCanonical` produces.
 */
import { decode } from "cborg";
import { bytesToHex, compareBytes } from "./hex.ts";

/** A decoded value of the subset: integers are always bigint, maps keep their key order. */
export type CborValue = bigint | Uint8Array | string | CborValue[] | CborMap;
export type CborMap = Map<CborValue, CborValue>;

export const MAX_NESTING = 16;

export class CborError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CborError";
  }
}

const DECODE_OPTIONS = {
  strict: true,
  useMaps: true,
  rejectDuplicateMapKeys: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowBigInt: true,
} as const;

function normalise(v: unknown, depth: number): CborValue {
  if (depth > MAX_NESTING) throw new CborError(`nesting deeper than ${MAX_NESTING}`);
  if (typeof v === "bigint") return v;
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw new CborError("floating-point value");
    return BigInt(v);
  }
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map((x) => normalise(x, depth + 1));
  if (v instanceof Map) {
    const out: CborMap = new Map();
    const seen = new Set<string>();
    for (const [k, x] of v) {
      const key = normalise(k, depth + 1);
      const id = keyId(key);
      if (seen.has(id)) throw new CborError("duplicate map key");
      seen.add(id);
      out.set(key, normalise(x, depth + 1));
    }
    return out;
  }
  throw new CborError(`value of a type outside the subset (${v === null ? "null" : typeof v})`);
}

function keyId(k: CborValue): string {
  if (k instanceof Uint8Array) return "b:" + bytesToHex(k);
  if (typeof k === "bigint") return "i:" + k.toString();
  if (typeof k === "string") return "s:" + k;
  return "x:" + bytesToHex(encodeCanonical(k));
}

/**
 * RFC 8949 §4.2.1 deterministic encoding of the subset. Written out rather than
 * delegated: cborg's RFC 8949 map sorter rejects non-scalar keys, and a decoded
 * job may legitimately contain them (they make it malformed or mis-shaped, not
 * unencodable), so the canonical check must be able to re-encode anything.
 */
export function encodeCanonical(v: CborValue): Uint8Array {
  const out: number[] = [];
  write(v, out);
  return Uint8Array.from(out);
}

function head(major: number, n: bigint, out: number[]): void {
  const m = major << 5;
  if (n < 24n) { out.push(m | Number(n)); return; }
  const width = n < 0x100n ? 1 : n < 0x10000n ? 2 : n < 0x100000000n ? 4 : 8;
  out.push(m | { 1: 24, 2: 25, 4: 26, 8: 27 }[width]!);
  for (let i = width - 1; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
}

function write(v: CborValue, out: number[]): void {
  if (typeof v === "bigint") {
    if (v >= 0n) head(0, v, out);
    else head(1, -1n - v, out);
    if (v >= 1n << 64n || v < -(1n << 64n)) throw new CborError(`integer ${v} outside CBOR's range`);
  } else if (typeof v === "string") {
    const b = new TextEncoder().encode(v);
    head(3, BigInt(b.length), out);
    for (const x of b) out.push(x);
  } else if (v instanceof Uint8Array) {
    head(2, BigInt(v.length), out);
    for (const x of v) out.push(x);
  } else if (Array.isArray(v)) {
    head(4, BigInt(v.length), out);
    for (const x of v) write(x, out);
  } else {
    const entries = [...v].map(([k, x]) => [encodeCanonical(k), encodeCanonical(x)] as const);
    entries.sort((a, b) => compareBytes(a[0], b[0]));
    head(5, BigInt(entries.length), out);
    for (const [k, x] of entries) { for (const b of k) out.push(b); for (const b of x) out.push(b); }
  }
}

/** Decodes one item of the subset; throws CborError on anything else. */
export function decodeStrict(bytes: Uint8Array): CborValue {
  let raw: unknown;
  try {
    raw = decode(bytes, DECODE_OPTIONS);
  } catch (e) {
    throw new CborError((e as Error).message.replace(/^CBOR decode error: /, ""));
  }
  const value = normalise(raw, 1);
  const again = encodeCanonical(value);
  if (again.length !== bytes.length || !again.every((b, i) => b === bytes[i])) {
    throw new CborError("not the deterministic encoding (key order, float or simple value)");
  }
  return value;
}

export function isMap(v: CborValue | undefined): v is CborMap {
  return v instanceof Map;
}
export function isBytes(v: CborValue | undefined): v is Uint8Array {
  return v instanceof Uint8Array;
}
export function isInt(v: CborValue | undefined): v is bigint {
  return typeof v === "bigint";
}
export function isUint(v: CborValue | undefined): v is bigint {
  return typeof v === "bigint" && v >= 0n;
}
export function isText(v: CborValue | undefined): v is string {
  return typeof v === "string";
}
