/** The reference interpreter behind the Engine interface, and its speed. */
import { describe, expect, it } from "vitest";
import { createReferenceEngine } from "../../src/engines/reference-engine.ts";
import { Status } from "../../src/generated/opcodes.ts";
import { hash32 } from "../../src/model/codec.ts";
import { runJob } from "../../src/reference/index.ts";
import { asm, jobBytes } from "./helpers.ts";

describe("createReferenceEngine", () => {
  it("is named reference and returns what runJob returns", async () => {
    const engine = createReferenceEngine();
    expect(engine.name).toBe("reference");
    const job = jobBytes({ code: asm(["PUSH", 0], ["PUSH", 1], ["PUSH", 0], ["PUSH", 1], ["STORE", "state"], ["PUSH", 42], "HALT"), rets: 1 });
    const run = await engine.run(job);
    expect(run.result.returns).toEqual([42n]);
    expect(run.resultHash).toEqual(hash32(run.resultBytes));
    expect(run.resultBytes).toEqual(runJob(job).resultBytes);
    expect(run.state?.get("00")).toEqual(new Uint8Array([0]));
    expect(run.trace).toBeUndefined();
    expect((await engine.run(job, { trace: true })).trace?.length).toBe(7);
    await engine.close();
  });
  it("resolves (never rejects) on garbage", async () => {
    const run = await createReferenceEngine().run(new Uint8Array([1, 2, 3]));
    expect(run.result.status).toBe(Status.INVALID);
    expect(run.state).toBeUndefined();
  });
});

describe("speed", () => {
  // Reports the speed; timing never decides a test (npm run bench measures it properly).
  it("runs a loop of 10^6 instructions to the exact cycle count", () => {
    const iterations = 250_000; // 4 instructions per iteration
    const code = asm(["PUSH", iterations], "loop:", ["PUSH", 1], "SUB", "DUP", ["JNZ", "loop"], "POP", "HALT");
    const job = jobBytes({ code, maxCycles: 10_000_000 });
    const t0 = performance.now();
    const r = runJob(job);
    const ms = performance.now() - t0;
    expect(r.result.status).toBe(Status.HALT);
    expect(r.result.cycles).toBe(iterations * 6 + 1 + 1 + 2);
    console.log(`reference: ${(4 * iterations + 3) / 1e6}M instructions in ${ms.toFixed(0)} ms (${((4 * iterations) / ms / 1000).toFixed(1)}M/s)`);
  });
});
