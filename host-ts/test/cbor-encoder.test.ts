/**
 * The deterministic CBOR encoder writes into a growable buffer (fast for the
 * megabyte-sized node messages); these properties pin that it produces
 * exactly the bytes of the straightforward byte-by-byte definition it
 * replaced, and that the strict decoder reads them back.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeStrict, encodeCanonical, type CborValue } from "../src/model/cbor.ts";

/** The definition, one byte at a time (RFC 8949 §4.2.1: shortest heads, map keys sorted by their encodings). */
function oracle(v: CborValue): number[] {
  const out: number[] = [];
  const head = (major: number, n: bigint) => {
    const m = major << 5;
    if (n < 24n) return void out.push(m | Number(n));
    const width = n < 0x100n ? 1 : n < 0x10000n ? 2 : n < 0x100000000n ? 4 : 8;
    out.push(m | { 1: 24, 2: 25, 4: 26, 8: 27 }[width]!);
    for (let i = width - 1; i >= 0; i--) out.push(Number((n >> BigInt(8 * i)) & 0xffn));
  };
  if (typeof v === "bigint") v >= 0n ? head(0, v) : head(1, -1n - v);
  else if (typeof v === "string") {
    const b = new TextEncoder().encode(v);
    head(3, BigInt(b.length));
    out.push(...b);
  } else if (v instanceof Uint8Array) {
    head(2, BigInt(v.length));
    out.push(...v);
  } else if (Array.isArray(v)) {
    head(4, BigInt(v.length));
    for (const x of v) out.push(...oracle(x));
  } else {
    const entries = [...v].map(([k, x]) => [oracle(k), oracle(x)]);
    entries.sort((a, b) => {
      for (let i = 0; i < Math.min(a[0].length, b[0].length); i++) if (a[0][i] !== b[0][i]) return a[0][i] - b[0][i];
      return a[0].length - b[0].length;
    });
    head(5, BigInt(entries.length));
    for (const [k, x] of entries) out.push(...k, ...x);
  }
  return out;
}

const int = fc.oneof(
  fc.bigInt({ min: -(1n << 64n), max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 23n, 24n, 255n, 256n, 65535n, 65536n, 4294967295n, 4294967296n, -1n, -24n, -25n, -(1n << 64n)),
);
const { value } = fc.letrec<{ value: CborValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    int,
    fc.uint8Array({ maxLength: 300 }),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.uniqueArray(fc.tuple(fc.oneof(int, fc.string({ maxLength: 8 }), fc.uint8Array({ maxLength: 4 })), tie("value")), { maxLength: 5, selector: (e) => Buffer.from(oracle(e[0])).toString("hex") }).map((es) => new Map<CborValue, CborValue>(es)),
  ),
}));

describe("deterministic CBOR encoder", () => {
  it("writes the definition's bytes for any value of the subset, and decodes back to them", () => {
    fc.assert(
      fc.property(value, (v) => {
        const got = encodeCanonical(v);
        expect(Array.from(got)).toEqual(oracle(v));
        expect(encodeCanonical(decodeStrict(got))).toEqual(got);
      }),
      { numRuns: 2000 },
    );
  });

  it("copies large byte strings whole (a 3 MiB job) and grows its buffer past any size", () => {
    const big = Uint8Array.from({ length: 3 * 1024 * 1024 }, (_, i) => (i * 131) & 0xff);
    const v = new Map<CborValue, CborValue>([[1n, big], [2n, [big.subarray(0, 70_000), "x"]]]);
    const enc = encodeCanonical(v);
    // map(2), key 1, bytes of 3 MiB with a 4-byte length head, then the bytes themselves.
    expect(Array.from(enc.subarray(0, 7))).toEqual([0xa2, 0x01, 0x5a, 0x00, 0x30, 0x00, 0x00]);
    expect(Buffer.from(enc.subarray(7, 7 + big.length)).equals(Buffer.from(big))).toBe(true);
    const back = decodeStrict(enc) as Map<CborValue, CborValue>;
    expect(Buffer.from(back.get(1n) as Uint8Array).equals(Buffer.from(big))).toBe(true);
    expect(Buffer.from(encodeCanonical(back)).equals(Buffer.from(enc))).toBe(true);
    expect(enc.length).toBe(7 + big.length + 1 + 1 + 5 + 70_000 + 2);
  });

  it("still refuses integers outside CBOR's range", () => {
    expect(() => encodeCanonical(1n << 64n)).toThrow(/outside CBOR's range/);
    expect(() => encodeCanonical(-(1n << 64n) - 1n)).toThrow(/outside CBOR's range/);
  });
});
