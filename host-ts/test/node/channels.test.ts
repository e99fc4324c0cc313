/**
 * Payment channels end to end over the memory transport: cumulative billing
 * and the 2% burn on both sides, cooperative close returning balance_a to
 * the credit, a closed channel refusing updates, a new channel after a close,
 * and a credit too small to fund any channel (INSUFFICIENT_FUNDS, nobody blamed).
 */
import { afterEach, describe, expect, it } from "vitest";
import { decodeChannelState, burnedOf, owedForCycles } from "../../src/node/channel-state.ts";
import { startNet, sumJob, type TestNet } from "./helpers.ts";

let t: TestNet | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

describe("payment channels", () => {
  it("bills cumulatively with the 2% burn, closes cooperatively, and opens anew after a close", async () => {
    t = await startNet([{ name: "m", profile: "minimal", functions: [], credit: 1_000_000n, channelDeposit: 200_000n, maxPrice: 1_000_000n }, { name: "p", profile: "community", price: 900_000n }]);
    const [m, p] = t.nodes;
    let total = 0n, cycles = 0n;
    for (const n of [1000, 2000, 3000, 4000]) {
      const out = await m.submit({ job: sumJob(n, undefined, m.identity.nodeId, m.identity.nodeId) });
      total += await out.payments;
      cycles += out.cycles;
    }
    // D6: the four payments add up to what the cumulative cycles owe, not to four rounded-up shares.
    expect(total).toBe(owedForCycles(cycles, 900_000n));
    const [mc] = m.channels.summaries();
    const [pc] = p.channels.summaries();
    expect(mc).toMatchObject({ role: "payer", status: "open", sequence: "4", payments: 4, deposit: "200000" });
    expect(pc).toMatchObject({ role: "payee", status: "open", sequence: "4", payments: 4, balanceA: mc.balanceA, balanceB: mc.balanceB });
    expect(BigInt(mc.balanceA)).toBe(200_000n - total);
    expect(BigInt(mc.balanceB)).toBe(total - burnedOf(total));
    expect(BigInt(mc.burned)).toBeGreaterThan(0n);
    expect(BigInt(mc.balanceA) + BigInt(mc.balanceB) + BigInt(mc.burned)).toBe(200_000n);
    expect(m.channels.credit()).toBe(800_000n);

    await m.closeChannel(mc.channelId);
    expect(m.channels.summaries()[0].status).toBe("closed");
    expect(p.channels.summaries()[0].status).toBe("closed");
    expect(m.channels.credit()).toBe(800_000n + BigInt(mc.balanceA));
    await expect(m.closeChannel(mc.channelId)).rejects.toThrow(/CHANNEL_CLOSED|already closed/);
    // An owed payment on the closed channel (a restart found it unpaid) can never be taken: dropped, journalled, not retried.
    const agreementId = m.store.validAgreementsWith(p.identity.nodeId, Date.now())[0].agreementId;
    const journalJobId = new Uint8Array(16).fill(0x44);
    m.store.addOwed([{ channelId: Buffer.from(mc.channelId, "hex"), jobId: new Uint8Array(16).fill(0x45), agreementId, units: 100n, journalJobId }], Date.now());
    expect(await m.consumer.payOwed()).toBe(0n);
    expect(m.store.owed()).toEqual([]);

    // The next job needs a channel again: a new one, from sequence 0.
    await (await m.submit({ job: sumJob(10, undefined, m.identity.nodeId, m.identity.nodeId) })).payments;
    const open = m.channels.summaries().filter((c) => c.status === "open");
    expect(open).toHaveLength(1);
    expect(open[0].channelId).not.toBe(mc.channelId);
    expect(open[0].sequence).toBe("1");
    expect(decodeChannelState(m.store.channel(Buffer.from(open[0].channelId, "hex"))!.state).sequence).toBe(1n);
  });

  it("a credit that cannot fund a channel: INSUFFICIENT_FUNDS, no provider blamed", async () => {
    t = await startNet([{ name: "m", profile: "minimal", functions: [], credit: 10n }, { name: "p", profile: "community" }]);
    const [m, p] = t.nodes;
    await expect(m.submit({ job: sumJob(100, undefined, m.identity.nodeId, m.identity.nodeId) })).rejects.toThrow(/deposit/);
    expect(m.reputation.score(p.identity.nodeId)).toBe(5000);
    expect(m.channels.credit()).toBe(10n);
    expect(m.channels.summaries()).toEqual([]);
    expect(m.status().journal[0].ranOn).toBe("failed");
  });
});
