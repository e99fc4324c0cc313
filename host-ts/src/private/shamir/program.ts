/**
 * The program the providers run: a list of operations over field elements in
 * SSA form (each operation defines the next wire or wires; operands name
 * earlier wires only). Providers know nothing of fixed point: scales and
 * bounds live in the consumer's builder (builder.ts), which emits this form.
 *
 * `analyse` checks every structural rule, computes each wire's round (level)
 * and whether it is authenticated (carries a MAC share r·z beside z), and
 * schedules the rounds. Both the consumer and the providers call it on the
 * same bytes, so both derive the same vector lengths for every message.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { encodeCanonical, decodeStrict, isInt, isUint, isBytes, isMap, CborError, type CborValue, type CborMap } from "../../model/cbor.ts";
import { ShamirLimit } from "../../generated/private-protocol.ts";
import { fail } from "./errors.ts";
import { elementFromBytes, elementToBytes, fromSigned, toSigned, F } from "./field.ts";
import { scheme, type Scheme } from "./sharing.ts";

export type Op =
  /** The `index`-th input value of `dealer` (0 = the consumer). */
  | { readonly op: "input"; readonly dealer: number; readonly index: number }
  /** A uniformly random value no party knows: the sum of one random contribution per provider. */
  | { readonly op: "random" }
  /** Σ coef·wire + constant (coefficients and constant are public field elements). */
  | { readonly op: "lin"; readonly terms: readonly (readonly [wire: number, coef: bigint])[]; readonly constant: bigint }
  /** a·b of two secret wires: one BGW round. */
  | { readonly op: "mul"; readonly a: number; readonly b: number }
  /** The same value as `a`, with a MAC share r·a computed in one round (for values of dealers other than the consumer). */
  | { readonly op: "auth"; readonly a: number }
  /** rows new wires: y = M·x + bias, M public (rows × cols, row-major), x secret wires, bias public (empty or rows entries). */
  | { readonly op: "matvec"; readonly rows: number; readonly cols: number; readonly matrix: readonly bigint[]; readonly x: readonly number[]; readonly bias: readonly bigint[] };

export interface Program {
  /** Providers (evaluation points 1..n). */
  readonly n: number;
  /** Polynomial degree; any t + 1 shares determine a value, t learn nothing. */
  readonly t: number;
  /** Number of inputs of each dealer; index 0 is the consumer. */
  readonly inputs: readonly number[];
  readonly ops: readonly Op[];
  /** Wires revealed to the consumer, in order. */
  readonly outputs: readonly number[];
}

export interface RoundPlan {
  /** Wires computed by mul in this round (one z-reshare and one y-reshare each), ascending. */
  readonly muls: readonly number[];
  /** Wires whose MAC share is computed in this round: muls and auths, ascending (one y-reshare each). */
  readonly macs: readonly number[];
  /** Wires of random ops (round 1 only): one contribution each. */
  readonly randoms: readonly number[];
}

export interface Analysis {
  readonly program: Program;
  readonly scheme: Scheme;
  readonly encoded: Uint8Array;
  /** Blake3-256 of `encoded`: what dealers other than the consumer name the program by. */
  readonly digest: Uint8Array;
  readonly wireCount: number;
  /** Op index defining each wire, and the row for matvec wires. */
  readonly wireOp: Int32Array;
  readonly wireRow: Int32Array;
  readonly level: Int32Array;
  /** 1 when the wire carries a MAC share (only meaningful in verified programs). */
  readonly authenticated: Uint8Array;
  /** For each input of each dealer, its wire. */
  readonly inputWires: readonly (readonly number[])[];
  readonly rounds: number;
  /** Programs with at least one round use the MAC check (CHALLENGE, check share); linear programs do not. */
  readonly verified: boolean;
  /** rounds[r - 1] is round r. */
  readonly plan: readonly RoundPlan[];
  /** Wires covered by the MAC check (every mul and auth output), ascending; the k-th gets weight β^(k+1). */
  readonly checked: readonly number[];
}

// ---- canonical public constants

const INT_MIN = -(1n << 64n), INT_LIMIT = 1n << 64n;

/** A public field constant: its signed representative as a CBOR integer when it fits 64 bits, else 16 bytes. */
export function encodeConstant(c: bigint): CborValue {
  const s = toSigned(c);
  return s >= INT_MIN && s < INT_LIMIT ? s : elementToBytes(c);
}

