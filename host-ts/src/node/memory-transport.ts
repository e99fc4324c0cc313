/**
 * An in-process implementation of the Transport seam (transport.ts): every
 * `MemoryTransport` created from one `MemoryNetwork` can dial, request and
 * gossip with the others, with the same framing, limits and failure modes as
 * the libp2p implementation, so unit tests and the 1,000-node simulation run
 * the real node code over it.
 *
 * What is modelled, exactly as the interface states:
 * - streams carry bytes: a request is one unsigned-varint length prefix and
 *   the body, a response likewise; the server reads the prefix first, resets
 *   the stream without reading the body when it is above `maxRequestBytes`
 *   (`OVERSIZED`), when the prefix is not a varint (`MALFORMED_FRAME`), when
 *   the stream ends before the body does (`MALFORMED_FRAME`), and when the
 *   whole request has not arrived `readTimeoutMs` after the stream opened
 *   (`SLOW_PEER`); each is reported as a `violation` event on the server;
 * - the requester's deadline (`TIMEOUT`), response size limit (`OVERSIZED`),
 *   abort signal (`CLOSED`), resets (`RESET`), unknown, stopped, crashed or
 *   partitioned peers and unsupported protocols (`UNREACHABLE`), and requests
 *   from a stopped transport (`CLOSED`);
 * - per-link latency (each delivery waits `latencyMs`) and loss (each
 *   delivery is dropped with probability `dropRate`, from a seeded PRNG, so a
 *   lossy run is reproducible); crashes (`crash(name)`: every stream and
 *   connection of the peer dies at once, no goodbye), hangs (`hang(name)`:
 *   streams are accepted and never answered) and partitions;
 * - gossip as flooding over connections between subscribers: every node runs
 *   the topic's validator before it delivers or forwards a message
 *   ("accept" delivers and forwards, "reject"/"ignore" drop it), messages are
 *   de-duplicated by id as gossipsub does by (origin, seqno), and a publisher
 *   does not receive its own message.
 *
 * Constructor API (small on purpose):
 *   const net = new MemoryNetwork({ latencyMs: 1, dropRate: 0, seed: 1 });
 *   const t = net.transport("alice");           // a Transport, not yet started
 *   await t.start(); await t.dial("/memory/bob");
 *   net.setLink("alice", "bob", { latencyMs: 20, dropRate: 0.1 });
 *   net.partition("alice", "bob"); net.heal("alice", "bob");
 *   net.crash("bob"); net.hang("carol", true);
 * A crashed or stopped name can be taken again by a new transport (a restart).
 */
import {
  TransportError,
  type InboundRequest,
  type PeerKey,
  type ProtocolLimits,
  type RequestHandler,
  type RequestOptions,
  type TopicMessage,
  type Transport,
  type TransportEvents,
  type TransportViolation,
} from "./transport.ts";

export interface LinkOptions {
  /** One-way delay of every delivery on the link, in milliseconds (default: the network's). */
  latencyMs?: number;
  /** Probability that one delivery (a stream chunk, a gossip message) is lost (default: the network's). */
  dropRate?: number;
}

export interface MemoryNetworkOptions extends LinkOptions {
  /** Seed of the PRNG that decides drops (default 1). */
  seed?: number;
  /** Gossip messages larger than this are refused by `publish` (default 1 MiB, gossipsub's default). */
  maxGossipBytes?: number;
  /** Where handler exceptions and listener exceptions are reported (default: console.error). */
  log?: (message: string) => void;
}

/** A client-side stream for tests that need to misbehave: write in pieces, stall, or send bad frames. */
export interface RawStream {
  /** Sends bytes (any chunking; the server reassembles). */
  write(bytes: Uint8Array): void;
  /** Ends the write side (a request that is not complete by then is `MALFORMED_FRAME`). */
  close(): void;
  /** Aborts the stream in both directions. */
  reset(): void;
  /** The response body; rejects with a TransportError. */
  readonly response: Promise<Uint8Array>;
}

export interface MemoryNetworkStats {
  /** Streams opened. */
  streams: number;
  /** Deliveries lost to `dropRate`. */
  dropped: number;
  /** Gossip messages delivered to a subscriber's validator. */
  gossipDeliveries: number;
}

