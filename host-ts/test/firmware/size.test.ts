/** The component's flash budget (scripts/size.ts): .text+.rodata <= 50 KiB on rv32imc and xtensa-lx106 at -Os. */
import { describe, expect, it } from "vitest";
import { BUDGET, TARGETS, measure, render } from "../../../scripts/size.ts";
import { haveTool } from "../../../scripts/build-firmware.ts";

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
