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
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createLibp2pTransport, type Libp2pTransport } from "../host-ts/src/node/libp2p-transport.ts";

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

const transport = await transportFigures();
const results = { date: new Date().toISOString(), transport };
writeFileSync(fileURLToPath(new URL("results-node.json", import.meta.url)), JSON.stringify(results, null, 1) + "\n");

console.log("\nmesh node transport (libp2p on loopback TCP)");
console.log(`import (warm, fresh process)      ${transport.importWarmMs.toFixed(0)} ms`);
console.log(`create / start                    ${transport.createMs.toFixed(1)} / ${transport.startMs.toFixed(1)} ms`);
console.log(`first request on a new connection p50 ${transport.firstRequestMs.p50.toFixed(1)} ms (dial + Noise + Yamux + one round trip)`);
console.log(`later requests, same connection   p50 ${transport.laterRequestMs.p50.toFixed(3)} ms, p99 ${transport.laterRequestMs.p99.toFixed(3)} ms (${transport.laterRequestMs.n} requests, ${transport.bodyBytes} B each way)`);
console.log("wrote bench/results-node.json");
