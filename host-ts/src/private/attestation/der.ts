/**
 * A small strict DER reader: enough of X.509 to reach the validity dates and
 * the extensions. Node's X509Certificate exposes neither custom extensions
 * (the AMD VCEK's productName, SPLs and hwID) nor, on Node 20, parsed dates,
 * and a general ASN.1 library would be a large dependency for ~100 lines.
 * It accepts only definite, minimal lengths and single-byte tags, which is
 * all DER certificates use.
 */

export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

export interface Tlv {
  readonly tag: number;
  /** The value bytes (a view into the input). */
  readonly value: Uint8Array;
  /** Offset just past this element in the input it was read from. */
  readonly end: number;
}

export const Tag = {
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, OID: 0x06,
  IA5_STRING: 0x16, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18, SEQUENCE: 0x30,
  CONTEXT_0: 0xa0, CONTEXT_3: 0xa3,
} as const;

/** Reads one element starting at `pos`. */
export function readTlv(buf: Uint8Array, pos = 0): Tlv {
  if (pos + 2 > buf.length) throw new DerError(`truncated element at ${pos}`);
  const tag = buf[pos];
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at ${pos}`);
  let len = buf[pos + 1];
  let p = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0) throw new DerError(`indefinite length at ${pos}`);
    if (n > 4) throw new DerError(`length of ${n} bytes at ${pos}`);
    if (p + n > buf.length) throw new DerError(`truncated length at ${pos}`);
    if (buf[p] === 0) throw new DerError(`non-minimal length at ${pos}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i];
    if (len < 0x80) throw new DerError(`long form for a short length at ${pos}`);
    p += n;
  }
  if (p + len > buf.length) throw new DerError(`element at ${pos} runs past the end (${len} bytes)`);
  return { tag, value: buf.subarray(p, p + len), end: p + len };
}

/** Reads one element that must fill `buf` exactly. */
export function readOnly(buf: Uint8Array, tag: number): Tlv {
  const t = readTlv(buf, 0);
  if (t.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`);
  if (t.end !== buf.length) throw new DerError(`${buf.length - t.end} bytes after the element`);
  return t;
}

/** The elements of a constructed value, in order. */
export function children(value: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let p = 0; p < value.length; ) {
    const t = readTlv(value, p);
    out.push(t);
    p = t.end;
  }
  return out;
}

export function decodeOid(value: Uint8Array): string {
  if (value.length === 0) throw new DerError("empty OID");
  const arcs: number[] = [];
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i];
    if (n === 0 && b === 0x80) throw new DerError("non-minimal OID arc");
    n = n * 128 + (b & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 128) throw new DerError("OID arc too large");
    if (!(b & 0x80)) {
      arcs.push(n);
      n = 0;
    } else if (i === value.length - 1) throw new DerError("OID ends inside an arc");
  }
  const first = arcs[0] < 40 ? 0 : arcs[0] < 80 ? 1 : 2;
  return [first, arcs[0] - 40 * first, ...arcs.slice(1)].join(".");
}

/** A non-negative DER INTEGER as a number (rejects negatives, non-minimal forms and > 2^53). */
export function decodeSmallUint(value: Uint8Array): number {
  if (value.length === 0) throw new DerError("empty INTEGER");
  if (value[0] & 0x80) throw new DerError("negative INTEGER");
  if (value.length > 1 && value[0] === 0 && !(value[1] & 0x80)) throw new DerError("non-minimal INTEGER");
  if (value.length > 7) throw new DerError("INTEGER too large");
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

function decodeTime(t: Tlv): Date {
  const s = new TextDecoder().decode(t.value);
  const m = t.tag === Tag.UTC_TIME ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s)
    : t.tag === Tag.GENERALIZED_TIME ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s) : null;
  if (!m) throw new DerError(`bad time ${JSON.stringify(s)}`);
  let year = Number(m[1]);
  if (t.tag === Tag.UTC_TIME) year += year >= 50 ? 1900 : 2000; // RFC 5280 §4.1.2.5.1
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return new Date(ms);
}

export interface CertificateFields {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** extnID (dotted OID) → the extnValue OCTET STRING's contents. */
  readonly extensions: ReadonlyMap<string, Uint8Array>;
}

/** Validity and extensions of an X.509 v3 certificate (RFC 5280 §4.1). */
export function readCertificate(der: Uint8Array): CertificateFields {
  const cert = children(readOnly(der, Tag.SEQUENCE).value);
  if (cert.length !== 3 || cert[0].tag !== Tag.SEQUENCE) throw new DerError("not a Certificate");
  const tbs = children(cert[0].value);
  let i = 0;
  if (tbs[i]?.tag === Tag.CONTEXT_0) i++; // version
  i += 3; // serialNumber, signature, issuer
  const validity = tbs[i];
  if (validity?.tag !== Tag.SEQUENCE) throw new DerError("no validity");
  const times = children(validity.value);
  if (times.length !== 2) throw new DerError("validity is not two times");
  const extensions = new Map<string, Uint8Array>();
  const ext = tbs.find((t) => t.tag === Tag.CONTEXT_3);
  if (ext) {
    for (const e of children(readOnly(ext.value, Tag.SEQUENCE).value)) {
      if (e.tag !== Tag.SEQUENCE) throw new DerError("extension is not a SEQUENCE");
      const parts = children(e.value);
      if (parts[0]?.tag !== Tag.OID) throw new DerError("extension without extnID");
      const value = parts[parts.length - 1];
      if (value.tag !== Tag.OCTET_STRING || parts.length > 3) throw new DerError("extension without extnValue");
      const oid = decodeOid(parts[0].value);
      if (extensions.has(oid)) throw new DerError(`duplicate extension ${oid}`); // RFC 5280 §4.2
      extensions.set(oid, value.value);
    }
  }
  return { notBefore: decodeTime(times[0]), notAfter: decodeTime(times[1]), extensions };
}
