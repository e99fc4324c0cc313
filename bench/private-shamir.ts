/**
 * Figures for the SecretShared tier (docs/PRIVATE.md, "Measured"): bytes on
 * the wire per multiplication and per workload, against the plaintext input
 * size, and in-process time against the same computation in plain numbers.
 * Byte counts are exact (deterministic message sizes); times are medians of
 * a few runs on this machine and are never a pass/fail criterion.
 *
 * `benchPrivateShamir()` returns the figures (for bench/run.ts); run this file
 * with tsx to print them.
 */
import { fileURLToPath } from "node:url";
import { ProgramBuilder, type BuiltProgram, type InputValue } from "../host-ts/src/private/shamir/builder.ts";
import { runLocalSession, type Traffic } from "../host-ts/src/private/shamir/local-network.ts";
import { columnStats, dotProduct, linearScore, membership, linearLayer } from "../host-ts/src/private/shamir/workloads.ts";

export interface TrafficFigures {
  /** Consumer → providers (DEALs and CHALLENGEs). */
  consumerSent: number;
  /** Other dealers → providers (their DEALs). */
  dealersSent: number;
  /** Each provider's bytes sent (ROUNDs to the others, READY and OUTPUT to the consumer). */
  perProvider: number[];
  /** Provider ↔ provider (ROUND messages) only. */
  providerToProvider: number;
  total: number;
  messages: number;
}

export interface WorkloadFigures {
  name: string;
  inputs: number;
  multiplications: number;
  rounds: number;
  /** The plaintext input as float64 values: 8 bytes each (what a Tier-0 job would carry). */
  plaintextInputBytes: number;
  traffic: TrafficFigures;
  /** total bytes / plaintext input bytes. */
  bandwidthRatio: number;
  /** Consumer upload / plaintext input bytes. */
  uploadRatio: number;
  /** One copy of the program's canonical CBOR (each DEAL from the consumer carries one). */
  programBytes: number;
  /** (Consumer upload − n × programBytes) / plaintext input bytes: the shares alone (the seed's "3×" counts these). */
  shareUploadRatio: number;
  /** Median in-process time of one whole session (consumer + 3 providers in one thread), ms. */
  sessionMs: number;
  /** Median time of the same computation on plain doubles, ms. */
  plaintextMs: number;
}

export interface MultiplicationFigures {
  /** Independent secret × secret products in one round. */
  batch: number;
  /** All provider ↔ provider bytes of the session (one ROUND each way between every pair). */
  providerToProviderBytes: number;
  /** providerToProviderBytes / batch / n: what each provider sends per product, headers included. */
  bytesPerProviderPerMul: number;
  /** providerToProviderBytes / batch. */
  bytesTotalPerMul: number;
  /** Session time / batch, ms (dealing, verification and output included). */
  msPerMul: number;
}

export interface ShamirBenchFigures {
  field: string;
  n: number;
  t: number;
  multiplication: MultiplicationFigures[];
  workloads: WorkloadFigures[];
}

