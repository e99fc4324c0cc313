/**
 * Runs one session in this process: a consumer, n providers and any other
 * dealers exchanging the real encoded messages through a queue. It is the
 * protocol's reference harness (tests, bench), not a transport: the node
 * carries the same bytes over its own streams. Delivery order can be shuffled
 * (seeded) to exercise early and late ROUND messages, and a `tamper` hook lets
 * tests play a corrupt provider by rewriting its messages in flight.
 */
import { ShamirError } from "./errors.ts";
import type { RandomSource } from "./field.ts";
import { CONSUMER, decodeMessage, type Message } from "./messages.ts";
import type { Program } from "./program.ts";
import { Consumer, dealInputs, type ConsumerOutcome } from "./consumer.ts";
import { Provider, type Outgoing } from "./provider.ts";

export interface LocalSessionOptions {
  readonly program: Program;
  /** Field elements of the consumer's inputs. */
  readonly inputs: readonly bigint[];
  /** Field elements of other dealers' inputs, by dealer index ≥ 1. */
  readonly dealerInputs?: ReadonlyMap<number, readonly bigint[]>;
  readonly rng?: RandomSource;
  /** Deliver pending messages in a pseudo-random order drawn from this seed (default: first in, first out). */
  readonly shuffleSeed?: number;
  /** Rewrite (or drop, by returning null) a message in flight. `sender` is the party index, or −d for dealer d ≥ 1. */
  readonly tamper?: (message: Message, bytes: Uint8Array, sender: number) => Uint8Array | null;
}

export interface Traffic {
  /** Bytes sent, keyed "consumer", "dealer <d>", "provider <i>". */
  readonly sentBy: Record<string, number>;
  /** Bytes sent per message type. */
  readonly byType: Record<Message["type"], number>;
  readonly messages: number;
  readonly total: number;
}

export interface LocalSessionResult {
  readonly outcome: ConsumerOutcome;
  readonly providers: readonly Provider[];
  readonly traffic: Traffic;
  /** Messages a party refused (each left its state unchanged). */
  readonly rejected: readonly { to: number; error: ShamirError }[];
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const senderName = (s: number) => (s === CONSUMER ? "consumer" : s < 0 ? `dealer ${-s}` : `provider ${s}`);

export function runLocalSession(opts: LocalSessionOptions): LocalSessionResult {
  const consumer = new Consumer({ program: opts.program, inputs: opts.inputs, rng: opts.rng });
  const providers = Array.from({ length: opts.program.n }, (_, i) => new Provider({ index: i + 1, session: consumer.session, rng: opts.rng }));
  const sentBy: Record<string, number> = {};
  const byType: Record<Message["type"], number> = { deal: 0, "deal-inputs": 0, round: 0, ready: 0, challenge: 0, output: 0, abort: 0 };
  let messages = 0, total = 0;
  const queue: { sender: number; to: number; bytes: Uint8Array }[] = [];
  const rejected: { to: number; error: ShamirError }[] = [];

  const send = (sender: number, out: readonly Outgoing[]) => {
    for (const o of out) {
      const bytes = opts.tamper ? opts.tamper(o.message, o.bytes, sender) : o.bytes;
      if (bytes === null) continue;
      const key = senderName(sender);
      sentBy[key] = (sentBy[key] ?? 0) + bytes.length;
      byType[o.message.type] += bytes.length;
      messages++;
      total += bytes.length;
      queue.push({ sender, to: o.to, bytes });
    }
  };

  send(CONSUMER, consumer.start());
  for (const [d, values] of opts.dealerInputs ?? []) {
    send(-d, dealInputs({ program: opts.program, session: consumer.session, dealer: d, values, rng: opts.rng }));
  }
  const next = opts.shuffleSeed === undefined ? () => 0 : (() => { const r = mulberry32(opts.shuffleSeed!); return (n: number) => Math.floor(r() * n); })();
  while (queue.length) {
    const k = next(queue.length);
    const { to, bytes } = queue.splice(k, 1)[0];
    try {
      if (to === CONSUMER) send(CONSUMER, consumer.receive(bytes));
      else send(to, providers[to - 1].receive(bytes));
    } catch (e) {
      if (!(e instanceof ShamirError)) throw e;
      rejected.push({ to, error: e });
    }
  }
  return { outcome: consumer.outcome, providers, traffic: { sentBy, byType, messages, total }, rejected };
}

/** The decoded header of an encoded message (for routing by session and recipient). */
export function messageHeader(bytes: Uint8Array): Pick<Message, "type" | "session" | "to"> {
  const m = decodeMessage(bytes);
  return { type: m.type, session: m.session, to: m.to };
}
