/**
 * The mesh compute node (docs/NODE.md): one object that owns an identity, a
 * durable store, a transport, its executors, the advert book and the
 * consumer and provider sides, and answers `submit` the same way whether the
 * job runs here or on a neighbour.
 *
 *   const node = await MeshNode.start({ dataDir, profile: "community", transport: (id) => net.transport("a", { publicKey: id.publicKey }) });
 *   const out = await node.submit({ job }, { proof: parseProof("redundant:2-of-3") });
 *   node.status(); await node.stop();
 */
import { randomBytes } from "node:crypto";
import { bytesToHex } from "../model/bytes.ts";
import { resultHashOf } from "../model/engine.ts";
import {
  CpuClass,
  NodeErrorCode,
  NodeLimit,
  PrivacyTier,
  ProofKind,
  Protocol,
  Topic,
  WasmTier,
  type MessageName,
  type NodeAdvert,
  type RequestProtocolInfo,
} from "../generated/node-protocol.ts";
import { ensureDataDir, loadOrCreateIdentity, randomIdentity, type NodeIdentity } from "./identity.ts";
import { NodeStore } from "./store.ts";
import { Counters } from "./stats.ts";
import { AdvertBook, peerKeyOf, type HeldAdvert } from "./adverts.ts";
import { encodeAdvert, functionIdOf, readStoredAdvert } from "./messages/advert.ts";
import { decodeSyncRequest, decodeSyncResponse, encodeSyncRequest, encodeSyncResponse } from "./messages/advert-sync.ts";
import { encodeErrorReply, errorReplyFrom } from "./messages/error-reply.ts";
import { decodeChannelRequest } from "./messages/channel-messages.ts";
import { encodeFunctionCall } from "./messages/execution-messages.ts";
import { ProtocolError, fail } from "./wire/protocol-error.ts";
import type { Decoded } from "./wire/schema-codec.ts";
import { exchange } from "./peer-client.ts";
import { RateLimiter, type RateLimitOptions } from "./rate-limit.ts";
import { Reputation } from "./reputation.ts";
import { AdvertSeq } from "./advert-seq.ts";
import { Backoff, type BackoffEntry } from "./backoff.ts";
import { Channels } from "./channels.ts";
import { Executor, type LocalRun } from "./executor.ts";
import { FunctionRegistry, functionId, type OpaqueFunction } from "./functions/opaque-function.ts";
import { BUILTIN_FUNCTIONS } from "./functions/builtin.ts";
import { Provider, type LieOption } from "./provider.ts";
import { Consumer, proofText, type Attempt, type ProofChoice, type Progress } from "./consumer.ts";
import { classifyJob, functionJobInfo, type JobInfo } from "./job-info.ts";
import { getProfile, type NodeProfile } from "./profiles.ts";
import { ControlServer } from "./control-api.ts";
import { TransportError, type InboundRequest, type PeerKey, type Transport } from "./transport.ts";
import { MarketLimit } from "../generated/private-protocol.ts";
import { PrivateHost, type PrivateTiers } from "./private/provider-host.ts";
import { PrivateClient, type PrivateOutcome, type PrivateRequest } from "./private/consumer-client.ts";
import { SplitModels } from "./private/split-models.ts";
import { privacyOffers, tierPrice } from "./private/pricing.ts";

