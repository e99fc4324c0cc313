/**
 * Conformance over engines and boards: the shared suite runner
 * (vectors/run.ts) on every target at once — a multi-device HIL rig runs its
 * boards in parallel — and the reports: one JSON file per target and one
 * JUnit XML for CI.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runSuite, type SuiteOptions, type SuiteRun, type SuiteTarget } from "../vectors/run.ts";
import type { LoadedVector } from "../vectors/format.ts";
import { makeOutputDir } from "../model/output-dir.ts";
import { junitXml } from "./junit.ts";
import { boardCounters } from "../model/engine.ts";

export async function conform(targets: readonly SuiteTarget[], vectors: readonly LoadedVector[], opts: SuiteOptions = {}): Promise<SuiteRun[]> {
  return Promise.all(targets.map((t) => runSuite(t, vectors, opts)));
}

/** Writes `<name>.json` per run and `junit.xml` into `dir` (created if missing); returns the files written. */
export function writeReports(runs: readonly SuiteRun[], dir: string): string[] {
  makeOutputDir(dir);
  const files: string[] = [];
  for (const r of runs) {
    const file = join(dir, `${r.name}.json`);
    writeFileSync(file, JSON.stringify({
      board: r.name, summary: r.summary, retries: r.retries, seconds: r.seconds,
      results: r.outcomes.map((o) => ({
        name: o.vector.name, passed: o.passed, ms: Math.round(o.ms * 1000) / 1000,
        ...(o.run ? boardCounters(o.run) : {}),
        ...(o.engineError ? { engineError: o.engineError } : {}),
        ...(o.diffs.length ? { diffs: o.diffs } : {}),
      })),
    }, null, 1) + "\n");
    files.push(file);
  }
  const junit = join(dir, "junit.xml");
  writeFileSync(junit, junitXml(runs.map((r) => ({ board: r.name, outcomes: r.outcomes, seconds: r.seconds }))));
  return [junit, ...files];
}
