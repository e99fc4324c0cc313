/**
 * Framing of the board protocol (docs/PROTOCOL.md §2): COBS with a 0x00
 * delimiter around a 14-byte header, the payload and a CRC-32 trailer.
 * The firmware side is firmware/components/mhr_byte/proto/.
 */
import { HEADER_SIZE, MAX_PAYLOAD, PROTOCOL_VERSION, TRAILER_SIZE } from "../generated/protocol.ts";

export const FRAME_OVERHEAD = HEADER_SIZE + TRAILER_SIZE;
/** Largest decoded frame (header + payload + CRC). */
export const MAX_FRAME = FRAME_OVERHEAD + MAX_PAYLOAD;
/** Largest encoded frame on the wire: COBS adds one byte per 254, plus the two delimiters. */
export const MAX_WIRE_FRAME = MAX_FRAME + Math.ceil(MAX_FRAME / 254) + 1 + 2;

// ---- CRC-32/ISO-HDLC (zlib) -------------------------------------------------

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 as zlib computes it; pass a previous result as `crc` to continue over more bytes. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// ---- COBS -------------------------------------------------------------------

/** COBS-encodes bytes (no delimiters). The final group is always written, as the firmware does. */
export function cobsEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + Math.ceil(data.length / 254) + 1);
  let codeAt = 0;
  let o = 1;
  let code = 1;
  for (const b of data) {
    if (b === 0) {
      out[codeAt] = code;
      codeAt = o++;
      code = 1;
    } else {
      out[o++] = b;
      if (++code === 0xff) {
        out[codeAt] = code;
        codeAt = o++;
        code = 1;
      }
    }
  }
  out[codeAt] = code;
  return out.subarray(0, o);
}

/** Decodes one COBS frame (without delimiters); undefined if it contains a zero or ends inside a group. */
export function cobsDecode(wire: Uint8Array): Uint8Array | undefined {
  const out = new Uint8Array(wire.length);
  let o = 0;
  let i = 0;
  while (i < wire.length) {
    const code = wire[i++];
    if (code === 0 || i + code - 1 > wire.length) return undefined;
    for (let k = 1; k < code; k++) {
      const b = wire[i++];
      if (b === 0) return undefined;
      out[o++] = b;
    }
    if (code !== 0xff && i < wire.length) out[o++] = 0;
  }
  return out.subarray(0, o);
}

// ---- frames -----------------------------------------------------------------

export interface Frame {
  type: number;
  /** Request id, 1..65535; 0 marks a frame not attributable to a request. */
  id: number;
  /** Command-specific 32-bit argument (BENCH count, ERROR code). */
  arg: number;
  payload: Uint8Array;
}

/** Why a received frame was rejected; the same names as the firmware's ERROR codes. */
export type FrameFault = "BAD_FRAME" | "BAD_HEADER" | "UNSUPPORTED_VERSION" | "FRAME_TOO_LARGE" | "TRUNCATED" | "BAD_LENGTH" | "BAD_CRC";

export type FrameResult =
  | { ok: true; frame: Frame }
  /** `id` is present when the header check passed, so the frame can be attributed. */
  | { ok: false; fault: FrameFault; id?: number; type?: number };

function headerBytes(type: number, id: number, arg: number, len: number, version = PROTOCOL_VERSION): Uint8Array {
  const h = new Uint8Array(HEADER_SIZE);
  const v = new DataView(h.buffer);
  h[0] = version;
  h[1] = type;
  v.setUint16(2, id, true);
  v.setUint32(4, arg >>> 0, true);
  v.setUint32(8, len >>> 0, true);
  v.setUint16(12, crc32(h.subarray(0, 12)) & 0xffff, true);
  return h;
}

/** The decoded frame body: header, payload, CRC-32. `version` and `len` may be overridden to build bad frames in tests. */
export function frameBody(f: Frame, override: { version?: number; len?: number } = {}): Uint8Array {
  const len = override.len ?? f.payload.length;
  const body = new Uint8Array(FRAME_OVERHEAD + f.payload.length);
  body.set(headerBytes(f.type, f.id, f.arg, len, override.version), 0);
  body.set(f.payload, HEADER_SIZE);
  const crc = crc32(body.subarray(0, HEADER_SIZE + f.payload.length));
  new DataView(body.buffer).setUint32(HEADER_SIZE + f.payload.length, crc, true);
  return body;
}

/** A frame as sent on the wire: 00, COBS(body), 00. */
export function encodeFrame(f: Frame): Uint8Array {
  return wrapWire(frameBody(f));
}

