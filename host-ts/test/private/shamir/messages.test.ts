import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { encodeMessage, decodeMessage, type Message } from "../../../src/private/shamir/messages.ts";
import { encodeCanonical, decodeStrict, type CborValue } from "../../../src/model/cbor.ts";
import { bytesToHex } from "../../../src/model/bytes.ts";
import { P, elementToBytes } from "../../../src/private/shamir/field.ts";
import { ShamirLimit } from "../../../src/generated/private-protocol.ts";

const session = Uint8Array.from({ length: 16 }, (_, i) => i);
const elem = fc.bigInt({ min: 0n, max: P - 1n });
const vec = fc.array(elem, { maxLength: 5 });

const arbMessage: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant("deal" as const), session: fc.constant(session), from: fc.constant(0), to: fc.integer({ min: 1, max: 16 }), program: fc.uint8Array({ maxLength: 40 }), z: vec, y: vec, r: fc.array(elem, { maxLength: 1 }) }),
  fc.record({ type: fc.constant("deal-inputs" as const), session: fc.constant(session), from: fc.integer({ min: 1, max: 7 }), to: fc.integer({ min: 1, max: 16 }), digest: fc.uint8Array({ minLength: 32, maxLength: 32 }), z: vec }),
  fc.record({ type: fc.constant("round" as const), session: fc.constant(session), from: fc.integer({ min: 1, max: 16 }), to: fc.integer({ min: 1, max: 16 }), round: fc.integer({ min: 1, max: 64 }), z: vec, y: vec, random: vec }),
  fc.record({ type: fc.constant("ready" as const), session: fc.constant(session), from: fc.integer({ min: 1, max: 16 }), to: fc.constant(0) }),
  fc.record({ type: fc.constant("challenge" as const), session: fc.constant(session), from: fc.constant(0), to: fc.integer({ min: 1, max: 16 }), r: elem, beta: elem }),
  fc.record({ type: fc.constant("output" as const), session: fc.constant(session), from: fc.integer({ min: 1, max: 16 }), to: fc.constant(0), outputs: vec, check: fc.array(elem, { maxLength: 1 }) }),
  fc.record({ type: fc.constant("abort" as const), session: fc.constant(session), from: fc.integer({ min: 0, max: 16 }), to: fc.integer({ min: 0, max: 16 }), code: fc.integer({ min: 2000, max: 2099 }) }),
);

describe("message encoding", () => {
  it("every message round-trips through deterministic CBOR", () => {
    fc.assert(fc.property(arbMessage, (m) => {
      const b = encodeMessage(m);
      expect(decodeMessage(b)).toEqual(m);
      expect(encodeCanonical(decodeStrict(b))).toEqual(b);
    }));
  });

  it("pins the byte layout (READY and CHALLENGE)", () => {
    const ready = encodeMessage({ type: "ready", session, from: 2, to: 0 });
    // map(4) {0: 4, 1: h'000102…0f', 2: 2, 3: 0}
    expect(bytesToHex(ready)).toBe("a4" + "0004" + "0150" + bytesToHex(session) + "0202" + "0300");
    const ch = encodeMessage({ type: "challenge", session, from: 0, to: 1, r: 1n, beta: P - 1n });
    expect(bytesToHex(ch)).toBe("a6" + "0005" + "0150" + bytesToHex(session) + "0200" + "0301" + "0450" + "00".repeat(15) + "01" + "0550" + "7f" + "ff".repeat(14) + "fe");
  });

  it("a ROUND with m multiplications costs 32·m bytes of shares plus a fixed header", () => {
    const size = (m: number) => encodeMessage({ type: "round", session, from: 1, to: 2, round: 1, z: new Array(m).fill(1n), y: new Array(m).fill(1n), random: [] }).length;
    expect(size(0)).toBe(1 + 2 + 18 + 2 + 2 + 2 + 2 + 2 + 2); // map head, 7 keys, session, 3 empty byte strings
    expect(size(1) - size(0)).toBe(32);
    expect(size(100) - size(0)).toBe(3200 + 2 * 2); // two length heads grow from 1 to 3 bytes
  });

  it("refuses malformed messages with precise codes", () => {
    const ok = encodeMessage({ type: "ready", session, from: 1, to: 0 });
    const m = decodeStrict(ok) as Map<CborValue, CborValue>;
    const re = (f: (x: Map<CborValue, CborValue>) => void) => { const c = new Map(m); f(c); return encodeCanonical(c); };
    expect(() => decodeMessage(new Uint8Array([...ok, 0]))).toThrow(/MESSAGE_MALFORMED/);
    expect(() => decodeMessage(re((c) => c.set(9n, 0n)))).toThrow(/MESSAGE_MALFORMED.*exactly the keys/);
    expect(() => decodeMessage(re((c) => c.delete(2n)))).toThrow(/MESSAGE_MALFORMED/);
    expect(() => decodeMessage(re((c) => c.set(0n, 77n)))).toThrow(/unknown message type 77/);
    expect(() => decodeMessage(re((c) => c.set(1n, new Uint8Array(15))))).toThrow(/session id/);
    expect(() => decodeMessage(re((c) => c.set(2n, 17n)))).toThrow(/MESSAGE_MALFORMED/);
    expect(() => decodeMessage(encodeCanonical([1n]))).toThrow(/not a map/);
    const di = decodeStrict(encodeMessage({ type: "deal-inputs", session, from: 1, to: 2, digest: new Uint8Array(32), z: [] })) as Map<CborValue, CborValue>;
    di.set(2n, 0n);
    expect(() => decodeMessage(encodeCanonical(di))).toThrow(/MESSAGE_MALFORMED.*dealer 0/);
    di.set(2n, 1n); di.set(4n, new Uint8Array(31));
    expect(() => decodeMessage(encodeCanonical(di))).toThrow(/MESSAGE_MALFORMED.*digest/);
    const ch = decodeStrict(encodeMessage({ type: "challenge", session, from: 0, to: 1, r: 1n, beta: 1n })) as Map<CborValue, CborValue>;
    ch.set(4n, elementToBytes(P));
    expect(() => decodeMessage(encodeCanonical(ch))).toThrow(/FIELD_ELEMENT_INVALID/);
    ch.set(4n, new Uint8Array(32));
    expect(() => decodeMessage(encodeCanonical(ch))).toThrow(/FIELD_ELEMENT_INVALID/);
    const out = decodeStrict(encodeMessage({ type: "output", session, from: 1, to: 0, outputs: [], check: [] })) as Map<CborValue, CborValue>;
    out.set(4n, new Uint8Array(20));
    expect(() => decodeMessage(encodeCanonical(out))).toThrow(/FIELD_ELEMENT_INVALID.*multiple of 16/);
  });

  it("refuses messages over MAX_MESSAGE_BYTES, before decoding and when encoding", () => {
    expect(() => decodeMessage(new Uint8Array(ShamirLimit.MAX_MESSAGE_BYTES + 1))).toThrow(/MESSAGE_TOO_LARGE/);
    const z = new Array(ShamirLimit.MAX_MESSAGE_BYTES / 16 + 1).fill(0n);
    expect(() => encodeMessage({ type: "output", session, from: 1, to: 0, outputs: z, check: [] })).toThrow(/MESSAGE_TOO_LARGE/);
  });
});
