/**
 * One cost function (generated/opcodes.ts chargeOf/costOf) serves the
 * reference, the WASM tier and calibration: the formula lives nowhere else,
 * and every consumer reads the same cost-table rows.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { COST_KEYS, COST_TABLES, COST_TABLE_OF_VERSION, DEFAULT_COST_TABLE, DEFAULT_CONTRACT_VERSION, INTRINSIC, REHASH, chargeOf, costOf, costTableNameOf, costTableOf, intrinsicOf, rehashOf, type Cost } from "../src/generated/opcodes.ts";
import { HOST_FUNCTIONS, WASM_COSTS } from "../src/wasm-tier/constants.ts";
import { V1_COSTS } from "../src/calibrate/microbench.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("the cost function", () => {
  it("is SPEC §10's base + per × ceil(n / unit) on every key of every table", () => {
    for (const table of Object.values(COST_TABLES)) {
      for (const key of COST_KEYS) {
        const c = table[key];
        for (const n of [0, 1, 31, 32, 33, 64, 1000]) {
          const want = c.per === undefined ? c.base : c.base + c.per * Math.ceil(n / c.unit!);
          expect(costOf(key, n, table), `${key} n=${n}`).toBe(want);
        }
      }
    }
    expect(costOf("HASH", 65, COST_TABLES.v1)).toBe(500 + 10 * 2);
    expect(costOf("HASH", 65, COST_TABLES.v2)).toBe(COST_TABLES.v2.HASH.base + COST_TABLES.v2.HASH.per! * 2);
    expect(() => costOf("NOPE", 0, COST_TABLES.v1)).toThrow(/no cost for NOPE/);
  });

  it("a contract version names its table (SPEC §5): 1 is v1 without an intrinsic charge, 2 is v2 with one, the default is v2", () => {
    expect(costTableNameOf(1)).toBe("v1");
    expect(costTableNameOf(2)).toBe("v2");
    expect(costTableNameOf(0)).toBeUndefined();
    expect(costTableNameOf(3)).toBeUndefined();
    expect(costTableOf(2)).toBe(COST_TABLES.v2);
    expect(() => costTableOf(3)).toThrow(/no cost table/);
    expect(COST_TABLE_OF_VERSION[DEFAULT_CONTRACT_VERSION]).toBe(DEFAULT_COST_TABLE);
    expect(DEFAULT_COST_TABLE).toBe("v2");
    expect(INTRINSIC.v1).toBeUndefined();
    expect(intrinsicOf("v1", { jobBytes: 60000, codeBytes: 60000, instructions: 60000, entries: 5000, stateSize: 32768, maxMemory: 32768 })).toBe(0);
    expect(rehashOf("v1", 5000)).toBe(0);
  });

  it("the intrinsic charge is the sum of its rows over job bytes, code, instructions, entries, prior state size and max_memory (SPEC §8)", () => {
    const r = INTRINSIC.v2!;
    const m = { jobBytes: 1000, codeBytes: 500, instructions: 300, entries: 7, stateSize: 300, maxMemory: 2048 };
    const want = chargeOf(r.JOB, 1000) + chargeOf(r["JOB.code"], 500) + chargeOf(r["JOB.instructions"], 300) + chargeOf(r["JOB.entries"], 7) +
      chargeOf(r["JOB.state"], 300) + chargeOf(r["JOB.memory"], 2048);
    expect(intrinsicOf("v2", m)).toBe(want);
    expect(intrinsicOf("v2", { ...m, entries: 8 }) - intrinsicOf("v2", m)).toBe(r["JOB.entries"].per);
    expect(rehashOf("v2", 10)).toBe(chargeOf(REHASH.v2!, 10));
    // Monotone in each measure, and one more unit of job bytes costs exactly JOB.per.
    const u = r.JOB.unit!;
    expect(intrinsicOf("v2", { ...m, jobBytes: 2 * u + 1 }) - intrinsicOf("v2", { ...m, jobBytes: 2 * u })).toBe(r.JOB.per);
    expect(intrinsicOf("v2", { ...m, stateSize: 0 })).toBeLessThan(intrinsicOf("v2", m));
  });

  it("is table-driven: another table is another argument, not another formula", () => {
    const other: Record<string, Cost> = { ...COST_TABLES.v1, ADD: { base: 7 }, LOG: { base: 1, per: 3, unit: 8, of: "len" } };
    expect(costOf("ADD", 0, other)).toBe(7);
    expect(costOf("LOG", 17, other)).toBe(1 + 3 * 3);
    expect(costOf("ADD", 0, COST_TABLES.v2)).toBe(COST_TABLES.v2.ADD.base);
  });

  it("the WASM tier and calibration read the same rows", () => {
    for (const h of HOST_FUNCTIONS) expect(h.cost, h.name).toBe(COST_TABLES.v1[h.equivalent]);
    expect(WASM_COSTS.bulk).toBe(COST_TABLES.v1["STORE.copy"]);
    expect(V1_COSTS).toBe(COST_TABLES.v1);
    expect(chargeOf(COST_TABLES.v1["STORE.copy"], 33)).toBe(costOf("STORE.copy", 33, COST_TABLES.v1));
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
