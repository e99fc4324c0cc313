/** mhr vectors check | coverage */
import type { Command } from "commander";
import { UserError } from "../../model/errors.ts";
import { loadVectors } from "../../vectors/format.ts";
import { runVector, summarize, formatFailure, type VectorOutcome } from "../../vectors/run.ts";
import { coverage, formatCoverage } from "../../vectors/coverage.ts";
import { engineSpec } from "../../engines/registry.ts";

function load(opts: { filter?: string }, tier?: "mhr-byte" | "wasm") {
  try {
    return loadVectors({ tier, filter: opts.filter });
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

export function registerVectorCommands(program: Command): void {
  const vectors = program.command("vectors").description("conformance vectors: check an engine, show coverage");

  vectors
    .command("check")
    .description("run every vector on an engine; ends with a one-line JSON summary")
    .option("--engine <name>", "engine", "reference")
    .option("--filter <pattern>", "only vectors whose name contains the pattern (or matches a * glob)")
    .option("--quiet", "print only failures and the summary")
    .action(async (opts: { engine: string; filter?: string; quiet?: boolean }) => {
      const spec = engineSpec(opts.engine);
      const list = load(opts, spec.tier);
      if (!list.length) throw new UserError(`no ${spec.tier} vectors${opts.filter ? ` match "${opts.filter}"` : ""}`);
      const engine = await spec.create();
      const outcomes: VectorOutcome[] = [];
      try {
        let lastPrint = Date.now();
        for (const v of list) {
          const o = await runVector(engine, v);
          outcomes.push(o);
          if (!o.passed) console.log(formatFailure(o));
          if (!opts.quiet && process.stderr.isTTY && Date.now() - lastPrint > 250) {
            process.stderr.write(`\r${outcomes.length}/${list.length}`);
            lastPrint = Date.now();
          }
        }
        if (!opts.quiet && process.stderr.isTTY) process.stderr.write("\r");
      } finally {
        await engine.close();
      }
      const summary = summarize(opts.engine, outcomes);
      console.log(JSON.stringify(summary));
      if (summary.failed) process.exitCode = 1;
    });

  vectors
    .command("coverage")
    .description("count vectors per opcode, trap and validation error; fails if any is zero")
    .option("--json", "print the counts as JSON")
    .action((opts: { json?: boolean }) => {
      const cov = coverage(load({}, "mhr-byte"));
      console.log(opts.json ? JSON.stringify(cov) : formatCoverage(cov));
      if (cov.missing.length) {
        console.error(`not covered: ${cov.missing.join(", ")}`);
        process.exitCode = 1;
      }
    });

}
