/** Arithmetic (SPEC §2, §9.2), bitwise (§9.3), comparison (§9.4) over value grids, with a bigint model as the oracle. */
import { COST_TABLES } from "../../host-ts/src/generated/opcodes.ts";
// The vectors of this file are contract version 1: table v1 (gen-vectors.ts derives their version-2 twins).
const COSTS = COST_TABLES.v1;
import { main, MIN, MAX, label, inRange, type DefFile, type VectorDef } from "./lib.ts";

const HALT = COSTS.HALT.base;
const cost = (op: string) => COSTS[op].base;

type Model = { value: bigint } | { trap: string };

function binary(op: string, a: bigint, b: bigint, model: Model): VectorDef {
  const ok = "value" in model;
  return {
    name: `${op.toLowerCase()}/${label(a)}-${label(b)}`,
    description: `${op} of ${a} and ${b}${ok ? ` = ${model.value}` : ` traps ${model.trap}`}`,
    source: main(`PUSH ${a}\nPUSH ${b}\n${op}\nHALT`, { rets: 1 }),
    expect: ok
      ? { status: "HALT", returns: [model.value], cycles: 2 + cost(op) + HALT }
      : { status: "TRAP", code: model.trap, cycles: 2 + cost(op) },
  };
}

function unary(op: string, a: bigint, model: Model): VectorDef {
  const ok = "value" in model;
  return {
    name: `${op.toLowerCase()}/${label(a)}`,
    description: `${op} of ${a}${ok ? ` = ${model.value}` : ` traps ${model.trap}`}`,
    source: main(`PUSH ${a}\n${op}\nHALT`, { rets: 1 }),
    expect: ok ? { status: "HALT", returns: [model.value], cycles: 1 + cost(op) + HALT } : { status: "TRAP", code: model.trap, cycles: 1 + cost(op) },
  };
}

const checked = (v: bigint): Model => (inRange(v) ? { value: v } : { trap: "INTEGER_OVERFLOW" });

export const ARITH_VALUES = [0n, 1n, -1n, 3n, -7n, 1n << 32n, MAX, MIN, MAX - 1n, MIN + 1n];
const CMP_VALUES = [0n, 1n, -1n, 5n, MAX, MIN];

const arithModels: Record<string, (a: bigint, b: bigint) => Model> = {
  ADD: (a, b) => checked(a + b),
  SUB: (a, b) => checked(a - b),
  MUL: (a, b) => checked(a * b),
  // BigInt division truncates toward zero and % takes the dividend's sign: exactly SPEC §2.
  DIV: (a, b) => (b === 0n ? { trap: "DIVISION_BY_ZERO" } : checked(a / b)),
  MOD: (a, b) => (b === 0n ? { trap: "DIVISION_BY_ZERO" } : { value: a % b }),
  MIN: (a, b) => ({ value: a < b ? a : b }),
  MAX: (a, b) => ({ value: a > b ? a : b }),
};

const u64 = (v: bigint) => BigInt.asUintN(64, v);
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const bitModels: Record<string, (a: bigint, b: bigint) => Model> = {
  AND: (a, b) => ({ value: a & b }),
  OR: (a, b) => ({ value: a | b }),
  XOR: (a, b) => ({ value: a ^ b }),
  SHL: (a, n) => (n < 0n || n > 63n ? { trap: "SHIFT_OUT_OF_RANGE" } : { value: s64(u64(a) << n) }),
  SHR: (a, n) => (n < 0n || n > 63n ? { trap: "SHIFT_OUT_OF_RANGE" } : { value: s64(u64(a) >> n) }),
};

const cmpModels: Record<string, (a: bigint, b: bigint) => boolean> = {
  EQ: (a, b) => a === b, NEQ: (a, b) => a !== b, LT: (a, b) => a < b, GT: (a, b) => a > b, LTE: (a, b) => a <= b, GTE: (a, b) => a >= b,
};

function underflow(op: string, pushes: number): VectorDef {
  return {
    name: `${op.toLowerCase()}/underflow`,
    description: `${op} with ${pushes} value(s) on the stack traps STACK_UNDERFLOW before charging`,
    source: main(`${"PUSH 1\n".repeat(pushes)}${op}\nHALT`),
    expect: { status: "TRAP", code: "STACK_UNDERFLOW", cycles: pushes },
  };
}

export const arithmetic: DefFile = {
  category: "arithmetic",
  description: "ADD SUB MUL DIV MOD NEG ABS MIN MAX over a grid of edge values: results, INTEGER_OVERFLOW, DIVISION_BY_ZERO (SPEC §2)",
  vectors: [
    ...Object.entries(arithModels).flatMap(([op, f]) => ARITH_VALUES.flatMap((a) => ARITH_VALUES.map((b) => binary(op, a, b, f(a, b))))),
    ...ARITH_VALUES.map((a) => unary("NEG", a, checked(-a))),
    ...ARITH_VALUES.map((a) => unary("ABS", a, checked(a < 0n ? -a : a))),
    ...Object.keys(arithModels).map((op) => underflow(op, 1)),
    underflow("NEG", 0),
    underflow("ABS", 0),
  ],
};

const SHIFT_VALUES = [1n, -1n, MIN, 0x0123456789abcdefn];
const SHIFT_COUNTS = [0n, 1n, 7n, 32n, 63n, 64n, -1n, 100n];

