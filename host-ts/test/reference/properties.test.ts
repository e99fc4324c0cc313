/** Properties (fast-check): the interpreter against independent models and invariants. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Limit, OPCODES, SPACES, Status, Trap, type Mnemonic } from "../../src/generated/opcodes.ts";
import { encodeCanonical, type CborValue } from "../../src/model/cbor.ts";
import { decodeResult } from "../../src/model/codec.ts";
import { runJob } from "../../src/reference/index.ts";
import { asm, jobBytes, run, type Item } from "./helpers.ts";

const MIN = -(1n << 63n);
const MAX = (1n << 63n) - 1n;
const TWO64 = 1n << 64n;

const int64 = fc.oneof(
  fc.bigInt({ min: MIN, max: MAX }),
  fc.constantFrom(MIN, MIN + 1n, MAX, MAX - 1n, -1n, 0n, 1n, 2n, 63n, 64n, -64n, 1n << 32n, -(1n << 32n), 3037000500n, -3037000500n),
  fc.integer({ min: -70, max: 70 }).map(BigInt),
);

// ---- An independent model of §2 (unsigned modular arithmetic, explicit range checks) ----
type Expect = { returns: bigint[] } | { trap: number };
const u = (x: bigint): bigint => ((x % TWO64) + TWO64) % TWO64;
const s = (x: bigint): bigint => (u(x) >= 1n << 63n ? u(x) - TWO64 : u(x));
const fits = (x: bigint): boolean => x >= MIN && x <= MAX;
const ok = (...v: bigint[]): Expect => ({ returns: v });
const trap = (t: number): Expect => ({ trap: t });
const overflowChecked = (x: bigint): Expect => (fits(x) ? ok(x) : trap(Trap.INTEGER_OVERFLOW));
const truncDiv = (a: bigint, b: bigint): bigint => {
  const q = (a < 0n ? -a : a) / (b < 0n ? -b : b);
  return (a < 0n) !== (b < 0n) ? -q : q;
};
const model: Record<string, (a: bigint, b: bigint) => Expect> = {
  ADD: (a, b) => overflowChecked(a + b),
  SUB: (a, b) => overflowChecked(a - b),
  MUL: (a, b) => overflowChecked(a * b),
  DIV: (a, b) => (b === 0n ? trap(Trap.DIVISION_BY_ZERO) : overflowChecked(truncDiv(a, b))),
  MOD: (a, b) => (b === 0n ? trap(Trap.DIVISION_BY_ZERO) : ok(a - truncDiv(a, b) * b)),
  MIN: (a, b) => ok(a <= b ? a : b),
  MAX: (a, b) => ok(a >= b ? a : b),
  AND: (a, b) => ok(s(u(a) & u(b))),
  OR: (a, b) => ok(s(u(a) | u(b))),
  XOR: (a, b) => ok(s(u(a) ^ u(b))),
  SHL: (a, n) => (n < 0n || n > 63n ? trap(Trap.SHIFT_OUT_OF_RANGE) : ok(s(u(a) * 2n ** n))),
  SHR: (a, n) => (n < 0n || n > 63n ? trap(Trap.SHIFT_OUT_OF_RANGE) : ok(s(u(a) / 2n ** n))),
  EQ: (a, b) => ok(a === b ? 1n : 0n),
  NEQ: (a, b) => ok(a !== b ? 1n : 0n),
  LT: (a, b) => ok(a < b ? 1n : 0n),
  GT: (a, b) => ok(a > b ? 1n : 0n),
  LTE: (a, b) => ok(a <= b ? 1n : 0n),
  GTE: (a, b) => ok(a >= b ? 1n : 0n),
};
const unaryModel: Record<string, (a: bigint) => Expect> = {
  NEG: (a) => overflowChecked(-a),
  ABS: (a) => overflowChecked(a < 0n ? -a : a),
  NOT: (a) => ok(s(TWO64 - 1n - u(a))),
};

function observed(op: string, args: bigint[]): Expect {
  const r = run({ code: asm(op, "HALT"), args, rets: 1 });
  return r.result.status === Status.HALT ? { returns: r.result.returns } : { trap: Number(r.result.code) };
}

describe("arithmetic, bitwise and comparison agree with a bigint model (traps included)", () => {
  it("binary operations", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(model)), int64, int64, (op, a, b) => {
        expect(observed(op, [a, b])).toEqual(model[op](a, b));
      }),
      { numRuns: 3000 },
    );
  });
  it("unary operations", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(unaryModel)), int64, (op, a) => {
        expect(observed(op, [a])).toEqual(unaryModel[op](a));
      }),
      { numRuns: 500 },
    );
  });
  it("the named edge cases", () => {
    expect(observed("DIV", [MIN, -1n])).toEqual(trap(Trap.INTEGER_OVERFLOW));
    expect(observed("MOD", [MIN, -1n])).toEqual(ok(0n));
    expect(observed("DIV", [MIN, 1n])).toEqual(ok(MIN));
    expect(observed("NEG", [MIN])).toEqual(trap(Trap.INTEGER_OVERFLOW));
    expect(observed("ABS", [MIN])).toEqual(trap(Trap.INTEGER_OVERFLOW));
    expect(observed("NEG", [MAX])).toEqual(ok(MIN + 1n));
    expect(observed("SHL", [1n, 63n])).toEqual(ok(MIN));
    expect(observed("SHL", [1n, 64n])).toEqual(trap(Trap.SHIFT_OUT_OF_RANGE));
    expect(observed("SHR", [MIN, 63n])).toEqual(ok(1n));
    expect(observed("SHR", [1n, -1n])).toEqual(trap(Trap.SHIFT_OUT_OF_RANGE));
    expect(observed("MUL", [1n << 32n, 1n << 31n])).toEqual(trap(Trap.INTEGER_OVERFLOW)); // 2^63
    expect(observed("MUL", [-(1n << 32n), 1n << 31n])).toEqual(ok(MIN)); // -2^63 fits
    expect(observed("MUL", [3037000500n, 3037000500n])).toEqual(trap(Trap.INTEGER_OVERFLOW));
    expect(observed("MUL", [3037000500n, -3037000500n])).toEqual(trap(Trap.INTEGER_OVERFLOW));
    expect(observed("MUL", [MIN, 1n])).toEqual(ok(MIN));
    expect(observed("MUL", [MIN, -1n])).toEqual(trap(Trap.INTEGER_OVERFLOW));
    expect(observed("MUL", [MAX, -1n])).toEqual(ok(MIN + 1n));
    expect(observed("ADD", [MIN, -1n])).toEqual(trap(Trap.INTEGER_OVERFLOW));
    expect(observed("SUB", [0n, MIN])).toEqual(trap(Trap.INTEGER_OVERFLOW));
    expect(observed("SUB", [-1n, MIN])).toEqual(ok(MAX));
  });
});

// ---- Random programs ----
const SPACE_NAMES = {
  LOAD: SPACES.filter((sp) => sp.LOAD).map((sp) => sp.name),
  STORE: SPACES.filter((sp) => sp.STORE).map((sp) => sp.name),
};
const smallValue = fc.oneof(fc.integer({ min: -2, max: 70 }).map(BigInt), int64);
/** One instruction; targets are instruction indices, resolved to labels. */
const instruction = (n: number): fc.Arbitrary<Item> =>
  fc.constantFrom(...OPCODES.map((o) => o.mnemonic)).chain((m): fc.Arbitrary<Item> => {
    const op = OPCODES.find((o) => o.mnemonic === m)!;
    if (op.immediate === "push") return smallValue.map((v) => ["PUSH", v] as Item);
    if (op.immediate === "target") return fc.integer({ min: 0, max: n - 1 }).map((i) => [m, `L${i}`] as Item);
    if (op.immediate === "space") return fc.constantFrom(...SPACE_NAMES[m as "LOAD" | "STORE"]).map((sp) => [m, sp] as Item);
    return fc.constant(m as Item);
  });
