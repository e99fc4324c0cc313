/**
 * The consumer of a SecretShared session: it deals its inputs (and, for
 * verified programs, the MAC key r and the MAC shares r·x), reveals r and the
 * challenge β only after every provider reported READY, and reconstructs the
 * outputs and the check value T with the degree check. It accepts the outputs
 * only when every share is consistent and T = 0; otherwise the session fails
 * with SHARES_INCONSISTENT or VERIFICATION_FAILED and no output is given.
 *
 * Other dealers (e.g. the owner of a searched list) deal with `dealInputs`.
 */
import { ShamirLimit } from "../../generated/private-protocol.ts";
import { equalBytes } from "../../model/bytes.ts";
import { ShamirError, fail, codeName } from "./errors.ts";
import { F, cryptoRandom, randomNonZero, type RandomSource } from "./field.ts";
import { decodeMessage, CONSUMER, type OutputMessage } from "./messages.ts";
import { analyse, type Analysis, type Program } from "./program.ts";
import { share, reconstruct } from "./sharing.ts";
import { outgoing, type Outgoing } from "./provider.ts";

export type ConsumerOutcome =
  | { readonly status: "running" }
  | { readonly status: "done"; readonly outputs: readonly bigint[] }
  | { readonly status: "failed"; readonly error: ShamirError; readonly by?: number };

export interface ConsumerOptions {
  readonly program: Program;
  /**
   * The program's analysis when the caller already holds it (`BuiltProgram.analysis`):
   * it must be the analysis of `program`; it saves re-encoding a large program per session.
   */
  readonly analysis?: Analysis;
  /** Field elements of the consumer's inputs (dealer 0), in input order. */
  readonly inputs: readonly bigint[];
  /** 16 bytes; a fresh random id when omitted. */
  readonly session?: Uint8Array;
  readonly rng?: RandomSource;
}

export function newSessionId(rng: RandomSource = cryptoRandom): Uint8Array {
  return rng(ShamirLimit.SESSION_ID_BYTES);
}

export class Consumer {
  readonly analysis: Analysis;
  readonly session: Uint8Array;
  private readonly rng: RandomSource;
  private readonly inputs: readonly bigint[];
  private r = 0n;
  private beta = 0n;
  private started = false;
  private challenged = false;
  private readonly ready = new Set<number>();
  private readonly outputs = new Map<number, OutputMessage>();
  private outcomeValue: ConsumerOutcome = { status: "running" };

  constructor(opts: ConsumerOptions) {
    this.analysis = opts.analysis?.program === opts.program ? opts.analysis : analyse(opts.program);
    this.rng = opts.rng ?? cryptoRandom;
    this.session = opts.session ?? newSessionId(this.rng);
    if (this.session.length !== ShamirLimit.SESSION_ID_BYTES) fail("MESSAGE_MALFORMED", `session id of ${this.session.length} bytes`);
    if (opts.inputs.length !== this.analysis.program.inputs[0]) fail("SHARE_COUNT_MISMATCH", `${opts.inputs.length} inputs, the program has ${this.analysis.program.inputs[0]}`);
    opts.inputs.forEach((x, i) => { if (!F.isValid(x)) fail("FIELD_ELEMENT_INVALID", `input ${i} is not a field element`); });
    this.inputs = opts.inputs;
  }

  get outcome(): ConsumerOutcome { return this.outcomeValue; }

  /** The DEAL for each provider 1..n. */
  start(): Outgoing[] {
    if (this.started) fail("UNEXPECTED_MESSAGE", "the session was already started");
    this.started = true;
    const a = this.analysis, s = a.scheme, { n } = a.program;
    const zs = this.inputs.map((x) => share(x, s, this.rng));
    let ys: bigint[][] = [], rs: bigint[] = [];
    if (a.verified) {
      this.r = randomNonZero(this.rng);
      rs = share(this.r, s, this.rng);
      ys = this.inputs.map((x) => share(F.mul(this.r, x), s, this.rng));
    }
    return Array.from({ length: n }, (_, i) => outgoing({
      type: "deal", session: this.session, from: CONSUMER, to: i + 1, program: a.encoded,
      z: zs.map((v) => v[i]), y: ys.map((v) => v[i]), r: a.verified ? [rs[i]] : [],
    }));
  }

