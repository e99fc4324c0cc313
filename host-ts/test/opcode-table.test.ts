/** The opcode table's own checks, and the columns tools read from it. */
import { describe, expect, it } from "vitest";
import { checkTable, loadTable } from "../src/spec/table-schema.ts";
import { OPCODES, SPACES } from "../src/generated/opcodes.ts";
import { Rng, structuredProgram } from "../src/fuzz/generate.ts";

describe("spec/opcodes.json", () => {
  it("loads and passes its own checks", () => {
    expect(() => loadTable()).not.toThrow();
  });

  it("rejects an operands column that does not match the pops", () => {
    const t = loadTable();
    t.opcodes.find((o) => o.mnemonic === "HASH")!.operands = ["addr", "len"];
    expect(() => checkTable(t)).toThrow(/HASH: operands must name 3 roles/);
    const u = loadTable();
    u.spaces.find((s) => s.name === "state")!.STORE!.operands = ["addr", "klen", "addr", "bogus" as never];
    expect(() => checkTable(u)).toThrow(/STORE\.state: operands/);
    const v = loadTable();
    v.costTables.v1.costs.LOG = { base: 10, per: 1, unit: 0, of: "len" };
    expect(() => checkTable(v)).toThrow(/unit >= 1/);
  });

  it("gives every range operand a role the fuzzer understands", () => {
    for (const o of OPCODES) if (typeof o.pops === "number") expect(o.operands, o.mnemonic).toHaveLength(o.pops);
    expect(OPCODES.find((o) => o.mnemonic === "VERIFY_VRF")!.operands).toEqual(["addr", "addr", "len", "addr", "addr"]);
    expect(SPACES.find((s) => s.name === "state")!.LOAD!.operands).toEqual(["addr", "klen", "addr", "len"]);
  });

  it("the fuzzer pushes one operand per role before an instruction with range operands", () => {
    const rng = new Rng(42);
    let seen = 0;
    for (let i = 0; i < 300; i++) {
      const { insns } = structuredProgram(rng, 256);
      insns.forEach((ins, k) => {
        if (ins.op.mnemonic !== "HASH" && ins.op.mnemonic !== "VERIFY_SIG") return;
        const n = ins.op.operands.length;
        expect(insns.slice(k - n, k).every((p) => p.op.mnemonic === "PUSH")).toBe(true);
        seen++;
      });
    }
    expect(seen).toBeGreaterThan(10);
  });
});