export interface NodeOptions {
  /** Data directory (key, database, control socket), or ":memory:" for a node that keeps nothing (simulations). */
  dataDir: string;
  /** A profile name from profiles/ or a profile object. */
  profile: string | NodeProfile;
  /** MHR-Byte engine: as, native, reference, board:qemu-rv32, board:qemu-lx106, board:host, board:PORT (default: the profile's). */
  engine?: string;
  /** Builds the transport from the node's identity (the libp2p PeerId is derived from the same key); see transport-factory.ts. */
  transport: (identity: NodeIdentity) => Transport | Promise<Transport>;
  /** Addresses dialled on start. */
  bootstrap?: string[];
  /** Addresses put in the advert instead of the transport's own. */
  announce?: string[];
  /** cost_per_million_cycles this node asks, milli-µMHR (D5; default 1000 = 1 µMHR per 10^6 cycles). */
  price?: bigint;
  /** Opaque functions offered (default: the built-in ones). */
  functions?: readonly OpaqueFunction[];
  /** µMHR per call, by function name. */
  functionPrices?: Record<string, bigint>;
  /** Node-config credit that funds channel deposits, µMHR (set on first start; default 10^7). */
  credit?: bigint;
  /** Deposit of each new channel, µMHR (default 10^5). */
  channelDeposit?: bigint;
  /** Most this node pays: milli-µMHR per 10^6 cycles (default 10^5) and µMHR per call (default 10^3). */
  maxPrice?: bigint;
  maxPricePerCall?: bigint;
  /** Proof method when a submit names none (D10: result-hash). */
  defaultProof?: ProofChoice;
  /** compute_score below which providers are not chosen (default 2500). */
  scoreThreshold?: number;
  /** Private tiers this node offers as a provider (docs/PRIVATE.md, Marketplace integration; default none). */
  privacy?: PrivateTiers;
  /** Prepare the private tiers' models right after start instead of on the first job (the daemon does). */
  privateWarm?: boolean;
  /** Longest a SecretShared job may take, ms (default PRIVATE_SESSION_MS). */
  privateSessionMs?: number;
  /** µMHR per private job at price factor 1000 (default MarketLimit.DEFAULT_BASE_PRICE); each tier's price is this times its factor. */
  privatePrice?: bigint;
  /** Proof methods this node accepts as a provider (default all four). */
  proofMethods?: number[];
  advertIntervalMs?: number;
  advertTtlMs?: number;
  rateLimit?: RateLimitOptions;
  agreementDurationS?: number;
  executeTimeoutMs?: number;
  /** How long `stop()` waits for payments and requests in flight before it closes the store (default CHANNEL_MS). */
  stopGraceMs?: number;
  wasmWallClockMs?: number;
  /** Serve the owner-only control socket in the data dir (default: true unless dataDir is ":memory:"). */
  control?: boolean;
  /** Clock, ms since the Unix epoch (tests move it). */
  now?: () => number;
  /** A fixed identity (":memory:" nodes; otherwise the key file decides). */
  identity?: NodeIdentity;
  log?: (line: string) => void;
  /** TEST ONLY (docs/NODE.md §12). */
  testing?: {
    /** Make this provider return wrong results with consistent hashes. */
    lie?: LieOption;
    /** Called at the crash points of docs/NODE.md §11.2. */
    crashPoint?: (point: string) => void;
    random?: () => number;
  };
}

export type SubmitRequest = { job: Uint8Array } | { function: string; input: Uint8Array };

export interface SubmitOptions {
  proof?: ProofChoice;
  /** auto (default): here when this node can, else delegated; local: only here; delegate: never here. */
  placement?: "auto" | "local" | "delegate";
  progress?: Progress;
}

export interface SubmitOutcome {
  jobId: string;
  jobHash: string;
  kind: JobInfo["kind"];
  resultBytes: Uint8Array;
  /** Final state encoding, when the engine that ran it reports one. */
  state?: Uint8Array;
  resultHash: Uint8Array;
  status: number;
  cycles: bigint;
  ranOn: "local" | "delegated";
  /** Hex NodeIDs of the nodes whose result this is. */
  providers: string[];
  proof: string;
  /** µMHR paid for the job, once its payments are acknowledged (or left pending for a resend); 0 for a local run. Never rejects. */
  payments: Promise<bigint>;
  attempts: Attempt[];
  /** "result", or a local outcome of the WASM tier returned because no provider could take the job. */
  outcome: LocalRun["outcome"];
}

export interface NodeStatus {
  nodeId: string;
  publicKey: string;
  profile: string;
  engine: string;
  wasm: string;
  addresses: string[];
  peers: string[];
  load: number;
  credit: string;
  adverts: { nodeId: string; seq: string; expiresInMs: number; price: string; mhrByte: boolean; wasm: string; functions: string[]; privacy: string[]; load: number; score: number }[];
  channels: ReturnType<Channels["summaries"]>;
  reputation: ReturnType<Reputation["all"]>;
  /** Providers backed off after an outage (§7.8). */
  backoff: BackoffEntry[];
  journal: { jobId: string; role: string; kind: string; ranOn: string; providers: string[]; proof: string; resultHash: string | null; cycles: string | null; cost: string | null; detail: string | null; receivedAt: number }[];
  counters: Record<string, number>;
}

const WASM_NAMES = ["none", "light", "full"];
const TIER_NAMES: Record<number, string> = { [PrivacyTier.SplitInference]: "split", [PrivacyTier.SecretShared]: "shared", [PrivacyTier.TEE]: "tee" };
const DEFAULT_DEPOSIT = 100_000n;
const REPUBLISH_AFTER_CONNECT_MS = 1500;

