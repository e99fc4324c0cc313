/** The component's flash budget (scripts/size.ts): .text+.rodata <= 50 KiB on rv32imc and xtensa-lx106 at -Os. */
import { describe, expect, it } from "vitest";
import { BUDGET, TARGETS, measure, render } from "../../../scripts/size.ts";
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
    });
  }
});

describe("one MCU build", () => {
  it("the ESP-IDF component compiles with the flags size and bench:mcu measure (MCU_OPT)", () => {
    const cmake = readFileSync(join(COMPONENT, "CMakeLists.txt"), "utf8");
    expect(cmake).toContain(`target_compile_options(\${COMPONENT_LIB} PRIVATE ${MCU_OPT.join(" ")})`);
    expect(cmake).not.toMatch(/PRIVATE -O[0-3]\b/);
  });
});
