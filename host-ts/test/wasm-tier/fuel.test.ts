/**
 * Fuel metering and validation, in-process (runWasmJob without the worker).
 */
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { loadBinaryen } from "../../src/wasm-tier/binaryen.ts";
import { loadWat, wat, hostImportsWat } from "../../src/wasm-tier/wat.ts";
import { runWasmJob, ModuleCache } from "../../src/wasm-tier/run.ts";
import { analyzeModule, instrumentModule } from "../../src/wasm-tier/instrument.ts";
import { buildWasmJob } from "../../../test-vectors/defs/wasm.ts";
import { WasmError, WasmTrap } from "../../src/generated/wasm-tier.ts";

beforeAll(async () => { await loadBinaryen(); await loadWat(); });
const cache = new ModuleCache();

const loop = `(module (func (export "main") (param i64) (result i64) (local $i i64)
  (loop $l (local.set $i (i64.add (local.get $i) (i64.const 1))) (br_if $l (i64.lt_u (local.get $i) (local.get 0)))) (local.get $i)))`;
const job = (n: bigint, maxCycles?: number) => buildWasmJob({ name: "f", description: "", wat: loop, functions: [{ name: "main", args: 1, rets: 1 }], args: [n], maxCycles, expect: { status: "HALT" } });
const run = (bytes: Uint8Array) => runWasmJob(bytes, "full", { cache }).result;

describe("fuel", () => {
  it("is linear in the loop count: the same count on every run", () => {
    const c1 = run(job(1n)).cycles, c2 = run(job(2n)).cycles, c100 = run(job(100n)).cycles;
    const perIteration = c2 - c1;
    expect(perIteration).toBeGreaterThan(0);
    expect(c100).toBe(c1 + 99 * perIteration);
    expect(run(job(100n)).cycles).toBe(c100);
  });

  it("HALTs exactly when max_cycles covers the need; one less traps OUT_OF_CYCLES at a fixed count", () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: 500n }), fc.integer({ min: 0, max: 5000 }), (n, max) => {
      const need = run(job(n)).cycles;
      const r = run(job(n, max));
      if (max >= need) {
        expect(r.status).toBe(0);
        expect(r.cycles).toBe(need);
      } else {
        expect(r.status).toBe(2);
        expect(Number(r.code)).toBe(WasmTrap.OUT_OF_CYCLES);
        expect(r.cycles).toBeLessThanOrEqual(max);
        expect(run(job(n, max)).cycles).toBe(r.cycles);
      }
    }), { numRuns: 60 });
  });

  it("charges host calls their MHR-Byte cost including the size part, checked before the work", () => {
    const hashJob = (len: number, maxCycles?: number) => buildWasmJob({ name: "h", description: "", wat: `(module ${hostImportsWat("mehr_hash")} (memory 1) (func (export "main") (result i64) (call $mehr_hash (i32.const 0) (i32.const ${len}) (i32.const 0)) (i64.const 0)))`, maxCycles, expect: { status: "HALT" } });
    const base = run(hashJob(0)).cycles;
    expect(run(hashJob(64)).cycles - base).toBe(10);
    expect(run(hashJob(65)).cycles - base).toBe(20);
    const need = run(hashJob(6400)).cycles;
    const short = run(hashJob(6400, need - 1));
    expect(Number(short.code)).toBe(WasmTrap.OUT_OF_CYCLES);
    expect(short.cycles).toBe(4); // the four constants; mehr_hash charged nothing
  });
});