export class MeshNode {
  readonly identity: NodeIdentity;
  readonly store: NodeStore;
  private transportImpl: Transport | null = null;
  readonly counters = new Counters();
  readonly adverts: AdvertBook;
  readonly reputation: Reputation;
  /** Providers not chosen for a while after an outage (docs/NODE.md §7.8). */
  readonly backoff: Backoff;
  readonly channels: Channels;
  /** This node's advert sequence numbers (docs/NODE.md §5.1). */
  readonly advertSeq: AdvertSeq;
  readonly executor: Executor;
  readonly provider: Provider;
  readonly consumer: Consumer;
  readonly functions: FunctionRegistry;
  readonly profile: NodeProfile;
  readonly privateHost: PrivateHost;
  readonly privateClient: PrivateClient;
  private readonly models = new SplitModels();
  /** NodeID of the peer that relayed each node's advert to us, when it was not the node itself (the SecretShared rule's introducer). */
  private readonly introducers = new Map<string, Uint8Array>();
  private readonly now: () => number;
  private readonly limiter: RateLimiter;
  private readonly log: (line: string) => void;
  private advertTimer: ReturnType<typeof setInterval> | null = null;
  private control: ControlServer | null = null;
  private stopping = false;
  /** Payments of delegated jobs still being acknowledged. */
  private readonly inflight = new Set<Promise<bigint>>();
  /** Set by the daemon: what a `stop` request on the control API does. */
  onStopRequest?: () => void;
  /** Transport peers of NodeIDs, from the adverts seen (expired ones too: a pending payment still needs its payee). */
  private readonly peerOf = new Map<string, { peer: PeerKey; addresses: string[] }>();
  /** The NodeID (hex) of each transport peer, the other way round (O(1) per gossip message). */
  private readonly nodeOfPeer = new Map<PeerKey, string>();

  private constructor(private readonly o: NodeOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
    const memory = o.dataDir === ":memory:";
    if (!memory) ensureDataDir(o.dataDir);
    this.identity = o.identity ?? (memory ? randomIdentity() : loadOrCreateIdentity(o.dataDir));
    this.store = new NodeStore(o.dataDir);
    this.profile = typeof o.profile === "string" ? getProfile(o.profile) : o.profile;
    this.functions = new FunctionRegistry(o.functions ?? BUILTIN_FUNCTIONS);
    this.limiter = new RateLimiter(o.rateLimit ?? { perSecond: NodeLimit.RATE_LIMIT_PER_SECOND, burst: NodeLimit.RATE_LIMIT_BURST }, this.now);
    this.reputation = new Reputation(this.store, this.now, o.scoreThreshold);
    this.backoff = new Backoff(this.now);
    this.advertSeq = new AdvertSeq(this.store);
    this.adverts = new AdvertBook(this.store, this.now, this.counters, this.identity.nodeId);
    for (const row of this.store.adverts()) this.learnPeerFromBytes(row.bytes);
    this.channels = new Channels({
      store: this.store, identity: this.identity, now: this.now, deposit: o.channelDeposit ?? DEFAULT_DEPOSIT, crashPoint: o.testing?.crashPoint,
      send: (peer, request, expected) => this.callNode(peer, Protocol.CHANNEL, request, expected),
    });
    this.channels.initCredit(o.credit ?? 10_000_000n);
    this.executor = new Executor({ profile: this.profile, engine: o.engine, functions: this.functions, wasmWallClockMs: o.wasmWallClockMs });
    this.provider = new Provider({
      identity: this.identity, store: this.store, executor: this.executor, functions: this.functions, now: this.now, counters: this.counters,
      pricing: { costPerMillionCycles: o.price ?? 1000n, functionPrices: new Map(Object.entries(o.functionPrices ?? {})) },
      proofMethods: o.proofMethods ?? [ProofKind.ResultHash, ProofKind.Redundant, ProofKind.SpotCheck, ProofKind.Reputation],
      lie: o.testing?.lie, random: o.testing?.random, crashPoint: o.testing?.crashPoint,
      privatePrice: (tier) => (this.offersTier(tier) ? tierPrice(this.privateBase, tier) : undefined),
      privateRoom: () => this.privateHost.openJobs < MarketLimit.MAX_OPEN_JOBS,
    });
    this.consumer = new Consumer({
      identity: this.identity, store: this.store, adverts: this.adverts, reputation: this.reputation, backoff: this.backoff, channels: this.channels, counters: this.counters,
      now: this.now, call: (h, protocol, request, expected, timeoutMs) => this.callAdvert(h, protocol, request, expected, timeoutMs),
      addressOf: (h) => {
        const peer = peerKeyOf(h.advert);
        return (peer !== undefined ? this.transportImpl?.remoteAddress(peer) : null) ?? h.advert.addresses[0];
      },
      maxPrice: o.maxPrice ?? 100_000n, maxPricePerCall: o.maxPricePerCall ?? 1000n,
      agreementDurationS: o.agreementDurationS ?? NodeLimit.DEFAULT_AGREEMENT_DURATION_S, executeTimeoutMs: o.executeTimeoutMs ?? Protocol.EXECUTE.timeoutMs,
      random: o.testing?.random,
    });
    const send = (nodeId: Uint8Array, message: Uint8Array) => this.callNode(nodeId, Protocol.PRIVATE, message, ["PrivateReply"]);
    this.privateHost = new PrivateHost({
      identity: this.identity, store: this.store, provider: this.provider, counters: this.counters, now: this.now, tiers: o.privacy ?? {}, models: this.models,
      send, inbox: (d, body) => this.privateClient.inbox(d, body), log: this.log,
    });
    this.privateClient = new PrivateClient({
      identity: this.identity, store: this.store, adverts: this.adverts, reputation: this.reputation, channels: this.channels, consumer: this.consumer,
      counters: this.counters, now: this.now, send, models: this.models, maxPricePerCall: o.maxPricePerCall ?? 1000n,
      introducerOf: (id) => this.introducerOf(id), log: this.log, sessionMs: o.privateSessionMs,
    });
  }

