/**
 * The conformance suite every Transport passes (docs/TRANSPORT.md): one
 * parameterised set of vitest cases, run by each transport's own test file
 * with a harness that knows how to build that transport.
 *
 * Everything goes through the Transport interface, except the frame-level
 * cases (a peer that opens a stream and never writes, a prefix that claims
 * too much, a truncated frame), which need a raw stream: a harness that can
 * open one provides `raw`, and those cases are skipped (and say so) where it
 * cannot.
 *
 * No case decides pass/fail by timing: waits are for events, bounded by a
 * generous deadline that only turns a hang into a failure.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TransportError, type PeerKey, type TopicMessage, type Transport, type TransportErrorCode, type TransportEvents } from "../../src/node/transport.ts";

/** A stream opened below the request/response framing, to send bytes the Transport API never would. */
export interface RawStream {
  write(bytes: Uint8Array): Promise<void>;
  /** Half-close: no more bytes from us. */
  closeWrite(): Promise<void>;
  /** Abort: the other side sees a reset. */
  reset(): void;
  /** Settles when the stream is finished: "reset" if the other side cut it, "closed" if it ended cleanly. */
  readonly ended: Promise<"reset" | "closed">;
}

export interface ConformanceHarness {
  /** Shown in the suite's name. */
  name: string;
  /** A new, unstarted transport with the i-th test identity (i < 8). */
  create(index: number): Promise<Transport>;
  /** Opens a raw stream for `protocol` from `from` to `to` (already connected). */
  raw?(from: Transport, to: PeerKey, protocol: string): Promise<RawStream>;
}

const WAIT_MS = 15_000;
const REQ = { timeoutMs: 10_000, maxResponseBytes: 64 * 1024 };
const LIMITS = { maxRequestBytes: 4096, readTimeoutMs: 10_000 };
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** Resolves when `cond` holds; rejects with `what` after WAIT_MS (a hang guard, not a timing assertion). */
export async function until(cond: () => boolean, what: string, step?: () => unknown): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await step?.();
    await new Promise((r) => setTimeout(r, 25));
  }
}

function nextEvent<E extends keyof TransportEvents>(t: Transport, event: E, match: (d: TransportEvents[E]) => boolean = () => true): Promise<TransportEvents[E]> {
  return new Promise((resolve) => t.on(event, (d) => match(d) && resolve(d)));
}

async function rejection(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof TransportError)) throw new Error(`expected a TransportError, got ${String(err)}`);
    return err;
  }
  throw new Error("expected the request to fail");
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

