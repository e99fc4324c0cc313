/**
 * npm run bench:mcu — instruction counts of the VM on the virtual RV32IMC
 * board (qemu-system-riscv32 -icount shift=0: rdinstret is exact).
 *
 * Every figure is a difference of two runs that differ only in the work
 * measured, so job decoding, validation and hashing cancel out:
 *   - RV32 instructions per MHR-Byte instruction: an arithmetic loop at two
 *     iteration counts (target <= 45 at -O2), and per opcode category (a loop
 *     body of 8 copies of a stack-neutral pair, against an empty body);
 *   - Ed25519 verify (target < 4 million), ECVRF verify, and Blake3 per
 *     64-byte block, each against a job that does the same minus the call.
 * Writes bench/mcu.json. Needs `npm run build:firmware` (the qemu-rv32 image).
 */
import { writeFileSync, mkdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ed25519 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { BoardClient } from "../host-ts/src/protocol/client.ts";
import { launchQemuRv32 } from "../host-ts/src/virtual/index.ts";
import { assemble } from "../host-ts/src/asm/index.ts";
import { decodeResult } from "../host-ts/src/model/codec.ts";
import { jobFromSource } from "../host-ts/src/jobs/from-source.ts";
import { encodeToCurveTai, verifyEcvrf } from "../host-ts/src/crypto/ecvrf.ts";
import { GENERATED, MCU_OPT, REPO } from "./build-firmware.ts";

/** The flags of the build measured: the one MCU build (scripts/build-firmware.ts). */
const SHIPPED_OPT = MCU_OPT.join(" ");

const TARGET_PER_OP = 45;
const TARGET_ED25519 = 3_900_000;

function job(source: string, args: bigint[] = [], input: Uint8Array = new Uint8Array(0)): Uint8Array {
  return jobFromSource(source, { args, input }).bytes;
}

/** A counted loop around `body` (stack-neutral), n iterations; 5 loop instructions per iteration besides the body. */
function loopJob(body: string[], n: bigint): Uint8Array {
  return job(`
    .memory 64
    .cycles 1000000000000
    .func main 1 0
    main:
    loop:
      DUP
      JZ done
      ${body.join("\n      ")}
      PUSH 1
      SUB
      JMP loop
    done:
      POP
      HALT
  `, [n]);
}

/** Body of 8 copies of `pair` (each copy stack-neutral, run on top of a scratch value). */
function categoryBody(pair: string[], copies = 8): { body: string[]; count: number } {
  const body = ["PUSH 5"];
  for (let i = 0; i < copies; i++) body.push(...pair.map((p) => p.replace(/\$/g, String(i))));
  body.push("POP");
  return { body, count: copies * pair.length };
}

const CATEGORIES: Record<string, string[]> = {
  stack: ["DUP", "POP"],
  arithmetic: ["DUP", "ADD"],
  multiply: ["PUSH 1", "MUL"],
  divide: ["PUSH 3", "DIV"],
  bitwise: ["DUP", "XOR"],
  comparison: ["DUP", "LT"],
  control: [], // special-cased below: 8 JMPs to the next instruction
  memory: ["DUP", "PUSH 8", "STORE.m64", "PUSH 8", "LOAD.m64", "POP"],
};

// ---- ECVRF-EDWARDS25519-SHA512-TAI prover (RFC 9381 §5.1), only to make valid proofs ----

const Point = ed25519.Point;
const Q = Point.Fn.ORDER;
const le = (b: Uint8Array): bigint => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n);
const leBytes = (v: bigint, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
const cat = (...p: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(p.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of p) { out.set(x, o); o += x.length; }
  return out;
};

function vrfProve(sk: Uint8Array, alpha: Uint8Array): { pk: Uint8Array; proof: Uint8Array } {
  const h = sha512(sk);
  const a = h.slice(0, 32);
  a[0] &= 248; a[31] &= 127; a[31] |= 64;
  const x = le(a) % Q;
  const pk = Point.BASE.multiply(x).toBytes();
  const H = encodeToCurveTai(pk, alpha);
  if (!H) throw new Error("encode_to_curve failed");
  const hStr = H.toBytes();
  const gamma = H.multiply(x);
  const k = le(sha512(cat(h.slice(32, 64), hStr))) % Q;
  const U = Point.BASE.multiply(k), V = H.multiply(k);
  const c = le(sha512(cat(Uint8Array.of(0x03, 0x02), pk, hStr, gamma.toBytes(), U.toBytes(), V.toBytes(), Uint8Array.of(0x00))).slice(0, 16));
  const s = (k + c * x) % Q;
  return { pk, proof: cat(gamma.toBytes(), leBytes(c, 16), leBytes(s, 32)) };
}

// ---- measuring ------------------------------------------------------------------

async function main(): Promise<number> {
  const board = launchQemuRv32();
  const client = new BoardClient(board.stream, { timeoutMs: 120_000, retries: 0, bytesPerSecond: 10_000_000 });
  const instret = async (bytes: Uint8Array, expectStatus = 0): Promise<number> => {
    const r = await client.run(bytes, { timeoutMs: 300_000 });
    const res = decodeResult(r.resultBytes);
    if (res.status !== expectStatus) throw new Error(`bench job ended with status ${res.status} code ${res.code}, not ${expectStatus}`);
    if (r.instret === undefined || r.instret === null) throw new Error("the board reports no instret");
    return r.instret;
  };
  try {
    const hello = await client.hello();
    const out: Record<string, unknown> = { board: hello.port, chip: hello.chip, buildId: hello.buildId, opt: SHIPPED_OPT, unit: "RV32IMC instructions (qemu -icount shift=0)" };

    // Issue 10's workloads (bench/mcu/*.masm), minus the same contract doing (almost) no work.
    const anchors = JSON.parse(readFileSync(join(REPO, "bench/mcu/anchors.json"), "utf8")) as Anchors;
    const previous = readPrevious();
    const workloads: Record<string, unknown> = {};
    for (const w of WORKLOADS) {
      if (!want(w.name)) continue;
      const src = readFileSync(join(REPO, `bench/mcu/${w.name}.masm`), "utf8");
      const full = await instret(job(src, [w.arg]));
      const empty = await instret(job(src, [w.emptyArg]));
      const n = Math.round((full - empty) * w.scale);
      const a = anchors.workloads[w.name];
      const prev = previous?.workloads?.[w.name]?.instructions;
      workloads[w.name] = {
        what: a.what, instructions: n, floor: w.floor, ok: n <= w.floor,
        vsNative: ratio(n, a.native), vsWasm3: ratio(n, a.wasm3), vsLua54: ratio(n, a.lua54),
        vsIssueBuild: ratio(n, a.mhrByteAtIssueOs), issueBuild: a.mhrByteAtIssueOs,
        ...(prev ? { vsPreviousBuild: ratio(n, prev), previousBuild: prev } : {}),
      };
      console.log(`${w.name}: ${(n / 1e6).toFixed(1)} M instructions (floor ${w.floor / 1e6} M; ${ratio(n, a.wasm3)}x wasm3, ${ratio(n, a.lua54)}x Lua 5.4, ${ratio(n, a.native)}x native)`);
    }
    out.workloads = workloads;
    out.anchors = { file: "bench/mcu/anchors.json", source: anchors.source };

    if (want("categories")) {
      // Arithmetic loop: 5 loop + 8 body instructions per iteration.
      const arith = ["PUSH 3", "MUL", "PUSH 7", "ADD", "PUSH 255", "XOR", "DUP", "POP"];
      const perIter = 5 + arith.length;
      const n1 = 1000n, n2 = 11000n;
      const wrap = (b: string[]): string[] => ["PUSH 1", ...b, "POP"];
      const a1 = await instret(loopJob(wrap(arith), n1));
      const a2 = await instret(loopJob(wrap(arith), n2));
      const perOp = (a2 - a1) / (Number(n2 - n1) * (perIter + 2));
      out.arithmeticLoop = { perMhrInstruction: round(perOp), target: TARGET_PER_OP, ok: perOp <= TARGET_PER_OP };
      console.log(`arithmetic loop: ${perOp.toFixed(1)} instructions per MHR-Byte instruction (target <= ${TARGET_PER_OP})`);

      // Per category: body of 8 pairs against an empty body, same iterations.
      const iters = 2000n;
      const base = await instret(loopJob(["PUSH 5", "POP"], iters));
      const cats: Record<string, number> = {};
      for (const [name, pair] of Object.entries(CATEGORIES)) {
        const { body, count } = name === "control"
          ? { body: ["PUSH 5", ...Array.from({ length: 8 }, (_, i) => [`JMP next${i}`, `next${i}:`]).flat(), "POP"], count: 8 }
          : categoryBody(pair);
        const t = await instret(loopJob(body, iters));
        cats[name] = round((t - base) / (Number(iters) * count));
        console.log(`  ${name.padEnd(11)} ${cats[name].toFixed(1)} per instruction`);
      }
      out.perCategory = cats;
    }

    if (want("ed25519")) {
      // Crypto: Ed25519 verify of a valid signature over 32 bytes.
      const sk = new Uint8Array(32).fill(7);
      const pk = ed25519.getPublicKey(sk);
      const msg = new Uint8Array(32).fill(0x42);
      const sig = ed25519.sign(msg, sk);
      const sigInput = cat(pk, sig, msg); // pk @0, sig @32, msg @96
      const sigJob = (verify: boolean): Uint8Array => job(`
        .memory 256
        .cycles 100000000
        .func main 0 1
        main:
          PUSH 0
          PUSH 96
          PUSH 32
          PUSH 32
          ${verify ? "VERIFY_SIG" : "POP\n        POP\n        POP"}
          HALT
      `, [], sigInput);
      const ed = (await instret(sigJob(true))) - (await instret(sigJob(false)));
      out.ed25519Verify = { instructions: ed, target: TARGET_ED25519, ok: ed <= TARGET_ED25519 };
      console.log(`Ed25519 verify: ${ed} instructions (floor <= ${TARGET_ED25519})`);
    }

    if (want("ecvrf")) {
      // ECVRF verify of a valid proof over a 16-byte alpha.
      const alpha = new Uint8Array(16).fill(0x33);
      const vrf = vrfProve(new Uint8Array(32).fill(9), alpha);
      if (!verifyEcvrf(vrf.pk, alpha, vrf.proof)) throw new Error("bench: the ECVRF proof does not verify on the reference");
      const vrfInput = cat(vrf.pk, vrf.proof, alpha); // pk @0, proof @32, alpha @112, beta -> @128
      const vrfJob = (verify: boolean): Uint8Array => job(`
        .memory 256
        .cycles 100000000
        .func main 0 1
        main:
          PUSH 0
          PUSH 112
          PUSH 16
          PUSH 32
          PUSH 128
          ${verify ? "VERIFY_VRF" : "POP\n        POP\n        POP\n        POP"}
          HALT
      `, [], vrfInput);
      const ecvrf = (await instret(vrfJob(true))) - (await instret(vrfJob(false)));
      out.ecvrfVerify = { instructions: ecvrf };
      console.log(`ECVRF verify: ${ecvrf} instructions`);
    }

    if (want("blake3")) {
      // Blake3: HASH over 4096 vs 1024 bytes of memory (48 more 64-byte blocks).
      const hashJob = (len: number): Uint8Array => job(`
        .memory 8192
        .cycles 100000000
        .func main 0 0
        main:
          PUSH 0
          PUSH ${len}
          PUSH 4096
          HASH
          HALT
      `);
      const b3 = ((await instret(hashJob(4096))) - (await instret(hashJob(1024)))) / 48;
      out.blake3PerBlock = { instructions: round(b3), bytes: 64 };
      console.log(`Blake3: ${b3.toFixed(0)} instructions per 64-byte block`);
    }

    const generated = readFileSync(join(GENERATED, "mhr_vm.h"), "utf8");
    if (!generated.includes(hello.buildId)) console.warn("bench:mcu: the board's build id differs from the generated C: rebuild with npm run build:firmware");
    mkdirSync(join(REPO, "bench"), { recursive: true });
    const file = join(REPO, "bench/mcu.json");
    // --only: the sections not measured keep their figures from the previous file.
    writeFileSync(file, JSON.stringify(ONLY ? { ...previous, ...out } : out, null, 2) + "\n");
    console.log(`wrote ${relative(REPO, file)}`);
    return 0;
  } finally {
    client.close();
    await board.close();
  }
}

interface Anchors { source: string; workloads: Record<string, { what: string; native: number; wasm3: number; lua54: number; mhrByteAtIssueOs: number }> }

/** Issue 10's workloads: `arg` is the measured run, `emptyArg` the same contract with (almost) no work; `scale` turns the difference into the workload. */
const WORKLOADS = [
  // n = 10^6 against n = 1: 999,999 iterations, scaled to 10^6.
  { name: "sum", arg: 1_000_000n, emptyArg: 1n, scale: 1_000_000 / 999_999, floor: 200_000_000 },
  // fib(24) against fib(0) (one CALL and RET).
  { name: "fib", arg: 24n, emptyArg: 0n, scale: 1, floor: 35_000_000 },
];

/** `--only a,b`: measure only these sections (sum, fib, categories, ed25519, ecvrf, blake3). */
const ONLY = ((): Set<string> | undefined => {
  const i = process.argv.indexOf("--only");
  return i >= 0 ? new Set(process.argv[i + 1].split(",")) : undefined;
})();
const want = (section: string): boolean => !ONLY || ONLY.has(section);

function readPrevious(): { workloads?: Record<string, { instructions?: number }>; [k: string]: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(join(REPO, "bench/mcu.json"), "utf8"));
  } catch {
    return undefined;
  }
}

const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`bench:mcu: ${(e as Error).message}`);
  process.exitCode = 1;
});
