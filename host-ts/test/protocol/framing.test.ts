import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  crc32, cobsEncode, cobsDecode, encodeFrame, frameBody, wrapWire, parseFrameBody, Deframer,
  MAX_WIRE_FRAME, type Frame, type FrameResult,
} from "../../src/protocol/framing.ts";
import { HEADER_SIZE, MAX_PAYLOAD } from "../../src/generated/protocol.ts";

const ascii = (s: string) => new TextEncoder().encode(s);

function collect(maxPayload?: number): { d: Deframer; out: FrameResult[] } {
  const out: FrameResult[] = [];
  return { d: new Deframer((r) => out.push(r), maxPayload), out };
}

const frameArb: fc.Arbitrary<Frame> = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  id: fc.integer({ min: 1, max: 0xffff }),
  arg: fc.integer({ min: 0, max: 0xffffffff }),
  payload: fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.uint8Array({ maxLength: 600 }).map((a) => a.map((b) => (b < 128 ? 0 : b))), // many zeros
    fc.integer({ min: 0, max: 800 }).map((n) => new Uint8Array(n).fill(0x55)), // no zeros: full COBS groups
  ),
});

/** Splits bytes into chunks at the given cut fractions. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

describe("CRC-32", () => {
  it("is the zlib CRC (check value of '123456789')", () => {
    expect(crc32(ascii("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
  it("chains", () => {
    fc.assert(fc.property(fc.uint8Array(), fc.uint8Array(), (a, b) => {
      const ab = new Uint8Array([...a, ...b]);
      expect(crc32(b, crc32(a))).toBe(crc32(ab));
    }));
  });
});

describe("COBS", () => {
  it("matches known encodings", () => {
    expect([...cobsEncode(new Uint8Array([]))]).toEqual([0x01]);
    expect([...cobsEncode(new Uint8Array([0]))]).toEqual([0x01, 0x01]);
    expect([...cobsEncode(new Uint8Array([0x11, 0x22, 0x00, 0x33]))]).toEqual([0x03, 0x11, 0x22, 0x02, 0x33]);
    const full = new Uint8Array(254).fill(7);
    const enc = cobsEncode(full);
    expect(enc[0]).toBe(0xff);
    expect(enc.length).toBe(256); // FF, 254 bytes, final empty group 01
    expect(enc[255]).toBe(0x01);
  });
  it("round-trips and never emits a zero", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
      const enc = cobsEncode(data);
      expect(enc.includes(0)).toBe(false);
      expect(enc.length).toBeLessThanOrEqual(data.length + Math.ceil(data.length / 254) + 1);
      expect(cobsDecode(enc)).toEqual(data);
    }));
  });
  it("rejects a run that ends inside a group", () => {
    expect(cobsDecode(new Uint8Array([0x05, 1, 2]))).toBeUndefined();
  });
});

describe("frames", () => {
  it("round-trip through the deframer whatever the chunking", () => {
    fc.assert(fc.property(fc.array(frameArb, { minLength: 1, maxLength: 5 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }), (frames, cuts) => {
      const wire = new Uint8Array(frames.flatMap((f) => [...encodeFrame(f)]));
      const { d, out } = collect();
      for (const c of chunked(wire, cuts)) d.push(c);
      expect(out).toEqual(frames.map((f) => ({ ok: true, frame: f })));
    }), { numRuns: 200 });
  });

  it("resynchronise after arbitrary garbage between frames", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 300 }), frameArb), { minLength: 1, maxLength: 6 }), fc.uint8Array({ maxLength: 300 }), (pairs, tail) => {
      const wire = new Uint8Array([...pairs.flatMap(([g, f]) => [...g, ...encodeFrame(f)]), ...tail]);
      const { d, out } = collect();
      d.push(wire);
      d.push(new Uint8Array([0]));
      const good = out.filter((r) => r.ok).map((r) => (r.ok ? r.frame : undefined));
      expect(good).toEqual(pairs.map(([, f]) => f));
    }), { numRuns: 200 });
  });

  it("never accept a frame with one damaged byte, and recover at the next delimiter", () => {
    fc.assert(fc.property(frameArb, frameArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 255 }), (f, g, where, flip) => {
      const wire = encodeFrame(f);
      const i = 1 + Math.floor(where * (wire.length - 2)); // inside, not the delimiters
      const bad = wire.slice();
      bad[i] ^= flip;
      const { d, out } = collect();
      d.push(bad);
      d.push(encodeFrame(g));
      const good = out.filter((r) => r.ok);
      // The damaged frame is never delivered as valid (it may split in two bad runs if a zero appeared).
      expect(good).toEqual([{ ok: true, frame: g }]);
      expect(out.length).toBeGreaterThanOrEqual(2);
    }), { numRuns: 500 });
  });

  it("attribute a truncated frame by its header", () => {
    const f: Frame = { type: 0x02, id: 4242, arg: 0, payload: new Uint8Array(100).fill(9) };
    const wire = encodeFrame(f);
    const { d, out } = collect();
    d.push(wire.subarray(0, wire.length - 30));
    d.push(new Uint8Array([0]));
    expect(out).toEqual([{ ok: false, fault: "TRUNCATED", id: 4242, type: 0x02 }]);
  });

  it("classify bad bodies like the firmware", () => {
    const f: Frame = { type: 0x02, id: 7, arg: 0, payload: ascii("hello") };
    const body = frameBody(f);
    expect(parseFrameBody(body.subarray(0, 10))).toEqual({ ok: false, fault: "BAD_FRAME" });
    const hdr = body.slice(); hdr[5] ^= 1;
    expect(parseFrameBody(hdr)).toEqual({ ok: false, fault: "BAD_HEADER" });
    expect(parseFrameBody(frameBody(f, { version: 2 }))).toMatchObject({ fault: "UNSUPPORTED_VERSION", id: 7 });
    expect(parseFrameBody(frameBody(f, { len: MAX_PAYLOAD + 1 }))).toMatchObject({ fault: "FRAME_TOO_LARGE", id: 7 });
    expect(parseFrameBody(body.subarray(0, body.length - 1))).toMatchObject({ fault: "TRUNCATED", id: 7 });
    expect(parseFrameBody(new Uint8Array([...body, 1]))).toMatchObject({ fault: "BAD_LENGTH", id: 7 });
    const pay = body.slice(); pay[HEADER_SIZE] ^= 0x40;
    expect(parseFrameBody(pay)).toMatchObject({ fault: "BAD_CRC", id: 7 });
    expect(parseFrameBody(body)).toEqual({ ok: true, frame: f });
  });

  it("cut off an endless run and resync after it", () => {
    const { d, out } = collect(1000);
    const junk = new Uint8Array(5000).fill(0x41);
    d.push(junk);
    d.push(junk);
    const f: Frame = { type: 0x81, id: 1, arg: 0, payload: ascii("ok") };
    d.push(encodeFrame(f));
    expect(out).toEqual([{ ok: false, fault: "FRAME_TOO_LARGE" }, { ok: true, frame: f }]);
  });

  it("match the worked examples of PROTOCOL.md §9", () => {
    const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
    expect(hex(encodeFrame({ type: 0x01, id: 1, arg: 0, payload: new Uint8Array(0) })))
      .toBe("00 04 01 01 01 01 01 01 01 01 01 01 01 07 fe 3e c3 dc d9 41 00");
    expect(hex(encodeFrame({ type: 0x02, id: 0x0203, arg: 0, payload: new Uint8Array([0xa0]) })))
      .toBe("00 05 01 02 03 02 01 01 01 02 01 01 01 08 21 c7 a0 f1 2b 22 13 00");
  });

  it("carry a maximum-size payload", () => {
    const f: Frame = { type: 0x02, id: 9, arg: 0, payload: new Uint8Array(MAX_PAYLOAD).map((_, i) => (i * 7) & 0xff) };
    const wire = encodeFrame(f);
    expect(wire.length).toBeLessThanOrEqual(MAX_WIRE_FRAME);
    const { d, out } = collect();
    d.push(wire);
    expect(out).toEqual([{ ok: true, frame: f }]);
    expect(wrapWire(frameBody(f))).toEqual(wire);
  });
});