  private get privateBase(): bigint {
    return this.o.privatePrice ?? BigInt(MarketLimit.DEFAULT_BASE_PRICE);
  }

  private offersTier(tier: number): boolean {
    const p = this.o.privacy ?? {};
    return tier === PrivacyTier.SplitInference ? !!p.split : tier === PrivacyTier.SecretShared ? !!p.shared : tier === PrivacyTier.TEE ? !!p.tee : false;
  }

  /** The private tiers this node offers, with their prices (for `mhr node start`). */
  privacyTierNames(): string[] {
    return [PrivacyTier.SplitInference, PrivacyTier.SecretShared, PrivacyTier.TEE].filter((t) => this.offersTier(t)).map((t) => `${TIER_NAMES[t]} ${tierPrice(this.privateBase, t)} µMHR`);
  }

  /** What the TEE backend is (a REPLAY TEST DOUBLE says so), when this node offers TEE. */
  get teeDescription(): string | undefined {
    return this.o.privacy?.tee?.description;
  }

  /**
   * The SecretShared rule's introducer of a node (PRIVATE.md §2.10): none while this node is connected to it directly
   * (it reaches it itself), else the peer that relayed its latest accepted advert, when that was not the node itself.
   */
  private introducerOf(nodeId: Uint8Array): Uint8Array | undefined {
    const id = bytesToHex(nodeId);
    const known = this.peerOf.get(id);
    if (known && this.transportImpl?.peers().includes(known.peer)) return undefined;
    return this.introducers.get(id);
  }

  /** Records who relayed an accepted advert, unless its author sent it itself. */
  private noteIntroducer(a: NodeAdvert, from: PeerKey): void {
    const relay = this.nodeOfPeer.get(from);
    if (relay && relay !== bytesToHex(a.nodeId)) this.introducers.set(bytesToHex(a.nodeId), Uint8Array.from(Buffer.from(relay, "hex")));
    else if (relay) this.introducers.delete(bytesToHex(a.nodeId));
  }

  /** Creates, starts and announces a node. */
  static async start(o: NodeOptions): Promise<MeshNode> {
    const node = new MeshNode(o);
    try {
      node.transportImpl = await o.transport(node.identity);
      await node.begin();
    } catch (e) {
      await node.stop().catch(() => {});
      throw e;
    }
    return node;
  }

  get transport(): Transport {
    if (!this.transportImpl) throw new Error("the node has no transport yet");
    return this.transportImpl;
  }

  get nodeId(): string {
    return bytesToHex(this.identity.nodeId);
  }

