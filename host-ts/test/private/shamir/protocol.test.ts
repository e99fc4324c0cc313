/**
 * The message-level state machines: what a provider and the consumer accept
 * in each phase, and that a rejected message (replay, out of order, wrong
 * session or recipient) changes nothing, so the session still completes.
 */
import { describe, expect, it } from "vitest";
import { Provider, type Outgoing } from "../../../src/private/shamir/provider.ts";
import { Consumer, dealInputs } from "../../../src/private/shamir/consumer.ts";
import { encodeMessage, decodeMessage, type Message } from "../../../src/private/shamir/messages.ts";
import { ShamirError } from "../../../src/private/shamir/errors.ts";
import { columnStats, membership } from "../../../src/private/shamir/workloads.ts";
import { ShamirErrorCode as Code } from "../../../src/generated/private-protocol.ts";

const built = membership({ kind: "public", values: [1n, 2n, 3n, 4n, 5n, 6n] }); // 3 rounds
const inputs = built.encodeInputs(0, [4n]);

function code(f: () => unknown): string | undefined {
  try { f(); } catch (e) { if (e instanceof ShamirError) return e.codeName; throw e; }
  return undefined;
}

/** A manual network: lists what each party sent, delivered by hand. */
function setup() {
  const consumer = new Consumer({ program: built.program, inputs });
  const providers = [1, 2, 3].map((i) => new Provider({ index: i, session: consumer.session }));
  const deliver = (o: Outgoing): Outgoing[] => (o.to === 0 ? consumer.receive(o.bytes) : providers[o.to - 1].receive(o.bytes));
  return { consumer, providers, deliver, deals: consumer.start() };
}

