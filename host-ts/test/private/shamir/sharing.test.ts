import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { P, F, cryptoRandom } from "../../../src/private/shamir/field.ts";
import { scheme, share, reconstruct, consistent } from "../../../src/private/shamir/sharing.ts";

const elem = fc.bigInt({ min: 0n, max: P - 1n });

describe("Shamir sharing", () => {
  it("2-of-3: any two shares give the secret; all three pass the degree check", () => {
    const s = scheme(3, 1);
    fc.assert(fc.property(elem, (x) => {
      const sh = share(x, s, cryptoRandom);
      expect(consistent(sh, s)).toBe(true);
      expect(reconstruct(sh, s, "x")).toBe(x);
      // Any pair determines the line: interpolate at 0 from (i, s_i), (j, s_j).
      for (const [i, j] of [[1, 2], [1, 3], [2, 3]]) {
        const v = F.div(F.sub(F.mul(BigInt(j), sh[i - 1]), F.mul(BigInt(i), sh[j - 1])), BigInt(j - i));
        expect(v).toBe(x);
      }
      // The degree check for n = 3, t = 1 is the second difference s1 − 2·s2 + s3 = 0.
      expect(F.add(F.sub(sh[0], F.mul(2n, sh[1])), sh[2])).toBe(0n);
    }));
  });

  it("detects one wrong share at any position (never reconstructs a wrong value)", () => {
    for (const [n, t] of [[3, 1], [5, 2], [7, 3]] as const) {
      const s = scheme(n, t);
      fc.assert(fc.property(elem, fc.integer({ min: 0, max: n - 1 }), fc.bigInt({ min: 1n, max: P - 1n }), (x, pos, delta) => {
        const sh = share(x, s, cryptoRandom);
        sh[pos] = F.add(sh[pos], delta);
        expect(consistent(sh, s)).toBe(false);
        expect(() => reconstruct(sh, s, "x")).toThrow(/SHARES_INCONSISTENT/);
      }), { numRuns: 50 });
    }
  });

  it("refuses parameters without an honest majority for multiplication", () => {
    expect(() => scheme(2, 1)).toThrow(/PARAMETERS_INVALID/);
    expect(() => scheme(4, 2)).toThrow(/PARAMETERS_INVALID/);
    expect(() => scheme(3, 0)).toThrow(/PARAMETERS_INVALID/);
    expect(() => scheme(17, 8)).toThrow(/PARAMETERS_INVALID/);
    expect(scheme(5, 2).lambdaAll.length).toBe(5);
  });

  it("Lagrange coefficients at 0 over 1..3 are 3, −3, 1", () => {
    expect(scheme(3, 1).lambdaAll).toEqual([3n, P - 3n, 1n]);
  });
});
