/**
 * npx tsx scripts/derive-cost-table.ts NAME BOARD... [--write | --replace]
 *
 * Derives a cost table from committed calibration runs: per cost key the
 * maximum, over the boards' proposed tables (docs/calibration/<board>/
 * proposed-cost-table.json, each already ≥ margin × measured), of base and of
 * per, with v1's unit and of kept, rounded up to a simple form (two
 * significant digits); the intrinsic and rehash rows are one fit to every
 * board's per-job jobs (calibration.json), see intrinsic-minimax.ts. Prints the entry; --write puts it into
 * spec/opcodes.json's costTables under NAME (then run `npm run gen`);
 * --replace re-derives an existing NAME in place, keeping its contract version
 * and its compaction and indexMove rows, which no board proposes: they are
 * fitted by hand to the churn and insert/delete benchmarks (SPEC §10).
 *
 * A re-derivation lowers an instruction's value only by more than one rounding step: a
 * value the runs give one step below the table's keeps the table's. The
 * table is compiled into the firmware the runs measure, and a key measured
 * at the edge of an integer (ADD at 0.798–0.806 µs on qemu-lx106, × 1.25)
 * moves across it when another key's constant changes the generated code, so
 * without this the derivation alternated between two tables and never
 * reached a fixed point. Raising is never held back: soundness first.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TABLE_PATH, type CostRow, type CostTable } from "../host-ts/src/spec/table-schema.ts";
import { REPO } from "./build-firmware.ts";
import { fitIntrinsicMinimax, type BoardPoints } from "../host-ts/src/calibrate/intrinsic-minimax.ts";
import type { IntrinsicFit, IntrinsicPoint } from "../host-ts/src/calibrate/intrinsic.ts";

/** Rounds up to at most two significant digits: 1..99 stay, 123 → 130, 50102 → 51000. */
export function simpleCeil(x: number): number {
  if (x <= 99) return Math.max(0, Math.ceil(x));
  const step = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.ceil(x / step) * step;
}

/** The next simple value above x: x + 1 up to 99, else one step of the second significant digit. */
function stepAbove(x: number): number {
  return x <= 99 ? x + 1 : x + 10 ** (Math.floor(Math.log10(x)) - 1);
}

/** The derived value, or the table's current one when that is above it by at most one rounding step. */
export function settle(derived: number, current: number | undefined): number {
  return current !== undefined && current > derived && current <= stepAbove(derived) ? current : derived;
}

function settleRow(row: CostRow, current: CostRow | undefined): CostRow {
  const out: CostRow = { ...row, base: settle(row.base, current?.base) };
  if (row.per !== undefined) out.per = settle(row.per, current?.per);
  return out;
}

interface Proposal { doc: string; margin: number; costs: Record<string, CostRow>; intrinsic?: Record<string, CostRow>; rehash?: CostRow }

function proposalOf(board: string): Proposal {
  const file = join(REPO, "docs/calibration", board, "proposed-cost-table.json");
  const entries = Object.values(JSON.parse(readFileSync(file, "utf8")) as Record<string, Proposal>);
  if (entries.length !== 1) throw new Error(`${file}: expected one proposed table`);
  return entries[0];
}