describe("provider state machine", () => {
  it("rejects replays and messages from too far ahead, without changing state", () => {
    const { consumer, providers, deliver, deals } = setup();
    const r1 = deliver(deals[0]); // provider 1 starts: its round-1 messages to 2 and 3
    expect(r1.map((o) => [o.message.type, o.to, (o.message as { round: number }).round])).toEqual([["round", 2, 1], ["round", 3, 1]]);
    expect(code(() => deliver(deals[0]))).toBe("DUPLICATE_MESSAGE");
    // Provider 2 has not been dealt yet: it buffers round 1 from provider 1 and refuses a second copy.
    expect(deliver(r1[0])).toEqual([]);
    expect(code(() => deliver(r1[0]))).toBe("DUPLICATE_MESSAGE");
    // A round-2 message cannot come from an honest party before this party sent round 1.
    const fake2 = encodeMessage({ ...(r1[0].message as Extract<Message, { type: "round" }>), round: 2 });
    expect(code(() => providers[1].receive(fake2))).toBe("ROUND_AHEAD");
    const r2 = deliver(deals[1]);
    const r3 = deliver(deals[2]);
    // Round 1 among all three; then provider 1's round-1 message replayed to 2 is ROUND_REPLAYED.
    const queue = [...r1.slice(1), ...r2, ...r3];
    const later: Outgoing[] = [];
    for (const o of queue) later.push(...deliver(o));
    expect(code(() => deliver(r1[0]))).toBe("ROUND_REPLAYED");
    // Finish the session: every rejection above left the parties able to complete.
    const pending = [...later];
    while (pending.length) pending.push(...deliver(pending.shift()!));
    expect(consumer.outcome).toEqual({ status: "done", outputs: [0n] }); // 4 is in the list
  });

  it("buffers a round-(r + 1) message that overtakes a round-r one, and refuses r + 2", () => {
    const { consumer, providers, deliver, deals } = setup();
    const first = deals.flatMap((d) => deliver(d)); // all round-1 messages
    // Deliver round 1 to providers 1 and 2 only; they move to round 2 and send to provider 3 early.
    const to3: Outgoing[] = [];
    const rest: Outgoing[] = [];
    for (const o of first) (o.to === 3 ? to3 : rest).push(o);
    const round2: Outgoing[] = [];
    for (const o of rest) round2.push(...deliver(o));
    const early = round2.filter((o) => o.to === 3);
    expect(early.length).toBe(2);
    expect((early[0].message as { round: number }).round).toBe(2);
    expect(deliver(early[0])).toEqual([]); // buffered: provider 3 is still collecting round 1
    expect(code(() => deliver(early[0]))).toBe("DUPLICATE_MESSAGE");
    const ahead = encodeMessage({ ...(early[1].message as Extract<Message, { type: "round" }>), round: 3 });
    expect(code(() => providers[2].receive(ahead))).toBe("ROUND_AHEAD");
    const pending = [...early.slice(1), ...to3, ...round2.filter((o) => o.to !== 3)];
    while (pending.length) pending.push(...deliver(pending.shift()!));
    expect(consumer.outcome.status).toBe("done");
  });

  it("refuses other sessions, other recipients, unknown senders and messages out of phase", () => {
    const { providers, deals, consumer } = setup();
    const d = decodeMessage(deals[0].bytes) as Extract<Message, { type: "deal" }>;
    expect(code(() => providers[0].receive(encodeMessage({ ...d, session: new Uint8Array(16).fill(9) })))).toBe("SESSION_MISMATCH");
    expect(code(() => providers[1].receive(deals[0].bytes))).toBe("WRONG_RECIPIENT");
    const ch = encodeMessage({ type: "challenge", session: consumer.session, from: 0, to: 1, r: 1n, beta: 1n });
    expect(code(() => providers[0].receive(ch))).toBe("UNEXPECTED_MESSAGE");
    const fromSelf = encodeMessage({ type: "round", session: consumer.session, from: 1, to: 1, round: 1, z: [], y: [], random: [] });
    expect(code(() => providers[0].receive(fromSelf))).toBe("UNKNOWN_SENDER");
    const own = encodeMessage({ type: "round", session: consumer.session, from: 1, to: 2, round: 1, z: [], y: [], random: [] });
    providers[1].receive(deals[1].bytes);
    expect(code(() => providers[1].receive(own))).toBe("SHARE_COUNT_MISMATCH");
    const ready = encodeMessage({ type: "ready", session: consumer.session, from: 2, to: 1 });
    expect(code(() => providers[0].receive(ready))).toBe("UNEXPECTED_MESSAGE");
    expect(code(() => providers[0].receive(new Uint8Array([0xa0])))).toBe("MESSAGE_MALFORMED");
    expect(code(() => new Provider({ index: 0, session: consumer.session }))).toBe("PARAMETERS_INVALID");
  });

  it("a deal with wrong share counts is refused; a deal for another program is PROGRAM_MISMATCH", () => {
    const { providers, deals } = setup();
    const d = decodeMessage(deals[0].bytes) as Extract<Message, { type: "deal" }>;
    expect(code(() => providers[0].receive(encodeMessage({ ...d, z: [] })))).toBe("SHARE_COUNT_MISMATCH");
    expect(code(() => providers[0].receive(encodeMessage({ ...d, r: [] })))).toBe("SHARE_COUNT_MISMATCH");
    expect(code(() => providers[0].receive(encodeMessage({ ...d, program: new Uint8Array([1, 2]) })))).toBe("PROGRAM_INVALID");

    const listed = membership({ kind: "dealer", length: 2 });
    const c2 = new Consumer({ program: listed.program, inputs: listed.encodeInputs(0, [1n]) });
    const p = new Provider({ index: 1, session: c2.session });
    p.receive(c2.start()[0].bytes);
    // The same inputs but another program (no outputs): another digest.
    const foreign = dealInputs({ program: { ...listed.program, outputs: [] }, session: c2.session, dealer: 1, values: [1n, 2n] });
    expect(code(() => p.receive(foreign[0].bytes))).toBe("PROGRAM_MISMATCH");
    const good = dealInputs({ program: listed.program, session: c2.session, dealer: 1, values: [1n, 2n] });
    expect(p.receive(good[0].bytes).length).toBe(2); // now it starts: round 1 to providers 2 and 3
    expect(code(() => p.receive(good[0].bytes))).toBe("DUPLICATE_MESSAGE");
  });

  it("a deal for another program that arrived before the consumer's makes the provider abort the session", () => {
    const good = (c: Consumer) => dealInputs({ program: listed.program, session: c.session, dealer: 1, values: [1n, 2n] })[0].bytes;
    const listed = membership({ kind: "dealer", length: 2 });
    const c = new Consumer({ program: listed.program, inputs: listed.encodeInputs(0, [1n]) });
    const p = new Provider({ index: 1, session: c.session });
    const foreign = dealInputs({ program: { ...listed.program, outputs: [] }, session: c.session, dealer: 1, values: [1n, 2n] });
    expect(p.receive(foreign[0].bytes)).toEqual([]); // buffered: the program is not known yet
    const out = p.receive(c.start()[0].bytes);
    expect(out.map((o) => [o.message.type, o.to])).toEqual([["abort", 0], ["abort", 2], ["abort", 3]]);
    expect(p.failure).toEqual({ code: Code.PROGRAM_MISMATCH, by: 1 });
    expect(c.receive(out[0].bytes)).toEqual([]);
    expect(c.outcome.status).toBe("failed");
    expect(c.outcome.status === "failed" && c.outcome.error.codeName).toBe("PEER_ABORTED");
    expect(code(() => p.receive(good(c)))).toBe("SESSION_CLOSED");
  });
});

