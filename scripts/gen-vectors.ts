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
import { expectedFromRun, type Vector, type VectorFile } from "../host-ts/src/vectors/format.ts";
import { TRAP_NAMES, ERRORCODE_NAMES } from "../host-ts/src/generated/opcodes.ts";
import { DEF_FILES } from "../test-vectors/defs/index.ts";
import { vectorJobParts, type VectorDef, type DefFile } from "../test-vectors/defs/lib.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "test-vectors/mhr-byte");

export function buildJobBytes(d: VectorDef): Uint8Array {
  if (d.raw instanceof Uint8Array) return d.raw;
  if (!d.source) throw new Error(`${d.name}: needs source or raw`);
  // The unchecked assembler: vectors carry contracts that validation rejects on purpose.
  const c = assemble(d.source);
  if (d.contract) {
    d.contract(c);
    if (!d.keepHash) Object.assign(c, { hash: makeContract(c).hash });
  }
  const job = makeJob(c, vectorJobParts(d, c));
  d.mutate?.(job);
  const bytes = encodeJob(job);
  return typeof d.raw === "function" ? d.raw(bytes) : bytes;
}

function check(d: VectorDef, run: EngineRun): void {
  const wrong = d.expect ? expectationMismatches(d.expect, run) : [];
  if (wrong.length) throw new Error(`${d.name}: SPEC expectation failed (the reference disagrees): ${wrong.join("; ")}`);
}

export function generate(def: DefFile): VectorFile {
  const vectors: Vector[] = def.vectors.map((d) => {
    const job = buildJobBytes(d);
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
  for (const def of await DEF_FILES()) {
    const file = generate(def);
    total += file.vectors.length;
    const path = join(outDir, `${def.category}.json`);
    written.add(`${def.category}.json`);
    const text = JSON.stringify(file, null, 1) + "\n";
    const old = existsSync(path) ? readFileSync(path, "utf8") : "";
    if (old === text) continue;
    if (checkOnly) { console.error(`stale: test-vectors/mhr-byte/${def.category}.json`); stale++; }
    else { writeFileSync(path, text); console.log(`wrote test-vectors/mhr-byte/${def.category}.json (${file.vectors.length} vectors)`); }
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
