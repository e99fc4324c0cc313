/** The component's flash budget (scripts/size.ts): .text+.rodata <= 50 KiB on rv32imc and xtensa-lx106 at -Os. */
import { describe, expect, it } from "vitest";
import { BUDGET, BOUNDED_RECURSION, CallGraphError, STACK_BUDGET, TARGETS, measure, peakStack, render, type CallGraph } from "../../../scripts/size.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { COMPONENT, MCU_OPT, haveTool } from "../../../scripts/build-firmware.ts";

describe("firmware size budget", () => {
  for (const t of TARGETS) {
    const have = haveTool(`${t.prefix}gcc`);
    it.skipIf(!have)(`${t.name}: component .text+.rodata within ${BUDGET} B${have ? "" : ` (skipped: apt-get install ${t.pkg})`}`, () => {
      const r = measure(t);
      expect(r.flash, render(r)).toBeLessThanOrEqual(BUDGET);
      expect(r.bytes.vm.text, "no VM code measured").toBeGreaterThan(1000);
      expect(r.ram.peakStack, "peak stack unknown").toBeGreaterThan(0);
      expect(r.ram.peakStack, render(r)).toBeLessThanOrEqual(STACK_BUDGET);
    });
  }
});

describe("static stack bound (the MCU builds count no wasm call depth)", () => {
  const fn = (name: string) => `w2c_mhrvm_interpreter0x2Das0x2Fassembly0x2F${name.replace("/", "0x2F")}`;
  const graph = (frames: Record<string, number>, edges: [string, string][]): CallGraph => {
    const calls = new Map<string, Set<string>>();
    for (const [a, b] of edges) calls.set(a, (calls.get(a) ?? new Set()).add(b));
    return { frame: new Map(Object.entries(frames)), calls };
  };
  it("counts the CBOR item check's self-call MAX_CBOR_DEPTH + 1 times", () => {
    const item = fn(BOUNDED_RECURSION.name);
    const g = graph({ run: 16, [item]: 48, leaf: 8 }, [["run", item], [item, item], [item, "leaf"]]);
    expect(peakStack(g, "run").bytes).toBe(16 + 48 * BOUNDED_RECURSION.frames + 8);
  });
  it("fails on any other recursion, direct or mutual", () => {
    expect(() => peakStack(graph({ run: 16, [fn("vm/execute")]: 32 }, [["run", fn("vm/execute")], [fn("vm/execute"), fn("vm/execute")]]), "run")).toThrow(CallGraphError);
    const item = fn(BOUNDED_RECURSION.name);
    expect(() => peakStack(graph({ run: 16, [item]: 48, [fn("cbor/skip")]: 32 }, [["run", item], [item, fn("cbor/skip")], [fn("cbor/skip"), item]]), "run")).toThrow(/cycle .*cbor\/skip/);
  });
});

describe("one MCU build", () => {
  it("the ESP-IDF component compiles with the flags size and bench:mcu measure (MCU_OPT)", () => {
    const cmake = readFileSync(join(COMPONENT, "CMakeLists.txt"), "utf8");
    expect(cmake).toContain(`target_compile_options(\${COMPONENT_LIB} PRIVATE ${MCU_OPT.join(" ")})`);
    expect(cmake).not.toMatch(/PRIVATE -O[0-3]\b/);
  });
});
