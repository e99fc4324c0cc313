// Tests for interpreter-as/assembly/crypto: the module is compiled here with
// the same flags the VM uses (--runtime stub -O3 --noAssert, no imports) and
// compared against the official vectors and against @noble implementations.
import { readFileSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import asc from "assemblyscript/asc";
import { blake3 } from "@noble/hashes/blake3.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { ed25519 } from "@noble/curves/ed25519.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WASM_PATH = join(ROOT, "build/test/crypto.wasm");

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const Point = ed25519.Point;
const B = Point.BASE;

// ---------------------------------------------------------------- helpers

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
};
const le = (n: bigint, len = 32) => {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) { b[i] = Number(n & 255n); n >>= 8n; }
  return b;
};
const fromLE = (b: Uint8Array) => {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
};
const modL = (n: bigint) => ((n % L) + L) % L;
// Deterministic filler so large inputs need not come from fast-check.
const fill = (len: number, seed: number) => {
  const b = new Uint8Array(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < len; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 255; }
  return b;
};
const flipBit = (b: Uint8Array, bit: number) => { const c = b.slice(); c[bit >> 3] ^= 1 << (bit & 7); return c; };

// ------------------------------------------------------------ wasm set-up

type Exports = {
  memory: WebAssembly.Memory;
  scratch(): number;
  blake3Init(): void; blake3Update(p: number, n: number): void; blake3Final(o: number): void;
  blake3Hash(p: number, n: number, o: number): void;
  sha512Init(): void; sha512Update(p: number, n: number): void; sha512Final(o: number): void;
  sha512Hash(p: number, n: number, o: number): void;
  ed25519Verify(pk: number, msg: number, len: number, sig: number): number;
  ecvrfVerify(pk: number, alpha: number, len: number, proof: number, beta: number): number;
  scReduce64(out: number, src: number): void;
};
let e: Exports;
let DATA = 0; // 2 MiB bulk area
let ARG = 0;  // 64 KiB of argument slots after it
const mem = () => new Uint8Array(e.memory.buffer);
const slot = { pk: 0, sig: 64, out: 192, beta: 320, tmp: 512, msg: 1024 };
const at = (k: keyof typeof slot) => ARG + slot[k];

beforeAll(async () => {
  mkdirSync(join(ROOT, "build/test"), { recursive: true });
  let log = "";
  const sink = { write: (s: string | Uint8Array) => { log += String(s); return true; } };
  // baseDir keeps asc from picking up the VM's asconfig.json at the root.
  const { error } = await asc.main([
    "crypto-entry.ts", "--baseDir", join(ROOT, "interpreter-as/test"),
    "--outFile", WASM_PATH,
    "--runtime", "stub", "-O3", "--noAssert", "--use", "abort=", "--initialMemory", "40",
  ], { stdout: sink, stderr: sink });
  if (error) throw new Error(`asc failed: ${error.message}\n${log}`);
  const module = new WebAssembly.Module(readFileSync(WASM_PATH));
  expect(WebAssembly.Module.imports(module)).toEqual([]);
  e = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
  DATA = e.scratch();
  ARG = DATA + 2 * 1024 * 1024;
});

function wBlake3(data: Uint8Array): string {
  mem().set(data, DATA);
  e.blake3Hash(DATA, data.length, at("out"));
  return hex(mem().slice(at("out"), at("out") + 32));
}
function wSha512(data: Uint8Array): string {
  mem().set(data, DATA);
  e.sha512Hash(DATA, data.length, at("out"));
  return hex(mem().slice(at("out"), at("out") + 64));
}
function wVerify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const m = mem();
  m.set(pk, at("pk")); m.set(sig, at("sig")); m.set(msg, DATA);
  return e.ed25519Verify(at("pk"), DATA, msg.length, at("sig")) === 1;
}
const SENTINEL = 0xa5;
function wVrf(pk: Uint8Array, alpha: Uint8Array, proof: Uint8Array): { ok: boolean; beta: Uint8Array } {
  const m = mem();
  m.set(pk, at("pk")); m.set(proof, at("tmp")); m.set(alpha, DATA);
  m.fill(SENTINEL, at("beta"), at("beta") + 64);
  const ok = e.ecvrfVerify(at("pk"), DATA, alpha.length, at("tmp"), at("beta")) === 1;
  return { ok, beta: mem().slice(at("beta"), at("beta") + 64) };
}

// ----------------------------------------------------------------- BLAKE3

