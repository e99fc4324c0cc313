/** mhr vectors check | coverage */
import type { Command } from "commander";
import { UserError } from "../../model/errors.ts";
import { loadVectors, type LoadedVector } from "../../vectors/format.ts";
import { runSuite, formatFailure } from "../../vectors/run.ts";
import { coverage, formatCoverage } from "../../vectors/coverage.ts";
import { resolveTarget } from "../../engines/targets.ts";
import { examples } from "../options.ts";

/** Vector files are checked against their format as they load: a bad one is a one-line error naming file, vector and field. */
export function loadVectorsOrFail(opts: { tier?: "mhr-byte" | "wasm"; filter?: string }): LoadedVector[] {
  let list: LoadedVector[];
  try {
    list = loadVectors(opts);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  if (!list.length) throw new UserError(`no ${opts.tier ?? ""} vectors${opts.filter ? ` match "${opts.filter}"` : ""}`.replace("  ", " "));
  return list;
}

/** A progress counter on stderr, for terminals only. */
export function ttyCounter(total: number): { tick: (done: number) => void; end: () => void } {
  let last = 0;
  const on = process.stderr.isTTY === true;
  return {
    tick: (done) => { if (on && Date.now() - last > 250) { process.stderr.write(`\r${done}/${total}`); last = Date.now(); } },
    end: () => { if (on) process.stderr.write("\r"); },
  };
}

export function registerVectorCommands(program: Command): void {
  const vectors = program.command("vectors").description("conformance vectors: check an engine, show coverage");
  examples(vectors, "mhr vectors check --engine as", "mhr vectors coverage");

  examples(vectors
    .command("check")
    .description("run every vector on an engine; ends with a one-line JSON summary")
    .option("--engine <name>", "engine (or a board that needs no serial port)", "reference")
    .option("--filter <pattern>", "only vectors whose name contains the pattern (or matches a * glob)")
    .option("--quiet", "print only failures and the summary")
    .action(async (opts: { engine: string; filter?: string; quiet?: boolean }) => {
      const target = resolveTarget(opts.engine);
      if (target.needsPort) throw new UserError(`${target.name} is a real board: run its vectors with \`mhr conform --board ${target.name} --port …\``);
      const list = loadVectorsOrFail({ tier: target.tier, filter: opts.filter });
      const counter = ttyCounter(list.length);
      const run = await runSuite({ name: opts.engine, create: () => target.create({ fetchState: true }) }, list, {
        onOutcome: (_name, o) => { if (!o.passed) console.log(formatFailure(o)); },
        onProgress: (p) => { if (!opts.quiet) counter.tick(p.done); },
      });
      if (!opts.quiet) counter.end();
      console.log(JSON.stringify(run.summary));
      if (run.summary.failed) process.exitCode = 1;
    }),
  "mhr vectors check --engine reference",
  "mhr vectors check --engine qemu-rv32 --filter 'crypto/*'",
  "mhr vectors check --engine wasm-tier");

  examples(vectors
    .command("coverage")
    .description("count vectors per opcode, trap and validation error; fails if any is zero")
    .option("--json", "print the counts as JSON")
    .action((opts: { json?: boolean }) => {
      const cov = coverage(loadVectorsOrFail({ tier: "mhr-byte" }));
      console.log(opts.json ? JSON.stringify(cov) : formatCoverage(cov));
      if (cov.missing.length) {
        console.error(`not covered: ${cov.missing.join(", ")}`);
        process.exitCode = 1;
      }
    }),
  "mhr vectors coverage --json");
}
