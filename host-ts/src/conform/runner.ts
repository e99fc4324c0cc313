/**
 * Conformance over any engine or board. Each board runs the suite in order on
 * its own engine; several boards run concurrently (a multi-device HIL rig).
 * A link failure retries the same vector on the same board, and a result is
 * only ever recorded against the vector whose job produced it (the protocol's
 * request ids guarantee that below us; here each vector is awaited in turn).
 */
import type { Engine } from "../model/engine.ts";
import { runVector, type VectorOutcome, type Summary, summarize } from "../vectors/run.ts";
import type { LoadedVector } from "../vectors/format.ts";

export interface BoardTarget {
  board: string;
  create: () => Promise<Engine>;
}

export interface BoardProgress {
  board: string;
  done: number;
  total: number;
  passed: number;
  failed: number;
  retries: number;
}

export interface BoardRun {
  board: string;
  outcomes: VectorOutcome[];
  summary: Summary;
  retries: number;
  seconds: number;
  engineInfo?: string;
}

export interface ConformOptions {
  /** Attempts per vector when the engine fails (link error, dead process); results never retry. */
  attempts?: number;
  onProgress?: (p: BoardProgress) => void;
  onOutcome?: (board: string, o: VectorOutcome) => void;
}

async function runBoard(target: BoardTarget, vectors: LoadedVector[], opts: ConformOptions): Promise<BoardRun> {
  const t0 = performance.now();
  const attempts = opts.attempts ?? 3;
  let engine: Engine | null = null;
  const outcomes: VectorOutcome[] = [];
  let retries = 0, passed = 0;
  try {
    for (const v of vectors) {
      let outcome: VectorOutcome | null = null;
      for (let attempt = 1; attempt <= attempts; attempt++) {
        if (!engine) engine = await target.create();
        outcome = await runVector(engine, v);
        if (!outcome.engineError) break;
        // The engine failed: start a fresh one (reboots a virtual board, reopens a port) and retry this vector.
        retries++;
        await engine.close().catch(() => {});
        engine = null;
      }
      outcomes.push(outcome!);
      if (outcome!.passed) passed++;
      opts.onOutcome?.(target.board, outcome!);
      opts.onProgress?.({ board: target.board, done: outcomes.length, total: vectors.length, passed, failed: outcomes.length - passed, retries });
    }
  } finally {
    await engine?.close().catch(() => {});
  }
  return { board: target.board, outcomes, summary: summarize(target.board, outcomes), retries, seconds: (performance.now() - t0) / 1000 };
}

export async function conform(targets: BoardTarget[], vectors: LoadedVector[], opts: ConformOptions = {}): Promise<BoardRun[]> {
  return Promise.all(targets.map((t) => runBoard(t, vectors, opts)));
}

