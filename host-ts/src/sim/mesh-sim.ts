/**
 * A mesh of many real nodes in one process: every node is a `MeshNode`
 * (the node's own advert, negotiation, execution, verification, channel and
 * reputation code, each with its own SQLite store in memory) on one
 * `MemoryNetwork`. The simulation measures how fast signed adverts converge
 * and how delegation fares when some providers lie and some crash mid-job.
 *
 * Shortcuts, each chosen so the figures stay those of the real code:
 * - Every node runs MHR-Byte on the `reference` engine (results are
 *   identical on every engine, conformance vectors show it); one AS VM
 *   instance per node would cost ~1 MB each for nothing the simulation
 *   measures.
 * - Ed25519 verification is memoised per (key, signature, message) by
 *   node/identity.ts for every node (it is a pure function), and the
 *   simulation turns on `memoiseAdvertDecoding`: the part of an advert's
 *   checks that depends on its bytes alone (strict decoding, NodeID, signature,
 *   TTL, function ids) runs once per unique advert in the process, not once
 *   per node; freshness and each advert book's sequence rules still run at
 *   every node. 1,000 nodes then decode 1,000 adverts 1,000 times, not a
 *   million.
 * - The per-peer rate limit is raised: the default (50 messages/s per peer)
 *   is sized for a real republication rate (1,000 nodes every 60 s ≈ 17
 *   adverts/s), while the simulation compresses a whole round of
 *   republication into about a second.
 * - Held adverts are not copied into the nodes' (in-memory) databases: the
 *   store writes them only for a restart, which an in-memory node never has.
 * - While the topology is wired, the advert sync a node asks for on each new
 *   connection is withheld (it fails as unreachable, which the node handles
 *   as a real lost sync), and so is the republication a node makes shortly
 *   after a new connection: otherwise wiring 1,000 nodes copies whole advert
 *   books along 3,000 edges and floods a thousand adverts twice, which is
 *   the set-up, not what is measured.
 *   Convergence is then that of gossip alone, from a republication round;
 *   the sync path is measured on its own by a late joiner that syncs with
 *   its first peers.
 * - Time is real time on the memory transport's per-link latency; jobs run
 *   one after another, so which provider a consumer picks depends only on the
 *   seed, never on scheduling.
 *
 * Faults: "liars" run with the node's test option `lie` (every result has
 * its last byte flipped, with a consistent hash); "crashers" die the moment
 * their first ExecuteRequest arrives (the memory network's `crash`: every
 * stream and connection gone, no goodbye), i.e. mid-job; their adverts stay
 * in the others' books until they expire.
 */
import { createHash } from "node:crypto";
import { MemoryNetwork, type MemoryTransport } from "../node/memory-transport.ts";
import { MeshNode, type SubmitOutcome } from "../node/mesh-node.ts";
import { memoiseAdvertDecoding } from "../node/messages/advert.ts";
import { identityFromSeed, type NodeIdentity } from "../node/identity.ts";
import { parseProof, type ProofChoice } from "../node/consumer.ts";
import { Protocol, Topic } from "../generated/node-protocol.ts";
import { createEngine } from "../engines/targets.ts";
import { encodeJob } from "../model/codec.ts";
import { emptyContext } from "../model/job.ts";
import { bytesToHex } from "../model/bytes.ts";
import { assemble } from "../asm/index.ts";
import type { Contract } from "../model/types.ts";
import { TransportError, type PeerKey, type ProtocolLimits, type RequestHandler, type RequestOptions, type TopicMessage, type Transport, type TransportEvents } from "../node/transport.ts";

