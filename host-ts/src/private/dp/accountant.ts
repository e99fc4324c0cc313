/**
 * Privacy accounting in zero-concentrated DP (zCDP, Bun & Steinke 2016).
 *
 * - The discrete Gaussian N_ℤ(0, σ²) added to each coordinate of an ℤ^d-valued
 *   query of L2 sensitivity Δ is ρ-zCDP with ρ = Δ²/(2σ²) (Canonne–Kamath–
 *   Steinke 2020: for integer shifts the Rényi divergence of the discrete
 *   Gaussian is at most α·Δ²/(2σ²), and Rényi divergences of independent
 *   coordinates add).
 * - The discrete Laplace with scale b on an L1-sensitivity-Δ₁ query is pure
 *   ε-DP with ε = Δ₁/b, and ε-DP implies (ε²/2)-zCDP (Bun–Steinke Prop. 1.4).
 * - Composition: ρ adds over queries (Bun–Steinke Lemma 2.3); pure ε adds.
 * - zCDP → (ε, δ): the conversion of Canonne–Kamath–Steinke 2020 (Cor. 13),
 *   δ = inf_{α>1} exp((α−1)(αρ−ε)) / (α−1) · (1 − 1/α)^α, which is never worse
 *   than the classical ε = ρ + 2√(ρ ln(1/δ)) of Bun–Steinke (Prop. 1.3), also
 *   given here.
 *
 * These conversions run in float64. Every α > 1 gives a valid bound, so the
 * numerical search can only make δ larger (safe); the inversions bisect and
 * return the end of the bracket that is on the safe side.
 */

/** Bun–Steinke Prop. 1.3: ρ-zCDP ⇒ (ρ + 2√(ρ ln(1/δ)), δ)-DP. */
export function epsilonBunSteinke(rho: number, delta: number): number {
  if (rho === 0) return 0;
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

/** The inverse of epsilonBunSteinke: √ρ = √(ε + ln(1/δ)) − √(ln(1/δ)). */
export function rhoBunSteinke(epsilon: number, delta: number): number {
  const L = Math.log(1 / delta);
  return (Math.sqrt(epsilon + L) - Math.sqrt(L)) ** 2;
}

function logDeltaAt(rho: number, epsilon: number, alpha: number): number {
  return (alpha - 1) * (alpha * rho - epsilon) + alpha * Math.log1p(-1 / alpha) - Math.log(alpha - 1);
}

/** CKS20 Cor. 13: the smallest δ (over α) such that ρ-zCDP implies (ε, δ)-DP. */
export function deltaCks(rho: number, epsilon: number): number {
  if (rho === 0) return 0;
  // log δ(α) is convex in α; its derivative is (2α−1)ρ − ε + ln(1 − 1/α) (the −ln(α−1) term's
  // derivative cancels against part of α·ln(1−1/α)'s). Bisect the derivative's sign change.
  let lo = 1 + 1e-9, hi = Math.max(2, (epsilon + 1) / (2 * rho) + 2);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    const d = (2 * mid - 1) * rho - epsilon + Math.log1p(-1 / mid);
    if (d < 0) lo = mid;
    else hi = mid;
  }
  const alpha = (lo + hi) / 2;
  return Math.min(1, Math.exp(logDeltaAt(rho, epsilon, alpha)));
}

/** The smallest ε with deltaCks(ρ, ε) ≤ δ (bisection; returns the upper, safe end). */
export function epsilonCks(rho: number, delta: number): number {
  if (rho === 0) return 0;
  let lo = 0, hi = epsilonBunSteinke(rho, delta);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (deltaCks(rho, mid) <= delta) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The largest ρ with deltaCks(ρ, ε) ≤ δ (bisection; returns the lower, safe end). */
export function rhoCks(epsilon: number, delta: number): number {
  let lo = rhoBunSteinke(epsilon, delta), hi = epsilon + 1;
  if (deltaCks(lo, epsilon) > delta) lo = 0;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (deltaCks(mid, epsilon) <= delta) lo = mid;
    else hi = mid;
  }
  return lo;
}

export type Conversion = "cks" | "bun-steinke";