describe("blake3", () => {
  const vectors = JSON.parse(readFileSync(new URL("../../test-vectors/upstream/blake3.json", import.meta.url), "utf8"));

  it("matches every official vector (32-byte prefix)", () => {
    expect(vectors.cases.length).toBeGreaterThan(30);
    for (const c of vectors.cases) {
      const input = new Uint8Array(c.input_len).map((_, i) => i % 251);
      expect(wBlake3(input), `len ${c.input_len}`).toBe(c.hash.slice(0, 64));
    }
  });

  it("agrees with @noble/hashes on random lengths", () => {
    const len = fc.oneof(
      fc.constantFrom(0, 1, 63, 64, 65, 1023, 1024, 1025, 2047, 2048, 2049, 3072, 4096, 8193, 65536),
      fc.integer({ min: 0, max: 3000 }),
      fc.integer({ min: 0, max: 70000 }),
    );
    fc.assert(fc.property(len, fc.integer(), (n, seed) => {
      const d = fill(n, seed);
      expect(wBlake3(d)).toBe(hex(blake3(d)));
    }), { numRuns: 300 });
  });

  it("streams with arbitrary update splits", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 12000 }), fc.integer(),
      fc.array(fc.integer({ min: 0, max: 2100 }), { maxLength: 12 }),
      (n, seed, cuts) => {
        const d = fill(n, seed);
        mem().set(d, DATA);
        e.blake3Init();
        let off = 0;
        for (const c of cuts) {
          const take = Math.min(c, n - off);
          e.blake3Update(DATA + off, take);
          off += take;
        }
        e.blake3Update(DATA + off, n - off);
        e.blake3Final(at("out"));
        expect(hex(mem().slice(at("out"), at("out") + 32))).toBe(hex(blake3(d)));
      }), { numRuns: 300 });
  });

  it("final does not end the stream", () => {
    const d = fill(5000, 7);
    mem().set(d, DATA);
    e.blake3Init();
    e.blake3Update(DATA, 3000);
    e.blake3Final(at("out"));
    expect(hex(mem().slice(at("out"), at("out") + 32))).toBe(hex(blake3(d.subarray(0, 3000))));
    e.blake3Update(DATA + 3000, 2000);
    e.blake3Final(at("out"));
    expect(hex(mem().slice(at("out"), at("out") + 32))).toBe(hex(blake3(d)));
  });
});

// ---------------------------------------------------------------- SHA-512

describe("sha512", () => {
  it("agrees with @noble/hashes on random inputs", () => {
    const len = fc.oneof(fc.constantFrom(0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 256), fc.integer({ min: 0, max: 5000 }));
    fc.assert(fc.property(len, fc.integer(), (n, seed) => {
      const d = fill(n, seed);
      expect(wSha512(d)).toBe(hex(sha512(d)));
    }), { numRuns: 400 });
  });

  it("streams with arbitrary update splits, undisturbed by other crypto calls", () => {
    const vec = JSON.parse(readFileSync(new URL("../../test-vectors/upstream/ed25519-rfc8032.json", import.meta.url), "utf8"))[2];
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 3000 }), fc.integer(),
      fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 10 }),
      (n, seed, cuts) => {
        const d = fill(n, seed);
        e.sha512Init();
        let off = 0;
        for (const c of cuts) {
          const take = Math.min(c, n - off);
          mem().set(d.subarray(off, off + take), DATA + 100000);
          e.sha512Update(DATA + 100000, take);
          off += take;
          // Internal SHA-512 users must not clobber the public context.
          expect(wVerify(unhex(vec.public_key), unhex(vec.message), unhex(vec.signature))).toBe(true);
          wSha512(fill(200, seed + 1));
        }
        mem().set(d.subarray(off), DATA + 100000);
        e.sha512Update(DATA + 100000, n - off);
        e.sha512Final(at("out"));
        expect(hex(mem().slice(at("out"), at("out") + 64))).toBe(hex(sha512(d)));
      }), { numRuns: 60 });
  });
});

// ---------------------------------------------------------------- scalars

