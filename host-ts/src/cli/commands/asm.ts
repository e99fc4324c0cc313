/** mhr asm, mhr disasm, mhr run. */
import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { UserError } from "../../model/errors.ts";
import { collect, examples } from "../options.ts";
import { encodeContract, encodeJob } from "../../model/codec.ts";
import { bytesToHex } from "../../model/bytes.ts";
import { loadContract, buildJob, type JobFlags } from "../../jobs/contract-file.ts";
import { disassembleChecked } from "../../jobs/source.ts";
import { createEngine } from "../../engines/targets.ts";
import { expectedFromRun } from "../../vectors/format.ts";
import { TRAP_NAMES, ERRORCODE_NAMES, Status, CONTRACT_VERSION_OF_TABLE, DEFAULT_COST_TABLE } from "../../generated/opcodes.ts";
import { boardCounters, type EngineRun } from "../../model/engine.ts";


export interface DescribeOptions {
  /** What the cycle counter is called: "cycles" for MHR-Byte, "fuel" for the WASM tier. */
  counter?: string;
  trapName?: (code: number) => string;
  errorName?: (code: number) => string;
}

/** The human-readable result block `mhr run` and `mhr wasm run` print. */
export function describeRun(run: EngineRun, o: DescribeOptions = {}): string {
  const r = run.result;
  const e = expectedFromRun(run);
  const trap = o.trapName ?? ((c: number) => TRAP_NAMES[c] ?? "?");
  const err = o.errorName ?? ((c: number) => ERRORCODE_NAMES[c] ?? "?");
  const codeName = r.status === Status.TRAP ? ` ${trap(Number(r.code))}` : r.status === Status.INVALID ? ` ${err(Number(r.code))}` : "";
  const lines = [
    `status      ${e.status}${r.status === Status.HALT ? "" : ` (code ${e.code}${codeName})`}`,
    `${(o.counter ?? "cycles").padEnd(12)}${r.cycles}`,
    `returns     [${e.returns.join(", ")}]`,
  ];
  if (r.output.length) {
    const text = Buffer.from(r.output).toString("utf8");
    const printable = /^[\x20-\x7e\n\t]*$/.test(text);
    lines.push(`output      ${e.output}${printable ? `  "${text.replace(/\n/g, "\\n")}"` : ""}`);
  }
  for (const l of e.logs) lines.push(`log         ${l}`);
  for (const t of e.transfers) lines.push(`transfer    ${t.amount} -> ${t.to}`);
  lines.push(`state_hash  ${e.stateHash}`, `result_hash ${e.resultHash}`);
  if (run.cpuInstructions !== undefined) lines.push(`cpu_instret ${run.cpuInstructions}`);
  if (run.cpuCycles !== undefined) lines.push(`cpu_cycles  ${run.cpuCycles}`);
  if (run.cpuMicros !== undefined) lines.push(`cpu_us      ${run.cpuMicros}`);
  return lines.join("\n");
}

