/**
 * The libp2p transport on loopback TCP: the shared conformance suite, then
 * what only this transport has (identity from the node key, address
 * filtering, gossipsub peer scoring, per-peer admission limits, mDNS off by
 * default).
 */
import { afterEach, describe, expect, it } from "vitest";
import { ed25519 } from "@noble/curves/ed25519.js";
import { peerIdFromString } from "@libp2p/peer-id";
import { createLibp2pTransport, peerKeyFromSeed, advertisableAddresses, type Libp2pTransport, type Libp2pTransportOptions } from "../../src/node/libp2p-transport.ts";
import { TransportError } from "../../src/node/transport.ts";
import { transportConformance, until, type RawStream } from "./transport-conformance.ts";

const seed = (i: number) => Uint8Array.from({ length: 32 }, (_, k) => (i * 31 + k * 7 + 1) & 0xff);
const enc = (s: string) => new TextEncoder().encode(s);

function create(i: number, extra: Partial<Libp2pTransportOptions> = {}): Promise<Libp2pTransport> {
  return createLibp2pTransport({ seed: seed(i), heartbeatIntervalMs: 100, ...extra });
}

transportConformance({
  name: "libp2p (loopback TCP)",
  create: (i) => create(i),
  async raw(from, to, protocol): Promise<RawStream> {
    const stream = await (from as Libp2pTransport).node.dialProtocol(peerIdFromString(to), protocol);
    stream.addEventListener("message", () => undefined);
    const ended = new Promise<"reset" | "closed">((resolve) => stream.addEventListener("close", (e) => resolve(e.error ? "reset" : "closed"), { once: true }));
    return {
      write: async (bytes) => {
        if (!stream.send(bytes)) await stream.onDrain();
      },
      closeWrite: () => stream.close(),
      reset: () => stream.abort(new Error("test reset")),
      ended,
    };
  },
});

