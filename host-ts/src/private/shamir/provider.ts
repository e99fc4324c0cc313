/**
 * A provider (shareholder) of one SecretShared session, as a state machine
 * over messages: it consumes DEALs, ROUNDs and the CHALLENGE, and returns the
 * messages it must send. It never opens a value: it sees one share of each.
 *
 * Contract of `receive`: a message that throws a ShamirError was rejected and
 * changed nothing (the caller may log it and keep the session). A message that
 * returns was consumed. If a buffered message turns out to be invalid once the
 * program is known, the provider fails the session and returns ABORTs.
 *
 * Multiplication (BGW degree reduction, one round): party i holds a_i, b_i on
 * degree-t polynomials, so d_i = a_i·b_i lies on a degree-2t polynomial h with
 * h(0) = ab. It shares d_i afresh with degree t (g_i(0) = d_i) and sends g_i(j)
 * to party j; then c_j = Σ_i λ_i·g_i(j), with λ the Lagrange coefficients at 0
 * over the n points, is a degree-t share of Σ λ_i d_i = h(0) = ab. The MAC
 * share of the product (r·ab) is reduced the same way from y_a·b_i (or a_i·y_b)
 * in the same round.
 */
import { ShamirLimit } from "../../generated/private-protocol.ts";
import { equalBytes } from "../../model/bytes.ts";
import { ShamirError, fail, ShamirCode, type ShamirErrorName } from "./errors.ts";
import { F, cryptoRandom, randomElement, type RandomSource } from "./field.ts";
import { decodeMessage, encodeMessage, CONSUMER, type Message, type DealMessage, type DealInputsMessage, type RoundMessage } from "./messages.ts";
import { analyseEncoded, type Analysis } from "./program.ts";
import { evaluate as polyAt, randomCoefficients } from "./sharing.ts";
import { LinearEvaluator, wiresByLevel, checkShare, type ShareState } from "./evaluate.ts";

export interface Outgoing {
  /** 0: the consumer; 1..n: a provider. */
  readonly to: number;
  readonly message: Message;
  readonly bytes: Uint8Array;
}

export function outgoing(message: Message): Outgoing {
  return { to: message.to, message, bytes: encodeMessage(message) };
}

export type ProviderPhase = "dealing" | "rounds" | "ready" | "done" | "failed";

export interface ProviderOptions {
  /** This provider's evaluation point, 1..n. */
  readonly index: number;
  /** The session id agreed with the consumer (16 bytes). */
  readonly session: Uint8Array;
  readonly rng?: RandomSource;
  /**
   * Analyses a DEAL's program bytes (default analyseEncoded). A caller that runs
   * the same program in many sessions may cache the analysis by the bytes'
   * digest; the result must be analyseEncoded(bytes).
   */
  readonly analyseProgram?: (bytes: Uint8Array) => Analysis;
}

interface Pending { z: bigint[][]; y: bigint[][]; random: bigint[][] }

export class Provider {
  readonly index: number;
  readonly session: Uint8Array;
  private readonly rng: RandomSource;
  private readonly analyseProgram: (bytes: Uint8Array) => Analysis;
  private phaseValue: ProviderPhase = "dealing";
  private failureValue: { code: number; by: number } | undefined;

  private analysis: Analysis | undefined;
  private readonly deals = new Map<number, DealMessage | DealInputsMessage>();
  private state: ShareState | undefined;
  private linear: LinearEvaluator | undefined;
  private byLevel: number[][] = [];
  /** The round being collected (1-based). */
  private round = 1;
  private current = new Map<number, RoundMessage>();
  private early = new Map<number, RoundMessage>();
  /** This party's own reshares of the current round: its g_i(i). */
  private own: Pending | undefined;

  constructor(opts: ProviderOptions) {
    if (!Number.isInteger(opts.index) || opts.index < 1 || opts.index > ShamirLimit.MAX_PARTIES) fail("PARAMETERS_INVALID", `provider index ${opts.index}`);
    this.index = opts.index;
    this.session = opts.session;
    this.rng = opts.rng ?? cryptoRandom;
    this.analyseProgram = opts.analyseProgram ?? analyseEncoded;
  }