export function registerAsmCommands(program: Command): void {
  examples(program
    .command("asm")
    .description("assemble MHR-Byte source (.masm) into a contract package (.mhr, canonical CBOR)")
    .argument("<source>", "assembly file")
    .option("-o, --out <file>", "output file (default: <source> with .mhr)")
    .option("--hex", "print the package as hex instead of writing a file")
    .option("--cost-table <table>", `the cost table the package names when the source has no .costs (${Object.keys(CONTRACT_VERSION_OF_TABLE).join(", ")}; default ${DEFAULT_COST_TABLE})`)
    .action((source: string, opts: { out?: string; hex?: boolean; costTable?: string }) => {
      if (opts.costTable !== undefined && CONTRACT_VERSION_OF_TABLE[opts.costTable] === undefined) {
        throw new UserError(`--cost-table: unknown cost table ${opts.costTable}; tables: ${Object.keys(CONTRACT_VERSION_OF_TABLE).join(", ")}`);
      }
      const contract = loadContract(source, opts.costTable);
      const bytes = encodeContract(contract);
      if (opts.hex) {
        console.log(bytesToHex(bytes));
        return;
      }
      const out = opts.out ?? source.replace(/\.(m?asm)$/, "") + ".mhr";
      writeFileSync(out, bytes);
      console.log(`${out}: ${contract.code.length} bytes of code, ${contract.functions.length} function(s), hash ${bytesToHex(contract.hash)}`);
    }),
  "mhr asm examples/contracts/naming.masm",
  "mhr asm examples/contracts/gcounter.masm -o gcounter.mhr",
  "mhr asm prog.masm --hex");

  examples(program
    .command("disasm")
    .description("disassemble a contract package (.mhr) or assembly (.masm); the output re-assembles to the same bytes, or a warning and exit code 3 say it cannot")
    .argument("<contract>", "contract file")
    .action((file: string) => {
      const d = disassembleChecked(loadContract(file));
      process.stdout.write(d.text);
      if (d.roundTripProblem) {
        process.stderr.write(`mhr: warning: ${file}: the disassembly does not re-assemble to the same contract: ${d.roundTripProblem}\n`);
        process.exitCode = 3;
      }
    }),
  "mhr disasm naming.mhr",
  "mhr disasm naming.mhr > naming.masm && mhr asm naming.masm -o again.mhr && cmp naming.mhr again.mhr");

  examples(program
    .command("run")
    .description("run one function of a contract and print the result")
    .argument("<contract>", "contract package (.mhr) or assembly (.masm)")
    .requiredOption("--fn <name>", "function to call")
    .option("--args <list>", "comma-separated 64-bit integer arguments (repeatable)", collect)
    .option("--input <bytes>", "job input: hex, @file or text:…")
    .option("--sender <id>", "caller NodeID (16 bytes hex)")
    .option("--self <id>", "executing node's NodeID (16 bytes hex)")
    .option("--epoch <n>", "epoch number")
    .option("--balance <id=amount>", "balance snapshot entry (repeatable)", collect)
    .option("--state <file>", "prior state: JSON object of hex key -> hex value")
    .option("--engine <name>", "engine to run on", "reference")
    .option("--trace", "print one JSON line per executed instruction (EIP-3155 style)")
    .option("--json", "print the result as JSON")
    .option("--job-out <file>", "also write the job bytes to a file")
    .option("--cost-table <table>", `for assembly without .costs: the cost table the contract names (default ${DEFAULT_COST_TABLE})`)
    .action(async (file: string, opts: JobFlags & { engine: string; trace?: boolean; json?: boolean; jobOut?: string; costTable?: string }) => {
      if (opts.costTable !== undefined && CONTRACT_VERSION_OF_TABLE[opts.costTable] === undefined) {
        throw new UserError(`--cost-table: unknown cost table ${opts.costTable}; tables: ${Object.keys(CONTRACT_VERSION_OF_TABLE).join(", ")}`);
      }
      const contract = loadContract(file, opts.costTable);
      const jobBytes = encodeJob(buildJob(contract, opts));
      if (opts.jobOut) writeFileSync(opts.jobOut, jobBytes);
      const engine = await createEngine(opts.engine);
      try {
        const run = await engine.run(jobBytes, { trace: opts.trace });
        if (opts.trace) {
          if (!run.trace) throw new UserError(`engine ${opts.engine} does not trace; use --engine reference`);
          for (const s of run.trace) process.stdout.write(JSON.stringify(s) + "\n");
        }
        if (opts.json || opts.trace) console.log(JSON.stringify({ ...expectedFromRun(run), ...boardCounters(run) }));
        else console.log(describeRun(run));
        if (run.result.status !== Status.HALT) process.exitCode = 3;
      } finally {
        await engine.close();
      }
    }),
  "mhr run examples/contracts/naming.masm --fn register --input text:maryam --sender 000102030405060708090a0b0c0d0e0f",
  "mhr run prog.masm --fn main --args 3,4 --trace",
  "mhr run naming.mhr --fn resolve --input text:maryam --engine native --json");
}