describe("engine traps", () => {
  // A loop that loads past the end of its one page at i = 8192: a trap raised by the engine, not the instrumentation.
  const oob = `(module (memory 1) (func (export "main") (param i64) (result i64) (local $i i64) (local $s i64)
    (loop $l
      (local.set $s (i64.add (local.get $s) (i64.load (i32.wrap_i64 (i64.mul (local.get $i) (i64.const 8))))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $l (i64.lt_u (local.get $i) (local.get 0))))
    (local.get $s)))`;
  /** Runs the instrumented module directly and reads the exported counter after the trap. */
  const fuelAtTrap = (precise: boolean): bigint => {
    const x = new WebAssembly.Instance(new WebAssembly.Module(instrumentModule(wat(oob), { precise }).binary as Uint8Array<ArrayBuffer>), {}).exports as Record<string, unknown>;
    (x.__mhr_fuel as WebAssembly.Global).value = 1_000_000n;
    expect(() => (x.main as (n: bigint) => bigint)(10_000n)).toThrow(WebAssembly.RuntimeError);
    return 1_000_000n - ((x.__mhr_fuel as WebAssembly.Global).value as bigint);
  };

  it("report the precise module's count: the run is repeated on it, as the default module's counter is stale there", () => {
    const precise = fuelAtTrap(true), fast = fuelAtTrap(false);
    // The default module writes the counter only where it is observed without an engine trap.
    expect(fast).toBeLessThan(precise);
    const r = run(buildWasmJob({ name: "oob", description: "", wat: oob, functions: [{ name: "main", args: 1, rets: 1 }], args: [10_000n], maxCycles: 1_000_000, expect: { status: "TRAP" } }));
    expect(r.status).toBe(2);
    expect(Number(r.code)).toBe(WasmTrap.MEMORY_OUT_OF_BOUNDS);
    expect(BigInt(r.cycles)).toBe(precise);
  });
});

describe("default and precise instrumentation", () => {
  // Nested loops whose outer increment follows the inner loop (its check is deferred to the loop's
  // charge), a call and a host-free early exit: every fuel limit up to the need must end alike.
  const nested = `(module
    (func $g (param i64) (result i64) (i64.mul (local.get 0) (i64.const 3)))
    (func (export "main") (param i64) (result i64) (local $i i64) (local $j i64) (local $s i64)
      (block $done (loop $outer
        (br_if $done (i64.ge_u (local.get $i) (local.get 0)))
        (local.set $j (i64.const 0))
        (loop $inner
          (local.set $s (i64.add (local.get $s) (call $g (local.get $j))))
          (local.set $j (i64.add (local.get $j) (i64.const 1)))
          (br_if $inner (i64.lt_u (local.get $j) (local.get $i))))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br $outer)))
      (local.get $s)))`;
  const modules = new Map<boolean, WebAssembly.Module>();
  const outcome = (precise: boolean, fuel: bigint) => {
    if (!modules.has(precise)) modules.set(precise, new WebAssembly.Module(instrumentModule(wat(nested), { precise }).binary as Uint8Array<ArrayBuffer>));
    const x = new WebAssembly.Instance(modules.get(precise)!, {}).exports as Record<string, unknown>;
    (x.__mhr_fuel as WebAssembly.Global).value = fuel;
    let value: bigint | null = null;
    try { value = (x.main as (n: bigint) => bigint)(6n); } catch (e) { expect(e).toBeInstanceOf(WebAssembly.RuntimeError); }
    return { value, fuel: (x.__mhr_fuel as WebAssembly.Global).value as bigint, trap: (x.__mhr_trap as WebAssembly.Global).value as number };
  };

  it("agree on the counter and the trap at every fuel limit", () => {
    const need = 1_000_000n - outcome(true, 1_000_000n).fuel;
    expect(need).toBeGreaterThan(50n);
    for (let f = 0n; f <= need + 1n; f++) expect(outcome(false, f)).toEqual(outcome(true, f));
  });
});

describe("validation", () => {
  const code = (src: string) => analyzeModule(wat(src));
  it("accepts only host-API imports with exact signatures", () => {
    expect(code(`(module (import "mehr" "mehr_epoch" (func (result i64))))`).ok).toBe(true);
    for (const bad of [`(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))`, `(import "mehr" "mehr_epoch" (func (result i32)))`, `(import "mehr" "t" (table 1 funcref))`]) {
      const a = code(`(module ${bad})`);
      expect(a.ok ? 0 : a.code, bad).toBe(WasmError.FORBIDDEN_IMPORT);
    }
  });

  it("canonicalises NaN-producing float operations and leaves bit operations alone", () => {
    const ins = instrumentModule(wat(`(module (func (export "f") (param f64) (result f64) (f64.neg (f64.add (local.get 0) (f64.sqrt (local.get 0))))))`));
    expect(ins.stats.canonicalisedFloatOps).toBe(2);
  });

  it("instrumented modules are deterministic bytes", () => {
    const m = wat(loop);
    expect(Buffer.compare(Buffer.from(instrumentModule(m).binary), Buffer.from(instrumentModule(m).binary))).toBe(0);
  });
});
