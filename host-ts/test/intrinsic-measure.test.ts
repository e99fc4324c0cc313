/**
 * The intrinsic measures read off a job's bytes (model/intrinsic-measure.ts,
 * used by the vectors and tools) against the reference's own, on random
 * programs: the instruction count of SPEC §6's decoding, the code length,
 * entries (prior state plus balances) and the prior state size.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../src/asm/index.ts";
import { encodeJob } from "../src/model/codec.ts";
import { makeJob } from "../src/model/job.ts";
import { bytesToHex } from "../src/model/bytes.ts";
import { instructionCount, intrinsicMeasureOf } from "../src/model/intrinsic-measure.ts";
import { validateJob } from "../src/reference/validate.ts";

const INS = ["POP", "DUP", "ADD", "PUSH 0", "PUSH 7", "PUSH -300", "PUSH 123456789012", "JMP 0", "JZ 0", "LOAD.m8", "STORE.state", "HASH"];

describe("intrinsic measures", () => {
  it("agree with the reference's validated job", () => {
    let checked = 0;
    fc.assert(fc.property(
      fc.array(fc.constantFrom(...INS), { maxLength: 60 }),
      fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.uint8Array({ maxLength: 20 })), { maxLength: 12 }),
      fc.integer({ min: 0, max: 9 }),
      fc.integer({ min: 0, max: 4096 }),
      (body, entries, nBalances, memory) => {
        const contract = assemble([`.memory ${memory}`, ".cycles 100000", ".state 4096", ".func f 0 0", "HALT", ...body].join("\n"), { costTable: "v2" });
        const state = new Map(entries.map(([k, v]) => [bytesToHex(k), v]));
        const balances = new Map(Array.from({ length: nBalances }, (_, i) => [bytesToHex(Uint8Array.from({ length: 16 }, (_, j) => i * 17 + j)), BigInt(i)]));
        const bytes = encodeJob(makeJob(contract, { fn: "f", state, balances }));
        const v = validateJob(bytes);
        if (!v.ok) return; // e.g. a state over max_state_size: nothing to measure
        const m = intrinsicMeasureOf(bytes);
        expect(m).toEqual({
          jobBytes: bytes.length,
          codeBytes: v.job.contract.code.length,
          instructions: v.job.program.instructions.length,
          entries: v.job.state.size + v.job.context.balances.size,
          stateSize: v.job.stateSize,
          maxMemory: memory,
        });
        checked++;
      },
    ), { numRuns: 200 });
    expect(checked).toBeGreaterThan(150);
  });

  it("counts instructions by their immediates, stopping at an unknown opcode", () => {
    // PUSH with a 2-byte immediate, JMP, LOAD.m8, POP.
    expect(instructionCount(Uint8Array.of(0x01, 2, 0x34, 0x12, 0x30, 0, 0, 0x56, 0x01, 0x02))).toBe(4);
    expect(instructionCount(Uint8Array.of(0x02, 0xff, 0x02))).toBe(1);
    expect(instructionCount(new Uint8Array(0))).toBe(0);
  });
});
