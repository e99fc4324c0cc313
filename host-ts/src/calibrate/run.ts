/**
 * `mhr calibrate`: runs the microbenchmarks (microbench.ts) on a board with
 * BENCH (docs/PROTOCOL.md §4.3), takes the minimum cycles / instructions of N
 * repeats of each job, solves per-instruction costs (solve.ts), compares them
 * with the v1 charges and proposes a calibrated table.
 *
 * What a board's figures mean:
 *   - real boards (port "esp-idf"): CPU cycles; µs = cycles / cpuClockHz.
 *   - virtual boards (qemu-*): exact instruction counts (QEMU -icount
 *     shift=0), turned into time with the target core's CPI model
 *     (cpi-models.ts): µs = instructions × CPI / cpuClockHz. ESTIMATES.
 *   - the host build: wall-clock nanoseconds of the development machine mean
 *     nothing for a microcontroller; it is calibrated only if it reports
 *     retired instructions, and skipped otherwise.
 */
import { CHIP_EMULATOR_PORTS, type BoardProfile } from "../boards/profiles.ts";
import { resolveTarget } from "../engines/targets.ts";
import type { BoardClient } from "../protocol/client.ts";
import type { BenchReply, HelloInfo } from "../protocol/messages.ts";
import { bytesToHex, equalBytes } from "../model/bytes.ts";
import { decodeResult, hash32 } from "../model/codec.ts";
import { COST_KEYS, V1_COSTS, BASE_TABLE, buildMicrobenches, type ValidatedBench } from "./microbench.ts";
import { checkIntrinsic, fitStoredBytes, intrinsicJobs, type IntrinsicCheck, type IntrinsicPoint, type IntrinsicVariant } from "./intrinsic.ts";
import { fitIntrinsicMinimax } from "./intrinsic-minimax.ts";
import { DERIVED_MODELS, cpiModelFor, derivedFactor, type CpiModel } from "./cpi-models.ts";
import { analyse, checkTable, proposeTable, solveTerms, termFindings, soundnessViolations, type CostTableEntry, type Findings, type TableCheck, type TermFinding } from "./solve.ts";
import { COST_TABLES, DEFAULT_COST_TABLE } from "../generated/opcodes.ts";

export class CalibrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CalibrationError";
  }
}

/** The board cannot be calibrated meaningfully (the host without an instruction counter). */
export class CalibrationSkipped extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CalibrationSkipped";
  }
}

export interface Basis {
  /** What the per-job figure is. */
  kind: "cycles" | "instret" | "virtual-time";
  /** True when times come from a CPI model, not from measured cycles. */
  estimates: boolean;
  /** Clock the times are computed at (the board profile's cpuClockHz). */
  clockHz: number;
  /** Cycles per instruction (estimates only). */
  cpi?: number;
  units: string;
  description: string;
}

export interface JobMeasurement {
  iterations: number;
  minCycles: number;
  maxCycles: number;
  minInstret?: number;
  maxInstret?: number;
  /** The figure used: cycles, instret, or instructions derived from virtual time. */
  units: number;
  /** Measured with one BENCH per repetition (the board's results varied under BENCH N). */
  singleRuns?: boolean;
}

/** A benchmark's description (as generated) with what the board measured for it. */
export interface BenchMeasurement extends Pick<ValidatedBench, "id" | "key" | "term" | "n" | "variant" | "k" | "note" | "counts"> {
  chargedDelta: number;
  runJobHash: string;
  run: JobMeasurement;
  base: JobMeasurement;
  /** run.units − base.units. */
  delta: number;
  /** Residual of this benchmark's equation after solving. */
  residual: number;
}

export interface OverheadMeasurement {
  id: string;
  doc: string;
  jobBytes: number;
  units: number;
  us: number;
}

export interface CalibrationResult {
  format: "mhr-calibration/1";
  tool: string;
  createdAt: string;
  board: { name: string; port: string; description: string; cpuClockHz: number | null; cyclesPerInstruction: string | null };
  hello: HelloInfo;
  estimates: boolean;
  basis: Basis;
  model: CpiModel | null;
  settings: { repeat: number; k: number; margin: number; only: string[] | null };
  costTable: string;
  notes: string[];
  /** Problems met on the board that did not stop the calibration. */
  warnings: string[];
  benches: BenchMeasurement[];
  terms: TermFinding[];
  findings: Findings;
  overhead: OverheadMeasurement[];
  /** The per-job work: every job measured whole and charged under every table (SPEC §8's intrinsic charge). */
  intrinsic: { points: IntrinsicPoint[]; checks: IntrinsicCheck[] };
  proposed: { name: string; entry: CostTableEntry; violations: string[] };
  /** Every cost table of spec/opcodes.json checked against the measured terms (1 cycle = 1 µs, no margin). */
  checks: TableCheck[];
  /** The same checks for the cores that run this board's build at another CPI and clock (cpi-models.ts DERIVED_MODELS). */
  derived: DerivedCheck[];
  seconds: number;
}

