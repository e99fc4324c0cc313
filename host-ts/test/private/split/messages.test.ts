/**
 * The split messages: canonical round trips, the narrowest-dtype rule,
 * limits, and strict decoding (every malformed input is a SplitProtocolError
 * with its code, never another exception).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeStrict, encodeCanonical, type CborValue } from "../../../src/model/cbor.ts";
import { SplitErrorCode, SplitLimit, SplitKey } from "../../../src/generated/private-protocol.ts";
import {
  SplitProtocolError, decodeSplitMessage, dequantize, descriptorId, encodeDescriptor, encodeError, encodeReply, encodeRequest, narrowestDtype, quantize, tensorToCbor,
  type ModelDescriptor,
} from "../../../src/private/split/messages.ts";

const h = (b: number) => new Uint8Array(32).fill(b);
const desc: ModelDescriptor = { model: "mnist-mlp", cut: "relu1", wholeHash: h(1), headHash: h(2), middleHash: h(3), tailHash: h(4), cutWidth: 128, replyWidth: 64, cutFracBits: 10, replyFracBits: 12 };

function codeOf(f: () => unknown): number | undefined {
  try { f(); } catch (e) { if (e instanceof SplitProtocolError) return e.code; throw e; }
  return undefined;
}

const tensorArb = fc.integer({ min: 1, max: 6 }).chain((w) => fc.integer({ min: 1, max: 4 }).chain((b) =>
  fc.record({
    fracBits: fc.integer({ min: 0, max: SplitLimit.MAX_FRAC_BITS }),
    shape: fc.constant([b, w]),
    data: fc.array(fc.oneof(fc.integer({ min: -40000, max: 40000 }), fc.integer({ min: -0x7fffffff, max: 0x7fffffff })), { minLength: b * w, maxLength: b * w }).map((a) => Int32Array.from(a)),
  })));

describe("split messages", () => {
  it("every message round-trips and re-encodes to the same bytes (property)", () => {
    fc.assert(fc.property(tensorArb, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (tensor, requestId) => {
      const did = descriptorId(desc);
      for (const bytes of [encodeRequest({ descriptorId: did, requestId, tensor }), encodeReply({ descriptorId: did, requestId, middleHash: h(3), tensor })]) {
        const m = decodeSplitMessage(bytes);
        const body = m.body as unknown as { tensor: typeof tensor; requestId: bigint };
        expect(body.requestId).toBe(requestId);
        expect([...body.tensor.data]).toEqual([...tensor.data]);
        expect(body.tensor.shape).toEqual(tensor.shape);
        const again = m.type === "MiddleRequest" ? encodeRequest(m.body) : m.type === "MiddleReply" ? encodeReply(m.body) : new Uint8Array();
        expect(again).toEqual(bytes);
      }
    }), { numRuns: 150 });
    const d = decodeSplitMessage(encodeDescriptor(desc));
    expect(d).toEqual({ type: "ModelDescriptor", body: desc });
    const e = decodeSplitMessage(encodeError({ descriptorId: new Uint8Array(), requestId: 0n, code: 256, text: "x" }));
    expect(e.type).toBe("SplitError");
  });

  it("uses I16 exactly when every value fits, and refuses a needlessly wide I32 tensor", () => {
    expect(narrowestDtype(Int32Array.of(-32768, 32767))).toBe(1);
    expect(narrowestDtype(Int32Array.of(32768))).toBe(2);
    const small = { fracBits: 10, shape: [1, 2], data: Int32Array.of(1, 2) };
    const req = encodeRequest({ descriptorId: h(9), requestId: 1n, tensor: small });
    expect(req.length).toBeLessThan(encodeRequest({ descriptorId: h(9), requestId: 1n, tensor: { ...small, data: Int32Array.of(1, 70000) } }).length);
    // Hand-build the same tensor as I32: valid CBOR, wrong canonical form.
    const t = tensorToCbor(small);
    t.set(BigInt(SplitKey.FixedTensor.dtype), 2n);
    t.set(BigInt(SplitKey.FixedTensor.data), Uint8Array.of(1, 0, 0, 0, 2, 0, 0, 0));
    const m = new Map<CborValue, CborValue>([[0n, 2n], [1n, 1n], [2n, h(9)], [3n, 1n], [4n, t]]);
    expect(codeOf(() => decodeSplitMessage(encodeCanonical(m)))).toBe(SplitErrorCode.SPLIT_BAD_TENSOR);
  });

  it("enforces the size limits", () => {
    const big = { fracBits: 0, shape: [SplitLimit.MAX_TENSOR_ELEMENTS + 1], data: new Int32Array(SplitLimit.MAX_TENSOR_ELEMENTS + 1) };
    expect(codeOf(() => encodeRequest({ descriptorId: h(0), requestId: 1n, tensor: big }))).toBe(SplitErrorCode.SPLIT_TOO_LARGE);
    expect(codeOf(() => encodeRequest({ descriptorId: h(0), requestId: 1n, tensor: { fracBits: 0, shape: [1, 1, 1, 1, 1], data: new Int32Array(1) } }))).toBe(SplitErrorCode.SPLIT_TOO_LARGE);
    expect(codeOf(() => decodeSplitMessage(new Uint8Array(SplitLimit.MAX_MESSAGE_BYTES + 1)))).toBe(SplitErrorCode.SPLIT_TOO_LARGE);
    expect(codeOf(() => encodeDescriptor({ ...desc, model: "x".repeat(65) }))).toBe(SplitErrorCode.SPLIT_TOO_LARGE);
    expect(codeOf(() => encodeDescriptor({ ...desc, cutFracBits: 25 }))).toBe(SplitErrorCode.SPLIT_BAD_TENSOR);
    // A full batch at the cut width fits: 64 images × 128 values of I32.
    const full = { fracBits: 10, shape: [64, 128], data: new Int32Array(64 * 128).fill(1 << 20) };
    expect(encodeRequest({ descriptorId: h(0), requestId: 1n, tensor: full }).length).toBeLessThan(SplitLimit.MAX_MESSAGE_BYTES);
    // An error text is cut, never refused.
    const long = decodeSplitMessage(encodeError({ descriptorId: h(0), requestId: 5n, code: 265, text: "é".repeat(500) }));
    expect(long.type === "SplitError" && new TextEncoder().encode(long.body.text).length).toBeLessThanOrEqual(SplitLimit.MAX_ERROR_TEXT_BYTES);
  });

  it("refuses missing, extra and mistyped fields, other versions, non-canonical CBOR", () => {
    const good = encodeRequest({ descriptorId: h(7), requestId: 3n, tensor: { fracBits: 10, shape: [1, 2], data: Int32Array.of(5, -5) } });
    const mutate = (f: (m: Map<bigint, unknown>) => void) => {
      const m = new Map<bigint, unknown>([[0n, 2n], [1n, 1n], [2n, h(7)], [3n, 3n], [4n, tensorToCbor({ fracBits: 10, shape: [1, 2], data: Int32Array.of(5, -5) })]]);
      f(m);
      return encodeCanonical(m as never);
    };
    expect(encodeCanonical(decodeStrict(good))).toEqual(good);
    expect(codeOf(() => decodeSplitMessage(mutate((m) => m.delete(3n))))).toBe(SplitErrorCode.SPLIT_MALFORMED);
    expect(codeOf(() => decodeSplitMessage(mutate((m) => m.set(9n, 1n))))).toBe(SplitErrorCode.SPLIT_MALFORMED);
    expect(codeOf(() => decodeSplitMessage(mutate((m) => m.set(1n, 2n))))).toBe(SplitErrorCode.SPLIT_MALFORMED);
    expect(codeOf(() => decodeSplitMessage(mutate((m) => m.set(0n, 9n))))).toBe(SplitErrorCode.SPLIT_MALFORMED);
    expect(codeOf(() => decodeSplitMessage(mutate((m) => m.set(2n, h(7).subarray(1)))))).toBe(SplitErrorCode.SPLIT_MALFORMED);
    expect(codeOf(() => decodeSplitMessage(mutate((m) => m.set(3n, "3"))))).toBe(SplitErrorCode.SPLIT_MALFORMED);
    // A 2-byte head for a value below 24 is valid CBOR but not deterministic.
    const nonCanonical = Uint8Array.from([0xa5, 0x18, 0x00, ...good.subarray(2)]);
    expect(codeOf(() => decodeSplitMessage(nonCanonical))).toBe(SplitErrorCode.SPLIT_MALFORMED);
    // Data length not matching the shape.
    const t = tensorToCbor({ fracBits: 10, shape: [1, 2], data: Int32Array.of(5, -5) });
    t.set(BigInt(SplitKey.FixedTensor.shape), [1n, 3n]);
    expect(codeOf(() => decodeSplitMessage(mutate((m) => m.set(4n, t))))).toBe(SplitErrorCode.SPLIT_BAD_TENSOR);
  });

  it("never throws anything but SplitProtocolError on arbitrary bytes (property)", () => {
    const valid = encodeRequest({ descriptorId: h(7), requestId: 3n, tensor: { fracBits: 10, shape: [2, 2], data: Int32Array.of(5, -5, 40000, 0) } });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), (junk, pos, byte) => {
      const flipped = valid.slice();
      flipped[pos] = byte;
      for (const b of [junk, flipped, valid.subarray(0, pos)]) {
        try { decodeSplitMessage(b); } catch (e) { if (!(e instanceof SplitProtocolError)) throw e; }
      }
    }), { numRuns: 500 });
  });

  it("quantises to the nearest grid point and refuses what does not fit I32", () => {
    expect([...quantize([0.5, -0.5, 1.25, 0.0004], 2)]).toEqual([2, -2, 5, 0]);
    expect([...dequantize(Int32Array.of(2, -2, 5), 2)]).toEqual([0.5, -0.5, 1.25]);
    expect(codeOf(() => quantize([NaN], 4))).toBe(SplitErrorCode.SPLIT_OUT_OF_RANGE);
    expect(codeOf(() => quantize([2 ** 30], 4))).toBe(SplitErrorCode.SPLIT_OUT_OF_RANGE);
  });
});
