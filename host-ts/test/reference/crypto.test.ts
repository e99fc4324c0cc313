/**
 * SPEC §9.6 and §14: HASH against the official Blake3 vectors, VERIFY_SIG
 * against RFC 8032 §7.1 and the exact rule of §14.2, VERIFY_VRF against
 * RFC 9381 Appendix B.3 (suite 0x03) and the rule of §14.3.
 */
import { readFileSync } from "node:fs";
import { ed25519 } from "@noble/curves/ed25519.js";
import { blake3 } from "@noble/hashes/blake3.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { Limit, Status, Trap } from "../../src/generated/opcodes.ts";
import { encodeToCurveTai, verifyEcvrf } from "../../src/crypto/ecvrf.ts";
import { L, bytesToNumberLE, decodePointStrict, verifyEd25519 } from "../../src/crypto/ed25519.ts";
import { concatBytes } from "../../src/model/bytes.ts";
import { COST_TABLES, costOf } from "../../src/generated/opcodes.ts";
// These tests pin the instructions under table v1 (their jobs are contract version 1, helpers.ts).
const cost = (key: string, n = 0): number => costOf(key, n, COST_TABLES.v1);
import { asm, fromHex, hex, outcome, run, type Item } from "./helpers.ts";

const vectors = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../../test-vectors/upstream/${name}`, import.meta.url), "utf8"));

interface Ed25519Vector { name: string; secret_key: string; public_key: string; message: string; signature: string }
interface VrfVector { example: number; suite_string: string; SK: string; PK: string; alpha: string; pi: string; beta: string }
interface Blake3Case { input_len: number; hash: string }

const ED_VECTORS = vectors("ed25519-rfc8032.json") as Ed25519Vector[];
const VRF_VECTORS = vectors("ecvrf-rfc9381.json") as VrfVector[];
const BLAKE3 = (vectors("blake3.json") as { cases: Blake3Case[] }).cases;

const Point = ed25519.Point;
type P = InstanceType<typeof Point>;
const le32 = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
};
const pushes = (...vs: (bigint | number)[]): Item[] => vs.map((v) => ["PUSH", v] as Item);
const flip = (b: Uint8Array, i: number): Uint8Array => {
  const c = b.slice();
  c[i] ^= 1;
  return c;
};

/** Encodings used below. */
const IDENTITY = fromHex("01" + "00".repeat(31)); // (0, 1)
const ORDER2 = fromHex("ec" + "ff".repeat(30) + "7f"); // (0, -1): y = p - 1
const IDENTITY_NONCANONICAL = fromHex("ee" + "ff".repeat(30) + "7f"); // y = p + 1 ≡ 1
const IDENTITY_NEGATIVE_ZERO = fromHex("01" + "00".repeat(30) + "80"); // x = 0 with the sign bit set
const Y_EQUALS_P = fromHex("ed" + "ff".repeat(30) + "7f"); // y = p ≡ 0

/** A y (< p, sign bit 0) for which no x exists. */
function offCurveEncoding(): Uint8Array {
  for (let y = 2n; ; y++) {
    const enc = le32(y);
    try {
      Point.fromBytes(enc, true);
    } catch {
      return enc;
    }
  }
}

// ---------------------------------------------------------------------------
// VERIFY_SIG through a program: memory = pk (0..32) ‖ sig (32..96) ‖ msg (96..)
function runVerifySig(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array) {
  const code = asm(...pushes(0, 96, msg.length, 32), "VERIFY_SIG", "HALT");
  return run({ code, rets: 1, input: concatBytes(pk, sig, msg), maxMemory: 96 + msg.length + 64, maxCycles: 100_000 }, true);
}
function sigOk(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): bigint {
  const r = runVerifySig(pk, msg, sig);
  expect(r.result.status).toBe(Status.HALT);
  return r.result.returns[0];
}

describe("VERIFY_SIG: RFC 8032 §7.1 vectors", () => {
  for (const v of ED_VECTORS) {
    it(`${v.name}: valid, and invalid once any part is altered`, () => {
      const pk = fromHex(v.public_key);
      const msg = fromHex(v.message);
      const sig = fromHex(v.signature);
      const r = runVerifySig(pk, msg, sig);
      expect(r.result.returns).toEqual([1n]);
      expect(r.trace!.find((s) => s.op === "VERIFY_SIG")!.cost).toBe(cost("VERIFY_SIG", msg.length));
      expect(sigOk(pk, msg.length ? flip(msg, msg.length - 1) : Uint8Array.from([0]), sig)).toBe(0n);
      expect(sigOk(pk, msg, flip(sig, 0))).toBe(0n);
      expect(sigOk(pk, msg, flip(sig, 40))).toBe(0n);
      expect(sigOk(flip(pk, 3), msg, sig)).toBe(0n);
    });
  }
});

describe("VERIFY_SIG: the rule of SPEC §14.2", () => {
  const v = ED_VECTORS[0];
  const pk = fromHex(v.public_key);
  const msg = fromHex(v.message);
  const sig = fromHex(v.signature);
  const R = sig.subarray(0, 32);
  const S = bytesToNumberLE(sig.subarray(32));

  it("rejects S ≥ L (S + L would pass a mod-L check)", () => {
    expect(sigOk(pk, msg, concatBytes(R, le32(S + L)))).toBe(0n);
    expect(sigOk(pk, msg, concatBytes(R, le32(L)))).toBe(0n);
    expect(sigOk(pk, msg, concatBytes(R, le32((1n << 256n) - 1n)))).toBe(0n);
  });

  it("accepts a small-order A when the equation holds (noble's strict verify would not)", () => {
    // A = identity: [8][S]B = [8]R + [8][k]O holds for R = [S]B, any message.
    const s = 5n;
    const sig2 = concatBytes(Point.BASE.multiply(s).toBytes(), le32(s));
    expect(sigOk(IDENTITY, Uint8Array.from([1, 2, 3]), sig2)).toBe(1n);
    expect(sigOk(ORDER2, Uint8Array.from([4]), sig2)).toBe(1n);
    expect(ed25519.verify(sig2, Uint8Array.from([1, 2, 3]), IDENTITY, { zip215: false })).toBe(false);
  });

  it("accepts small-order R: identity-key signature with R of order 2 and S = 0", () => {
    expect(sigOk(IDENTITY, new Uint8Array(0), concatBytes(ORDER2, le32(0n)))).toBe(1n);
  });

  it("uses the cofactored equation: R with a small-order component is accepted", () => {
    const seed = fromHex(v.secret_key);
    const h = sha512(seed);
    const a0 = bytesToNumberLE(h.subarray(0, 32));
    const a = (a0 & ((1n << 254n) - 8n)) | (1n << 254n); // RFC 8032 clamping
    const A = Point.BASE.multiply(a % L);
    expect(hex(A.toBytes())).toBe(v.public_key);
    const T = Point.fromBytes(ORDER2);
    const r = 123456789n;
    const Rmixed = Point.BASE.multiply(r).add(T);
    const m = Uint8Array.from([0x61, 0x62, 0x63]);
    const k = bytesToNumberLE(sha512(concatBytes(Rmixed.toBytes(), pk, m))) % L;
    const Smixed = (r + k * a) % L;
    const mixedSig = concatBytes(Rmixed.toBytes(), le32(Smixed));
    // the cofactorless equation [S]B = R + [k]A fails ...
    expect(Point.BASE.multiply(Smixed).equals(Rmixed.add(A.multiply(k)))).toBe(false);
    // ... the cofactored one holds
    expect(sigOk(pk, m, mixedSig)).toBe(1n);
  });

  it("decodes A strictly: y ≥ p, x = 0 with the sign bit, and no x are rejected", () => {
    const s = 5n;
    const sig2 = concatBytes(Point.BASE.multiply(s).toBytes(), le32(s));
    expect(sigOk(IDENTITY, msg, sig2)).toBe(1n); // the canonical form of the same point passes
    expect(sigOk(IDENTITY_NONCANONICAL, msg, sig2)).toBe(0n);
    expect(sigOk(IDENTITY_NEGATIVE_ZERO, msg, sig2)).toBe(0n);
    expect(sigOk(Y_EQUALS_P, msg, sig2)).toBe(0n);
    expect(sigOk(offCurveEncoding(), msg, sig2)).toBe(0n);
  });

  it("decodes R strictly the same way", () => {
    // identity key, S = 0: any R of small order satisfies the equation, so only decoding can reject
    expect(sigOk(IDENTITY, msg, concatBytes(IDENTITY, le32(0n)))).toBe(1n);
    expect(sigOk(IDENTITY, msg, concatBytes(IDENTITY_NONCANONICAL, le32(0n)))).toBe(0n);
    expect(sigOk(IDENTITY, msg, concatBytes(IDENTITY_NEGATIVE_ZERO, le32(0n)))).toBe(0n);
    expect(sigOk(IDENTITY, msg, concatBytes(Y_EQUALS_P, le32(0n)))).toBe(0n);
    expect(sigOk(IDENTITY, msg, concatBytes(offCurveEncoding(), le32(0n)))).toBe(0n);
  });

  it("the rule's decoder agrees with RFC 8032 §5.1.3 on the edge encodings", () => {
    expect(decodePointStrict(IDENTITY)?.is0()).toBe(true);
    expect(decodePointStrict(ORDER2)).toBeDefined();
    expect(decodePointStrict(IDENTITY_NONCANONICAL)).toBeUndefined();
    expect(decodePointStrict(IDENTITY_NEGATIVE_ZERO)).toBeUndefined();
    expect(decodePointStrict(Y_EQUALS_P)).toBeUndefined();
    expect(decodePointStrict(new Uint8Array(31))).toBeUndefined();
  });

  it("wrong-length data is impossible: ranges past memory trap MEMORY_OUT_OF_BOUNDS", () => {
    const mm = { maxMemory: 256 };
    const t = (items: Item[]) => outcome(run({ code: asm(...items, "VERIFY_SIG", "HALT"), rets: 1, ...mm }));
    const oob = { status: "TRAP", code: BigInt(Trap.MEMORY_OUT_OF_BOUNDS), returns: [] };
    expect(t(pushes(256 - 31, 0, 0, 0))).toEqual(oob); // pk needs 32 bytes
    expect(t(pushes(0, 0, 0, 256 - 63))).toEqual(oob); // sig needs 64 bytes
    expect(t(pushes(0, 200, 57, 0))).toEqual(oob); // msg runs past the end
    expect(t(pushes(0, 0, -1, 0))).toEqual(oob); // negative length
    // All at the edge is fine. (Zero memory: A = R = the all-zero encoding, y = 0, a point of
    // order 4, and S = 0, so the cofactored equation holds: the SPEC rule accepts it.)
    expect(t(pushes(256 - 32, 256, 0, 256 - 64))).toEqual({ status: "HALT", code: 0n, returns: [1n] });
  });

  it("the function-level rule rejects wrong lengths", () => {
    expect(verifyEd25519(pk.subarray(0, 31), msg, sig)).toBe(false);
    expect(verifyEd25519(pk, msg, sig.subarray(0, 63))).toBe(false);
    expect(verifyEd25519(pk, msg, sig)).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// VERIFY_VRF through a program: memory = pk (0..32) ‖ proof (32..112) ‖ alpha (112..) ; dst at 1024, prefilled
const DST = 1024;
const PREFILL = Uint8Array.from({ length: 64 }, (_, i) => 0xa0 ^ i);
function runVerifyVrf(pk: Uint8Array, alpha: Uint8Array, proof: Uint8Array) {
  const input = new Uint8Array(DST + 64);
  input.set(concatBytes(pk, proof, alpha));
  input.set(PREFILL, DST);
  const code = asm(...pushes(0, 112, alpha.length, 32, DST), "VERIFY_VRF", ...pushes(DST, 64), "EMIT", "HALT");
  const r = run({ code, rets: 1, input, maxMemory: 2048, maxCycles: 100_000 }, true);
  expect(r.result.status).toBe(Status.HALT);
  return { ok: r.result.returns[0], out: r.result.output, run: r };
}

describe("VERIFY_VRF: RFC 9381 B.3 (ECVRF-EDWARDS25519-SHA512-TAI)", () => {
  const tai = VRF_VECTORS.filter((v) => v.suite_string === "03");
  it("has the three TAI examples", () => expect(tai.map((v) => v.example)).toEqual([16, 17, 18]));
  for (const v of tai) {
    it(`example ${v.example}: valid, writes β; invalid once altered, leaving dst alone`, () => {
      const pk = fromHex(v.PK);
      const alpha = fromHex(v.alpha);
      const pi = fromHex(v.pi);
      const good = runVerifyVrf(pk, alpha, pi);
      expect(good.ok).toBe(1n);
      expect(hex(good.out)).toBe(v.beta);
      expect(good.run.trace!.find((s) => s.op === "VERIFY_VRF")!.cost).toBe(cost("VERIFY_VRF", alpha.length));
      for (const bad of [
        runVerifyVrf(pk, concatBytes(alpha, Uint8Array.from([0])), pi),
        runVerifyVrf(pk, alpha, flip(pi, 0)), // Gamma
        runVerifyVrf(pk, alpha, flip(pi, 40)), // c
        runVerifyVrf(pk, alpha, flip(pi, 60)), // s
        runVerifyVrf(flip(pk, 0), alpha, pi),
      ]) {
        expect(bad.ok).toBe(0n);
        expect(hex(bad.out)).toBe(hex(PREFILL));
      }
    });
  }
  it("rejects the ELL2 examples (suite 0x04) under the TAI suite", () => {
    for (const v of VRF_VECTORS.filter((x) => x.suite_string === "04")) {
      expect(verifyEcvrf(fromHex(v.PK), fromHex(v.alpha), fromHex(v.pi))).toBeUndefined();
    }
  });
});

/** Builds a proof the way RFC 9381 §5.1 proves, from a scalar x (test-side prover). */
function prove(x: bigint, Ybytes: Uint8Array, alpha: Uint8Array, GammaOverride?: P): Uint8Array {
  const H = encodeToCurveTai(Ybytes, alpha)!;
  const Gamma = GammaOverride ?? H.multiply(x);
  const k = 987654321987654321n;
  const U = Point.BASE.multiply(k);
  const V = H.multiply(k);
  const c = sha512(concatBytes(Uint8Array.from([3, 2]), Ybytes, H.toBytes(), Gamma.toBytes(), U.toBytes(), V.toBytes(), Uint8Array.from([0]))).subarray(0, 16);
  const s = (k + bytesToNumberLE(c) * x) % L;
  return concatBytes(Gamma.toBytes(), c, le32(s));
}

describe("VERIFY_VRF: the rule of SPEC §14.3", () => {
  const v16 = VRF_VECTORS[0];
  const pk = fromHex(v16.PK);
  const pi = fromHex(v16.pi);

  it("verifies a proof made by an independent prover, with β = SHA-512(03 ‖ 03 ‖ [8]Gamma ‖ 00)", () => {
    const x = 0x1234567890abcdefn;
    const Y = Point.BASE.multiply(x).toBytes();
    const alpha = Uint8Array.from([1, 2, 3, 4]);
    const proof = prove(x, Y, alpha);
    const Gamma = Point.fromBytes(proof.subarray(0, 32));
    const beta = sha512(concatBytes(Uint8Array.from([3, 3]), Gamma.multiplyUnsafe(8n).toBytes(), Uint8Array.from([0])));
    const r = runVerifyVrf(Y, alpha, proof);
    expect(r.ok).toBe(1n);
    expect(hex(r.out)).toBe(hex(beta));
  });

  it("rejects a small-order key even when the equations hold (validate_key)", () => {
    // Y = identity, Gamma = identity: U = [s]B and V = [s]H whatever c is, so only the key check rejects.
    const alpha = Uint8Array.from([7]);
    const proof = prove(0n, IDENTITY, alpha, Point.ZERO);
    const H = encodeToCurveTai(IDENTITY, alpha)!;
    const s = bytesToNumberLE(proof.subarray(48));
    const U = Point.BASE.multiply(s);
    const V = H.multiply(s);
    const c = sha512(concatBytes(Uint8Array.from([3, 2]), IDENTITY, H.toBytes(), IDENTITY, U.toBytes(), V.toBytes(), Uint8Array.from([0]))).subarray(0, 16);
    expect(hex(c)).toBe(hex(proof.subarray(32, 48))); // the challenge would match
    expect(runVerifyVrf(IDENTITY, alpha, proof).ok).toBe(0n);
    expect(verifyEcvrf(ORDER2, alpha, proof)).toBeUndefined();
  });

  it("rejects s ≥ L", () => {
    const s = bytesToNumberLE(pi.subarray(48));
    expect(runVerifyVrf(pk, new Uint8Array(0), concatBytes(pi.subarray(0, 48), le32(s + L))).ok).toBe(0n);
  });

  it("decodes Y and Gamma strictly", () => {
    expect(verifyEcvrf(IDENTITY_NONCANONICAL, new Uint8Array(0), pi)).toBeUndefined();
    expect(verifyEcvrf(Y_EQUALS_P, new Uint8Array(0), pi)).toBeUndefined();
    expect(verifyEcvrf(pk, new Uint8Array(0), concatBytes(IDENTITY_NEGATIVE_ZERO, pi.subarray(32)))).toBeUndefined();
    expect(verifyEcvrf(pk, new Uint8Array(0), concatBytes(offCurveEncoding(), pi.subarray(32)))).toBeUndefined();
  });

  it("finds H by try-and-increment (example 17 needs ctr = 1)", () => {
    const v17 = VRF_VECTORS[1];
    const H = encodeToCurveTai(fromHex(v17.PK), fromHex(v17.alpha))!;
    expect(hex(H.toBytes())).toBe("5b659fc3d4e9263fd9a4ed1d022d75eaacc20df5e09f9ea937502396598dc551");
  });

  it("checks all four ranges even for an invalid proof", () => {
    const t = (items: Item[]) => outcome(run({ code: asm(...items, "VERIFY_VRF", "HALT"), rets: 1, maxMemory: 512 }));
    const oob = { status: "TRAP", code: BigInt(Trap.MEMORY_OUT_OF_BOUNDS), returns: [] };
    expect(t(pushes(512 - 31, 0, 0, 0, 0))).toEqual(oob);
    expect(t(pushes(0, 500, 13, 0, 0))).toEqual(oob);
    expect(t(pushes(0, 0, 0, 512 - 79, 0))).toEqual(oob);
    expect(t(pushes(0, 0, 0, 0, 512 - 63))).toEqual(oob);
    expect(t(pushes(512 - 32, 512, 0, 512 - 80, 512 - 64))).toEqual({ status: "HALT", code: 0n, returns: [0n] });
  });
});

// ---------------------------------------------------------------------------
describe("HASH: Blake3 vectors (input byte i = i % 251; the 32-byte prefix)", () => {
  const fitting = BLAKE3.filter((c) => c.input_len + Limit.HASH_SIZE <= Limit.MAX_MEMORY);
  it("covers every length that fits in memory", () => {
    expect(fitting.map((c) => c.input_len)).toContain(31744);
    expect(fitting.length).toBe(BLAKE3.length - 1);
  });
  for (const c of fitting) {
    it(`length ${c.input_len}`, () => {
      const len = c.input_len;
      const input = Uint8Array.from({ length: len }, (_, i) => i % 251);
      const code = asm(...pushes(0, len, len), "HASH", ...pushes(len, 32), "EMIT", "HALT");
      const r = run({ code, input, maxMemory: len + 32 }, true);
      expect(r.result.status).toBe(Status.HALT);
      expect(hex(r.result.output)).toBe(c.hash.slice(0, 64));
      expect(r.trace!.find((s) => s.op === "HASH")!.cost).toBe(500 + 10 * Math.ceil(len / 64));
    });
  }
  it("computes the digest before writing it (overlapping ranges)", () => {
    const input = Uint8Array.from({ length: 64 }, (_, i) => i);
    const code = asm(...pushes(0, 64, 16), "HASH", ...pushes(0, 64), "EMIT", "HALT");
    const r = run({ code, input, maxMemory: 64 });
    expect(hex(r.result.output)).toBe(hex(concatBytes(input.subarray(0, 16), blake3(input), input.subarray(48))));
  });
});
