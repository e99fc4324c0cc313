/**
 * The node's Transport over js-libp2p 3: TCP + Noise + Yamux, identify,
 * a bootstrap list, optional mDNS, gossipsub for topics, and one
 * length-prefixed request and one response per stream for request/response
 * protocols. Wire rules, limits and the error mapping are in docs/TRANSPORT.md.
 */
import "./polyfills.ts";
import { createLibp2p, type Libp2p, type Libp2pOptions } from "libp2p";
import { tcp } from "@libp2p/tcp";
import { noise } from "@chainsafe/libp2p-noise";
import { yamux } from "@chainsafe/libp2p-yamux";
import { identify, type Identify } from "@libp2p/identify";
import { bootstrap } from "@libp2p/bootstrap";
import { mdns } from "@libp2p/mdns";
import { gossipsub, TopicValidatorResult, type GossipSub } from "@libp2p/gossipsub";
import { createTopicScoreParams, validateTopicScoreParams, type PeerScoreParams } from "@libp2p/gossipsub/score";
import { generateKeyPairFromSeed } from "@libp2p/crypto/keys";
import { peerIdFromPrivateKey, peerIdFromString } from "@libp2p/peer-id";
import { lpStream } from "@libp2p/utils";
import { multiaddr } from "@multiformats/multiaddr";
import type { ComponentLogger, Connection, Logger, PeerId, Stream } from "@libp2p/interface";
import { InboundLimiter, type InboundLimits, type Ticket } from "./inbound-limiter.ts";
import {
  TransportError,
  type PeerKey,
  type ProtocolLimits,
  type RequestHandler,
  type RequestOptions,
  type TopicMessage,
  type Transport,
  type TransportErrorCode,
  type TransportEvents,
  type TransportViolation,
} from "./transport.ts";

export interface Libp2pTransportOptions {
  /** The node's Ed25519 secret seed (32 bytes, `DATA/node.key`); the PeerId is derived from it. */
  seed: Uint8Array;
  /** Multiaddrs to listen on. Default: `/ip4/127.0.0.1/tcp/0` (loopback, a free port). */
  listen?: string[];
  /** Peers to dial at start (multiaddrs ending in `/p2p/<peer id>`); redialled while below the connection floor. */
  bootstrap?: string[];
  /**
   * mDNS discovery (multicast on every interface of the network namespace the
   * process runs in). Off by default and must stay off on a host's own
   * interfaces: enable it only inside a network namespace you created.
   * Discovered peers are dialled.
   */
  mdns?: false | { intervalMs?: number; serviceTag?: string };
  /** Per-peer fairness of inbound requests (defaults: `DEFAULT_INBOUND_LIMITS`). */
  inbound?: Partial<InboundLimits>;
  /** Hard cap on open connections (default 256). */
  maxConnections?: number;
  /** Largest topic message gossipsub will decode (default 64 KiB). Node-level limits are the validator's. */
  maxTopicMessageBytes?: number;
  /** Gossipsub heartbeat (default 1000 ms; tests use less so meshes form quickly). */
  heartbeatIntervalMs?: number;
  /**
   * Requests send multistream-select's header, the protocol and the request in one write instead of
   * waiting for the protocol to be agreed first (default true; docs/TRANSPORT.md §2).
   */
  optimisticSelect?: boolean;
}

/** What `stats()` reports, for `mhr node status` and tests. */
export interface Libp2pTransportStats {
  connections: number;
  inboundStreams: number;
  handlersRunning: number;
  requestsQueued: number;
  violations: Record<TransportViolation, number>;
}

