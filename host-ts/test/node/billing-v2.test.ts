/**
 * The node bills the cycles of the table the contract names (SPEC §5): a
 * version-2 job's verified cycles include its intrinsic charge and table v2's
 * instruction costs, the agreement's cap is the job's max_cycles, and nothing
 * on the way (job classification, the executor, owedDelta, maxJobCost)
 * re-prices the job under v1.
 */
import { describe, expect, it } from "vitest";
import { assemble } from "../../src/asm/index.ts";
import { encodeJob } from "../../src/model/codec.ts";
import { makeJob } from "../../src/model/job.ts";
import { classifyJob } from "../../src/node/job-info.ts";
import { Executor } from "../../src/node/executor.ts";
import { getProfile } from "../../src/node/profiles.ts";
import { FunctionRegistry } from "../../src/node/functions/opaque-function.ts";
import { maxJobCost, owedDelta } from "../../src/node/channels.ts";
import { owedForCycles } from "../../src/node/channel-state.ts";
import { COST_TABLES, costOf, intrinsicOf } from "../../src/generated/opcodes.ts";
import { intrinsicMeasureOf } from "../../src/model/intrinsic-measure.ts";
import { AGREEMENT } from "./samples.ts";

const SOURCE = ".memory 64\n.cycles 2000000\n.state 256\n.func main 0 1\nPUSH 6\nPUSH 7\nMUL\nHALT";

function job(costTable: string): Uint8Array {
  return encodeJob(makeJob(assemble(SOURCE, { costTable })));
}

describe("billing follows the contract's cost table", () => {
  it("a version-2 job is charged v2 cycles plus its intrinsic charge, billed and capped as such", async () => {
    const executor = new Executor({ profile: getProfile("community"), engine: "reference", functions: new FunctionRegistry() });
    const v2 = job("v2");
    const v1 = job("v1");
    const info = classifyJob(v2);
    expect(info.maxCycles).toBe(2_000_000n);
    expect(executor.capable(info).ok).toBe(true);

    const r2 = await executor.run(v2, info);
    const r1 = await executor.run(v1, classifyJob(v1));
    const t2 = COST_TABLES.v2, t1 = COST_TABLES.v1;
    const instr = (t: typeof t1) => 2 * costOf("PUSH", 0, t) + costOf("MUL", 0, t) + costOf("HALT", 0, t);
    const intrinsic = intrinsicOf("v2", intrinsicMeasureOf(v2));
    expect(intrinsic).toBeGreaterThan(0);
    expect(r2.cycles).toBe(BigInt(intrinsic + instr(t2)));
    expect(r1.cycles).toBe(BigInt(instr(t1)));

    // The payee bills the verified cycles at the agreed price; the channel must cover max_cycles.
    // 10^9 milli-µMHR per 10^6 cycles: 1 µMHR per cycle, so the bill shows every cycle.
    const body = { ...AGREEMENT, capability: { ...AGREEMENT.capability, maxCycles: info.maxCycles }, cost: { perCycle: { costPerMillionCycles: 1_000_000_000n, maxCycles: info.maxCycles } } };
    const price = body.cost.perCycle!.costPerMillionCycles;
    expect(owedDelta(body, 0n, r2.cycles)).toBe(owedForCycles(r2.cycles, price));
    expect(owedDelta(body, 0n, r2.cycles)).toBeGreaterThan(owedDelta(body, 0n, r1.cycles));
    expect(maxJobCost(body)).toBeGreaterThanOrEqual(owedDelta(body, 0n, r2.cycles));
    await executor.close();
  });
});