/** A derived core's checks: every time of this run × `factor`. ESTIMATES. */
export interface DerivedCheck {
  id: string;
  target: string;
  clockHz: number;
  cpi: number;
  factor: number;
  /** At the reference platform's clock: a sound table must be sound here too. */
  reference: boolean;
  checks: TableCheck[];
}

export interface CalibrateOptions {
  board: string;
  port?: string;
  repeat?: number;
  margin?: number;
  k?: number;
  only?: string[];
  /** Called before each BENCH request and once at the end. */
  onProgress?: (done: number, total: number, label: string) => void;
  /** For tests: a client factory instead of createBoardEngine. */
  connect?: (board: BoardProfile) => Promise<{ client: BoardClient; close: () => Promise<void> }>;
}

/** How a board's figures become µs; throws CalibrationSkipped for boards without a meaningful counter. */
export function basisFor(board: BoardProfile, hello: HelloInfo): { basis: Basis; model: CpiModel | null } {
  if (board.port === "esp-idf") {
    const clockHz = board.cpuClockHz ?? hello.cpuHz;
    return {
      basis: { kind: "cycles", estimates: false, clockHz, units: "CPU cycles", description: `measured CPU cycles (the chip's cycle counter) at ${clockHz / 1e6} MHz` },
      model: null,
    };
  }
  if (board.port === "host") {
    if (!hello.features.instret) {
      throw new CalibrationSkipped(`board ${board.name} reports no retired-instruction counter, and its wall-clock time says nothing about a microcontroller (use qemu-rv32, qemu-lx106 or a real board)`);
    }
    const clockHz = board.cpuClockHz ?? hello.cpuHz;
    return {
      basis: { kind: "instret", estimates: true, clockHz, cpi: 1, units: "host instructions", description: `host retired instructions at 1 cycle each and ${clockHz / 1e6} MHz (a rough figure: no target core)` },
      model: null,
    };
  }
  const model = cpiModelFor(board.port);
  if (!model) throw new CalibrationError(`no cycles-per-instruction model for port ${board.port}`);
  const clockHz = board.cpuClockHz;
  if (clockHz === null) throw new CalibrationError(`board ${board.name} has no cpuClockHz: the estimate needs the target clock`);
  if (hello.features.instret) {
    return {
      basis: { kind: "instret", estimates: true, clockHz, cpi: model.cpi, units: "instructions", description: `exact retired instructions × CPI ${model.cpi} of the ${model.target} at ${clockHz / 1e6} MHz` },
      model,
    };
  }
  return {
    basis: { kind: "virtual-time", estimates: true, clockHz, cpi: model.cpi, units: "instructions", description: `instructions from virtual time (cycle counter × 1e9 / ${hello.cpuHz} Hz under -icount shift=0) × CPI ${model.cpi} of the ${model.target} at ${clockHz / 1e6} MHz` },
    model: { ...model, counter: "virtual-time" },
  };
}

export function unitsOf(reply: BenchReply, basis: Basis, hello: HelloInfo): number {
  if (basis.kind === "cycles") return reply.minCycles;
  if (basis.kind === "instret") {
    if (reply.minInstret === undefined) throw new CalibrationError("the board stopped reporting retired instructions");
    return reply.minInstret;
  }
  return (reply.minCycles * 1e9) / hello.cpuHz;
}

export function usOf(units: number, basis: Basis): number {
  return ((units * (basis.cpi ?? 1)) / basis.clockHz) * 1e6;
}

async function defaultConnect(board: BoardProfile, port?: string): Promise<{ client: BoardClient; close: () => Promise<void> }> {
  const { createBoardEngine } = await import("../engines/board-engines.ts");
  const engine = await createBoardEngine(board, { port });
  return { client: engine.client, close: () => engine.close() };
}

function measurement(reply: BenchReply, units: number): JobMeasurement {
  return {
    iterations: reply.iterations,
    minCycles: reply.minCycles,
    maxCycles: reply.maxCycles,
    ...(reply.minInstret !== undefined ? { minInstret: reply.minInstret, maxInstret: reply.maxInstret } : {}),
    units,
  };
}

/** Reply timeout for one BENCH: generous, since a virtual board may run a VRF job for seconds. */
function benchTimeout(chargedCycles: number, repeat: number): number {
  return 30_000 + repeat * Math.min(600_000, chargedCycles * 2);
}