const DEFAULT_LISTEN = ["/ip4/127.0.0.1/tcp/0"];
const DEFAULT_MAX_TOPIC_BYTES = 64 * 1024;
/** Outbound streams per protocol and connection: the caller bounds its own concurrency. */
const MAX_OUTBOUND_STREAMS = 1024;
/** multistream-select 1.0 (what libp2p negotiates every stream's protocol with): its header line, varint-prefixed on the wire. */
const MSS_HEADER_TEXT = "/multistream/1.0.0\n";
const MSS_HEADER = new TextEncoder().encode(MSS_HEADER_TEXT);
/** multistream-select lines are at most 1 KiB. */
const MSS_MAX_LINE = 1024;
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
/** Streams one connection may have open towards us (all protocols, gossipsub and identify included). */
const YAMUX_MAX_INBOUND_STREAMS = 256;
/** A peer that has not finished stream protocol negotiation or the connection handshake by then is cut. */
const NEGOTIATION_TIMEOUT_MS = 5_000;
const UPGRADE_TIMEOUT_MS = 5_000;
/** Rejected topic messages: with this weight three rejections within a few seconds graylist the relaying peer (score < -80). */
const INVALID_MESSAGE_WEIGHT = -10;

type Services = { identify: Identify; pubsub: GossipSub };

/**
 * What the gossipsub 17 class has beyond its exported interface and this
 * transport uses: per-topic score parameters (set when a topic is
 * subscribed) and the score and mesh read-outs. Checked at construction so a
 * library change fails loudly instead of silently disabling peer scoring.
 */
interface GossipSubScoring {
  score: { params: PeerScoreParams };
  getScore(peer: string): number;
  getMeshPeers(topic: string): string[];
}

function scoring(pubsub: GossipSub): GossipSubScoring {
  const s = pubsub as unknown as Partial<GossipSubScoring>;
  if (typeof s.getScore !== "function" || typeof s.getMeshPeers !== "function" || typeof s.score?.params?.topics !== "object") {
    throw new Error("this @libp2p/gossipsub does not expose peer scoring as 17.x does");
  }
  return s as GossipSubScoring;
}

interface Registration {
  limits: ProtocolLimits;
  handler: RequestHandler;
}

interface Subscription {
  validate: (message: TopicMessage) => "accept" | "reject" | "ignore";
  onMessage: (message: TopicMessage) => void;
}

type Listener<E extends keyof TransportEvents> = (detail: TransportEvents[E]) => void;

/** Derives the libp2p PeerId string of a node key seed without starting anything. */
export async function peerKeyFromSeed(seed: Uint8Array): Promise<PeerKey> {
  const key = await generateKeyPairFromSeed("Ed25519", checkSeed(seed));
  return peerIdFromPrivateKey(key).toString();
}

/** Builds (but does not start) a libp2p node for the given identity and options. */
export async function createLibp2pTransport(options: Libp2pTransportOptions): Promise<Libp2pTransport> {
  const privateKey = await generateKeyPairFromSeed("Ed25519", checkSeed(options.seed));
  const listen = options.listen ?? DEFAULT_LISTEN;
  for (const a of [...listen, ...(options.bootstrap ?? [])]) parseAddress(a);
  const discovery: NonNullable<Libp2pOptions["peerDiscovery"]> = [];
  if (options.bootstrap && options.bootstrap.length > 0) discovery.push(bootstrap({ list: options.bootstrap, timeout: 0 }));
  if (options.mdns) discovery.push(mdns({ interval: options.mdns.intervalMs ?? 1000, serviceTag: options.mdns.serviceTag }));
  const libp2p = await createLibp2p<Services>({
    start: false,
    privateKey,
    ...(libp2pDebugRequested() ? {} : { logger: SILENT_LOGGER }),
    addresses: { listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [
      yamux({
        // Streams a client opens before this side has finished upgrading the connection are held as "early";
        // yamux's default of 10 aborts the whole connection of a consumer that dials and at once sends a burst.
        maxEarlyStreams: 64,
        maxInboundStreams: YAMUX_MAX_INBOUND_STREAMS,
      }),
    ],
    peerDiscovery: discovery,
    connectionManager: {
      maxConnections: options.maxConnections ?? 256,
      inboundUpgradeTimeout: UPGRADE_TIMEOUT_MS,
      inboundStreamProtocolNegotiationTimeout: NEGOTIATION_TIMEOUT_MS,
      outboundStreamProtocolNegotiationTimeout: NEGOTIATION_TIMEOUT_MS,
    },
    services: {
      identify: identify(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        maxInboundDataLength: options.maxTopicMessageBytes ?? DEFAULT_MAX_TOPIC_BYTES,
        heartbeatInterval: options.heartbeatIntervalMs ?? 1000,
        // Many honest nodes share 127.0.0.1 in loopback tests and on one host; colocation says nothing there.
        scoreParams: { IPColocationFactorWhitelist: new Set(["127.0.0.1", "::1"]) },
      }),
    },
  });
  return new Libp2pTransport(libp2p, options);
}