describe("scalar reduction mod L", () => {
  it("matches BigInt on random and extreme 64-byte inputs", () => {
    const check = (b: Uint8Array) => {
      mem().set(b, at("tmp"));
      e.scReduce64(at("out"), at("tmp"));
      expect(fromLE(mem().slice(at("out"), at("out") + 32))).toBe(fromLE(b) % L);
    };
    for (const n of [0n, 1n, L - 1n, L, L + 1n, 2n * L, 2n ** 252n, 2n ** 253n - 1n, 2n ** 256n - 1n, 2n ** 512n - 1n,
      (2n ** 512n - 1n) / L * L, (2n ** 512n - 1n) / L * L - 1n, L * L, L * L - 1n]) {
      check(le(n, 64));
    }
    fc.assert(fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), check), { numRuns: 2000 });
    // Sparse inputs exercise limbs that are all-zero or all-one.
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 511 }), { maxLength: 6 }), fc.boolean(), (bits, inv) => {
      let n = 0n;
      for (const b of bits) n |= 1n << BigInt(b);
      if (inv) n ^= 2n ** 512n - 1n;
      check(le(n, 64));
    }), { numRuns: 2000 });
  });
});

// ---------------------------------------------------------------- Ed25519

// Independent statement of the MHR-Byte v1 rule on top of noble's points.
function decodeStrict(b: Uint8Array) {
  try { return Point.fromBytes(b, false); } catch { return undefined; }
}
function oracleVerify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const A = decodeStrict(pk);
  const R = decodeStrict(sig.subarray(0, 32));
  if (!A || !R) return false;
  const S = fromLE(sig.subarray(32, 64));
  if (S >= L) return false;
  const k = fromLE(sha512(concat(sig.subarray(0, 32), pk, msg))) % L;
  const lhs = B.multiplyUnsafe(S);
  const rhs = R.add(A.multiplyUnsafe(k));
  return lhs.clearCofactor().equals(rhs.clearCofactor());
}
function cofactorlessVerify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  const A = Point.fromBytes(pk), R = Point.fromBytes(sig.subarray(0, 32));
  const k = fromLE(sha512(concat(sig.subarray(0, 32), pk, msg))) % L;
  return B.multiplyUnsafe(fromLE(sig.subarray(32))).equals(R.add(A.multiplyUnsafe(k)));
}
// Signs with a raw scalar a for the (possibly unrelated) key encoding pk.
function rawSign(a: bigint, pk: Uint8Array, msg: Uint8Array, r: bigint, Rpt = B.multiply(r)): Uint8Array {
  const Rb = Rpt.toBytes();
  const k = fromLE(sha512(concat(Rb, pk, msg))) % L;
  return concat(Rb, le(modL(r + k * a)));
}

