/**
 * `mhr calibrate --board B [--port P] [--out DIR] [--repeat N] [--margin M]`:
 * measures every cost key on a board with microbenchmarks, compares the
 * times with the v1 charges and proposes a calibrated cost table
 * (host-ts/src/calibrate/). Writes calibration.json, report.html and
 * proposed-cost-table.json to the output directory.
 */
import { join } from "node:path";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { UserError } from "../../model/errors.ts";
import { makeOutputDir } from "../../model/output-dir.ts";
import { examples, intIn, numberAtLeast } from "../options.ts";
import { calibrate, CalibrationError, CalibrationSkipped } from "../../calibrate/run.ts";
import { MicrobenchError } from "../../calibrate/microbench.ts";
import { SolveError, checkSummary } from "../../calibrate/solve.ts";
import { COST_TABLES } from "../../generated/opcodes.ts";
import { terminalSummary, terminalTable, writeOutputs } from "../../calibrate/report.ts";
import { LinkError, BoardError } from "../../protocol/client.ts";
import { EngineError } from "../../model/engine.ts";

interface CalibrateFlags {
  board: string;
  port?: string;
  out?: string;
  repeat: number;
  margin: number;
  k: number;
  only?: string;
  check?: string;
  progress: boolean;
}

function toUserError(e: unknown): unknown {
  if (e instanceof CalibrationError || e instanceof MicrobenchError || e instanceof SolveError) return new UserError(e.message);
  if (e instanceof LinkError || e instanceof BoardError || e instanceof EngineError) return new UserError(`board link failed: ${e.message}`);
  return e;
}

export function registerCalibrateCommands(program: Command): void {
  examples(program
    .command("calibrate")
    .description("measure every cost key on a board, compare with the v1 cost table (1 cycle = 1 µs) and propose a calibrated table")
    .requiredOption("--board <name>", "board profile (boards/*.json): qemu-rv32, qemu-lx106, a real board with --port")
    .option("--port <path>", "serial port of a real board")
    .option("--out <dir>", "output directory (default out/calibration/<board>)")
    .option("--repeat <n>", "BENCH repetitions per job; the minimum is used", intIn(1, 1_000_000), 5)
    .option("--margin <x>", "safety margin of the proposed table: cost >= measured × margin", numberAtLeast(1), 1.25)
    .option("--k <n>", "repetitions of cheap instructions per benchmark job (4..200)", intIn(4, 200), 64)
    .option("--only <keys>", "comma-separated cost keys to measure (others keep their v1 cost in the proposal)")
    .option("--check <table>", `exit 1 if any measured key, or any job's per-job work, takes longer than the named cost table charges (tables: ${Object.keys(COST_TABLES).join(", ")})`)
    .option("--no-progress", "no progress bar")
    .action(async (flags: CalibrateFlags) => {
      const { repeat, margin, k } = flags;
      if (flags.check !== undefined && COST_TABLES[flags.check] === undefined) {
        throw new UserError(`--check: unknown cost table ${flags.check}; tables: ${Object.keys(COST_TABLES).join(", ")}`);
      }
      const only = flags.only ? flags.only.split(",").map((s) => s.trim()).filter((s) => s.length > 0) : undefined;
      const out = flags.out ?? join("out", "calibration", flags.board);
      makeOutputDir(out); // a bad --out fails now, not after the measurements

      const show = flags.progress && process.stderr.isTTY === true;
      const bar = show
        ? new cliProgress.SingleBar({ format: " calibrate {board} |{bar}| {value}/{total} jobs | {label} | ETA {eta_formatted}", hideCursor: true, clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic)
        : null;
      let started = false;
      let lastLine = Date.now();
      let result;
      try {
        result = await calibrate({
          board: flags.board,
          ...(flags.port ? { port: flags.port } : {}),
          repeat,
          margin,
          k,
          ...(only ? { only } : {}),
          onProgress: (done, total, label) => {
            if (bar) {
              if (!started) {
                bar.start(total, done, { board: flags.board, label });
                started = true;
              } else bar.update(done, { label });
            } else if (flags.progress && Date.now() - lastLine > 10_000) {
              console.error(`calibrate ${flags.board}: ${done}/${total} jobs (${label})`);
              lastLine = Date.now();
            }
          },
        });
      } catch (e) {
        if (e instanceof CalibrationSkipped) {
          bar?.stop();
          console.error(`mhr: calibrate skipped: ${e.message}`);
          return;
        }
        throw toUserError(e);
      } finally {
        bar?.stop();
      }
      const files = writeOutputs(result, out);
      console.log(terminalTable(result));
      console.log("");
      console.log(terminalSummary(result));
      console.log(`wrote ${files.calibration}, ${files.report}, ${files.proposed} (${result.seconds.toFixed(1)} s)`);
      if (result.proposed.violations.length) process.exitCode = 1;
      const check = flags.check === undefined ? undefined : result.checks.find((c) => c.table === flags.check);
      if (check) {
        console.log(checkSummary(check, flags.board));
        if (check.unsound.length || check.jobs?.unsound.length) process.exitCode = 1;
        // The cores that run this board's build (ESTIMATES from its counts): those at the reference clock must be sound too.
        for (const d of result.derived) {
          const c = d.checks.find((x) => x.table === flags.check)!;
          const label = `${d.id} (${d.target}; times × ${d.factor.toFixed(2)}${d.reference ? "" : "; below the reference clock, reported only"})`;
          console.log(checkSummary(c, label));
          if (d.reference && (c.unsound.length || c.jobs?.unsound.length)) process.exitCode = 1;
        }
      }
    }),
  "mhr calibrate --board qemu-rv32",
  "mhr calibrate --board qemu-rv32 --check v1",
  "mhr calibrate --board qemu-lx106 --only ADD,HASH,STORE.state --repeat 3",
  "mhr calibrate --board esp32-c3-devkitm-1 --port /dev/ttyACM0 --out out/cal-c3");
}