export class Libp2pTransport implements Transport {
  readonly self: PeerKey;
  readonly publicKey: Uint8Array | null;
  private state: "new" | "started" | "stopping" | "stopped" = "new";
  private readonly registrations = new Map<string, Registration>();
  private readonly pendingRegistrations: Promise<void>[] = [];
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly listeners: { [E in keyof TransportEvents]: Set<Listener<E>> } = {
    "peer:connect": new Set(),
    "peer:disconnect": new Set(),
    violation: new Set(),
  };
  private readonly limiter: InboundLimiter;
  private readonly inboundLimits: Readonly<InboundLimits>;
  private readonly inboundStreams = new Set<Stream>();
  private readonly peerIds = new Map<string, PeerId>();
  private readonly violationCounts: Record<TransportViolation, number> = { OVERSIZED: 0, SLOW_PEER: 0, MALFORMED_FRAME: 0, RATE_LIMITED: 0 };
  private readonly scoring: GossipSubScoring;
  private readonly connected = new Set<PeerKey>();

  constructor(
    private readonly libp2p: Libp2p<Services>,
    private readonly options: Libp2pTransportOptions,
  ) {
    this.self = libp2p.peerId.toString();
    this.publicKey = ed25519KeyOf(libp2p.peerId);
    this.scoring = scoring(libp2p.services.pubsub);
    this.limiter = new InboundLimiter(options.inbound);
    this.inboundLimits = this.limiter.limits;
    libp2p.addEventListener("peer:connect", (e) => {
      const peer = e.detail.toString();
      this.connected.add(peer);
      this.emit("peer:connect", peer);
    });
    libp2p.addEventListener("peer:disconnect", (e) => {
      const peer = e.detail.toString();
      this.connected.delete(peer);
      this.emit("peer:disconnect", peer);
    });
    if (options.mdns) {
      libp2p.addEventListener("peer:discovery", (e) => {
        if (this.state !== "started" || this.libp2p.getConnections(e.detail.id).length > 0) return;
        this.libp2p.dial(e.detail.id).catch(() => undefined);
      });
    }
    libp2p.services.pubsub.addEventListener("gossipsub:message", (e) => {
      const { msg, propagationSource } = e.detail;
      const sub = this.subscriptions.get(msg.topic);
      if (!sub || this.state !== "started") return;
      try {
        sub.onMessage({ topic: msg.topic, data: plain(msg.data), from: propagationSource.toString() });
      } catch {
        // A throwing listener is a node bug; the transport must keep delivering to the others.
      }
    });
  }

  async start(): Promise<void> {
    if (this.state !== "new") {
      if (this.state === "started") return;
      throw new TransportError("a stopped transport cannot be restarted; create a new one", "CLOSED");
    }
    await this.libp2p.start();
    await Promise.all(this.pendingRegistrations);
    for (const topic of this.subscriptions.keys()) this.libp2p.services.pubsub.subscribe(topic);
    this.state = "started";
  }