/** Wraps a decoded body in COBS and delimiters. */
export function wrapWire(body: Uint8Array): Uint8Array {
  const enc = cobsEncode(body);
  const out = new Uint8Array(enc.length + 2);
  out.set(enc, 1);
  return out;
}

/** Judges one decoded frame body by the same rules, in the same order, as the firmware (PROTOCOL.md §3). */
export function parseFrameBody(body: Uint8Array, maxPayload = MAX_PAYLOAD): FrameResult {
  if (body.length < HEADER_SIZE) return { ok: false, fault: "BAD_FRAME" };
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if ((crc32(body.subarray(0, 12)) & 0xffff) !== v.getUint16(12, true)) return { ok: false, fault: "BAD_HEADER" };
  const type = body[1];
  const id = v.getUint16(2, true);
  const arg = v.getUint32(4, true);
  const len = v.getUint32(8, true);
  if (body[0] !== PROTOCOL_VERSION) return { ok: false, fault: "UNSUPPORTED_VERSION", id, type };
  if (len > maxPayload) return { ok: false, fault: "FRAME_TOO_LARGE", id, type };
  const want = FRAME_OVERHEAD + len;
  if (body.length < want) return { ok: false, fault: "TRUNCATED", id, type };
  if (body.length > want) return { ok: false, fault: "BAD_LENGTH", id, type };
  if (crc32(body.subarray(0, HEADER_SIZE + len)) !== v.getUint32(HEADER_SIZE + len, true)) return { ok: false, fault: "BAD_CRC", id, type };
  return { ok: true, frame: { type, id, arg, payload: body.slice(HEADER_SIZE, HEADER_SIZE + len) } };
}

/**
 * Streaming deframer. Bytes accumulate until a 0x00 delimiter; each non-empty
 * run between delimiters is judged as one frame. A run longer than the largest
 * legal wire frame is cut off (the rest is skipped up to the next delimiter)
 * and reported as FRAME_TOO_LARGE, so memory stays bounded and the stream
 * resynchronises at the next delimiter whatever came before it.
 */
export class Deframer {
  private buf: Uint8Array;
  private n = 0;
  private overflow = false;

  constructor(
    private readonly onFrame: (r: FrameResult) => void,
    private readonly maxPayload = MAX_PAYLOAD,
  ) {
    this.buf = new Uint8Array(Math.min(4096, this.maxWire()));
  }

  private maxWire(): number {
    const body = FRAME_OVERHEAD + this.maxPayload;
    return body + Math.ceil(body / 254) + 1;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== 0) continue;
      this.append(chunk.subarray(start, i));
      this.finish();
      start = i + 1;
    }
    this.append(chunk.subarray(start));
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.overflow) return;
    const max = this.maxWire();
    if (this.n + bytes.length > max) {
      this.overflow = true;
      this.n = 0;
      return;
    }
    if (this.n + bytes.length > this.buf.length) {
      const grown = new Uint8Array(Math.min(max, Math.max(this.buf.length * 2, this.n + bytes.length)));
      grown.set(this.buf.subarray(0, this.n));
      this.buf = grown;
    }
    this.buf.set(bytes, this.n);
    this.n += bytes.length;
  }

  private finish(): void {
    if (this.overflow) {
      this.overflow = false;
      this.onFrame({ ok: false, fault: "FRAME_TOO_LARGE" });
      return;
    }
    if (this.n === 0) return;
    const wire = this.buf.subarray(0, this.n);
    this.n = 0;
    const body = cobsDecode(wire);
    if (body === undefined) {
      // Cut short inside its last group: judge what decoded, as the firmware does, so the
      // frame can still be attributed; whatever the header promised is then missing.
      const judged = parseFrameBody(cobsDecodePrefix(wire), this.maxPayload);
      if (judged.ok) this.onFrame({ ok: false, fault: "TRUNCATED", id: judged.frame.id, type: judged.frame.type });
      else if (judged.fault === "BAD_LENGTH" || judged.fault === "BAD_CRC") this.onFrame({ ...judged, fault: "TRUNCATED" });
      else this.onFrame(judged);
      return;
    }
    this.onFrame(parseFrameBody(body, this.maxPayload));
  }
}

/** Decodes as much of a COBS run as is well formed (for attributing truncated frames). */
function cobsDecodePrefix(wire: Uint8Array): Uint8Array {
  const out: number[] = [];
  let i = 0;
  let prev = 0;
  while (i < wire.length) {
    const code = wire[i++];
    if (prev !== 0 && prev !== 0xff) out.push(0);
    prev = code;
    for (let k = 1; k < code && i < wire.length; k++) out.push(wire[i++]);
  }
  return Uint8Array.from(out);
}
