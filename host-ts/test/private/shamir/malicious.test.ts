/**
 * A corrupt provider at every step: it changes its output shares, its check
 * share, the reshares it sends in any round (inconsistently, or consistently
 * as a degree-1 shift that every degree check accepts), its MAC reshares, its
 * random contributions. The job either fails with an error code or — where
 * the change cannot matter (a random contribution) — gives the right answer.
 * It never gives a wrong answer.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { F, P } from "../../../src/private/shamir/field.ts";
import { encodeMessage, type Message, type RoundMessage } from "../../../src/private/shamir/messages.ts";
import { columnStats, dotProduct, membership, linearLayer } from "../../../src/private/shamir/workloads.ts";
import { reconstruct, scheme } from "../../../src/private/shamir/sharing.ts";
import type { BuiltProgram, InputValue } from "../../../src/private/shamir/builder.ts";
import { runBuilt } from "./helpers.ts";

type Tamper = (m: Message, bytes: Uint8Array, sender: number) => Uint8Array | null;

/** Rewrites the messages of `who` that `edit` changes (edit returns null to leave one alone). */
function corrupt(who: number, edit: (m: Message) => Message | null): Tamper {
  return (m, bytes, sender) => {
    if (sender !== who) return bytes;
    const e = edit(m);
    return e ? encodeMessage(e) : bytes;
  };
}

const add = (v: readonly bigint[], k: number, d: bigint) => v.map((x, i) => (i === k ? F.add(x, d) : x));

function outcome(built: BuiltProgram, values: readonly InputValue[], tamper: Tamper, dealer1?: readonly InputValue[]) {
  const { result, decoded } = runBuilt(built, values, { tamper, dealer1, shuffleSeed: 7 });
  return { status: result.outcome.status, code: result.outcome.status === "failed" ? result.outcome.error.codeName : null, decoded };
}

const stats = columnStats(4, 100);
const statsIn = [1.5, -3, 40, 0.25];
const honestStats = runBuilt(stats, statsIn).decoded;
const search = membership({ kind: "public", values: [11n, 22n, 33n, 44n, 55n, 66n] }); // 3 rounds
const dealt = membership({ kind: "dealer", length: 3 });

