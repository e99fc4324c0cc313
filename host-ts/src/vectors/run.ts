/**
 * Runs vectors on an engine and judges each result against its expectation:
 * one vector (runVector), or a whole suite on one target (runSuite), which
 * `mhr vectors check` and `mhr conform` both use.
 */
import { hexToBytes } from "../model/bytes.ts";
import { diffResult, type LoadedVector, type FieldDiff } from "./format.ts";
import type { Engine, EngineRun } from "../model/engine.ts";

export interface VectorOutcome {
  vector: LoadedVector;
  passed: boolean;
  diffs: FieldDiff[];
  /** Set when the engine failed (link, process), as opposed to returning a wrong result. */
  engineError?: string;
  run?: EngineRun;
  ms: number;
}

export interface Summary {
  engine: string;
  total: number;
  passed: number;
  failed: number;
}

export async function runVector(engine: Engine, v: LoadedVector): Promise<VectorOutcome> {
  const t0 = performance.now();
  try {
    const run = await engine.run(hexToBytes(v.job));
    const diffs = diffResult(v.expected, run);
    return { vector: v, passed: diffs.length === 0, diffs, run, ms: performance.now() - t0 };
  } catch (e) {
    return { vector: v, passed: false, diffs: [], engineError: (e as Error).message, ms: performance.now() - t0 };
  }
}

export function summarize(engine: string, outcomes: VectorOutcome[]): Summary {
  const passed = outcomes.filter((o) => o.passed).length;
  return { engine, total: outcomes.length, passed, failed: outcomes.length - passed };
}

export function formatFailure(o: VectorOutcome): string {
  const lines = [`FAIL ${o.vector.name}  (${o.vector.file})`];
  if (o.engineError) lines.push(`  engine error: ${o.engineError}`);
  for (const d of o.diffs) {
    lines.push(`  ${d.field}:`);
    lines.push(`    expected ${d.expected.length > 200 ? d.expected.slice(0, 200) + "…" : d.expected}`);
    lines.push(`    actual   ${d.actual.length > 200 ? d.actual.slice(0, 200) + "…" : d.actual}`);
  }
  return lines.join("\n");
}

/** Something that can make an engine (again, after a link failure): a resolved target, a test double. */
export interface SuiteTarget {
  name: string;
  create: () => Promise<Engine>;
}

export interface SuiteProgress {
  name: string;
  done: number;
  total: number;
  passed: number;
  failed: number;
  retries: number;
}

export interface SuiteRun {
  name: string;
  outcomes: VectorOutcome[];
  summary: Summary;
  /** Vectors run again on a fresh engine after an engine failure. */
  retries: number;
  seconds: number;
}

export interface SuiteOptions {
  /** Attempts per vector when the engine fails (link error, dead process); a wrong result is never retried. Default 1. */
  attempts?: number;
  onProgress?: (p: SuiteProgress) => void;
  onOutcome?: (name: string, o: VectorOutcome) => void;
}

/**
 * The suite in order on one engine. An engine failure closes the engine,
 * starts a fresh one (reboots a virtual board, reopens a port) and runs the
 * same vector again, up to `attempts` times; each vector is awaited in turn,
 * so a result is only ever recorded against the vector whose job produced it.
 */
export async function runSuite(target: SuiteTarget, vectors: readonly LoadedVector[], opts: SuiteOptions = {}): Promise<SuiteRun> {
  const t0 = performance.now();
  const attempts = opts.attempts ?? 1;
  if (!Number.isSafeInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${attempts}`);
  let engine: Engine | null = null;
  const outcomes: VectorOutcome[] = [];
  let retries = 0, passed = 0;
  try {
    for (const v of vectors) {
      let outcome: VectorOutcome | undefined;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (!engine) engine = await target.create();
        outcome = await runVector(engine, v);
        if (!outcome.engineError || attempt === attempts) break;
        retries++;
        await engine.close().catch(() => undefined);
        engine = null;
      }
      const o = outcome!;
      outcomes.push(o);
      if (o.passed) passed++;
      opts.onOutcome?.(target.name, o);
      opts.onProgress?.({ name: target.name, done: outcomes.length, total: vectors.length, passed, failed: outcomes.length - passed, retries });
    }
  } finally {
    await engine?.close().catch(() => undefined);
  }
  return { name: target.name, outcomes, summary: summarize(target.name, outcomes), retries, seconds: (performance.now() - t0) / 1000 };
}
