/**
 * The issues' acceptance commands, run as a user runs them (the real CLI in a
 * child process), so CI proves them on every change: every engine and virtual
 * board passes every vector, coverage is complete, differential fuzzing finds
 * no divergence, conformance survives a faulty link, and bad input gets a
 * one-line error.
 */
import { describe, it, expect } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MHR = join(ROOT, "bin/mhr.mjs");

function mhr(args: string[], timeoutMs = 600_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MHR, ...args], { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
const lastJson = (s: string) => JSON.parse(s.trim().split("\n").filter((l) => l.startsWith("{")).pop()!);
const built = (p: string) => existsSync(join(ROOT, p));
const total = () => {
  let n = 0;
  // Every file: the version-1 categories and their version-2 twins (v2-*.json).
  for (const f of readdirSync(join(ROOT, "test-vectors/mhr-byte")).filter((x) => x.endsWith(".json"))) {
    n += JSON.parse(readFileSync(join(ROOT, `test-vectors/mhr-byte/${f}`), "utf8")).vectors.length;
  }
  return n;
};

describe("mhr vectors check", () => {
  for (const [engine, artefact] of [["reference", null], ["as", "build/mhr-vm.wasm"], ["native", "build/firmware/host/mhr-host"], ["qemu-lx106", "build/firmware/qemu-lx106/mhr.elf"], ["qemu-rv32", "build/firmware/qemu-rv32/mhr.elf"]] as const) {
    it.skipIf(artefact !== null && !built(artefact))(`--engine ${engine} passes every vector`, async () => {
      const r = await mhr(["vectors", "check", "--engine", engine, "--quiet"]);
      const s = lastJson(r.stdout);
      expect(s).toEqual({ engine, total: total(), passed: total(), failed: 0 });
      expect(s.total).toBeGreaterThanOrEqual(1000);
      expect(r.code).toBe(0);
    }, 600_000);
  }
  it("wasm-tier passes every WASM-tier vector", async () => {
    const s = lastJson((await mhr(["vectors", "check", "--engine", "wasm-tier", "--quiet"])).stdout);
    expect(s.failed).toBe(0);
    expect(s.total).toBeGreaterThan(50);
  }, 300_000);
});

describe("mhr vectors coverage", () => {
  it("covers every opcode, space, trap and validation error", async () => {
    const r = await mhr(["vectors", "coverage", "--json"]);
    const c = JSON.parse(r.stdout);
    expect(c.missing).toEqual([]);
    expect(Object.keys(c.opcodes)).toHaveLength(47);
    expect(r.code).toBe(0);
  });
});

describe("mhr fuzz", () => {
  it.skipIf(!built("build/mhr-vm.wasm"))("reference vs as: no divergence on 5000 jobs", async () => {
    const out = mkdtempSync(join(tmpdir(), "mhr-fuzz-"));
    const r = await mhr(["fuzz", "--engines", "reference,as", "--count", "5000", "--seed", "11", "--out", out]);
    expect(lastJson(r.stdout)).toMatchObject({ divergences: 0, engineErrors: 0, count: 5000 });
  }, 300_000);
  it.skipIf(!built("build/firmware/host/mhr-host"))("as vs native: no divergence on 3000 jobs", async () => {
    const out = mkdtempSync(join(tmpdir(), "mhr-fuzz-"));
    const r = await mhr(["fuzz", "--engines", "as,native", "--count", "3000", "--seed", "12", "--out", out]);
    expect(lastJson(r.stdout)).toMatchObject({ divergences: 0, engineErrors: 0 });
  }, 300_000);
});

describe("mhr conform", () => {
  it.skipIf(!built("build/firmware/qemu-lx106/mhr.elf"))("two boards in parallel write JSON and JUnit with the summary line", async () => {
    const out = mkdtempSync(join(tmpdir(), "mhr-conform-"));
    const r = await mhr(["conform", "--board", "qemu-lx106", "--board", "host", "--out", out, "--no-progress"]);
    expect(r.code).toBe(0);
    for (const b of ["qemu-lx106", "host"]) {
      const line = r.stdout.split("\n").find((l) => l.startsWith(`${b}:`))!;
      expect(JSON.parse(line.slice(line.indexOf("{")))).toEqual({ engine: b, total: total(), passed: total(), failed: 0 });
      expect(JSON.parse(readFileSync(join(out, `${b}.json`), "utf8")).results).toHaveLength(total());
    }
    const junit = readFileSync(join(out, "junit.xml"), "utf8");
    expect(junit).toContain(`<testsuites name="mhr conform" tests="${2 * total()}" failures="0" errors="0">`);
  }, 600_000);

  // The README's example at several seeds, on the vectors with the largest results (4 KiB of
  // output, 2 KiB of logs): each must get through, not only at the README's seed.
  for (const seed of [1, 2, 4, 5]) {
    it.skipIf(!built("build/firmware/host/mhr-host"))(`the README's --faults corrupt=0.05,drop=0.03 passes at seed ${seed}`, async () => {
      const out = mkdtempSync(join(tmpdir(), "mhr-conform-"));
      const r = await mhr(["conform", "--board", "host", "--filter", "system/", "--faults", `seed=${seed},corrupt=0.05,drop=0.03`, "--out", out, "--no-progress"]);
      const report = JSON.parse(readFileSync(join(out, "host.json"), "utf8"));
      expect(report.results.map((x: { name: string }) => x.name)).toEqual(expect.arrayContaining(["system/emit/at-limit", "system/log/bytes-at-limit"]));
      expect(report.summary.failed, r.stdout).toBe(0);
      expect(r.code).toBe(0);
    }, 300_000);
  }

  it.skipIf(!built("build/firmware/host/mhr-host"))("a link with random corruption and drops still accounts for every vector exactly once", async () => {
    const out = mkdtempSync(join(tmpdir(), "mhr-conform-"));
    const r = await mhr(["conform", "--board", "host", "--filter", "arithmetic/add/", "--faults", "seed=3,corrupt=0.05,drop=0.03,duplicate=0.02,garbage=0.05,split=0.2,merge=0.2", "--out", out, "--no-progress"]);
    const report = JSON.parse(readFileSync(join(out, "host.json"), "utf8"));
    const names = report.results.map((x: { name: string }) => x.name);
    expect(new Set(names).size).toBe(names.length);
    // The filter is a substring: it selects the version-1 vectors and their version-2 twins (v2/arithmetic/add/…).
    const expected = ["arithmetic.json", "v2-arithmetic.json"].flatMap((f) => JSON.parse(readFileSync(join(ROOT, "test-vectors/mhr-byte", f), "utf8")).vectors.map((v: { name: string }) => v.name)).filter((n: string) => n.includes("arithmetic/add/"));
    expect(names.sort()).toEqual(expected.sort());
    expect(report.summary.failed).toBe(0);
    expect(report.retries + report.results.length).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  }, 300_000);
});

describe("malformed input gets a one-line error and a non-zero exit", () => {
  const dir = mkdtempSync(join(tmpdir(), "mhr-bad-"));
  const badAsm = join(dir, "bad.masm"); writeFileSync(badAsm, ".func main 0 0\nPUSH\n");
  const badPkg = join(dir, "bad.mhr"); writeFileSync(badPkg, Buffer.from([0xa7, 0x00]));
  const badJson = join(dir, "state.json"); writeFileSync(badJson, "{not json");
  const good = join(ROOT, "examples/contracts/naming.masm");
  const cases: [string, string[]][] = [
    ["bad assembly", ["asm", badAsm]],
    ["corrupt contract bytes", ["disasm", badPkg]],
    ["a missing file", ["run", join(dir, "nope.mhr"), "--fn", "x"]],
    ["bad JSON state", ["run", good, "--fn", "resolve", "--state", badJson]],
    ["bad hex input", ["run", good, "--fn", "resolve", "--input", "zz"]],
    ["a bad integer argument", ["run", good, "--fn", "resolve", "--args", "1.5"]],
    ["an unknown engine", ["vectors", "check", "--engine", "nope"]],
    ["an unknown board", ["conform", "--board", "nope"]],
    ["a bad fuzz count", ["fuzz", "--count", "-3"]],
    ["a missing WASM module", ["wasm", "run", join(dir, "none.wasm"), "--fn", "f"]],
  ];
  for (const [what, args] of cases) {
    it(`${what}`, async () => {
      const r = await mhr(args);
      expect(r.code).not.toBe(0);
      const lines = r.stderr.split("\n").filter((l) => l.trim() && !l.includes("npm warn"));
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/error/i);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }, 60_000);
  }
});
