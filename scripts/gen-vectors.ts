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
import type { Job } from "../host-ts/src/model/types.ts";
import { runJob } from "../host-ts/src/reference/index.ts";
import { expectedFromRun, type Vector, type VectorFile } from "../host-ts/src/vectors/format.ts";
import { TRAP_NAMES, ERRORCODE_NAMES } from "../host-ts/src/generated/opcodes.ts";
import { DEF_FILES } from "../test-vectors/defs/index.ts";
import { SENDER, SELF, type VectorDef, type DefFile } from "../test-vectors/defs/lib.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const outDir = join(root, "test-vectors/mhr-byte");

export function buildJobBytes(d: VectorDef): Uint8Array {
  if (d.raw instanceof Uint8Array) return d.raw;
  if (!d.source) throw new Error(`${d.name}: needs source or raw`);
  const c = assemble(d.source);
  if (d.contract) {
    d.contract(c);
    if (!d.keepHash) Object.assign(c, { hash: makeContract(c).hash });
  }
  const balances = new Map<string, bigint>(Object.entries(d.balances ?? { [bytesToHex(SELF)]: 1000n }));
  const job: Job = {
    version: 1,
    contract: c,
    function: d.fn ?? c.functions[0]?.name ?? "main",
    args: d.args ?? [],
    input: d.input ?? new Uint8Array(),
    context: { sender: d.sender ?? SENDER, self: d.self ?? SELF, epoch: d.epoch ?? 7n, balances },
    state: d.state ?? new Map(),
  };
  d.mutate?.(job);
  const bytes = encodeJob(job);
  return typeof d.raw === "function" ? d.raw(bytes) : bytes;
}

function check(d: VectorDef, v: Vector): void {
  const e = d.expect;
  if (!e) return;
  const x = v.expected;
  const fail = (what: string, want: unknown, got: unknown) => {
    throw new Error(`${d.name}: SPEC expectation failed on ${what}: expected ${String(want)}, reference gave ${String(got)}`);
  };
  if (e.status && e.status !== x.status) fail("status", e.status, `${x.status} ${x.code}`);
  if (e.code !== undefined) {
    const got = x.status === "TRAP" ? TRAP_NAMES[Number(x.code)] : x.status === "INVALID" ? ERRORCODE_NAMES[Number(x.code)] : x.code;
    if (got !== e.code) fail("code", e.code, got);
  }
  if (e.returns && e.returns.map(String).join(",") !== x.returns.join(",")) fail("returns", e.returns.join(","), x.returns.join(","));
  if (e.cycles !== undefined && e.cycles !== x.cycles) fail("cycles", e.cycles, x.cycles);
  if (e.output !== undefined && e.output !== x.output) fail("output", e.output, x.output);
  if (e.logs && JSON.stringify(e.logs) !== JSON.stringify(x.logs)) fail("logs", e.logs, x.logs);
  if (e.transfers && JSON.stringify(e.transfers.map((t) => ({ to: t.to, amount: String(t.amount) }))) !== JSON.stringify(x.transfers)) fail("transfers", JSON.stringify(e.transfers.map((t) => [t.to, String(t.amount)])), JSON.stringify(x.transfers));
  const sorted = (o: Record<string, string> | undefined) => JSON.stringify(Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  if (e.state && sorted(e.state) !== sorted(x.state)) fail("state", sorted(e.state), sorted(x.state));
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
    check(d, v);
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
