/** mhr wasm run | inspect | pack — the WASM tier (docs/WASM.md). */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { UserError } from "../../model/errors.ts";
import { collect, examples, nonNegativeInt, positiveInt } from "../options.ts";
import { CONTRACT_VERSION_OF_TABLE, Status } from "../../generated/opcodes.ts";
import { buildJob, type JobFlags } from "../../jobs/contract-file.ts";
import { bytesToHex } from "../../model/bytes.ts";
import { expectedFromRun } from "../../vectors/format.ts";
import { createWasmTierEngine } from "../../engines/wasm-tier-engine.ts";
import type { EngineRun } from "../../model/engine.ts";
import { Sandbox } from "../../wasm-tier/sandbox.ts";
import { formatInspect, type InspectReport } from "../../wasm-tier/inspect.ts";
import { decodeWasmContract, encodeWasmContract, encodeWasmJob, makeWasmContract, type WasmContract } from "../../wasm-tier/job.ts";
import { describeRun } from "./asm.ts";
import { errorName, trapName } from "../../wasm-tier/constants.ts";
import { TIERS, type NodeTier, type WasmTierValue } from "../../generated/wasm-tier.ts";

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

function readFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === "ENOENT" ? `no such file: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
}

function tierOf(v: string | undefined, what: string, dflt: WasmTierValue): WasmTierValue {
  if (v === undefined) return dflt;
  if (v === "light" || v === "1") return 1;
  if (v === "full" || v === "2") return 2;
  throw new UserError(`${what}: expected light or full, got "${v}"`, 2);
}

function nodeTierOf(v: string | undefined): NodeTier {
  return TIERS[tierOf(v, "--node-tier", 2)].name;
}


async function inspectCode(code: Uint8Array): Promise<InspectReport> {
  const sb = new Sandbox();
  try {
    return await sandboxed(() => sb.inspect(code));
  } finally {
    await sb.close();
  }
}

async function sandboxed<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

export interface PackFlags { tier?: string; maxMemory?: number; maxCycles?: number; maxStateSize?: number; fn?: string[]; costTable?: string }

/**
 * A .wasm file becomes a contract whose function table lists every callable
 * export (or those named with --fn NAME:ARGS:RETS); anything else must be a
 * WASM contract package.
 */
export async function loadWasmContract(path: string, f: PackFlags): Promise<WasmContract> {
  const bytes = readFile(path);
  const isModule = WASM_MAGIC.every((b, i) => bytes[i] === b);
  if (!isModule) {
    try {
      return decodeWasmContract(bytes);
    } catch (e) {
      throw new UserError(`${path}: neither a WebAssembly module nor a WASM contract package (${(e as Error).message})`);
    }
  }
  const tier = tierOf(f.tier, "--tier", 1);
  let functions: { name: string; args: number; rets: number }[];
  if (f.fn?.length) {
    functions = f.fn.map((spec) => {
      const m = /^([^:]+):(\d+):(\d+)$/.exec(spec);
      if (!m) throw new UserError(`--export: expected NAME:ARGS:RETS, got "${spec}"`, 2);
      return { name: m[1], args: Number(m[2]), rets: Number(m[3]) };
    });
  } else {
    const report = await inspectCode(bytes);
    if (!report.valid) throw new UserError(`${path}: ${report.error!.name}: ${report.error!.message}`);
    functions = report.callable.slice(0, 32);
    if (!functions.length) throw new UserError(`${path}: no export takes and returns only i64; nothing to call`);
  }
  let version: number | undefined;
  if (f.costTable !== undefined) {
    version = CONTRACT_VERSION_OF_TABLE[f.costTable];
    if (version === undefined) throw new UserError(`--cost-table: unknown cost table ${f.costTable}; tables: ${Object.keys(CONTRACT_VERSION_OF_TABLE).join(", ")}`);
  }
  return makeWasmContract({
    code: bytes, wasmTier: tier, functions,
    maxMemory: f.maxMemory, maxCycles: f.maxCycles, maxStateSize: f.maxStateSize,
    ...(version !== undefined ? { version } : {}),
  });
}

export function describeWasmRun(run: EngineRun): string {
  const lines = [describeRun(run, { counter: "fuel", trapName, errorName })];
  const outcome = run.outcome ?? "result";
  if (outcome !== "result") lines.push(`outcome     ${outcome.toUpperCase()}${run.delegate ? ` (contract tier ${run.delegate.contractTier}, node tier ${run.delegate.nodeTier})` : ""}: not a consensus result`);
  if (run.message && run.result.status !== Status.HALT) lines.push(`detail      ${run.message}`);
  return lines.join("\n");
}

export function registerWasmCommands(program: Command): void {
  const wasm = program.command("wasm").description("the WASM tier: run and inspect WebAssembly contracts (docs/WASM.md)");
  examples(wasm, "mhr wasm run examples/wasm/bin/gcounter.wasm --fn increment --args 3", "mhr wasm inspect examples/wasm/bin/gcounter.wasm");

  examples(wasm
    .command("run")
    .description("run one exported function of a WebAssembly contract in the fuel-metered sandbox")
    .argument("<contract>", "a .wasm module (function table from its i64 exports) or a WASM contract package")
    .requiredOption("--fn <name>", "function to call")
    .option("--args <list>", "comma-separated 64-bit integer arguments (repeatable)", collect)
    .option("--tier <tier>", "the contract's wasm_tier when packaging a .wasm: light or full", "light")
    .option("--node-tier <tier>", "this node's own tier (contracts above it get the delegate outcome)", "full")
    .option("--input <bytes>", "job input: hex, @file or text:…")
    .option("--sender <id>", "caller NodeID (16 bytes hex)")
    .option("--self <id>", "executing node's NodeID (16 bytes hex)")
    .option("--epoch <n>", "epoch number")
    .option("--balance <id=amount>", "balance snapshot entry (repeatable)", collect)
    .option("--state <file>", "prior state: JSON object of hex key -> hex value")
    .option("--max-memory <bytes>", "max_memory (default: the tier's limit)", nonNegativeInt)
    .option("--max-cycles <fuel>", "max_cycles (default: the tier's limit)", nonNegativeInt)
    .option("--max-state-size <bytes>", "max_state_size (default 65536)", nonNegativeInt)
    .option("--cost-table <table>", "when packaging a .wasm: the cost table its host functions charge (contract version; default v2)")
    .option("--export <name:args:rets>", "function-table entry instead of the callable exports (repeatable)", collect)
    .option("--wall-clock <ms>", "override the tier's wall-clock limit", positiveInt)
    .option("--json", "print the result as JSON")
    .option("--state-out <file>", "write the final state (JSON) after a HALT")
    .option("--job-out <file>", "also write the job bytes to a file")
    .action(async (file: string, opts: JobFlags & PackFlags & { nodeTier?: string; export?: string[]; wallClock?: number; json?: boolean; stateOut?: string; jobOut?: string }) => {
      const contract = await loadWasmContract(file, { ...opts, fn: opts.export });
      if (!contract.functions.some((f) => f.name === opts.fn)) {
        throw new UserError(`${file}: no callable function "${opts.fn}"; callable: ${contract.functions.map((f) => f.name).join(", ")}`);
      }
      const job = buildJob(contract, opts);
      const jobBytes = encodeWasmJob({ ...job, contract });
      if (opts.jobOut) writeFileSync(opts.jobOut, jobBytes);
      const engine = createWasmTierEngine({ nodeTier: nodeTierOf(opts.nodeTier), ...(opts.wallClock !== undefined ? { wallClockMs: opts.wallClock } : {}) });
      try {
        const run = await sandboxed(() => engine.run(jobBytes));
        console.log(opts.json ? JSON.stringify({ ...expectedFromRun(run), outcome: run.outcome ?? "result", ...(run.message ? { detail: run.message } : {}) }) : describeWasmRun(run));
        if (opts.stateOut && run.result.status === Status.HALT && run.state) {
          writeFileSync(opts.stateOut, JSON.stringify(Object.fromEntries([...run.state.entries()].sort().map(([k, v]) => [k, bytesToHex(v)])), null, 2) + "\n");
        }
        if (run.outcome === "delegate") process.exitCode = 4;
        else if (run.result.status !== Status.HALT) process.exitCode = 3;
      } finally {
        await engine.close();
      }
    }),
  "mhr wasm run examples/wasm/bin/gcounter.wasm --fn increment --args 3",
  "mhr wasm run contract.mhrw --fn main --node-tier light --json");

  examples(wasm
    .command("inspect")
    .description("show a module's imports, memory, tier fit and instrumentation statistics")
    .argument("<module>", "a .wasm module or a WASM contract package")
    .option("--json", "print the report as JSON")
    .action(async (file: string, opts: { json?: boolean }) => {
      const bytes = readFile(file);
      const code = WASM_MAGIC.every((b, i) => bytes[i] === b) ? bytes : (() => {
        try {
          return decodeWasmContract(bytes).code;
        } catch (e) {
          throw new UserError(`${file}: neither a WebAssembly module nor a WASM contract package (${(e as Error).message})`);
        }
      })();
      const report = await inspectCode(code);
      console.log(opts.json ? JSON.stringify(report) : formatInspect(report));
      if (!report.valid) process.exitCode = 1;
    }),
  "mhr wasm inspect examples/wasm/bin/gcounter.wasm",
  "mhr wasm inspect contract.mhrw --json");

  examples(wasm
    .command("pack")
    .description("package a .wasm module as a WASM contract (SPEC §5 map with key 8 = wasm_tier)")
    .argument("<module>", ".wasm module")
    .option("--tier <tier>", "wasm_tier: light or full", "light")
    .option("--max-memory <bytes>", "max_memory (default: the tier's limit)", nonNegativeInt)
    .option("--max-cycles <fuel>", "max_cycles (default: the tier's limit)", nonNegativeInt)
    .option("--max-state-size <bytes>", "max_state_size (default 65536)", nonNegativeInt)
    .option("--cost-table <table>", "when packaging a .wasm: the cost table its host functions charge (contract version; default v2)")
    .option("--export <name:args:rets>", "function-table entry (repeatable; default: every callable export)", collect)
    .option("-o, --out <file>", "output file (default: <module> with .mhrw)")
    .action(async (file: string, opts: PackFlags & { export?: string[]; out?: string }) => {
      const contract = await loadWasmContract(file, { ...opts, fn: opts.export });
      const out = opts.out ?? file.replace(/\.wasm$/, "") + ".mhrw";
      writeFileSync(out, encodeWasmContract(contract));
      console.log(`${out}: ${contract.code.length}-byte module, ${TIERS[contract.wasmTier].name} tier, functions ${contract.functions.map((f) => `${f.name}(${f.args})${f.rets ? "->i64" : ""}`).join(", ")}, hash ${bytesToHex(contract.hash)}`);
    }),
  "mhr wasm pack examples/wasm/bin/gcounter.wasm --tier light -o gcounter.mhrw",
  "mhr wasm pack module.wasm --export main:0:1 --max-cycles 1000000");
}
