/**
 * Generates test-vectors/wasm/*.json from test-vectors/defs/wasm.ts.
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
import { buildWasmJob, wasmVectorDefs, type WasmVectorDef } from "../test-vectors/defs/wasm.ts";
import { expectationMismatches, type CodeNamer } from "../host-ts/src/vectors/expect.ts";
import { loadWat } from "../host-ts/src/wasm-tier/wat.ts";
import type { EngineRun } from "../host-ts/src/model/engine.ts";
import { Status } from "../host-ts/src/generated/opcodes.ts";
import { TIERS } from "../host-ts/src/generated/wasm-tier.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "test-vectors/wasm");

const wasmCodeName: CodeNamer = (status, code) =>
  status === Status.TRAP ? trapName(Number(code)) : status === Status.INVALID ? errorName(Number(code)) : code.toString();
const codeName = (run: EngineRun): string => wasmCodeName(run.result.status, run.result.code);

function check(d: WasmVectorDef, run: EngineRun): void {
  const wrong = expectationMismatches(d.expect, run, wasmCodeName);
  if (wrong.length) throw new Error(`${d.name}: the engine disagrees with docs/WASM.md: ${wrong.join("; ")}`);
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
          // A version-2 contract's intrinsic charge depends on the job's length, and so on how many
          // bytes max_cycles encodes in: re-measure with a limit of the same encoded size until stable.
          const cap = TIERS[d.tier ?? 1].fuel;
          const sameSize = (n: number): number => (n < 24 ? 23 : n < 256 ? 255 : n < 65536 ? 65535 : Math.min(2 ** 32 - 1, cap));
          let limit = probe.result.cycles;
          for (let i = 0; ; i++) {
            const r = await engine.run(buildWasmJob(d, sameSize(limit)));
            if (r.result.status !== Status.HALT) throw new Error(`${d.name}: the probe run did not HALT`);
            if (r.result.cycles === limit) break;
            if (i === 8) throw new Error(`${d.name}: no stable exact fuel`);
            limit = r.result.cycles;
          }
          jobBytes = buildWasmJob(d, limit - (d.fuelExact === "below" ? 1 : 0));
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
          ...(d.wat ? { source: d.wat.length > 2000 ? `${d.wat.slice(0, 300)} … (${d.wat.length} characters; see test-vectors/defs/wasm.ts)` : d.wat } : d.example ? { source: `examples/wasm/${d.example}.ts` } : {}),
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
