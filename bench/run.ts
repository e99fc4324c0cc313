/**
 * npm run bench: every figure measured in this one run, in this process, after
 * warm-up, with its baseline measured beside it. Results go to
 * bench/results.json and a table. Timing is never a pass/fail test: the
 * targets are printed as ratios for people to read.
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import os from "node:os";
import asc from "assemblyscript/asc";
import { blake3 } from "@noble/hashes/blake3.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import sodium from "libsodium-wrappers";
import { assemble } from "../host-ts/src/asm/index.ts";
import { encodeJob } from "../host-ts/src/model/codec.ts";
import { makeJob } from "../host-ts/src/model/job.ts";
import { bytesToHex, hexToBytes } from "../host-ts/src/model/bytes.ts";
import type { Contract, StateMap } from "../host-ts/src/model/types.ts";
import { runJob } from "../host-ts/src/reference/index.ts";
import { Status } from "../host-ts/src/generated/opcodes.ts";
import { verifyEcvrf } from "../host-ts/src/crypto/ecvrf.ts";
import { createAsEngine } from "../host-ts/src/engines/as-engine.ts";
import { createReferenceEngine } from "../host-ts/src/engines/reference-engine.ts";
import type { Engine } from "../host-ts/src/model/engine.ts";
import { teeBench, printTee } from "./private-tee.ts";
import { benchPrivateCombined, printCombined } from "./private-combined.ts";
import { benchPrivateShamir } from "./private-shamir.ts";
import { benchSplitPerImage } from "./private-split.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const quick = process.argv.includes("--quick");

/** Microseconds per call: warm up, then run for at least minMs. */
async function time(f: () => unknown | Promise<unknown>, minMs = quick ? 300 : 1500): Promise<number> {
  const warm = performance.now();
  while (performance.now() - warm < minMs / 4) await f();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) { await f(); n++; t = performance.now(); }
  return ((t - t0) * 1000) / n;
}

function job(c: Contract, fn: string, args: bigint[] = [], input: Uint8Array = new Uint8Array(), state: StateMap = new Map()): Uint8Array {
  return encodeJob(makeJob(c, { fn, args, input, state }));
}

/** Executed instructions, from the reference's trace (and a check the job ends in HALT). */
function instructionCount(j: Uint8Array): number {
  const r = runJob(j, { trace: true });
  if (r.result.status !== Status.HALT) throw new Error(`benchmark job did not HALT (status ${r.result.status}, code ${r.result.code})`);
  return r.trace!.length;
}

// ---------- VM workloads ----------
const arith = assemble(`.memory 0\n.cycles 1099511627776\n.func main 1 1
  PUSH 0
  SWAP
top:
  SWAP
  PUSH 3
  ADD
  PUSH 0x55
  XOR
  SWAP
  PUSH 1
  SUB
  DUP
  JNZ top
  POP
  HALT`);
const memcopy = assemble(`.memory 4096\n.cycles 1099511627776\n.func main 1 1
outer:
  PUSH 0
inner:
  DUP
  LOAD.m8
  OVER
  PUSH 2048
  ADD
  STORE.m8
  PUSH 1
  ADD
  DUP
  PUSH 2048
  LT
  JNZ inner
  POP
  PUSH 1
  SUB
  DUP
  JNZ outer
  HALT`);
const fib = assemble(`.memory 0\n.cycles 1099511627776\n.func main 1 1
  CALL fib
  HALT
fib:
  DUP
  PUSH 2
  LT
  JNZ done
  DUP
  PUSH 1
  SUB
  CALL fib
  SWAP
  PUSH 2
  SUB
  CALL fib
  ADD
done:
  RET`);
const gcounter = assemble(readFileSync(join(ROOT, "examples/contracts/gcounter.masm"), "utf8"));
function gcounterEntries(n: number, salt: number): Uint8Array {
  const out = new Uint8Array(24 * n);
  for (let i = 0; i < n; i++) {
    out[24 * i] = i; // the same NodeIDs on both replicas, ascending; counts differ
    out[24 * i + 16] = (i * 7 + salt) & 0xff;
  }
  return out;
}

