/**
 * Bad input the tools used to let through (issue 14 §4), one test each: the
 * assembler refuses what validation would reject, source text is strict
 * UTF-8, numeric options and vector files are checked, a bad output path is
 * one line, disasm says when its round trip does not hold, and a WASM trap's
 * detail names its cause.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AsmError, assemble } from "../src/asm/index.ts";
import { assembleChecked, decodeSourceText, firstInvalidUtf8 } from "../src/jobs/source.ts";
import { loadContract } from "../src/jobs/contract-file.ts";
import { UserError } from "../src/model/errors.ts";
import { encodeContract, encodeJob, hash32 } from "../src/model/codec.ts";
import { makeJob } from "../src/model/job.ts";
import { runJob } from "../src/reference/index.ts";
import { ErrorCode, Limit, Status } from "../src/generated/opcodes.ts";
import { loadVectors } from "../src/vectors/format.ts";
import { runWasmJob, ModuleCache } from "../src/wasm-tier/run.ts";
import { WasmTrap } from "../src/generated/wasm-tier.ts";
import { buildWasmJob } from "../../test-vectors/defs/wasm.ts";
import { loadWat } from "../src/wasm-tier/wat.ts";
import { loadBinaryen } from "../src/wasm-tier/binaryen.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const MHR = join(ROOT, "bin/mhr.mjs");
const dir = mkdtempSync(join(tmpdir(), "mhr-bad-input-"));

function mhr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MHR, ...args], { cwd: ROOT, timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
const oneLine = (s: string) => s.split("\n").filter((l) => l.trim()).length === 1;

/** The assembler's refusal: AsmError with the validator's name, on the given line. */
function refusal(source: string): { line: number; message: string } {
  try {
    assembleChecked(source);
  } catch (e) {
    if (e instanceof AsmError) return { line: e.line, message: e.message };
    throw e;
  }
  throw new Error("the assembler accepted it");
}

/** What the reference says about the contract the unchecked assembler writes (proving the refusal is right). */
function referenceError(source: string): number | undefined {
  const c = assemble(source);
  const r = runJob(encodeJob(makeJob(c, { args: Array.from({ length: c.functions[0].args }, () => 0n) })));
  return r.result.status === Status.INVALID ? Number(r.result.code) : undefined;
}

describe("mhr asm refuses what every engine would reject as INVALID", () => {
  const cases: [string, string, number, RegExp, number][] = [
    // A job holding this much code is already over MAX_JOB_SIZE, so an engine answers JOB_TOO_LARGE (step 0) first.
    ["code over 65,535 bytes", `.func main 0 0\n${"PUSH 1000\n".repeat(16384)}HALT`, ErrorCode.JOB_TOO_LARGE, /BAD_CODE_SIZE: 65537 bytes of code/, 16385],
    [".memory over MAX_MEMORY", `.memory ${Limit.MAX_MEMORY + 1}\n.func main 0 0\nHALT`, ErrorCode.LIMIT_OUT_OF_RANGE, /LIMIT_OUT_OF_RANGE: max_memory 32769/, 1],
    [".cycles over MAX_CYCLES", `.memory 16\n.cycles ${Limit.MAX_CYCLES + 1}\n.func main 0 0\nHALT`, ErrorCode.LIMIT_OUT_OF_RANGE, /LIMIT_OUT_OF_RANGE: max_cycles/, 2],
    [".state over MAX_STATE_SIZE", `.state ${Limit.MAX_STATE_SIZE + 1}\n.func main 0 0\nHALT`, ErrorCode.LIMIT_OUT_OF_RANGE, /max_state_size/, 1],
    ["33 functions", `${Array.from({ length: 33 }, (_, i) => `.func f${i} 0 0 e`).join("\n")}\ne:\nHALT`, ErrorCode.BAD_FUNCTION_TABLE, /BAD_FUNCTION_TABLE: 33 functions/, 33],
    ["a 33-byte function name", `.func main 0 0\nHALT\n.func ${"n".repeat(33)} 0 0 0`, ErrorCode.BAD_FUNCTION_TABLE, /its name is 33 bytes/, 3],
    ["17 arguments", `.func main 17 0\nHALT`, ErrorCode.BAD_FUNCTION_TABLE, /17 arguments/, 1],
    ["17 return values", `.func main 0 17\nHALT`, ErrorCode.BAD_FUNCTION_TABLE, /17 return values/, 1],
    ["duplicate function names", `.func a 0 0 e\n.func a 0 0 e\ne:\nHALT`, ErrorCode.BAD_FUNCTION_TABLE, /a second function of that name/, 2],
    ["an entry inside an instruction", `.func main 0 0 1\nPUSH 1\nHALT`, ErrorCode.BAD_FUNCTION_TABLE, /entry 1 is not the start/, 1],
    ["a jump into an immediate", `.func main 0 0\nPUSH 1\nJMP 1\nHALT`, ErrorCode.BAD_JUMP_TARGET, /BAD_JUMP_TARGET/, 3],
    ["an unknown opcode from .byte", `.func main 0 0\nHALT\n.byte 0xff`, ErrorCode.UNKNOWN_OPCODE, /UNKNOWN_OPCODE: at code offset 1/, 3],
    ["a truncated immediate from .byte", `.func main 0 0\nHALT\n.byte 0x01`, ErrorCode.TRUNCATED_IMMEDIATE, /TRUNCATED_IMMEDIATE/, 3],
  ];
  for (const [what, source, code, message, line] of cases) {
    it(what, () => {
      const r = refusal(source);
      expect(r.message).toMatch(message);
      expect(r.line).toBe(line);
      expect(r.message).toMatch(new RegExp(`^line ${line}: `));
      // What would have been written is INVALID on the reference, for the reason the refusal names.
      expect(referenceError(source)).toBe(code);
    });
  }

  it("accepts what validation accepts, at every limit", () => {
    expect(() => assembleChecked(`.memory ${Limit.MAX_MEMORY}\n.cycles ${Limit.MAX_CYCLES}\n.state ${Limit.MAX_STATE_SIZE}\n.func ${"n".repeat(32)} 16 16\nHALT`)).not.toThrow();
    expect(() => assembleChecked(`${Array.from({ length: 32 }, (_, i) => `.func f${i} 0 0 e`).join("\n")}\ne:\nHALT`)).not.toThrow();
  });

  it("the command writes nothing and says so on one line", async () => {
    const src = join(dir, "args17.masm");
    writeFileSync(src, ".func main 17 0\nHALT\n");
    const r = await mhr(["asm", src]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/args17\.masm: line 1: BAD_FUNCTION_TABLE: function "main": 17 arguments/);
    expect(existsSync(join(dir, "args17.mhr"))).toBe(false);
  }, 120_000);
});

