/**
 * Mesh node benchmark (part of `npm run bench`, or alone):
 *   npx tsx bench/node.ts [--quick]
 * Writes bench/results-node.json, which bench/run.ts merges into
 * bench/results.json as `node`. Figures are measured on loopback TCP in this
 * process after warm-up; none is a pass/fail test.
 *
 * transport: import time of the libp2p transport (fresh processes, median),
 * create + start, the first request on a new connection (dial, Noise
 * handshake, Yamux, stream negotiation and one round trip), and later
 * requests on the same connection (p50/p99).
 * delegation: a small MHR-Byte job run locally and delegated one hop
 * (alternately, same run, p50/p99), jobs/s through one consumer with 1, 2
 * and 4 providers, and one-hop advert propagation (from the provider being
 * asked over its control socket to publish until the consumer holds the new
 * seq; the control call is part of it); the consumer is a
 * MeshNode in this process, the providers `mhr node start` processes.
 * simulation: sim/mesh-sim.ts with 1,000 nodes (--no-sim skips it).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLibp2pTransport, type Libp2pTransport } from "../host-ts/src/node/libp2p-transport.ts";
import { MeshNode } from "../host-ts/src/node/mesh-node.ts";
import { transportFor } from "../host-ts/src/node/transport-factory.ts";
import { controlCall } from "../host-ts/src/node/control-client.ts";
import { runMeshSimulation } from "../host-ts/src/sim/mesh-sim.ts";
import { buildJob, loadContract } from "../host-ts/src/jobs/contract-file.ts";
import { encodeJob } from "../host-ts/src/model/codec.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const quick = process.argv.includes("--quick");

export interface Percentiles {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

export function percentiles(samples: number[]): Percentiles {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: round(at(0.5)), p99: round(at(0.99)), mean: round(s.reduce((a, b) => a + b, 0) / s.length) };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seed = (i: number) => Uint8Array.from({ length: 32 }, (_, k) => (i * 37 + k) & 0xff);

function importMs(): number {
  const script = `const t = performance.now(); await import("./host-ts/src/node/libp2p-transport.ts"); console.log(performance.now() - t);`;
  const runs = Array.from({ length: quick ? 2 : 4 }, () => Number(execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: ROOT, encoding: "utf8" }).trim()));
  // The first run also fills tsx's transform cache; the median of the rest is the warm figure.
  return round(median(runs.slice(1)));
}

async function transportFigures() {
  const importWarmMs = importMs();
  const createMs: number[] = [];
  const startMs: number[] = [];
  const firstRequestMs: number[] = [];
  const later: number[] = [];
  const rounds = quick ? 3 : 6;
  const opts = { timeoutMs: 10_000, maxResponseBytes: 4096 };
  const body = new Uint8Array(200);
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    const server = await createLibp2pTransport({ seed: seed(2 * r + 1) });
    const client = await createLibp2pTransport({ seed: seed(2 * r + 2) });
    createMs.push((performance.now() - t) / 2);
    t = performance.now();
    await server.start();
    await client.start();
    startMs.push((performance.now() - t) / 2);
    server.handle("/bench/echo/1", { maxRequestBytes: 4096, readTimeoutMs: 10_000 }, async (q) => q.body);
    t = performance.now();
    const peer = await client.dial(server.addresses()[0]);
    await client.request(peer, "/bench/echo/1", body, opts);
    firstRequestMs.push(performance.now() - t);
    const n = quick ? 200 : 1000;
    for (let i = 0; i < 50; i++) await client.request(peer, "/bench/echo/1", body, opts);
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await client.request(peer, "/bench/echo/1", body, opts);
      later.push(performance.now() - s);
    }
    await stopAll([client, server]);
  }
  return {
    importWarmMs,
    createMs: round(median(createMs)),
    startMs: round(median(startMs)),
    firstRequestMs: percentiles(firstRequestMs),
    laterRequestMs: percentiles(later),
    bodyBytes: body.length,
  };
}

async function stopAll(ts: Libp2pTransport[]): Promise<void> {
  await Promise.all(ts.map((t) => t.stop()));
}

// ---------- delegation: a consumer in this process, providers as `mhr node start` processes ----------

const MHR = join(ROOT, "bin/mhr.mjs");
const SMALL_JOB = encodeJob(buildJob(loadContract(join(ROOT, "examples/node/small.masm")), { fn: "sum", args: ["10"] }));

interface Provider {
  dir: string;
  proc: ChildProcess;
  addr: string;
  id: string;
}

function startProvider(i: number, price: number, bootstrap?: string): Promise<Provider> {
  const dir = mkdtempSync(join(tmpdir(), `mhr-bench-p${i}-`));
  const proc = spawn(process.execPath, [MHR, "node", "start", "--data", dir, "--profile", "gateway", "--engine", "as", "--price", String(price), "--advert-interval", "2000", ...(bootstrap ? ["--bootstrap", bootstrap] : [])], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  // Drained, so a chatty provider can never block on a full pipe (pipe writes are synchronous on Linux).
  let err = "";
  proc.stderr!.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const addr = /listening (\S+)/.exec(out)?.[1];
      const id = /node ([0-9a-f]{32})/.exec(out)?.[1];
      if (addr && id && /control /.test(out)) resolve({ dir, proc, addr, id });
    });
    proc.once("exit", (c) => reject(new Error(`provider ${i} exited (${c}): ${out}${err}`)));
  });
}

async function stopProvider(p: Provider): Promise<void> {
  if (p.proc.exitCode !== null) return;
  const done = new Promise((r) => p.proc.once("exit", r));
  p.proc.kill("SIGTERM");
  const force = setTimeout(() => p.proc.kill("SIGKILL"), 5000);
  await done;
  clearTimeout(force);
  rmSync(p.dir, { recursive: true, force: true });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 6000) throw new Error(`bench: gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function delegationFigures() {
  const providers: Provider[] = [];
  const consumerDir = mkdtempSync(join(tmpdir(), "mhr-bench-consumer-"));
  let consumer: MeshNode | undefined;
  try {
    providers.push(await startProvider(0, 1000));
    consumer = await MeshNode.start({
      dataDir: consumerDir, profile: "gateway", engine: "as", control: false, advertIntervalMs: 2000,
      transport: transportFor({ kind: "libp2p" }), bootstrap: [providers[0].addr],
    });
    const c = consumer;
    await until(() => c.adverts.size >= 1, "the first provider's advert");

    // Latency, local and delegated alternately in one run (warm: the channel and agreement exist after the first).
    const n = quick ? 200 : 1000;
    for (let i = 0; i < 20; i++) {
      await c.submit({ job: SMALL_JOB }, { placement: "local" });
      await c.submit({ job: SMALL_JOB }, { placement: "delegate" });
    }
    // Each delegated job alone: the payment of the one before (after its result, two fsyncs a side) has settled.
    const local: number[] = [];
    const delegated: number[] = [];
    for (let i = 0; i < n; i++) {
      let t = performance.now();
      const l = await c.submit({ job: SMALL_JOB }, { placement: "local" });
      local.push(performance.now() - t);
      t = performance.now();
      const d = await c.submit({ job: SMALL_JOB }, { placement: "delegate" });
      delegated.push(performance.now() - t);
      if (d.ranOn !== "delegated" || !Buffer.from(d.resultBytes).equals(Buffer.from(l.resultBytes))) throw new Error("bench: the delegated result differs from the local one");
      await c.settled();
    }
    // Back to back: each job's payment still in flight when the next one is sent.
    const b2b: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await c.submit({ job: SMALL_JOB }, { placement: "delegate" });
      b2b.push(performance.now() - t);
    }
    await c.settled();
    const localP = percentiles(local);
    const delegatedP = percentiles(delegated);

    // Throughput through the one consumer with 1, 2 and 4 providers (16 jobs in flight).
    const throughput: { providers: number; jobsPerSecond: number; jobs: number }[] = [];
    for (const k of [1, 2, 4]) {
      while (providers.length < k) providers.push(await startProvider(providers.length, 1000, providers[0].addr));
      await until(() => c.adverts.size >= k, `${k} providers' adverts`);
      for (let i = 0; i < 4 * k; i++) await c.submit({ job: SMALL_JOB }, { placement: "delegate" });
      const ms = quick ? 1500 : 4000;
      const t0 = performance.now();
      let done = 0;
      const worker = async () => {
        while (performance.now() - t0 < ms) {
          await c.submit({ job: SMALL_JOB }, { placement: "delegate" });
          done++;
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      throughput.push({ providers: k, jobs: done, jobsPerSecond: round(done / ((performance.now() - t0) / 1000)) });
    }

    // Advert propagation: a provider publishes (asked over its control socket), the consumer holds the new seq.
    const prop: number[] = [];
    const target = providers[providers.length - 1];
    const idBytes = Uint8Array.from(Buffer.from(target.id, "hex"));
    for (let i = 0; i < (quick ? 10 : 30); i++) {
      const seq = c.adverts.get(idBytes)?.advert.seq ?? 0n;
      const t = performance.now();
      await controlCall(target.dir, "publish-advert");
      // Polled every turn of the event loop: a timer would add its own granularity to a few milliseconds.
      for (let k = 0; (c.adverts.get(idBytes)?.advert.seq ?? 0n) <= seq; k++) {
        if (k > 5_000_000) throw new Error("bench: the republished advert never arrived");
        await new Promise((r) => setImmediate(r));
      }
      prop.push(performance.now() - t);
    }
    return {
      job: "examples/node/small.masm sum(10), as engine on both sides",
      localMs: localP,
      delegatedMs: delegatedP,
      addedP50Ms: round(delegatedP.p50 - localP.p50),
      delegatedBackToBackMs: percentiles(b2b),
      goalAddedP50Ms: 5,
      throughput,
      advertPropagationMs: percentiles(prop),
    };
  } finally {
    // Every background payment acknowledged before the consumer closes its store (and before its payees stop).
    await consumer?.settled();
    await consumer?.stop().catch(() => {});
    await Promise.all(providers.map(stopProvider));
    rmSync(consumerDir, { recursive: true, force: true });
  }
}

async function simulationFigures() {
  const r = await runMeshSimulation({ nodes: 1000, seed: 1, jobs: 72, republishers: quick ? 300 : 1000 });
  const { records, faulty, ...figures } = r;
  void records; void faulty;
  return figures;
}

const transport = await transportFigures();
const delegation = await delegationFigures();
const simulation = process.argv.includes("--no-sim") ? null : await simulationFigures();
const results = { date: new Date().toISOString(), transport, delegation, simulation };
writeFileSync(fileURLToPath(new URL("results-node.json", import.meta.url)), JSON.stringify(results, null, 1) + "\n");

console.log("\nmesh node transport (libp2p on loopback TCP)");
console.log(`import (warm, fresh process)      ${transport.importWarmMs.toFixed(0)} ms`);
console.log(`create / start                    ${transport.createMs.toFixed(1)} / ${transport.startMs.toFixed(1)} ms`);
console.log(`first request on a new connection p50 ${transport.firstRequestMs.p50.toFixed(1)} ms (dial + Noise + Yamux + one round trip)`);
console.log(`later requests, same connection   p50 ${transport.laterRequestMs.p50.toFixed(3)} ms, p99 ${transport.laterRequestMs.p99.toFixed(3)} ms (${transport.laterRequestMs.n} requests, ${transport.bodyBytes} B each way)`);
const d = delegation;
console.log("\nmesh node delegation (consumer in this process, providers as mhr node processes, loopback)");
console.log(`small job, local      p50 ${d.localMs.p50.toFixed(3)} ms, p99 ${d.localMs.p99.toFixed(3)} ms`);
console.log(`small job, delegated  p50 ${d.delegatedMs.p50.toFixed(3)} ms, p99 ${d.delegatedMs.p99.toFixed(3)} ms  (added p50 ${d.addedP50Ms.toFixed(3)} ms; goal ≤ 5 ms: ${d.addedP50Ms <= 5 ? "met" : "MISSED"})`);
console.log(`delegated back to back p50 ${d.delegatedBackToBackMs.p50.toFixed(3)} ms, p99 ${d.delegatedBackToBackMs.p99.toFixed(3)} ms (the previous job's payment still in flight)`);
for (const t of d.throughput) console.log(`throughput, ${t.providers} provider(s)  ${t.jobsPerSecond.toFixed(0)} jobs/s`);
console.log(`advert propagation, one hop  p50 ${d.advertPropagationMs.p50.toFixed(1)} ms, p99 ${d.advertPropagationMs.p99.toFixed(1)} ms`);
if (simulation) {
  const c = simulation.convergence;
  console.log(`\nsimulation: ${simulation.nodes} nodes, ${simulation.edges} edges; ${c.republished} adverts republished within 1 s: all held everywhere after ${c.totalMs} ms (per advert p50 ${c.perAdvertMs.p50} ms); one advert alone ${c.singleAdvertMs} ms; late joiner ${simulation.lateJoiner.held}/${simulation.lateJoiner.of} in ${simulation.lateJoiner.syncMs} ms`);
  const g = simulation.delegation;
  console.log(`simulation delegation: ${g.succeeded}/${g.jobs} succeeded, ${g.correct} correct, honest ${g.honestCorrect}/${g.honestJobs}; liars caught ${g.liarsCaught}/${g.liarsChosen}; crashes mid-job ${g.crashedMidJob}, recovered ${g.jobsRecoveredFromCrash}`);
}
console.log("wrote bench/results-node.json");