  async stop(): Promise<void> {
    if (this.state === "stopped" || this.state === "stopping") return;
    const wasStarted = this.state === "started";
    this.state = "stopping";
    for (const s of this.inboundStreams) s.abort(new Error("transport stopped"));
    this.inboundStreams.clear();
    this.connected.clear();
    if (wasStarted) await this.libp2p.stop();
    this.state = "stopped";
  }

  addresses(): string[] {
    return advertisableAddresses(this.libp2p.getMultiaddrs().map((m) => m.toString()), this.options.listen ?? DEFAULT_LISTEN);
  }

  /** Whether this node multicasts mDNS queries (only when `options.mdns` asked for it). */
  get mdnsEnabled(): boolean {
    return Boolean(this.options.mdns);
  }

  async dial(address: string): Promise<PeerKey> {
    this.assertStarted();
    const ma = parseAddress(address);
    try {
      const connection = await this.libp2p.dial(ma, { signal: AbortSignal.timeout(UPGRADE_TIMEOUT_MS * 2) });
      return connection.remotePeer.toString();
    } catch (err) {
      throw new TransportError(`cannot dial ${address}: ${describe(err)}`, this.state === "started" ? "UNREACHABLE" : "CLOSED");
    }
  }

  peers(): PeerKey[] {
    // Kept from libp2p's connect/disconnect events: the node asks before every request.
    return [...this.connected];
  }

  remoteAddress(peer: PeerKey): string | null {
    if (this.state !== "started" || !this.connected.has(peer)) return null;
    const c = this.libp2p.getConnections(this.peerId(peer)).find((x) => x.status === "open");
    return c ? c.remoteAddr.toString() : null;
  }

  handle(protocol: string, limits: ProtocolLimits, handler: RequestHandler): void {
    if (!(limits.maxRequestBytes >= 0 && limits.readTimeoutMs > 0)) throw new RangeError(`bad limits for ${protocol}`);
    const first = !this.registrations.has(protocol);
    this.registrations.set(protocol, { limits, handler });
    if (!first) return;
    const registered = this.libp2p
      .handle(protocol, (stream, connection) => this.serve(protocol, stream, connection), {
        // libp2p's own cap per connection and protocol (it resets silently) sits well above ours, so ours decides and is reported.
        maxInboundStreams: Math.max(64, 2 * (this.inboundLimits.maxQueuedPerPeer + this.inboundLimits.maxConcurrentPerPeer)),
        maxOutboundStreams: MAX_OUTBOUND_STREAMS,
      })
      .catch((err: unknown) => {
        this.registrations.delete(protocol);
        throw err;
      });
    this.pendingRegistrations.push(registered);
    registered.catch(() => undefined);
  }

  async request(peer: PeerKey, protocol: string, body: Uint8Array, options: RequestOptions): Promise<Uint8Array> {
    this.assertStarted();
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
    let opened: { stream: Stream; optimistic: boolean };
    try {
      opened = await this.openStream(peer, protocol, signal);
    } catch (err) {
      throw this.requestError(err, deadline, options.signal, "UNREACHABLE", `cannot open ${protocol} to ${peer}`);
    }
    const { stream, optimistic } = opened;
    try {
      // The negotiation replies are short lines; the response limit is checked on its own below.
      const maxData = optimistic ? Math.max(options.maxResponseBytes, MSS_MAX_LINE) : options.maxResponseBytes;
      const lp = lpStream(stream, { maxDataLength: maxData, maxBufferSize: 2 * MSS_MAX_LINE + maxData + varintLength(maxData) });
      if (optimistic) {
        // multistream-select header, the protocol and the request in one write: no round trip spent on negotiation.
        await lp.writeV([MSS_HEADER, utf8(`${protocol}\n`), body], { signal });
      } else await lp.write(body, { signal });
      if (optimistic) {
        const header = text((await lp.read({ signal })).subarray());
        if (header !== MSS_HEADER_TEXT) throw new TransportError(`${peer} does not speak multistream-select (${JSON.stringify(header.slice(0, 40))})`, "RESET");
        const agreed = text((await lp.read({ signal })).subarray());
        if (agreed !== `${protocol}\n`) throw new TransportError(`${peer} does not serve ${protocol}`, "UNREACHABLE");
      }
      // Half-closed only after the responder has agreed the protocol: a close that lands while its
      // multistream-select is still reading would end the stream before the request is handed on.
      await stream.close({ signal });
      const response = await lp.read({ signal });
      if (response.byteLength > options.maxResponseBytes) throw new TransportError(`response of ${response.byteLength} bytes exceeds ${options.maxResponseBytes}`, "OVERSIZED");
      return plain(response.subarray());
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
      throw this.requestError(err, deadline, options.signal, "RESET", `${protocol} request to ${peer} failed`);
    }
  }