export interface MeshSimOptions {
  /** Nodes in the mesh (the issue asks for at least 1,000). */
  nodes: number;
  /** Seed of every random choice (topology, roles, prices, identities, consumer choices). */
  seed: number;
  /** Fraction of nodes that are providers (Community or Gateway); the rest are Minimal consumers. */
  providerFraction?: number;
  /** Fractions of the providers that lie, and that crash mid-job. */
  liarFraction?: number;
  crashFraction?: number;
  /** Connections each node opens to earlier nodes when it joins (the mean degree is about twice this). */
  dialsPerNode?: number;
  /** One-way latency of every link, ms. */
  latencyMs?: number;
  /**
   * Republication round: this many nodes (default: all; the undercutting faulty providers first, then the other
   * providers, since consumers can only delegate to providers whose adverts they hold) publish a fresh advert,
   * each at a random moment within the window, ms.
   */
  republishers?: number;
  republishWindowMs?: number;
  /**
   * How many liars and crashers ask less than every honest provider (the rest draw their prices like everyone).
   * Consumers prefer the cheapest trusted provider, so these are met first. Default: one liar and two crashers,
   * which puts every fault path on the way of the first jobs; `{ liars: Infinity, crashers: Infinity }` is the
   * attack in which all of them undercut.
   */
  undercutting?: { liars: number; crashers: number };
  /** Consumers that submit the jobs, in turn (each cycles through the proofs; default 6). */
  activeConsumers?: number;
  /** Delegated jobs, submitted one after another by consumers in turn. */
  jobs?: number;
  /** Proof methods, used in turn (default: redundant:2-of-3, spotcheck:0.5, result-hash). */
  proofs?: string[];
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface JobRecord {
  consumer: string;
  proof: string;
  ok: boolean;
  correct: boolean;
  error?: string;
  /** Providers whose result was accepted and paid. */
  winners: string[];
  /** Providers tried and how each attempt ended. */
  attempts: { provider: string; outcome: string; code?: string }[];
  /** Payments the consumer's store holds for this job (one per winner when paid exactly once). */
  payments: number;
}

export interface MeshSimReport {
  nodes: number;
  providers: number;
  consumers: number;
  liars: number;
  crashers: number;
  /** Names of the faulty providers (memory-network names `n<i>`), and of those that undercut the honest ones. */
  faulty: { liars: string[]; crashers: string[]; undercutting: string[] };
  edges: number;
  /** Wall time of the phases, ms. */
  startMs: number;
  joinMs: number;
  /** A node that joins after convergence: ms until the advert syncs with its first peers give it every advert they hold (`of`). */
  lateJoiner: { peers: number; syncMs: number; held: number; of: number };
  convergence: {
    /** Every node holds every other node's republished advert. */
    complete: boolean;
    /** Adverts republished in the round. */
    republished: number;
    /** From the first republication to the last node holding the last advert, ms. */
    totalMs: number;
    /** Per advert: from its publication to the last node holding it, ms. */
    perAdvertMs: { p50: number; p99: number; max: number };
    /** Gossip messages delivered to validators in the round (the memory network's count). */
    deliveries: number;
    /** One more advert published alone after the round: ms until every other node holds it (-1: never). */
    singleAdvertMs: number;
  };
  delegation: {
    jobs: number;
    succeeded: number;
    correct: number;
    /** Jobs whose accepted result differs from a local reference run. */
    wrong: number;
    /** Of the wrong results: accepted under result-hash (nothing can catch a lie there), and under redundant with k lying winners. */
    wrongUnderResultHash: number;
    wrongUnderRedundantLiarQuorum: number;
    /** Jobs where every accepted result came from honest providers: how many of them were correct (should be all). */
    honestJobs: number;
    honestCorrect: number;
    /** Distinct liars caught (a disputed or failed spot-check attempt recorded against them) / liars ever chosen. */
    liarsCaught: number;
    liarsChosen: number;
    /** Jobs in which a liar was caught (disputed or failed a spot check) and still paid: must be 0. */
    caughtButPaid: number;
    /** Attempts cut by a crasher dying with the job in hand (the consumer saw the stream reset). */
    crashedMidJob: number;
    /** compute_score of the liars at the active consumers that dealt with them (from 5000), lowest first. */
    liarScores: number[];
    /** Lies paid for: payments to a liar for a result that was not the correct one, under redundant and spot-check. */
    liesPaidUnderVerification: number;
    /** Attempts that hit a crashed (or crashing) provider, and jobs that still succeeded after one. */
    crashAttempts: number;
    jobsRecoveredFromCrash: number;
    /** Jobs whose payments were not exactly one per winner. */
    paymentAnomalies: number;
    byProof: Record<string, { jobs: number; succeeded: number; correct: number }>;
    wallMs: number;
  };
  records: JobRecord[];
}

/** A seeded PRNG (mulberry32): the simulation's only source of randomness. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** sum(n) with max_cycles 10^7, above the Minimal cap of 10^6: a Minimal node must delegate it (examples/node/sum.masm). */
const SUM_SOURCE = `.memory 64
.cycles 10000000
.func sum 1 1
  PUSH 0
  SWAP
loop:
  DUP
  JZ done
  DUP
  ROT
  ADD
  SWAP
  PUSH 1
  SUB
  JMP loop
done:
  POP
  HALT`;

type Role = "consumer" | "provider";

interface SimNode {
  name: string;
  role: Role;
  liar: boolean;
  crasher: boolean;
  identity: NodeIdentity;
  node: MeshNode;
  transport: SimTransport;
}

/**
 * The memory transport with two test hooks on it: the crash point of a
 * crasher (its first ExecuteRequest), and an observer of the adverts its
 * validator accepts (for the convergence figures).
 */
class SimTransport implements Transport {
  armed = false;
  /** While set (the wiring phase: see the header), advert syncs fail as unreachable and publications go nowhere. */
  blockSync = false;
  /** Publications withheld so far. */
  withheld = 0;
  onAccept: ((data: Uint8Array) => void) | null = null;

