/**
 * The consumer's typed program builder: secret fixed-point and field values,
 * with the scale (fractional bits) and a proven magnitude bound of every
 * fixed-point value. It emits the field-only Program the providers run, and
 * keeps the encoders of the inputs and decoders of the outputs on the
 * consumer's side.
 *
 * Overflow rule: every fixed-point value's bound B (|integer| ≤ B for all
 * inputs within their declared bounds) must satisfy B ≤ (p − 1)/2, or the
 * builder throws FIXED_POINT_OVERFLOW. Inputs outside their bounds are refused
 * when encoded (INPUT_OUT_OF_RANGE). So a reconstructed value's signed
 * representative is the exact integer result: nothing wraps.
 *
 * Multiplication adds scales; additions align the smaller scale by a public
 * power of two; the consumer divides by 2^scale (and a public divisor) when it
 * decodes. Secret × secret multiplication needs one authenticated operand (a
 * consumer input or a result of mul); the builder inserts `auth` when both are
 * unauthenticated (values of other dealers, random masks).
 */
import { fail } from "./errors.ts";
import { F, HALF, fromSigned, toSigned } from "./field.ts";
import { encodeFixed, decodeFixed, type Fraction } from "./fixed-point.ts";
import { analyse, type Analysis, type Op, type Program } from "./program.ts";

export interface SecretFixed { readonly kind: "fixed"; readonly wire: number; readonly scale: number; readonly bound: bigint }
export interface SecretField { readonly kind: "field"; readonly wire: number }
export type Secret = SecretFixed | SecretField;

export type InputSpec =
  | { readonly kind: "fixed"; readonly scale: number; readonly bound: bigint }
  | { readonly kind: "field" };

export type OutputSpec =
  | { readonly kind: "fixed"; readonly scale: number; readonly divisor: bigint; readonly bound: bigint }
  | { readonly kind: "is-zero" }
  | { readonly kind: "field" };

export type Decoded =
  | { readonly kind: "fixed"; readonly value: Fraction }
  | { readonly kind: "is-zero"; readonly value: boolean }
  | { readonly kind: "field"; readonly value: bigint };

/** An input value: a number is rounded to the input's scale; a bigint is the already-scaled integer. */
export type InputValue = number | bigint;

export interface BuiltProgram {
  readonly program: Program;
  readonly analysis: Analysis;
  /** inputs[d][k]: how dealer d's k-th value is encoded. */
  readonly inputs: readonly (readonly InputSpec[])[];
  readonly outputs: readonly OutputSpec[];
  /** Field elements of dealer d's values, refused when outside their bounds. */
  encodeInputs(dealer: number, values: readonly InputValue[]): bigint[];
  /** The consumer's view of the reconstructed outputs. */
  decodeOutputs(values: readonly bigint[]): Decoded[];
}

export interface BuilderOptions {
  /** Fractional bits of fixed-point inputs and public constants (default 16). */
  readonly fracBits?: number;
  readonly n?: number;
  readonly t?: number;
}

const abs = (v: bigint) => (v < 0n ? -v : v);

export class ProgramBuilder {
  readonly fracBits: number;
  private readonly n: number;
  private readonly t: number;
  private readonly ops: Op[] = [];
  private readonly inputSpecs: InputSpec[][] = [[]];
  private readonly outputWires: number[] = [];
  private readonly outputSpecs: OutputSpec[] = [];
  /** Mirrors of the analysis rules, so the builder can schedule products and insert auth. */
  private readonly level: number[] = [];
  private readonly auth: boolean[] = [];

  constructor(opts: BuilderOptions = {}) {
    this.fracBits = opts.fracBits ?? 16;
    this.n = opts.n ?? 3;
    this.t = opts.t ?? 1;
    if (!Number.isInteger(this.fracBits) || this.fracBits < 0 || this.fracBits > 60) throw new RangeError(`fracBits ${this.fracBits} outside 0..60`);
  }

  private emit(o: Op, level: number, auth: boolean, width = 1): number {
    const w = this.level.length;
    this.ops.push(o);
    for (let k = 0; k < width; k++) { this.level.push(level); this.auth.push(auth); }
    return w;
  }

  private fixed(wire: number, scale: number, bound: bigint, what: string): SecretFixed {
    if (bound > HALF) fail("FIXED_POINT_OVERFLOW", `${what}: |value| may reach ${bound} (2^${bound.toString(2).length - 1}…) > (p − 1)/2 at scale 2^${scale}`);
    return { kind: "fixed", wire, scale, bound };
  }

