/**
 * One cost function (generated/opcodes.ts chargeOf/costOf) serves the
 * reference, the WASM tier and calibration: the formula lives nowhere else,
 * and every consumer reads the same cost-table rows.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ACTIVE_COST_TABLE, COST_KEYS, COST_TABLES, COSTS, chargeOf, costOf, type Cost } from "../src/generated/opcodes.ts";
import { HOST_FUNCTIONS, WASM_COSTS } from "../src/wasm-tier/constants.ts";
import { V1_COSTS } from "../src/calibrate/microbench.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("the cost function", () => {
  it("is SPEC §10's base + per × ceil(n / unit) on every key of the active table", () => {
    for (const key of COST_KEYS) {
      const c = COSTS[key];
      for (const n of [0, 1, 31, 32, 33, 64, 1000]) {
        const want = c.per === undefined ? c.base : c.base + c.per * Math.ceil(n / c.unit!);
        expect(costOf(key, n), `${key} n=${n}`).toBe(want);
      }
    }
    expect(costOf("HASH", 65)).toBe(500 + 10 * 2);
    expect(() => costOf("NOPE")).toThrow(/no cost for NOPE/);
  });

  it("is table-driven: another table is another argument, not another formula", () => {
    const v2: Record<string, Cost> = { ...COSTS, ADD: { base: 7 }, LOG: { base: 1, per: 3, unit: 8, of: "len" } };
    expect(costOf("ADD", 0, v2)).toBe(7);
    expect(costOf("LOG", 17, v2)).toBe(1 + 3 * 3);
    expect(costOf("ADD")).toBe(COST_TABLES[ACTIVE_COST_TABLE].ADD.base);
  });

  it("the WASM tier and calibration read the same rows", () => {
    for (const h of HOST_FUNCTIONS) expect(h.cost, h.name).toBe(COSTS[h.equivalent]);
    expect(WASM_COSTS.bulk).toBe(COSTS["STORE.copy"]);
    expect(V1_COSTS).toBe(COST_TABLES.v1);
    expect(chargeOf(COSTS["STORE.copy"], 33)).toBe(costOf("STORE.copy", 33));
  });

  it("no hand-written source computes the formula itself", () => {
    const files = execFileSync("git", ["ls-files", "host-ts/src", "scripts", "bench"], { cwd: ROOT, encoding: "utf8" })
      // The generator writes the one function; generated files hold it.
      .split("\n").filter((f) => f.endsWith(".ts") && !f.includes("/generated/") && f !== "scripts/gen/opcodes-ts.ts");
    const formula = /\.base\s*\+\s*[\w.]*per\b[^;\n]*Math\.ceil/;
    const offenders = files.filter((f) => formula.test(readFileSync(`${ROOT}/${f}`, "utf8")));
    expect(offenders).toEqual([]);
  });
});
