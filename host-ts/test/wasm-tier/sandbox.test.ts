/**
 * The sandbox contains hostile modules: outcomes are deterministic, the host
 * process stays healthy (heap back near its baseline, event loop responsive),
 * wall-clock time-outs and tier refusals are distinct outcomes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWasmTierEngine, PreparedModules } from "../../src/engines/wasm-tier-engine.ts";
import { bytesToHex } from "../../src/model/bytes.ts";
import { WasmError, WasmTrap } from "../../src/generated/wasm-tier.ts";
import { buildWasmJob, type WasmVectorDef } from "../../../test-vectors/defs/wasm.ts";
import { loadWat } from "../../src/wasm-tier/wat.ts";

beforeAll(loadWat);

const loopForever = `(module (memory 1) (func (export "main") (result i64) (loop $l (br $l)) (i64.const 0)))`;
const job = (d: Partial<WasmVectorDef> & { wat: string }) => buildWasmJob({ name: "t", description: "", expect: { status: "HALT" }, ...d });

describe("sandbox", () => {
  const engine = createWasmTierEngine({ nodeTier: "full" });
  afterAll(() => engine.close());

  it("gives identical result bytes on every run (determinism of traps and fuel)", async () => {
    const bytes = job({ wat: `(module (func $r (param i64) (result i64) (i64.add (call $r (local.get 0)) (i64.const 1))) (func (export "main") (result i64) (call $r (i64.const 0))))` });
    const a = await engine.run(bytes);
    const b = await engine.run(bytes);
    expect(a.result.status).toBe(2);
    expect(Number(a.result.code)).toBe(WasmTrap.CALL_DEPTH_EXCEEDED);
    expect(bytesToHex(a.resultBytes)).toBe(bytesToHex(b.resultBytes));
    expect(a.result.cycles).toBeGreaterThan(0);
  });

  it("contains a 256 MiB memory bomb: growth stops at the limit, the worker is recycled, the heap returns to its baseline", async () => {
    const before = process.memoryUsage();
    const bomb = job({
      tier: 2,
      wat: `(module (memory 1) (func (export "main") (result i64) (local $p i32)
        (loop $l (if (i32.ne (memory.grow (i32.const 16)) (i32.const -1)) (then (br $l))))
        (loop $w (i32.store (local.get $p) (i32.const 1)) (local.set $p (i32.add (local.get $p) (i32.const 65536))) (br_if $w (i32.lt_u (local.get $p) (i32.mul (memory.size) (i32.const 65536)))))
        (i64.extend_i32_u (memory.size))))`,
    });
    const r = await engine.run(bomb);
    expect(r.result.status).toBe(0);
    // 1 + 16k pages until the next 16 would pass 4096 pages (256 MiB): growth past the limit fails.
    expect(r.result.returns).toEqual([4081n]);
    expect(r.memoryBytes).toBe(4081 * 65536);
    // The main isolate never held that memory, and the sandbox thread that did is gone.
    await new Promise((res) => setTimeout(res, 200));
    const after = process.memoryUsage();
    expect(after.heapUsed - before.heapUsed).toBeLessThan(32 * 1024 * 1024);
    // The engine still works after the worker was recycled.
    const ok = await engine.run(job({ wat: `(module (func (export "main") (result i64) (i64.const 5)))` }));
    expect(ok.result.returns).toEqual([5n]);
  });

  it("keeps prepared modules on the host: a recycled thread runs a known module without instrumenting it again", async () => {
    const modules = new PreparedModules(4);
    const e = createWasmTierEngine({ nodeTier: "full", modules, recycleAboveBytes: 0 }); // every run recycles the thread
    try {
      const a = job({ wat: `(module (func (export "main") (result i64) (i64.const 7)))` });
      const first = await e.run(a);
      expect(modules.prepared).toBe(1);
      for (let i = 0; i < 3; i++) {
        const again = await e.run(a);
        expect(bytesToHex(again.resultBytes)).toBe(bytesToHex(first.resultBytes));
      }
      expect(modules.prepared).toBe(1); // three fresh threads, no second instrumentation
      await e.run(job({ wat: `(module (func (export "main") (result i64) (i64.const 8)))` }));
      expect([modules.prepared, modules.size]).toEqual([2, 2]);
    } finally {
      await e.close();
    }
  });

  it("stops an infinite loop at OUT_OF_CYCLES while the event loop stays responsive", async () => {
    let ticks = 0;
    const iv = setInterval(() => ticks++, 10);
    const r = await engine.run(job({ wat: loopForever }));
    clearInterval(iv);
    expect(r.result.status).toBe(2);
    expect(Number(r.result.code)).toBe(WasmTrap.OUT_OF_CYCLES);
    expect(r.result.cycles).toBe(100_000_000);
    expect(ticks).toBeGreaterThan(0);
  });

  it("terminates a run past the wall-clock limit: a distinct TRAP WALL_CLOCK_EXCEEDED outcome, engine usable afterwards", async () => {
    const fast = createWasmTierEngine({ nodeTier: "full", wallClockMs: 150 });
    try {
      let ticks = 0;
      const iv = setInterval(() => ticks++, 10);
      // The loop never ends by itself: that the run returns at all is the termination (no time
      // bound here: timing never decides a test; vitest's own timeout catches a hang).
      const r = await fast.run(job({ wat: loopForever, tier: 2 }));
      clearInterval(iv);
      expect(r.outcome).toBe("timeout");
      expect(r.result.status).toBe(2);
      expect(Number(r.result.code)).toBe(WasmTrap.WALL_CLOCK_EXCEEDED);
      expect(r.result.cycles).toBe(0);
      expect(ticks).toBeGreaterThan(3);
      const ok = await fast.run(job({ wat: `(module (func (export "main") (result i64) (i64.const 9)))` }));
      expect(ok.result.returns).toEqual([9n]);
    } finally {
      await fast.close();
    }
  });

  it("refuses a tier above the node's with the delegate outcome", async () => {
    const light = createWasmTierEngine({ nodeTier: "light" });
    try {
      const r = await light.run(job({ wat: `(module (func (export "main") (result i64) (i64.const 1)))`, tier: 2 }));
      expect(r.outcome).toBe("delegate");
      expect(r.delegate).toEqual({ contractTier: "full", nodeTier: "light" });
      expect(r.result.status).toBe(3);
      expect(Number(r.result.code)).toBe(WasmError.TIER_UNAVAILABLE);
      const ok = await light.run(job({ wat: `(module (func (export "main") (result i64) (i64.const 1)))`, tier: 1 }));
      expect(ok.outcome).toBe("result");
      expect(ok.result.returns).toEqual([1n]);
    } finally {
      await light.close();
    }
  });

  it("rejects a module above MAX_CODE_SIZE as BAD_CODE_SIZE", async () => {
    const r = await engine.run(job({ wat: "", module: new Uint8Array(2 * 1024 * 1024 + 1) } as never));
    expect(r.result.status).toBe(3);
    expect(Number(r.result.code)).toBe(6);
  });
});