export function transportConformance(h: ConformanceHarness): void {
  describe(`Transport conformance: ${h.name}`, () => {
    const live: Transport[] = [];
    afterEach(async () => {
      await Promise.all(live.splice(0).map((t) => t.stop()));
    });

    async function started(n: number, offset = 0): Promise<Transport[]> {
      const ts: Transport[] = [];
      for (let i = 0; i < n; i++) {
        const t = await h.create(offset + i);
        live.push(t);
        await t.start();
        ts.push(t);
      }
      return ts;
    }

    /** Client and server, the client connected to the server. */
    async function pair(): Promise<[Transport, Transport]> {
      const [a, b] = await started(2);
      expect(await a.dial(b.addresses()[0])).toBe(b.self);
      return [a, b];
    }

    describe("identity and connections", () => {
      it("gives each node its own key, addresses that name it, and peer events on both sides", async () => {
        const [a, b] = await started(2);
        expect(a.self).not.toBe(b.self);
        for (const t of [a, b]) {
          expect(t.addresses().length).toBeGreaterThan(0);
          for (const addr of t.addresses()) expect(addr.endsWith(`/p2p/${t.self}`)).toBe(true);
        }
        const aSaw = nextEvent(a, "peer:connect", (p) => p === b.self);
        const bSaw = nextEvent(b, "peer:connect", (p) => p === a.self);
        expect(await a.dial(b.addresses()[0])).toBe(b.self);
        await Promise.all([aSaw, bSaw]);
        await until(() => a.peers().includes(b.self) && b.peers().includes(a.self), "both sides list the connection");
      });

      it("fails to dial an address nobody listens on with UNREACHABLE", async () => {
        const [a, b] = await started(2);
        const addr = b.addresses()[0];
        await b.stop();
        expect((await rejection(a.dial(addr))).code).toBe("UNREACHABLE");
      });

      it("refuses every operation before start and after stop with CLOSED, and stops idempotently", async () => {
        const t = await h.create(0);
        live.push(t);
        const other = await h.create(1);
        expect((await rejection(t.request(other.self, "/x/1", enc("x"), REQ))).code).toBe("CLOSED");
        await t.start();
        await t.stop();
        await t.stop();
        expect((await rejection(t.request(other.self, "/x/1", enc("x"), REQ))).code).toBe("CLOSED");
        expect((await rejection(t.publish("t", enc("x")))).code).toBe("CLOSED");
        expect((await rejection(t.dial("/ip4/127.0.0.1/tcp/9"))).code).toBe("CLOSED");
      });
    });

    describe("request/response", () => {
      it("delivers one request and one response, with the protocol and the requester's key", async () => {
        const [a, b] = await pair();
        const seen: { protocol: string; from: PeerKey; fromKey: Uint8Array | null }[] = [];
        b.handle("/conf/echo/1", LIMITS, async (r) => {
          seen.push({ protocol: r.protocol, from: r.from, fromKey: r.fromKey });
          return Uint8Array.from([...r.body].reverse());
        });
        const body = Uint8Array.from({ length: 256 }, (_, i) => i);
        expect(await a.request(b.self, "/conf/echo/1", body, REQ)).toEqual(Uint8Array.from([...body].reverse()));
        expect(await a.request(b.self, "/conf/echo/1", new Uint8Array(0), REQ)).toEqual(new Uint8Array(0));
        // The requester's authenticated key (what the node binds a signed request's signer to), not the responder's.
        expect(a.publicKey).toHaveLength(32);
        expect(a.publicKey).not.toEqual(b.publicKey);
        expect(seen).toEqual([
          { protocol: "/conf/echo/1", from: a.self, fromKey: a.publicKey },
          { protocol: "/conf/echo/1", from: a.self, fromKey: a.publicKey },
        ]);
      });

      it("keeps concurrent requests apart and works in both directions on one connection", async () => {
        const [a, b] = await pair();
        for (const t of [a, b]) t.handle("/conf/tag/1", LIMITS, async (r) => enc(`${t.self}:${dec(r.body)}`));
        const replies = await Promise.all(Array.from({ length: 24 }, (_, i) => a.request(b.self, "/conf/tag/1", enc(String(i)), REQ)));
        expect(replies.map(dec)).toEqual(Array.from({ length: 24 }, (_, i) => `${b.self}:${i}`));
        expect(dec(await b.request(a.self, "/conf/tag/1", enc("back"), REQ))).toBe(`${a.self}:back`);
      });

      it("takes a request of exactly maxRequestBytes and resets one byte longer unread, reporting OVERSIZED", async () => {
        const [a, b] = await pair();
        let calls = 0;
        b.handle("/conf/limit/1", { maxRequestBytes: 1000, readTimeoutMs: 10_000 }, async (r) => {
          calls++;
          return enc(String(r.body.length));
        });
        expect(dec(await a.request(b.self, "/conf/limit/1", new Uint8Array(1000), REQ))).toBe("1000");
        const violation = nextEvent(b, "violation");
        const err = await rejection(a.request(b.self, "/conf/limit/1", new Uint8Array(1001), REQ));
        expect(err.code).toBe("RESET");
        expect(await violation).toEqual({ from: a.self, protocol: "/conf/limit/1", kind: "OVERSIZED" });
        expect(calls).toBe(1);
        expect(dec(await a.request(b.self, "/conf/limit/1", new Uint8Array(3), REQ))).toBe("3");
      });

      it("takes a response of exactly maxResponseBytes and refuses one byte longer with OVERSIZED", async () => {
        const [a, b] = await pair();
        b.handle("/conf/resp/1", LIMITS, async (r) => new Uint8Array(Number(dec(r.body))));
        const opts = { timeoutMs: 10_000, maxResponseBytes: 5000 };
        expect((await a.request(b.self, "/conf/resp/1", enc("5000"), opts)).length).toBe(5000);
        expect((await rejection(a.request(b.self, "/conf/resp/1", enc("5001"), opts))).code).toBe("OVERSIZED");
        expect((await rejection(a.request(b.self, "/conf/resp/1", enc("300000"), opts))).code).toBe("OVERSIZED");
        expect((await a.request(b.self, "/conf/resp/1", enc("1"), opts)).length).toBe(1);
      });

      it("resets the stream when the handler throws, and keeps serving", async () => {
        const [a, b] = await pair();
        b.handle("/conf/throw/1", LIMITS, async (r) => {
          if (dec(r.body) === "boom") throw new Error("handler bug");
          return enc("ok");
        });
        expect((await rejection(a.request(b.self, "/conf/throw/1", enc("boom"), REQ))).code).toBe("RESET");
        expect(dec(await a.request(b.self, "/conf/throw/1", enc("fine"), REQ))).toBe("ok");
      });

      it("gives up on a slow handler with TIMEOUT, and with CLOSED when the caller aborts", async () => {
        const [a, b] = await pair();
        const held = gate();
        b.handle("/conf/slow/1", LIMITS, async () => {
          await held.wait;
          return enc("late");
        });
        expect((await rejection(a.request(b.self, "/conf/slow/1", enc("x"), { timeoutMs: 200, maxResponseBytes: 100 }))).code).toBe("TIMEOUT");
        const ctl = new AbortController();
        const pending = a.request(b.self, "/conf/slow/1", enc("x"), { ...REQ, signal: ctl.signal });
        ctl.abort();
        expect((await rejection(pending)).code).toBe("CLOSED");
        held.open();
        expect(dec(await a.request(b.self, "/conf/slow/1", enc("x"), REQ))).toBe("late");
      });

      it("fails a protocol the peer does not serve, and a peer it cannot reach, with UNREACHABLE", async () => {
        const [a, b] = await pair();
        expect((await rejection(a.request(b.self, "/conf/none/1", enc("x"), REQ))).code).toBe("UNREACHABLE");
        const stranger = await h.create(5);
        expect((await rejection(a.request(stranger.self, "/conf/none/1", enc("x"), REQ))).code).toBe("UNREACHABLE");
      });

      it("does not let a flood from one peer starve another peer's request", async () => {
        const [server, flooder, other] = await started(3);
        await flooder.dial(server.addresses()[0]);
        await other.dial(server.addresses()[0]);
        const held = gate();
        server.handle("/conf/flood/1", LIMITS, async (r) => {
          if (r.from === flooder.self) await held.wait;
          return enc("done");
        });
        const flood = Array.from({ length: 48 }, () => flooder.request(server.self, "/conf/flood/1", enc("f"), REQ).then(
          () => "ok" as const,
          (e: unknown) => (e instanceof TransportError ? e.code : "other"),
        ));
        // Answered while every one of the flooder's requests is still held: no queue of its can stand in front.
        expect(dec(await other.request(server.self, "/conf/flood/1", enc("o"), REQ))).toBe("done");
        held.open();
        const outcomes = await Promise.all(flood);
        for (const o of outcomes) expect(["ok", "RESET"] satisfies (TransportErrorCode | "ok")[]).toContain(o);
        expect(outcomes).toContain("ok");
      });
    });

    describe("frame level (raw streams)", () => {
      const rawIt = h.raw ? it : it.skip;
      const prefix = (n: number) => {
        const out: number[] = [];
        do {
          let b = n & 0x7f;
          n = Math.floor(n / 128);
          if (n > 0) b |= 0x80;
          out.push(b);
        } while (n > 0);
        return Uint8Array.from(out);
      };

      async function rawPair(limits: { maxRequestBytes: number; readTimeoutMs: number }) {
        const [a, b] = await pair();
        let calls = 0;
        b.handle("/conf/raw/1", limits, async () => {
          calls++;
          return enc("ok");
        });
        const violations: TransportEvents["violation"][] = [];
        b.on("violation", (v) => violations.push(v));
        const open = () => h.raw!(a, b.self, "/conf/raw/1");
        return { a, b, open, violations, calls: () => calls };
      }

      rawIt("cuts a stream that opens and never writes after readTimeoutMs (SLOW_PEER)", async () => {
        const r = await rawPair({ maxRequestBytes: 100, readTimeoutMs: 300 });
        const s = await r.open();
        expect(await s.ended).toBe("reset");
        await until(() => r.violations.length > 0, "SLOW_PEER reported");
        expect(r.violations).toEqual([{ from: r.a.self, protocol: "/conf/raw/1", kind: "SLOW_PEER" }]);
        expect(r.calls()).toBe(0);
      });

      rawIt("cuts a stream that stalls inside its frame (SLOW_PEER)", async () => {
        const r = await rawPair({ maxRequestBytes: 100, readTimeoutMs: 300 });
        const s = await r.open();
        await s.write(Uint8Array.from([...prefix(50), 1, 2, 3]));
        expect(await s.ended).toBe("reset");
        await until(() => r.violations.length > 0, "SLOW_PEER reported");
        expect(r.violations[0].kind).toBe("SLOW_PEER");
        expect(r.calls()).toBe(0);
      });

      rawIt("resets as soon as the length prefix says too large, without waiting for the body (OVERSIZED)", async () => {
        // A read timeout far beyond the wait guard: only an immediate reset can pass.
        const r = await rawPair({ maxRequestBytes: 100, readTimeoutMs: 60_000 });
        const s = await r.open();
        await s.write(prefix(101));
        expect(await s.ended).toBe("reset");
        await until(() => r.violations.length > 0, "OVERSIZED reported");
        expect(r.violations).toEqual([{ from: r.a.self, protocol: "/conf/raw/1", kind: "OVERSIZED" }]);
        const big = await r.open();
        await big.write(prefix(2 ** 40));
        expect(await big.ended).toBe("reset");
        await until(() => r.violations.length > 1, "second OVERSIZED reported");
        expect(r.violations[1].kind).toBe("OVERSIZED");
        expect(r.calls()).toBe(0);
      });

      rawIt("reports a stream that ends inside its frame, or before any byte, as MALFORMED_FRAME", async () => {
        const r = await rawPair({ maxRequestBytes: 100, readTimeoutMs: 10_000 });
        const truncated = await r.open();
        await truncated.write(Uint8Array.from([...prefix(10), 1, 2, 3]));
        await truncated.closeWrite();
        await truncated.ended;
        const empty = await r.open();
        await empty.closeWrite();
        await empty.ended;
        await until(() => r.violations.length >= 2, "two MALFORMED_FRAME reported");
        expect(r.violations.map((v) => v.kind)).toEqual(["MALFORMED_FRAME", "MALFORMED_FRAME"]);
        expect(r.calls()).toBe(0);
      });

      rawIt("drops a request reset by its sender mid-frame without calling the handler, and keeps serving", async () => {
        const r = await rawPair({ maxRequestBytes: 100, readTimeoutMs: 10_000 });
        const s = await r.open();
        await s.write(Uint8Array.from([...prefix(10), 1, 2]));
        s.reset();
        const ok = await r.open();
        await ok.write(Uint8Array.from([...prefix(2), 7, 7]));
        await ok.closeWrite();
        expect(await ok.ended).toBe("closed");
        expect(r.calls()).toBe(1);
        expect(r.violations).toEqual([]);
      });
    });

    describe("publish/subscribe", () => {
      interface Node {
        t: Transport;
        got: TopicMessage[];
        validated: TopicMessage[];
      }

      /** a — b — c in a line, all subscribed; b rejects "bad…" and ignores "meh…". */
      async function line(topic: string): Promise<Node[]> {
        const ts = await started(3);
        const nodes = ts.map((t) => ({ t, got: [] as TopicMessage[], validated: [] as TopicMessage[] }));
        for (const n of nodes) {
          n.t.subscribe(
            topic,
            (m) => {
              n.validated.push(m);
              if (n !== nodes[1]) return "accept";
              const s = dec(m.data);
              return s.startsWith("bad") ? "reject" : s.startsWith("meh") ? "ignore" : "accept";
            },
            (m) => n.got.push(m),
          );
        }
        await ts[0].dial(ts[1].addresses()[0]);
        await ts[2].dial(ts[1].addresses()[0]);
        // Publish until the line carries a message end to end: meshes form at the transport's own pace.
        let i = 0;
        await until(() => nodes[2].got.some((m) => dec(m.data).startsWith("warm")), "a message crosses a — b — c", () => ts[0].publish(topic, enc(`warm-${i++}`)));
        return nodes;
      }

      it("delivers a topic message across a relay, naming the relay as `from`, never back to its publisher", async () => {
        const [a, b, c] = await line("conf-topic-1");
        expect(a.t.peers()).not.toContain(c.t.self);
        const warm = c.got.find((m) => dec(m.data).startsWith("warm"))!;
        expect(warm.topic).toBe("conf-topic-1");
        expect(warm.from).toBe(b.t.self);
        const atB = b.validated.find((m) => dec(m.data) === dec(warm.data))!;
        expect(atB.from).toBe(a.t.self);
        expect(a.got).toEqual([]);
      });

      it("forwards nothing its validator rejected or ignored, and delivers it to nobody there", async () => {
        const [a, b, c] = await line("conf-topic-2");
        await a.t.publish("conf-topic-2", enc("bad-1"));
        await a.t.publish("conf-topic-2", enc("meh-1"));
        let i = 0;
        // A later good message reaching c proves the earlier ones had their chance to arrive.
        await until(() => c.got.some((m) => dec(m.data).startsWith("after")), "a good message after the bad ones", () => a.t.publish("conf-topic-2", enc(`after-${i++}`)));
        const texts = (ms: TopicMessage[]) => ms.map((m) => dec(m.data));
        expect(texts(b.validated)).toEqual(expect.arrayContaining(["bad-1", "meh-1"]));
        expect(texts(b.got)).not.toContain("bad-1");
        expect(texts(b.got)).not.toContain("meh-1");
        expect(texts(c.validated)).not.toContain("bad-1");
        expect(texts(c.validated)).not.toContain("meh-1");
        expect(texts(c.got)).not.toContain("bad-1");
      });
    });

    describe("stop", () => {
      it("closes connections (the peer sees peer:disconnect) and fails requests in flight at either end", async () => {
        const [a, b] = await pair();
        const held = gate();
        const entered = gate();
        b.handle("/conf/hold/1", LIMITS, async () => {
          entered.open();
          await held.wait;
          return enc("never");
        });
        const inflightToB = rejection(a.request(b.self, "/conf/hold/1", enc("x"), REQ));
        const gone = nextEvent(a, "peer:disconnect", (p) => p === b.self);
        await entered.wait;
        await b.stop();
        await gone;
        expect(["RESET", "CLOSED", "UNREACHABLE"]).toContain((await inflightToB).code);
        expect(a.peers()).not.toContain(b.self);
        expect((await rejection(a.request(b.self, "/conf/hold/1", enc("x"), REQ))).code).toBe("UNREACHABLE");
        held.open();

        const [c, d] = await started(2, 2);
        await c.dial(d.addresses()[0]);
        const held2 = gate();
        const entered2 = gate();
        d.handle("/conf/hold/1", LIMITS, async () => {
          entered2.open();
          await held2.wait;
          return enc("never");
        });
        const inflightFromC = rejection(c.request(d.self, "/conf/hold/1", enc("x"), REQ));
        await entered2.wait;
        await c.stop();
        expect((await inflightFromC).code).toBe("CLOSED");
        held2.open();
      });
    });
  });
}