  subscribe(topic: string, validate: Subscription["validate"], onMessage: Subscription["onMessage"]): void {
    const pubsub = this.libp2p.services.pubsub;
    const topicScoring = createTopicScoreParams({
      topicWeight: 1,
      // Adverts are rare: a quiet but honest mesh peer must not lose score for delivering little.
      meshMessageDeliveriesWeight: 0,
      meshFailurePenaltyWeight: 0,
      timeInMeshWeight: 0.01,
      firstMessageDeliveriesWeight: 1,
      invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
      invalidMessageDeliveriesDecay: 0.9,
    });
    validateTopicScoreParams(topicScoring);
    this.scoring.score.params.topics[topic] = topicScoring;
    this.subscriptions.set(topic, { validate, onMessage });
    pubsub.topicValidators.set(topic, (peer, message) => {
      let verdict: "accept" | "reject" | "ignore";
      try {
        verdict = validate({ topic, data: plain(message.data), from: peer.toString() });
      } catch {
        // Our own bug must not cost an honest peer its score.
        verdict = "ignore";
      }
      return verdict === "accept" ? TopicValidatorResult.Accept : verdict === "reject" ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore;
    });
    if (this.state === "started") pubsub.subscribe(topic);
  }

  async publish(topic: string, data: Uint8Array): Promise<void> {
    this.assertStarted();
    try {
      await this.libp2p.services.pubsub.publish(topic, data);
    } catch (err) {
      throw new TransportError(`publish on ${topic} failed: ${describe(err)}`, this.state === "started" ? "RESET" : "CLOSED");
    }
  }

  on<E extends keyof TransportEvents>(event: E, listener: (detail: TransportEvents[E]) => void): void {
    (this.listeners[event] as Set<Listener<E>>).add(listener);
  }

  // ---- beyond the Transport interface: diagnostics for status and tests ----

  /** Gossipsub's score of a peer (negative after rejected messages; below -80 it is graylisted). */
  peerScore(peer: PeerKey): number {
    return this.scoring.getScore(peer);
  }

  /** Peers in this node's gossipsub mesh for a topic. */
  meshPeers(topic: string): PeerKey[] {
    return this.scoring.getMeshPeers(topic);
  }

  stats(): Libp2pTransportStats {
    return {
      connections: this.libp2p.getConnections().length,
      inboundStreams: this.inboundStreams.size,
      handlersRunning: this.limiter.running(),
      requestsQueued: this.limiter.queued(),
      violations: { ...this.violationCounts },
    };
  }

  /** The underlying libp2p node, for diagnostics only: the node's logic must stay on the Transport interface. */
  get node(): Libp2p<Services> {
    return this.libp2p;
  }

  // ---- internals ----

