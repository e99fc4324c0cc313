import { describe, expect, it } from "vitest";
import { MemoryNetwork, decodeVarint, encodeVarint, type MemoryTransport } from "../../src/node/memory-transport.ts";
import { TransportError, type TransportViolation } from "../../src/node/transport.ts";

const LIMITS = { maxRequestBytes: 1000, readTimeoutMs: 200 };
const OPTS = { timeoutMs: 2000, maxResponseBytes: 1000 };
const echo = async (r: { body: Uint8Array }) => r.body;

async function pair(net = new MemoryNetwork()): Promise<{ net: MemoryNetwork; a: MemoryTransport; b: MemoryTransport }> {
  const a = net.transport("a"), b = net.transport("b");
  await a.start();
  await b.start();
  return { net, a, b };
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TransportError);
    return (e as TransportError).code;
  }
  throw new Error("expected a TransportError");
}

function violations(t: MemoryTransport): TransportViolation[] {
  const out: TransportViolation[] = [];
  t.on("violation", (v) => out.push(v.kind));
  return out;
}

describe("varint framing", () => {
  it("round-trips and rejects non-minimal and over-long prefixes", () => {
    for (const n of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 31, 2 ** 50]) {
      const e = encodeVarint(n);
      expect(decodeVarint(e)).toEqual({ value: n, length: e.length });
    }
    expect(decodeVarint(Uint8Array.from([0x80]))).toBe("short");
    expect(decodeVarint(Uint8Array.from([0x80, 0x00]))).toBe("bad");
    expect(decodeVarint(new Uint8Array(9).fill(0xff))).toBe("bad");
  });
});

