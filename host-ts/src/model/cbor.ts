/**
 * The deterministic CBOR subset of SPEC §4: a strict decoder and the
 * deterministic encoder, both written out here. A general-purpose CBOR library
 * was tried first (cborg); it cannot keep a leading U+FEFF in a text string
 * and cannot sort non-scalar map keys, and both matter for a decoder whose
 * job is to say exactly which byte strings are canonical. `decodeStrict`
 * accepts exactly the encodings `encodeCanonical` produces.
 */
import { compareBytes } from "./bytes.ts";
import { Limit } from "../generated/opcodes.ts";

/** A decoded value of the subset: integers are always bigint, maps keep their key order. */
export type CborValue = bigint | Uint8Array | string | CborValue[] | CborMap;
export type CborMap = Map<CborValue, CborValue>;

export const MAX_NESTING = Limit.MAX_CBOR_DEPTH;

export class CborError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CborError";
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes one item of the subset; throws CborError on anything else. */
export function decodeStrict(bytes: Uint8Array): CborValue {
  let pos = 0;
  const fail = (m: string): never => { throw new CborError(`${m} at byte ${pos}`); };
  const need = (n: bigint) => { if (BigInt(pos) + n > BigInt(bytes.length)) fail("truncated"); };
  const readHead = (): [number, bigint] => {
    need(1n);
    const ib = bytes[pos++];
    const major = ib >> 5, ai = ib & 31;
    if (major > 5) fail(major === 6 ? "tag" : "float or simple value");
    if (ai < 24) return [major, BigInt(ai)];
    if (ai > 27) fail("indefinite length or reserved head");
    const width = 1 << (ai - 24);
    need(BigInt(width));
    let v = 0n;
    for (let i = 0; i < width; i++) v = (v << 8n) | BigInt(bytes[pos++]);
    const min = width === 1 ? 24n : 1n << BigInt(4 * width); // smallest value that needs this width
    if (v < min) fail("integer or length not in its shortest form");
    return [major, v];
  };
  const item = (depth: number): CborValue => {
    if (depth > MAX_NESTING) fail(`nesting deeper than ${MAX_NESTING}`);
    const [major, n] = readHead();
    switch (major) {
      case 0: return n;
      case 1: return -1n - n;
      case 2: { need(n); const b = bytes.slice(pos, pos + Number(n)); pos += Number(n); return b; }
      case 3: {
        need(n);
        const b = bytes.subarray(pos, pos + Number(n));
        pos += Number(n);
        try { return utf8.decode(b); } catch { return fail("text string is not valid UTF-8"); }
      }
      case 4: {
        need(n); // every element takes at least one byte
        const out: CborValue[] = [];
        for (let i = 0n; i < n; i++) out.push(item(depth + 1));
        return out;
      }
      default: {
        need(2n * n);
        const out: CborMap = new Map();
        let prev: Uint8Array | null = null;
        for (let i = 0n; i < n; i++) {
          const start = pos;
          const key = item(depth + 1);
          const keyBytes = bytes.subarray(start, pos);
          if (prev && compareBytes(prev, keyBytes) >= 0) fail(compareBytes(prev, keyBytes) === 0 ? "duplicate map key" : "map keys not in bytewise order");
          prev = keyBytes;
          out.set(key, item(depth + 1));
        }
        return out;
      }
    }
  };
  const v = item(1);
  if (pos !== bytes.length) fail("bytes after the top-level item");
  return v;
}

/**
 * RFC 8949 §4.2.1 deterministic encoding of the subset: shortest heads, map
 * entries sorted by the bytes of their encoded keys (any key type).
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