function decodeConstant(v: CborValue | undefined, what: string): bigint {
  if (isInt(v)) {
    if (v < INT_MIN || v >= INT_LIMIT) fail("PROGRAM_INVALID", `${what}: integer constant outside CBOR's range`);
    return fromSigned(v);
  }
  if (isBytes(v)) {
    if (v.length !== ShamirLimit.FIELD_BYTES) fail("PROGRAM_INVALID", `${what}: constant of ${v.length} bytes`);
    const c = elementFromBytes(v);
    const s = toSigned(c);
    if (s >= INT_MIN && s < INT_LIMIT) fail("PROGRAM_INVALID", `${what}: constant ${s} must be written as an integer`);
    return c;
  }
  return fail("PROGRAM_INVALID", `${what}: constant is neither an integer nor 16 bytes`);
}

// ---- CBOR form

const Tag = { Input: 0, Random: 1, Lin: 2, Mul: 3, Auth: 4, Matvec: 5 } as const;

function encodeOp(o: Op): CborValue {
  const u = (x: number) => BigInt(x);
  switch (o.op) {
    case "input": return [u(Tag.Input), u(o.dealer), u(o.index)];
    case "random": return [u(Tag.Random)];
    case "lin": return [u(Tag.Lin), o.terms.flatMap(([w, c]) => [u(w), encodeConstant(c)]), encodeConstant(o.constant)];
    case "mul": return [u(Tag.Mul), u(o.a), u(o.b)];
    case "auth": return [u(Tag.Auth), u(o.a)];
    case "matvec": return [u(Tag.Matvec), u(o.rows), u(o.cols), o.matrix.map(encodeConstant), o.x.map(u), o.bias.map(encodeConstant)];
  }
}

export function encodeProgram(p: Program): Uint8Array {
  const m: CborMap = new Map<CborValue, CborValue>([
    [1n, BigInt(ShamirLimit.PROGRAM_VERSION)],
    [2n, BigInt(p.n)],
    [3n, BigInt(p.t)],
    [4n, p.inputs.map(BigInt)],
    [5n, p.ops.map(encodeOp)],
    [6n, p.outputs.map(BigInt)],
  ]);
  return encodeCanonical(m);
}

function small(v: CborValue | undefined, what: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!isUint(v) || v > BigInt(max)) return fail("PROGRAM_INVALID", `${what} is not an unsigned integer ≤ ${max}`);
  return Number(v);
}

function array(v: CborValue | undefined, what: string, max: number): CborValue[] {
  if (!Array.isArray(v)) return fail("PROGRAM_INVALID", `${what} is not an array`);
  if (v.length > max) fail("LIMIT_EXCEEDED", `${what} has ${v.length} entries, limit ${max}`);
  return v;
}

function decodeOp(v: CborValue, i: number): Op {
  const a = array(v, `op ${i}`, 6);
  const tag = small(a[0], `op ${i} tag`, 255);
  const need = (k: number) => { if (a.length !== k) fail("PROGRAM_INVALID", `op ${i} (tag ${tag}) has ${a.length} fields, needs ${k}`); };
  switch (tag) {
    case Tag.Input: need(3); return { op: "input", dealer: small(a[1], `op ${i} dealer`), index: small(a[2], `op ${i} index`) };
    case Tag.Random: need(1); return { op: "random" };
    case Tag.Lin: {
      need(3);
      const flat = array(a[1], `op ${i} terms`, 2 * ShamirLimit.MAX_TERMS);
      if (flat.length % 2) fail("PROGRAM_INVALID", `op ${i}: terms must be wire, coefficient pairs`);
      const terms: [number, bigint][] = [];
      for (let k = 0; k < flat.length; k += 2) terms.push([small(flat[k], `op ${i} term wire`), decodeConstant(flat[k + 1], `op ${i} coefficient`)]);
      return { op: "lin", terms, constant: decodeConstant(a[2], `op ${i} constant`) };
    }
    case Tag.Mul: need(3); return { op: "mul", a: small(a[1], `op ${i} a`), b: small(a[2], `op ${i} b`) };
    case Tag.Auth: need(2); return { op: "auth", a: small(a[1], `op ${i} a`) };
    case Tag.Matvec: {
      need(6);
      const rows = small(a[1], `op ${i} rows`), cols = small(a[2], `op ${i} cols`);
      const matrix = array(a[3], `op ${i} matrix`, ShamirLimit.MAX_TERMS).map((c) => decodeConstant(c, `op ${i} matrix entry`));
      const x = array(a[4], `op ${i} x`, ShamirLimit.MAX_TERMS).map((w) => small(w, `op ${i} x wire`));
      const bias = array(a[5], `op ${i} bias`, ShamirLimit.MAX_TERMS).map((c) => decodeConstant(c, `op ${i} bias`));
      return { op: "matvec", rows, cols, matrix, x, bias };
    }
    default: return fail("PROGRAM_INVALID", `op ${i}: unknown tag ${tag}`);
  }
}

