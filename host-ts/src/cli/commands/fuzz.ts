/** mhr fuzz --engines a,b --count N --seed S */
import type { Command } from "commander";
import { UserError } from "../../model/errors.ts";
import { resolveTarget } from "../../engines/targets.ts";
import { fuzz } from "../../fuzz/differential.ts";
import { hexToBytes } from "../../model/bytes.ts";
import type { Engine } from "../../model/engine.ts";
import { anyInt, examples, nonNegativeInt, positiveInt } from "../options.ts";
import { loadVectorsOrFail } from "./vectors.ts";

interface FuzzFlags { engines: string; count: number; seed: number; out: string; maxDivergences: number }

export function registerFuzzCommands(program: Command): void {
  examples(program
    .command("fuzz")
    .description("differential fuzzing: run generated jobs on several engines and compare full results")
    .option("--engines <list>", "comma-separated engines, the first is the expectation", "reference,as")
    .option("--count <n>", "number of generated jobs (a positive integer)", positiveInt, 10000)
    .option("--seed <s>", "PRNG seed (the same seed gives the same jobs everywhere)", anyInt, 1)
    .option("--out <dir>", "where divergences are saved as vector files", "fuzz-out")
    .option("--max-divergences <n>", "stop after this many divergences (0: never stop)", nonNegativeInt, 20)
    .action(async (opts: FuzzFlags) => {
      const names = opts.engines.split(",").map((s) => s.trim()).filter(Boolean);
      if (names.length < 2) throw new UserError("--engines needs at least two engines to compare", 2);
      const targets = names.map((n) => resolveTarget(n, "mhr-byte"));
      for (const t of targets) if (t.needsPort) throw new UserError(`${t.name} is a real board: fuzzing needs engines that run without a serial port`, 2);
      const seedVectors = loadVectorsOrFail({ tier: "mhr-byte" }).map((v) => hexToBytes(v.job)).filter((j) => j.length < 4096);
      const engines: Engine[] = [];
      try {
        for (const t of targets) engines.push(await t.create({ fetchState: true }));
        const report = await fuzz(engines, {
          count: opts.count, seed: opts.seed, outDir: opts.out, seedVectors, maxDivergences: opts.maxDivergences,
          onProgress: (done, div) => { if (process.stderr.isTTY) process.stderr.write(`\r${done}/${opts.count} jobs, ${div} divergence(s)`); },
        });
        if (process.stderr.isTTY) process.stderr.write("\n");
        for (const d of report.divergences) console.log(`DIVERGENCE case ${d.index} (${d.kind}): ${d.summary}\n  saved ${d.file}`);
        console.log(`kinds: ${Object.entries(report.kinds).map(([k, n]) => `${k} ${n}`).join(", ")}; ${report.seconds.toFixed(1)} s`);
        console.log(JSON.stringify({ engines: report.engines, seed: opts.seed, count: report.count, divergences: report.divergences.length, engineErrors: report.engineErrors }));
        if (report.divergences.length) process.exitCode = 1;
      } finally {
        for (const e of engines) await e.close();
      }
    }),
  "mhr fuzz --engines reference,as --count 100000 --seed 1",
  "mhr fuzz --engines reference,native --count 2000 --seed 7 --out fuzz-out");
}
