/**
 * Generates test-vectors/wasm/*.json from host-ts/src/wasm-tier/vector-defs.ts.
 * Each job runs on the wasm-tier engine (node tier "full"); each definition's
 * `expect` — derived by hand from docs/WASM.md — must agree or generation
 * fails. Output is deterministic: the same bytes on every run.
 *   --check   write nothing; exit 1 if a committed file differs
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createWasmTierEngine } from "../host-ts/src/engines/wasm-tier-engine.ts";
import { bytesToHex } from "../host-ts/src/model/bytes.ts";
import { expectedFromRun, type Vector, type VectorFile } from "../host-ts/src/vectors/format.ts";
import { errorName, trapName } from "../host-ts/src/wasm-tier/constants.ts";
import { buildWasmJob, wasmVectorDefs, type WasmVectorDef } from "../host-ts/src/wasm-tier/vector-defs.ts";
import { loadWat } from "../host-ts/src/wasm-tier/wat.ts";
import type { EngineRun } from "../host-ts/src/model/engine.ts";
import { Status } from "../host-ts/src/generated/opcodes.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "test-vectors/wasm");

function codeName(run: EngineRun): string {
  const r = run.result;
  if (r.status === Status.TRAP) return trapName(Number(r.code));
  if (r.status === Status.INVALID) return errorName(Number(r.code));
  return r.code.toString();
}

function check(d: WasmVectorDef, run: EngineRun): void {
  const e = d.expect;
  const got = expectedFromRun(run);
  const fail = (what: string, want: unknown, have: unknown) => {
    throw new Error(`${d.name}: expected ${what} ${JSON.stringify(want, (_, x) => (typeof x === "bigint" ? x.toString() : x))}, the engine gave ${JSON.stringify(have)}`);
  };
  if (got.status !== e.status) fail("status", e.status, `${got.status} ${codeName(run)}`);
  if (e.code !== undefined && codeName(run) !== e.code) fail("code", e.code, codeName(run));
  if (e.returns && JSON.stringify(got.returns) !== JSON.stringify(e.returns.map(String))) fail("returns", e.returns, got.returns);
  if (e.cycles !== undefined && got.cycles !== e.cycles) fail("cycles", e.cycles, got.cycles);
  if (e.output !== undefined && got.output !== e.output) fail("output", e.output, got.output);
  if (e.logs && JSON.stringify(got.logs) !== JSON.stringify(e.logs)) fail("logs", e.logs, got.logs);
  if (e.transfers && JSON.stringify(got.transfers) !== JSON.stringify(e.transfers.map((t) => ({ to: t.to, amount: t.amount.toString() })))) fail("transfers", e.transfers, got.transfers);
  const sorted = (o: Record<string, string> | undefined) => JSON.stringify(Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  if (e.state && sorted(got.state) !== sorted(e.state)) fail("state", e.state, got.state);
}

function covers(d: WasmVectorDef, run: EngineRun): Vector["covers"] {
  const r = run.result;
  return { opcodes: [...(d.covers ?? [])].sort(), traps: r.status === Status.TRAP ? [codeName(run)] : [], errors: r.status === Status.INVALID ? [codeName(run)] : [] };
}

export async function generate(): Promise<Map<string, string>> {
  await loadWat();
  const engine = createWasmTierEngine({ nodeTier: "full" });
  const files = new Map<string, string>();
  try {
    for (const def of wasmVectorDefs()) {
      const vectors: Vector[] = [];
      for (const d of def.vectors) {
        let jobBytes = buildWasmJob(d);
        if (d.fuelExact) {
          const probe = await engine.run(jobBytes);
          if (probe.result.status !== Status.HALT) throw new Error(`${d.name}: the probe run did not HALT`);
          jobBytes = buildWasmJob(d, probe.result.cycles - (d.fuelExact === "below" ? 1 : 0));
        }
        const run = await engine.run(jobBytes);
        if (run.outcome !== "result") throw new Error(`${d.name}: outcome ${run.outcome} is not a consensus result`);
        check(d, run);
        const again = await engine.run(jobBytes);
        if (bytesToHex(again.resultBytes) !== bytesToHex(run.resultBytes)) throw new Error(`${d.name}: two runs gave different results`);
        vectors.push({
          name: d.name,
          description: d.description,
          covers: covers(d, run),
          ...(d.wat ? { source: d.wat.length > 2000 ? `${d.wat.slice(0, 300)} … (${d.wat.length} characters; see host-ts/src/wasm-tier/vector-defs.ts)` : d.wat } : d.example ? { source: `examples/wasm/${d.example}.ts` } : {}),
          job: bytesToHex(jobBytes),
          expected: expectedFromRun(run),
        });
      }
      const file: VectorFile = { format: "mhr-vectors/1", tier: "wasm", category: def.category, description: def.description, vectors };
      files.set(`${def.category}.json`, JSON.stringify(file, null, 2) + "\n");
    }
  } finally {
    await engine.close();
  }
  return files;
}

async function main() {
  const checkOnly = process.argv.includes("--check");
  const files = await generate();
  let stale = 0;
  if (!checkOnly) mkdirSync(outDir, { recursive: true });
  for (const [name, content] of files) {
    const path = join(outDir, name);
    const old = existsSync(path) ? readFileSync(path, "utf8") : null;
    if (old === content) continue;
    if (checkOnly) { console.error(`stale: test-vectors/wasm/${name}`); stale++; continue; }
    writeFileSync(path, content);
    console.log(`wrote test-vectors/wasm/${name}`);
  }
  if (existsSync(outDir)) {
    for (const f of readdirSync(outDir)) {
      if (f.endsWith(".json") && !files.has(f)) {
        if (checkOnly) { console.error(`stale: test-vectors/wasm/${f}`); stale++; } else unlinkSync(join(outDir, f));
      }
    }
  }
  const total = [...files.values()].reduce((n, c) => n + (JSON.parse(c) as VectorFile).vectors.length, 0);
  console.log(`${total} WASM-tier vectors in ${files.size} files${checkOnly ? (stale ? `, ${stale} stale` : ", up to date") : ""}`);
  if (stale) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