  /**
   * A stream for one request. When the connection's muxer can be reached it
   * opens a bare muxed stream and the caller negotiates optimistically
   * (multistream-select's header, the protocol and the request sent at once,
   * the replies read before the response), which saves the negotiation round
   * trip of `newStream` and its peer-store write on every request; the
   * responder sees an ordinary multistream-select exchange followed by data.
   * Otherwise it falls back to libp2p's own negotiation.
   */
  private async openStream(peer: PeerKey, protocol: string, signal: AbortSignal): Promise<{ stream: Stream; optimistic: boolean }> {
    const id = this.peerId(peer);
    let connection = this.libp2p.getConnections(id).find((c) => c.status === "open");
    connection ??= await this.libp2p.dial(id, { signal });
    const muxer = (connection as unknown as { muxer?: { status?: string; createStream?: (o?: object) => Promise<Stream> } }).muxer;
    if (this.options.optimisticSelect !== false && muxer?.status === "open" && typeof muxer.createStream === "function" && connection.limits == null) {
      return { stream: await muxer.createStream({}), optimistic: true };
    }
    return { stream: await connection.newStream(protocol, { signal, maxOutboundStreams: MAX_OUTBOUND_STREAMS }), optimistic: false };
  }


  private async serve(protocol: string, stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString();
    // Noise proved the remote end holds this key: what the node binds a signed request's signer to.
    const fromKey = ed25519KeyOf(connection.remotePeer);
    const registration = this.registrations.get(protocol);
    if (!registration || this.state !== "started") {
      stream.abort(new Error("not serving"));
      return;
    }
    const { limits, handler } = registration;
    const ticket = this.limiter.admit(from);
    if (typeof ticket === "string") {
      stream.abort(new Error(`too many requests from ${from} (${ticket})`));
      this.violation(from, protocol, "RATE_LIMITED");
      return;
    }
    this.inboundStreams.add(stream);
    const closed = new Promise<void>((resolve) => stream.addEventListener("close", () => resolve(), { once: true }));
    try {
      const lp = lpStream(stream, { maxDataLength: limits.maxRequestBytes, maxBufferSize: limits.maxRequestBytes + varintLength(limits.maxRequestBytes) });
      let body: Uint8Array;
      const readDeadline = AbortSignal.timeout(limits.readTimeoutMs);
      try {
        body = plain((await lp.read({ signal: readDeadline })).subarray());
      } catch (err) {
        // A sender that resets its own stream has withdrawn the request: nothing to report.
        const kind = stream.status === "reset" ? null : inboundViolation(err, readDeadline);
        stream.abort(err instanceof Error ? err : new Error(String(err)));
        if (kind) this.violation(from, protocol, kind);
        return;
      }
      this.limiter.request(ticket as Ticket);
      const granted = await Promise.race([ticket.ready.then(() => true), closed.then(() => false)]);
      if (!granted || this.state !== "started") return;
      let response: Uint8Array;
      try {
        response = await handler({ protocol, from, fromKey, body });
      } catch (err) {
        stream.abort(new Error(`handler for ${protocol} failed: ${describe(err)}`));
        return;
      }
      // A peer that stops reading its response is cut after the same time it was given to send its request.
      const writeDeadline = AbortSignal.timeout(limits.readTimeoutMs);
      await lp.write(response, { signal: writeDeadline });
      await stream.close({ signal: writeDeadline });
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)));
    } finally {
      ticket.release();
      this.inboundStreams.delete(stream);
    }
  }

  private violation(from: PeerKey, protocol: string, kind: TransportViolation): void {
    this.violationCounts[kind]++;
    this.emit("violation", { from, protocol, kind });
  }

  private emit<E extends keyof TransportEvents>(event: E, detail: TransportEvents[E]): void {
    for (const listener of this.listeners[event] as Set<Listener<E>>) {
      try {
        listener(detail);
      } catch {
        // Listeners are the node's; one throwing must not stop the transport or the other listeners.
      }
    }
  }

  private peerId(peer: PeerKey): PeerId {
    let id = this.peerIds.get(peer);
    if (!id) {
      try {
        id = peerIdFromString(peer);
      } catch {
        throw new TransportError(`not a peer id: ${peer}`, "UNREACHABLE");
      }
      if (this.peerIds.size > 10_000) this.peerIds.clear();
      this.peerIds.set(peer, id);
    }
    return id;
  }

  private assertStarted(): void {
    if (this.state !== "started") throw new TransportError(`transport is ${this.state === "new" ? "not started" : "stopped"}`, "CLOSED");
  }

  private requestError(err: unknown, deadline: AbortSignal, callerSignal: AbortSignal | undefined, fallback: TransportErrorCode, what: string): TransportError {
    if (err instanceof TransportError) return err;
    let code: TransportErrorCode = fallback;
    let why = describe(err);
    // A caller's abort is its own decision (e.g. enough redundant results arrived): CLOSED, never the peer's TIMEOUT.
    if (this.state !== "started" || callerSignal?.aborted) {
      code = "CLOSED";
      if (callerSignal?.aborted) why = "aborted by the caller";
    } else if (deadline.aborted) {
      code = "TIMEOUT";
      why = "deadline passed";
    } else if (isOversized(err)) code = "OVERSIZED";
    else if (errorName(err) === "UnsupportedProtocolError") code = "UNREACHABLE";
    return new TransportError(`${what}: ${why}`, code);
  }
}