  private async begin(): Promise<void> {
    const t = this.transport;
    this.register(Protocol.ADVERT_SYNC, async (req) => {
      const max = decodeSyncRequest(req.body);
      const own = this.ownAdvertBytes;
      return encodeSyncResponse([...(own ? [own] : []), ...this.adverts.list().map((h) => h.bytes)], max);
    });
    this.register(Protocol.NEGOTIATE, async (req) => this.provider.handleRequest(req.body, req.fromKey));
    this.register(Protocol.EXECUTE, async (req) => this.provider.handleExecute(req.body, req.fromKey));
    this.register(Protocol.PRIVATE, async (req) => this.privateHost.handle(req.body, req.fromKey));
    this.register(Protocol.CHANNEL, async (req) => {
      const d = decodeChannelRequest(req.body);
      return this.channels.handle(d, (agreementId, jobId) => this.provider.executionUnits(agreementId, jobId), req.fromKey);
    });
    t.subscribe(Topic.ADVERTS.id, (m) => {
      if (this.limiter.take(`gossip:${m.from}`) > 0) {
        this.counters.inc("adverts.rate_limited");
        return "ignore";
      }
      if (m.data.length > Topic.ADVERTS.maxBytes) {
        this.counters.inc("adverts.rejected.OVERSIZED");
        return "reject";
      }
      const v = this.adverts.receive(m.data);
      if (v.result === "accepted") {
        this.learnPeer(v.advert);
        this.noteIntroducer(v.advert, m.from);
      }
      return v.result === "accepted" ? "accept" : v.result === "duplicate" ? "ignore" : "reject";
    }, () => {});
    t.on("peer:connect", (peer) => void this.onConnect(peer));
    t.on("violation", (v) => this.counters.inc(`violations.${v.kind}`));
    await t.start();
    if (this.profile.mhrByte) await this.executor.warm();
    if (this.o.dataDir !== ":memory:" && this.o.control !== false) {
      this.control = new ControlServer(this.o.dataDir, this);
      await this.control.listen();
    }
    for (const addr of this.o.bootstrap ?? []) {
      try {
        await t.dial(addr);
      } catch (e) {
        this.log(`bootstrap ${addr}: ${(e as Error).message}`);
      }
    }
    await this.publishAdvert();
    const interval = this.o.advertIntervalMs ?? NodeLimit.DEFAULT_ADVERT_INTERVAL_MS;
    this.advertTimer = setInterval(() => void this.publishAdvert().catch((e) => this.log(`advert: ${(e as Error).message}`)), interval);
    this.advertTimer.unref?.();
    // Settling resumes: unacknowledged updates are resent, then what a previous run left owed is paid (§11.2 rules 4, 6).
    void this.channels.resumeAll().then(() => this.consumer.payOwed()).catch(() => {});
    if (this.o.privateWarm && this.o.privacy) setImmediate(() => this.privateHost.warm());
  }

  /** Registers a request handler behind the rate limit and the error-code wrapper: network input never throws out of it. */
  private register(p: RequestProtocolInfo, handler: (req: InboundRequest) => Promise<Uint8Array>): void {
    this.transport.handle(p.id, { maxRequestBytes: p.maxRequestBytes, readTimeoutMs: p.readTimeoutMs }, async (req) => {
      const wait = this.limiter.take(req.from);
      if (wait > 0) {
        this.counters.inc("requests.rejected.RATE_LIMITED");
        return encodeErrorReply(NodeErrorCode.RATE_LIMITED, `more than the per-peer rate; retry in ${wait} ms`, wait);
      }
      if (this.stopping) return encodeErrorReply(NodeErrorCode.SHUTTING_DOWN, "the node is stopping");
      try {
        const out = await handler(req);
        this.counters.inc(`requests.served.${p.id}`);
        return out;
      } catch (e) {
        if (e instanceof ProtocolError) {
          this.counters.inc(`requests.rejected.${e.codeName}`);
          return errorReplyFrom(e);
        }
        this.counters.inc("requests.rejected.INTERNAL");
        this.log(`${p.id}: ${(e as Error).stack ?? String(e)}`);
        return encodeErrorReply(NodeErrorCode.INTERNAL, "internal error (logged)");
      }
    });
  }

  private ownAdvertBytes: Uint8Array | null = null;

