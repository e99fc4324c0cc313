/**
 * docs/NODE.md §7.3: what a consumer checks of every ComputeResult, each
 * failure with its code — on a real result of the reference engine, signed
 * by the provider of the sample agreement, then altered one field at a time
 * (and re-signed, so only the check under test can catch it).
 */
import { describe, expect, it } from "vitest";
import { createEngine } from "../../src/engines/targets.ts";
import { hash32 } from "../../src/model/codec.ts";
import { resultHashOf } from "../../src/model/engine.ts";
import { encodeComputeResult } from "../../src/node/messages/execution-messages.ts";
import { classifyJob } from "../../src/node/job-info.ts";
import { verifyComputeResult } from "../../src/node/verification.ts";
import { ProtocolError } from "../../src/node/wire/protocol-error.ts";
import type { ComputeResult } from "../../src/generated/node-protocol.ts";
import { AGREEMENT, CONSUMER, PROVIDER } from "./samples.ts";
import { sumJob } from "./helpers.ts";

const engine = await createEngine("reference");
const job = sumJob(100);
const run = await engine.run(job);
const jobId = new Uint8Array(16).fill(5);
const good: ComputeResult = {
  agreementId: AGREEMENT.agreementId, jobId, jobHash: hash32(job), resultHash: resultHashOf(run.resultBytes), status: run.result.status,
  cycles: BigInt(run.result.cycles), result: run.resultBytes, provider: PROVIDER.nodeId,
};
const check = (m: ComputeResult, sentJob = job) => verifyComputeResult(encodeComputeResult(m, PROVIDER), AGREEMENT, jobId, sentJob, classifyJob(sentJob));
function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtocolError) return e.codeName;
    throw e;
  }
  return undefined;
}

describe("ComputeResult verification (ResultHash)", () => {
  it("accepts the provider's honest result and bills its cycles", () => {
    expect(check(good).units).toBe(BigInt(run.result.cycles));
  });
  it("JOB_HASH_MISMATCH: a result of another job than the one sent", () => {
    expect(code(() => check(good, sumJob(101)))).toBe("JOB_HASH_MISMATCH");
  });
  it("RESULT_HASH_MISMATCH: result_hash is not Blake3 of the result bytes", () => {
    expect(code(() => check({ ...good, resultHash: new Uint8Array(32).fill(1) }))).toBe("RESULT_HASH_MISMATCH");
  });
  it("RESULT_INCONSISTENT: other ids, cycles that disagree with the result, bytes that are no result", () => {
    expect(code(() => check({ ...good, jobId: new Uint8Array(16) }))).toBe("RESULT_INCONSISTENT");
    expect(code(() => check({ ...good, cycles: good.cycles + 1n }))).toBe("RESULT_INCONSISTENT");
    const junk = Uint8Array.of(1, 2, 3);
    expect(code(() => check({ ...good, result: junk, resultHash: hash32(junk) }))).toBe("RESULT_INCONSISTENT");
  });
  it("BAD_SIGNATURE: signed by someone else than the agreement's provider", () => {
    const other = encodeComputeResult(good, CONSUMER);
    expect(code(() => verifyComputeResult(other, AGREEMENT, jobId, job, classifyJob(job)))).toBe("BAD_SIGNATURE");
  });
});