  get phase(): ProviderPhase { return this.phaseValue; }
  /** Set when the session failed: the error code and the party that reported it (this provider's own index when it detected it). */
  get failure(): { code: number; by: number } | undefined { return this.failureValue; }

  receive(bytes: Uint8Array): Outgoing[] {
    const m = decodeMessage(bytes);
    if (!equalBytes(m.session, this.session)) fail("SESSION_MISMATCH", "message of another session");
    if (this.phaseValue === "done" || this.phaseValue === "failed") fail("SESSION_CLOSED", `session is ${this.phaseValue}`);
    if (m.to !== this.index) fail("WRONG_RECIPIENT", `message for party ${m.to}, this is party ${this.index}`);
    switch (m.type) {
      case "deal": case "deal-inputs": return this.onDeal(m);
      case "round": return this.onRound(m);
      case "challenge": return this.onChallenge(m.from, m.r, m.beta);
      case "abort": {
        this.checkSender(m.from, true);
        this.phaseValue = "failed";
        this.failureValue = { code: m.code, by: m.from };
        return [];
      }
      default: return fail("UNEXPECTED_MESSAGE", `a provider does not accept ${m.type}`);
    }
  }

  /** Stops the session (e.g. on a timeout the node detected) and tells every other party. */
  abort(codeName: ShamirErrorName): Outgoing[] {
    if (this.phaseValue === "done" || this.phaseValue === "failed") return [];
    this.phaseValue = "failed";
    this.failureValue = { code: ShamirCode[codeName], by: this.index };
    const n = this.analysis?.program.n ?? 0;
    const to = [CONSUMER, ...Array.from({ length: n }, (_, i) => i + 1).filter((j) => j !== this.index)];
    return to.map((j) => outgoing({ type: "abort", session: this.session, from: this.index, to: j, code: ShamirCode[codeName] }));
  }

  private checkSender(from: number, consumerAllowed: boolean): void {
    const n = this.analysis?.program.n ?? ShamirLimit.MAX_PARTIES;
    const ok = (consumerAllowed && from === CONSUMER) || (from >= 1 && from <= n && from !== this.index);
    if (!ok) fail("UNKNOWN_SENDER", `party ${from} is not another party of this session`);
  }

  // ---- dealing

  private onDeal(m: DealMessage | DealInputsMessage): Outgoing[] {
    if (this.deals.has(m.from)) fail("DUPLICATE_MESSAGE", `a deal from dealer ${m.from} was already received`);
    if (this.phaseValue !== "dealing") fail("UNEXPECTED_MESSAGE", "every dealer has dealt already");
    if (m.type === "deal") {
      if (m.from !== CONSUMER) fail("UNKNOWN_SENDER", `a Deal from party ${m.from}: only the consumer sends Deal`);
      const a = this.analyseProgram(m.program);
      if (this.index > a.program.n) fail("PARAMETERS_INVALID", `party ${this.index} in a program for n = ${a.program.n}`);
      this.checkDealShape(a, m);
      this.analysis = a;
      this.deals.set(CONSUMER, m);
      // Deals and round-1 messages that arrived before the program are checked now; a bad one fails the session.
      for (const other of this.deals.values()) {
        if (other.type !== "deal-inputs") continue;
        const bad = this.dealProblem(a, other);
        if (bad) return this.abort(bad);
      }
      for (const r of this.current.values()) {
        const bad = this.roundProblem(a, r);
        if (bad) return this.abort(bad);
      }
    } else if (this.analysis) {
      const bad = this.dealProblem(this.analysis, m);
      if (bad) fail(bad, `deal of dealer ${m.from} does not fit the program`);
      this.deals.set(m.from, m);
    } else {
      this.deals.set(m.from, m);
      return [];
    }
    return this.maybeStart();
  }