interface VmRow { workload: string; engine: string; instructions: number; usPerRun: number; nsPerInstruction: number }

async function vmBench(): Promise<VmRow[]> {
  const rows: VmRow[] = [];
  const engines: Engine[] = [await createAsEngine(), createReferenceEngine()];
  const workloads: { name: string; jobs: (engine: string) => Uint8Array }[] = [
    { name: "arithmetic loop", jobs: (e) => job(arith, "main", [e === "as" ? 200_000n : 20_000n]) },
    { name: "memory-copy loop", jobs: (e) => job(memcopy, "main", [e === "as" ? 20n : 2n]) },
    { name: "call-heavy recursion (fib)", jobs: (e) => job(fib, "main", [e === "as" ? 22n : 16n]) },
    {
      name: "CRDT merge (gcounter, 150 entries)",
      jobs: () => job(gcounter, "merge", [], gcounterEntries(150, 1), new Map([[bytesToHex(new TextEncoder().encode("gc")), gcounterEntries(150, 2)]])),
    },
  ];
  for (const w of workloads) {
    for (const e of engines) {
      const j = w.jobs(e.name);
      const n = instructionCount(j);
      const us = await time(() => e.run(j));
      rows.push({ workload: w.name, engine: e.name, instructions: n, usPerRun: us, nsPerInstruction: (us * 1000) / n });
    }
  }
  for (const e of engines) await e.close();
  return rows;
}

// ---------- crypto ----------
interface CryptoRow { what: string; impl: string; value: number; unit: "µs/op" | "MB/s" }

async function cryptoBench(): Promise<CryptoRow[]> {
  const wasmPath = join(ROOT, "build/bench/crypto.wasm");
  mkdirSync(join(ROOT, "build/bench"), { recursive: true });
  const { error, stderr } = await asc.main(["crypto-entry.ts", "--baseDir", join(ROOT, "interpreter-as/test"), "--outFile", wasmPath,
    "--runtime", "stub", "-O3", "--noAssert", "--use", "abort=", "--initialMemory", "40"]);
  if (error) throw new Error(`asc failed: ${error.message} ${stderr}`);
  await sodium.ready;
  const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), {}).exports as Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };
  const mem = () => new Uint8Array(e.memory.buffer);
  const DATA = e.scratch();
  const ARG = DATA + 2 * 1024 * 1024;
  const rows: CryptoRow[] = [];

  const sk = new Uint8Array(32).map((_, i) => i * 7 + 1);
  const pk = ed25519.getPublicKey(sk);
  const msg = new Uint8Array(100).map((_, i) => i);
  const sig = ed25519.sign(msg, sk);
  mem().set(pk, ARG); mem().set(sig, ARG + 64); mem().set(msg, ARG + 256);
  if (e.ed25519Verify(ARG, ARG + 256, msg.length, ARG + 64) !== 1) throw new Error("AS Ed25519 verify failed");
  rows.push({ what: "Ed25519 verify (100 B)", impl: "as", value: await time(() => e.ed25519Verify(ARG, ARG + 256, msg.length, ARG + 64)), unit: "µs/op" });
  rows.push({ what: "Ed25519 verify (100 B)", impl: "@noble/curves", value: await time(() => ed25519.verify(sig, msg, pk, { zip215: false })), unit: "µs/op" });
  rows.push({ what: "Ed25519 verify (100 B)", impl: "libsodium-wrappers", value: await time(() => sodium.crypto_sign_verify_detached(sig, msg, pk)), unit: "µs/op" });

  const vectors = JSON.parse(readFileSync(join(ROOT, "test-vectors/upstream/ecvrf-rfc9381.json"), "utf8")) as { suite_string: string; PK: string; alpha: string; pi: string }[];
  const v = vectors.find((x) => x.suite_string === "03" && x.alpha.length > 0)!;
  const vpk = hexToBytes(v.PK), valpha = hexToBytes(v.alpha), vpi = hexToBytes(v.pi);
  mem().set(vpk, ARG); mem().set(vpi, ARG + 64); mem().set(valpha, ARG + 256);
  if (e.ecvrfVerify(ARG, ARG + 256, valpha.length, ARG + 64, ARG + 512) !== 1) throw new Error("AS ECVRF verify failed");
  rows.push({ what: "ECVRF verify (RFC 9381 ex. 17)", impl: "as", value: await time(() => e.ecvrfVerify(ARG, ARG + 256, valpha.length, ARG + 64, ARG + 512)), unit: "µs/op" });
  rows.push({ what: "ECVRF verify (RFC 9381 ex. 17)", impl: "reference (@noble/curves points)", value: await time(() => verifyEcvrf(vpk, valpha, vpi)), unit: "µs/op" });

  const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
  mem().set(big, DATA);
  const asUs = await time(() => e.blake3Hash(DATA, big.length, ARG));
  const nobleUs = await time(() => blake3(big));
  rows.push({ what: "Blake3 (1 MiB)", impl: "as", value: big.length / asUs, unit: "MB/s" });
  rows.push({ what: "Blake3 (1 MiB)", impl: "@noble/hashes", value: big.length / nobleUs, unit: "MB/s" });
  return rows;
}