  /** The advert this node publishes now (seq + 1, expiry now + TTL). */
  buildAdvert(): Uint8Array {
    const p = this.profile;
    // Reserved in blocks, each committed before its first seq leaves: a restarted node never reuses a seq (advert-seq.ts).
    const seq = this.advertSeq.take();
    const now = this.now();
    const max = p.maxConcurrentJobs;
    const advert: NodeAdvert = {
      nodeId: this.identity.nodeId, publicKey: this.identity.publicKey, seq, issuedAt: BigInt(now),
      expiresAt: BigInt(now + (this.o.advertTtlMs ?? NodeLimit.DEFAULT_ADVERT_TTL_MS)),
      addresses: (this.o.announce ?? this.transport.addresses()).slice(0, 16),
      compute: {
        cpuClass: CpuClass[p.cpuClass], availableMemoryMb: p.availableMemoryMb, mhrByte: p.mhrByte !== null,
        wasmTier: (p.wasm === "full" ? WasmTier.Full : p.wasm === "light" ? WasmTier.Light : WasmTier.None) as NodeAdvert["compute"]["wasmTier"],
        price: { costPerMillionCycles: this.o.price ?? 1000n, maxCycles: BigInt(p.mhrByte?.maxCycles ?? 0) },
        limits: { maxMemory: p.mhrByte?.maxMemory ?? 0, maxStateSize: p.mhrByte?.maxStateSize ?? 0, maxJobBytes: p.mhrByte?.maxJobBytes ?? 0, maxConcurrent: max },
        offeredFunctions: this.functions.all().slice(0, 32).map((f) => ({
          functionId: functionIdOf(f.name), name: f.name, description: f.description.slice(0, 200),
          cost: { costPerCall: this.o.functionPrices?.[f.name] ?? f.costPerCall, maxInputBytes: f.maxInputBytes }, maxConcurrent: f.maxConcurrent,
        })),
        proofMethods: (this.o.proofMethods ?? [0, 1, 2, 3]) as NodeAdvert["compute"]["proofMethods"],
        privacyTiers: privacyOffers(this.privateBase, { split: this.o.privacy?.split, shared: this.o.privacy?.shared, tee: this.o.privacy?.tee?.platform }),
        load: Math.min(100, Math.round((100 * this.executor.load) / max)),
      },
    };
    return encodeAdvert(advert, this.identity);
  }

  async publishAdvert(): Promise<void> {
    if (this.stopping) return;
    const bytes = this.buildAdvert();
    this.ownAdvertBytes = bytes;
    try {
      await this.transport.publish(Topic.ADVERTS.id, bytes);
      this.counters.inc("adverts.published");
    } catch (e) {
      if (!(e instanceof TransportError)) throw e;
      this.counters.inc("adverts.publish_failed");
    }
  }

  private republishTimer: ReturnType<typeof setTimeout> | null = null;

  private async onConnect(peer: PeerKey): Promise<void> {
    if (this.stopping) return;
    // A new neighbour joins the gossip mesh a heartbeat or two later: republish then, so adverts cross it without waiting a full interval.
    if (!this.republishTimer) {
      this.republishTimer = setTimeout(() => {
        this.republishTimer = null;
        void this.publishAdvert().catch(() => {});
      }, REPUBLISH_AFTER_CONNECT_MS);
      this.republishTimer.unref?.();
    }
    try {
      const d = await exchange(this.transport, peer, Protocol.ADVERT_SYNC, encodeSyncRequest(1024), ["AdvertSyncResponse"]);
      for (const bytes of decodeSyncResponse(d.raw)) {
        const v = this.adverts.receive(bytes);
        if (v.result === "accepted") {
          this.learnPeer(v.advert);
          this.noteIntroducer(v.advert, peer);
        }
      }
      this.counters.inc("adverts.synced");
    } catch (e) {
      this.counters.inc(`adverts.sync_failed`);
      this.log(`advert sync with ${peer}: ${(e as Error).message}`);
    }
    const id = [...this.peerOf.entries()].find(([, v]) => v.peer === peer)?.[0];
    if (id) {
      const nodeId = Uint8Array.from(Buffer.from(id, "hex"));
      void this.channels.resumeAll(nodeId).then(() => this.consumer.payOwed(nodeId)).catch(() => {});
    }
  }

  private learnPeer(a: NodeAdvert): void {
    const peer = peerKeyOf(a);
    if (peer) {
      this.peerOf.set(bytesToHex(a.nodeId), { peer, addresses: a.addresses });
      this.nodeOfPeer.set(peer, bytesToHex(a.nodeId));
    }
  }

  private learnPeerFromBytes(bytes: Uint8Array): void {
    try {
      // Stored adverts were verified on receipt; only the addresses are needed here, even from expired ones.
      this.learnPeer(readStoredAdvert(bytes));
    } catch {
      // not an advert this node can read: skip
    }
  }

