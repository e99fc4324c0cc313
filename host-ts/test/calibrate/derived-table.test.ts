/**
 * The default table is what the committed calibration runs give: deriving v2
 * again from docs/calibration/<board>/proposed-cost-table.json reproduces
 * spec/opcodes.json's costs, intrinsic rows and rehash row (its compaction
 * rows are fitted by hand and not derived). A run committed without
 * re-deriving, or a table edited by hand, fails here; so does a change to
 * the per-job fit that the committed proposals do not follow.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { COST_TABLES, DEFAULT_COST_TABLE, INTRINSIC, REHASH } from "../../src/generated/opcodes.ts";
import type { CostTable } from "../../src/spec/table-schema.ts";
import type { IntrinsicPoint } from "../../src/calibrate/intrinsic.ts";
import { fitIntrinsicMinimax } from "../../src/calibrate/intrinsic-minimax.ts";
import { REPO_ROOT } from "../../src/boards/profiles.ts";

const run = promisify(execFile);

describe("scripts/derive-cost-table.ts", () => {
  it("reproduces the default table from the committed runs", async () => {
    const tsx = join(REPO_ROOT, "node_modules/.bin/tsx");
    const { stdout } = await run(tsx, ["scripts/derive-cost-table.ts", DEFAULT_COST_TABLE, "qemu-rv32", "qemu-lx106"], { cwd: REPO_ROOT, timeout: 60_000 });
    const derived = (JSON.parse(stdout) as Record<string, CostTable>)[DEFAULT_COST_TABLE];
    const strip = (c: object) => Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined));
    expect(Object.fromEntries(Object.entries(COST_TABLES[DEFAULT_COST_TABLE]).map(([k, c]) => [k, strip(c)]))).toEqual(derived.costs);
    expect(INTRINSIC[DEFAULT_COST_TABLE]).toEqual(derived.intrinsic);
    expect(REHASH[DEFAULT_COST_TABLE]).toEqual(derived.rehash);
  }, 90_000);

  it.each(["qemu-rv32", "qemu-lx106"])("the committed %s proposal's per-job rows are the fit of its committed per-job points", async (board) => {
    const dir = join(REPO_ROOT, "docs/calibration", board);
    const cal = JSON.parse(readFileSync(join(dir, "calibration.json"), "utf8")) as { settings: { margin: number }; intrinsic: { points: IntrinsicPoint[] } };
    const [proposal] = Object.values(JSON.parse(readFileSync(join(dir, "proposed-cost-table.json"), "utf8")) as Record<string, CostTable>);
    const fit = await fitIntrinsicMinimax([{ board, points: cal.intrinsic.points }], cal.settings.margin);
    expect(fit.intrinsic).toEqual(proposal.intrinsic);
    expect(fit.rehash).toEqual(proposal.rehash);
  });
});
