/**
 * Differential fuzzing: the same generated jobs on several engines, compared
 * on their full results (result bytes, and the final state where both engines
 * report it). A divergence is minimised and saved as a vector file whose
 * expectation is the first engine's result, ready to review and add to
 * test-vectors/.
 */
import { writeFileSync } from "node:fs";
import { makeOutputDir } from "../model/output-dir.ts";
import { join } from "node:path";
import type { Engine, EngineRun } from "../model/engine.ts";
import { bytesToHex, equalBytes } from "../model/bytes.ts";
import { encodeState } from "../model/codec.ts";
import { expectedFromRun, type VectorFile } from "../vectors/format.ts";
import { Rng, generateCase, type FuzzCase, type Insn } from "./generate.ts";

export interface FuzzOptions {
  count: number;
  seed: number;
  outDir: string;
  seedVectors: Uint8Array[];
  onProgress?: (done: number, divergences: number) => void;
  /** Stop after this many divergences (each is minimised and saved). */
  maxDivergences?: number;
}

export interface Divergence { index: number; kind: string; file: string; summary: string }

export interface FuzzReport {
  engines: string[];
  seed: number;
  count: number;
  divergences: Divergence[];
  engineErrors: number;
  kinds: Record<string, number>;
  seconds: number;
}

async function runAll(engines: Engine[], job: Uint8Array): Promise<(EngineRun | Error)[]> {
  const out: (EngineRun | Error)[] = [];
  for (const e of engines) {
    try { out.push(await e.run(job)); } catch (err) { out.push(err as Error); }
  }
  return out;
}

/** Null when every engine agrees; otherwise a one-line description of the first disagreement. */
function disagreement(engines: Engine[], runs: (EngineRun | Error)[]): string | null {
  const a = runs[0];
  for (let i = 1; i < runs.length; i++) {
    const b = runs[i];
    if (a instanceof Error || b instanceof Error) {
      if (a instanceof Error && b instanceof Error) continue;
      return `${engines[a instanceof Error ? 0 : i].name} failed: ${(a instanceof Error ? a : b as Error).message}`;
    }
    if (!equalBytes(a.resultBytes, b.resultBytes)) {
      const ea = expectedFromRun(a), eb = expectedFromRun(b);
      const fields = (["status", "code", "cycles", "returns", "output", "logs", "transfers", "stateHash"] as const).filter((k) => JSON.stringify(ea[k]) !== JSON.stringify(eb[k]));
      return `${engines[0].name} vs ${engines[i].name}: ${fields.map((f) => `${f} ${JSON.stringify(ea[f])} != ${JSON.stringify(eb[f])}`).join("; ") || "result bytes differ"}`;
    }
    if (a.state && b.state && !equalBytes(encodeState(a.state), encodeState(b.state))) return `${engines[0].name} vs ${engines[i].name}: final state differs`;
  }
  return null;
}

async function minimise(engines: Engine[], c: FuzzCase): Promise<Uint8Array> {
  if (!c.insns || !c.rebuild) {
    // Raw bytes: drop trailing bytes while the divergence holds.
    let job = c.job;
    for (let step = Math.max(1, job.length >> 1); step >= 1; step >>= 1) {
      while (job.length > step) {
        const cand = job.slice(0, job.length - step);
        if (disagreement(engines, await runAll(engines, cand))) job = cand; else break;
      }
    }
    return job;
  }
  let insns: Insn[] = c.insns;
  for (let i = insns.length - 2; i >= 0; i--) {
    if (insns[i].op.immediate === "target") continue; // keep jump layout intact
    const cand = [...insns.slice(0, i), ...insns.slice(i + 1)];
    let job: Uint8Array;
    try { job = c.rebuild(cand); } catch { continue; }
    if (disagreement(engines, await runAll(engines, job))) insns = cand;
  }
  return c.rebuild(insns);
}

export async function fuzz(engines: Engine[], opts: FuzzOptions): Promise<FuzzReport> {
  const t0 = performance.now();
  const rng = new Rng(opts.seed);
  const divergences: Divergence[] = [];
  const kinds: Record<string, number> = {};
  let engineErrors = 0;
  for (let i = 0; i < opts.count; i++) {
    const c = generateCase(rng, opts.seedVectors);
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    const runs = await runAll(engines, c.job);
    if (runs.some((r) => r instanceof Error)) engineErrors++;
    const d = disagreement(engines, runs);
    if (d) {
      const job = await minimise(engines, c);
      const final = await runAll(engines, job);
      const ref = final[0];
      makeOutputDir(opts.outDir);
      const file = join(opts.outDir, `divergence-seed${opts.seed}-${i}.json`);
      const vf: VectorFile = {
        format: "mhr-vectors/1",
        tier: "mhr-byte",
        category: "fuzz",
        description: `found by mhr fuzz --engines ${engines.map((e) => e.name).join(",")} --seed ${opts.seed} (case ${i}, ${c.kind}); expectation from ${engines[0].name} — review against the SPEC before adding`,
        vectors: ref instanceof Error ? [] : [{
          name: `fuzz/seed${opts.seed}-case${i}`,
          description: disagreement(engines, final) ?? d,
          covers: { opcodes: [], traps: [], errors: [] },
          job: bytesToHex(job),
          expected: expectedFromRun(ref),
        }],
      };
      writeFileSync(file, JSON.stringify(vf, null, 1) + "\n");
      divergences.push({ index: i, kind: c.kind, file, summary: d });
      if (opts.maxDivergences && divergences.length >= opts.maxDivergences) break;
    }
    if (opts.onProgress && (i & 255) === 255) opts.onProgress(i + 1, divergences.length);
  }
  return { engines: engines.map((e) => e.name), seed: opts.seed, count: opts.count, divergences, engineErrors, kinds, seconds: (performance.now() - t0) / 1000 };
}
