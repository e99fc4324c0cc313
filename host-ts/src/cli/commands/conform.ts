/** mhr conform --board B [--board B2 …]: the vector suite on boards and engines, in parallel. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { UserError } from "../../model/errors.ts";
import { loadVectors } from "../../vectors/format.ts";
import { formatFailure } from "../../vectors/run.ts";
import { conform, type BoardTarget } from "../../conform/runner.ts";
import { junitXml } from "../../conform/junit.ts";
import { ENGINES, engineSpec } from "../../engines/registry.ts";
import { loadBoards } from "../../boards/profiles.ts";
import { parseFaultSpec } from "../../protocol/faults.ts";

const collect = (v: string, prev: string[] = []) => [...prev, v];

function targetFor(name: string, port: string | undefined, faults: string | undefined): BoardTarget {
  const board = loadBoards().find((b) => b.name === name);
  if (board) {
    return {
      board: name,
      create: async () => (await import("../../engines/board-engines.ts")).createBoardEngine(name, { port, faults: faults ? parseFaultSpec(faults) : undefined }),
    };
  }
  if (ENGINES.some((e) => e.name === name)) {
    if (faults) throw new UserError(`--faults applies to boards reached over the board protocol, not to engine ${name}`);
    const spec = engineSpec(name);
    if (spec.tier !== "mhr-byte") throw new UserError(`${name} does not run MHR-Byte jobs`);
    return { board: name, create: spec.create };
  }
  throw new UserError(`unknown board "${name}"; boards: ${loadBoards().map((b) => b.name).join(", ")}; engines: ${ENGINES.filter((e) => e.tier === "mhr-byte").map((e) => e.name).join(", ")}`);
}

export function registerConformCommands(program: Command): void {
  program
    .command("conform")
    .description("run the conformance vectors on boards (and engines); JSON + JUnit results; several boards run in parallel")
    .requiredOption("--board <name>", "board profile (boards/*.json) or engine name; repeatable", collect)
    .option("--port <path>", "serial port of each real board, in --board order; repeatable", collect)
    .option("--filter <pattern>", "only vectors whose name contains the pattern (or matches a * glob)")
    .option("--out <dir>", "where the JSON and JUnit reports go", "out/conform")
    .option("--faults <spec>", "inject link faults, e.g. seed=7,corrupt=0.02,drop=0.01 (virtual boards, test rigs)")
    .option("--attempts <n>", "attempts per vector after a link failure", "4")
    .option("--no-progress", "no progress bar")
    .action(async (opts: { board: string[]; port?: string[]; filter?: string; out: string; faults?: string; attempts: string; progress: boolean }) => {
      const ports = [...(opts.port ?? [])];
      const targets = opts.board.map((b) => {
        const profile = loadBoards().find((x) => x.name === b);
        return targetFor(b, profile?.port === "esp-idf" ? ports.shift() : undefined, opts.faults);
      });
      let vectors;
      try {
        vectors = loadVectors({ tier: "mhr-byte", filter: opts.filter });
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (!vectors.length) throw new UserError(`no vectors match "${opts.filter}"`);

      const show = opts.progress && process.stderr.isTTY;
      const multi = show ? new cliProgress.MultiBar({ format: " {board} |{bar}| {value}/{total} pass {passed} fail {failed} retries {retries} | ETA {eta_formatted}", hideCursor: true, clearOnComplete: false, stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
      const bars = new Map(targets.map((t) => [t.board, multi?.create(vectors!.length, 0, { board: t.board.padEnd(12), passed: 0, failed: 0, retries: 0 })]));
      const failures: string[] = [];
      let lastLine = Date.now();
      const runs = await conform(targets, vectors, {
        attempts: Number(opts.attempts),
        onProgress: (p) => {
          bars.get(p.board)?.update(p.done, { passed: p.passed, failed: p.failed, retries: p.retries });
          if (!show && Date.now() - lastLine > 10_000) { console.error(`${p.board}: ${p.done}/${p.total} (${p.failed} failed)`); lastLine = Date.now(); }
        },
        onOutcome: (board, o) => { if (!o.passed) failures.push(`[${board}] ${formatFailure(o)}`); },
      });
      multi?.stop();
      for (const f of failures) console.log(f);

      mkdirSync(opts.out, { recursive: true });
      for (const r of runs) {
        const file = join(opts.out, `${r.board}.json`);
        writeFileSync(file, JSON.stringify({
          board: r.board, summary: r.summary, retries: r.retries, seconds: r.seconds,
          results: r.outcomes.map((o) => ({ name: o.vector.name, passed: o.passed, ms: Math.round(o.ms * 1000) / 1000, ...(o.run?.cpuCycles !== undefined ? { cpuCycles: o.run.cpuCycles } : {}), ...(o.run?.cpuInstructions !== undefined ? { cpuInstructions: o.run.cpuInstructions } : {}), ...(o.engineError ? { engineError: o.engineError } : {}), ...(o.diffs.length ? { diffs: o.diffs } : {}) })),
        }, null, 1) + "\n");
      }
      writeFileSync(join(opts.out, "junit.xml"), junitXml(runs.map((r) => ({ board: r.board, outcomes: r.outcomes, seconds: r.seconds }))));
      console.log(`reports: ${join(opts.out, "junit.xml")}, ${runs.map((r) => join(opts.out, `${r.board}.json`)).join(", ")}`);
      for (const r of runs) {
        console.log(`${r.board}: ${r.summary.passed}/${r.summary.total} passed in ${r.seconds.toFixed(1)} s, ${r.retries} link retries  ${JSON.stringify({ engine: r.board, total: r.summary.total, passed: r.summary.passed, failed: r.summary.failed })}`);
      }
      if (runs.some((r) => r.summary.failed)) process.exitCode = 1;
    });
}
