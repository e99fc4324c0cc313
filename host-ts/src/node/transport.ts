/**
 * The seam between the mesh node's logic and the network it runs on.
 *
 * The node (adverts, negotiation, execution, verification, channels) speaks
 * only this interface; `libp2p-transport.ts` implements it over js-libp2p 3
 * (TCP + Noise + Yamux, identify, bootstrap, optional mDNS, gossipsub) and
 * `memory-transport.ts` implements it in one process (unit tests and the
 * 1,000-node simulation run the real node code over it). Both pass the same
 * conformance suite (host-ts/test/node/transport-conformance.ts).
 *
 * Everything crossing this interface is bytes: the codecs, signatures and
 * error codes of docs/NODE.md live above it, so a transport can never
 * interpret, forge or drop a message silently on the node's behalf.
 */

/** A peer as the transport knows it: libp2p's PeerId string, or the memory transport's name. */
export type PeerKey = string;

/** Hard limits a protocol handler is registered with (docs/NODE.md, "Size limits and timeouts"). */
export interface ProtocolLimits {
  /** A request longer than this is not read: the stream is reset and `onViolation` reports `OVERSIZED`. */
  maxRequestBytes: number;
  /** A peer that opens a stream and does not finish its request within this time is cut off (`SLOW_PEER`). */
  readTimeoutMs: number;
}

/**
 * Why the transport refused a stream before the handler saw a whole request.
 * `RATE_LIMITED`: the peer already had as many requests in the node as its
 * per-peer limits allow (or spent its rate budget); the stream is reset unread.
 */
export type TransportViolation = "OVERSIZED" | "SLOW_PEER" | "MALFORMED_FRAME" | "RATE_LIMITED";

export interface InboundRequest {
  protocol: string;
  from: PeerKey;
  /**
   * The 32-byte Ed25519 public key the transport authenticated for `from`:
   * on libp2p the key the Noise handshake proved (the remote PeerId's key),
   * on the memory transport the key its owner created it with. `null` when
   * the transport knows no key for the peer (a memory transport created
   * without one, a non-Ed25519 libp2p peer): the node then refuses every
   * signed request from it (docs/NODE.md §3.5, `PEER_MISMATCH`).
   */
  fromKey: Uint8Array | null;
  body: Uint8Array;
}

/**
 * A handler returns the response bytes (an encoded node message, possibly an
 * error message). Throwing is a bug in the handler: the transport resets the
 * stream and logs it, and the node keeps running.
 */
export type RequestHandler = (request: InboundRequest) => Promise<Uint8Array>;

export interface RequestOptions {
  /** Whole request/response deadline. */
  timeoutMs: number;
  /** A response longer than this is not read; the request fails with `TransportError` code `OVERSIZED`. */
  maxResponseBytes: number;
  signal?: AbortSignal;
}

export interface TopicMessage {
  topic: string;
  data: Uint8Array;
  /** The peer that relayed it to us (not necessarily its author: adverts carry their own signature). */
  from: PeerKey;
}

export interface TransportEvents {
  "peer:connect": PeerKey;
  "peer:disconnect": PeerKey;
  violation: { from: PeerKey; protocol: string; kind: TransportViolation };
}

export interface Transport {
  /** This node's transport identity (the libp2p PeerId derived from the node's Ed25519 key). */
  readonly self: PeerKey;
  /** This node's own Ed25519 public key as its peers see it in `InboundRequest.fromKey` (null: none). */
  readonly publicKey: Uint8Array | null;
  start(): Promise<void>;
  /** Closes every connection and stream; idempotent. */
  stop(): Promise<void>;
  /** Addresses others can dial this node at (multiaddr strings, `/p2p/<self>` included). */
  addresses(): string[];
  /** Connects to an address and returns the peer's key. */
  dial(address: string): Promise<PeerKey>;
  /** Peers with an open connection now. */
  peers(): PeerKey[];
  /**
   * The multiaddr this node sees an open connection to `peer` come from (the
   * observed remote address, which the peer cannot choose as it chooses what
   * it advertises), or null when there is no connection or the transport has
   * no network addresses (the memory transport).
   */
  remoteAddress(peer: PeerKey): string | null;

  /** One request/response protocol: one length-prefixed request, one length-prefixed response per stream. */
  handle(protocol: string, limits: ProtocolLimits, handler: RequestHandler): void;
  request(peer: PeerKey, protocol: string, body: Uint8Array, options: RequestOptions): Promise<Uint8Array>;

  /** Publish-subscribe (gossipsub on libp2p). `validate` runs before a message is forwarded to other peers. */
  subscribe(topic: string, validate: (message: TopicMessage) => "accept" | "reject" | "ignore", onMessage: (message: TopicMessage) => void): void;
  publish(topic: string, data: Uint8Array): Promise<void>;

  on<E extends keyof TransportEvents>(event: E, listener: (detail: TransportEvents[E]) => void): void;
}

export type TransportErrorCode = "TIMEOUT" | "OVERSIZED" | "UNREACHABLE" | "RESET" | "CLOSED";

/** A network failure, as opposed to a peer's (signed) error reply. */
export class TransportError extends Error {
  constructor(message: string, readonly code: TransportErrorCode) {
    super(message);
    this.name = "TransportError";
  }
}
