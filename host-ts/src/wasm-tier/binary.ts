/**
 * Byte-level helpers on WebAssembly binaries: listing sections and dropping
 * custom sections (names, debug info) before instrumentation, so the
 * instrumenter sees index-based names only and the instrumented module
 * carries nothing but code.
 */

export interface Section { id: number; start: number; end: number; name?: string }

function leb(bytes: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (pos >= bytes.length) throw new Error("truncated LEB128");
    const b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7;
  }
  throw new Error("LEB128 too long");
}

/** The module's sections (the module must already have passed WebAssembly.validate). */
export function listSections(bytes: Uint8Array): Section[] {
  const out: Section[] = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos];
    const [size, body] = leb(bytes, pos + 1);
    const s: Section = { id, start: pos, end: body + size };
    if (id === 0) {
      const [n, p] = leb(bytes, body);
      s.name = Buffer.from(bytes.subarray(p, p + n)).toString("utf8");
    }
    out.push(s);
    pos = body + size;
  }
  return out;
}

export function stripCustomSections(bytes: Uint8Array): Uint8Array {
  const keep = listSections(bytes).filter((s) => s.id !== 0);
  const total = 8 + keep.reduce((n, s) => n + (s.end - s.start), 0);
  const out = new Uint8Array(total);
  out.set(bytes.subarray(0, 8));
  let pos = 8;
  for (const s of keep) {
    out.set(bytes.subarray(s.start, s.end), pos);
    pos += s.end - s.start;
  }
  return out;
}

export interface Limits { initial: number; maximum: number | null; flags: number }

/**
 * The limits of the module's own tables and memories, read from the table
 * (4) and memory (5) sections (binaryen reports an unbounded maximum and
 * 2^32-1 alike, so the validator reads them here).
 */
export function readLimits(bytes: Uint8Array): { tables: Limits[]; memories: Limits[] } {
  const tables: Limits[] = [];
  const memories: Limits[] = [];
  const limits = (pos: number): [Limits, number] => {
    const flags = bytes[pos++];
    let initial: number, maximum: number | null = null;
    [initial, pos] = leb(bytes, pos);
    if (flags & 1) [maximum, pos] = leb(bytes, pos);
    return [{ initial, maximum, flags }, pos];
  };
  for (const s of listSections(bytes)) {
    if (s.id !== 4 && s.id !== 5) continue;
    let pos = s.start + 1;
    [, pos] = leb(bytes, pos);
    let n: number;
    [n, pos] = leb(bytes, pos);
    for (let i = 0; i < n; i++) {
      if (s.id === 4) pos++; // reference type
      const [l, next] = limits(pos);
      (s.id === 4 ? tables : memories).push(l);
      pos = next;
    }
  }
  return { tables, memories };
}