export async function calibrate(opts: CalibrateOptions): Promise<CalibrationResult> {
  const started = Date.now();
  const repeat = opts.repeat ?? 5;
  const margin = opts.margin ?? 1.25;
  const k = opts.k ?? 64;
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 1_000_000) throw new CalibrationError(`--repeat must be an integer from 1 to 1000000, got ${opts.repeat}`);
  if (!Number.isFinite(margin) || margin < 1) throw new CalibrationError(`--margin must be a number ≥ 1, got ${opts.margin}`);
  const target = resolveTarget(opts.board, "mhr-byte");
  const board = target.board;
  if (!board) throw new CalibrationError(`${target.name} is an in-process engine, not a board: calibration measures a board (qemu-rv32, qemu-lx106, or a real one with --port)`);
  if (board.port === "esp-idf" && !opts.port && !opts.connect) throw new CalibrationError(`board ${board.name} is a real board: give its serial port with --port (see \`mhr ports\`)`);
  if (CHIP_EMULATOR_PORTS[board.port] !== undefined) {
    throw new CalibrationSkipped(`board ${board.name}: in Espressif's QEMU the chip's cycle counter follows virtual time, not instructions, and these machines hang under -icount shift=0; calibrate on qemu-rv32 or on the real chip`);
  }

  // Generate and validate every job on the reference first: a bad job is a bug here, not a board finding.
  const set = await buildMicrobenches({ k, ...(opts.only ? { only: opts.only } : {}) });
  const overhead = intrinsicJobs();

  const link = opts.connect ? await opts.connect(board) : await defaultConnect(board, opts.port);
  try {
    const hello = await link.client.hello();
    const { basis, model } = basisFor(board, hello);
    if (repeat > hello.maxBench) throw new CalibrationError(`--repeat ${repeat} is over the board's largest BENCH N (${hello.maxBench})`);
    const total = set.benches.length * 2 + overhead.reduce((n, o) => n + 1 + (o.shifts?.length ?? 0), 0);
    let done = 0;
    const warnings: string[] = [];
    const check = (label: string, reply: BenchReply, expect?: Uint8Array): void => {
      if (expect && !equalBytes(reply.resultBytes, expect)) {
        let got = "undecodable bytes";
        try {
          const r = decodeResult(reply.resultBytes);
          got = `status ${r.status} code ${r.code} cycles ${r.cycles}`;
        } catch {
          // keep the generic description
        }
        throw new CalibrationError(`${label}: the board's result differs from the reference (${got}); fix conformance before calibrating`);
      }
    };
    const bench = async (label: string, bytes: Uint8Array, charged: number, expect?: Uint8Array): Promise<JobMeasurement> => {
      opts.onProgress?.(done, total, label);
      if (bytes.length > hello.maxPayload) throw new CalibrationError(`${label}: job of ${bytes.length} bytes is over the board's capacity (${hello.maxPayload})`);
      const timeoutMs = benchTimeout(charged, repeat);
      const reply = await link.client.bench(bytes, repeat, { timeoutMs });
      done++;
      if (!reply.resultVaried) {
        check(label, reply, expect);
        return measurement(reply, unitsOf(reply, basis, hello));
      }
      // The runs of one BENCH disagreed: the firmware changed its job buffer during a run
      // (PROTOCOL §4.3 forbids it). Re-send the job for every repetition instead and keep the minimum.
      warnings.push(`${label}: BENCH ${repeat} reported "result varied" (the board modified its job buffer during a run); measured as ${repeat} single-run BENCH requests instead`);
      let best: JobMeasurement | undefined;
      for (let i = 0; i < repeat; i++) {
        const one = await link.client.bench(bytes, 1, { timeoutMs: benchTimeout(charged, 1) });
        check(label, one, expect);
        const m = measurement(one, unitsOf(one, basis, hello));
        if (!best || m.units < best.units) best = m;
      }
      return { ...best!, iterations: repeat, singleRuns: true };
    };

    const measured: Omit<BenchMeasurement, "residual">[] = [];
    for (const b of set.benches) {
      const run = await bench(`${b.id} work`, b.run.bytes, b.chargedDelta + 10, b.runResult);
      const base = await bench(`${b.id} base`, b.base.bytes, 10, b.baseResult);
      measured.push(describe(b, run, base));
    }
    const overheadOut: OverheadMeasurement[] = [];
    const points: IntrinsicPoint[] = [];
    for (const { shifts, ...o } of overhead) {
      // Every alignment of the prior state (intrinsic.ts SHIFTS); the slowest is the point.
      const measuredShifts: { v: IntrinsicVariant; units: number; us: number }[] = [];
      for (const [i, v] of [o, ...(shifts ?? [])].entries()) {
        const m = await bench(`per-job ${o.id}${i ? ` (shift ${i})` : ""}`, v.bytes, v.charged[BASE_TABLE] + 10);
        measuredShifts.push({ v, units: m.units, us: usOf(m.units, basis) });
      }
      const slowest = measuredShifts.reduce((a, b) => (b.us > a.us ? b : a));
      const { bytes, measure, charged } = slowest.v;
      overheadOut.push({ id: o.id, doc: o.doc, jobBytes: bytes.length, units: slowest.units, us: slowest.us });
      points.push({ ...o, bytes, measure, charged, us: slowest.us, ...(shifts ? { alignmentsUs: measuredShifts.map((x) => x.us) } : {}) });
    }
    opts.onProgress?.(done, total, "solving");

    const solution = solveTerms(measured.map((m) => ({ id: m.id, counts: m.counts, y: m.delta })));
    const benches: BenchMeasurement[] = measured.map((m) => ({ ...m, residual: solution.residuals[m.id] ?? 0 }));
    const terms = termFindings(set.terms, solution.values, (u) => usOf(u, basis));
    const findings = analyse(COST_KEYS, V1_COSTS, terms);
    const name = `v2-${board.name}`;
    const when = new Date().toISOString().slice(0, 10);
    const doc =
      `Proposed by \`mhr calibrate --board ${board.name}\` on ${when} from ${set.benches.length} microbenchmarks (BENCH, min of ${repeat}). ` +
      `cost = base + per * ceil(n / unit) as in ${BASE_TABLE}; every measured instruction is charged at least ${margin} × its time at 1 cycle = 1 µs; ` +
      "STORE.state's per also covers hashing the stored bytes into the final state (the write per-job jobs). " +
      (basis.estimates ? `Times are ESTIMATES: ${basis.description}.` : `Times are measured: ${basis.description}.`);
    const proposed = proposeTable(V1_COSTS, findings, margin, doc, BASE_TABLE, DEFAULT_COST_TABLE);
    const perJob = await fitIntrinsicMinimax([{ board: board.name, points }], margin);
    proposed.costs["STORE.state"] = fitStoredBytes(points, margin, proposed.costs, perJob);
    const entry = { ...proposed, ...perJob };
    const intrinsicChecks = checkIntrinsic(points);
    const violations = soundnessViolations(entry.costs, terms, margin, DEFAULT_COST_TABLE);

    return {
      format: "mhr-calibration/1",
      tool: "mhr calibrate",
      createdAt: new Date().toISOString(),
      board: { name: board.name, port: board.port, description: board.description, cpuClockHz: board.cpuClockHz, cyclesPerInstruction: board.cyclesPerInstruction },
      hello,
      estimates: basis.estimates,
      basis,
      model,
      settings: { repeat, k, margin, only: opts.only ?? null },
      costTable: BASE_TABLE,
      notes: [
        "Each benchmark is a pair of jobs on one contract: `work` runs K copies of the measured instruction, `base` only the final HALT; their difference removes decoding, validation, hashing and result encoding.",
        "HALT and ABORT are measured against a trap-ending call of the same code; the per-job work no instruction pays for is listed under overhead.",
        ...set.notes,
      ],
      warnings,
      benches,
      terms,
      findings,
      overhead: overheadOut,
      intrinsic: { points, checks: intrinsicChecks },
      proposed: { name, entry, violations },
      checks: tableChecks(terms, points),
      derived: DERIVED_MODELS.filter((m) => m.from === board.port && basis.estimates).map((m) => {
        const factor = derivedFactor(m, basis);
        const scaled = tableChecks(terms.map((t) => ({ ...t, us: t.us * factor })), points.map((p) => ({ ...p, us: p.us * factor })));
        return { id: m.id, target: m.target, clockHz: m.clockHz, cpi: m.cpi, factor, reference: m.reference, checks: scaled };
      }),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await link.close();
  }
}

