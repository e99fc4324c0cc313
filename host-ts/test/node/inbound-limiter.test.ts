import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { InboundLimiter, type Ticket } from "../../src/node/inbound-limiter.ts";

const settled = () => new Promise((r) => setTimeout(r, 0));

function track(t: Ticket): { ran: boolean } {
  const s = { ran: false };
  void t.ready.then(() => (s.ran = true));
  return s;
}

describe("InboundLimiter", () => {
  it("refuses a peer's request once it has maxConcurrentPerPeer + maxQueuedPerPeer in the node, and no one else's", () => {
    const l = new InboundLimiter({ maxConcurrentPerPeer: 2, maxQueuedPerPeer: 3, maxConcurrentTotal: 10 });
    const a = Array.from({ length: 5 }, () => l.admit("a"));
    expect(a.every((t) => typeof t !== "string")).toBe(true);
    expect(l.admit("a")).toBe("QUEUE_FULL");
    expect(typeof l.admit("b")).not.toBe("string");
    (a[0] as Ticket).release();
    expect(typeof l.admit("a")).not.toBe("string");
  });

  it("grants slots round-robin, so a peer with a long queue delays another by one run, not its queue", async () => {
    const l = new InboundLimiter({ maxConcurrentPerPeer: 1, maxQueuedPerPeer: 100, maxConcurrentTotal: 1 });
    const flood = Array.from({ length: 50 }, () => l.admit("flooder") as Ticket);
    for (const t of flood) l.request(t);
    const other = l.admit("other") as Ticket;
    l.request(other);
    const seen = track(other);
    await settled();
    expect(l.running("flooder")).toBe(1);
    expect(seen.ran).toBe(false);
    flood[0].release();
    await settled();
    expect(seen.ran).toBe(true);
    expect(l.running("other")).toBe(1);
  });

  it("caps handlers per peer and in total", async () => {
    const l = new InboundLimiter({ maxConcurrentPerPeer: 2, maxQueuedPerPeer: 10, maxConcurrentTotal: 3 });
    for (const p of ["a", "b"]) for (let i = 0; i < 4; i++) l.request(l.admit(p) as Ticket);
    await settled();
    expect(l.running()).toBe(3);
    expect(l.running("a")).toBeLessThanOrEqual(2);
    expect(l.running("b")).toBeLessThanOrEqual(2);
    expect(l.queued()).toBe(5);
  });

  it("frees a queue place when a waiting or still-reading request is withdrawn, and release is idempotent", async () => {
    const l = new InboundLimiter({ maxConcurrentPerPeer: 1, maxQueuedPerPeer: 1, maxConcurrentTotal: 1 });
    const running = l.admit("a") as Ticket;
    l.request(running);
    const waiting = l.admit("a") as Ticket;
    l.request(waiting);
    expect(l.admit("a")).toBe("QUEUE_FULL");
    waiting.release();
    waiting.release();
    const reading = l.admit("a") as Ticket;
    expect(typeof reading).not.toBe("string");
    reading.release();
    running.release();
    running.release();
    expect(l.running()).toBe(0);
    expect(l.queued()).toBe(0);
  });

  it("spends and refills a per-peer token bucket on the injected clock", () => {
    let now = 0;
    const l = new InboundLimiter({ ratePerSecond: 2, burst: 3 }, () => now);
    const take = () => {
      const t = l.admit("a");
      if (typeof t !== "string") t.release();
      return typeof t === "string" ? t : "ok";
    };
    expect([take(), take(), take(), take()]).toEqual(["ok", "ok", "ok", "RATE"]);
    now = 499;
    expect(take()).toBe("RATE");
    now = 500;
    expect(take()).toBe("ok");
    now = 100_000;
    expect([take(), take(), take(), take()]).toEqual(["ok", "ok", "ok", "RATE"]);
  });

  it("rejects limits that are not positive numbers", () => {
    expect(() => new InboundLimiter({ maxConcurrentPerPeer: 0 })).toThrow(RangeError);
    expect(() => new InboundLimiter({ burst: Number.NaN })).toThrow(RangeError);
  });

  it("never exceeds its caps and serves every waiting request once the running ones finish (property)", async () => {
    type Op = { kind: "admit"; peer: number } | { kind: "read"; i: number } | { kind: "done"; i: number };
    const op = fc.oneof(
      fc.record({ kind: fc.constant("admit" as const), peer: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant("read" as const), i: fc.nat() }),
      fc.record({ kind: fc.constant("done" as const), i: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 120 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), async (ops, perPeer, queued, total) => {
        const l = new InboundLimiter({ maxConcurrentPerPeer: perPeer, maxQueuedPerPeer: queued, maxConcurrentTotal: total });
        const tickets: { t: Ticket; peer: string; s: { ran: boolean } }[] = [];
        for (const o of ops as Op[]) {
          if (o.kind === "admit") {
            const t = l.admit(`p${o.peer}`);
            if (typeof t !== "string") tickets.push({ t, peer: `p${o.peer}`, s: track(t) });
          } else if (tickets.length > 0) {
            const x = tickets[o.i % tickets.length];
            if (o.kind === "read") l.request(x.t);
            else x.t.release();
          }
          await settled();
          expect(l.running()).toBeLessThanOrEqual(total);
          for (let p = 0; p < 4; p++) {
            expect(l.running(`p${p}`)).toBeLessThanOrEqual(perPeer);
            expect(l.running(`p${p}`) + l.queued(`p${p}`)).toBeLessThanOrEqual(perPeer + queued);
          }
        }
        // Everything read gets to run once the running handlers finish, round after round.
        for (const x of tickets) l.request(x.t);
        for (let round = 0; round < tickets.length + 1; round++) {
          await settled();
          for (const x of tickets) if (x.s.ran) x.t.release();
        }
        expect(l.running()).toBe(0);
        expect(l.queued()).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