export function decodeProgram(bytes: Uint8Array): Program {
  let v: CborValue;
  try { v = decodeStrict(bytes); } catch (e) {
    if (e instanceof CborError) return fail("PROGRAM_INVALID", `program is not deterministic CBOR: ${e.message}`);
    throw e;
  }
  return programFromCbor(v);
}

export function programFromCbor(v: CborValue): Program {
  if (!isMap(v)) return fail("PROGRAM_INVALID", "program is not a map");
  const keys = [...v.keys()];
  if (keys.length !== 6 || keys.some((k, i) => k !== BigInt(i + 1))) fail("PROGRAM_INVALID", "program map must have exactly the keys 1..6");
  const version = small(v.get(1n), "version");
  if (version !== ShamirLimit.PROGRAM_VERSION) fail("PROGRAM_INVALID", `program version ${version}, this party reads ${ShamirLimit.PROGRAM_VERSION}`);
  const n = small(v.get(2n), "n", 255), t = small(v.get(3n), "t", 255);
  const inputs = array(v.get(4n), "inputs", ShamirLimit.MAX_DEALERS).map((c, d) => small(c, `input count of dealer ${d}`));
  const ops = array(v.get(5n), "ops", ShamirLimit.MAX_OPS).map(decodeOp);
  const outputs = array(v.get(6n), "outputs", ShamirLimit.MAX_OUTPUTS).map((w) => small(w, "output wire"));
  return { n, t, inputs, ops, outputs };
}

// ---- analysis

/**
 * Analyses a program received as bytes. Deterministic CBOR is strict and every
 * constant has one form, so these bytes are the program's canonical encoding:
 * they are hashed as they are, not re-encoded (re-encoding a 300 KB matrix
 * per provider was most of a linear layer's time).
 */
export function analyseEncoded(bytes: Uint8Array): Analysis {
  return analyse(decodeProgram(bytes), bytes);
}

