/**
 * WASM-tier benchmark: fuel-instrumented vs uninstrumented run time of
 * compute-heavy AssemblyScript kernels (examples/wasm/bench/*.ts: sort,
 * BLAKE3 compression, sieve) on Node's WebAssembly engine, and
 * instrumentation time per KB of module. Writes bench/results-wasm.json and
 * prints a table. Target: overhead ratio <= 1.3x.
 *   npx tsx bench/wasm-tier.ts [--quick]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Sandbox } from "../host-ts/src/wasm-tier/sandbox.ts";
import { RESERVED } from "../host-ts/src/wasm-tier/instrument.ts";

const quick = process.argv.includes("--quick");
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const KERNELS = [
  { name: "sort", file: "bench-sort", n: quick ? 50_000 : 400_000 },
  { name: "blake3", file: "bench-blake3", n: quick ? 20_000 : 150_000 },
  { name: "sieve", file: "bench-sieve", n: quick ? 1_000_000 : 8_000_000 },
];
const MODULES_FOR_INSTRUMENT_TIME = ["bench-sort", "bench-blake3", "bench-sieve", "gcounter", "naming", "access-control"];
const RUNS = quick ? 5 : 9;
const WARMUP = 3;

type Run = (n: bigint) => { value: bigint; fuel: bigint | null };

/**
 * One measurement = a fresh instance of the compiled module (as a job gets in
 * the sandbox), so both variants start from the same memory: the kernels use
 * AssemblyScript's stub allocator, which never frees, and re-running only the
 * instrumented module's start function would reset its heap while the plain
 * instance's memory kept growing (fresh pages for every call). Instantiation
 * reuses the compiled (and tiered-up) code and stays outside the timing.
 */