  // ---- inputs

  private declare(dealer: number, spec: InputSpec): number {
    if (!Number.isInteger(dealer) || dealer < 0) throw new RangeError(`dealer ${dealer}`);
    while (this.inputSpecs.length <= dealer) this.inputSpecs.push([]);
    const index = this.inputSpecs[dealer].length;
    this.inputSpecs[dealer].push(spec);
    return this.emit({ op: "input", dealer, index }, 0, dealer === 0);
  }

  /** A secret fixed-point input with |x| ≤ bound (real units), at `scale` fractional bits (default fracBits). */
  input(opts: { bound: number; scale?: number; dealer?: number }): SecretFixed {
    const scale = opts.scale ?? this.fracBits;
    const b = abs(encodeFixed(opts.bound, scale));
    return this.inputRaw({ bound: b, scale, dealer: opts.dealer });
  }

  /** A secret fixed-point input given by its integer bound at `scale` (for pre-scaled values, e.g. DP noise). */
  inputRaw(opts: { bound: bigint; scale: number; dealer?: number }): SecretFixed {
    const spec = { kind: "fixed" as const, scale: opts.scale, bound: opts.bound };
    return this.fixed(this.declare(opts.dealer ?? 0, spec), spec.scale, spec.bound, "input");
  }

  /** A secret integer used as a field element (equality tests); any integer in ±(p − 1)/2. */
  fieldInput(opts: { dealer?: number } = {}): SecretField {
    return { kind: "field", wire: this.declare(opts.dealer ?? 0, { kind: "field" }) };
  }

  /** A uniformly random field value no party knows (the sum of one contribution per provider). */
  random(): SecretField {
    return { kind: "field", wire: this.emit({ op: "random" }, 1, false) };
  }

  // ---- linear, fixed point

  private lin(terms: [Secret, bigint][], constant: bigint): number {
    let lv = 0, au = true;
    for (const [s] of terms) { lv = Math.max(lv, this.level[s.wire]); au &&= this.auth[s.wire]; }
    return this.emit({ op: "lin", terms: terms.map(([s, c]) => [s.wire, fromSigned(c)] as const), constant: F.create(constant) }, lv, au);
  }

  /** Σ c_k·x_k + c0 over fixed-point values, aligned to the largest scale; coefficients are integers. */
  private combine(terms: [SecretFixed, bigint][], c0: bigint, c0Scale: number, what: string): SecretFixed {
    const scale = terms.reduce((m, [x]) => Math.max(m, x.scale), c0Scale); // no spread: sums may have 10^5 terms
    let bound = 0n;
    const scaled: [Secret, bigint][] = terms.map(([x, c]) => {
      const k = c << BigInt(scale - x.scale);
      bound += abs(k) * x.bound;
      return [x, k];
    });
    const constant = c0 << BigInt(scale - c0Scale);
    bound += abs(constant);
    for (const [, k] of scaled) if (abs(k) > HALF) fail("FIXED_POINT_OVERFLOW", `${what}: coefficient outside ±(p − 1)/2`);
    return this.fixed(this.lin(scaled, constant), scale, bound, what);
  }

  add(a: SecretFixed, b: SecretFixed): SecretFixed { return this.combine([[a, 1n], [b, 1n]], 0n, 0, "add"); }
  sub(a: SecretFixed, b: SecretFixed): SecretFixed { return this.combine([[a, 1n], [b, -1n]], 0n, 0, "sub"); }
  neg(a: SecretFixed): SecretFixed { return this.combine([[a, -1n]], 0n, 0, "neg"); }
  sum(xs: readonly SecretFixed[]): SecretFixed { return this.combine(xs.map((x) => [x, 1n]), 0n, 0, "sum"); }
  /** a·k for a public integer k (scale unchanged). */
  mulInt(a: SecretFixed, k: bigint): SecretFixed { return this.combine([[a, k]], 0n, 0, "mulInt"); }
  /** a + c for a public real c (encoded at a's scale). */
  addPublic(a: SecretFixed, c: number): SecretFixed { return this.combine([[a, 1n]], encodeFixed(c, a.scale), a.scale, "addPublic"); }

