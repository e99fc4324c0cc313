/** Runs vectors on one engine and judges each result against its expectation. */
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