describe("MemoryTransport request/response", () => {
  it("dials, emits peer:connect on both sides and answers requests", async () => {
    const { a, b } = await pair();
    const seen: string[] = [];
    a.on("peer:connect", (p) => seen.push(`a<-${p}`));
    b.on("peer:connect", (p) => seen.push(`b<-${p}`));
    b.handle("/echo/1", LIMITS, echo);
    expect(await a.dial(b.addresses()[0])).toBe("b");
    expect(seen.sort()).toEqual(["a<-b", "b<-a"]);
    expect(a.peers()).toEqual(["b"]);
    const res = await a.request("b", "/echo/1", Uint8Array.from([1, 2, 3]), OPTS);
    expect([...res]).toEqual([1, 2, 3]);
    expect(await failure(a.dial("/memory/b/p2p/c"))).toBe("UNREACHABLE");
    expect(await failure(a.dial("/memory/nobody"))).toBe("UNREACHABLE");
  });

  it("refuses an oversized request without reading it (OVERSIZED violation, RESET)", async () => {
    const { a, b } = await pair();
    const v = violations(b);
    let called = 0;
    b.handle("/echo/1", LIMITS, async (r) => { called++; return r.body; });
    expect(await failure(a.request("b", "/echo/1", new Uint8Array(1001), OPTS))).toBe("RESET");
    expect(v).toEqual(["OVERSIZED"]);
    expect(called).toBe(0);
    expect((await a.request("b", "/echo/1", new Uint8Array(1000), OPTS)).length).toBe(1000);
  });

  it("cuts off a peer that opens a stream and never writes (SLOW_PEER)", async () => {
    const { a, b } = await pair();
    const v = violations(b);
    b.handle("/echo/1", LIMITS, echo);
    const s = await a.openStream("b", "/echo/1", OPTS);
    s.write(Uint8Array.from([5, 1])); // prefix says 5 bytes, only one arrives
    expect(await failure(s.response)).toBe("RESET");
    expect(v).toEqual(["SLOW_PEER"]);
  });

  it("reports malformed frames", async () => {
    const { a, b } = await pair();
    const v = violations(b);
    b.handle("/echo/1", LIMITS, echo);
    const s1 = await a.openStream("b", "/echo/1", OPTS);
    s1.write(Uint8Array.from([0x80, 0x00]));
    expect(await failure(s1.response)).toBe("RESET");
    const s2 = await a.openStream("b", "/echo/1", OPTS);
    s2.write(Uint8Array.from([3, 1]));
    s2.close();
    expect(await failure(s2.response)).toBe("RESET");
    expect(v).toEqual(["MALFORMED_FRAME", "MALFORMED_FRAME"]);
  });

  it("reassembles a request written in pieces", async () => {
    const { a, b } = await pair();
    b.handle("/echo/1", LIMITS, echo);
    const s = await a.openStream("b", "/echo/1", OPTS);
    s.write(Uint8Array.from([3]));
    s.write(Uint8Array.from([7]));
    s.write(Uint8Array.from([8, 9]));
    expect([...(await s.response)]).toEqual([7, 8, 9]);
  });

  it("fails oversized responses, timeouts, aborts, unknown protocols and throwing handlers with their codes", async () => {
    const { a, b } = await pair();
    b.handle("/big/1", LIMITS, async () => new Uint8Array(2000));
    b.handle("/slow/1", LIMITS, () => new Promise((r) => setTimeout(() => r(new Uint8Array(1)), 500)));
    expect(await failure(a.request("b", "/big/1", new Uint8Array(0), OPTS))).toBe("OVERSIZED");
    expect(await failure(a.request("b", "/slow/1", new Uint8Array(0), { ...OPTS, timeoutMs: 50 }))).toBe("TIMEOUT");
    const ac = new AbortController();
    const p = a.request("b", "/slow/1", new Uint8Array(0), { ...OPTS, signal: ac.signal });
    ac.abort();
    expect(await failure(p)).toBe("CLOSED");
    expect(await failure(a.request("b", "/none/1", new Uint8Array(0), OPTS))).toBe("UNREACHABLE");
  });

  it("a throwing handler resets the stream and the transport keeps serving", async () => {
    const logs: string[] = [];
    const net = new MemoryNetwork({ log: (m) => logs.push(m) });
    const { a, b } = await pair(net);
    b.handle("/throw/1", LIMITS, async () => { throw new Error("bug"); });
    b.handle("/echo/1", LIMITS, echo);
    expect(await failure(a.request("b", "/throw/1", new Uint8Array(0), OPTS))).toBe("RESET");
    expect(logs.join()).toMatch(/handler threw/);
    expect((await a.request("b", "/echo/1", Uint8Array.from([1]), OPTS)).length).toBe(1);
  });

  it("a crash resets in-flight requests and disconnects; a hung peer times out; a stopped transport is CLOSED", async () => {
    const { net, a, b } = await pair();
    const c = net.transport("c");
    await c.start();
    let started = false;
    b.handle("/slow/1", LIMITS, () => { started = true; return new Promise<Uint8Array>(() => {}); }); // never answers: only the crash ends it
    c.handle("/echo/1", LIMITS, echo);
    const gone: string[] = [];
    a.on("peer:disconnect", (p) => gone.push(p));
    const p = a.request("b", "/slow/1", new Uint8Array(0), OPTS);
    await until(() => started);
    net.crash("b");
    expect(await failure(p)).toBe("RESET");
    await until(() => gone.length > 0);
    expect(gone).toEqual(["b"]);
    expect(await failure(a.request("b", "/slow/1", new Uint8Array(0), OPTS))).toBe("UNREACHABLE");
    net.hang("c");
    expect(await failure(a.request("c", "/echo/1", new Uint8Array(0), { ...OPTS, timeoutMs: 50 }))).toBe("TIMEOUT");
    net.hang("c", false);
    expect((await a.request("c", "/echo/1", Uint8Array.from([4]), OPTS))[0]).toBe(4);
    // The crashed name can be taken again (a restart).
    const b2 = net.transport("b");
    await b2.start();
    b2.handle("/echo/1", LIMITS, echo);
    expect((await a.request("b", "/echo/1", Uint8Array.from([9]), OPTS))[0]).toBe(9);
    await a.stop();
    await a.stop();
    expect(await failure(a.request("c", "/echo/1", new Uint8Array(0), OPTS))).toBe("CLOSED");
  });

  it("partitions cut links until healed; latency delays deliveries", async () => {
    const net = new MemoryNetwork();
    const { a, b } = await pair(net);
    b.handle("/echo/1", LIMITS, echo);
    await a.dial("/memory/b");
    net.partition("a", "b");
    expect(a.peers()).toEqual([]);
    expect(await failure(a.request("b", "/echo/1", new Uint8Array(0), OPTS))).toBe("UNREACHABLE");
    net.heal("a", "b");
    net.setLink("a", "b", { latencyMs: 30 });
    const t0 = Date.now();
    await a.request("b", "/echo/1", new Uint8Array(0), OPTS);
    // Two connection legs plus the request and response legs; measured, not asserted tightly.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
  });

  it("loss is reproducible from the seed", async () => {
    const run = async () => {
      const net = new MemoryNetwork({ seed: 7, dropRate: 0.5 });
      const { a, b } = await pair(net);
      b.handle("/echo/1", LIMITS, echo);
      // Sent one after the other so the PRNG draws happen in a fixed order; a lost request or response times out.
      const codes: string[] = [];
      for (let i = 0; i < 12; i++) codes.push(await a.request("b", "/echo/1", Uint8Array.from([i]), { ...OPTS, timeoutMs: 400 }).then(() => "ok", (e: TransportError) => e.code));
      return { codes, dropped: net.stats.dropped };
    };
    const first = await run();
    expect(first.codes).toContain("ok");
    expect(first.codes).toContain("TIMEOUT");
    expect(first.dropped).toBeGreaterThan(0);
    expect(await run()).toEqual(first);
  });
});

