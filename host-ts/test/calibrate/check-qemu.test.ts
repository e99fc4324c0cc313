/**
 * `mhr calibrate --check` on the qemu-rv32 virtual board (npm test builds its
 * image first). Under -icount the instruction counts are exact, so the verdict
 * is deterministic, not a timing result. Two keys keep it short: v1
 * under-charges HASH (1.29× at 8 KiB: its fixed 500 cycles do not make up for
 * 10 per 64 bytes) and over-charges ADD; the calibrated table v2 covers both. The per-job work jobs run in every
 * calibration: v1 charges them nothing beyond their HALT, v2 its intrinsic
 * charge. The full check of every key and job, `mhr calibrate --board
 * qemu-rv32 --check v2`, runs in npm test (scripts/test.sh, ~75 s here).
 */
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { haveTool } from "../../../scripts/build-firmware.ts";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const IMAGE = join(ROOT, "build/firmware/qemu-rv32/mhr.elf");
const missing = !haveTool("qemu-system-riscv32") ? "no qemu-system-riscv32" : !existsSync(IMAGE) ? "no image: npm run build:firmware" : "";

function mhr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, "bin/mhr.mjs"), ...args], { cwd: ROOT, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("mhr calibrate --check on qemu-rv32", () => {
  it.skipIf(missing !== "")(`--check v1 exits 1 and lists the under-charged keys${missing ? ` (skipped: ${missing})` : ""}`, async () => {
    const out = mkdtempSync(join(tmpdir(), "mhr-check-"));
    try {
      const r = await mhr(["calibrate", "--board", "qemu-rv32", "--only", "ADD,HASH", "--repeat", "1", "--k", "16", "--check", "v1", "--no-progress", "--out", out]);
      const line = r.stdout.split("\n").find((l) => l.startsWith("check v1 on qemu-rv32:"));
      expect(line, r.stderr).toBeDefined();
      expect(r.code).toBe(1);
      const listed = /unsound key\(s\): (.*)$/.exec(line!)?.[1].split(", ");
      expect(listed?.sort()).toEqual(["HASH"]);
      // The spread of the table over the measured keys follows the list.
      expect(r.stdout).toMatch(/\n  spread: [\d.]+× \(least over-charged /);
      // v1 charges no per-job work: every per-job job is listed as charged below its time.
      expect(r.stdout).toMatch(/per-job work: (\d+) of \1 jobs charged below their time/);
      // The same measurements under the calibrated table v2 (calibration.json checks every table).
      const checks = (JSON.parse(readFileSync(join(out, "calibration.json"), "utf8")) as { checks: { table: string; unsound: unknown[]; jobs: { unsound: unknown[]; checked: number } }[] }).checks;
      const v2 = checks.find((c) => c.table === "v2");
      expect(v2?.unsound).toEqual([]);
      expect(v2?.jobs.unsound).toEqual([]);
      expect(v2?.jobs.checked).toBeGreaterThan(10);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 600_000);

  it("--check with an unknown table is a usage error before any measurement", async () => {
    const r = await mhr(["calibrate", "--board", "qemu-rv32", "--check", "v0", "--no-progress"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/unknown cost table v0/);
  }, 60_000);
});
