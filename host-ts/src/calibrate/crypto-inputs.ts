/**
 * Valid inputs for the crypto microbenchmarks: VERIFY_SIG and VERIFY_VRF must
 * run their full verification path (an early reject would measure almost
 * nothing), so every signature and proof here verifies under the SPEC rules
 * (checked against the reference implementations in crypto/).
 *
 * Ed25519: @noble/curves signs with a fixed seed (RFC 8032 signing is
 * deterministic, so the bytes are the same on every run).
 *
 * ECVRF-EDWARDS25519-SHA512-TAI: a small RFC 9381 §5.1 prover, because the
 * microbenchmarks need proofs for alphas of chosen lengths (the RFC examples
 * only cover 0-2 byte alphas). Its key is the RFC 9381 Example 16 secret key
 * read from the committed vector file when present; the prover is checked
 * against that example's proof, so a mistake in it cannot go unnoticed.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { BASE, L, bytesToNumberLE, decodePointStrict, mulByCofactor, verifyEd25519, type EdwardsPoint } from "../crypto/ed25519.ts";
import { concatBytes } from "../model/bytes.ts";
import { encodeToCurveTai, verifyEcvrf } from "../crypto/ecvrf.ts";
import { bytesToHex, hexToBytes } from "../model/bytes.ts";

/** Where the RFC 9381 vectors live in this workspace (read if present, never required). */
export const RFC9381_VECTOR_FILE = process.env.MHR_ECVRF_VECTORS ?? fileURLToPath(new URL("../../../test-vectors/upstream/ecvrf-rfc9381.json", import.meta.url));

/** RFC 9381 Appendix B.3 Example 16 secret key: the fallback when the vector file is absent. */
const EXAMPLE16_SK = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
const EXAMPLE16_PI =
  "8657106690b5526245a92b003bb079ccd1a92130477671f6fc01ad16f26f723f26f8a57ccaed74ee1b190bed1f479d9727d2d0f9b005a6e456a35d4fb0daab1268a1b0db10836d9826a528ca76567805";

const SUITE = 0x03;