function figures(t: Traffic, n: number): TrafficFigures {
  return {
    consumerSent: t.sentBy["consumer"] ?? 0,
    dealersSent: Object.entries(t.sentBy).filter(([k]) => k.startsWith("dealer")).reduce((a, [, v]) => a + v, 0),
    perProvider: Array.from({ length: n }, (_, i) => t.sentBy[`provider ${i + 1}`] ?? 0),
    providerToProvider: t.byType.round,
    total: t.total,
    messages: t.messages,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeMs(f: () => unknown, runs: number): number {
  f(); // warm-up
  const out: number[] = [];
  for (let i = 0; i < runs; i++) { const t0 = performance.now(); f(); out.push(performance.now() - t0); }
  return median(out);
}

function session(built: BuiltProgram, values: readonly InputValue[], dealer1?: readonly InputValue[]) {
  const r = runLocalSession({
    program: built.program, inputs: built.encodeInputs(0, values),
    dealerInputs: dealer1 ? new Map([[1, built.encodeInputs(1, dealer1)]]) : undefined,
  });
  if (r.outcome.status !== "done") throw new Error(`benchmark session failed: ${r.outcome.status === "failed" ? r.outcome.error.message : "did not finish"}`);
  return r;
}

/** A program of `batch` independent products x_k·y_k, each revealed. */
function products(batch: number): BuiltProgram {
  const b = new ProgramBuilder();
  const xs = Array.from({ length: batch }, () => b.input({ bound: 100 }));
  const ys = Array.from({ length: batch }, () => b.input({ bound: 100 }));
  xs.forEach((x, k) => b.output(b.mul(x, ys[k])));
  return b.build();
}

export function benchPrivateShamir(opts: { quick?: boolean } = {}): ShamirBenchFigures {
  const runs = opts.quick ? 3 : 7;
  const multiplication: MultiplicationFigures[] = [];
  for (const batch of [1, 100, 1000]) {
    const built = products(batch);
    const vals = Array.from({ length: 2 * batch }, (_, i) => (i % 17) - 8);
    const p2p = session(built, vals).traffic.byType.round;
    multiplication.push({
      batch,
      providerToProviderBytes: p2p,
      bytesPerProviderPerMul: p2p / batch / 3,
      bytesTotalPerMul: p2p / batch,
      msPerMul: timeMs(() => session(built, vals), batch >= 1000 ? Math.min(runs, 3) : runs) / batch,
    });
  }

  const workloads: WorkloadFigures[] = [];
  const add = (name: string, built: BuiltProgram, values: InputValue[], plain: () => unknown, dealer1?: InputValue[]) => {
    const r = session(built, values, dealer1);
    const tf = figures(r.traffic, 3);
    const inputs = values.length + (dealer1?.length ?? 0);
    const plaintextInputBytes = 8 * inputs;
    workloads.push({
      name, inputs,
      multiplications: built.analysis.plan.reduce((a, p) => a + p.muls.length, 0),
      rounds: built.analysis.rounds,
      plaintextInputBytes,
      traffic: tf,
      bandwidthRatio: tf.total / plaintextInputBytes,
      uploadRatio: tf.consumerSent / plaintextInputBytes,
      programBytes: built.analysis.encoded.length,
      shareUploadRatio: (tf.consumerSent - 3 * built.analysis.encoded.length) / plaintextInputBytes,
      sessionMs: timeMs(() => session(built, values, dealer1), runs),
      plaintextMs: timeMs(plain, runs),
    });
  };
  const col = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 500);
  add("column sum/mean/variance, 1,000 values", columnStats(1000, 500), col, () => {
    const m = col.reduce((a, b) => a + b, 0) / col.length;
    return col.reduce((a, b) => a + (b - m) ** 2, 0) / col.length;
  });
  const x100 = Array.from({ length: 100 }, (_, i) => Math.cos(i));
  const w100 = Array.from({ length: 100 }, (_, i) => Math.sin(i * 3));
  add("dot product, 100, public weights", dotProduct(100, 1, w100), x100, () => x100.reduce((a, x, i) => a + x * w100[i], 0));
  add("dot product, 100, secret weights", dotProduct(100, 1, { secret: 1 }), [...x100, ...w100], () => x100.reduce((a, x, i) => a + x * w100[i], 0));
  add("linear score, 100, public model", linearScore(100, 1, { weights: w100, bias: 0.5 }), x100, () => x100.reduce((a, x, i) => a + x * w100[i], 0.5));
  add("linear score, 100, secret model", linearScore(100, 1, { weightBound: 1, biasBound: 1 }), [...x100, ...w100, 0.5], () => x100.reduce((a, x, i) => a + x * w100[i], 0.5));
  for (const L of [16, 64]) {
    const list = Array.from({ length: L }, (_, i) => BigInt(i * 1009));
    add(`membership, public list of ${L}`, membership({ kind: "public", values: list }), [5045n], () => list.includes(5045n));
    add(`membership, consumer's list of ${L}`, membership({ kind: "consumer", length: L }), [5045n, ...list], () => list.includes(5045n));
    add(`membership, dealer's list of ${L}`, membership({ kind: "dealer", length: L }), [5045n], () => list.includes(5045n), list);
  }
  for (const k of [16, 128]) {
    const W = Array.from({ length: k }, (_, i) => Array.from({ length: 784 }, (_, j) => Math.sin(i * 784 + j) * 0.1));
    const px = Array.from({ length: 784 }, (_, j) => ((j * 37) % 256) / 255);
    const bias = Array.from({ length: k }, (_, i) => i / k);
    add(`MNIST first layer 784→${k}, public W`, linearLayer(W, bias, 1), px, () => W.map((row, i) => row.reduce((a, w, j) => a + w * px[j], bias[i])));
  }
  return { field: "GF(2^127 − 1), 16-byte elements", n: 3, t: 1, multiplication, workloads };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const f = benchPrivateShamir({ quick: process.argv.includes("--quick") });
  console.log("per multiplication (n = 3, t = 1, MAC-verified BGW):");
  for (const m of f.multiplication) console.log(`  batch ${m.batch}: ${m.bytesPerProviderPerMul.toFixed(1)} B/provider, ${m.bytesTotalPerMul.toFixed(1)} B total, ${m.msPerMul.toFixed(3)} ms`);
  console.log("workloads:");
  for (const w of f.workloads) {
    console.log(`  ${w.name}: ${w.inputs} inputs, ${w.multiplications} mul, ${w.rounds} rounds; ${w.traffic.total} B total (consumer ${w.traffic.consumerSent}, dealer ${w.traffic.dealersSent}, providers ${w.traffic.perProvider.join("/")}, p2p ${w.traffic.providerToProvider}); ×${w.bandwidthRatio.toFixed(1)} vs plaintext input, upload ×${w.uploadRatio.toFixed(1)} (program ${w.programBytes} B; shares alone ×${w.shareUploadRatio.toFixed(1)}); ${w.sessionMs.toFixed(2)} ms vs ${w.plaintextMs.toFixed(4)} ms plain`);
  }
}
