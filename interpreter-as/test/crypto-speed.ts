// Timing of the AssemblyScript crypto against JS/WASM references.
// Run: npx tsx interpreter-as/test/crypto-speed.ts
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";
import { blake3 } from "@noble/hashes/blake3.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import sodium from "libsodium-wrappers";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WASM_PATH = join(ROOT, "build/test/crypto.wasm");

mkdirSync(join(ROOT, "build/test"), { recursive: true });
const { error, stderr } = await asc.main([
  "crypto-entry.ts", "--baseDir", join(ROOT, "interpreter-as/test"), "--outFile", WASM_PATH,
  "--runtime", "stub", "-O3", "--noAssert", "--use", "abort=", "--initialMemory", "40",
]);
if (error) throw new Error(`asc failed: ${error.message} ${stderr}`);
await sodium.ready;

const wasm = readFileSync(WASM_PATH);
const e = new WebAssembly.Instance(new WebAssembly.Module(wasm), {}).exports as Record<string, any>;
const mem = () => new Uint8Array(e.memory.buffer);
const DATA: number = e.scratch();
const ARG = DATA + 2 * 1024 * 1024;

// Runs f for at least ~minMs after a warm-up and returns microseconds per call.
function time(f: () => unknown, minMs = 1500): number {
  const warm = performance.now();
  while (performance.now() - warm < 300) f();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    for (let i = 0; i < 10; i++) f();
    n += 10;
    t = performance.now();
  }
  return ((t - t0) * 1000) / n;
}
const us = (x: number) => `${x.toFixed(1).padStart(8)} us/op`;
const mbs = (bytes: number, usPer: number) => `${(bytes / usPer).toFixed(0).padStart(6)} MB/s`;

console.log(`crypto.wasm: ${wasm.length} bytes (test entry incl. scratch exports)`);

// Ed25519
const sk = new Uint8Array(32).map((_, i) => i * 7 + 1);
const pk = ed25519.getPublicKey(sk);
const msg = new Uint8Array(100).map((_, i) => i);
const sig = ed25519.sign(msg, sk);
mem().set(pk, ARG); mem().set(sig, ARG + 64); mem().set(msg, ARG + 256);
if (e.ed25519Verify(ARG, ARG + 256, msg.length, ARG + 64) !== 1) throw new Error("AS verify failed");
const tAs = time(() => e.ed25519Verify(ARG, ARG + 256, msg.length, ARG + 64));
const tNoble = time(() => ed25519.verify(sig, msg, pk, { zip215: false }));
const tSodium = time(() => sodium.crypto_sign_verify_detached(sig, msg, pk));
console.log(`ed25519 verify (100-byte msg)`);
console.log(`  AS              ${us(tAs)}`);
console.log(`  @noble/curves   ${us(tNoble)}   (AS is ${(tNoble / tAs).toFixed(1)}x faster)`);
console.log(`  libsodium       ${us(tSodium)}   (AS / libsodium = ${(tAs / tSodium).toFixed(2)})`);

// ECVRF (RFC 9381 example 17)
const vrf = JSON.parse(readFileSync(join(ROOT, "test-vectors/upstream/ecvrf-rfc9381.json"), "utf8"))
  .find((v: { example: number }) => v.example === 17);
const hexb = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
mem().set(hexb(vrf.PK), ARG); mem().set(hexb(vrf.pi), ARG + 64); mem().set(hexb(vrf.alpha), ARG + 256);
if (e.ecvrfVerify(ARG, ARG + 256, 1, ARG + 64, ARG + 512) !== 1) throw new Error("AS ecvrf failed");
console.log(`ecvrf verify (TAI, RFC 9381 example 17)`);
console.log(`  AS              ${us(time(() => e.ecvrfVerify(ARG, ARG + 256, 1, ARG + 64, ARG + 512)))}`);

// Hashes
for (const size of [1 << 20, 1024, 64]) {
  const data = new Uint8Array(size).map((_, i) => i * 31);
  mem().set(data, DATA);
  const a = time(() => e.blake3Hash(DATA, size, ARG), 1000);
  const b = time(() => blake3(data), 1000);
  console.log(`blake3 ${String(size).padStart(7)} B   AS ${mbs(size, a)}   noble ${mbs(size, b)}`);
}
for (const size of [1 << 20, 1024]) {
  const data = new Uint8Array(size).map((_, i) => i * 31);
  mem().set(data, DATA);
  const a = time(() => e.sha512Hash(DATA, size, ARG), 1000);
  const b = time(() => sha512(data), 1000);
  console.log(`sha512 ${String(size).padStart(7)} B   AS ${mbs(size, a)}   noble ${mbs(size, b)}`);
}
