/** Control flow (SPEC §8, §9.5): jumps, calls, HALT/ABORT, END_OF_CODE, call depth, exact cycle accounting. */
import { COST_TABLES } from "../../host-ts/src/generated/opcodes.ts";
// The vectors of this file are contract version 1: table v1 (gen-vectors.ts derives their version-2 twins).
const COSTS = COST_TABLES.v1;
import { main, MIN, MAX, label, type DefFile, type VectorDef } from "./lib.ts";

const c = (op: string) => COSTS[op].base;

/** A counting loop: n iterations of (DUP JZ SUB-one JMP). */
function loop(n: number, cycles?: number): string {
  return main(`
    PUSH ${n}
top:
    DUP
    JZ done
    PUSH 1
    SUB
    JMP top
done:
    HALT`, { rets: 1, cycles: cycles ?? 100000 });
}
// Cycles of loop(n): PUSH + n*(DUP JZ PUSH SUB JMP) + (DUP JZ) + HALT.
const loopCycles = (n: number) => c("PUSH") + n * (c("DUP") + c("JZ") + c("PUSH") + c("SUB") + c("JMP")) + c("DUP") + c("JZ") + c("HALT");

const abortCodes = [0n, 1n, -1n, 42n, MAX, MIN];

export const control: DefFile = {
  category: "control",
  description: "JMP JZ JNZ CALL RET HALT ABORT; END_OF_CODE, RETURN_WITHOUT_CALL, CALL_DEPTH_EXCEEDED, OUT_OF_CYCLES at the exact bound",
  vectors: [
    { name: "jmp/forward", description: "JMP skips code", source: main("JMP over\nPUSH 1\nover:\nPUSH 2\nHALT", { rets: 1 }), expect: { returns: [2n], cycles: c("JMP") + 1 + c("HALT") } },
    ...[0n, 1n, -1n, MIN, MAX].flatMap((v): VectorDef[] => [
      { name: `jz/${label(v)}`, description: `JZ on ${v} ${v === 0n ? "jumps" : "falls through"}`, source: main(`PUSH ${v}\nJZ yes\nPUSH 10\nHALT\nyes:\nPUSH 20\nHALT`, { rets: 1 }), expect: { returns: [v === 0n ? 20n : 10n] } },
      { name: `jnz/${label(v)}`, description: `JNZ on ${v} ${v !== 0n ? "jumps" : "falls through"}`, source: main(`PUSH ${v}\nJNZ yes\nPUSH 10\nHALT\nyes:\nPUSH 20\nHALT`, { rets: 1 }), expect: { returns: [v !== 0n ? 20n : 10n] } },
    ]),
    { name: "jz/underflow", description: "JZ on an empty stack", source: main("JZ 0"), expect: { status: "TRAP", code: "STACK_UNDERFLOW", cycles: 0 } },
    { name: "jnz/underflow", description: "JNZ on an empty stack", source: main("JNZ 0"), expect: { status: "TRAP", code: "STACK_UNDERFLOW", cycles: 0 } },
    ...[0, 1, 2, 10, 100].map((n): VectorDef => ({ name: `loop/${n}`, description: `a counting loop of ${n} iterations; exact cycles`, source: loop(n), expect: { status: "HALT", returns: [0n], cycles: loopCycles(n) } })),
    { name: "cycles/exactly-max", description: "a program whose total cost equals max_cycles halts (the limit is inclusive)", source: loop(10, loopCycles(10)), expect: { status: "HALT", cycles: loopCycles(10) } },
    { name: "cycles/one-short", description: "max_cycles one below the total: HALT cannot be charged; cycles stop at the last charged instruction", source: loop(10, loopCycles(10) - 1), expect: { status: "TRAP", code: "OUT_OF_CYCLES", cycles: loopCycles(10) - c("HALT") } },
    { name: "cycles/zero-max", description: "max_cycles 0: the first instruction traps and nothing is charged", source: main("PUSH 1\nHALT", { cycles: 0 }), expect: { status: "TRAP", code: "OUT_OF_CYCLES", cycles: 0 } },
    { name: "cycles/infinite-loop", description: "an infinite loop stops at max_cycles exactly on an instruction boundary", source: main("top:\nJMP top", { cycles: 1001 }), expect: { status: "TRAP", code: "OUT_OF_CYCLES", cycles: 1000 } },
    { name: "call/ret", description: "CALL then RET resumes after the CALL; callee shares the stack", source: main("PUSH 2\nCALL double\nHALT\ndouble:\nDUP\nADD\nRET", { rets: 1 }), expect: { returns: [4n], cycles: 1 + c("CALL") + 1 + 1 + c("RET") + c("HALT") } },
    { name: "call/nested", description: "nested calls return in order", source: main("PUSH 1\nCALL a\nHALT\na:\nPUSH 10\nADD\nCALL b\nRET\nb:\nPUSH 100\nADD\nRET", { rets: 1 }), expect: { returns: [111n] } },
    { name: "call/recursive-sum", description: "recursion: sum 1..10 via CALL", source: main("PUSH 10\nCALL sum\nHALT\nsum:\nDUP\nJZ base\nDUP\nPUSH 1\nSUB\nCALL sum\nADD\nRET\nbase:\nRET", { rets: 1 }), expect: { returns: [55n] } },
    { name: "call/depth-64-ok", description: "CALL_DEPTH (64) nested calls are allowed", source: main("PUSH 64\nCALL f\nHALT\nf:\nPUSH 1\nSUB\nDUP\nJZ out\nCALL f\nout:\nRET", { rets: 1 }), expect: { status: "HALT", returns: [0n] } },
    { name: "call/depth-65", description: "the 65th nested CALL traps CALL_DEPTH_EXCEEDED", source: main("PUSH 65\nCALL f\nHALT\nf:\nPUSH 1\nSUB\nDUP\nJZ out\nCALL f\nout:\nRET", { rets: 1 }), expect: { status: "TRAP", code: "CALL_DEPTH_EXCEEDED" } },
    { name: "call/unbounded-recursion", description: "unbounded recursion traps CALL_DEPTH_EXCEEDED, not a host crash", source: main("f:\nCALL f"), expect: { status: "TRAP", code: "CALL_DEPTH_EXCEEDED", cycles: 64 * c("CALL") } },
    { name: "ret/without-call", description: "RET at depth 0 traps RETURN_WITHOUT_CALL (no implicit return to the host)", source: main("PUSH 1\nRET"), expect: { status: "TRAP", code: "RETURN_WITHOUT_CALL", cycles: 1 } },
    { name: "end-of-code/fall-through", description: "running past the last instruction traps END_OF_CODE", source: main("PUSH 1\nPOP"), expect: { status: "TRAP", code: "END_OF_CODE", cycles: 2 } },
    { name: "end-of-code/after-jump", description: "END_OF_CODE after a taken jump to the last instruction", source: main("JMP last\nHALT\nlast:\nPUSH 3"), expect: { status: "TRAP", code: "END_OF_CODE" } },
    { name: "halt/no-returns", description: "HALT with rets 0 leaves extra values behind", source: main("PUSH 1\nPUSH 2\nHALT"), expect: { status: "HALT", returns: [] } },
    { name: "halt/underflow", description: "HALT with fewer values than rets traps STACK_UNDERFLOW", source: main("PUSH 1\nHALT", { rets: 2 }), expect: { status: "TRAP", code: "STACK_UNDERFLOW", cycles: 1 } },
    { name: "halt/sixteen-returns", description: "MAX_RETURNS values returned in order", source: main(Array.from({ length: 16 }, (_, i) => `PUSH ${i - 8}`).join("\n") + "\nHALT", { rets: 16 }), expect: { returns: Array.from({ length: 16 }, (_, i) => BigInt(i - 8)) } },
    ...abortCodes.map((v): VectorDef => ({ name: `abort/${label(v)}`, description: `ABORT ${v}: the code is the popped value`, source: main(`PUSH ${v}\nABORT`), expect: { status: "ABORT", code: String(v), cycles: 1 + c("ABORT") } })),
    { name: "abort/underflow", description: "ABORT on an empty stack traps STACK_UNDERFLOW", source: main("ABORT"), expect: { status: "TRAP", code: "STACK_UNDERFLOW", cycles: 0 } },
    { name: "abort/inside-call", description: "ABORT inside a CALL ends the whole call", source: main("CALL f\nHALT\nf:\nPUSH 9\nABORT", { rets: 0 }), expect: { status: "ABORT", code: "9" } },
    { name: "functions/second-entry", description: "a job may call any function of the table; entry is its offset", source: ".func first 0 1\nPUSH 1\nHALT\n.func second 1 1\nPUSH 100\nADD\nHALT", fn: "second", args: [5n], expect: { returns: [105n] } },
    { name: "functions/shared-entry", description: "two names may share an entry", source: ".func a 0 1 e\n.func b 0 1 e\ne:\nPUSH 3\nHALT", fn: "b", expect: { returns: [3n] } },
  ],
};
