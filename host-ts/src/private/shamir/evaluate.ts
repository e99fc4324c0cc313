/**
 * Local (communication-free) evaluation of the linear operations on one
 * party's shares. Coefficients are applied through their signed
 * representatives and reduced once per sum: the fixed-point coefficients of a
 * public matrix are small, so this is one BigInt reduction per output instead
 * of one per product.
 */
import { F, toSigned, P } from "./field.ts";
import type { Analysis, Op } from "./program.ts";

type LinOp = Extract<Op, { op: "lin" }>;
type MatvecOp = Extract<Op, { op: "matvec" }>;

const mod = (v: bigint) => { const r = v % P; return r < 0n ? r + P : r; };

export interface ShareState {
  readonly z: bigint[];
  /** MAC shares (verified programs only; unauthenticated wires hold 0n). */
  readonly y: bigint[] | null;
  /** This party's share of the MAC key r (verified programs only). */
  readonly r: bigint;
}

/** Signed coefficient caches per op, built on first use. */
export class LinearEvaluator {
  private readonly signed = new Map<number, { coefs: bigint[]; consts: bigint[] }>();
  constructor(private readonly a: Analysis) {}

  private cached(opIndex: number): { coefs: bigint[]; consts: bigint[] } {
    let c = this.signed.get(opIndex);
    if (!c) {
      const o = this.a.program.ops[opIndex];
      if (o.op === "lin") c = { coefs: o.terms.map(([, k]) => toSigned(k)), consts: [toSigned(o.constant)] };
      else if (o.op === "matvec") c = { coefs: o.matrix.map(toSigned), consts: o.bias.map(toSigned) };
      else throw new Error(`op ${opIndex} is not linear`);
      this.signed.set(opIndex, c);
    }
    return c;
  }

  /** Fills wire w (defined by a lin op, or row of a matvec op) in `s`. */
  evaluate(w: number, s: ShareState): void {
    const opIndex = this.a.wireOp[w];
    const o = this.a.program.ops[opIndex];
    const { coefs, consts } = this.cached(opIndex);
    const withMac = s.y !== null && this.a.authenticated[w] === 1;
    if (o.op === "lin") {
      const terms = (o as LinOp).terms;
      let z = consts[0], y = withMac ? consts[0] * s.r : 0n;
      for (let k = 0; k < terms.length; k++) {
        z += coefs[k] * s.z[terms[k][0]];
        if (withMac) y += coefs[k] * s.y![terms[k][0]];
      }
      s.z[w] = mod(z);
      if (withMac) s.y![w] = mod(y);
      return;
    }
    const m = o as MatvecOp;
    const row = this.a.wireRow[w], base = row * m.cols;
    const c = consts.length ? consts[row] : 0n;
    let z = c, y = withMac ? c * s.r : 0n;
    for (let j = 0; j < m.cols; j++) {
      const k = coefs[base + j];
      if (k === 0n) continue;
      z += k * s.z[m.x[j]];
      if (withMac) y += k * s.y![m.x[j]];
    }
    s.z[w] = mod(z);
    if (withMac) s.y![w] = mod(y);
  }
}

/** Wires of each level, ascending: the evaluation order of each stage. */
export function wiresByLevel(a: Analysis): number[][] {
  const out = Array.from({ length: a.rounds + 1 }, () => [] as number[]);
  for (let w = 0; w < a.wireCount; w++) out[a.level[w]].push(w);
  return out;
}

/** T_i = Σ_k β^(k+1)·(y_k − r·z_k) over the checked wires: this party's share of the check value. */
export function checkShare(a: Analysis, s: ShareState, r: bigint, beta: bigint): bigint {
  let acc = F.ZERO, pow = beta;
  for (const w of a.checked) {
    acc = F.add(acc, F.mul(pow, F.sub(s.y![w], F.mul(r, s.z[w]))));
    pow = F.mul(pow, beta);
  }
  return acc;
}