  /** Σ w_k·x_k for public reals w (encoded at fracBits): scale of x plus fracBits, no communication. */
  dotPublic(xs: readonly SecretFixed[], ws: readonly number[], bias = 0): SecretFixed {
    if (xs.length !== ws.length) throw new RangeError(`dotPublic: ${xs.length} values, ${ws.length} weights`);
    if (xs.length === 0) throw new RangeError("dotPublic of nothing");
    const f = this.fracBits, scale = xs[0].scale;
    if (xs.some((x) => x.scale !== scale)) throw new RangeError("dotPublic: values of different scales");
    let bound = 0n;
    const terms: [Secret, bigint][] = xs.map((x, k) => { const c = encodeFixed(ws[k], f); bound += abs(c) * x.bound; return [x, c]; });
    const b = encodeFixed(bias, scale + f);
    bound += abs(b);
    return this.fixed(this.lin(terms, b), scale + f, bound, "dotPublic");
  }

  /** y = W·x + bias with public W (rows × cols reals at fracBits) and bias (reals at the output scale): local. */
  matvec(W: readonly (readonly number[])[], xs: readonly SecretFixed[], bias?: readonly number[]): SecretFixed[] {
    const rows = W.length, cols = xs.length, f = this.fracBits;
    if (rows === 0 || cols === 0) throw new RangeError("matvec of an empty matrix");
    const scale = xs[0].scale;
    if (xs.some((x) => x.scale !== scale)) throw new RangeError("matvec: values of different scales");
    if (bias && bias.length !== rows) throw new RangeError(`matvec: ${bias.length} biases for ${rows} rows`);
    const matrix: bigint[] = [], biasInts: bigint[] = [], bounds: bigint[] = [];
    for (let i = 0; i < rows; i++) {
      if (W[i].length !== cols) throw new RangeError(`matvec: row ${i} has ${W[i].length} entries, x has ${cols}`);
      let b = 0n;
      for (let j = 0; j < cols; j++) { const c = encodeFixed(W[i][j], f); matrix.push(c); b += abs(c) * xs[j].bound; }
      if (bias) { const c = encodeFixed(bias[i], scale + f); biasInts.push(c); b += abs(c); }
      bounds.push(b);
    }
    let lv = 0, au = true;
    for (const x of xs) { lv = Math.max(lv, this.level[x.wire]); au &&= this.auth[x.wire]; }
    const first = this.emit({ op: "matvec", rows, cols, matrix: matrix.map(fromSigned), x: xs.map((x) => x.wire), bias: biasInts.map(fromSigned) }, lv, au, rows);
    return bounds.map((b, i) => this.fixed(first + i, scale + f, b, `matvec row ${i}`));
  }

  // ---- multiplication

  /** The MAC-authenticated copy of a wire (one round). */
  private authWire(w: number): number {
    return this.emit({ op: "auth", a: w }, this.level[w] + 1, true);
  }

  private mulWires(a: number, b: number): number {
    if (!this.auth[a] && !this.auth[b]) {
      if (this.level[a] <= this.level[b]) a = this.authWire(a); else b = this.authWire(b);
    }
    return this.emit({ op: "mul", a, b }, Math.max(this.level[a], this.level[b]) + 1, true);
  }

  /** a·b of two secrets: one round; scales add. */
  mul(a: SecretFixed, b: SecretFixed): SecretFixed {
    return this.fixed(this.mulWires(a.wire, b.wire), a.scale + b.scale, a.bound * b.bound, "mul");
  }

  /** Σ x_k·y_k: n multiplications in one round. */
  dot(xs: readonly SecretFixed[], ys: readonly SecretFixed[]): SecretFixed {
    if (xs.length !== ys.length || xs.length === 0) throw new RangeError(`dot of ${xs.length} and ${ys.length} values`);
    return this.sum(xs.map((x, k) => this.mul(x, ys[k])));
  }

  // ---- field values (equality)

  /** x − c for a public integer c, or x − y for a secret y. */
  fieldSub(x: SecretField, y: SecretField | bigint): SecretField {
    const w = typeof y === "bigint" ? this.lin([[x, 1n]], -y) : this.lin([[x, 1n], [y, -1n]], 0n);
    return { kind: "field", wire: w };
  }

  fieldMul(x: SecretField, y: SecretField): SecretField {
    return { kind: "field", wire: this.mulWires(x.wire, y.wire) };
  }