describe("consumer state machine", () => {
  it("reveals r and β only after every READY, and accepts outputs only after its challenge", () => {
    const stats = columnStats(2, 10);
    const consumer = new Consumer({ program: stats.program, inputs: stats.encodeInputs(0, [1, 2]) });
    const providers = [1, 2, 3].map((i) => new Provider({ index: i, session: consumer.session }));
    const q: Outgoing[] = consumer.start();
    const toConsumer: Outgoing[] = [];
    while (q.length) {
      const o = q.shift()!;
      if (o.to === 0) toConsumer.push(o); else q.push(...providers[o.to - 1].receive(o.bytes));
    }
    expect(toConsumer.map((o) => o.message.type)).toEqual(["ready", "ready", "ready"]);
    expect(providers.map((p) => p.phase)).toEqual(["ready", "ready", "ready"]);
    const fakeOut = encodeMessage({ type: "output", session: consumer.session, from: 1, to: 0, outputs: [0n, 0n, 0n], check: [0n] });
    expect(code(() => consumer.receive(fakeOut))).toBe("UNEXPECTED_MESSAGE");
    expect(consumer.receive(toConsumer[0].bytes)).toEqual([]);
    expect(code(() => consumer.receive(toConsumer[0].bytes))).toBe("DUPLICATE_MESSAGE");
    expect(consumer.receive(toConsumer[1].bytes)).toEqual([]);
    const challenges = consumer.receive(toConsumer[2].bytes);
    expect(challenges.map((o) => [o.message.type, o.to])).toEqual([["challenge", 1], ["challenge", 2], ["challenge", 3]]);
    const outs = challenges.flatMap((o) => providers[o.to - 1].receive(o.bytes));
    expect(code(() => providers[0].receive(challenges[0].bytes))).toBe("SESSION_CLOSED");
    expect(code(() => consumer.receive(encodeMessage({ ...(outs[0].message as Extract<Message, { type: "output" }>), check: [] })))).toBe("SHARE_COUNT_MISMATCH");
    for (const o of outs) consumer.receive(o.bytes);
    expect(consumer.outcome.status).toBe("done");
    expect(stats.decodeOutputs((consumer.outcome as { outputs: readonly bigint[] }).outputs).map((d) => d.kind === "fixed" && Number(d.value.num) / Number(d.value.den))).toEqual([3, 1.5, 0.25]);
    expect(code(() => consumer.receive(outs[0].bytes))).toBe("SESSION_CLOSED");
  });

  it("a provider that times out (the node calls abort) fails the session for everyone with PEER_ABORTED", () => {
    const { consumer, providers, deliver, deals } = setup();
    deals.forEach((d) => deliver(d)); // round-1 messages dropped: nobody can finish
    const aborts = providers[2].abort("PEER_ABORTED");
    expect(aborts.map((o) => o.to)).toEqual([0, 1, 2]);
    aborts.forEach((o) => deliver(o));
    expect(consumer.outcome.status).toBe("failed");
    expect(providers.map((p) => p.phase)).toEqual(["failed", "failed", "failed"]);
    expect(providers[0].failure).toEqual({ code: Code.PEER_ABORTED, by: 3 });
  });
});