describe("a corrupt provider is detected, never believed", () => {
  it("a wrong output share fails the job with SHARES_INCONSISTENT (each provider, linear and verified programs)", () => {
    const layer = linearLayer([[1, 2], [3, 4]], [0, 1], 1);
    for (const who of [1, 2, 3]) {
      const t = corrupt(who, (m) => (m.type === "output" ? { ...m, outputs: add(m.outputs, 0, 1n) } : null));
      expect(outcome(stats, statsIn, t)).toMatchObject({ status: "failed", code: "SHARES_INCONSISTENT" });
      expect(outcome(layer, [0.5, 0.25], t)).toMatchObject({ status: "failed", code: "SHARES_INCONSISTENT" });
    }
  });

  it("a wrong check share fails with SHARES_INCONSISTENT", () => {
    for (const who of [1, 2, 3]) {
      const t = corrupt(who, (m) => (m.type === "output" ? { ...m, check: add(m.check, 0, 5n) } : null));
      expect(outcome(stats, statsIn, t)).toMatchObject({ status: "failed", code: "SHARES_INCONSISTENT" });
    }
  });

  it("a consistent shift of a product (δ(x) = e·(x − i): every share stays on a line) is caught by the MAC check alone", () => {
    // Provider i shifts the reshares it sends so the product gains λ_i·δ(0) ≠ 0 while all shares stay
    // consistent: a degree check cannot see it; VERIFICATION_FAILED (not SHARES_INCONSISTENT) proves the MAC check did.
    for (const who of [1, 2, 3]) for (const k of [0, 2, 4]) for (const branch of ["z", "y"] as const) {
      const t = corrupt(who, (m) => {
        if (m.type !== "round") return null;
        const d = F.create(7n * BigInt(m.to - who));
        return { ...m, [branch]: add(m[branch], k, d) } as RoundMessage;
      });
      expect(outcome(stats, statsIn, t)).toMatchObject({ status: "failed", code: "VERIFICATION_FAILED" });
    }
  });

  it("an inconsistent reshare (to one recipient only) fails the job", () => {
    for (const who of [1, 2, 3]) for (const branch of ["z", "y"] as const) {
      const victim = who === 1 ? 2 : 1;
      const t = corrupt(who, (m) => (m.type === "round" && m.to === victim ? { ...m, [branch]: add(m[branch], 1, 1n) } as RoundMessage : null));
      const o = outcome(stats, statsIn, t);
      expect(o.status).toBe("failed");
      expect(["SHARES_INCONSISTENT", "VERIFICATION_FAILED"]).toContain(o.code);
    }
  });

  it("in every round of a 3-round search, a shifted product is caught", () => {
    expect(search.analysis.rounds).toBe(3);
    for (const round of [1, 2, 3]) for (const who of [1, 2, 3]) {
      const t = corrupt(who, (m) => (m.type === "round" && m.round === round && m.z.length ? { ...m, z: add(m.z, 0, F.create(BigInt(m.to - who))) } : null));
      expect(outcome(search, [44n], t)).toMatchObject({ status: "failed", code: "VERIFICATION_FAILED" });
      expect(outcome(search, [45n], t)).toMatchObject({ status: "failed", code: "VERIFICATION_FAILED" });
    }
  });

  it("a shifted MAC share of another dealer's value (auth) is caught", () => {
    const authRound = dealt.analysis.plan.findIndex((p) => p.macs.some((w) => dealt.program.ops[dealt.analysis.wireOp[w]].op === "auth")) + 1;
    expect(authRound).toBe(1);
    const t = corrupt(2, (m) => (m.type === "round" && m.round === authRound ? { ...m, y: add(m.y, 0, F.create(BigInt(m.to - 2))) } : null));
    expect(outcome(dealt, [5n], t, [1n, 5n, 9n])).toMatchObject({ status: "failed", code: "VERIFICATION_FAILED" });
  });

  it("choosing its contribution to the random mask cannot change the answer (the mask stays uniform)", () => {
    // A consistent change (another line through its own point: δ(x) = e·(x − i)) is a different contribution,
    // which the honest providers' uniform contributions hide: the answer is right.
    for (const who of [1, 2, 3]) {
      const t = corrupt(who, (m) => (m.type === "round" && m.random.length ? { ...m, random: add(m.random, 0, F.create(123n * BigInt(m.to - who))) } : null));
      expect(outcome(search, [33n], t)).toMatchObject({ status: "done", decoded: [{ kind: "is-zero", value: true }] });
      expect(outcome(search, [34n], t)).toMatchObject({ status: "done", decoded: [{ kind: "is-zero", value: false }] });
    }
  });

  it("an inconsistent contribution to the mask acts as a shifted product and is caught", () => {
    // Zeroed shares leave the mask's shares off every line; the product m·Π is then off by an error the MAC exposes.
    for (const who of [1, 2, 3]) {
      const t = corrupt(who, (m) => (m.type === "round" && m.random.length ? { ...m, random: m.random.map(() => 0n) } : null));
      expect(outcome(search, [33n], t)).toMatchObject({ status: "failed", code: "VERIFICATION_FAILED" });
    }
  });

  it("property: any change to any one field element a provider sends ends in an error code or the right answer", () => {
    const cases = [
      { built: stats, values: statsIn, dealer1: undefined },
      { built: search, values: [22n], dealer1: undefined },
      { built: dealt, values: [9n], dealer1: [1n, 5n, 9n] },
      { built: dotProduct(3, 10, { secret: 10 }), values: [1, 2, 3, -1, 0.5, 7], dealer1: undefined },
    ].map((c) => ({ ...c, honest: runBuilt(c.built, c.values, { dealer1: c.dealer1 }).decoded }));
    fc.assert(fc.property(fc.nat(cases.length - 1), fc.integer({ min: 1, max: 3 }), fc.nat(), fc.nat(), fc.bigInt({ min: 1n, max: P - 1n }), (ci, who, pick, slot, delta) => {
      const c = cases[ci];
      let seen = 0, changed = false;
      const t = corrupt(who, (m) => {
        const fields = m as unknown as Record<string, readonly bigint[]>;
        const vectors = m.type === "round" ? ["z", "y", "random"] : m.type === "output" ? ["outputs", "check"] : [];
        const nonEmpty = vectors.filter((k) => fields[k].length);
        if (!nonEmpty.length || changed) return null;
        if (seen++ !== pick % 6) return null; // the pick-th message with shares this provider sends
        const key = nonEmpty[slot % nonEmpty.length], v = fields[key];
        changed = true;
        return { ...m, [key]: add(v, slot % v.length, delta) } as Message;
      });
      const o = outcome(c.built, c.values, t, c.dealer1);
      if (o.status === "done") expect(o.decoded).toEqual(c.honest);
      else expect(["SHARES_INCONSISTENT", "VERIFICATION_FAILED"]).toContain(o.code);
    }), { numRuns: 150 });
  });

  it("another dealer that deals shares off every line makes the session fail, never answer", () => {
    for (const victim of [1, 2, 3]) for (const x of [5n, 6n]) {
      const t: Tamper = (m, bytes, sender) => (sender === -1 && m.type === "deal-inputs" && m.to === victim ? encodeMessage({ ...m, z: add(m.z, 1, 1n) }) : bytes);
      const o = outcome(dealt, [x], t, [1n, 5n, 9n]);
      expect(o.status).toBe("failed");
      expect(["SHARES_INCONSISTENT", "VERIFICATION_FAILED"]).toContain(o.code);
    }
  });

  it("the threat model's limit: a coalition that knows r (the consumer's MAC key) can shift a product unseen", () => {
    // Not a defence test: it shows what the MAC check rests on. The coalition reads r from all three DEALs
    // (as the consumer and a provider together could) and shifts the product's MAC share by r·δ as well.
    let r = 0n;
    const rShares: bigint[] = [];
    const t: Tamper = (m, bytes, sender) => {
      if (m.type === "deal") { rShares[m.to - 1] = m.r[0]; if (rShares.filter((x) => x !== undefined).length === 3) r = reconstruct(rShares, scheme(3, 1), "r"); return bytes; }
      if (sender !== 1 || m.type !== "round") return bytes;
      const d = F.create(BigInt(m.to - 1));
      return encodeMessage({ ...m, z: add(m.z, 4, d), y: add(m.y, 4, F.mul(r, d)) });
    };
    const o = outcome(stats, statsIn, t);
    expect(o.status).toBe("done");
    expect(o.decoded).not.toEqual(honestStats); // wrong variance accepted: collusion with the key holder is outside the model
  });
});