const program = fc.integer({ min: 1, max: 40 }).chain((n) => fc.array(instruction(n), { minLength: n, maxLength: n }));
const randomJob = fc.record({
  items: program,
  args: fc.array(smallValue, { maxLength: 4 }),
  rets: fc.integer({ min: 0, max: 3 }),
  maxCycles: fc.integer({ min: 0, max: 20_000 }),
  maxMemory: fc.integer({ min: 0, max: 256 }),
  maxStateSize: fc.integer({ min: 0, max: 256 }),
  input: fc.uint8Array({ maxLength: 32 }),
  selfBalance: fc.bigInt({ min: 0n, max: 100n }),
});

function effectOf(step: { op: string }): { pops: number; pushes: number } | undefined {
  const [mnemonic, space] = step.op.split(".");
  const op = OPCODES.find((o) => o.mnemonic === (mnemonic as Mnemonic))!;
  const e = space === undefined ? op : SPACES.find((sp) => sp.name === space)![mnemonic as "LOAD" | "STORE"]!;
  return typeof e.pops === "number" && typeof e.pushes === "number" ? { pops: e.pops, pushes: e.pushes } : undefined;
}

describe("random programs", () => {
  it("always give a result within the limits, and the trace agrees with it", () => {
    fc.assert(
      fc.property(randomJob, (j) => {
        const items: Item[] = j.items.flatMap((it, i) => [`L${i}:`, it]);
        const input = j.input.subarray(0, j.maxMemory);
        const self = new Uint8Array(16).fill(1);
        const r = run(
          {
            code: asm(...items),
            args: j.args,
            rets: j.rets,
            maxCycles: j.maxCycles,
            maxMemory: j.maxMemory,
            maxStateSize: j.maxStateSize,
            input,
            context: { self, balances: new Map([["01".repeat(16), j.selfBalance]]) },
          },
          true,
        );
        const res = r.result;
        expect(res.status).not.toBe(Status.INVALID);
        expect(res.cycles).toBeLessThanOrEqual(j.maxCycles);
        expect(r.trace!.reduce((n, st) => n + st.cost, 0)).toBe(res.cycles);
        if (res.status === Status.HALT) expect(res.returns.length).toBe(j.rets);
        if (res.status === Status.TRAP) expect(Number(res.code)).toBeGreaterThanOrEqual(1);
        if (res.status === Status.TRAP) expect(Number(res.code)).toBeLessThanOrEqual(16);
        expect(res.output.length).toBeLessThanOrEqual(Limit.MAX_OUTPUT);
        expect(res.transfers.reduce((n, t) => n + t.amount, 0n)).toBeLessThanOrEqual(j.selfBalance);
        // every completed step changed the stack by its declared effect
        for (let i = 0; i + 1 < r.trace!.length; i++) {
          const st = r.trace![i];
          const e = effectOf(st);
          if (e) expect(r.trace![i + 1].stack.length - st.stack.length).toBe(e.pushes - e.pops);
          expect(st.stack.length).toBeLessThanOrEqual(Limit.STACK_DEPTH);
          expect(st.depth).toBeLessThanOrEqual(Limit.CALL_DEPTH);
        }
        expect(decodeResult(r.resultBytes)).toEqual(res);
      }),
      { numRuns: 400 },
    );
  });
});