describe("source text is strict UTF-8", () => {
  it("rejects invalid UTF-8 with its line and byte offset instead of turning it into U+FFFD", () => {
    const bytes = Uint8Array.from([...Buffer.from(".memory 16\n.func \"ma"), 0xff, ...Buffer.from("in\" 0 0\nHALT\n")]);
    expect(firstInvalidUtf8(bytes)).toBe(20);
    expect(() => decodeSourceText(bytes, "x.masm")).toThrow(UserError);
    expect(() => decodeSourceText(bytes, "x.masm")).toThrow(/^x\.masm: line 2: invalid UTF-8 at byte offset 20 \(0xff\)/);
    const file = join(dir, "badutf8.masm");
    writeFileSync(file, bytes);
    expect(() => loadContract(file)).toThrow(/line 2: invalid UTF-8 at byte offset 20/);
  });

  it("knows overlong forms, surrogates and truncated sequences", () => {
    for (const bad of [[0xc0, 0x80], [0xe0, 0x80, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]) {
      expect(firstInvalidUtf8(Uint8Array.from([0x41, ...bad])), bad.join(",")).toBe(1);
    }
    expect(firstInvalidUtf8(new TextEncoder().encode("é€𝄞 ok"))).toBe(-1);
  });

  it("accepts a UTF-8 byte-order mark at the start", () => {
    const file = join(dir, "bom.masm");
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(".func main 0 1\nPUSH 7\nHALT\n")]));
    const c = loadContract(file);
    expect(c.functions[0].name).toBe("main");
    expect(runJob(encodeJob(makeJob(c))).result.returns).toEqual([7n]);
  });
});

describe("numeric options are validated", () => {
  for (const [args, what] of [
    [["conform", "--board", "host", "--attempts", "0"], "--attempts"],
    [["conform", "--board", "host", "--attempts", "-1"], "--attempts"],
    [["conform", "--board", "host", "--attempts", "abc"], "--attempts"],
    [["fuzz", "--max-divergences", "abc"], "--max-divergences"],
    [["fuzz", "--count", "1.5"], "--count"],
    [["calibrate", "--board", "qemu-rv32", "--repeat", "x"], "--repeat"],
  ] as const) {
    it(`mhr ${args.join(" ")}`, async () => {
      const r = await mhr([...args]);
      expect(r.code).toBe(2);
      expect(oneLine(r.stderr)).toBe(true);
      expect(r.stderr).toContain(what);
      expect(r.stderr).not.toMatch(/Cannot read properties|TypeError|NaN/);
    }, 120_000);
  }
});

