import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { P, HALF, sampleBelow, randomElement, fromSigned, toSigned, elementToBytes, elementFromBytes, packElements, unpackElements, type RandomSource } from "../../../src/private/shamir/field.ts";
import { ShamirError } from "../../../src/private/shamir/errors.ts";
import { ShamirLimit } from "../../../src/generated/private-protocol.ts";

/** A scripted random source: returns the given byte strings in order (a test double for the CSPRNG). */
function scripted(chunks: number[][]): RandomSource & { calls: number } {
  const f = ((n: number) => {
    const c = chunks[f.calls++];
    if (!c || c.length !== n) throw new Error(`unexpected draw of ${n} bytes`);
    return Uint8Array.from(c);
  }) as RandomSource & { calls: number };
  f.calls = 0;
  return f;
}

/** Seeded bytes (xorshift32) for statistical tests; never used outside tests. */
function seeded(seed: number): RandomSource {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; out[i] = s & 0xff; }
    return out;
  };
}

describe("rejection sampling", () => {
  it("the modulus 2^127 − 1 rejects exactly the one 127-bit value that is not below p", () => {
    const ones = new Array(16).fill(0xff);
    const rng = scripted([ones, [0x80, ...new Array(14).fill(0), 7]]);
    // 0xff…ff masked to 127 bits is 2^127 − 1 = p: rejected; the next draw (top bit masked off) is 7.
    const attempts = { count: 0 };
    expect(sampleBelow(P, rng, attempts)).toBe(7n);
    expect(attempts.count).toBe(2);
    expect(rng.calls).toBe(2);
  });

  it("masks to the modulus' bit length instead of reducing (no modulo bias)", () => {
    // q = 5 (3 bits): bytes 0x0d → 0b101 = 5 rejected, 0xfe → 0b110 = 6 rejected, 0x0b → 3 accepted.
    const rng = scripted([[0x0d], [0xfe], [0x0b]]);
    expect(sampleBelow(5n, rng)).toBe(3n);
    expect(rng.calls).toBe(3);
  });

  it("accepts each draw with probability q / 2^bits ≥ 1/2: mean draws within the bound for random moduli", () => {
    fc.assert(fc.property(fc.bigInt({ min: 2n, max: (1n << 130n) }), fc.integer({ min: 1, max: 2 ** 31 }), (q, seed) => {
      const rng = seeded(seed);
      const bits = q.toString(2).length;
      const accept = Number(q) / 2 ** bits; // ≥ 1/2 by construction
      expect(accept).toBeGreaterThanOrEqual(0.5);
      let draws = 0;
      const N = 400;
      for (let i = 0; i < N; i++) {
        const a = { count: 0 };
        const v = sampleBelow(q, rng, a);
        expect(v >= 0n && v < q).toBe(true);
        draws += a.count;
      }
      // Expected draws per sample are 1/accept ≤ 2; allow 5 standard errors of the geometric mean.
      const mean = draws / N, sd = Math.sqrt((1 - accept) / accept ** 2 / N);
      expect(mean).toBeLessThan(1 / accept + 5 * sd + 1e-9);
    }), { numRuns: 40 });
  });

  it("is uniform on a small modulus (chi-square, 6 degrees of freedom)", () => {
    const rng = seeded(12345), q = 7n, N = 70_000, counts = new Array(7).fill(0);
    for (let i = 0; i < N; i++) counts[Number(sampleBelow(q, rng))]++;
    const e = N / 7, chi = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
    expect(chi).toBeLessThan(22.46); // p = 0.001 critical value for 6 d.o.f.
  });

  it("declares a source that never yields an acceptable value broken (RNG_FAILURE)", () => {
    const stuck: RandomSource = (n) => new Uint8Array(n).fill(0xff);
    let err: unknown;
    try { sampleBelow(P, stuck); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ShamirError);
    expect((err as ShamirError).codeName).toBe("RNG_FAILURE");
    expect(ShamirLimit.RNG_MAX_ATTEMPTS).toBeGreaterThanOrEqual(64); // 2^-64 false alarm at acceptance 1/2
  });

  it("production elements come from the CSPRNG and are below p", () => {
    for (let i = 0; i < 100; i++) { const v = randomElement((n) => crypto.getRandomValues(new Uint8Array(n))); expect(v < P).toBe(true); }
  });
});

describe("element encoding", () => {
  it("16 bytes big-endian, round trip, and refuses values ≥ p", () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: P - 1n }), (v) => {
      const b = elementToBytes(v);
      expect(b.length).toBe(16);
      expect(elementFromBytes(b)).toBe(v);
    }));
    expect(elementToBytes(1n)[15]).toBe(1);
    expect(() => elementFromBytes(elementToBytes(P))).toThrow(/FIELD_ELEMENT_INVALID/);
    expect(() => elementFromBytes(new Uint8Array(16).fill(0xff))).toThrow(/FIELD_ELEMENT_INVALID/);
    expect(() => unpackElements(new Uint8Array(17))).toThrow(/FIELD_ELEMENT_INVALID/);
    fc.assert(fc.property(fc.array(fc.bigInt({ min: 0n, max: P - 1n }), { maxLength: 20 }), (v) => {
      expect(unpackElements(packElements(v))).toEqual(v);
    }));
  });

  it("signed values map to the field and back within ±(p − 1)/2", () => {
    fc.assert(fc.property(fc.bigInt({ min: -HALF, max: HALF }), (v) => { expect(toSigned(fromSigned(v))).toBe(v); }));
    expect(fromSigned(-1n)).toBe(P - 1n);
    expect(() => fromSigned(HALF + 1n)).toThrow(RangeError);
  });
});