export const bitwise: DefFile = {
  category: "bitwise",
  description: "AND OR XOR NOT SHL SHR: two's-complement patterns, logical SHR, SHIFT_OUT_OF_RANGE (SPEC §2, §9.3)",
  vectors: [
    ...["AND", "OR", "XOR"].flatMap((op) => CMP_VALUES.flatMap((a) => CMP_VALUES.map((b) => binary(op, a, b, bitModels[op](a, b))))),
    ...ARITH_VALUES.map((a) => unary("NOT", a, { value: ~a })),
    ...["SHL", "SHR"].flatMap((op) => SHIFT_VALUES.flatMap((a) => SHIFT_COUNTS.map((n) => binary(op, a, n, bitModels[op](a, n))))),
    ...["AND", "OR", "XOR", "SHL", "SHR"].map((op) => underflow(op, 1)),
    underflow("NOT", 0),
  ],
};

export const comparison: DefFile = {
  category: "comparison",
  description: "EQ NEQ LT GT LTE GTE: signed, push 1 or 0 (SPEC §9.4)",
  vectors: [
    ...Object.entries(cmpModels).flatMap(([op, f]) => CMP_VALUES.flatMap((a) => CMP_VALUES.map((b) => binary(op, a, b, { value: f(a, b) ? 1n : 0n })))),
    ...Object.keys(cmpModels).map((op) => underflow(op, 1)),
  ],
};

export const stack: DefFile = {
  category: "stack",
  description: "PUSH POP DUP SWAP OVER ROT: effects, PUSH encodings, STACK_UNDERFLOW and STACK_OVERFLOW at STACK_DEPTH (SPEC §9.1)",
  vectors: [
    ...[0n, 1n, -1n, 127n, 128n, -128n, -129n, 255n, 256n, 32767n, 32768n, -32769n, (1n << 31n) - 1n, 1n << 31n, 1n << 55n, MAX, MIN].map((v): VectorDef => ({
      name: `push/${label(v)}`,
      description: `PUSH ${v} uses the minimal immediate and pushes the value`,
      source: main(`PUSH ${v}\nHALT`, { rets: 1 }),
      expect: { status: "HALT", returns: [v], cycles: 1 + HALT },
    })),
    { name: "pop/basic", description: "POP discards the top", source: main("PUSH 1\nPUSH 2\nPOP\nHALT", { rets: 1 }), expect: { returns: [1n], cycles: 3 + HALT } },
    { name: "dup/basic", description: "DUP: a -- a a", source: main("PUSH 5\nDUP\nHALT", { rets: 2 }), expect: { returns: [5n, 5n] } },
    { name: "swap/basic", description: "SWAP: a b -- b a", source: main("PUSH 1\nPUSH 2\nSWAP\nHALT", { rets: 2 }), expect: { returns: [2n, 1n] } },
    { name: "over/basic", description: "OVER: a b -- a b a", source: main("PUSH 1\nPUSH 2\nOVER\nHALT", { rets: 3 }), expect: { returns: [1n, 2n, 1n] } },
    { name: "rot/basic", description: "ROT: a b c -- b c a", source: main("PUSH 1\nPUSH 2\nPUSH 3\nROT\nHALT", { rets: 3 }), expect: { returns: [2n, 3n, 1n] } },
    { name: "rot/deeper-values-untouched", description: "ROT leaves values below its three alone", source: main("PUSH 9\nPUSH 1\nPUSH 2\nPUSH 3\nROT\nHALT", { rets: 4 }), expect: { returns: [9n, 2n, 3n, 1n] } },
    { name: "halt/returns-top-values", description: "HALT returns the top rets values, deepest first; values below are dropped", source: main("PUSH 1\nPUSH 2\nPUSH 3\nHALT", { rets: 2 }), expect: { returns: [2n, 3n] } },
    underflow("POP", 0), underflow("DUP", 0), underflow("SWAP", 1), underflow("OVER", 1), underflow("ROT", 2),
    { name: "depth/256-ok", description: "STACK_DEPTH (256) values fit", source: main("PUSH 7\n".repeat(256) + "HALT", { rets: 1 }), expect: { status: "HALT", returns: [7n] } },
    { name: "depth/push-257", description: "a 257th PUSH traps STACK_OVERFLOW before charging", source: main("PUSH 7\n".repeat(257) + "HALT"), expect: { status: "TRAP", code: "STACK_OVERFLOW", cycles: 256 } },
    { name: "depth/dup-at-256", description: "DUP on a full stack traps STACK_OVERFLOW", source: main("PUSH 7\n".repeat(256) + "DUP\nHALT"), expect: { status: "TRAP", code: "STACK_OVERFLOW", cycles: 256 } },
    { name: "depth/over-at-256", description: "OVER on a full stack traps STACK_OVERFLOW", source: main("PUSH 7\n".repeat(256) + "OVER\nHALT"), expect: { status: "TRAP", code: "STACK_OVERFLOW", cycles: 256 } },
    { name: "depth/swap-at-256-ok", description: "SWAP on a full stack is fine (net effect 0)", source: main("PUSH 7\n".repeat(256) + "SWAP\nHALT", { rets: 1 }), expect: { status: "HALT" } },
    { name: "depth/args-fill-stack", description: "arguments are the initial stack, first argument deepest", source: main("HALT", { args: 3, rets: 3 }), args: [1n, -2n, 3n], expect: { returns: [1n, -2n, 3n], cycles: HALT } },
  ],
};