// ---------- run ----------
const vm = await vmBench();
const crypto = await cryptoBench();
const pick = (what: string, impl: string) => crypto.find((r) => r.what === what && r.impl === impl)!.value;
const arithAs = vm.find((r) => r.workload === "arithmetic loop" && r.engine === "as")!.nsPerInstruction;
const targets = [
  { target: "arithmetic loop ≤ 5 ns/instruction (as)", value: `${arithAs.toFixed(2)} ns`, ratio: arithAs / 5, met: arithAs <= 5 },
  { target: "Ed25519 verify no slower than @noble/curves", value: `${(pick("Ed25519 verify (100 B)", "@noble/curves") / pick("Ed25519 verify (100 B)", "as")).toFixed(1)}x faster`, ratio: pick("Ed25519 verify (100 B)", "as") / pick("Ed25519 verify (100 B)", "@noble/curves"), met: pick("Ed25519 verify (100 B)", "as") <= pick("Ed25519 verify (100 B)", "@noble/curves") },
  { target: "Ed25519 verify within 2x of libsodium-wrappers", value: `${(pick("Ed25519 verify (100 B)", "as") / pick("Ed25519 verify (100 B)", "libsodium-wrappers")).toFixed(2)}x its time`, ratio: pick("Ed25519 verify (100 B)", "as") / pick("Ed25519 verify (100 B)", "libsodium-wrappers") / 2, met: pick("Ed25519 verify (100 B)", "as") <= 2 * pick("Ed25519 verify (100 B)", "libsodium-wrappers") },
  { target: "Blake3 at least as fast as @noble/hashes", value: `${(pick("Blake3 (1 MiB)", "as") / pick("Blake3 (1 MiB)", "@noble/hashes")).toFixed(1)}x its MB/s`, ratio: pick("Blake3 (1 MiB)", "@noble/hashes") / pick("Blake3 (1 MiB)", "as"), met: pick("Blake3 (1 MiB)", "as") >= pick("Blake3 (1 MiB)", "@noble/hashes") },
];

// The WASM tier's own benchmark runs in its worker set-up; its figures are merged here.
let wasmTier: unknown = null;
if (!process.argv.includes("--no-wasm-tier")) {
  execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/wasm-tier.ts"), ...(quick ? ["--quick"] : [])], { stdio: "inherit", cwd: ROOT });
  const p = join(ROOT, "bench/results-wasm.json");
  if (existsSync(p)) wasmTier = JSON.parse(readFileSync(p, "utf8"));
}