export function zcdpToEpsilon(rho: number, delta: number, conversion: Conversion = "cks"): number {
  return conversion === "cks" ? epsilonCks(rho, delta) : epsilonBunSteinke(rho, delta);
}

export function epsilonToRho(epsilon: number, delta: number, conversion: Conversion = "cks"): number {
  return conversion === "cks" ? rhoCks(epsilon, delta) : rhoBunSteinke(epsilon, delta);
}

/** ε-DP ⇒ (ε²/2)-zCDP. */
export const pureToRho = (epsilon: number): number => (epsilon * epsilon) / 2;

/** One released query, as the accountant records it. */
export type PrivacyCharge =
  | { readonly mechanism: "discrete-gaussian"; readonly rho: number }
  | { readonly mechanism: "discrete-laplace"; readonly epsilon: number }
  | { readonly mechanism: "none" };

export interface PrivacySpent {
  readonly queries: number;
  /** Total ρ over every query (Laplace queries counted as ε²/2). */
  readonly rho: number;
  /** Sum of the pure ε of the Laplace queries. */
  readonly pureEpsilon: number;
  /** True when some query carried no noise: no finite guarantee is left. */
  readonly unbounded: boolean;
  /** The session's ε at the accountant's δ (∞ when unbounded). */
  readonly epsilon: number;
  readonly delta: number;
}

export class BudgetExceeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BudgetExceeded";
  }
}

/**
 * A session's accountant: records every query released to a provider and
 * refuses one that would take the session past its (ε, δ) budget. The session
 * guarantee is the better of the zCDP route (every query) and, when every
 * query was discrete Laplace, the pure route (Σε, δ = 0).
 */
export class PrivacyAccountant {
  private rho = 0;
  private pure = 0;
  private allPure = true;
  private unbounded = false;
  private n = 0;
  constructor(
    readonly budget: { readonly epsilon: number; readonly delta: number },
    readonly conversion: Conversion = "cks",
  ) {
    if (!(budget.delta > 0 && budget.delta < 1)) throw new RangeError("accountant: δ must be in (0, 1)");
    if (!(budget.epsilon > 0)) throw new RangeError("accountant: ε budget must be positive (use Infinity for none)");
  }

  /** (ε, δ) of a session with these totals. */
  private epsilonOf(rho: number, pure: number, allPure: boolean, unbounded: boolean): number {
    if (unbounded) return Infinity;
    const viaZcdp = zcdpToEpsilon(rho, this.budget.delta, this.conversion);
    return allPure ? Math.min(viaZcdp, pure) : viaZcdp;
  }

  private after(c: PrivacyCharge, count: number): [number, number, boolean, boolean] {
    if (c.mechanism === "none") return [this.rho, this.pure, this.allPure, true];
    if (c.mechanism === "discrete-laplace") return [this.rho + count * pureToRho(c.epsilon), this.pure + count * c.epsilon, this.allPure, this.unbounded];
    return [this.rho + count * c.rho, this.pure, false, this.unbounded];
  }

  /** The session's ε if `count` such queries were released now. */
  epsilonAfter(c: PrivacyCharge, count = 1): number {
    return this.epsilonOf(...this.after(c, count));
  }

  /** Records `count` identical queries at once, or throws BudgetExceeded and records none of them. */
  charge(c: PrivacyCharge, count = 1): PrivacySpent {
    if (!Number.isInteger(count) || count < 1) throw new RangeError("accountant: count must be a positive integer");
    const next = this.after(c, count);
    const eps = this.epsilonOf(...next);
    if (eps > this.budget.epsilon) throw new BudgetExceeded(`privacy budget: ${count === 1 ? "this query" : `these ${count} queries`} would take the session to ε = ${eps.toPrecision(4)} > ${this.budget.epsilon} at δ = ${this.budget.delta}`);
    [this.rho, this.pure, this.allPure, this.unbounded] = next;
    this.n += count;
    return this.spent();
  }

  spent(): PrivacySpent {
    return {
      queries: this.n,
      rho: this.rho,
      pureEpsilon: this.pure,
      unbounded: this.unbounded,
      epsilon: this.n === 0 ? 0 : this.epsilonOf(this.rho, this.pure, this.allPure, this.unbounded),
      delta: this.budget.delta,
    };
  }
}