describe("libp2p transport specifics", () => {
  const live: Libp2pTransport[] = [];
  afterEach(async () => {
    await Promise.all(live.splice(0).map((t) => t.stop()));
  });
  async function started(i: number, extra: Partial<Libp2pTransportOptions> = {}): Promise<Libp2pTransport> {
    const t = await create(i, extra);
    live.push(t);
    await t.start();
    return t;
  }

  it("derives its PeerId from the node's Ed25519 seed: same seed, same id; the id carries that public key", async () => {
    const id = await peerKeyFromSeed(seed(1));
    expect(await peerKeyFromSeed(seed(1))).toBe(id);
    expect(await peerKeyFromSeed(seed(2))).not.toBe(id);
    const t = await create(1);
    expect(t.self).toBe(id);
    expect(peerIdFromString(id).publicKey!.raw).toEqual(ed25519.getPublicKey(seed(1)));
    expect(t.publicKey).toEqual(ed25519.getPublicKey(seed(1)));
    await expect(createLibp2pTransport({ seed: new Uint8Array(31) })).rejects.toThrow(/32 bytes/);
  });

  it("keeps loopback and wildcard addresses out of adverts unless it listens on loopback only", () => {
    const id = "12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq";
    const all = [`/ip4/127.0.0.1/tcp/4001/p2p/${id}`, `/ip4/10.9.0.2/tcp/4001/p2p/${id}`, `/ip6/::1/tcp/4001/p2p/${id}`, `/ip4/0.0.0.0/tcp/4001/p2p/${id}`];
    expect(advertisableAddresses(all, ["/ip4/0.0.0.0/tcp/4001"])).toEqual([`/ip4/10.9.0.2/tcp/4001/p2p/${id}`]);
    expect(advertisableAddresses([all[0]], ["/ip4/127.0.0.1/tcp/0"])).toEqual([all[0]]);
  });

  it("reports the observed remote address of a connected peer, and null for one it has no connection to", async () => {
    const a = await started(1);
    const b = await started(2);
    expect(a.remoteAddress(b.self)).toBeNull();
    await a.dial(b.addresses()[0]);
    await until(() => b.peers().includes(a.self), "b sees the connection");
    expect(a.remoteAddress(b.self)).toBe(b.addresses()[0]);
    expect(b.remoteAddress(a.self)).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+(\/p2p\/[^/]+)?$/);
  });

  it("has mDNS off unless asked for it", async () => {
    expect((await create(1)).mdnsEnabled).toBe(false);
    expect((await create(2, { mdns: { intervalMs: 1000 } })).mdnsEnabled).toBe(true);
  });

  it("lowers gossipsub's score of a peer whose messages its validator rejects, to graylisting", async () => {
    const a = await started(1);
    const b = await started(2);
    let accepted = 0;
    b.subscribe("score-topic", (m) => (new TextDecoder().decode(m.data).startsWith("bad") ? "reject" : "accept"), () => accepted++);
    a.subscribe("score-topic", () => "accept", () => undefined);
    await a.dial(b.addresses()[0]);
    let i = 0;
    await until(() => accepted > 0, "b accepts a's first message", () => a.publish("score-topic", enc(`good-${i++}`)));
    expect(b.peerScore(a.self)).toBeGreaterThanOrEqual(0);
    for (let k = 0; k < 4; k++) await a.publish("score-topic", enc(`bad-${k}`));
    await until(() => b.peerScore(a.self) < -80, "a's score at b falls below the graylist threshold");
  });

  it("admits at most maxConcurrentPerPeer + maxQueuedPerPeer requests of one peer and reports the rest as RATE_LIMITED", async () => {
    const server = await started(1, { inbound: { maxConcurrentPerPeer: 2, maxQueuedPerPeer: 4 } });
    const client = await started(2);
    await client.dial(server.addresses()[0]);
    let open!: () => void;
    const held = new Promise<void>((r) => (open = r));
    let running = 0;
    let maxRunning = 0;
    server.handle("/flood/1", { maxRequestBytes: 100, readTimeoutMs: 10_000 }, async () => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await held;
      running--;
      return enc("ok");
    });
    const outcomes = Array.from({ length: 20 }, () => client.request(server.self, "/flood/1", enc("x"), { timeoutMs: 10_000, maxResponseBytes: 100 }).then(
      () => "ok",
      (e: TransportError) => e.code,
    ));
    await until(() => server.stats().handlersRunning === 2 && server.stats().requestsQueued === 4, "2 running and 4 waiting");
    await until(() => server.stats().violations.RATE_LIMITED === 14, "14 refusals");
    open();
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === "ok").length).toBe(6);
    expect(results.filter((r) => r === "RESET").length).toBe(14);
    expect(maxRunning).toBe(2);
  });

  it("without optimistic negotiation, still carries requests, refuses unknown protocols and oversized responses", async () => {
    const server = await started(1, { optimisticSelect: false });
    const client = await started(2, { optimisticSelect: false });
    await client.dial(server.addresses()[0]);
    server.handle("/plain/1", { maxRequestBytes: 100, readTimeoutMs: 10_000 }, async (q) => (q.body.length === 0 ? new Uint8Array(500) : q.body));
    const opts = { timeoutMs: 10_000, maxResponseBytes: 100 };
    expect(await client.request(server.self, "/plain/1", enc("abc"), opts)).toEqual(enc("abc"));
    const code = (p: Promise<Uint8Array>) => p.then(() => "ok", (e: TransportError) => e.code);
    expect(await code(client.request(server.self, "/nope/1", enc("abc"), opts))).toBe("UNREACHABLE");
    expect(await code(client.request(server.self, "/plain/1", new Uint8Array(0), opts))).toBe("OVERSIZED");
  });

  it("applies the per-peer rate budget", async () => {
    const server = await started(1, { inbound: { ratePerSecond: 0.001, burst: 3 } });
    const client = await started(2);
    await client.dial(server.addresses()[0]);
    server.handle("/rate/1", { maxRequestBytes: 100, readTimeoutMs: 10_000 }, async () => enc("ok"));
    const results: string[] = [];
    for (let k = 0; k < 5; k++) {
      results.push(await client.request(server.self, "/rate/1", enc("x"), { timeoutMs: 10_000, maxResponseBytes: 100 }).then(() => "ok", (e: TransportError) => e.code));
    }
    expect(results).toEqual(["ok", "ok", "ok", "RESET", "RESET"]);
    expect(server.stats().violations.RATE_LIMITED).toBe(2);
  });
});
