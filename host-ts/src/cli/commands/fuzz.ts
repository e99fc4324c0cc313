/** mhr fuzz --engines a,b --count N --seed S */
import type { Command } from "commander";
import { UserError } from "../../model/errors.ts";
import { createEngine, engineSpec } from "../../engines/registry.ts";
import { fuzz } from "../../fuzz/differential.ts";
import { loadVectors } from "../../vectors/format.ts";
import { hexToBytes } from "../../model/bytes.ts";
import type { Engine } from "../../model/engine.ts";

export function registerFuzzCommands(program: Command): void {
  program
    .command("fuzz")
    .description("differential fuzzing: run generated jobs on several engines and compare full results")
    .option("--engines <list>", "comma-separated engines, the first is the expectation", "reference,as")
    .option("--count <n>", "number of generated jobs", "10000")
    .option("--seed <s>", "PRNG seed (the same seed gives the same jobs everywhere)", "1")
    .option("--out <dir>", "where divergences are saved as vector files", "fuzz-out")
    .option("--max-divergences <n>", "stop after this many divergences", "20")
    .action(async (opts: { engines: string; count: string; seed: string; out: string; maxDivergences: string }) => {
      const names = opts.engines.split(",").map((s) => s.trim()).filter(Boolean);
      if (names.length < 2) throw new UserError("--engines needs at least two engines to compare");
      for (const n of names) if (engineSpec(n).tier !== "mhr-byte") throw new UserError(`engine ${n} does not run MHR-Byte jobs`);
      const count = Number(opts.count), seed = Number(opts.seed), maxDiv = Number(opts.maxDivergences);
      if (!Number.isSafeInteger(count) || count < 1) throw new UserError(`--count must be a positive integer, got "${opts.count}"`);
      if (!Number.isSafeInteger(seed)) throw new UserError(`--seed must be an integer, got "${opts.seed}"`);
      const seedVectors = loadVectors({ tier: "mhr-byte" }).map((v) => hexToBytes(v.job)).filter((j) => j.length < 4096);
      const engines: Engine[] = [];
      try {
        for (const n of names) engines.push(await createEngine(n));
        const report = await fuzz(engines, {
          count, seed, outDir: opts.out, seedVectors, maxDivergences: maxDiv,
          onProgress: (done, div) => { if (process.stderr.isTTY) process.stderr.write(`\r${done}/${count} jobs, ${div} divergence(s)`); },
        });
        if (process.stderr.isTTY) process.stderr.write("\n");
        for (const d of report.divergences) console.log(`DIVERGENCE case ${d.index} (${d.kind}): ${d.summary}\n  saved ${d.file}`);
        console.log(`kinds: ${Object.entries(report.kinds).map(([k, n]) => `${k} ${n}`).join(", ")}; ${report.seconds.toFixed(1)} s`);
        console.log(JSON.stringify({ engines: report.engines, seed, count: report.count, divergences: report.divergences.length, engineErrors: report.engineErrors }));
        if (report.divergences.length) process.exitCode = 1;
      } finally {
        for (const e of engines) await e.close();
      }
    });
}