describe("MemoryTransport gossip", () => {
  it("floods accepted messages over subscribers, once each, and never back to the publisher", async () => {
    const net = new MemoryNetwork();
    const ts = await Promise.all(["n0", "n1", "n2", "n3", "n4"].map(async (n) => { const t = net.transport(n); await t.start(); return t; }));
    // A ring plus a chord: messages reach everyone along several paths.
    for (const [x, y] of [[0, 1], [1, 2], [2, 3], [3, 4], [4, 0], [0, 2]]) await ts[x].dial(`/memory/n${y}`);
    const got: string[][] = ts.map(() => []);
    ts.forEach((t, i) => t.subscribe("ads", () => "accept", (m) => got[i].push(Buffer.from(m.data).toString())));
    await ts[0].publish("ads", Buffer.from("hello"));
    await until(() => got.slice(1).every((g) => g.length > 0));
    await new Promise((r) => setTimeout(r, 20)); // duplicates, if any, would arrive by now
    expect(got).toEqual([[], ["hello"], ["hello"], ["hello"], ["hello"]]);
  });

  it("a rejecting validator stops delivery and forwarding at that node", async () => {
    const net = new MemoryNetwork();
    const [a, b, c] = await Promise.all(["a", "b", "c"].map(async (n) => { const t = net.transport(n); await t.start(); return t; }));
    await a.dial("/memory/b");
    await b.dial("/memory/c"); // a - b - c, b is the only path
    const got: string[] = [];
    a.subscribe("t", () => "accept", () => {});
    b.subscribe("t", (m) => (m.data[0] === 0 ? "reject" : "accept"), (m) => got.push(`b${m.data[0]}`));
    c.subscribe("t", () => "accept", (m) => got.push(`c${m.data[0]}@${m.from}`));
    await a.publish("t", Uint8Array.from([0]));
    await a.publish("t", Uint8Array.from([1]));
    await until(() => got.length >= 2);
    await new Promise((r) => setTimeout(r, 20));
    expect(got.sort()).toEqual(["b1", "c1@b"]);
    await expect(a.publish("t", new Uint8Array((1 << 20) + 1))).rejects.toThrow(/exceeds/);
  });
});