/**
 * libp2p creates a debug logger per connection, stream and negotiation and
 * asks the terminal each time whether it is a TTY: on the request path that
 * was about 5% of the CPU time. Unless DEBUG asks for libp2p's logs, it gets
 * loggers that do nothing.
 */
function libp2pDebugRequested(): boolean {
  return /libp2p/.test(process.env.DEBUG ?? "");
}

const SILENT: Logger = Object.assign(() => undefined, {
  error: () => undefined,
  trace: () => undefined,
  enabled: false,
  newScope: (): Logger => SILENT,
});
const SILENT_LOGGER: ComponentLogger = { forComponent: () => SILENT };

/** The raw 32-byte Ed25519 key a PeerId carries (null for other key types). */
function ed25519KeyOf(id: PeerId): Uint8Array | null {
  return id.type === "Ed25519" && id.publicKey ? plain(id.publicKey.raw) : null;
}

function checkSeed(seed: Uint8Array): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new RangeError("the node key seed must be 32 bytes");
  return seed;
}

function parseAddress(address: string) {
  try {
    return multiaddr(address);
  } catch (err) {
    throw new TransportError(`not a multiaddr: ${address} (${describe(err)})`, "UNREACHABLE");
  }
}

/**
 * The addresses worth telling other hosts: loopback and wildcard addresses
 * are dropped, unless every listen address is loopback (a node on one host,
 * as in the tests), when loopback is all there is.
 */
export function advertisableAddresses(addresses: string[], listen: string[]): string[] {
  if (listen.every((a) => isLoopback(a))) return addresses;
  return addresses.filter((a) => !isLoopback(a) && !a.startsWith("/ip4/0.0.0.0/") && !a.startsWith("/ip6/::/"));
}

function isLoopback(address: string): boolean {
  return /^\/ip4\/127\./.test(address) || address.startsWith("/ip6/::1/");
}

function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    len++;
  }
  return len;
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "";
}

function isOversized(err: unknown): boolean {
  const name = errorName(err);
  return name === "InvalidDataLengthError" || name === "InvalidDataLengthLengthError" || name === "StreamBufferError";
}

/** Maps a failed request read to the violation it is, or null when the peer only went away (reset, close). */
function inboundViolation(err: unknown, deadline: AbortSignal): TransportViolation | null {
  if (isOversized(err)) return "OVERSIZED";
  if (deadline.aborted) return "SLOW_PEER";
  const name = errorName(err);
  if (name === "InvalidMessageLengthError" || name === "UnexpectedEOFError") return "MALFORMED_FRAME";
  return null;
}

/** Node's Buffer (what uint8arraylist hands out) as a plain Uint8Array view: Buffer's slice() and toString() differ. */
function plain(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