  private checkDealShape(a: Analysis, m: DealMessage): void {
    const k = a.program.inputs[0];
    if (m.z.length !== k) fail("SHARE_COUNT_MISMATCH", `${m.z.length} input shares, the program has ${k}`);
    if (m.y.length !== (a.verified ? k : 0)) fail("SHARE_COUNT_MISMATCH", `${m.y.length} MAC input shares, need ${a.verified ? k : 0}`);
    if (m.r.length !== (a.verified ? 1 : 0)) fail("SHARE_COUNT_MISMATCH", `${m.r.length} MAC key shares, need ${a.verified ? 1 : 0}`);
  }

  private dealProblem(a: Analysis, m: DealInputsMessage): ShamirErrorName | undefined {
    if (m.from >= a.program.inputs.length) return "UNKNOWN_SENDER";
    if (!equalBytes(m.digest, a.digest)) return "PROGRAM_MISMATCH";
    if (m.z.length !== a.program.inputs[m.from]) return "SHARE_COUNT_MISMATCH";
    return undefined;
  }

  private maybeStart(): Outgoing[] {
    const a = this.analysis!;
    if (this.deals.size < a.program.inputs.length) return [];
    const consumerDeal = this.deals.get(CONSUMER) as DealMessage;
    const s: ShareState = { z: new Array<bigint>(a.wireCount).fill(0n), y: a.verified ? new Array<bigint>(a.wireCount).fill(0n) : null, r: a.verified ? consumerDeal.r[0] : 0n };
    a.inputWires.forEach((ws, d) => {
      const deal = this.deals.get(d)!;
      ws.forEach((w, k) => {
        s.z[w] = deal.z[k];
        if (s.y && deal.type === "deal") s.y[w] = deal.y[k];
      });
    });
    this.state = s;
    this.linear = new LinearEvaluator(a);
    this.byLevel = wiresByLevel(a);
    this.evaluateLevel(0);
    if (a.rounds === 0) {
      this.phaseValue = "done";
      return [this.outputMessage([])];
    }
    this.phaseValue = "rounds";
    return this.startRound();
  }

  private evaluateLevel(level: number): void {
    const a = this.analysis!, s = this.state!, ops = a.program.ops;
    for (const w of this.byLevel[level]) {
      const o = ops[a.wireOp[w]];
      if (o.op === "lin" || o.op === "matvec") this.linear!.evaluate(w, s);
    }
  }

  // ---- rounds

  /** Reshares this round's products and sends one ROUND to every other provider. */
  private startRound(): Outgoing[] {
    const a = this.analysis!, s = this.state!, ops = a.program.ops, { n, t } = a.program;
    const plan = a.plan[this.round - 1];
    const per: Pending = { z: [], y: [], random: [] };
    const reshare = (d: bigint): bigint[] => {
      const c = randomCoefficients(t, this.rng);
      return Array.from({ length: n }, (_, j) => polyAt(d, c, j + 1));
    };
    for (const w of plan.muls) {
      const o = ops[a.wireOp[w]] as Extract<typeof ops[number], { op: "mul" }>;
      per.z.push(reshare(F.mul(s.z[o.a], s.z[o.b])));
    }
    for (const w of plan.macs) {
      const o = ops[a.wireOp[w]];
      let d: bigint;
      if (o.op === "mul") d = a.authenticated[o.a] ? F.mul(s.y![o.a], s.z[o.b]) : F.mul(s.z[o.a], s.y![o.b]);
      else if (o.op === "auth") d = F.mul(s.r, s.z[o.a]);
      else throw new Error(`wire ${w} is not a mul or auth`);
      per.y.push(reshare(d));
    }
    // Each provider's contribution to a random wire is uniform; the wire is their sum, unknown to every coalition of ≤ t.
    for (let k = 0; k < plan.randoms.length; k++) per.random.push(reshare(randomElement(this.rng)));
    this.own = per;
    const out: Outgoing[] = [];
    for (let j = 1; j <= n; j++) {
      if (j === this.index) continue;
      out.push(outgoing({
        type: "round", session: this.session, from: this.index, to: j, round: this.round,
        z: per.z.map((v) => v[j - 1]), y: per.y.map((v) => v[j - 1]), random: per.random.map((v) => v[j - 1]),
      }));
    }
    // Messages of this round that arrived early may already complete it (e.g. n − 1 = 2 peers were faster).
    return out.concat(this.maybeFinishRound());
  }