// A point of order 8 (its multiples are the whole torsion subgroup).
const T8 = Point.fromBytes(unhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"));
const TORSION = Array.from({ length: 8 }, (_, i) => (i === 0 ? Point.ZERO : T8.multiplyUnsafe(BigInt(i))));
const encY = (y: bigint, sign = 0) => { const b = le(y); b[31] |= sign << 7; return b; };
// Encodings every engine must reject or treat specially.
const NONCANONICAL = [0n, 1n, 2n, 5n, 18n].flatMap((y) => [encY(y + P, 0), encY(y + P, 1)]); // y >= p
const SIGNED_ZERO_X = [encY(1n, 1), encY(P - 1n, 1)]; // x = 0 but sign bit set
const notOnCurve = (() => {
  const out: Uint8Array[] = [];
  for (let y = 2n; out.length < 4; y++) if (!decodeStrict(encY(y)) && !decodeStrict(encY(y, 1))) out.push(encY(y));
  return out;
})();

describe("ed25519Verify", () => {
  const vectors = JSON.parse(readFileSync(new URL("../../test-vectors/upstream/ed25519-rfc8032.json", import.meta.url), "utf8"));

  it("accepts every RFC 8032 vector", () => {
    expect(vectors.length).toBe(5);
    for (const v of vectors) {
      expect(wVerify(unhex(v.public_key), unhex(v.message), unhex(v.signature)), v.name).toBe(true);
    }
  });

  it("rejects every one-bit flip of key, R, S and message", () => {
    for (const v of vectors) {
      const pk = unhex(v.public_key), msg = unhex(v.message), sig = unhex(v.signature);
      const bits = v.name === "TEST 3" ? [...Array(256).keys()] : [0, 1, 7, 100, 200, 254, 255];
      for (const b of bits) {
        expect(wVerify(flipBit(pk, b), msg, sig), `${v.name} pk bit ${b}`).toBe(false);
        expect(wVerify(pk, msg, flipBit(sig, b)), `${v.name} R bit ${b}`).toBe(false);
        expect(wVerify(pk, msg, flipBit(sig, 256 + b)), `${v.name} S bit ${b}`).toBe(false);
      }
      for (let b = 0; b < msg.length * 8; b += Math.max(1, (msg.length * 8) >> 6)) {
        expect(wVerify(pk, flipBit(msg, b), sig), `${v.name} msg bit ${b}`).toBe(false);
      }
      expect(wVerify(pk, concat(msg, new Uint8Array([0])), sig)).toBe(false);
    }
  });

  it("accepts random noble signatures", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 600 }), (sk, msg) => {
      const pk = ed25519.getPublicKey(sk);
      expect(wVerify(pk, msg, ed25519.sign(msg, sk))).toBe(true);
    }), { numRuns: 150 });
  });

  it("accepts a long message", () => {
    const sk = fill(32, 1), msg = fill(100000, 2);
    expect(wVerify(ed25519.getPublicKey(sk), msg, ed25519.sign(msg, sk))).toBe(true);
  });

  it("rejects S >= L", () => {
    const v = vectors[0];
    const pk = unhex(v.public_key), msg = unhex(v.message), sig = unhex(v.signature);
    const S = fromLE(sig.subarray(32));
    for (const bad of [S + L, L, 2n ** 256n - 1n, 2n ** 253n]) {
      expect(wVerify(pk, msg, concat(sig.subarray(0, 32), le(bad)))).toBe(false);
    }
  });

  it("applies strict decoding to A and R", () => {
    // The identity has the non-canonical twin y = p + 1; with R = identity and
    // S = 0 the canonical form verifies, so only the encoding decides.
    const id = encY(1n), zero = le(0n);
    expect(wVerify(id, new Uint8Array(3), concat(id, zero))).toBe(true);
    expect(wVerify(encY(P + 1n), new Uint8Array(3), concat(id, zero))).toBe(false);
    expect(wVerify(id, new Uint8Array(3), concat(encY(P + 1n), zero))).toBe(false);
    const v = vectors[1];
    const pk = unhex(v.public_key), msg = unhex(v.message), sig = unhex(v.signature);
    for (const bad of [...NONCANONICAL, ...SIGNED_ZERO_X, ...notOnCurve]) {
      expect(wVerify(bad, msg, sig)).toBe(false);
      expect(wVerify(pk, msg, concat(bad, sig.subarray(32)))).toBe(false);
      expect(oracleVerify(bad, msg, sig)).toBe(false);
    }
  });

  it("uses the cofactored equation for small-order and mixed-order points", () => {
    const msg = new TextEncoder().encode("mixed order");
    // Small-order A with R = identity, S = 0: [8]R + [8][k]A = 0 = [8][0]B.
    for (const T of TORSION) {
      const pk = T.toBytes();
      expect(wVerify(pk, msg, concat(Point.ZERO.toBytes(), le(0n)))).toBe(true);
      expect(wVerify(pk, msg, concat(Point.ZERO.toBytes(), le(1n)))).toBe(false);
    }
    // A = [a]B + T: honest-looking signature over the torsion-shifted key.
    let differ = 0;
    for (let i = 1; i <= 16; i++) {
      const a = modL(fromLE(fill(32, 100 + i))), r = modL(fromLE(fill(32, 200 + i)));
      const pk = B.multiply(a).add(TORSION[i % 8]).toBytes();
      const sig = rawSign(a, pk, msg, r);
      expect(wVerify(pk, msg, sig)).toBe(true);
      expect(oracleVerify(pk, msg, sig)).toBe(true);
      if (!cofactorlessVerify(pk, msg, sig)) differ++;
      // R with a torsion component as well.
      const sig2 = rawSign(a, pk, msg, r, B.multiply(r).add(TORSION[(i * 3) % 8]));
      expect(wVerify(pk, msg, sig2)).toBe(true);
    }
    expect(differ).toBeGreaterThan(0); // the case where the two rules disagree was hit
  });

  it("agrees with the noble oracle on random and edge-case inputs", () => {
    const scalars = fc.bigInt({ min: 1n, max: L - 1n });
    const keyBytes = fc.oneof(
      scalars.map((a) => B.multiply(a).toBytes()),
      fc.constantFrom(...TORSION.map((t) => t.toBytes()), ...NONCANONICAL, ...SIGNED_ZERO_X, ...notOnCurve),
      fc.tuple(scalars, fc.integer({ min: 0, max: 7 })).map(([a, t]) => B.multiply(a).add(TORSION[t]).toBytes()),
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
    );
    const sValue = fc.oneof(
      fc.bigInt({ min: 0n, max: L - 1n }),
      fc.bigInt({ min: L, max: 2n ** 256n - 1n }),
      fc.constantFrom(0n, 1n, L - 1n, L, L + 1n),
    );
    const input = fc.oneof(
      // Structurally valid signatures (maybe over shifted keys), then mutated.
      fc.record({
        a: scalars, r: scalars, t: fc.integer({ min: 0, max: 7 }), u: fc.integer({ min: 0, max: 7 }),
        msg: fc.uint8Array({ maxLength: 200 }), flip: fc.option(fc.integer({ min: 0, max: 511 })),
      }).map(({ a, r, t, u, msg, flip }) => {
        const pk = B.multiply(a).add(TORSION[t]).toBytes();
        let sig = rawSign(a, pk, msg, r, B.multiply(r).add(TORSION[u]));
        if (flip !== null) sig = flipBit(sig, flip);
        return { pk, msg, sig };
      }),
      fc.record({ pk: keyBytes, R: keyBytes, S: sValue, msg: fc.uint8Array({ maxLength: 64 }) })
        .map(({ pk, R, S, msg }) => ({ pk, msg, sig: concat(R, le(S % 2n ** 256n)) })),
    );
    fc.assert(fc.property(input, ({ pk, msg, sig }) => {
      expect(wVerify(pk, msg, sig)).toBe(oracleVerify(pk, msg, sig));
    }), { numRuns: 400 });
  });
});

