/**
 * The calibration microbenchmarks: every job validates on the reference and
 * ends as designed (HALT, except the ABORT/trap end-of-call pair), every
 * cost key of the v1 table is measured, and every term that appears in a
 * benchmark is defined by a benchmark of its own.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createReferenceEngine } from "../../src/engines/reference-engine.ts";
import { Limit, Status } from "../../src/generated/opcodes.ts";
import { buildMicrobenches, COST_KEYS, valueOfLength, type MicrobenchSet } from "../../src/calibrate/microbench.ts";
import { intrinsicJobs } from "../../src/calibrate/intrinsic.ts";
import { encodePushImmediate } from "../../src/asm/index.ts";
import { taiCounter, vrfInput, vrfKey, patternBytes } from "../../src/calibrate/crypto-inputs.ts";
import { verifyEcvrf } from "../../src/crypto/ecvrf.ts";

let set: MicrobenchSet;
beforeAll(async () => {
  set = await buildMicrobenches();
}, 60_000);

describe("calibration microbenchmarks", () => {
  it("every job validates and ends as designed on the reference engine", async () => {
    const ref = createReferenceEngine();
    const want = { HALT: Status.HALT, ABORT: Status.ABORT, TRAP: Status.TRAP } as const;
    let halts = 0;
    let stateAborts = 0;
    for (const b of set.benches) {
      for (const job of [b.run, b.base]) {
        expect(job.bytes.length).toBeLessThanOrEqual(Limit.MAX_JOB_SIZE);
        const r = await ref.run(job.bytes);
        expect(r.result.status, `${b.id} ${job.fn}`).toBe(want[job.expect]);
        if (job.expect === "HALT") halts++;
        else if (["STORE.state", "STORE.del"].includes(b.key)) {
          // The insert/delete pairs end in ABORT on purpose (no final-state hash): both jobs of the pair.
          expect(job.expect, b.id).toBe("ABORT");
          stateAborts++;
        } else expect(["HALT", "ABORT"]).toContain(b.key); // only the end-of-call benchmark ends otherwise
      }
    }
    // All but the ABORT job and the shared trap-ending baseline HALT.
    expect(stateAborts % 2).toBe(0);
    expect(halts).toBe(set.benches.length * 2 - 3 - stateAborts);
  });

  it("covers every cost key of the v1 table", () => {
    const keys = new Set(set.benches.map((b) => b.key));
    expect(COST_KEYS.filter((k) => !keys.has(k))).toEqual([]);
  });

  it("measures size-dependent keys at two or more sizes", () => {
    for (const key of ["HASH", "LOG", "EMIT", "LOAD.state", "STORE.state", "STORE.del", "STORE.copy", "VERIFY_SIG", "VERIFY_VRF"]) {
      const sizes = new Set(set.benches.filter((b) => b.key === key).map((b) => b.n));
      expect(sizes.size, key).toBeGreaterThanOrEqual(2);
    }
  });

  it("each benchmark executes its term, and every term it uses has a benchmark of its own", () => {
    const defined = new Set(set.benches.map((b) => b.term));
    for (const b of set.benches) {
      expect(b.counts[b.term], b.id).toBeGreaterThan(0);
      for (const t of Object.keys(b.counts)) expect(defined.has(t), `${b.id} uses ${t}`).toBe(true);
      expect(Object.keys(set.terms)).toContain(b.term);
    }
  });

  it("repeats cheap instructions K times and keeps K within the stack and call limits", async () => {
    const small = await buildMicrobenches({ k: 8, only: ["ADD", "RET"] });
    expect(small.benches.find((b) => b.id === "ADD#small")?.counts["ADD#small"]).toBe(8);
    expect(small.benches.find((b) => b.id === "RET")?.counts).toEqual({ CALL: 8, RET: 8 });
    // The helpers come along: PUSH (immediates of 1 and 8 bytes), POP and CALL.
    expect(small.benches.map((b) => b.id).sort()).toEqual(["ADD#large", "ADD#negative", "ADD#small", "CALL", "POP", "PUSH#imm1", "PUSH#imm8", "RET"].sort());
    const big = await buildMicrobenches({ k: 200, only: ["PUSH", "CALL"] });
    expect(Math.max(...big.benches.filter((b) => b.key === "PUSH").map((b) => b.k))).toBeLessThanOrEqual(Limit.STACK_DEPTH);
    expect(big.benches.find((b) => b.key === "CALL")?.k).toBe(Limit.CALL_DEPTH);
  });

  it("rejects unknown cost keys and a K out of range", async () => {
    await expect(buildMicrobenches({ only: ["NOPE"] })).rejects.toThrow(/unknown cost key/);
    await expect(buildMicrobenches({ k: 1 })).rejects.toThrow(/K must be/);
  });

  it("PUSH immediates of every length are benchmarked", () => {
    for (let len = 0; len <= 8; len++) {
      expect(encodePushImmediate(valueOfLength(len))[0]).toBe(len);
      expect(set.terms[`PUSH#imm${len}`]).toBeDefined();
    }
  });

  it("crypto inputs verify: the VRF prover reproduces RFC 9381 and the ground alpha has a large counter", async () => {
    const key = vrfKey();
    expect(key.checkedAgainstRfc).toBe(true);
    const v = vrfInput(key, patternBytes(40, 3));
    expect(verifyEcvrf(v.pk, v.alpha, v.proof)).toBeDefined();
    expect(taiCounter(v.pk, v.alpha)).toBe(v.ctr);
    const ground = set.benches.find((b) => b.id === "VERIFY_VRF@16#ground");
    expect(ground).toBeDefined();
    expect(ground!.note).toMatch(/ctr [6-9]|ctr \d\d/);
    // Every crypto benchmark runs the full path: the verifier pushes 1 (valid) on the reference.
    const ref = createReferenceEngine();
    for (const b of set.benches.filter((x) => x.key === "VERIFY_SIG" || x.key === "VERIFY_VRF")) {
      const trace = (await ref.run(b.run.bytes, { trace: true })).trace ?? [];
      const i = trace.findIndex((s) => s.op === b.key);
      expect(i, b.id).toBeGreaterThanOrEqual(0);
      const after = trace[i + 1].stack;
      expect(after[after.length - 1], b.id).toBe("1");
    }
  });

  it("per-job work jobs HALT under the default table and are charged under every table", async () => {
    const ref = createReferenceEngine();
    const jobs = intrinsicJobs();
    for (const o of jobs) {
      const r = (await ref.run(o.bytes)).result;
      expect(r.status, o.id).toBe(Status.HALT);
      expect(r.cycles, o.id).toBe(o.charged.v2);
      // v1 has no intrinsic charge: only the instructions.
      // v1 has no intrinsic charge: only the instructions, always less than v2 charges.
      expect(o.charged.v1, o.id).toBeLessThan(o.charged.v2);
    }
    // A job with a prior state comes at all four of its alignments: the state is the job's last field
    // (key 6), so its offsets differ mod 4 exactly when the job lengths do.
    for (const o of jobs.filter((j) => j.measure.entries > 0 && j.id.startsWith("state"))) {
      const all = [o, ...(o.shifts ?? [])];
      expect(new Set(all.map((v) => v.bytes.length % 4)).size, o.id).toBe(4);
      for (const v of all) expect((await ref.run(v.bytes)).result.cycles, o.id).toBe(v.charged.v2);
    }
    // The sweep grows every measure the intrinsic charge prices.
    for (const k of ["jobBytes", "stateSize", "maxMemory"] as const) expect(Math.max(...jobs.map((j) => j.measure[k])), k).toBeGreaterThan(8000);
  });
});
