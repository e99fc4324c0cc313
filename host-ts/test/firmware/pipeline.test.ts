/**
 * The firmware pipeline (scripts/build-firmware.ts): the committed generated C
 * is current, it compiles for the host with the runtime and component, and
 * the C VM gives byte-identical results to the WebAssembly module it came
 * from, on the strict-alignment code path the MCUs use.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COMPONENT, GENERATED, REPO, SRC, WARN, generate, haveTool, type Generated } from "../../../scripts/build-firmware.ts";
import { sampleJobs } from "./jobs.ts";

const work = mkdtempSync(join(tmpdir(), "mhr-fw-test-"));
let gen: Generated | undefined;
let genError = "";

beforeAll(() => {
  try {
    // MHR_FW_ENTRY: another AssemblyScript entry (pipeline development only).
    gen = generate(join(work, "gen"), { entry: process.env.MHR_FW_ENTRY });
  } catch (e) {
    genError = (e as Error).message;
  }
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Runs jobs on the wasm module in-process: "<result hex> <state hex>" per job, like vm_smoke. */
async function runWasm(wasm: Uint8Array, jobs: Uint8Array[]): Promise<string[]> {
  const instance = await WebAssembly.instantiate(new WebAssembly.Module(new Uint8Array(wasm)), {});
  const x = instance.exports as unknown as Record<string, () => number> & { memory: WebAssembly.Memory; mhr_run(len: number): number };
  return jobs.map((job) => {
    const mem = new Uint8Array(x.memory.buffer);
    mem.set(job, x.mhr_job_ptr());
    const n = x.mhr_run(job.length);
    const r = mem.slice(x.mhr_result_ptr(), x.mhr_result_ptr() + n);
    const sl = x.mhr_state_len();
    const s = mem.slice(x.mhr_state_ptr(), x.mhr_state_ptr() + sl);
    return `${hex(r)} ${sl ? hex(s) : "-"}`;
  });
}

describe("firmware pipeline", () => {
  it("the AssemblyScript VM compiles and wasm2c translates it", () => {
    expect(genError, `generation failed:\n${genError}`).toBe("");
    expect(gen!.files["mhr_vm.c"]).toContain("w2c_mhrvm_mhr_run");
  });

  it("the committed generated C is current (else: npm run build:firmware)", () => {
    if (!gen) return expect.fail(`generation failed: ${genError}`);
    for (const [name, text] of Object.entries(gen.files)) {
      const path = join(GENERATED, name);
      expect(existsSync(path), `${path} is missing: run npm run build:firmware`).toBe(true);
      expect(readFileSync(path, "utf8") === text, `${name} is stale: run npm run build:firmware and commit`).toBe(true);
    }
  });

  it("compiles for the host (strict-alignment path) and matches the wasm module byte for byte", async () => {
    if (!gen) return expect.fail(`generation failed: ${genError}`);
    // Compile the freshly generated C (identical to the committed copy when the test above passes).
    const gdir = join(work, "gen");
    const exe = join(work, "vm_smoke");
    const includes = SRC.includes.map((i) => (i.endsWith("/generated") ? `-I${gdir}` : i));
    execFileSync("gcc", ["-std=c11", "-O1", "-Werror", ...WARN, "-DWASM_RT_STRICT_ALIGNMENT", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", ...includes,
      join(REPO, "firmware/test/vm_smoke.c"), join(COMPONENT, "src/mhr_byte.c"), join(COMPONENT, "runtime/wasm-rt-impl.c"), join(gdir, "mhr_vm.c"), "-o", exe], { stdio: "pipe" });
    const jobs = sampleJobs();
    const files = jobs.map((j) => {
      const f = join(work, `${j.name}.job`);
      writeFileSync(f, j.bytes);
      return f;
    });
    const out = execFileSync(exe, [...files, "@toolarge"], { encoding: "utf8", env: { ...process.env, ASAN_OPTIONS: "detect_leaks=0" } }).trim().split("\n");
    const tooLarge = out.pop()!;
    expect(tooLarge).not.toMatch(/^TRAP/);
    const want = await runWasm(gen.wasm, jobs.map((j) => j.bytes));
    for (const [i, j] of jobs.entries()) expect(out[i], j.name).toBe(want[i]);
  });

  it("the libgcc helpers for lx106 agree with the host's arithmetic", () => {
    const exe = join(work, "lgh");
    execFileSync("gcc", ["-O1", "-Wall", "-Werror", "-DMHR_HELPER(n)=test_##n", join(REPO, "firmware/test/libgcc_helpers_test.c"), join(COMPONENT, "runtime/libgcc-helpers.c"), "-o", exe], { stdio: "pipe" });
    expect(execFileSync(exe, { encoding: "utf8" })).toContain("libgcc-helpers: ok");
  });

  it("the RV32 ports' word-wise memset/memcpy/memmove agree with the C library", () => {
    const exe = join(work, "rvs");
    execFileSync("gcc", ["-O1", "-Wall", "-Werror", "-DMHR_STRING(n)=test_##n", join(REPO, "firmware/test/rv32_string_test.c"), join(REPO, "firmware/ports/rv32-string.c"), "-o", exe], { stdio: "pipe" });
    expect(execFileSync(exe, { encoding: "utf8" })).toContain("rv32-string: ok");
  });

  it("the Xtensa ports' memmove agrees with the C library's", () => {
    const exe = join(work, "xts");
    execFileSync("gcc", ["-O1", "-Wall", "-Werror", "-DMHR_STRING(n)=test_##n", join(REPO, "firmware/test/xtensa_string_test.c"), join(REPO, "firmware/ports/xtensa-string.c"), "-o", exe], { stdio: "pipe" });
    expect(execFileSync(exe, { encoding: "utf8" })).toContain("xtensa-string: ok");
  });

  it.skipIf(!haveTool("clang"))("the fuzz target builds", () => {
    // Compile only (no libFuzzer run here: scripts/fuzz-native.sh does that).
    execFileSync("clang", ["-std=c11", "-fsyntax-only", ...WARN, ...SRC.includes, `-I${join(COMPONENT, "src")}`, `-I${join(REPO, "firmware/fuzz")}`, join(REPO, "firmware/fuzz/fuzz_run.c")], { stdio: "pipe" });
  });
});
