/**
 * What no mechanism can beat: an upper bound on the accuracy of any
 * classifier whose only view of the input is one (ε, δ)-DP release, where
 * neighbouring inputs are any two inputs (local DP, as at the split cut).
 *
 * For K classes, a decision region S_k per class and a_k = P(S_k | an input of
 * class k): DP gives a_k ≤ e^ε·P(S_k | x_j) + δ for an input x_j of any other
 * class j. Summing P(S_k | x_j) over k ≠ j gives 1 − a_j ≥ e^−ε Σ_{k≠j}(a_k − δ),
 * and summing over j, with A the mean of the a_k (the balanced accuracy):
 *
 *   A ≤ (e^ε + (K − 1)·δ) / (e^ε + K − 1).
 *
 * For δ = 0 this is e^ε/(e^ε + K − 1), which K-ary randomized response on a
 * perfect label attains: the bound is tight.
 */
export function dpAccuracyBound(epsilon: number, delta: number, classes: number): number {
  if (!(classes >= 2) || !(epsilon >= 0) || !(delta >= 0)) throw new RangeError("dpAccuracyBound: classes ≥ 2, ε ≥ 0, δ ≥ 0");
  if (!Number.isFinite(epsilon)) return 1;
  // Divide through by e^ε to stay finite for large ε.
  const k1 = classes - 1;
  const em = Math.exp(-epsilon);
  return Math.min(1, (1 + k1 * delta * em) / (1 + k1 * em));
}

/** Accuracy of K-ary randomized response on the true label at pure ε (the mechanism that meets the bound). */
export function randomizedResponseAccuracy(epsilon: number, classes: number): number {
  const e = Math.exp(epsilon);
  return e / (e + classes - 1);
}
