/**
 * Generates test-vectors/mhr-byte/*.json from the definitions in
 * test-vectors/defs/. Each job is run on the reference interpreter with a
 * trace (which gives the opcodes a vector covers); each definition's `expect`
 * — derived by hand from the SPEC — must agree with the reference or
 * generation fails. Output is deterministic: the same bytes every run.
 *   --check   write nothing; exit 1 if a committed file differs
 */
import { readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assemble } from "../host-ts/src/asm/index.ts";
import { encodeJob, makeContract } from "../host-ts/src/model/codec.ts";
import { bytesToHex } from "../host-ts/src/model/bytes.ts";
import { makeJob } from "../host-ts/src/model/job.ts";
import type { EngineRun } from "../host-ts/src/model/engine.ts";
import { expectationMismatches } from "../host-ts/src/vectors/expect.ts";
import { runJob } from "../host-ts/src/reference/index.ts";
import { costTableOfJob, expectedFromRun, type Vector, type VectorFile } from "../host-ts/src/vectors/format.ts";
import { TRAP_NAMES, ERRORCODE_NAMES, COST_TABLES, Trap, Status, intrinsicOf } from "../host-ts/src/generated/opcodes.ts";
import { DEF_FILES, V2_DEF_FILES } from "../test-vectors/defs/index.ts";
import { decodeStrict } from "../host-ts/src/model/cbor.ts";
import { intrinsicMeasureOf } from "../host-ts/src/model/intrinsic-measure.ts";
import { vectorJobParts, type VectorDef, type DefFile } from "../test-vectors/defs/lib.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "test-vectors/mhr-byte");

/** The job of a definition under cost table `costTable` (its contract version); `maxCycles` replaces the contract's limit. */
export function buildJobBytes(d: VectorDef, costTable = "v1", maxCycles?: number): Uint8Array {
  if (d.raw instanceof Uint8Array) return d.raw;
  if (!d.source) throw new Error(`${d.name}: needs source or raw`);
  // The unchecked assembler: vectors carry contracts that validation rejects on purpose.
  const c = assemble(d.source, { costTable });
  if (maxCycles !== undefined) c.maxCycles = maxCycles;
  if (d.contract) {
    d.contract(c);
    if (!d.keepHash) Object.assign(c, { hash: makeContract(c).hash });
  }
  const job = makeJob(c, vectorJobParts(d, c));
  d.mutate?.(job);
  const bytes = encodeJob(job);
  return typeof d.raw === "function" ? d.raw(bytes) : bytes;
}

/** Generous for any v2 twin (several VERIFY_VRF), well under MAX_CYCLES. */
const TWIN_CYCLES = 1_000_000_000;

/**
 * The max_cycles of a definition's v2 twin: the limit at which the twin ends
 * like its v1 vector — out of cycles at the same instruction (one short of
 * its charge), or HALTing with cycles == max_cycles — or TWIN_CYCLES.
 */
function twinCycles(d: VectorDef, v1: EngineRun): number {
  const r = v1.result;
  const trace = v1.trace ?? [];
  const outOfCycles = r.status === Status.TRAP && r.code === BigInt(Trap.OUT_OF_CYCLES);
  const exact = !outOfCycles && r.status !== Status.INVALID && r.cycles === limitOf(buildJobBytes(d, "v1"));
  if (!outOfCycles && !exact) return TWIN_CYCLES;
  // The v2 charge of every instruction the v1 vector charged (the trapping one charged nothing):
  // a limit of intrinsic + that sum leaves no cycle for the next instruction, whatever it costs.
  let work = 0;
  for (const step of trace) work += v2Charge(step.op, step.cost);
  // The intrinsic charge depends on the job's length, which depends on max_cycles: find the fixed point.
  let limit = work;
  for (let i = 0; i < 8; i++) {
    const next = work + intrinsicOfJob(buildJobBytes(d, "v2", limit));
    if (next === limit) return limit;
    limit = next;
  }
  throw new Error(`${d.name}: no stable max_cycles for the v2 twin`);
}

/**
 * The v2 charge of an instruction v1 charged `v1Cost` (0: it was not charged).
 * The units are the same in both tables, so a size-dependent v1 charge gives
 * the number of units: (cost - base) / per.
 */
function v2Charge(key: string, v1Cost: number): number {
  if (v1Cost === 0) return 0;
  const a = COST_TABLES.v1[key], b = COST_TABLES.v2[key];
  if (a.per === undefined || b.per === undefined) return b.base;
  if (a.unit !== b.unit) throw new Error(`${key}: v1 and v2 units differ; the twin's limit needs the operand size`);
  const units = (v1Cost - a.base) / a.per;
  if (!Number.isInteger(units) || units < 0) throw new Error(`${key}: v1 charge ${v1Cost} is not base + per × units`);
  return b.base + b.per * units;
}