function variant(binary: Uint8Array, instrumented: boolean): { prepare: () => Run } {
  const module = new WebAssembly.Module(binary as Uint8Array<ArrayBuffer>);
  return {
    prepare() {
      const x = new WebAssembly.Instance(module, {}).exports as Record<string, unknown>;
      const FUEL = 10_000_000_000n;
      if (instrumented) {
        (x[RESERVED.fuel] as WebAssembly.Global).value = FUEL;
        (x[RESERVED.maxPages] as WebAssembly.Global).value = 4096;
        (x[RESERVED.depth] as WebAssembly.Global).value = 0;
        (x[RESERVED.start] as (() => void) | undefined)?.();
      }
      const run = x.run as (n: bigint) => bigint;
      return (n) => {
        const value = run(n);
        const fuel = instrumented ? FUEL - ((x[RESERVED.fuel] as WebAssembly.Global).value as bigint) : null;
        return { value, fuel };
      };
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function check(a: { value: bigint; fuel: bigint | null }, b: { value: bigint; fuel: bigint | null }, p: { value: bigint }, m: { value: bigint; fuel: bigint | null }): void {
  if (p.value !== a.value || m.value !== b.value || m.fuel !== b.fuel) throw new Error(`a run disagrees with the first: ${p.value}/${m.value}/${m.fuel}`);
}

function time(f: () => unknown): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

async function main() {
  const sandbox = new Sandbox();
  const rows: Record<string, unknown>[] = [];
  try {
    for (const k of KERNELS) {
      const code = new Uint8Array(readFileSync(here(`../examples/wasm/bin/${k.file}.wasm`)));
      const report = await sandbox.inspect(code, true);
      if (!report.valid || !report.instrumented) throw new Error(`${k.name}: ${report.error?.message}`);
      const plain = variant(code, false);
      const metered = variant(report.instrumented, true);
      const n = BigInt(k.n);
      // Warm up both (V8 tiers hot functions up to optimised code in the background), and check they agree
      // on every call: the result is consumed, and the fuel is the same on every run.
      const a = plain.prepare()(n), b = metered.prepare()(n);
      if (a.value !== b.value) throw new Error(`${k.name}: instrumented result ${b.value} != ${a.value}`);
      for (let i = 0; i < WARMUP; i++) check(a, b, plain.prepare()(n), metered.prepare()(n));
      const tPlain: number[] = [], tMetered: number[] = [], ratios: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Interleaved rounds, the order alternating (ABBA) so that drift and noise hit both alike.
        const p = plain.prepare(), m = metered.prepare();
        let tp = 0, tm = 0, rp = a, rm = b;
        if (i % 2 === 0) { tp = time(() => { rp = p(n); }); tm = time(() => { rm = m(n); }); }
        else { tm = time(() => { rm = m(n); }); tp = time(() => { rp = p(n); }); }
        check(a, b, rp, rm);
        tPlain.push(tp); tMetered.push(tm); ratios.push(tm / tp);
      }
      const mp = median(tPlain), mm = median(tMetered);
      // The ratio is the median of the per-round ratios (each round's two runs share the machine's state).
      rows.push({ kernel: k.name, n: k.n, moduleBytes: code.length, plainMs: +mp.toFixed(2), meteredMs: +mm.toFixed(2), ratio: +median(ratios).toFixed(3),
        ratioMin: +Math.min(...ratios).toFixed(3), ratioMax: +Math.max(...ratios).toFixed(3), fuel: Number(b.fuel), fuelPerMs: Math.round(Number(b.fuel) / mm) });
    }
    const instr: Record<string, unknown>[] = [];
    for (const f of MODULES_FOR_INSTRUMENT_TIME) {
      const code = new Uint8Array(readFileSync(here(`../examples/wasm/bin/${f}.wasm`)));
      const ms: number[] = [];
      let out = 0, regions = 0;
      for (let i = 0; i < (quick ? 3 : 5); i++) {
        const r = await sandbox.inspect(code);
        ms.push(r.instrumentation!.ms);
        out = r.instrumentation!.outputBytes;
        regions = r.instrumentation!.meteredRegions;
      }
      const m = Math.min(...ms.slice(1).length ? ms.slice(1) : ms);
      instr.push({ module: f, bytes: code.length, instrumentedBytes: out, growth: +(out / code.length).toFixed(2), meteredRegions: regions, ms: +m.toFixed(2), msPerKB: +(m / (code.length / 1024)).toFixed(2) });
    }
    const result = {
      benchmark: "wasm-tier",
      node: process.version,
      date: new Date().toISOString(),
      runs: RUNS,
      target: { maxRatio: 1.3 },
      kernels: rows,
      instrumentation: instr,
      worstRatio: Math.max(...rows.map((r) => r.ratio as number)),
    };
    writeFileSync(here("./results-wasm.json"), JSON.stringify(result, null, 2) + "\n");
    console.log("kernel   n          plain ms   metered ms  ratio   (round min..max)  fuel          fuel/ms");
    for (const r of rows) {
      console.log(`${String(r.kernel).padEnd(8)} ${String(r.n).padEnd(10)} ${String(r.plainMs).padStart(9)} ${String(r.meteredMs).padStart(11)}  ${String(r.ratio).padStart(5)}x  (${String(r.ratioMin).padStart(5)}..${String(r.ratioMax).padEnd(5)})  ${String(r.fuel).padStart(12)}  ${String(r.fuelPerMs).padStart(8)}`);
    }
    console.log("\nmodule          bytes  instrumented  regions   ms     ms/KB");
    for (const r of instr) console.log(`${String(r.module).padEnd(15)} ${String(r.bytes).padStart(5)}  ${String(r.instrumentedBytes).padStart(12)}  ${String(r.meteredRegions).padStart(7)}  ${String(r.ms).padStart(6)}  ${String(r.msPerKB).padStart(6)}`);
    console.log(`\nworst overhead ${result.worstRatio}x (target <= 1.3x); wrote bench/results-wasm.json`);
  } finally {
    await sandbox.close();
  }
}

await main();
