/**
 * The SecretShared workloads `mhr node submit --privacy shared` offers
 * (docs/PRIVATE.md §M7), each a program of private/shamir/workloads.ts with
 * the consumer's values as its only inputs, and the plaintext answer the
 * same values give (for the comparison the CLI prints and the tests check).
 */
import { columnStats, dotProduct, linearScore, membership } from "../../private/shamir/workloads.ts";
import { fractionToNumber } from "../../private/shamir/fixed-point.ts";
import type { BuiltProgram, Decoded } from "../../private/shamir/builder.ts";

export const SHARED_WORKLOADS = ["sum", "mean", "variance", "dot", "linear", "search"] as const;
export type SharedWorkload = (typeof SHARED_WORKLOADS)[number];

export interface SharedJob {
  workload: SharedWorkload;
  /** The column (sum, mean, variance), the vector x (dot, linear) or the searched value (search: exactly one). */
  values: number[];
  /** dot and linear: the consumer's secret weights, one per value. */
  weights?: number[];
  /** linear: the secret bias. */
  bias?: number;
  /** search: the consumer's list (integers). */
  list?: number[];
}

export interface BuiltSharedJob {
  built: BuiltProgram;
  /** Field elements of the consumer's inputs, in program order. */
  inputs: bigint[];
  /** The answer from the decoded outputs. */
  answer(decoded: readonly Decoded[]): number | boolean;
}

const bound = (xs: readonly number[]) => Math.max(1, ...xs.map((x) => Math.ceil(Math.abs(x))));
const num = (d: Decoded): number => {
  if (d.kind !== "fixed") throw new RangeError(`expected a fixed-point output, got ${d.kind}`);
  return fractionToNumber(d.value);
};

function needWeights(j: SharedJob): number[] {
  const w = j.weights ?? [];
  if (w.length !== j.values.length) throw new RangeError(`${j.workload} needs one weight per value (${j.values.length} values, ${w.length} weights)`);
  return w;
}

export function buildSharedJob(j: SharedJob): BuiltSharedJob {
  if (!j.values.length) throw new RangeError("at least one value");
  const xb = bound(j.values);
  switch (j.workload) {
    case "sum": case "mean": case "variance": {
      const built = columnStats(j.values.length, xb);
      const k = ["sum", "mean", "variance"].indexOf(j.workload);
      return { built, inputs: built.encodeInputs(0, j.values), answer: (d) => num(d[k]) };
    }
    case "dot": {
      const w = needWeights(j);
      const built = dotProduct(j.values.length, xb, { secret: bound(w) });
      return { built, inputs: built.encodeInputs(0, [...j.values, ...w]), answer: (d) => num(d[0]) };
    }
    case "linear": {
      const w = needWeights(j);
      const b = j.bias ?? 0;
      const built = linearScore(j.values.length, xb, { weightBound: bound(w), biasBound: bound([b]) });
      return { built, inputs: built.encodeInputs(0, [...j.values, ...w, b]), answer: (d) => num(d[0]) };
    }
    case "search": {
      const list = j.list ?? [];
      if (j.values.length !== 1 || !list.length) throw new RangeError("search needs one value and a non-empty list");
      if (![...j.values, ...list].every(Number.isSafeInteger)) throw new RangeError("search compares integers");
      const built = membership({ kind: "consumer", length: list.length });
      return { built, inputs: built.encodeInputs(0, [j.values[0], ...list]), answer: (d) => d[0].kind === "is-zero" && d[0].value };
    }
  }
}

/** The same answer computed in the clear (double precision). */
export function plaintextShared(j: SharedJob): number | boolean {
  const xs = j.values;
  const sum = xs.reduce((a, b) => a + b, 0);
  switch (j.workload) {
    case "sum": return sum;
    case "mean": return sum / xs.length;
    case "variance": return xs.reduce((a, x) => a + x * x, 0) / xs.length - (sum / xs.length) ** 2;
    case "dot": return xs.reduce((a, x, i) => a + x * needWeights(j)[i], 0);
    case "linear": return xs.reduce((a, x, i) => a + x * needWeights(j)[i], 0) + (j.bias ?? 0);
    case "search": return (j.list ?? []).includes(xs[0]);
  }
}
