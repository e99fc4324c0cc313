import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { analyse, encodeProgram, decodeProgram, encodeConstant, type Program } from "../../../src/private/shamir/program.ts";
import { encodeCanonical, decodeStrict, type CborValue } from "../../../src/model/cbor.ts";
import { P } from "../../../src/private/shamir/field.ts";
import { ProgramBuilder } from "../../../src/private/shamir/builder.ts";
import { columnStats, membership, dotProduct, linearLayer } from "../../../src/private/shamir/workloads.ts";
import { ShamirLimit } from "../../../src/generated/private-protocol.ts";

const base: Program = { n: 3, t: 1, inputs: [2], ops: [{ op: "input", dealer: 0, index: 0 }, { op: "input", dealer: 0, index: 1 }], outputs: [0] };
const withOps = (ops: Program["ops"], extra: Partial<Program> = {}): Program => ({ ...base, ops: [...base.ops, ...ops], ...extra });

describe("program format", () => {
  it("round-trips through canonical CBOR and the digest is Blake3 of those bytes", () => {
    for (const built of [columnStats(5, 100), membership({ kind: "public", values: [1n, P - 1n, 1n << 100n] }), membership({ kind: "dealer", length: 3 }), dotProduct(4, 10, [0.5, -1, 2, 3]), linearLayer([[1, 2], [3, -4]], [0.5, 1], 1)]) {
      const bytes = encodeProgram(built.program);
      expect(decodeProgram(bytes)).toEqual(built.program);
      expect(encodeProgram(decodeProgram(bytes))).toEqual(bytes);
      expect(built.analysis.digest.length).toBe(32);
    }
  });

  it("public constants: a 64-bit signed representative is an integer, anything else 16 bytes; other forms are refused", () => {
    expect(encodeConstant(5n)).toBe(5n);
    expect(encodeConstant(P - 5n)).toBe(-5n);
    expect(encodeConstant(1n << 64n)).toBeInstanceOf(Uint8Array);
    const prog = (c: CborValue) => encodeCanonical(new Map<CborValue, CborValue>([[1n, 1n], [2n, 3n], [3n, 1n], [4n, [1n]], [5n, [[0n, 0n, 0n], [2n, [0n, c], 0n]]], [6n, [1n]]]));
    expect(() => decodeProgram(prog(new Uint8Array(16).fill(0).map((_, i) => (i === 15 ? 5 : 0))))).toThrow(/PROGRAM_INVALID.*written as an integer/);
    expect(() => decodeProgram(prog(new Uint8Array(15)))).toThrow(/PROGRAM_INVALID/);
    expect(() => decodeProgram(prog(-(1n << 64n) - 0n))).not.toThrow();
    expect(decodeProgram(prog(-1n)).ops[1]).toEqual({ op: "lin", terms: [[0, P - 1n]], constant: 0n });
  });

  it("refuses structural errors with PROGRAM_INVALID", () => {
    const bad: [Program, RegExp][] = [
      [withOps([{ op: "mul", a: 0, b: 5 }]), /not an earlier wire/],
      [withOps([{ op: "lin", terms: [[2, 1n]], constant: 0n }]), /not an earlier wire/],
      [withOps([], { outputs: [9] }), /output/],
      [{ ...base, ops: [base.ops[0]] }, /never used/],
      [withOps([{ op: "input", dealer: 0, index: 1 }]), /twice/],
      [withOps([{ op: "input", dealer: 1, index: 0 }]), /not declared/],
      [withOps([{ op: "random" }, { op: "random" }, { op: "mul", a: 2, b: 3 }]), /two unauthenticated/],
      [withOps([{ op: "auth", a: 0 }]), /already authenticated/],
      [withOps([{ op: "lin", terms: [[0, P]], constant: 0n }]), /not a field element/],
      [withOps([{ op: "matvec", rows: 2, cols: 2, matrix: [1n, 2n, 3n], x: [0, 1], bias: [] }]), /entries/],
      [withOps([{ op: "matvec", rows: 1, cols: 2, matrix: [1n, 2n], x: [0, 1], bias: [1n, 2n] }]), /bias/],
    ];
    for (const [p, re] of bad) expect(() => analyse(p)).toThrow(re);
    expect(() => analyse({ ...base, n: 2 })).toThrow(/PARAMETERS_INVALID/);
  });

  it("refuses programs over the limits with LIMIT_EXCEEDED", () => {
    expect(() => analyse({ ...base, inputs: new Array(ShamirLimit.MAX_DEALERS + 1).fill(0) })).toThrow(/LIMIT_EXCEEDED/);
    let ops: Program["ops"] = [...base.ops];
    for (let k = 0; k <= ShamirLimit.MAX_ROUNDS; k++) ops = [...ops, { op: "mul", a: ops.length - 1, b: 0 }];
    expect(() => analyse({ ...base, ops })).toThrow(/LIMIT_EXCEEDED.*round/);
  });

  it("decoding refuses non-canonical CBOR, unknown keys and unknown ops", () => {
    const good = encodeProgram(base);
    const m = decodeStrict(good) as Map<CborValue, CborValue>;
    expect(() => decodeProgram(new Uint8Array([...good, 0]))).toThrow(/PROGRAM_INVALID.*CBOR/);
    m.set(7n, 0n);
    expect(() => decodeProgram(encodeCanonical(m))).toThrow(/exactly the keys/);
    m.delete(7n);
    m.set(5n, [[9n]]);
    expect(() => decodeProgram(encodeCanonical(m))).toThrow(/unknown tag 9/);
    m.set(5n, base.ops.map(() => [0n, 0n]));
    expect(() => decodeProgram(encodeCanonical(m))).toThrow(/fields/);
    m.set(1n, 2n);
    expect(() => decodeProgram(encodeCanonical(m))).toThrow(/version 2/);
  });

  it("schedules rounds: membership takes ⌈log2(L + 2)⌉ rounds and L multiplications", () => {
    for (let L = 1; L <= 20; L++) {
      const a = membership({ kind: "public", values: Array.from({ length: L }, (_, k) => BigInt(k)) }).analysis;
      expect(a.rounds).toBe(Math.ceil(Math.log2(L + 2)));
      expect(a.checked.length).toBe(L);
      expect(a.plan[0].randoms.length).toBe(1);
      const c = membership({ kind: "consumer", length: L }).analysis;
      expect(c.rounds).toBe(Math.ceil(Math.log2(L + 2)));
    }
    // Another dealer's list needs its terms authenticated: one more round at most, L more MAC reshares.
    const d = membership({ kind: "dealer", length: 6 }).analysis;
    expect(d.rounds).toBeLessThanOrEqual(Math.ceil(Math.log2(8)) + 1);
    expect(d.checked.length).toBeGreaterThan(6);
  });

  it("column statistics: count + 1 multiplications in one round; linear programs have no round", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), (n) => {
      const a = columnStats(n, 10).analysis;
      expect(a.rounds).toBe(1);
      expect(a.plan[0].muls.length).toBe(n + 1);
      expect(a.verified).toBe(true);
    }), { numRuns: 10 });
    const lin = linearLayer([[1, 2, 3]], undefined, 1).analysis;
    expect(lin.rounds).toBe(0);
    expect(lin.verified).toBe(false);
  });

  it("the builder inserts auth where both factors are unauthenticated", () => {
    const b = new ProgramBuilder();
    const u = b.fieldInput({ dealer: 1 }), v = b.fieldInput({ dealer: 2 });
    b.outputField(b.fieldMul(u, v));
    const a = b.build().analysis;
    expect(a.program.ops.map((o) => o.op)).toEqual(["input", "input", "auth", "mul"]);
    expect(a.rounds).toBe(2);
  });
});

describe("received programs", () => {
  it("are hashed as received: the bytes equal the canonical re-encoding for every workload", async () => {
    const { analyseEncoded } = await import("../../../src/private/shamir/program.ts");
    for (const built of [columnStats(3, 1), membership({ kind: "public", values: [-(1n << 90n), 1n] }), linearLayer([[0.5, -0.25]], [1], 1)]) {
      const a = analyseEncoded(built.analysis.encoded);
      expect(a.digest).toEqual(built.analysis.digest);
      expect(encodeProgram(a.program)).toEqual(built.analysis.encoded);
    }
  });
});