  private roundProblem(a: Analysis, m: RoundMessage): ShamirErrorName | undefined {
    if (m.from < 1 || m.from > a.program.n || m.from === this.index) return "UNKNOWN_SENDER";
    if (m.round > a.rounds) return "ROUND_AHEAD";
    const plan = a.plan[m.round - 1];
    if (m.z.length !== plan.muls.length || m.y.length !== plan.macs.length || m.random.length !== plan.randoms.length) return "SHARE_COUNT_MISMATCH";
    return undefined;
  }

  private onRound(m: RoundMessage): Outgoing[] {
    this.checkSender(m.from, false);
    if (this.phaseValue === "ready" || m.round < this.round) fail("ROUND_REPLAYED", `round ${m.round} is finished`);
    const collecting = this.phaseValue === "rounds" ? this.round : 1;
    if (m.round === 0 || m.round > collecting + 1 || (this.phaseValue === "dealing" && m.round !== 1)) fail("ROUND_AHEAD", `round ${m.round} while collecting round ${collecting}`);
    if (this.analysis) {
      const bad = this.roundProblem(this.analysis, m);
      if (bad) fail(bad, `round ${m.round} message from party ${m.from}`);
    }
    const into = m.round === collecting ? this.current : this.early;
    if (into.has(m.from)) fail("DUPLICATE_MESSAGE", `round ${m.round} message from party ${m.from} already received`);
    into.set(m.from, m);
    return this.phaseValue === "rounds" ? this.maybeFinishRound() : [];
  }

  private maybeFinishRound(): Outgoing[] {
    const a = this.analysis!, s = this.state!, { n } = a.program;
    if (this.current.size < n - 1 || !this.own) return [];
    const plan = a.plan[this.round - 1], lam = a.scheme.lambdaAll, me = this.index;
    const from = (j: number) => (j === me ? undefined : this.current.get(j)!);
    plan.muls.forEach((w, k) => {
      let acc = F.ZERO;
      for (let j = 1; j <= n; j++) acc = F.add(acc, F.mul(lam[j - 1], j === me ? this.own!.z[k][me - 1] : from(j)!.z[k]));
      s.z[w] = acc;
    });
    plan.macs.forEach((w, k) => {
      let acc = F.ZERO;
      for (let j = 1; j <= n; j++) acc = F.add(acc, F.mul(lam[j - 1], j === me ? this.own!.y[k][me - 1] : from(j)!.y[k]));
      s.y![w] = acc;
      const o = a.program.ops[a.wireOp[w]];
      if (o.op === "auth") s.z[w] = s.z[o.a];
    });
    plan.randoms.forEach((w, k) => {
      let acc = F.ZERO;
      for (let j = 1; j <= n; j++) acc = F.add(acc, j === me ? this.own!.random[k][me - 1] : from(j)!.random[k]);
      s.z[w] = acc;
    });
    this.evaluateLevel(this.round);
    this.own = undefined;
    this.current = this.early;
    this.early = new Map();
    if (this.round === a.rounds) {
      this.phaseValue = "ready";
      return [outgoing({ type: "ready", session: this.session, from: me, to: CONSUMER })];
    }
    this.round++;
    return this.startRound();
  }

  // ---- verification and output

  private onChallenge(from: number, r: bigint, beta: bigint): Outgoing[] {
    if (from !== CONSUMER) fail("UNKNOWN_SENDER", `a challenge from party ${from}`);
    if (this.phaseValue !== "ready") fail("UNEXPECTED_MESSAGE", `challenge in phase ${this.phaseValue}`);
    const t = checkShare(this.analysis!, this.state!, r, beta);
    this.phaseValue = "done";
    return [this.outputMessage([t])];
  }

  private outputMessage(check: bigint[]): Outgoing {
    const a = this.analysis!, s = this.state!;
    return outgoing({ type: "output", session: this.session, from: this.index, to: CONSUMER, outputs: a.program.outputs.map((w) => s.z[w]), check });
  }
}

export { ShamirError };