export function analyse(program: Program, canonical?: Uint8Array): Analysis {
  const sch = scheme(program.n, program.t);
  const { inputs, ops, outputs } = program;
  if (inputs.length < 1 || inputs.length > ShamirLimit.MAX_DEALERS) fail("LIMIT_EXCEEDED", `${inputs.length} dealers, need 1..${ShamirLimit.MAX_DEALERS}`);
  inputs.forEach((c, d) => { if (!Number.isInteger(c) || c < 0 || c > ShamirLimit.MAX_INPUTS) fail("LIMIT_EXCEEDED", `dealer ${d} has ${c} inputs, limit ${ShamirLimit.MAX_INPUTS}`); });
  if (ops.length > ShamirLimit.MAX_OPS) fail("LIMIT_EXCEEDED", `${ops.length} ops, limit ${ShamirLimit.MAX_OPS}`);
  if (outputs.length > ShamirLimit.MAX_OUTPUTS) fail("LIMIT_EXCEEDED", `${outputs.length} outputs, limit ${ShamirLimit.MAX_OUTPUTS}`);

  let wireCount = 0;
  for (const o of ops) {
    if (o.op === "matvec") {
      if (!Number.isInteger(o.rows) || o.rows < 1 || o.rows > ShamirLimit.MAX_WIRES) fail("PROGRAM_INVALID", `matvec with ${o.rows} rows`);
      wireCount += o.rows;
    } else wireCount += 1;
    if (wireCount > ShamirLimit.MAX_WIRES) fail("LIMIT_EXCEEDED", `more than ${ShamirLimit.MAX_WIRES} wires`);
  }
  const wireOp = new Int32Array(wireCount), wireRow = new Int32Array(wireCount);
  const level = new Int32Array(wireCount), authenticated = new Uint8Array(wireCount);
  const inputWires = inputs.map((c) => new Array<number>(c).fill(-1));
  const check = (w: number, at: number, what: string) => {
    if (!Number.isInteger(w) || w < 0 || w >= at) fail("PROGRAM_INVALID", `${what}: wire ${w} is not an earlier wire`);
  };
  const elem = (c: bigint, what: string) => { if (!F.isValid(c)) fail("PROGRAM_INVALID", `${what}: ${c} is not a field element`); };

  let next = 0, hasRandom = false;
  ops.forEach((o, i) => {
    const at = next;
    let lv = 0, au = 1;
    switch (o.op) {
      case "input":
        if (o.dealer >= inputs.length || !Number.isInteger(o.index) || o.index < 0 || o.index >= inputs[o.dealer]) fail("PROGRAM_INVALID", `op ${i}: input ${o.dealer}/${o.index} is not declared`);
        if (inputWires[o.dealer][o.index] !== -1) fail("PROGRAM_INVALID", `op ${i}: input ${o.dealer}/${o.index} appears twice`);
        inputWires[o.dealer][o.index] = at;
        au = o.dealer === 0 ? 1 : 0;
        break;
      case "random":
        lv = 1; au = 0; hasRandom = true;
        break;
      case "lin":
        if (o.terms.length > ShamirLimit.MAX_TERMS) fail("LIMIT_EXCEEDED", `op ${i}: ${o.terms.length} terms`);
        for (const [w, c] of o.terms) { check(w, at, `op ${i}`); elem(c, `op ${i}`); lv = Math.max(lv, level[w]); au &= authenticated[w]; }
        elem(o.constant, `op ${i}`);
        break;
      case "mul":
        check(o.a, at, `op ${i}`); check(o.b, at, `op ${i}`);
        if (!authenticated[o.a] && !authenticated[o.b]) fail("PROGRAM_INVALID", `op ${i}: mul of two unauthenticated wires (authenticate one with auth first)`);
        lv = Math.max(level[o.a], level[o.b]) + 1;
        break;
      case "auth":
        check(o.a, at, `op ${i}`);
        if (authenticated[o.a]) fail("PROGRAM_INVALID", `op ${i}: wire ${o.a} is already authenticated`);
        lv = level[o.a] + 1;
        break;
      case "matvec": {
        if (!Number.isInteger(o.cols) || o.cols < 1 || o.x.length !== o.cols) fail("PROGRAM_INVALID", `op ${i}: matvec needs cols ≥ 1 wires, got ${o.x.length} for ${o.cols} columns`);
        if (o.matrix.length !== o.rows * o.cols) fail("PROGRAM_INVALID", `op ${i}: matrix has ${o.matrix.length} entries, needs ${o.rows}·${o.cols}`);
        if (o.matrix.length > ShamirLimit.MAX_TERMS) fail("LIMIT_EXCEEDED", `op ${i}: matrix of ${o.matrix.length} entries`);
        if (o.bias.length !== 0 && o.bias.length !== o.rows) fail("PROGRAM_INVALID", `op ${i}: bias has ${o.bias.length} entries, needs 0 or ${o.rows}`);
        for (const w of o.x) { check(w, at, `op ${i}`); lv = Math.max(lv, level[w]); au &= authenticated[w]; }
        o.matrix.forEach((c) => elem(c, `op ${i}`));
        o.bias.forEach((c) => elem(c, `op ${i}`));
        break;
      }
      default: fail("PROGRAM_INVALID", `op ${i}: unknown op`);
    }
    if (lv > ShamirLimit.MAX_ROUNDS) fail("LIMIT_EXCEEDED", `op ${i} needs round ${lv}, limit ${ShamirLimit.MAX_ROUNDS}`);
    const width = o.op === "matvec" ? o.rows : 1;
    for (let r = 0; r < width; r++) {
      wireOp[at + r] = i; wireRow[at + r] = r; level[at + r] = lv; authenticated[at + r] = au;
    }
    next += width;
  });
  inputWires.forEach((ws, d) => ws.forEach((w, k) => { if (w === -1) fail("PROGRAM_INVALID", `input ${d}/${k} is declared but never used`); }));
  for (const w of outputs) check(w, wireCount, "output");

  let rounds = hasRandom ? 1 : 0;
  for (let w = 0; w < wireCount; w++) rounds = Math.max(rounds, level[w]);
  const plan = Array.from({ length: rounds }, () => ({ muls: [] as number[], macs: [] as number[], randoms: [] as number[] }));
  const checked: number[] = [];
  for (let w = 0; w < wireCount; w++) {
    const o = ops[wireOp[w]];
    if (o.op === "mul") { plan[level[w] - 1].muls.push(w); plan[level[w] - 1].macs.push(w); checked.push(w); }
    else if (o.op === "auth") { plan[level[w] - 1].macs.push(w); checked.push(w); }
    else if (o.op === "random") plan[0].randoms.push(w);
  }
  const encoded = canonical ?? encodeProgram(program);
  return {
    program, scheme: sch, encoded, digest: blake3(encoded), wireCount, wireOp, wireRow, level, authenticated,
    inputWires, rounds, verified: rounds > 0, plan, checked,
  };
}