/** A board's committed per-job points (docs/calibration/<board>/calibration.json). */
function pointsOf(board: string): BoardPoints {
  const file = join(REPO, "docs/calibration", board, "calibration.json");
  return { board, points: (JSON.parse(readFileSync(file, "utf8")) as { intrinsic: { points: IntrinsicPoint[] } }).intrinsic.points };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const replace = args.includes("--replace");
  const write = replace || args.includes("--write");
  const [name, ...boards] = args.filter((a) => a !== "--write" && a !== "--replace");
  if (!name || !boards.length) throw new Error("usage: derive-cost-table.ts NAME BOARD... [--write | --replace]");
  const spec = JSON.parse(readFileSync(TABLE_PATH, "utf8")) as { costTables: Record<string, CostTable> };
  const previous = replace ? spec.costTables[name] : undefined;
  // The table being re-derived, for settle(); also without --replace, so that printing reproduces what --replace writes.
  const current = spec.costTables[name] as CostTable | undefined;
  if (replace && !previous) throw new Error(`spec/opcodes.json has no costTables.${name} to replace`);
  const v1 = spec.costTables.v1.costs;
  const proposals = boards.map(proposalOf);
  const margin = Math.max(...proposals.map((p) => p.margin));
  const costs: Record<string, CostRow> = {};
  for (const [key, base] of Object.entries(v1)) {
    const rows = proposals.map((p) => p.costs[key]).filter((r): r is CostRow => r !== undefined);
    const row: CostRow = { base: simpleCeil(Math.max(1, ...rows.map((r) => r.base))) };
    if (base.per !== undefined) {
      row.per = simpleCeil(Math.max(1, ...rows.map((r) => r.per ?? 0)));
      row.unit = base.unit;
      row.of = base.of;
    }
    costs[key] = settleRow(row, current?.costs[key]);
  }
  // The intrinsic and rehash charges (SPEC §8, §8.2): one fit over every board's per-job jobs
  // (intrinsic-minimax.ts), not the maximum of the boards' own fits, which would trade the parts
  // against each other differently per board; rounded up the same way.
  const fit = proposals.some((p) => p.intrinsic) ? await fitIntrinsicMinimax(boards.map(pointsOf), margin) : undefined;
  const parts = Object.keys(fit?.intrinsic ?? {});
  const intrinsic: Record<string, CostRow> = {};
  for (const part of parts) {
    const row = fit!.intrinsic[part as keyof IntrinsicFit["intrinsic"]];
    // Not held at the table's value (settle): the fit trades the rows against each other, so one
    // row held a step high would leave the others no longer the best; and the per-job times do not
    // move with the table (it is data in the firmware, not code), so the fit has no edge to flap on.
    intrinsic[part] = { base: simpleCeil(row.base), per: simpleCeil(row.per ?? 0), unit: row.unit, of: row.of };
  }
  const rehash: CostRow | undefined = fit ? { base: simpleCeil(fit.rehash.base), per: simpleCeil(fit.rehash.per ?? 0), unit: 1, of: "entries" } : undefined;
  const entry: CostTable = {
    status: "calibrated",
    doc:
      `Per cost key the maximum of the tables proposed by \`mhr calibrate\` on ${boards.join(", ")} ` +
      `(each charges every measured case at least ${margin} × its time at 1 cycle = 1 µs; virtual boards are ESTIMATES from exact instruction counts and a CPI model), ` +
      "base and per rounded up to two significant digits and lowered on a re-derivation only by more than one rounding step (scripts/derive-cost-table.ts)" + (parts.length ? "; " : "") +
      (parts.length
        ? "STORE.state's per also pays for hashing the stored bytes into the final state (fitted to the write per-job jobs); " +
          "the intrinsic rows (six parts) and the rehash row are one fit to every board's per-job work jobs (the smallest largest ratio of charge to time on the slowest board; host-ts/src/calibrate/intrinsic-minimax.ts), rounded the same way"
        : "") +
      (previous?.compaction ? "; the compaction rows (per unit processed: a live record or a dead run; per 32 bytes moved) are fitted by hand to the churn benchmarks on qemu-lx106" : "") +
      (previous?.indexMove ? "; the indexMove row (per 8 index slots moved) is fitted by hand to the insert and delete benchmarks on qemu-lx106, and the STORE.state and STORE.del bases cover the rest of those benchmarks" : "") +
      ". docs/SPEC.md §10 records the data.",
    // A new table is named by the next contract version (SPEC §5); a re-derived one keeps its own.
    contractVersion: previous?.contractVersion ?? Math.max(...Object.values(spec.costTables).map((t) => t.contractVersion)) + 1,
    basedOn: "v1",
    margin,
    ...(previous?.compaction ? { compaction: previous.compaction } : {}),
    ...(previous?.compactionMove ? { compactionMove: previous.compactionMove } : {}),
    ...(previous?.indexMove ? { indexMove: previous.indexMove } : {}),
    ...(rehash ? { rehash } : {}),
    ...(parts.length ? { intrinsic: intrinsic as CostTable["intrinsic"] } : {}),
    costs,
  };
  if (!write) {
    console.log(JSON.stringify({ [name]: entry }, null, 2));
    return;
  }
  if (spec.costTables[name] && !replace) throw new Error(`spec/opcodes.json already has costTables.${name}; re-derive it with --replace`);
  // spec/opcodes.json keeps a hand layout: the entry goes in as text before the end of costTables.
  const one = (c: CostRow) => `{ ${Object.entries(c).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(", ")} }`;
  const block = [
    `    ${JSON.stringify(name)}: {`,
    `      "status": ${JSON.stringify(entry.status)},`,
    `      "doc": ${JSON.stringify(entry.doc)},`,
    `      "contractVersion": ${entry.contractVersion},`,
    `      "basedOn": ${JSON.stringify(entry.basedOn)},`,
    `      "margin": ${JSON.stringify(entry.margin)},`,
    ...(entry.compaction ? [`      "compaction": ${one(entry.compaction)},`] : []),
    ...(entry.compactionMove ? [`      "compactionMove": ${one(entry.compactionMove)},`] : []),
    ...(entry.indexMove ? [`      "indexMove": ${one(entry.indexMove)},`] : []),
    ...(entry.rehash ? [`      "rehash": ${one(entry.rehash)},`] : []),
    ...(entry.intrinsic ? ['      "intrinsic": {', Object.entries(entry.intrinsic).map(([k, c]) => `        ${JSON.stringify(k)}: ${one(c!)}`).join(",\n"), "      },"] : []),
    `      "costs": {`,
    Object.entries(entry.costs).map(([k, c]) => `        ${JSON.stringify(k)}: ${one(c)}`).join(",\n"),
    "      }",
    "    }",
  ].join("\n");
  const text = readFileSync(TABLE_PATH, "utf8");
  let out: string;
  if (replace) {
    // The entry's own block: from its key to the first line that closes at its indentation.
    const start = text.indexOf(`\n    ${JSON.stringify(name)}: {\n`);
    const close = text.indexOf("\n    }", start + 1);
    if (start < 0 || close < 0) throw new Error(`spec/opcodes.json: cannot find the block of costTables.${name}`);
    out = text.slice(0, start + 1) + block + text.slice(close + "\n    }".length);
  } else {
    const end = "\n  },\n  \"defaultCostTable\"";
    if (text.split(end).length !== 2) throw new Error("spec/opcodes.json: cannot find the end of costTables");
    out = text.replace(end, `,\n${block}${end}`);
  }
  const parsed = JSON.parse(out) as { costTables: Record<string, CostTable> };
  if (JSON.stringify(parsed.costTables[name]) !== JSON.stringify(entry)) throw new Error(`spec/opcodes.json: the written costTables.${name} does not read back as derived`);
  writeFileSync(TABLE_PATH, out);
  console.log(`${replace ? "re-derived" : "wrote"} costTables.${name} in ${TABLE_PATH}; run npm run gen`);
}

await main();