  /** Sends a request to a node by NodeID, dialling its advertised addresses when not connected. */
  private async callNode<N extends MessageName>(nodeId: Uint8Array, protocol: RequestProtocolInfo, request: Uint8Array, expected: readonly N[], timeoutMs?: number): Promise<Decoded<N>> {
    const known = this.peerOf.get(bytesToHex(nodeId));
    if (!known) throw new TransportError(`no address known for node ${bytesToHex(nodeId)}`, "UNREACHABLE");
    if (!this.transport.peers().includes(known.peer)) {
      let last: unknown;
      let ok = false;
      for (const a of known.addresses) {
        try {
          await this.transport.dial(a);
          ok = true;
          break;
        } catch (e) {
          last = e;
        }
      }
      if (!ok && known.addresses.length) throw last instanceof TransportError ? last : new TransportError(`cannot reach ${bytesToHex(nodeId)}`, "UNREACHABLE");
    }
    return exchange(this.transport, known.peer, protocol, request, expected, { timeoutMs });
  }

  private callAdvert<N extends MessageName>(h: HeldAdvert, protocol: RequestProtocolInfo, request: Uint8Array, expected: readonly N[], timeoutMs?: number): Promise<Decoded<N>> {
    this.learnPeer(h.advert);
    return this.callNode(h.advert.nodeId, protocol, request, expected, timeoutMs);
  }

  /** Runs a job (or an opaque function call) here or on a neighbour, and returns the same result bytes either way. */
  async submit(req: SubmitRequest, opts: SubmitOptions = {}): Promise<SubmitOutcome> {
    let job: Uint8Array, info: JobInfo;
    if ("function" in req) {
      const id = functionId(req.function);
      job = encodeFunctionCall(id, req.input);
      info = functionJobInfo(job, id);
    } else {
      job = req.job;
      info = classifyJob(job);
    }
    const proof = opts.proof ?? this.o.defaultProof ?? { kind: "result-hash" as const };
    const jobId = new Uint8Array(randomBytes(16));
    const placement = opts.placement ?? "auto";
    const base = { jobId: bytesToHex(jobId), jobHash: bytesToHex(info.jobHash), kind: info.kind, proof: proofText(proof) };
    this.store.journalStart({ jobId, role: "requested", jobHash: info.jobHash, kind: info.kind, receivedAt: this.now(), proof: base.proof });
    let local: LocalRun | undefined;
    try {
      if (placement !== "delegate") {
        const capable = this.executor.capable(info);
        if (!capable.ok && placement === "local") fail(capable.code, capable.reason);
        const busyElsewhere = capable.ok && placement === "auto" && !this.executor.canRun(info).ok && this.consumer.candidates(info, proof).length > 0;
        if (capable.ok && !busyElsewhere) {
          opts.progress?.({ stage: "run", detail: "local" });
          await this.executor.slot(info);
          local = await this.executor.run(job, info);
          if (local.outcome === "result" || placement === "local") {
            if (local.outcome === "result") this.consumer.addKnownAnswer(job, info, resultHashOf(local.resultBytes), "local");
            this.store.journalFinish(jobId, { ranOn: "local", providers: [this.nodeId], resultHash: resultHashOf(local.resultBytes), cycles: local.cycles, cost: 0n, detail: local.outcome === "result" ? null : local.outcome, finishedAt: this.now() });
            return { ...base, resultBytes: local.resultBytes, state: local.state, resultHash: resultHashOf(local.resultBytes), status: local.status, cycles: local.cycles, ranOn: "local", providers: [this.nodeId], payments: Promise.resolve(0n), attempts: [], outcome: local.outcome };
          }
          opts.progress?.({ stage: "delegate", detail: `local run: ${local.outcome}` });
        }
      }
      let d;
      try {
        d = await this.consumer.delegate(job, info, proof, jobId, opts.progress);
      } catch (e) {
        if (local && e instanceof ProtocolError && (e.codeName === "NO_PROVIDER")) {
          // Nobody else can take it: the local outcome (a WASM timeout, say) is the answer, marked as not a consensus result.
          this.store.journalFinish(jobId, { ranOn: "local", providers: [this.nodeId], resultHash: resultHashOf(local.resultBytes), cycles: local.cycles, cost: 0n, detail: local.outcome, finishedAt: this.now() });
          return { ...base, resultBytes: local.resultBytes, state: local.state, resultHash: resultHashOf(local.resultBytes), status: local.status, cycles: local.cycles, ranOn: "local", providers: [this.nodeId], payments: Promise.resolve(0n), attempts: [], outcome: local.outcome };
        }
        throw e;
      }
      const providers = d.providers.map(bytesToHex);
      // The cost is added to the journal entry as each payment is committed.
      this.store.journalFinish(jobId, { ranOn: "delegated", providers, resultHash: d.resultHash, cycles: d.cycles, cost: null, detail: null, finishedAt: this.now() });
      this.inflight.add(d.payments);
      void d.payments.finally(() => this.inflight.delete(d.payments));
      return { ...base, resultBytes: d.resultBytes, state: d.state, resultHash: d.resultHash, status: d.status, cycles: d.cycles, ranOn: "delegated", providers, payments: d.payments, attempts: d.attempts, outcome: "result" };
    } catch (e) {
      this.store.journalFinish(jobId, { ranOn: "failed", providers: [], resultHash: null, cycles: null, cost: null, detail: (e as Error).message, finishedAt: this.now() });
      throw e;
    }
  }

