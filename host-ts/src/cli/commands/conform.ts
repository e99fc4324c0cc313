/** mhr conform --board B [--board B2 …]: the vector suite on boards and engines, in parallel. */
import { join } from "node:path";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { UserError } from "../../model/errors.ts";
import { makeOutputDir } from "../../model/output-dir.ts";
import { formatFailure, type SuiteTarget } from "../../vectors/run.ts";
import { conform, writeReports } from "../../conform/runner.ts";
import { resolveTarget } from "../../engines/targets.ts";
import { parseFaultSpec, type FaultOptions } from "../../protocol/faults.ts";
import { collect, examples, positiveInt } from "../options.ts";
import { loadVectorsOrFail } from "./vectors.ts";

interface ConformFlags { board: string[]; port?: string[]; filter?: string; out: string; faults?: string; attempts: number; progress: boolean }

/** Each --board name resolved; real boards take the --port values in order. */
function suiteTargets(names: string[], ports: string[], faultSpec: string | undefined): SuiteTarget[] {
  let faults: FaultOptions | undefined;
  if (faultSpec !== undefined) {
    try {
      faults = parseFaultSpec(faultSpec);
    } catch (e) {
      throw new UserError(`--faults: ${(e as Error).message}`, 2);
    }
  }
  const left = [...ports];
  const targets = names.map((name) => {
    const t = resolveTarget(name, "mhr-byte");
    if (faults && !t.board) throw new UserError(`--faults applies to boards reached over the board protocol, not to engine ${t.name}`, 2);
    const port = t.needsPort ? left.shift() : undefined;
    if (t.needsPort && port === undefined) throw new UserError(`board ${name} is a real board: give its serial port with --port (one --port per real board, in --board order)`, 2);
    return { name, create: () => t.create({ ...(port ? { port } : {}), ...(faults ? { faults } : {}) }) };
  });
  if (left.length) throw new UserError(`${left.length} --port value(s) left over: only real boards take a port`, 2);
  return targets;
}

export function registerConformCommands(program: Command): void {
  examples(program
    .command("conform")
    .description("run the conformance vectors on boards (and engines); JSON + JUnit results; several boards run in parallel")
    .requiredOption("--board <name>", "board profile (boards/*.json) or engine name; repeatable", collect)
    .option("--port <path>", "serial port of each real board, in --board order; repeatable", collect)
    .option("--filter <pattern>", "only vectors whose name contains the pattern (or matches a * glob)")
    .option("--out <dir>", "where the JSON and JUnit reports go", "out/conform")
    .option("--faults <spec>", "inject link faults, e.g. seed=7,corrupt=0.02,drop=0.01 (virtual boards, test rigs)")
    .option("--attempts <n>", "attempts per vector after a link failure (a positive integer)", positiveInt, 4)
    .option("--no-progress", "no progress bar")
    .action(async (opts: ConformFlags) => {
      const targets = suiteTargets(opts.board, opts.port ?? [], opts.faults);
      const vectors = loadVectorsOrFail({ tier: "mhr-byte", filter: opts.filter });
      makeOutputDir(opts.out); // before the run: a bad --out fails at once, not after an hour on a board

      const show = opts.progress && process.stderr.isTTY;
      const multi = show ? new cliProgress.MultiBar({ format: " {board} |{bar}| {value}/{total} pass {passed} fail {failed} retries {retries} | ETA {eta_formatted}", hideCursor: true, clearOnComplete: false, stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
      const bars = new Map(targets.map((t) => [t.name, multi?.create(vectors.length, 0, { board: t.name.padEnd(12), passed: 0, failed: 0, retries: 0 })]));
      const failures: string[] = [];
      let lastLine = Date.now();
      const runs = await conform(targets, vectors, {
        attempts: opts.attempts,
        onProgress: (p) => {
          bars.get(p.name)?.update(p.done, { passed: p.passed, failed: p.failed, retries: p.retries });
          if (!show && Date.now() - lastLine > 10_000) { console.error(`${p.name}: ${p.done}/${p.total} (${p.failed} failed)`); lastLine = Date.now(); }
        },
        onOutcome: (name, o) => { if (!o.passed) failures.push(`[${name}] ${formatFailure(o)}`); },
      });
      multi?.stop();
      for (const f of failures) console.log(f);
      const files = writeReports(runs, opts.out);
      console.log(`reports: ${files.join(", ")}`);
      for (const r of runs) {
        // Per cost table (the contract version of each vector's job, SPEC §5).
        const byTable = new Map<string, [number, number]>();
        for (const o of r.outcomes) {
          const t = byTable.get(o.vector.table) ?? [0, 0];
          t[0] += o.passed ? 1 : 0; t[1]++;
          byTable.set(o.vector.table, t);
        }
        console.log(`${r.name}: ${r.summary.passed}/${r.summary.total} passed in ${r.seconds.toFixed(1)} s, ${r.retries} link retries  ${JSON.stringify({ engine: r.name, total: r.summary.total, passed: r.summary.passed, failed: r.summary.failed })}`);
        console.log(`${r.name} by cost table (the contract version of each vector's job): ${[...byTable].sort().map(([t, [p, n]]) => `${t} ${p}/${n}`).join(", ")}`);
      }
      if (runs.some((r) => r.summary.failed)) process.exitCode = 1;
    }),
  "mhr conform --board qemu-rv32 --board qemu-lx106",
  "mhr conform --board host --faults seed=3,corrupt=0.05,drop=0.03",
  "mhr conform --board esp32-c3-devkitm-1 --port /dev/ttyACM0 --out out/hil",
  `mhr conform --board as --filter 'crypto/*' --out ${join("out", "as-crypto")}`);
}