/** The contract's max_cycles (contract field 4): the result does not carry it. */
function limitOf(job: Uint8Array): number {
  const m = decodeStrict(job) as Map<bigint, unknown>;
  return Number((m.get(1n) as Map<bigint, unknown>).get(4n) as bigint);
}

function intrinsicOfJob(job: Uint8Array): number {
  return intrinsicOf("v2", intrinsicMeasureOf(job));
}

/** The version-2 twins of a definition file (definitions with a source; raw jobs have no contract to re-version). */
export function generateTwins(def: DefFile): VectorFile {
  const vectors: Vector[] = [];
  for (const d of def.vectors) {
    if (!d.source || d.raw !== undefined) continue;
    const v1 = runJob(buildJobBytes(d, "v1"), { trace: true });
    if (v1.result.status === Status.INVALID) continue;
    const job = buildJobBytes(d, "v2", twinCycles(d, v1));
    const run = runJob(job, { trace: true });
    const ops = [...new Set((run.trace ?? []).map((s) => s.op))].sort();
    const expected = expectedFromRun(run);
    vectors.push({
      name: `v2/${def.category}/${d.name}`,
      description: `${d.description} (contract version 2: table v2 and the intrinsic charge)`,
      covers: {
        opcodes: [...new Set([...ops, ...(d.covers?.opcodes ?? [])])].sort(),
        traps: expected.status === "TRAP" ? [TRAP_NAMES[Number(expected.code)]] : [],
        errors: expected.status === "INVALID" ? [ERRORCODE_NAMES[Number(expected.code)]] : [],
      },
      ...(d.sourceNote ? { source: d.sourceNote } : { source: d.source }),
      costTable: "v2",
      job: bytesToHex(job),
      expected,
    });
  }
  return { format: "mhr-vectors/1", tier: "mhr-byte", category: `v2-${def.category}`, description: `${def.description}, as contract version 2 (cost table v2 and the intrinsic charge)`, vectors };
}

function check(d: VectorDef, run: EngineRun): void {
  const wrong = d.expect ? expectationMismatches(d.expect, run) : [];
  if (wrong.length) throw new Error(`${d.name}: SPEC expectation failed (the reference disagrees): ${wrong.join("; ")}`);
}

export function generate(def: DefFile, costTable = "v1"): VectorFile {
  const vectors: Vector[] = def.vectors.map((d) => {
    const job = buildJobBytes(d, costTable);
    const run = runJob(job, { trace: true });
    const ops = [...new Set((run.trace ?? []).map((s) => s.op))].sort();
    const expected = expectedFromRun(run);
    const v: Vector = {
      name: `${def.category}/${d.name}`,
      description: d.description,
      covers: {
        opcodes: [...new Set([...ops, ...(d.covers?.opcodes ?? [])])].sort(),
        traps: expected.status === "TRAP" ? [TRAP_NAMES[Number(expected.code)]] : [],
        errors: expected.status === "INVALID" ? [ERRORCODE_NAMES[Number(expected.code)]] : [],
      },
      ...(d.sourceNote ? { source: d.sourceNote } : d.source ? { source: d.source } : {}),
      ...(costTable !== "v1" ? { costTable: costTableOfJob(job) } : {}),
      job: bytesToHex(job),
      expected,
    };
    check(d, run);
    return v;
  });
  return { format: "mhr-vectors/1", tier: "mhr-byte", category: def.category, description: def.description, vectors };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const checkOnly = process.argv.includes("--check");
  mkdirSync(outDir, { recursive: true });
  let stale = 0, total = 0;
  const written = new Set<string>();
  const files: VectorFile[] = [];
  const defs = await DEF_FILES();
  for (const def of defs) files.push(generate(def));
  // Version-2 twins of every category whose vectors run code (validation's are about the job's bytes).
  for (const def of defs) if (def.category !== "validation") files.push(generateTwins(def));
  for (const def of await V2_DEF_FILES()) files.push(generate(def, "v2"));
  for (const file of files) {
    total += file.vectors.length;
    const path = join(outDir, `${file.category}.json`);
    written.add(`${file.category}.json`);
    const text = JSON.stringify(file, null, 1) + "\n";
    const old = existsSync(path) ? readFileSync(path, "utf8") : "";
    if (old === text) continue;
    if (checkOnly) { console.error(`stale: test-vectors/mhr-byte/${file.category}.json`); stale++; }
    else { writeFileSync(path, text); console.log(`wrote test-vectors/mhr-byte/${file.category}.json (${file.vectors.length} vectors)`); }
  }
  for (const f of readdirSync(outDir)) {
    if (!written.has(f)) {
      if (checkOnly) { console.error(`stale: test-vectors/mhr-byte/${f} has no definition`); stale++; }
      else unlinkSync(join(outDir, f));
    }
  }
  console.log(`${total} vectors${checkOnly ? (stale ? `, ${stale} stale file(s): run npm run vectors:gen` : ", all up to date") : ""}`);
  if (stale) process.exit(1);
}