// ------------------------------------------------------------------ ECVRF

// Independent ECVRF-EDWARDS25519-SHA512-TAI (RFC 9381) on noble points, for
// building proofs for random keys and as a verification oracle.
const SUITE = 0x03;
function vrfEncodeToCurve(pk: Uint8Array, alpha: Uint8Array) {
  for (let ctr = 0; ctr < 256; ctr++) {
    const h = sha512(concat(new Uint8Array([SUITE, 1]), pk, alpha, new Uint8Array([ctr, 0])));
    const pt = decodeStrict(h.subarray(0, 32));
    if (pt && !pt.clearCofactor().is0()) return pt.clearCofactor();
  }
  return undefined;
}
function vrfChallenge(...pts: Uint8Array[]) {
  return sha512(concat(new Uint8Array([SUITE, 2]), ...pts, new Uint8Array([0]))).subarray(0, 16);
}
function vrfBeta(gamma: ReturnType<typeof Point.fromBytes>) {
  return sha512(concat(new Uint8Array([SUITE, 3]), gamma.clearCofactor().toBytes(), new Uint8Array([0])));
}
function vrfProve(x: bigint, alpha: Uint8Array, nonce: bigint) {
  const Y = B.multiply(x), pk = Y.toBytes();
  const H = vrfEncodeToCurve(pk, alpha)!;
  const gamma = H.multiply(x);
  const c = vrfChallenge(pk, H.toBytes(), gamma.toBytes(), B.multiply(nonce).toBytes(), H.multiply(nonce).toBytes());
  const s = modL(nonce + fromLE(c) * x);
  return { pk, proof: concat(gamma.toBytes(), c, le(s)), beta: vrfBeta(gamma) };
}
function vrfOracle(pk: Uint8Array, alpha: Uint8Array, proof: Uint8Array): Uint8Array | undefined {
  const Y = decodeStrict(pk);
  if (!Y || Y.clearCofactor().is0()) return undefined;
  const gamma = decodeStrict(proof.subarray(0, 32));
  if (!gamma) return undefined;
  const c = fromLE(proof.subarray(32, 48)), s = fromLE(proof.subarray(48, 80));
  if (s >= L) return undefined;
  const H = vrfEncodeToCurve(pk, alpha);
  if (!H) return undefined;
  const U = B.multiplyUnsafe(s).subtract(Y.multiplyUnsafe(c));
  const V = H.multiplyUnsafe(s).subtract(gamma.multiplyUnsafe(c));
  const c2 = vrfChallenge(pk, H.toBytes(), proof.subarray(0, 32), U.toBytes(), V.toBytes());
  return hex(c2) === hex(proof.subarray(32, 48)) ? vrfBeta(gamma) : undefined;
}