  /**
   * Π of the values with the fewest rounds: always multiply the two that are
   * ready earliest (Huffman on rounds), so k values available in round 0 take
   * ⌈log2 k⌉ rounds.
   */
  product(values: readonly SecretField[]): SecretField {
    if (values.length === 0) throw new RangeError("product of nothing");
    const q = values.map((v) => v.wire);
    while (q.length > 1) {
      q.sort((a, b) => this.level[a] - this.level[b] || a - b);
      const [a, b] = q.splice(0, 2);
      q.push(this.mulWires(a, b));
    }
    return { kind: "field", wire: q[0] };
  }

  /**
   * Private membership: m·Π(x − l_k) for a fresh random m no party knows. The
   * result is 0 when x equals some l_k and otherwise a uniformly random field
   * element (zero with probability 1/p), so revealing it reveals only
   * membership; output it with outputIsZero. Multiplications: L. Rounds:
   * ⌈log2(L + 2)⌉ for a public or consumer list (the L terms are ready in
   * round 0, the mask after round 1); another dealer's list adds the auth of
   * its terms.
   */
  isMember(x: SecretField, list: readonly (SecretField | bigint)[]): SecretField {
    if (list.length === 0) throw new RangeError("membership in an empty list");
    const terms = list.map((l) => this.fieldSub(x, l));
    return this.product([...terms, this.random()]);
  }

  // ---- outputs

  /** Reveal x to the consumer as the exact fraction x / divisor. */
  output(x: SecretFixed, opts: { divisor?: bigint } = {}): void {
    const divisor = opts.divisor ?? 1n;
    if (divisor <= 0n) throw new RangeError("divisor must be positive");
    this.outputWires.push(x.wire);
    this.outputSpecs.push({ kind: "fixed", scale: x.scale, divisor, bound: x.bound });
  }

  /** Reveal only whether x is zero (x must be masked, e.g. by isMember). */
  outputIsZero(x: SecretField): void {
    this.outputWires.push(x.wire);
    this.outputSpecs.push({ kind: "is-zero" });
  }

  outputField(x: SecretField): void {
    this.outputWires.push(x.wire);
    this.outputSpecs.push({ kind: "field" });
  }

  build(): BuiltProgram {
    const inputs = this.inputSpecs.map((l) => l.slice());
    const program: Program = { n: this.n, t: this.t, inputs: inputs.map((l) => l.length), ops: this.ops.slice(), outputs: this.outputWires.slice() };
    const analysis = analyse(program);
    const outputs = this.outputSpecs.slice();
    return {
      program, analysis, inputs, outputs,
      encodeInputs: (dealer, values) => encodeInputs(inputs[dealer] ?? [], dealer, values),
      decodeOutputs: (values) => decodeOutputs(outputs, values),
    };
  }
}

export function encodeInputs(specs: readonly InputSpec[], dealer: number, values: readonly InputValue[]): bigint[] {
  if (values.length !== specs.length) fail("SHARE_COUNT_MISMATCH", `dealer ${dealer}: ${values.length} values for ${specs.length} inputs`);
  return values.map((v, k) => {
    const s = specs[k];
    if (s.kind === "field") {
      const i = typeof v === "bigint" ? v : Number.isSafeInteger(v) ? BigInt(v) : fail("INPUT_OUT_OF_RANGE", `input ${k}: ${v} is not an integer`);
      if (i > HALF || i < -HALF) fail("INPUT_OUT_OF_RANGE", `input ${k}: ${i} outside ±(p − 1)/2`);
      return fromSigned(i);
    }
    const i = typeof v === "bigint" ? v : encodeFixed(v, s.scale);
    if (abs(i) > s.bound) fail("INPUT_OUT_OF_RANGE", `input ${k}: ${typeof v === "bigint" ? v : `${v} (= ${i} / 2^${s.scale})`} exceeds the bound ${s.bound} / 2^${s.scale}`);
    return fromSigned(i);
  });
}

export function decodeOutputs(specs: readonly OutputSpec[], values: readonly bigint[]): Decoded[] {
  if (values.length !== specs.length) fail("SHARE_COUNT_MISMATCH", `${values.length} outputs for ${specs.length} decoders`);
  return values.map((e, k) => {
    const s = specs[k];
    if (s.kind === "is-zero") return { kind: "is-zero", value: e === 0n };
    if (s.kind === "field") return { kind: "field", value: e };
    const v = toSigned(e);
    if (abs(v) > s.bound) fail("OUTPUT_OUT_OF_RANGE", `output ${k}: ${v} exceeds its bound ${s.bound}`);
    return { kind: "fixed", value: decodeFixed(v, s.scale, s.divisor) };
  });
}