  /** A private job (docs/PRIVATE.md, Marketplace integration): always on providers advertising the tier, never here. */
  async submitPrivate(req: PrivateRequest, opts: { progress?: Progress } = {}): Promise<PrivateOutcome> {
    const out = await this.privateClient.submit(req, opts.progress);
    this.inflight.add(out.payments);
    void out.payments.finally(() => this.inflight.delete(out.payments));
    return out;
  }

  status(journalLimit = 20): NodeStatus {
    const now = this.now();
    return {
      nodeId: this.nodeId,
      publicKey: bytesToHex(this.identity.publicKey),
      profile: this.profile.name,
      engine: this.executor.engineName,
      wasm: this.profile.wasm,
      addresses: this.transport.addresses(),
      peers: this.transport.peers(),
      load: this.executor.load,
      credit: this.channels.credit().toString(),
      adverts: this.adverts.list().map((h) => ({
        nodeId: bytesToHex(h.advert.nodeId), seq: h.advert.seq.toString(), expiresInMs: Number(h.advert.expiresAt) - now,
        price: h.advert.compute.price.costPerMillionCycles.toString(), mhrByte: h.advert.compute.mhrByte, wasm: WASM_NAMES[h.advert.compute.wasmTier],
        functions: h.advert.compute.offeredFunctions.map((f) => f.name), load: h.advert.compute.load, score: this.reputation.score(h.advert.nodeId),
        privacy: h.advert.compute.privacyTiers.filter((x) => x.tier !== PrivacyTier.None).map((x) => `${TIER_NAMES[x.tier]}:${x.costPerCall}`),
      })),
      channels: this.channels.summaries(),
      reputation: this.reputation.all(),
      backoff: this.backoff.list(),
      journal: this.store.journal(journalLimit).map((j) => ({
        jobId: bytesToHex(j.jobId), role: j.role, kind: j.kind, ranOn: j.ranOn, providers: j.providers, proof: j.proof,
        resultHash: j.resultHash ? bytesToHex(j.resultHash) : null, cycles: j.cycles?.toString() ?? null, cost: j.cost?.toString() ?? null, detail: j.detail, receivedAt: j.receivedAt,
      })),
      counters: this.counters.all(),
    };
  }

  /** Cooperatively closes a channel this node pays on; the rest of its deposit returns to the credit. */
  async closeChannel(channelIdHex: string): Promise<void> {
    await this.channels.close(Uint8Array.from(Buffer.from(channelIdHex, "hex")));
  }

  /** Resolves when every payment started so far is acknowledged or left pending. */
  async settled(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    // Payments in flight finish first (each is committed before it is sent, so this is only politeness to the payee).
    const grace = () => new Promise((r) => setTimeout(r, this.o.stopGraceMs ?? Protocol.CHANNEL.timeoutMs).unref?.());
    await Promise.race([this.settled(), grace()]);
    // From here nothing is sent or committed for a payment: what is still in flight stays pending or owed on disk (§11.2 rule 7).
    this.stopping = true;
    this.channels.shutdown();
    if (this.advertTimer) clearInterval(this.advertTimer);
    if (this.republishTimer) clearTimeout(this.republishTimer);
    await this.control?.close().catch(() => {});
    await this.transportImpl?.stop().catch(() => {});
    await this.executor.close().catch(() => {});
    this.privateHost.stop();
    await this.models.close().catch(() => {});
    this.store.close();
  }
}