describe("ecvrfVerify", () => {
  const all = JSON.parse(readFileSync(new URL("../../test-vectors/upstream/ecvrf-rfc9381.json", import.meta.url), "utf8"));
  const tai = all.filter((v: { suite_string: string }) => v.suite_string === "03");

  it("verifies RFC 9381 examples 16-18 and outputs beta", () => {
    expect(tai.map((v: { example: number }) => v.example)).toEqual([16, 17, 18]);
    for (const v of tai) {
      const r = wVrf(unhex(v.PK), unhex(v.alpha), unhex(v.pi));
      expect(r.ok, `example ${v.example}`).toBe(true);
      expect(hex(r.beta)).toBe(v.beta);
      expect(hex(vrfOracle(unhex(v.PK), unhex(v.alpha), unhex(v.pi))!)).toBe(v.beta);
    }
  });

  it("rejects mutated proofs, alphas and keys without touching beta", () => {
    const untouched = hex(new Uint8Array(64).fill(SENTINEL));
    for (const v of tai) {
      const pk = unhex(v.PK), alpha = unhex(v.alpha), pi = unhex(v.pi);
      const cases: Array<[Uint8Array, Uint8Array, Uint8Array]> = [];
      for (let b = 0; b < 640; b += 9) cases.push([pk, alpha, flipBit(pi, b)]);
      for (const b of [0, 100, 255]) cases.push([flipBit(pk, b), alpha, pi]);
      cases.push([pk, concat(alpha, new Uint8Array([0])), pi]);
      if (alpha.length) cases.push([pk, flipBit(alpha, 3), pi], [pk, alpha.subarray(1), pi]);
      for (const [k, a, p] of cases) {
        const r = wVrf(k, a, p);
        expect(r.ok).toBe(false);
        expect(hex(r.beta)).toBe(untouched);
      }
    }
  });

  it("rejects s >= L and small-order keys", () => {
    const v = tai[1];
    const pk = unhex(v.PK), alpha = unhex(v.alpha), pi = unhex(v.pi);
    const s = fromLE(pi.subarray(48));
    for (const bad of [s + L, L, 2n ** 256n - 1n]) {
      expect(wVrf(pk, alpha, concat(pi.subarray(0, 48), le(bad))).ok).toBe(false);
    }
    for (const T of TORSION) expect(wVrf(T.toBytes(), alpha, pi).ok).toBe(false);
    for (const bad of [...NONCANONICAL, ...SIGNED_ZERO_X, ...notOnCurve]) {
      expect(wVrf(bad, alpha, pi).ok).toBe(false);
      expect(wVrf(pk, alpha, concat(bad, pi.subarray(32))).ok).toBe(false);
    }
    // A small-order key with a proof that would otherwise balance: Gamma = 0,
    // s = 0 gives U = -[c]Y = 0-ish; validate_key must still refuse it.
    for (const T of TORSION) {
      expect(wVrf(T.toBytes(), alpha, concat(Point.ZERO.toBytes(), new Uint8Array(48))).ok).toBe(false);
    }
  });

  it("verifies proofs for random keys and alphas, and agrees with the oracle", () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 1n, max: L - 1n }), fc.bigInt({ min: 1n, max: L - 1n }), fc.uint8Array({ maxLength: 100 }),
      fc.option(fc.integer({ min: 0, max: 639 })), fc.integer({ min: 0, max: 7 }),
      (x, nonce, alpha, flip, t) => {
        let { pk, proof, beta } = vrfProve(x, alpha, nonce);
        if (flip === null) {
          const r = wVrf(pk, alpha, proof);
          expect(r.ok).toBe(true);
          expect(hex(r.beta)).toBe(hex(beta));
        }
        // Mutations: a bit flip, or a torsion-shifted Gamma (beta is cofactor-cleared).
        if (flip !== null) proof = flipBit(proof, flip);
        else proof = concat(Point.fromBytes(proof.subarray(0, 32)).add(TORSION[t]).toBytes(), proof.subarray(32));
        const want = vrfOracle(pk, alpha, proof);
        const r = wVrf(pk, alpha, proof);
        expect(r.ok).toBe(want !== undefined);
        expect(hex(r.beta)).toBe(want ? hex(want) : hex(new Uint8Array(64).fill(SENTINEL)));
      }), { numRuns: 60 });
  });
});

// ------------------------------------------------------------- robustness

describe("never traps", () => {
  it("handles arbitrary bytes in every input", () => {
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 80, maxLength: 80 }), fc.uint8Array({ maxLength: 300 }),
      (pk, blob, msg) => {
        expect(wVerify(pk, msg, blob.subarray(0, 64))).toBe(oracleVerify(pk, msg, blob.subarray(0, 64)));
        wVrf(pk, msg, blob);
        e.ecvrfVerify(at("pk"), DATA, 0, at("tmp"), at("beta"));
      }), { numRuns: 200 });
  });
});