describe("vector files are checked against their format before use", () => {
  it("a vector whose expected lacks fields is named with the field", () => {
    const vdir = join(dir, "vectors", "mhr-byte");
    mkdirSync(vdir, { recursive: true });
    writeFileSync(join(vdir, "broken.json"), JSON.stringify({
      format: "mhr-vectors/1", tier: "mhr-byte", category: "broken", description: "",
      vectors: [{ name: "broken/one", description: "", covers: { opcodes: [], traps: [], errors: [] }, job: "a0", expected: { status: "HALT", code: "0" } }],
    }));
    expect(() => loadVectors({ dir: join(dir, "vectors") })).toThrow(/broken\.json: not an mhr-vectors\/1 file: vectors\[0\] \(broken\/one\): expected\.cycles: /);
  });

  it("bad hex and an unknown status are caught too", () => {
    const vdir = join(dir, "vectors2");
    mkdirSync(vdir, { recursive: true });
    const good = loadVectors({ filter: "arithmetic/add/" })[0];
    const { file: _f, tier: _t, ...v } = good;
    writeFileSync(join(vdir, "x.json"), JSON.stringify({ format: "mhr-vectors/1", tier: "mhr-byte", category: "x", description: "", vectors: [{ ...v, job: "zz", expected: { ...v.expected, status: "DONE" } }] }));
    expect(() => loadVectors({ dir: vdir })).toThrow(/vectors\[0\] \(arithmetic\/add\/[^)]*\): job: must be lower-case hex; vectors\[0\] .*expected\.status/);
  });
});

describe("a bad output path is a one-line error", () => {
  it("mhr conform --out /proc/nope fails at once", async () => {
    const r = await mhr(["conform", "--board", "reference", "--filter", "arithmetic/add/", "--out", "/proc/nope", "--no-progress"]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toBe(true);
    expect(r.stderr).toMatch(/cannot create the output directory \/proc\/nope/);
  }, 120_000);

  it("an output path under a file", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const r = await mhr(["conform", "--board", "reference", "--filter", "arithmetic/add/", "--out", join(file, "sub"), "--no-progress"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a directory/);
  }, 120_000);
});

describe("mhr disasm says when the round trip does not hold", () => {
  it("a package whose hash is not Blake3(code): the source, a warning and exit code 3", async () => {
    const c = assemble(".func main 0 1\nPUSH 5\nHALT");
    const bad = { ...c, hash: hash32(Uint8Array.of(1, 2, 3)) };
    const file = join(dir, "badhash.mhr");
    writeFileSync(file, encodeContract(bad));
    const r = await mhr(["disasm", file]);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain("PUSH 5");
    expect(r.stderr).toMatch(/warning: .*does not re-assemble to the same contract: the package's hash is not Blake3-256 of its code/);
    const good = join(dir, "good.mhr");
    writeFileSync(good, encodeContract(c));
    const ok = await mhr(["disasm", good]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe("");
  }, 120_000);
});

describe("a WASM trap's detail names the real cause", () => {
  const cache = new ModuleCache(4);
  it("OUT_OF_CYCLES and CALL_DEPTH_EXCEEDED are not 'unreachable'", async () => {
    await loadWat();
    await loadBinaryen();
    const loop = buildWasmJob({ name: "x", description: "", wat: `(module (func (export "main") (result i64) (loop $l (br $l)) (i64.const 0)))`, maxCycles: 1000, expect: { status: "TRAP" } });
    const fuel = runWasmJob(loop, "full", { cache });
    expect(Number(fuel.result.code)).toBe(WasmTrap.OUT_OF_CYCLES);
    expect(fuel.message).toMatch(/^OUT_OF_CYCLES: /);
    expect(fuel.message).not.toMatch(/unreachable/i);
    const deep = buildWasmJob({ name: "y", description: "", wat: `(module (func $r (result i64) (call $r)) (func (export "main") (result i64) (call $r)))`, expect: { status: "TRAP" } });
    const depth = runWasmJob(deep, "full", { cache });
    expect(Number(depth.result.code)).toBe(WasmTrap.CALL_DEPTH_EXCEEDED);
    expect(depth.message).toMatch(/^CALL_DEPTH_EXCEEDED: /);
    const real = buildWasmJob({ name: "z", description: "", wat: `(module (func (export "main") (result i64) unreachable))`, expect: { status: "TRAP" } });
    const un = runWasmJob(real, "full", { cache });
    expect(Number(un.result.code)).toBe(WasmTrap.UNREACHABLE);
    expect(un.message).toMatch(/^UNREACHABLE: .*\(WebAssembly: unreachable\)/);
  }, 60_000);
});