/** Every table of spec/opcodes.json against the measured terms and per-job jobs. */
function tableChecks(terms: readonly TermFinding[], points: readonly IntrinsicPoint[]): TableCheck[] {
  const intrinsicChecks = checkIntrinsic(points);
  return Object.entries(COST_TABLES).map(([table, costs]) => {
    const c = checkTable(table, costs, terms);
    const j = intrinsicChecks.find((x) => x.table === table)!;
    const unsound = j.ratios.filter((x) => j.unsound.includes(x.id)).map(({ id, us, charged }) => ({ id, us, charged }));
    return { ...c, jobs: { checked: j.ratios.length, unsound, minRatio: j.minRatio, maxRatio: j.maxRatio } };
  });
}

function describe(b: ValidatedBench, run: JobMeasurement, base: JobMeasurement): Omit<BenchMeasurement, "residual"> {
  return {
    id: b.id,
    key: b.key,
    term: b.term,
    ...(b.n !== undefined ? { n: b.n } : {}),
    ...(b.variant !== undefined ? { variant: b.variant } : {}),
    k: b.k,
    note: b.note,
    counts: b.counts,
    chargedDelta: b.chargedDelta,
    runJobHash: bytesToHex(hash32(b.run.bytes)),
    run,
    base,
    delta: run.units - base.units,
  };
}