  receive(bytes: Uint8Array): Outgoing[] {
    const m = decodeMessage(bytes);
    if (!equalBytes(m.session, this.session)) fail("SESSION_MISMATCH", "message of another session");
    if (this.outcomeValue.status !== "running") fail("SESSION_CLOSED", `session is ${this.outcomeValue.status}`);
    if (m.to !== CONSUMER) fail("WRONG_RECIPIENT", `message for party ${m.to}`);
    if (m.type === "deal" || m.type === "deal-inputs" || m.type === "round" || m.type === "challenge") fail("UNEXPECTED_MESSAGE", `the consumer does not accept ${m.type}`);
    const n = this.analysis.program.n;
    if (m.from < 1 || m.from > n) fail("UNKNOWN_SENDER", `party ${m.from} is not a provider of this session`);
    if (!this.started) fail("UNEXPECTED_MESSAGE", "the session has not started");
    switch (m.type) {
      case "abort": {
        const name = codeName(m.code) ?? `code ${m.code}`;
        this.outcomeValue = { status: "failed", error: new ShamirError("PEER_ABORTED", `provider ${m.from} aborted: ${name}`), by: m.from };
        return [];
      }
      case "ready": {
        if (!this.analysis.verified || this.challenged) fail("UNEXPECTED_MESSAGE", "READY not expected now");
        if (this.ready.has(m.from)) fail("DUPLICATE_MESSAGE", `READY from provider ${m.from} already received`);
        this.ready.add(m.from);
        if (this.ready.size < n) return [];
        // Every provider has finished every round, so every reshare is fixed: only now may r and β be known.
        this.challenged = true;
        this.beta = randomNonZero(this.rng);
        return Array.from({ length: n }, (_, i) => outgoing({ type: "challenge", session: this.session, from: CONSUMER, to: i + 1, r: this.r, beta: this.beta }));
      }
      case "output": {
        if (this.analysis.verified && !this.challenged) fail("UNEXPECTED_MESSAGE", "OUTPUT before the challenge");
        if (this.outputs.has(m.from)) fail("DUPLICATE_MESSAGE", `OUTPUT from provider ${m.from} already received`);
        const want = this.analysis.program.outputs.length, wantCheck = this.analysis.verified ? 1 : 0;
        if (m.outputs.length !== want || m.check.length !== wantCheck) fail("SHARE_COUNT_MISMATCH", `OUTPUT with ${m.outputs.length} outputs and ${m.check.length} check shares, need ${want} and ${wantCheck}`);
        this.outputs.set(m.from, m);
        if (this.outputs.size === n) this.finish();
        return [];
      }
    }
  }

  private finish(): void {
    const a = this.analysis, s = a.scheme, n = a.program.n;
    const col = (get: (m: OutputMessage) => bigint) => Array.from({ length: n }, (_, i) => get(this.outputs.get(i + 1)!));
    try {
      const values = a.program.outputs.map((_, k) => reconstruct(col((m) => m.outputs[k]), s, `output ${k}`));
      if (a.verified) {
        const T = reconstruct(col((m) => m.check[0]), s, "check value");
        if (T !== 0n) fail("VERIFICATION_FAILED", "the MAC check value is not zero: a provider deviated in a multiplication round");
      }
      this.outcomeValue = { status: "done", outputs: values };
    } catch (e) {
      if (!(e instanceof ShamirError)) throw e;
      this.outcomeValue = { status: "failed", error: e };
    }
  }
}

export interface DealerOptions {
  readonly program: Program;
  readonly session: Uint8Array;
  /** This dealer's index, ≥ 1 (0 is the consumer, who deals through Consumer). */
  readonly dealer: number;
  readonly values: readonly bigint[];
  readonly rng?: RandomSource;
}

/** The DEALs of a dealer other than the consumer: shares of its values, naming the program by digest. */
export function dealInputs(opts: DealerOptions): Outgoing[] {
  const a = analyse(opts.program), rng = opts.rng ?? cryptoRandom;
  if (!Number.isInteger(opts.dealer) || opts.dealer < 1 || opts.dealer >= a.program.inputs.length) fail("UNKNOWN_SENDER", `dealer ${opts.dealer} is not a dealer of this program`);
  if (opts.values.length !== a.program.inputs[opts.dealer]) fail("SHARE_COUNT_MISMATCH", `${opts.values.length} values, the program has ${a.program.inputs[opts.dealer]} for dealer ${opts.dealer}`);
  opts.values.forEach((x, i) => { if (!F.isValid(x)) fail("FIELD_ELEMENT_INVALID", `value ${i} is not a field element`); });
  const zs = opts.values.map((x) => share(x, a.scheme, rng));
  return Array.from({ length: a.program.n }, (_, i) => outgoing({
    type: "deal-inputs", session: opts.session, from: opts.dealer, to: i + 1, digest: a.digest, z: zs.map((v) => v[i]),
  }));
}
