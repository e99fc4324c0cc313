/**
 * The workloads of the SecretShared tier as programs, built with the typed
 * builder. Each documents its input order (per dealer), its outputs, its
 * multiplications and rounds; tests compare each with the plaintext answer.
 */
import { ProgramBuilder, type BuilderOptions, type BuiltProgram, type SecretFixed } from "./builder.ts";

/**
 * Sum, mean and population variance of `count` values with |x| ≤ bound.
 * Inputs (consumer): x_1..x_count. Outputs: Σx, Σx / count, (count·Σx² − (Σx)²) / count².
 * Multiplications: count + 1, in one round. Only these three values are revealed (not Σx²).
 */
export function columnStats(count: number, bound: number, opts?: BuilderOptions): BuiltProgram {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count ${count}`);
  const b = new ProgramBuilder(opts);
  const xs = Array.from({ length: count }, () => b.input({ bound }));
  const s1 = b.sum(xs);
  const s2 = b.dot(xs, xs);
  const n = BigInt(count);
  b.output(s1);
  b.output(s1, { divisor: n });
  b.output(b.sub(b.mulInt(s2, n), b.mul(s1, s1)), { divisor: n * n });
  return b.build();
}

/**
 * x·w for |x_k| ≤ xBound. Public weights: inputs x only, no multiplication,
 * no round. Secret weights (|w_k| ≤ wBound): inputs x_1..x_L then w_1..w_L,
 * L multiplications in one round. Output: the dot product.
 */
export function dotProduct(length: number, xBound: number, weights: { secret: number } | readonly number[], opts?: BuilderOptions): BuiltProgram {
  const b = new ProgramBuilder(opts);
  const xs = Array.from({ length }, () => b.input({ bound: xBound }));
  if (Array.isArray(weights)) b.output(b.dotPublic(xs, weights as readonly number[]));
  else {
    const ws = Array.from({ length }, () => b.input({ bound: (weights as { secret: number }).secret }));
    b.output(b.dot(xs, ws));
  }
  return b.build();
}

/**
 * A linear classifier's score w·x + b (the consumer takes the sign or
 * threshold). Public model: inputs x; w and b in the program. Secret model:
 * inputs x_1..x_L, w_1..w_L, then b (at the product's scale, |b| ≤ biasBound).
 */
export function linearScore(
  length: number, xBound: number,
  model: { weights: readonly number[]; bias: number } | { weightBound: number; biasBound: number },
  opts?: BuilderOptions,
): BuiltProgram {
  const b = new ProgramBuilder(opts);
  const xs = Array.from({ length }, () => b.input({ bound: xBound }));
  if ("weights" in model) b.output(b.dotPublic(xs, model.weights, model.bias));
  else {
    const ws = Array.from({ length }, () => b.input({ bound: model.weightBound }));
    const bias = b.input({ bound: model.biasBound, scale: 2 * b.fracBits });
    b.output(b.add(b.dot(xs, ws), bias));
  }
  return b.build();
}

export type ListSource =
  /** The list is in the program: providers learn it, not the query. */
  | { readonly kind: "public"; readonly values: readonly bigint[] }
  /** The consumer deals the list after the query: inputs x, l_1..l_L. */
  | { readonly kind: "consumer"; readonly length: number }
  /** Dealer 1 (e.g. the list's owner) deals l_1..l_L; the consumer deals x. */
  | { readonly kind: "dealer"; readonly length: number };

/**
 * Private membership "is x in the list?": m·Π(x − l_k) with a random mask m,
 * revealed only as zero / non-zero. Output: is-zero (true = member).
 */
export function membership(list: ListSource, opts?: BuilderOptions): BuiltProgram {
  const b = new ProgramBuilder(opts);
  const x = b.fieldInput();
  const items = list.kind === "public" ? list.values.slice()
    : Array.from({ length: list.length }, () => b.fieldInput({ dealer: list.kind === "dealer" ? 1 : 0 }));
  b.outputIsZero(b.isMember(x, items));
  return b.build();
}

/**
 * One dense layer y = W·x + bias of a neural network on a secret input with a
 * public W (rows × cols) — the first layer of Split + SecretShared. Inputs
 * (consumer): x_1..x_cols (|x| ≤ xBound at fracBits), then, with `noiseBound`,
 * one pre-scaled integer noise value per row at the output scale 2·fracBits
 * (|noise| ≤ noiseBound), added to y before it is revealed. No multiplication
 * and no round: the providers only answer with their output shares.
 * Outputs: y_1..y_rows (+ noise).
 */
export function linearLayer(
  W: readonly (readonly number[])[], bias: readonly number[] | undefined, xBound: number,
  opts: BuilderOptions & { noiseBound?: bigint } = {},
): BuiltProgram {
  const b = new ProgramBuilder(opts);
  const xs = W.length ? Array.from({ length: W[0].length }, () => b.input({ bound: xBound })) : [];
  let ys: SecretFixed[] = b.matvec(W, xs, bias);
  if (opts.noiseBound !== undefined) {
    const nb = opts.noiseBound;
    ys = ys.map((y) => b.add(y, b.inputRaw({ bound: nb, scale: y.scale })));
  }
  ys.forEach((y) => b.output(y));
  return b.build();
}