describe("any bytes as a job", () => {
  it("random byte strings give a result and never throw", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = runJob(bytes);
        expect(decodeResult(r.resultBytes)).toEqual(r.result);
        if (r.result.status === Status.INVALID) expect(r.result.cycles).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
  it("random well-formed CBOR values (job-like maps included) give a result and never throw", () => {
    const leaf = fc.oneof(fc.bigInt({ min: -(1n << 64n), max: (1n << 64n) - 1n }), fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: 8 }));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        leaf,
        fc.array(tie("value"), { maxLength: 5 }),
        fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 8 }).map(BigInt), tie("value")), { maxLength: 9, selector: (e) => e[0] })
          .map((es) => new Map<CborValue, CborValue>(es.sort((a, b) => Number(a[0] - b[0])) as [CborValue, CborValue][])),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        const r = runJob(encodeCanonical(v as CborValue));
        expect(r.result.status).toBe(Status.INVALID);
        expect(Number(r.result.code)).not.toBe(1); // well-formed: never MALFORMED_ENCODING
      }),
      { numRuns: 500 },
    );
  });
  it("valid jobs with random bytes changed give a result and never throw", () => {
    const base = jobBytes({
      code: asm(["PUSH", 0], ["PUSH", 4], "EMIT", ["PUSH", 1], "l:", ["PUSH", 1], "SUB", "DUP", ["JNZ", "l"], "HALT"),
      rets: 1,
      input: Uint8Array.from([1, 2, 3, 4]),
      state: { aa: Uint8Array.from([5]) },
      maxCycles: 1000,
    });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = base.slice();
        for (const [i, b] of edits) bytes[i] = b;
        const r = runJob(bytes);
        expect(decodeResult(r.resultBytes)).toEqual(r.result);
        expect(r.result.cycles).toBeLessThanOrEqual(1000);
      }),
      { numRuns: 2000 },
    );
  });
  it("is deterministic", () => {
    fc.assert(
      fc.property(randomJob, (j) => {
        const bytes = jobBytes({ code: asm(...j.items.flatMap((it, i) => [`L${i}:`, it] as Item[])), rets: j.rets, maxCycles: j.maxCycles, args: j.args });
        expect(Buffer.from(runJob(bytes).resultBytes).equals(Buffer.from(runJob(bytes).resultBytes))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
