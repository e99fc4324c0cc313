/** The mhr-vectors/1 file format (test-vectors/README.md). */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToHex, hexToBytes } from "../model/bytes.ts";
import { decodeStrict, isMap, isUint } from "../model/cbor.ts";
import { z } from "zod";
import { STATUS_NAMES, Status, costTableNameOf, type StatusName } from "../generated/opcodes.ts";
import type { EngineRun } from "../model/engine.ts";
import type { Result, StateMap } from "../model/types.ts";

export const VECTORS_DIR = fileURLToPath(new URL("../../../test-vectors/", import.meta.url));

const hex = z.string().regex(/^(?:[0-9a-f]{2})*$/, "must be lower-case hex");
const hash = hex.length(64, "must be 32 bytes of hex");
const integer = z.string().regex(/^-?(0|[1-9]\d*)$/, "must be a decimal integer");
const STATUS = Object.values(STATUS_NAMES) as [StatusName, ...StatusName[]];

const CoversSchema = z.strictObject({ opcodes: z.array(z.string()), traps: z.array(z.string()), errors: z.array(z.string()) });

/** A vector's expectation: the result an engine must give, field by field, and its exact bytes. */
const ExpectedResultSchema = z.strictObject({
  status: z.enum(STATUS),
  code: integer,
  cycles: z.number().int().nonnegative(),
  returns: z.array(integer),
  output: hex,
  logs: z.array(hex),
  transfers: z.array(z.strictObject({ to: hex, amount: integer })),
  stateHash: hash,
  state: z.record(hex, hex).optional(),
  result: hex,
  resultHash: hash,
});

const VectorSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string(),
  covers: CoversSchema,
  source: z.string().optional(),
  /** The cost table the job's contract version names (SPEC §5); when absent it is derived from the job. */
  costTable: z.string().optional(),
  job: hex,
  expected: ExpectedResultSchema,
});

/** The mhr-vectors/1 file (test-vectors/README.md), checked before any vector in it is used. */
export const VectorFileSchema = z.strictObject({
  format: z.literal("mhr-vectors/1"),
  tier: z.enum(["mhr-byte", "wasm"]),
  category: z.string(),
  description: z.string(),
  vectors: z.array(VectorSchema),
});

export type Covers = z.infer<typeof CoversSchema>;
export type ExpectedResult = z.infer<typeof ExpectedResultSchema>;
export type Vector = z.infer<typeof VectorSchema>;
export type VectorFile = z.infer<typeof VectorFileSchema>;

/** The first problems of a file that is not an mhr-vectors/1 file, as one line ("vectors[3] (alu/add): expected.cycles: …"). */
export function vectorFileProblems(raw: unknown): string | undefined {
  const parsed = VectorFileSchema.safeParse(raw);
  if (parsed.success) return undefined;
  const vectors = (raw as { vectors?: { name?: unknown }[] } | null)?.vectors;
  const where = (path: PropertyKey[]): string => {
    if (path[0] === "vectors" && typeof path[1] === "number") {
      const name = Array.isArray(vectors) ? vectors[path[1]]?.name : undefined;
      const rest = path.slice(2).join(".");
      return `vectors[${path[1]}]${typeof name === "string" ? ` (${name})` : ""}${rest ? `: ${rest}` : ""}`;
    }
    return path.length ? path.join(".") : "the file";
  };
  const issues = parsed.error.issues;
  const shown = issues.slice(0, 3).map((i) => `${where(i.path)}: ${i.message}`);
  return shown.join("; ") + (issues.length > 3 ? `; and ${issues.length - 3} more` : "");
}

export interface LoadedVector extends Vector {
  file: string;
  tier: VectorFile["tier"];
  /** The cost table the vector runs under: its contract version's (SPEC §5), or "none" for a job without a supported one. */
  table: string;
}

/** The cost table a job's contract names (contract field 0, SPEC §5), or "none" when the bytes have no supported version. */
export function costTableOfJob(job: Uint8Array): string {
  try {
    const j = decodeStrict(job);
    const c = isMap(j) ? j.get(1n) : undefined;
    const v = c !== undefined && isMap(c) ? c.get(0n) : undefined;
    return (v !== undefined && isUint(v) && v <= 0xffffn ? costTableNameOf(Number(v)) : undefined) ?? "none";
  } catch {
    return "none";
  }
}

export function expectedFromRun(run: Pick<EngineRun, "result" | "resultBytes" | "resultHash" | "state">): ExpectedResult {
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
    resultHash: bytesToHex(run.resultHash),
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
    const shown = relative(process.cwd(), path) || path;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      throw new Error(`${shown}: not valid JSON (${(e as Error).message})`);
    }
    const problems = vectorFileProblems(raw);
    if (problems !== undefined) throw new Error(`${shown}: not an mhr-vectors/1 file: ${problems}`);
    return { path, file: raw as VectorFile };
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
      const table = costTableOfJob(hexToBytes(v.job));
      if (v.costTable !== undefined && v.costTable !== table) throw new Error(`${v.name} (${path}): states cost table ${v.costTable} but its contract version names ${table}`);
      all.push({ ...v, file: relative(VECTORS_DIR, path), tier: file.tier, table });
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
export function diffResult(expected: ExpectedResult, run: Pick<EngineRun, "result" | "resultBytes" | "resultHash" | "state">): FieldDiff[] {
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

export function passes(expected: ExpectedResult, run: Pick<EngineRun, "result" | "resultBytes" | "resultHash" | "state">): boolean {
  return diffResult(expected, run).length === 0 && bytesToHex(run.resultBytes) === expected.result;
}

export type { Result };
