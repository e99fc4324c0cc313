/** The mhr-vectors/1 file format (test-vectors/README.md). */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex } from "../model/bytes.ts";
import { STATUS_NAMES, Status } from "../generated/opcodes.ts";
import { hash32 } from "../model/codec.ts";
import type { EngineRun } from "../model/engine.ts";
import type { Result, StateMap } from "../model/types.ts";

export const VECTORS_DIR = fileURLToPath(new URL("../../../test-vectors/", import.meta.url));

export interface Covers { opcodes: string[]; traps: string[]; errors: string[] }

export interface ExpectedResult {
  status: string;
  code: string;
  cycles: number;
  returns: string[];
  output: string;
  logs: string[];
  transfers: { to: string; amount: string }[];
  stateHash: string;
  state?: Record<string, string>;
  result: string;
  resultHash: string;
}

export interface Vector {
  name: string;
  description: string;
  covers: Covers;
  source?: string;
  job: string;
  expected: ExpectedResult;
}

export interface VectorFile {
  format: "mhr-vectors/1";
  tier: "mhr-byte" | "wasm";
  category: string;
  description: string;
  vectors: Vector[];
}

export interface LoadedVector extends Vector {
  file: string;
  tier: VectorFile["tier"];
}

export function expectedFromRun(run: Pick<EngineRun, "result" | "resultBytes" | "state">): ExpectedResult {
  const r = run.result;
  const e: ExpectedResult = {
    status: STATUS_NAMES[r.status],
    code: r.code.toString(),
    cycles: r.cycles,
    returns: r.returns.map(String),
    output: bytesToHex(r.output),
    logs: r.logs.map(bytesToHex),
    transfers: r.transfers.map((t) => ({ to: bytesToHex(t.to), amount: t.amount.toString() })),
    stateHash: bytesToHex(r.stateHash),
    result: bytesToHex(run.resultBytes),
    resultHash: bytesToHex(hash32(run.resultBytes)),
  };
  if (run.state && r.status !== Status.INVALID) e.state = stateToJson(run.state);
  return e;
}

export function stateToJson(s: StateMap): Record<string, string> {
  return Object.fromEntries([...s.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, bytesToHex(v)]));
}

/** Directories under test-vectors/ that hold no vector files: the definitions and the upstream test data they are built from. */
const NOT_VECTORS: ReadonlySet<string> = new Set(["defs", "upstream"]);

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (!NOT_VECTORS.has(name)) out.push(...walk(p));
    } else if (name.endsWith(".json")) out.push(p);
  }
  return out;
}

export function loadVectorFiles(dir = VECTORS_DIR): { path: string; file: VectorFile }[] {
  return walk(dir).map((path) => {
    let file: VectorFile;
    try {
      file = JSON.parse(readFileSync(path, "utf8")) as VectorFile;
    } catch (e) {
      throw new Error(`${relative(process.cwd(), path)}: not valid JSON (${(e as Error).message})`);
    }
    if (file.format !== "mhr-vectors/1" || !Array.isArray(file.vectors)) {
      throw new Error(`${relative(process.cwd(), path)}: not an mhr-vectors/1 file`);
    }
    return { path, file };
  });
}

export function loadVectors(opts: { tier?: VectorFile["tier"]; filter?: string; dir?: string } = {}): LoadedVector[] {
  const all: LoadedVector[] = [];
  const names = new Set<string>();
  for (const { path, file } of loadVectorFiles(opts.dir)) {
    if (opts.tier && file.tier !== opts.tier) continue;
    for (const v of file.vectors) {
      if (names.has(v.name)) throw new Error(`duplicate vector name ${v.name} (${path})`);
      names.add(v.name);
      if (opts.filter && !matchesFilter(v.name, opts.filter)) continue;
      all.push({ ...v, file: relative(VECTORS_DIR, path), tier: file.tier });
    }
  }
  return all;
}

/** A filter is a substring, or a glob with * (e.g. "crypto/*sig*"). */
export function matchesFilter(name: string, filter: string): boolean {
  if (!filter.includes("*")) return name.includes(filter);
  const re = new RegExp("^" + filter.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*") + "$");
  return re.test(name);
}

export interface FieldDiff { field: string; expected: string; actual: string }

/** Field-by-field differences between an expected result and an engine's run, for readable reports. */
export function diffResult(expected: ExpectedResult, run: Pick<EngineRun, "result" | "resultBytes" | "state">): FieldDiff[] {
  const actual = expectedFromRun(run);
  const diffs: FieldDiff[] = [];
  const keys: (keyof ExpectedResult)[] = ["status", "code", "cycles", "returns", "output", "logs", "transfers", "stateHash"];
  for (const k of keys) {
    const a = JSON.stringify(actual[k]);
    const e = JSON.stringify(expected[k]);
    if (a !== e) diffs.push({ field: k, expected: e, actual: a });
  }
  if (expected.state && actual.state) {
    const a = JSON.stringify(actual.state), e = JSON.stringify(expected.state);
    if (a !== e) diffs.push({ field: "state", expected: e, actual: a });
  }
  if (!diffs.length && actual.result !== expected.result) diffs.push({ field: "result", expected: expected.result, actual: actual.result });
  return diffs;
}

export function passes(expected: ExpectedResult, run: Pick<EngineRun, "result" | "resultBytes" | "state">): boolean {
  return diffResult(expected, run).length === 0 && bytesToHex(run.resultBytes) === expected.result;
}

export type { Result };