  constructor(
    private readonly inner: MemoryTransport,
    private readonly crash: () => void,
  ) {}

  get self(): PeerKey {
    return this.inner.self;
  }
  get publicKey(): Uint8Array | null {
    return this.inner.publicKey;
  }
  start(): Promise<void> {
    return this.inner.start();
  }
  stop(): Promise<void> {
    return this.inner.stop();
  }
  addresses(): string[] {
    return this.inner.addresses();
  }
  dial(address: string): Promise<PeerKey> {
    return this.inner.dial(address);
  }
  peers(): PeerKey[] {
    return this.inner.peers();
  }
  remoteAddress(peer: PeerKey): string | null {
    return this.inner.remoteAddress(peer);
  }
  handle(protocol: string, limits: ProtocolLimits, handler: RequestHandler): void {
    if (protocol !== Protocol.EXECUTE.id) return this.inner.handle(protocol, limits, handler);
    this.inner.handle(protocol, limits, (req) => {
      if (!this.armed) return handler(req);
      // Dies with the job in hand: no result, no goodbye.
      this.crash();
      return new Promise<Uint8Array>(() => {});
    });
  }
  request(peer: PeerKey, protocol: string, body: Uint8Array, options: RequestOptions): Promise<Uint8Array> {
    if (this.blockSync && protocol === Protocol.ADVERT_SYNC.id) return Promise.reject(new TransportError("advert sync withheld while the simulation wires its topology", "UNREACHABLE"));
    return this.inner.request(peer, protocol, body, options);
  }
  subscribe(topic: string, validate: (m: TopicMessage) => "accept" | "reject" | "ignore", onMessage: (m: TopicMessage) => void): void {
    this.inner.subscribe(
      topic,
      (m) => {
        const v = validate(m);
        if (v === "accept" && topic === Topic.ADVERTS.id) this.onAccept?.(m.data);
        return v;
      },
      onMessage,
    );
  }
  publish(topic: string, data: Uint8Array): Promise<void> {
    if (this.blockSync) {
      this.withheld++;
      return Promise.resolve();
    }
    return this.inner.publish(topic, data);
  }
  on<E extends keyof TransportEvents>(event: E, listener: (detail: TransportEvents[E]) => void): void {
    this.inner.on(event, listener);
  }
}

/**
 * Waits until `done()`, or until `progress()` has not moved for QUIET_MS: a
 * stalled network is reported as incomplete, while a slow one (a loaded
 * machine) is waited for. No wall-clock deadline decides an outcome.
 */
const QUIET_MS = 10_000;
async function quiesce(done: () => boolean, progress: () => number, stepMs = 20, quietMs = QUIET_MS): Promise<void> {
  let last = progress();
  let since = performance.now();
  while (!done()) {
    await sleep(stepMs);
    const p = progress();
    if (p !== last) {
      last = p;
      since = performance.now();
    } else if (performance.now() - since > quietMs) return;
  }
}

function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const keyOf = (b: Uint8Array) => createHash("sha256").update(b).digest("base64");

export async function runMeshSimulation(o: MeshSimOptions): Promise<MeshSimReport> {
  memoiseAdvertDecoding(true);
  try {
    return await simulate(o);
  } finally {
    memoiseAdvertDecoding(false);
  }
}

async function simulate(o: MeshSimOptions): Promise<MeshSimReport> {
  const log = o.log ?? (() => {});
  const rnd = prng(o.seed);
  const n = o.nodes;
  const providerFraction = o.providerFraction ?? 0.3;
  const dials = o.dialsPerNode ?? 3;
  const latencyMs = o.latencyMs ?? 1;
  const window = o.republishWindowMs ?? 1000;
  const jobCount = o.jobs ?? 100;
  const proofs: ProofChoice[] = (o.proofs ?? ["redundant:2-of-3", "spotcheck:0.5", "result-hash"]).map(parseProof);

  // Roles: a seeded shuffle decides which nodes provide and which providers misbehave.
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const providerCount = Math.round(n * providerFraction);
  const providerSet = new Set(order.slice(0, providerCount));
  const liarCount = Math.round(providerCount * (o.liarFraction ?? 0.1));
  const crashCount = Math.round(providerCount * (o.crashFraction ?? 0.1));
  const providersInOrder = order.slice(0, providerCount);
  const liarList = providersInOrder.slice(0, liarCount);
  const crashList = providersInOrder.slice(liarCount, liarCount + crashCount);
  const liarSet = new Set(liarList);
  const crashSet = new Set(crashList);
  const under = o.undercutting ?? { liars: 1, crashers: 2 };
  const cheap = new Set([...liarList.slice(0, under.liars), ...crashList.slice(0, under.crashers)]);

  const net = new MemoryNetwork({ latencyMs, seed: o.seed, log: () => {} });
  const sim: SimNode[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const name = `n${i}`;
    const role: Role = providerSet.has(i) ? "provider" : "consumer";
    const seed = createHash("sha256").update(`mesh-sim/${o.seed}/${i}`).digest();
    const identity = identityFromSeed(new Uint8Array(seed));
    const transport = new SimTransport(net.transport(name, { publicKey: identity.publicKey }), () => net.crash(name));
    const nodeRandom = prng(o.seed * 7919 + i);
    const node = await MeshNode.start({
      dataDir: ":memory:",
      identity,
      profile: role === "consumer" ? "minimal" : rnd() < 0.7 ? "community" : "gateway",
      engine: "reference",
      transport: () => transport,
      control: false,
      // Providers ask 1000..5000 milli-µMHR per 10^6 cycles (1–5 µMHR); the undercutting faulty ones 500..1000.
      price: cheap.has(i) ? BigInt(500 + Math.floor(rnd() * 500)) : BigInt(1000 + Math.floor(rnd() * 4000)),
      advertIntervalMs: 3_600_000,
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
      testing: { ...(liarSet.has(i) ? { lie: { rate: 1 } } : {}), random: nodeRandom },
    });
    sim.push({ name, role, liar: liarSet.has(i), crasher: crashSet.has(i), identity, node, transport });
    if ((i + 1) % 250 === 0) log(`started ${i + 1}/${n} nodes`);
  }
  const startMs = performance.now() - t0;

  // Wiring: node i dials `dials` distinct earlier nodes (a connected graph), with advert syncs withheld.
  for (const s of sim) s.transport.blockSync = true;
  const t1 = performance.now();
  const edges = new Set<string>();
  for (let i = 1; i < n; i++) {
    const want = Math.min(dials, i);
    const picked = new Set<number>();
    while (picked.size < want) picked.add(Math.floor(rnd() * i));
    for (const j of picked) edges.add(`${j}-${i}`);
    await Promise.all([...picked].map((j) => sim[i].node.transport.dial(`/memory/${sim[j].name}`)));
  }
  // A node republishes its advert shortly after a new connection: let those of the wiring pass (withheld) first.
  const withheld = () => sim.reduce((a, x) => a + x.transport.withheld, 0);
  await quiesce(() => false, withheld, 50, 3000);
  for (const s of sim) s.transport.blockSync = false;
  const joinMs = performance.now() - t1;
  log(`wired: ${edges.size} edges (${joinMs.toFixed(0)} ms)`);

  // Republication round: each node publishes seq + 1 at a random moment in the window; track when each is held by all.
  const need = n - 1;
  const pending = new Map<string, { publishedAt: number; count: number; doneAt?: number }>();
  const republishers = Math.min(n, o.republishers ?? n);
  let incomplete = republishers;
  // The memory network hands every receiver the same copy of a message: hash each copy once.
  const keys = new WeakMap<Uint8Array, string>();
  const keyOfCopy = (data: Uint8Array) => {
    let k = keys.get(data);
    if (k === undefined) keys.set(data, (k = keyOf(data)));
    return k;
  };
  let accepted = 0;
  for (const s of sim) {
    s.transport.onAccept = (data) => {
      accepted++;
      const p = pending.get(keyOfCopy(data));
      if (!p || p.doneAt !== undefined) return;
      if (++p.count === need) {
        p.doneAt = performance.now();
        incomplete--;
      }
    };
  }
  const deliveriesBefore = net.stats.gossipDeliveries;
  const t2 = performance.now();
  // Providers first: consumers can only delegate to providers whose adverts they hold.
  const chosen = sim.map((s, i) => ({ s, r: rnd() + (cheap.has(i) ? -1 : s.role === "provider" ? 0 : 1) })).sort((a, b) => a.r - b.r).slice(0, republishers).map((x) => x.s);
  const publications = chosen.map((s) => ({ s, at: rnd() * window })).sort((a, b) => a.at - b.at);
  const publishing = (async () => {
    for (const { s, at } of publications) {
      const wait = t2 + at - performance.now();
      if (wait > 0) await sleep(wait);
      const bytes = s.node.buildAdvert();
      pending.set(keyOf(bytes), { publishedAt: performance.now(), count: 0 });
      await s.node.transport.publish(Topic.ADVERTS.id, bytes);
    }
  })();
  await publishing;
  await quiesce(() => incomplete === 0, () => accepted);
  const lastDone = Math.max(...[...pending.values()].map((p) => p.doneAt ?? performance.now()));
  const perAdvert = [...pending.values()].filter((p) => p.doneAt !== undefined).map((p) => p.doneAt! - p.publishedAt);
  const convergence = {
    complete: incomplete === 0,
    republished: republishers,
    totalMs: round(lastDone - t2),
    perAdvertMs: { p50: round(percentile(perAdvert, 0.5)), p99: round(percentile(perAdvert, 0.99)), max: round(Math.max(0, ...perAdvert)) },
    deliveries: net.stats.gossipDeliveries - deliveriesBefore,
    singleAdvertMs: 0,
  };
  // One advert alone, on a quiet mesh: its propagation time, undistorted by a thousand others in flight.
  const single = await (async () => {
    const s = sim[Math.floor(rnd() * n)];
    const bytes = s.node.buildAdvert();
    pending.set(keyOf(bytes), { publishedAt: performance.now(), count: 0 });
    const entry = pending.get(keyOf(bytes))!;
    incomplete++;
    await s.node.transport.publish(Topic.ADVERTS.id, bytes);
    await quiesce(() => entry.doneAt !== undefined, () => accepted, 1);
    return entry.doneAt === undefined ? -1 : round(entry.doneAt - entry.publishedAt);
  })();
  convergence.singleAdvertMs = single;
  for (const s of sim) s.transport.onAccept = null;

  // A late joiner: a fresh node dials three random members and must learn every advert from its syncs alone.
  const late = await (async () => {
    const name = `late${o.seed}`;
    const identity = identityFromSeed(new Uint8Array(createHash("sha256").update(`mesh-sim/${o.seed}/late`).digest()));
    const transport = new SimTransport(net.transport(name, { publicKey: identity.publicKey }), () => net.crash(name));
    const node = await MeshNode.start({
      dataDir: ":memory:", identity,
      profile: "minimal", engine: "reference", transport: () => transport, control: false, advertIntervalMs: 3_600_000,
      rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    });
    const t = performance.now();
    const first = new Set<number>();
    while (first.size < 3) first.add(Math.floor(rnd() * n));
    for (const j of first) await node.transport.dial(`/memory/${sim[j].name}`);
    // What its peers could give it: their books and their own adverts.
    const offered = new Set<string>();
    for (const j of first) {
      offered.add(bytesToHex(sim[j].identity.nodeId));
      for (const h of sim[j].node.adverts.list()) offered.add(bytesToHex(h.advert.nodeId));
    }
    offered.delete(bytesToHex(node.identity.nodeId));
    await quiesce(() => node.adverts.size >= offered.size, () => node.adverts.size, 2);
    const result = { peers: first.size, syncMs: round(performance.now() - t), held: node.adverts.size, of: offered.size };
    await node.stop();
    return result;
  })();
  log(`late joiner: ${late.held}/${late.of} adverts from ${late.peers} syncs in ${late.syncMs} ms`);
  log(`convergence: ${convergence.complete ? "complete" : `INCOMPLETE (${incomplete} adverts short)`} in ${convergence.totalMs} ms; per advert p50 ${convergence.perAdvertMs.p50} ms, p99 ${convergence.perAdvertMs.p99} ms; one advert alone ${single} ms`);

  // Delegation: crashers armed; consumers in turn submit sum(k) jobs, one at a time, each checked against a local run.
  for (const s of sim) if (s.crasher) s.transport.armed = true;
  const reference = await createEngine("reference");
  const contract: Contract = assemble(SUM_SOURCE);
  const consumers = sim.filter((s) => s.role === "consumer").slice(0, o.activeConsumers ?? 6);
  const byId = new Map(sim.map((s) => [bytesToHex(s.identity.nodeId), s]));
  const records: JobRecord[] = [];
  const t3 = performance.now();
  try {
    for (let j = 0; j < jobCount; j++) {
      // Consumers in turn; each one's own jobs cycle through the proofs (its redundant results become its spot-check answers).
      const c = consumers[j % consumers.length];
      const k = Math.floor(j / consumers.length) % proofs.length;
      const proof = proofs[k];
      const proofName = o.proofs?.[k] ?? ["redundant:2-of-3", "spotcheck:0.5", "result-hash"][k];
      const id = c.identity.nodeId;
      const job = encodeJob({
        version: 1, contract, function: "sum", args: [BigInt(100 + Math.floor(rnd() * 400))], input: new Uint8Array(0),
        context: { ...emptyContext(), sender: id, self: id }, state: new Map(),
      });
      const expected = (await reference.run(job)).resultBytes;
      let out: SubmitOutcome | undefined;
      let error: string | undefined;
      try {
        out = await c.node.submit({ job }, { proof });
      } catch (e) {
        error = (e as Error).message;
      }
      // Payments are made after the result is returned: count them once they have settled.
      await c.node.settled();
      // A failed submit returns no outcome: its journal entry (the consumer's latest) names the job.
      const jobIdHex = out?.jobId ?? bytesToHex(c.node.store.journal(1)[0].jobId);
      const attempts = jobIdHex ? c.node.store.attempts(Uint8Array.from(Buffer.from(jobIdHex, "hex"))) : [];
      records.push({
        consumer: c.name,
        proof: proofName,
        ok: out !== undefined,
        correct: out !== undefined && Buffer.from(out.resultBytes).equals(Buffer.from(expected)),
        error,
        winners: out?.providers.map((p) => byId.get(p)?.name ?? p) ?? [],
        attempts: attempts.map((a) => ({ provider: byId.get(bytesToHex(a.provider))?.name ?? bytesToHex(a.provider), outcome: a.outcome, ...(a.detail ? { code: a.detail.split(":")[0] } : {}) })),
        payments: out ? c.node.store.paymentsForJob(Uint8Array.from(Buffer.from(jobIdHex, "hex"))).length : 0,
      });
      if ((j + 1) % 50 === 0) log(`delegated ${j + 1}/${jobCount} jobs`);
    }
  } finally {
    await reference.close();
  }
  const wallMs = performance.now() - t3;

  const roleOf = new Map(sim.map((s) => [s.name, s]));
  const isLiar = (name: string) => roleOf.get(name)?.liar === true;
  const isCrasher = (name: string) => roleOf.get(name)?.crasher === true;
  const chosenLiars = new Set<string>();
  const caughtLiars = new Set<string>();
  let caughtButPaid = 0, crashedMidJob = 0;
  let liesPaid = 0, crashAttempts = 0, recovered = 0, anomalies = 0, wrongRH = 0, wrongQuorum = 0, honestJobs = 0, honestCorrect = 0;
  const byProof: Record<string, { jobs: number; succeeded: number; correct: number }> = {};
  for (const r of records) {
    const b = (byProof[r.proof] ??= { jobs: 0, succeeded: 0, correct: 0 });
    b.jobs++;
    if (r.ok) b.succeeded++;
    if (r.correct) b.correct++;
    for (const a of r.attempts) {
      if (isLiar(a.provider)) {
        chosenLiars.add(a.provider);
        if (a.outcome === "disputed" || a.outcome === "caught") caughtLiars.add(a.provider);
      }
    }
    for (const w of r.winners) if (isLiar(w)) chosenLiars.add(w);
    const hitCrash = r.attempts.some((a) => isCrasher(a.provider));
    if (hitCrash) {
      crashAttempts += r.attempts.filter((a) => isCrasher(a.provider)).length;
      if (r.ok) recovered++;
    }
    if (r.ok && r.payments !== r.winners.length) anomalies++;
    if (r.ok && !r.correct && r.proof !== "result-hash") liesPaid += r.winners.filter(isLiar).length;
    if (r.ok && !r.correct) {
      if (r.proof === "result-hash") wrongRH++;
      else if (r.proof.startsWith("redundant") && r.winners.every(isLiar)) wrongQuorum++;
    }
    const caughtHere = new Set(r.attempts.filter((a) => isLiar(a.provider) && (a.outcome === "disputed" || a.outcome === "caught")).map((a) => a.provider));
    if (r.winners.some((w) => caughtHere.has(w))) caughtButPaid++;
    crashedMidJob += r.attempts.filter((a) => isCrasher(a.provider) && a.code === "TRANSPORT_RESET").length;
    if (r.ok && r.winners.every((w) => !isLiar(w))) {
      honestJobs++;
      if (r.correct) honestCorrect++;
    }
  }
  const report: MeshSimReport = {
    nodes: n, providers: providerCount, consumers: n - providerCount, liars: liarCount, crashers: crashCount,
    faulty: { liars: liarList.map((i) => `n${i}`), crashers: crashList.map((i) => `n${i}`), undercutting: [...cheap].map((i) => `n${i}`) },
    edges: edges.size,
    startMs: round(startMs), joinMs: round(joinMs), lateJoiner: late,
    convergence,
    delegation: {
      jobs: records.length, succeeded: records.filter((r) => r.ok).length, correct: records.filter((r) => r.correct).length,
      wrong: records.filter((r) => r.ok && !r.correct).length, wrongUnderResultHash: wrongRH, wrongUnderRedundantLiarQuorum: wrongQuorum,
      honestJobs, honestCorrect, liarsCaught: caughtLiars.size, liarsChosen: chosenLiars.size, caughtButPaid, crashedMidJob,
      liarScores: consumers.flatMap((c) => [...chosenLiars].map((l) => c.node.reputation.score(roleOf.get(l)!.identity.nodeId))).filter((x) => x !== 5000).sort((a, b) => a - b),
      liesPaidUnderVerification: liesPaid, crashAttempts, jobsRecoveredFromCrash: recovered, paymentAnomalies: anomalies,
      byProof, wallMs: round(wallMs),
    },
    records,
  };
  // Consumers first, once their background payments have settled, while their payees still listen.
  await Promise.all(consumers.map((c) => c.node.settled()));
  await Promise.all(sim.filter((s) => s.role === "consumer").map((s) => s.node.stop().catch(() => {})));
  await Promise.all(sim.filter((s) => s.role === "provider").map((s) => s.node.stop().catch(() => {})));
  return report;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
