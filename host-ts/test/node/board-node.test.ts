/**
 * A Minimal node backed by the qemu-rv32 virtual board (the ESP32-C3
 * stand-in) through the existing board engine: what fits its profile runs on
 * the board, the rest is delegated, and both give the reference's bytes.
 * Skipped with a reason when the firmware or QEMU is not built/installed.
 */
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine } from "../../src/engines/registry.ts";
import { bytesToHex } from "../../src/model/hex.ts";
import { ROOT, SMALL, startNet, sumJob, type TestNet } from "./helpers.ts";

const ELF = join(ROOT, "build/firmware/qemu-rv32/mhr.elf");
const ready = existsSync(ELF) && spawnSync("qemu-system-riscv32", ["--version"]).status === 0;
const why = !existsSync(ELF) ? `${ELF} is not built (npm run build:firmware)` : "qemu-system-riscv32 is not installed (scripts/setup.sh)";

let t: TestNet | undefined;
beforeAll(async () => {
  if (ready) t = await startNet([{ name: "esp", profile: "minimal", engine: "board:qemu-rv32", functions: [] }, { name: "pi", profile: "community", engine: "as" }]);
}, 120_000);
afterAll(async () => t?.stop());

describe.skipIf(!ready)("Minimal node on board:qemu-rv32", () => {
  it("runs a job within its limits on the virtual board and delegates one above its cycle cap", async () => {
    const [esp, pi] = t!.nodes;
    const ref = await createEngine("reference");
    const small = sumJob(40, SMALL, esp.identity.nodeId, esp.identity.nodeId);
    const a = await esp.submit({ job: small });
    expect(a.ranOn).toBe("local");
    expect(esp.executor.engineName).toBe("board:qemu-rv32");
    expect(bytesToHex(a.resultBytes)).toBe(bytesToHex((await ref.run(small)).resultBytes));
    const big = sumJob(3000, undefined, esp.identity.nodeId, esp.identity.nodeId);
    const b = await esp.submit({ job: big });
    expect(b.ranOn).toBe("delegated");
    expect(b.providers).toEqual([pi.nodeId]);
    expect(bytesToHex(b.resultBytes)).toBe(bytesToHex((await ref.run(big)).resultBytes));
  }, 120_000);
});

describe.runIf(!ready)("Minimal node on board:qemu-rv32 (skipped)", () => {
  it(`skipped: ${why}`, () => expect(ready).toBe(false));
});
