/**
 * The AS VM's fused fast paths (interpreter-as/README.md, "Internal form")
 * must give the step-by-step result at every edge where the fast check fails
 * or a trap falls inside the fused sequence: an empty, nearly full and full
 * stack, cycle limits around the exact cost of every prefix of the sequence,
 * and operands that overflow. Each case runs on the reference and on the AS
 * VM, and the result bytes must be equal. Random fuzzing meets these edges
 * only by chance; this walks all of them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createAsEngine } from "../../host-ts/src/engines/as-engine.ts";
import { createReferenceEngine } from "../../host-ts/src/engines/reference-engine.ts";
import type { Engine } from "../../host-ts/src/model/engine.ts";
import { jobFromSource } from "../../host-ts/src/jobs/from-source.ts";
import { bytesToHex } from "../../host-ts/src/model/bytes.ts";
import { COST_TABLES, Limit } from "../../host-ts/src/generated/opcodes.ts";
import { buildReleaseVm } from "./build-vm.ts";

let as: Engine;
const ref = createReferenceEngine();
beforeAll(async () => {
  as = await createAsEngine(buildReleaseVm());
}, 120_000);

/** The sequences the pre-decoder fuses, with the operand values that reach their edges. */
const SEQUENCES: { name: string; code: string[]; tops: bigint[] }[] = [
  { name: "PUSH k, ADD", code: ["PUSH 5", "ADD"], tops: [0n, 7n, (1n << 63n) - 5n, (1n << 63n) - 6n] },
  { name: "PUSH k, SUB", code: ["PUSH 1", "SUB"], tops: [0n, 1n, -(1n << 63n), -(1n << 63n) + 1n] },
  { name: "PUSH -k, SUB", code: ["PUSH -3", "SUB"], tops: [0n, (1n << 63n) - 3n, (1n << 63n) - 2n] },
  { name: "PUSH k, LT", code: ["PUSH 2", "LT"], tops: [1n, 2n, 3n, -(1n << 63n)] },
  { name: "PUSH k, LT, JNZ", code: ["PUSH 2", "LT", "JNZ yes"], tops: [1n, 2n, -1n] },
  { name: "DUP, JNZ", code: ["DUP", "JNZ yes"], tops: [0n, 1n, -1n] },
  { name: "DUP, JZ", code: ["DUP", "JZ yes"], tops: [0n, 1n] },
];

/**
 * A contract that pushes copies of its first argument (one plus the second
 * argument), then calls `code` twice and halts; the `yes` label returns. The
 * VM rewrites an instruction into its internal form the first time it runs
 * it, so the first call takes the one-at-a-time path and the second the fast
 * path.
 */
function source(code: string[], cycles: number, prefix: string[]): string {
  return `
    .memory 64
    .cycles ${cycles}
    .func main 2 0
    main:             ; top depth
    fill:
      DUP
      JZ run
      PUSH 1
      SUB             ; top depth-1
      OVER            ; top depth-1 top
      SWAP            ; top top depth-1
      JMP fill
    run:
      POP
      ${prefix.join("\n      ")}
      CALL seq
      CALL seq
      HALT
    seq:
      ${code.join("\n      ")}
      RET
    yes:
      RET
  `;
}

/**
 * The job for `depth` copies of top under the sequence: the fill loop reaches
 * at most STACK_DEPTH - 1 (it needs two slots of its own), one more DUP makes
 * a full stack, and depth 0 pops the one copy the loop leaves.
 */
function jobBytes(code: string[], top: bigint, depth: number, cycles: number, costTable: string): Uint8Array {
  const max = Number(Limit.STACK_DEPTH);
  const copies = Math.max(1, Math.min(depth, max - 1));
  const prefix = depth === 0 ? ["POP"] : depth === max ? ["DUP"] : [];
  return jobFromSource(source(code, cycles, prefix), { args: [depth === 0 ? 0n : top, BigInt(copies - 1)] }, { costTable }).bytes;
}

async function same(code: string[], top: bigint, depth: number, cycles: number, table: string): Promise<void> {
  const bytes = jobBytes(code, top, depth, cycles, table);
  const [a, r] = await Promise.all([as.run(bytes), ref.run(bytes)]);
  expect(bytesToHex(a.resultBytes), `${table}: ${code.join(" ")} top=${top} depth=${depth} cycles=${cycles}`).toBe(bytesToHex(r.resultBytes));
}

/** Cycles the run takes with an unbounded limit: the sweep centres on it. */
async function cyclesOf(code: string[], top: bigint, depth: number, table: string): Promise<number> {
  return Number((await ref.run(jobBytes(code, top, depth, 10_000_000, table))).result.cycles);
}

describe("fused fast paths agree with the step-by-step reference", () => {
  const MAX = Number(Limit.STACK_DEPTH);
  // Both tables: the fast paths sum the job's own base costs (v2 prices JZ and JNZ differently).
  for (const table of Object.keys(COST_TABLES)) {
    for (const s of SEQUENCES) {
      it(`${table}, ${s.name}: every stack edge, every cycle limit around the sequence, every overflow edge`, async () => {
        for (const top of s.tops) {
          for (const depth of [0, 1, 2, 3, MAX - 2, MAX - 1, MAX]) {
            const full = await cyclesOf(s.code, top, depth, table);
            // The last 60 cycles cover every prefix of the second call and the HALT under either table.
            for (let c = Math.max(0, full - 60); c <= full + 1; c++) await same(s.code, top, depth, c, table);
          }
        }
      }, 120_000);
    }
  }
});