function leBytes(v: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = v;
  for (let i = 0; i < n; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** The secret scalar and public key of an RFC 8032 / RFC 9381 secret key. */
function expandKey(sk: Uint8Array): { x: bigint; pk: Uint8Array; prefix: Uint8Array } {
  const h = sha512(sk);
  const a = h.slice(0, 32);
  a[0] &= 248;
  a[31] &= 127;
  a[31] |= 64;
  const x = bytesToNumberLE(a) % L;
  return { x, pk: BASE.multiply(x).toBytes(), prefix: h.slice(32, 64) };
}

/** RFC 9381 §5.4.1.1: the counter value at which try-and-increment found H (the number of extra hash-and-decode tries). */
export function taiCounter(pk: Uint8Array, alpha: Uint8Array): number {
  for (let ctr = 0; ctr <= 255; ctr++) {
    const hash = sha512(concatBytes(Uint8Array.of(SUITE, 0x01), pk, alpha, Uint8Array.of(ctr, 0x00)));
    const candidate = decodePointStrict(hash.subarray(0, 32));
    if (candidate !== undefined && !mulByCofactor(candidate).is0()) return ctr;
  }
  return -1;
}

/** RFC 9381 §5.1 ECVRF_prove for ECVRF-EDWARDS25519-SHA512-TAI: the 80-byte proof Gamma ‖ c ‖ s. */
export function vrfProve(sk: Uint8Array, alpha: Uint8Array): { pk: Uint8Array; proof: Uint8Array } {
  const { x, pk, prefix } = expandKey(sk);
  const H: EdwardsPoint | undefined = encodeToCurveTai(pk, alpha);
  if (H === undefined) throw new Error("ECVRF prover: encode_to_curve found no point (ctr > 255)");
  const hString = H.toBytes();
  const gamma = H.multiply(x);
  // §5.4.2.2 nonce generation: SHA-512(second half of SHA-512(SK) ‖ h_string) mod q.
  const k = bytesToNumberLE(sha512(concatBytes(prefix, hString))) % L;
  const U = BASE.multiply(k);
  const V = H.multiply(k);
  // §5.4.3 challenge generation: first 16 bytes of SHA-512(suite ‖ 0x02 ‖ Y ‖ H ‖ Gamma ‖ U ‖ V ‖ 0x00).
  const cBytes = sha512(concatBytes(Uint8Array.of(SUITE, 0x02), pk, hString, gamma.toBytes(), U.toBytes(), V.toBytes(), Uint8Array.of(0x00))).slice(0, 16);
  const c = bytesToNumberLE(cBytes);
  const s = (k + c * x) % L;
  return { pk, proof: concatBytes(gamma.toBytes(), cBytes, leBytes(s, 32)) };
}

export interface VrfKey {
  sk: Uint8Array;
  /** Where the key came from, for the report. */
  source: string;
  /** Set when the prover reproduced the RFC 9381 Example 16 proof. */
  checkedAgainstRfc: boolean;
}

/** The VRF key: Example 16 of the committed RFC 9381 vector file if present (and the prover checked against it), else the same key built in. */
export function vrfKey(): VrfKey {
  let skHex = EXAMPLE16_SK;
  let piHex = EXAMPLE16_PI;
  let source = "RFC 9381 Appendix B.3 Example 16 secret key (built in; vector file not found)";
  if (existsSync(RFC9381_VECTOR_FILE)) {
    try {
      const cases = JSON.parse(readFileSync(RFC9381_VECTOR_FILE, "utf8")) as { suite?: string; SK?: string; alpha?: string; pi?: string }[];
      const tai = cases.find((c) => c.suite === "ECVRF-EDWARDS25519-SHA512-TAI" && c.alpha === "" && typeof c.SK === "string" && typeof c.pi === "string");
      if (tai?.SK && tai.pi) {
        skHex = tai.SK;
        piHex = tai.pi;
        source = `RFC 9381 ECVRF-EDWARDS25519-SHA512-TAI vector (empty alpha) from ${process.env.MHR_ECVRF_VECTORS ?? "test-vectors/upstream/ecvrf-rfc9381.json"}`;
      }
    } catch {
      // A damaged file is not fatal: the built-in Example 16 values are the same data.
    }
  }
  const sk = hexToBytes(skHex);
  const { proof } = vrfProve(sk, new Uint8Array(0));
  const checked = bytesToHex(proof) === piHex.toLowerCase();
  if (!checked) throw new Error(`ECVRF prover does not reproduce the RFC 9381 proof for ${source}`);
  return { sk, source, checkedAgainstRfc: checked };
}

export interface VrfInput {
  pk: Uint8Array;
  proof: Uint8Array;
  alpha: Uint8Array;
  /** The try-and-increment counter of this (pk, alpha): extra hash-to-curve attempts the verifier makes. */
  ctr: number;
}

/** A deterministic alpha of `len` bytes (a counter-seeded pattern, so different seeds give different alphas). */
export function patternBytes(len: number, seed: number): Uint8Array {
  const out = new Uint8Array(len);
  let s = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** A valid proof for an alpha of `len` bytes, checked with the reference verifier. */
export function vrfInput(key: VrfKey, alpha: Uint8Array): VrfInput {
  const { pk, proof } = vrfProve(key.sk, alpha);
  if (verifyEcvrf(pk, alpha, proof) === undefined) throw new Error(`ECVRF prover made a proof the reference rejects (alpha of ${alpha.length} bytes)`);
  return { pk, proof, alpha, ctr: taiCounter(pk, alpha) };
}

/**
 * The first alpha of `len` bytes (in seed order) whose try-and-increment
 * counter is at least `minCtr`: the verifier's hash-to-curve loop runs
 * ctr+1 times, and a contract author can grind alphas for a large counter.
 */
export function grindVrfAlpha(key: VrfKey, len: number, minCtr: number, maxSeeds = 100_000): VrfInput {
  const { pk } = expandKey(key.sk);
  for (let seed = 1; seed <= maxSeeds; seed++) {
    const alpha = patternBytes(len, seed);
    if (taiCounter(pk, alpha) >= minCtr) return vrfInput(key, alpha);
  }
  throw new Error(`no ${len}-byte alpha with try-and-increment counter >= ${minCtr} in ${maxSeeds} seeds`);
}

export interface SigInput {
  pk: Uint8Array;
  sig: Uint8Array;
  msg: Uint8Array;
}

/** A valid Ed25519 signature over a deterministic message of `len` bytes, checked with the SPEC rule. */
export function sigInput(len: number): SigInput {
  const seed = sha512(new TextEncoder().encode("mhr calibrate ed25519 seed")).slice(0, 32);
  const msg = patternBytes(len, 7 + len);
  const pk = ed25519.getPublicKey(seed);
  const sig = ed25519.sign(msg, seed);
  if (!verifyEd25519(pk, msg, sig)) throw new Error(`Ed25519 signature over ${len} bytes does not verify under the SPEC rule`);
  return { pk, sig, msg };
}