const NAME = /^[A-Za-z0-9._-]{1,128}$/;
const DEFAULT_MAX_GOSSIP = 1 << 20;
const SEEN_CACHE = 20_000;

/** Unsigned LEB128 (multiformats unsigned-varint), as libp2p's length-prefixed streams use. */
export function encodeVarint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`varint out of range: ${n}`);
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

/** Decodes a varint prefix: the value and its length, "short" when more bytes are needed, "bad" when it can never be one. */
export function decodeVarint(bytes: Uint8Array): { value: number; length: number } | "short" | "bad" {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < bytes.length; i++) {
    if (i >= 8) return "bad"; // 8 × 7 bits: past 2^53, no message is that long
    const b = bytes[i];
    value += (b & 0x7f) * scale;
    scale *= 0x80;
    if ((b & 0x80) === 0) {
      if (i > 0 && b === 0) return "bad"; // not minimal (unsigned-varint requires the shortest form)
      return { value, length: i + 1 };
    }
  }
  return "short";
}

function frame(body: Uint8Array): Uint8Array {
  const p = encodeVarint(body.length);
  const out = new Uint8Array(p.length + body.length);
  out.set(p);
  out.set(body, p.length);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pairKey = (a: PeerKey, b: PeerKey) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

interface Registration {
  limits: ProtocolLimits;
  handler: RequestHandler;
}

interface Subscription {
  validate: (message: TopicMessage) => "accept" | "reject" | "ignore";
  onMessage: (message: TopicMessage) => void;
}

/** One stream between a client transport and a server transport. */
class Pipe {
  open = true;
  private serverBuf: Uint8Array = new Uint8Array(0);
  private clientBuf: Uint8Array = new Uint8Array(0);
  private requestDone = false;
  private serverEnded = false;
  private readTimer: ReturnType<typeof setTimeout> | null = null;
  private deadline: ReturnType<typeof setTimeout> | null = null;
  private resolveResponse!: (b: Uint8Array) => void;
  private rejectResponse!: (e: TransportError) => void;
  readonly response: Promise<Uint8Array>;

  constructor(
    readonly net: MemoryNetwork,
    readonly client: MemoryTransport,
    readonly server: MemoryTransport,
    readonly protocol: string,
    private readonly maxResponseBytes: number,
  ) {
    this.response = new Promise<Uint8Array>((res, rej) => {
      this.resolveResponse = res;
      this.rejectResponse = rej;
    });
    // A response nobody awaits (a test that only writes) must not become an unhandled rejection.
    this.response.catch(() => {});
  }

  setDeadline(ms: number): void {
    this.deadline = setTimeout(() => this.fail(new TransportError(`${this.protocol}: no response from ${this.server.self} within ${ms} ms`, "TIMEOUT")), ms);
  }

  /** Called on the server when the stream arrives. */
  accept(reg: Registration | undefined): void {
    if (!this.open) return;
    if (!reg) {
      this.fail(new TransportError(`${this.server.self} does not support ${this.protocol}`, "UNREACHABLE"));
      return;
    }
    if (this.net.isHung(this.server.self)) return; // accepted, never read, never answered
    this.readTimer = setTimeout(() => this.violation("SLOW_PEER", `request not complete within ${reg.limits.readTimeoutMs} ms`), reg.limits.readTimeoutMs);
    this.reg = reg;
    this.drainServer();
  }
  private reg: Registration | undefined;

  /** Bytes from the client arrive at the server. */
  serverReceive(chunk: Uint8Array): void {
    if (!this.open || this.requestDone) return;
    this.serverBuf = concat(this.serverBuf, chunk);
    this.drainServer();
  }

  serverEnd(): void {
    if (!this.open || this.requestDone) return;
    this.serverEnded = true;
    this.drainServer();
  }

  private drainServer(): void {
    const reg = this.reg;
    if (!reg || !this.open || this.requestDone) return;
    const v = decodeVarint(this.serverBuf);
    if (v === "bad") return this.violation("MALFORMED_FRAME", "length prefix is not an unsigned varint");
    if (v === "short") {
      if (this.serverEnded) this.violation("MALFORMED_FRAME", "stream ended inside the length prefix");
      return;
    }
    if (v.value > reg.limits.maxRequestBytes) return this.violation("OVERSIZED", `request of ${v.value} bytes exceeds ${reg.limits.maxRequestBytes}`);
    if (this.serverBuf.length - v.length < v.value) {
      if (this.serverEnded) this.violation("MALFORMED_FRAME", "stream ended inside the request body");
      return;
    }
    this.requestDone = true;
    if (this.readTimer) clearTimeout(this.readTimer);
    const body = this.serverBuf.slice(v.length, v.length + v.value);
    this.serverBuf = new Uint8Array(0);
    const server = this.server;
    const request: InboundRequest = { protocol: this.protocol, from: this.client.self, fromKey: this.client.publicKey, body };
    let pending: Promise<Uint8Array>;
    try {
      pending = reg.handler(request);
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(
      (response) => {
        if (!this.open || !server.alive) return;
        if (!(response instanceof Uint8Array)) throw new TypeError("handler did not return bytes");
        this.net.deliver(server.self, this.client.self, () => this.clientReceive(frame(response)));
      },
      (e: unknown) => {
        this.net.log(`${server.self}: ${this.protocol} handler threw (stream reset): ${e instanceof Error ? e.message : String(e)}`);
        this.fail(new TransportError(`${this.server.self} reset the stream`, "RESET"));
      },
    ).catch((e: unknown) => {
      this.net.log(`${server.self}: ${this.protocol} handler returned a non-byte response (stream reset): ${String(e)}`);
      this.fail(new TransportError(`${this.server.self} reset the stream`, "RESET"));
    });
  }

  private violation(kind: TransportViolation, detail: string): void {
    if (!this.open) return;
    this.server.emit("violation", { from: this.client.self, protocol: this.protocol, kind });
    this.fail(new TransportError(`${this.server.self} reset the stream: ${detail}`, "RESET"));
  }

  /** Bytes from the server arrive at the client. */
  clientReceive(chunk: Uint8Array): void {
    if (!this.open) return;
    this.clientBuf = concat(this.clientBuf, chunk);
    const v = decodeVarint(this.clientBuf);
    if (v === "bad") return this.fail(new TransportError("response length prefix is not an unsigned varint", "RESET"));
    if (v === "short") return;
    if (v.value > this.maxResponseBytes) return this.fail(new TransportError(`response of ${v.value} bytes exceeds ${this.maxResponseBytes}`, "OVERSIZED"));
    if (this.clientBuf.length - v.length < v.value) return;
    const body = this.clientBuf.slice(v.length, v.length + v.value);
    this.close();
    this.resolveResponse(body);
  }

  /** Ends the stream with an error on the client side (and drops whatever the server still does). */
  fail(e: TransportError): void {
    if (!this.open) return;
    this.close();
    this.rejectResponse(e);
  }

  private close(): void {
    this.open = false;
    if (this.readTimer) clearTimeout(this.readTimer);
    if (this.deadline) clearTimeout(this.deadline);
    this.client.pipes.delete(this);
    this.server.pipes.delete(this);
  }
}

export class MemoryTransport implements Transport {
  /** Set while started and not crashed. */
  alive = false;
  private stopped = false;
  readonly pipes = new Set<Pipe>();
  private readonly handlers = new Map<string, Registration>();
  readonly subscriptions = new Map<string, Subscription>();
  private readonly listeners = new Map<keyof TransportEvents, Set<(detail: never) => void>>();
  readonly connections = new Set<PeerKey>();
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];

  constructor(private readonly net: MemoryNetwork, readonly self: PeerKey, readonly publicKey: Uint8Array | null = null) {}

  async start(): Promise<void> {
    if (this.alive) return;
    if (this.stopped) throw new TransportError(`transport ${this.self} was stopped; create a new one`, "CLOSED");
    this.net.register(this);
    this.alive = true;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.alive) return;
    this.net.takeDown(this, "stop");
  }

  /** Called by the network when the transport goes away (stop or crash). */
  shutDown(): void {
    this.alive = false;
    this.stopped = true;
    for (const p of [...this.pipes]) p.fail(new TransportError(p.client === this ? "transport stopped" : `${this.self} went away`, p.client === this ? "CLOSED" : "RESET"));
    this.connections.clear();
  }

  addresses(): string[] {
    return this.alive ? [`/memory/${this.self}/p2p/${this.self}`] : [];
  }

  async dial(address: string): Promise<PeerKey> {
    this.ensureUsable();
    const m = /^\/memory\/([A-Za-z0-9._-]+)(?:\/p2p\/([A-Za-z0-9._-]+))?$/.exec(address);
    if (!m) throw new TransportError(`not a memory address: ${address}`, "UNREACHABLE");
    if (m[2] !== undefined && m[2] !== m[1]) throw new TransportError(`${address}: the peer at /memory/${m[1]} is not ${m[2]}`, "UNREACHABLE");
    if (m[1] === this.self) throw new TransportError("cannot dial self", "UNREACHABLE");
    await this.net.connect(this, m[1]);
    return m[1];
  }

  peers(): PeerKey[] {
    return [...this.connections];
  }

  /** Memory peers have names, not network addresses: nothing to observe (the node falls back to adverts). */
  remoteAddress(_peer: PeerKey): string | null {
    return null;
  }

  handle(protocol: string, limits: ProtocolLimits, handler: RequestHandler): void {
    if (!(limits.maxRequestBytes >= 0) || !(limits.readTimeoutMs > 0)) throw new RangeError(`${protocol}: bad limits`);
    this.handlers.set(protocol, { limits, handler });
  }

  registration(protocol: string): Registration | undefined {
    return this.handlers.get(protocol);
  }

  /** Opens a stream and lets the caller write the request bytes itself (framing included). Tests use it to misbehave. */
  async openStream(peer: PeerKey, protocol: string, options: RequestOptions): Promise<RawStream> {
    this.ensureUsable();
    const pipe = await this.net.openPipe(this, peer, protocol, options);
    return {
      write: (bytes: Uint8Array) => {
        if (!pipe.open) return;
        const copy = bytes.slice();
        this.net.deliver(this.self, peer, () => pipe.serverReceive(copy));
      },
      close: () => {
        if (pipe.open) this.net.deliver(this.self, peer, () => pipe.serverEnd());
      },
      reset: () => pipe.fail(new TransportError("stream reset by the caller", "RESET")),
      response: pipe.response,
    };
  }

  async request(peer: PeerKey, protocol: string, body: Uint8Array, options: RequestOptions): Promise<Uint8Array> {
    const s = await this.openStream(peer, protocol, options);
    s.write(frame(body));
    return s.response;
  }

  subscribe(topic: string, validate: Subscription["validate"], onMessage: Subscription["onMessage"]): void {
    this.subscriptions.set(topic, { validate, onMessage });
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    this.ensureUsable();
    if (data.length > this.net.maxGossipBytes) throw new TransportError(`gossip message of ${data.length} bytes exceeds ${this.net.maxGossipBytes}`, "OVERSIZED");
    const id = this.net.nextMessageId(this.self);
    this.markSeen(id);
    this.net.forward(this, undefined, topic, id, data.slice());
  }

  on<E extends keyof TransportEvents>(event: E, listener: (detail: TransportEvents[E]) => void): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (detail: never) => void);
  }

  emit<E extends keyof TransportEvents>(event: E, detail: TransportEvents[E]): void {
    for (const l of this.listeners.get(event) ?? []) {
      try {
        (l as (d: TransportEvents[E]) => void)(detail);
      } catch (e) {
        this.net.log(`${this.self}: ${event} listener threw: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  /** Gossip arriving from a neighbour: de-duplicate, validate, deliver, forward. */
  receiveGossip(from: PeerKey, topic: string, id: string, data: Uint8Array): void {
    if (!this.alive || !this.connections.has(from)) return;
    const sub = this.subscriptions.get(topic);
    if (!sub || this.seen.has(id)) return;
    this.markSeen(id);
    this.net.stats.gossipDeliveries++;
    const message: TopicMessage = { topic, data, from };
    let verdict: "accept" | "reject" | "ignore";
    try {
      verdict = sub.validate(message);
    } catch (e) {
      this.net.log(`${this.self}: ${topic} validator threw (message rejected): ${e instanceof Error ? e.message : String(e)}`);
      verdict = "reject";
    }
    if (verdict !== "accept") return;
    try {
      sub.onMessage(message);
    } catch (e) {
      this.net.log(`${this.self}: ${topic} handler threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.net.forward(this, from, topic, id, data);
  }

  private markSeen(id: string): void {
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > SEEN_CACHE) this.seen.delete(this.seenOrder.shift()!);
  }

  private ensureUsable(): void {
    if (!this.alive) throw new TransportError(`transport ${this.self} is ${this.stopped ? "stopped" : "not started"}`, "CLOSED");
  }
}

export class MemoryNetwork {
  private readonly live = new Map<PeerKey, MemoryTransport>();
  private readonly links = new Map<string, Required<LinkOptions>>();
  private readonly partitions = new Set<string>();
  private readonly hung = new Set<PeerKey>();
  private readonly defaults: Required<LinkOptions>;
  private readonly random: () => number;
  private messageCounter = 0;
  readonly maxGossipBytes: number;
  readonly log: (message: string) => void;
  readonly stats: MemoryNetworkStats = { streams: 0, dropped: 0, gossipDeliveries: 0 };

  constructor(options: MemoryNetworkOptions = {}) {
    this.defaults = { latencyMs: options.latencyMs ?? 0, dropRate: options.dropRate ?? 0 };
    this.random = mulberry32(options.seed ?? 1);
    this.maxGossipBytes = options.maxGossipBytes ?? DEFAULT_MAX_GOSSIP;
    this.log = options.log ?? ((m) => console.error(`memory-transport: ${m}`));
  }

  /**
   * A new transport named `name` (its PeerKey); not started. `publicKey` is
   * the Ed25519 key its requests arrive with (`InboundRequest.fromKey`): in
   * one process the network itself knows which transport opened a stream, so
   * that is the memory transport's authentication (a node passes its own key,
   * transport-factory.ts); without one, requests carry `fromKey: null`.
   */
  transport(name: string, options: { publicKey?: Uint8Array } = {}): MemoryTransport {
    if (!NAME.test(name)) throw new RangeError(`bad memory transport name "${name}" (letters, digits, . _ -)`);
    if (options.publicKey !== undefined && options.publicKey.length !== 32) throw new RangeError("a memory transport's public key is 32 bytes");
    return new MemoryTransport(this, name, options.publicKey ? options.publicKey.slice() : null);
  }

  /** Names of the started, live transports. */
  names(): PeerKey[] {
    return [...this.live.keys()];
  }

  setLink(a: PeerKey, b: PeerKey, options: LinkOptions): void {
    const old = this.link(a, b);
    this.links.set(pairKey(a, b), { latencyMs: options.latencyMs ?? old.latencyMs, dropRate: options.dropRate ?? old.dropRate });
  }

  /** Cuts the link both ways: open streams reset, the connection drops, new dials fail until `heal`. */
  partition(a: PeerKey, b: PeerKey): void {
    this.partitions.add(pairKey(a, b));
    const ta = this.live.get(a), tb = this.live.get(b);
    for (const t of [ta, tb]) {
      if (!t) continue;
      for (const p of [...t.pipes]) {
        const other = p.client === t ? p.server : p.client;
        if (other.self === a || other.self === b) p.fail(new TransportError("connection lost (partition)", "RESET"));
      }
    }
    if (ta && tb && ta.connections.has(b)) this.disconnect(ta, tb);
  }

  heal(a: PeerKey, b: PeerKey): void {
    this.partitions.delete(pairKey(a, b));
  }

  /** The peer dies at once: its streams reset, its neighbours see it disconnect, nothing it still does reaches anyone. */
  crash(name: PeerKey): void {
    const t = this.live.get(name);
    if (t) this.takeDown(t, "crash");
  }

  /** While hung, the peer accepts streams but never reads or answers them (requesters time out). */
  hang(name: PeerKey, on = true): void {
    if (on) this.hung.add(name);
    else this.hung.delete(name);
  }

  isHung(name: PeerKey): boolean {
    return this.hung.has(name);
  }

  register(t: MemoryTransport): void {
    if (this.live.has(t.self)) throw new TransportError(`memory transport name ${t.self} is already in use`, "CLOSED");
    this.live.set(t.self, t);
  }

  takeDown(t: MemoryTransport, why: "stop" | "crash"): void {
    if (this.live.get(t.self) !== t) return;
    this.live.delete(t.self);
    const neighbours = [...t.connections];
    t.shutDown();
    for (const n of neighbours) {
      const other = this.live.get(n);
      if (!other) continue;
      other.connections.delete(t.self);
      this.deliver(t.self, n, () => other.emit("peer:disconnect", t.self), true);
    }
    void why;
  }

  private link(a: PeerKey, b: PeerKey): Required<LinkOptions> {
    return this.links.get(pairKey(a, b)) ?? this.defaults;
  }

  private reachable(a: PeerKey, b: PeerKey): MemoryTransport {
    const t = this.live.get(b);
    if (!t || !t.alive) throw new TransportError(`no peer ${b} is listening`, "UNREACHABLE");
    if (this.partitions.has(pairKey(a, b))) throw new TransportError(`${b} is unreachable (partition)`, "UNREACHABLE");
    return t;
  }

  async connect(from: MemoryTransport, to: PeerKey): Promise<void> {
    const target = this.reachable(from.self, to);
    if (from.connections.has(to)) return;
    const { latencyMs } = this.link(from.self, to);
    // A connection takes one round trip (the handshake); loss is not applied to it.
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, 2 * latencyMs));
    if (!from.alive) throw new TransportError("transport stopped", "CLOSED");
    this.reachable(from.self, to);
    if (from.connections.has(to)) return;
    from.connections.add(to);
    target.connections.add(from.self);
    from.emit("peer:connect", to);
    target.emit("peer:connect", from.self);
  }

  private disconnect(a: MemoryTransport, b: MemoryTransport): void {
    a.connections.delete(b.self);
    b.connections.delete(a.self);
    a.emit("peer:disconnect", b.self);
    b.emit("peer:disconnect", a.self);
  }

  async openPipe(client: MemoryTransport, peer: PeerKey, protocol: string, options: RequestOptions): Promise<Pipe> {
    if (options.signal?.aborted) throw new TransportError("request aborted", "CLOSED");
    await this.connect(client, peer);
    if (options.signal?.aborted) throw new TransportError("request aborted", "CLOSED");
    const server = this.reachable(client.self, peer);
    const pipe = new Pipe(this, client, server, protocol, options.maxResponseBytes);
    this.stats.streams++;
    client.pipes.add(pipe);
    server.pipes.add(pipe);
    pipe.setDeadline(options.timeoutMs);
    if (options.signal) {
      const signal = options.signal;
      const onAbort = () => pipe.fail(new TransportError("request aborted", "CLOSED"));
      signal.addEventListener("abort", onAbort, { once: true });
      pipe.response.then(() => signal.removeEventListener("abort", onAbort), () => signal.removeEventListener("abort", onAbort));
    }
    // Protocol selection happens on arrival, one latency later; the stream is usable at once (optimistic select, as libp2p does).
    this.deliver(client.self, peer, () => pipe.accept(server.registration(protocol)), true);
    return pipe;
  }

  /**
   * Runs `action` after the link's latency, unless the delivery is lost.
   * `reliable` deliveries (stream set-up, connection events) are never lost:
   * loss models damaged data, not a missing handshake.
   */
  deliver(from: PeerKey, to: PeerKey, action: () => void, reliable = false): void {
    const { latencyMs, dropRate } = this.link(from, to);
    if (!reliable && dropRate > 0 && this.random() < dropRate) {
      this.stats.dropped++;
      return;
    }
    if (latencyMs > 0) setTimeout(action, latencyMs);
    else setImmediate(action);
  }

  nextMessageId(origin: PeerKey): string {
    return `${origin}:${++this.messageCounter}`;
  }

  forward(from: MemoryTransport, except: PeerKey | undefined, topic: string, id: string, data: Uint8Array): void {
    for (const n of from.connections) {
      if (n === except) continue;
      const other = this.live.get(n);
      if (!other || !other.subscriptions.has(topic)) continue;
      this.deliver(from.self, n, () => other.receiveGossip(from.self, topic, id, data));
    }
  }
}