const privateTee = process.argv.includes("--no-tee") ? null : await teeBench({ quick });
// Tier 2 per multiplication and per workload, against the plaintext computation in the same run.
const privateShamir = process.argv.includes("--no-shamir") ? null : benchPrivateShamir({ quick });
// Tier 1 per image, split (with and without noise) against the whole model in the same run.
const privateSplit = process.argv.includes("--no-split") ? null : await (async () => {
  const images = quick ? 20 : 200;
  const plain = await benchSplitPerImage({ images, noise: { mechanism: "none" } });
  const noisy = await benchSplitPerImage({ images, model: "mnist-bottleneck-e8", cut: "relu2", noise: { mechanism: "discrete-laplace", epsilon: 8 } });
  return [plain, noisy].map((r) => ({ summary: r.summary, wholeMedianUs: r.wholeMedianUs, ratio: r.ratio }));
})();
// Split + SecretShared and Split + TEE against plaintext (accuracy through the MPC: npx tsx bench/private-combined.ts --accuracy N).
const privateCombined = process.argv.includes("--no-combined") ? null : await benchPrivateCombined({ images: quick ? 5 : 20 });
// The mesh node's figures (transport, delegation) come from their own process too: libp2p and its timers stay out of this one.
let node: unknown = null;
if (!process.argv.includes("--no-node")) {
  execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "bench/node.ts"), ...(quick ? ["--quick"] : [])], { stdio: "inherit", cwd: ROOT });
  const p = join(ROOT, "bench/results-node.json");
  if (existsSync(p)) node = JSON.parse(readFileSync(p, "utf8"));
}

const results = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, platform: `${os.platform()} ${os.arch()}` },
  vm, crypto, targets, wasmTier, privateTee, privateShamir, privateSplit, privateCombined, node,
};
writeFileSync(join(ROOT, "bench/results.json"), JSON.stringify(results, null, 1) + "\n");

console.log("\nMHR-Byte VM, ns per executed instruction (same process, after warm-up)");
console.log("workload                              engine       instructions   µs/run   ns/instr   vs as");
for (const r of vm) {
  const asRow = vm.find((x) => x.workload === r.workload && x.engine === "as")!;
  console.log(`${r.workload.padEnd(38)}${r.engine.padEnd(13)}${String(r.instructions).padStart(12)}${r.usPerRun.toFixed(0).padStart(9)}${r.nsPerInstruction.toFixed(2).padStart(11)}${(r.nsPerInstruction / asRow.nsPerInstruction).toFixed(1).padStart(8)}x`);
}
console.log("\ncrypto");
for (const r of crypto) console.log(`${r.what.padEnd(34)}${r.impl.padEnd(36)}${r.value.toFixed(1).padStart(10)} ${r.unit}`);
console.log("\ntargets (ratio = measured / target, ≤ 1 is met)");
for (const t of targets) console.log(`${t.met ? "met    " : "MISSED "} ${t.target.padEnd(48)} ${t.value.padEnd(22)} ratio ${t.ratio.toFixed(2)}`);
if (privateTee) printTee(privateTee);
if (privateShamir) {
  console.log("\nprivate compute, Tier 2 (SecretShared): bytes and time against plaintext");
  for (const w of privateShamir.workloads) console.log(`  ${w.name.padEnd(40)} ×${w.bandwidthRatio.toFixed(1)} bytes vs plaintext input, ${w.sessionMs.toFixed(2)} ms vs ${w.plaintextMs.toFixed(4)} ms plain`);
}
if (privateSplit) {
  console.log("\nprivate compute, Tier 1 (split inference): per image against the whole model");
  for (const r of privateSplit) console.log(`  ${r.summary.label.padEnd(48)} ×${r.ratio.toFixed(2)} latency (whole ${r.wholeMedianUs.toFixed(0)} µs)`);
}
if (privateCombined) printCombined(privateCombined);
console.log(`\nwrote bench/results.json`);
