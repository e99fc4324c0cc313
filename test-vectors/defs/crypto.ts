/**
 * HASH, VERIFY_SIG, VERIFY_VRF (SPEC §9.6, §14) on the public vectors in
 * test-vectors/upstream (BLAKE3 official, RFC 8032 §7.1, RFC 9381 B.3) plus edge
 * cases built here: non-canonical encodings, S >= L, small-order and
 * mixed-order points (where the cofactored rule and the cofactorless one
 * disagree), and wrong lengths through memory bounds.
 */
import { readFileSync } from "node:fs";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { COST_TABLES } from "../../host-ts/src/generated/opcodes.ts";
// The vectors of this file are contract version 1: table v1 (gen-vectors.ts derives their version-2 twins).
const COSTS = COST_TABLES.v1;
import { concatBytes, hexToBytes } from "../../host-ts/src/model/bytes.ts";
import { main, hex, type DefFile, type VectorDef } from "./lib.ts";

const shared = (f: string) => JSON.parse(readFileSync(new URL(`../upstream/${f}`, import.meta.url), "utf8"));
const c = (k: string) => COSTS[k].base;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;

const le = (n: bigint, len = 32) => Uint8Array.from({ length: len }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const fromLe = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const flip = (b: Uint8Array, byte: number, bit = 0) => { const x = b.slice(); x[byte] ^= 1 << bit; return x; };

/** Hash the whole input, EMIT the digest. */
const hashProgram = (memory: number, cycles = 1_000_000) => main(`PUSH 0\nLOAD.inlen\nPUSH ${memory - 32}\nHASH\nPUSH ${memory - 32}\nPUSH 32\nEMIT\nHALT`, { memory, cycles });

/** input = pk(32) || sig(64) || msg; returns VERIFY_SIG's answer. */
const SIG = main("PUSH 0\nPUSH 96\nLOAD.inlen\nPUSH 96\nSUB\nPUSH 32\nVERIFY_SIG\nHALT", { rets: 1, memory: 2048 });
const sigVector = (name: string, description: string, pk: Uint8Array, sig: Uint8Array, msg: Uint8Array, ok: boolean): VectorDef =>
  ({ name: `sig/${name}`, description, source: SIG, input: concatBytes(pk, sig, msg), expect: { status: "HALT", returns: [ok ? 1n : 0n] } });

/** input = pk(32) || proof(80) || alpha; beta written at 1024 and EMITted either way (zeros when invalid). */
const VRF = main("PUSH 0\nPUSH 112\nLOAD.inlen\nPUSH 112\nSUB\nPUSH 32\nPUSH 1024\nVERIFY_VRF\nPUSH 1024\nPUSH 64\nEMIT\nHALT", { rets: 1, memory: 2048 });
const vrfVector = (name: string, description: string, pk: Uint8Array, proof: Uint8Array, alpha: Uint8Array, beta: Uint8Array | null): VectorDef =>
  ({ name: `vrf/${name}`, description, source: VRF, input: concatBytes(pk, proof, alpha), expect: { status: "HALT", returns: [beta ? 1n : 0n], output: hex(beta ?? new Uint8Array(64)) } });

const blake3 = shared("blake3.json") as { cases: { input_len: number; hash: string }[] };
const rfc8032 = shared("ed25519-rfc8032.json") as { name: string; secret_key: string; public_key: string; message: string; signature: string }[];
const rfc9381 = (shared("ecvrf-rfc9381.json") as { example: number; suite_string: string; PK: string; alpha: string; pi: string; beta: string }[]).filter((e) => e.suite_string === "03");

// Points used by the edge cases.
const Point = ed25519.Point;
const B = Point.BASE;
const IDENTITY = le(1n); // y = 1, x = 0
const IDENTITY_NEG_ZERO = (() => { const b = le(1n); b[31] |= 0x80; return b; })(); // x = 0 with the sign bit set: non-canonical
const NONCANONICAL_Y = le(P + 1n); // y = p + 1 ≡ 1, encoded ≥ p
// A point of order 8: [L]P for a curve point P kills its prime-order part and
// leaves its torsion component; keep the first one of full order 8.
const mulRaw = (p: typeof B, k: bigint) => { let acc = Point.ZERO, q = p; for (; k > 0n; k >>= 1n) { if (k & 1n) acc = acc.add(q); q = q.double(); } return acc; };
const T8 = (() => {
  for (let y = 2n; y < 1000n; y++) {
    let p: typeof B;
    try { p = Point.fromBytes(le(y)); } catch { continue; }
    const t = mulRaw(p, L);
    if (!mulRaw(t, 4n).equals(Point.ZERO)) return t;
  }
  throw new Error("no point of order 8 found");
})();
const modL = (x: bigint) => ((x % L) + L) % L;
const hashToScalar = (...parts: Uint8Array[]) => modL(fromLe(sha512(concatBytes(...parts))));

// Signing with explicit scalars so R can be shifted by a torsion point (mixed order).
const seed = hexToBytes(rfc8032[0].secret_key);
const h = sha512(seed);
const a = (() => { const s = h.slice(0, 32); s[0] &= 248; s[31] &= 127; s[31] |= 64; return modL(fromLe(s)); })();
const A = B.multiply(a);
const Abytes = A.toBytes();
function signWith(Rpoint: typeof B, r: bigint, msg: Uint8Array, pkBytes = Abytes, secret = a): Uint8Array {
  const Rb = Rpoint.toBytes();
  const k = hashToScalar(Rb, pkBytes, msg);
  return concatBytes(Rb, le(modL(r + k * secret)));
}
const msg = new TextEncoder().encode("mixed order");
const r = 0x1234567n;
const R = B.multiply(r);
const mixedR = signWith(R.add(T8), r, msg); // cofactored accepts, cofactorless rejects
// Small-order public key: A' = T8. [8]A' = 0, so the equation is [8]S B = [8]R: S = r, any message.
const smallOrderPk = T8.toBytes();
const smallOrderSig = (() => { const Rb = R.toBytes(); return concatBytes(Rb, le(r)); })();
const good = rfc8032[1];
const gpk = hexToBytes(good.public_key), gsig = hexToBytes(good.signature), gmsg = hexToBytes(good.message);
const sPlusL = concatBytes(gsig.slice(0, 32), le(fromLe(gsig.slice(32)) + L));

const vrf0 = rfc9381[0];
const vpk = hexToBytes(vrf0.PK), vpi = hexToBytes(vrf0.pi), valpha = hexToBytes(vrf0.alpha);

export const crypto: DefFile = {
  category: "crypto",
  description: "HASH (Blake3-256), VERIFY_SIG (Ed25519, SPEC §14.2 rule), VERIFY_VRF (ECVRF-EDWARDS25519-SHA512-TAI): public vectors and edge cases",
  vectors: [
    ...blake3.cases.filter((k) => k.input_len <= 32768 - 32).map((k): VectorDef => {
      const mem = Math.max(64, Math.min(32768, 1 << Math.ceil(Math.log2(k.input_len + 32))));
      return {
        name: `hash/blake3-official-${k.input_len}`,
        description: `BLAKE3 official vector, input length ${k.input_len} (byte i = i % 251)`,
        source: hashProgram(mem),
        input: Uint8Array.from({ length: k.input_len }, (_, i) => i % 251),
        expect: { status: "HALT", output: k.hash.slice(0, 64), cycles: 1 + c("LOAD.inlen") + 1 + c("HASH") + COSTS.HASH.per! * Math.ceil(k.input_len / 64) + 2 + c("EMIT") + 1 + c("HALT") },
      };
    }),
    { name: "hash/in-place", description: "HASH may overwrite its own input (the digest is computed first)", source: main('.data 0 "abc"\nPUSH 0\nPUSH 3\nPUSH 1\nHASH\nPUSH 1\nPUSH 32\nEMIT\nHALT'), expect: { status: "HALT" } },
    { name: "hash/dst-out-of-bounds", description: "a digest that would not fit traps before charging", source: main("PUSH 0\nPUSH 0\nPUSH 225\nHASH\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS", cycles: 3 } },
    { name: "hash/dst-last-fit", description: "a digest ending at max_memory fits", source: main("PUSH 0\nPUSH 0\nPUSH 224\nHASH\nHALT"), expect: { status: "HALT" } },
    { name: "hash/src-out-of-bounds", description: "a source past the end traps", source: main("PUSH 1\nPUSH 256\nPUSH 0\nHASH\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "hash/negative-length", description: "a negative length traps", source: main("PUSH 0\nPUSH -1\nPUSH 0\nHASH\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "hash/underflow", description: "HASH needs three values", source: main("PUSH 0\nPUSH 0\nHASH\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    { name: "hash/out-of-cycles", description: "the size-dependent part counts toward max_cycles", source: main("PUSH 0\nPUSH 256\nPUSH 0\nHASH\nHALT", { cycles: 3 + 500 + 39 }), expect: { status: "TRAP", code: "OUT_OF_CYCLES", cycles: 3 } },
    ...rfc8032.map((v) => sigVector(`rfc8032-${v.name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`, `RFC 8032 §7.1 ${v.name} verifies`, hexToBytes(v.public_key), hexToBytes(v.signature), hexToBytes(v.message), true)),
    ...rfc8032.flatMap((v) => {
      const pk = hexToBytes(v.public_key), sig = hexToBytes(v.signature), m = hexToBytes(v.message);
      const n = v.name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
      return [
        sigVector(`${n}-flip-r`, `${v.name} with a bit of R flipped is rejected`, pk, flip(sig, 3), m, false),
        sigVector(`${n}-flip-s`, `${v.name} with a bit of S flipped is rejected`, pk, flip(sig, 40), m, false),
        sigVector(`${n}-flip-key`, `${v.name} under a key with one bit flipped is rejected`, flip(pk, 5), sig, m, false),
        ...(m.length ? [sigVector(`${n}-flip-msg`, `${v.name} over a message with one bit flipped is rejected`, pk, sig, flip(m, 0), false)] : []),
      ];
    }),
    sigVector("s-plus-l", "S + L (non-canonical scalar) is rejected even though [S]B is unchanged", gpk, sPlusL, gmsg, false),
    sigVector("s-equals-l", "S = L is rejected", gpk, concatBytes(gsig.slice(0, 32), le(L)), gmsg, false),
    sigVector("s-max", "S = 2^256-1 is rejected", gpk, concatBytes(gsig.slice(0, 32), new Uint8Array(32).fill(0xff)), gmsg, false),
    sigVector("key-y-noncanonical", "a public key encoding y >= p is rejected", NONCANONICAL_Y, gsig, gmsg, false),
    sigVector("key-negative-zero", "a public key with x = 0 and the sign bit set is rejected", IDENTITY_NEG_ZERO, gsig, gmsg, false),
    sigVector("key-not-on-curve", "a public key with no square root is rejected", le(2n), gsig, gmsg, false),
    sigVector("r-noncanonical", "an R encoding y >= p is rejected", gpk, concatBytes(NONCANONICAL_Y, gsig.slice(32)), gmsg, false),
    sigVector("identity-key-zero-sig", "identity key, R = identity, S = 0: accepted by the cofactored equation (small-order keys are not rejected)", IDENTITY, concatBytes(IDENTITY, new Uint8Array(32)), msg, true),
    sigVector("small-order-key", "a small-order key with [8]S B = [8]R verifies for any message (SPEC §14.2)", smallOrderPk, smallOrderSig, msg, true),
    sigVector("mixed-order-r", "R shifted by a point of order 8: the cofactored equation accepts (a cofactorless verifier would reject)", Abytes, mixedR, msg, true),
    sigVector("empty-message", "a valid signature over the empty message", Abytes, signWith(R, r, new Uint8Array()), new Uint8Array(), true),
    { name: "sig/sig-out-of-bounds", description: "a signature range past the end traps", source: main("PUSH 0\nPUSH 0\nPUSH 0\nPUSH 200\nVERIFY_SIG\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS", cycles: 4 } },
    { name: "sig/key-out-of-bounds", description: "a key range past the end traps", source: main("PUSH 230\nPUSH 0\nPUSH 0\nPUSH 0\nVERIFY_SIG\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "sig/underflow", description: "VERIFY_SIG needs four values", source: main("PUSH 0\nPUSH 0\nPUSH 0\nVERIFY_SIG\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    { name: "sig/cost-all-zero-order-4", description: "VERIFY_SIG costs base + per 128 bytes of message; an all-zero key and R decode to the point of order 4, so with S = 0 the cofactored equation holds and the answer is 1", source: main("PUSH 0\nPUSH 0\nPUSH 129\nPUSH 0\nVERIFY_SIG\nHALT", { rets: 1 }), expect: { returns: [1n], cycles: 4 + c("VERIFY_SIG") + 2 * COSTS.VERIFY_SIG.per! + c("HALT") } },
    ...rfc9381.map((e) => vrfVector(`rfc9381-example-${e.example}`, `RFC 9381 B.3 example ${e.example} verifies and yields beta`, hexToBytes(e.PK), hexToBytes(e.pi), hexToBytes(e.alpha), hexToBytes(e.beta))),
    ...rfc9381.flatMap((e) => {
      const pk = hexToBytes(e.PK), pi = hexToBytes(e.pi), al = hexToBytes(e.alpha);
      return [
        vrfVector(`example-${e.example}-flip-gamma`, "a bit of Gamma flipped: rejected, dst untouched", pk, flip(pi, 2), al, null),
        vrfVector(`example-${e.example}-flip-c`, "a bit of c flipped: rejected", pk, flip(pi, 33), al, null),
        vrfVector(`example-${e.example}-flip-s`, "a bit of s flipped: rejected", pk, flip(pi, 50), al, null),
        vrfVector(`example-${e.example}-other-alpha`, "the proof for another alpha: rejected", pk, pi, concatBytes(al, Uint8Array.of(0)), null),
        vrfVector(`example-${e.example}-flip-key`, "another key: rejected", flip(pk, 1), pi, al, null),
      ];
    }),
    vrfVector("s-plus-l", "s + L is rejected", vpk, concatBytes(vpi.slice(0, 48), le(fromLe(vpi.slice(48)) + L)), valpha, null),
    vrfVector("small-order-key", "a small-order key is rejected (validate_key)", IDENTITY, vpi, valpha, null),
    vrfVector("torsion-key", "a key of order 8 is rejected", T8.toBytes(), vpi, valpha, null),
    vrfVector("gamma-noncanonical", "a Gamma encoding y >= p is rejected", vpk, concatBytes(NONCANONICAL_Y, vpi.slice(32)), valpha, null),
    vrfVector("key-noncanonical", "a key encoding y >= p is rejected", NONCANONICAL_Y, vpi, valpha, null),
    { name: "vrf/dst-checked-when-invalid", description: "the output range is checked even for a proof that would fail", source: main("PUSH 0\nPUSH 0\nPUSH 0\nPUSH 0\nPUSH 200\nVERIFY_VRF\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS", cycles: 5 } },
    { name: "vrf/proof-out-of-bounds", description: "an 80-byte proof range past the end traps", source: main("PUSH 0\nPUSH 0\nPUSH 0\nPUSH 177\nPUSH 0\nVERIFY_VRF\nHALT"), expect: { status: "TRAP", code: "MEMORY_OUT_OF_BOUNDS" } },
    { name: "vrf/underflow", description: "VERIFY_VRF needs five values", source: main("PUSH 0\nPUSH 0\nPUSH 0\nPUSH 0\nVERIFY_VRF\nHALT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW" } },
    { name: "vrf/cost", description: "VERIFY_VRF costs base + per 128 bytes of alpha", source: main("PUSH 0\nPUSH 0\nPUSH 200\nPUSH 0\nPUSH 0\nVERIFY_VRF\nHALT", { rets: 1 }), expect: { returns: [0n], cycles: 5 + c("VERIFY_VRF") + 2 * COSTS.VERIFY_VRF.per! + c("HALT") } },
  ],
};
