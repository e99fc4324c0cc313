/**
 * The field of the SecretShared tier: GF(p), p = 2^127 − 1, from
 * `@noble/curves/abstract/modular.js`.
 *
 * Why this prime: it is the smallest Mersenne prime of at least 127 bits, so an
 * element is exactly 16 bytes on the wire (half the 32 of the ed25519 scalar
 * field, which halves every share and reshare), a canonical element is simply
 * "16 bytes with the value below p", and (p − 1)/2 ≈ 2^126 leaves room for two
 * levels of 2^16 fixed-point products of 31-bit values without truncation.
 *
 * Random elements are drawn by rejection sampling: take ⌈bits/8⌉ bytes from
 * the CSPRNG, clear the bits above the modulus' bit length, and draw again if
 * the value is not below the modulus. No reduction modulo p is ever applied to
 * random bytes, so there is no modulo bias. BigInt arithmetic is not
 * constant-time; timing is outside the threat model (docs/PRIVATE.md).
 */
import { Field } from "@noble/curves/abstract/modular.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { ShamirLimit } from "../../generated/private-protocol.ts";
import { fail } from "./errors.ts";

/** p = 2^127 − 1: the definition of the tier's field (docs/PRIVATE.md S1). */
export const P = (1n << 127n) - 1n;
export const F = Field(P);
export const ELEMENT_BYTES = ShamirLimit.FIELD_BYTES;
if (F.BYTES !== ELEMENT_BYTES) throw new Error(`field elements are ${F.BYTES} bytes, the table says ${ELEMENT_BYTES}`);
/** Largest magnitude of a signed value: signed v ∈ [−HALF, HALF] maps to v mod p. */
export const HALF = (P - 1n) / 2n;

/** A source of uniformly random bytes. Production uses the platform CSPRNG. */
export type RandomSource = (length: number) => Uint8Array;

/**
 * The platform CSPRNG (crypto.getRandomValues through @noble/hashes), read
 * 4 KiB at a time: one call per 16-byte element spent more time in the call
 * than in the arithmetic. Every byte is used once.
 */
export const cryptoRandom: RandomSource = (() => {
  const POOL = 4096;
  let pool = new Uint8Array(0), pos = 0;
  return (n: number) => {
    if (n > POOL) return randomBytes(n);
    if (pos + n > pool.length) { pool = randomBytes(POOL); pos = 0; }
    const out = pool.slice(pos, pos + n);
    pool.fill(0, pos, pos + n);
    pos += n;
    return out;
  };
})();

/**
 * A uniform integer in [0, q) by rejection sampling (masking to q's bit length
 * first, so every draw is accepted with probability q / 2^bits ≥ 1/2).
 * `attempts` reports how many draws were taken.
 */
export function sampleBelow(q: bigint, rng: RandomSource, attempts?: { count: number }): bigint {
  if (q < 1n) throw new RangeError("modulus must be positive");
  const bits = q.toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const topMask = (1 << (bits - 8 * (bytes - 1))) - 1; // bits kept of the first (most significant) byte
  for (let i = 1; i <= ShamirLimit.RNG_MAX_ATTEMPTS; i++) {
    const b = rng(bytes);
    if (b.length !== bytes) fail("RNG_FAILURE", `random source returned ${b.length} bytes, asked for ${bytes}`);
    let v = BigInt(b[0] & topMask);
    for (let k = 1; k < bytes; k++) v = (v << 8n) | BigInt(b[k]);
    if (v < q) {
      if (attempts) attempts.count = i;
      return v;
    }
  }
  return fail("RNG_FAILURE", `${ShamirLimit.RNG_MAX_ATTEMPTS} draws in a row were rejected: the random source is broken`);
}

export function randomElement(rng: RandomSource): bigint {
  return sampleBelow(P, rng);
}

export function randomNonZero(rng: RandomSource): bigint {
  return 1n + sampleBelow(P - 1n, rng);
}

/** The field element of a signed integer; the caller guarantees |v| ≤ HALF. */
export function fromSigned(v: bigint): bigint {
  if (v > HALF || v < -HALF) throw new RangeError(`signed value ${v} outside ±(p−1)/2`);
  return v < 0n ? v + P : v;
}

/** The signed representative in [−HALF, HALF] of a field element. */
export function toSigned(e: bigint): bigint {
  return e > HALF ? e - P : e;
}

const MASK64 = (1n << 64n) - 1n;

/** 16 bytes, big-endian (two 64-bit halves: a BigInt shift per byte would dominate large messages). */
export function elementToBytes(e: bigint, out = new Uint8Array(ELEMENT_BYTES), offset = 0): Uint8Array {
  const dv = new DataView(out.buffer, out.byteOffset + offset, ELEMENT_BYTES);
  dv.setBigUint64(0, (e >> 64n) & MASK64);
  dv.setBigUint64(8, e & MASK64);
  return out;
}

export function elementFromBytes(b: Uint8Array, offset = 0): bigint {
  if (b.length - offset < ELEMENT_BYTES) fail("FIELD_ELEMENT_INVALID", `field element needs ${ELEMENT_BYTES} bytes`);
  const dv = new DataView(b.buffer, b.byteOffset + offset, ELEMENT_BYTES);
  const v = (dv.getBigUint64(0) << 64n) | dv.getBigUint64(8);
  if (v >= P) fail("FIELD_ELEMENT_INVALID", "field element is not below p");
  return v;
}

/** A vector of elements as one byte string of 16·n bytes. */
export function packElements(v: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(v.length * ELEMENT_BYTES);
  v.forEach((e, i) => elementToBytes(e, out, i * ELEMENT_BYTES));
  return out;
}

export function unpackElements(b: Uint8Array): bigint[] {
  if (b.length % ELEMENT_BYTES !== 0) fail("FIELD_ELEMENT_INVALID", `packed vector of ${b.length} bytes is not a multiple of ${ELEMENT_BYTES}`);
  const out: bigint[] = new Array(b.length / ELEMENT_BYTES);
  for (let i = 0; i < out.length; i++) out[i] = elementFromBytes(b, i * ELEMENT_BYTES);
  return out;
}
