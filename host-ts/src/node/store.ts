/**
 * The node's durable state (docs/NODE.md §11): one SQLite database,
 * `DATA/node.db`, through better-sqlite3 in WAL mode with synchronous=FULL,
 * so every committed transaction is on disk before the call returns. The
 * rules that make a `kill -9` at any point harmless live in the callers
 * (channels.ts): a channel state is committed before its signature is sent,
 * and a payment is recorded in the same transaction as the state that pays
 * it.
 *
 * Integers are read as bigint (safe integers mode): balances and cycles are
 * u64 quantities.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { chmodSync, existsSync } from "node:fs";

export const SCHEMA_VERSION = 1;
export const DB_FILE = "node.db";

export type ChannelRole = "payer" | "payee";

export interface ChannelRow {
  channelId: Uint8Array;
  role: ChannelRole;
  peer: Uint8Array;
  peerKey: Uint8Array;
  nonce: bigint;
  deposit: bigint;
  /** The latest state both parties signed. */
  state: Uint8Array;
  sequence: bigint;
  /** Payer only: a state it signed and may have sent, not yet countersigned. */
  pending: PendingUpdate | null;
  /** "opening": state 0 signed by the payer, not yet countersigned. */
  status: "opening" | "open" | "closed";
  openedAt: bigint;
}

export interface PendingUpdate {
  state: Uint8Array;
  sequence: bigint;
  jobId: Uint8Array;
  agreementId: Uint8Array;
  amount: bigint;
  units: bigint;
}

export interface AgreementRow {
  agreementId: Uint8Array;
  role: "consumer" | "provider";
  peer: Uint8Array;
  /** Canonical AgreementBody. */
  body: Uint8Array;
  providerSig: Uint8Array;
  consumerSig: Uint8Array | null;
  validUntil: bigint;
  /** Cumulative verified units paid under it (cycles, or invocations). */
  billedUnits: bigint;
  billedAmount: bigint;
}

export interface ExecutionRow {
  agreementId: Uint8Array;
  jobId: Uint8Array;
  jobHash: Uint8Array;
  /** The signed ComputeResult exactly as sent. */
  resultMessage: Uint8Array;
  units: bigint;
  paid: boolean;
  executedAt: bigint;
}

export interface ReputationRow {
  nodeId: Uint8Array;
  score: number;
  successes: number;
  failures: number;
}

export interface JournalEntry {
  jobId: Uint8Array;
  role: "requested" | "provided";
  jobHash: Uint8Array;
  kind: string;
  receivedAt: number;
  finishedAt: number | null;
  /** "local", "delegated", "failed" or "running". */
  ranOn: string;
  /** Hex NodeIDs whose result was accepted (delegated), or this node's. */
  providers: string[];
  proof: string;
  resultHash: Uint8Array | null;
  cycles: bigint | null;
  cost: bigint | null;
  detail: string | null;
}

export interface AttemptRow {
  jobId: Uint8Array;
  n: number;
  provider: Uint8Array;
  outcome: string;
  code: number | null;
  detail: string | null;
  at: number;
}

export interface KnownAnswer {
  jobHash: Uint8Array;
  job: Uint8Array;
  resultHash: Uint8Array;
  /** "mhr-byte", "wasm" or "function". */
  kind: string;
  tier: number;
  maxCycles: bigint;
  functionId: Uint8Array | null;
}

/** A payment owed for a verified result, not yet committed to its channel. */
export interface OwedRow {
  channelId: Uint8Array;
  /** The job the payment names (the provider's job_id). */
  jobId: Uint8Array;
  agreementId: Uint8Array;
  units: bigint;
  /** The requester's journal entry the cost is added to. */
  journalJobId: Uint8Array;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS channels (
  channel_id BLOB PRIMARY KEY, role TEXT NOT NULL CHECK (role IN ('payer','payee')),
  peer BLOB NOT NULL, peer_key BLOB NOT NULL, nonce INTEGER NOT NULL, deposit INTEGER NOT NULL,
  state BLOB NOT NULL, sequence INTEGER NOT NULL,
  pending_state BLOB, pending_seq INTEGER, pending_job BLOB, pending_agreement BLOB, pending_amount INTEGER, pending_units INTEGER,
  status TEXT NOT NULL CHECK (status IN ('opening','open','closed')), opened_at INTEGER NOT NULL, closed_at INTEGER);
CREATE INDEX IF NOT EXISTS channels_peer ON channels (peer, role, status);
CREATE TABLE IF NOT EXISTS payments (
  channel_id BLOB NOT NULL, job_id BLOB NOT NULL, agreement_id BLOB NOT NULL, sequence INTEGER NOT NULL,
  amount INTEGER NOT NULL, units INTEGER NOT NULL, acknowledged INTEGER NOT NULL,
  PRIMARY KEY (channel_id, job_id));
CREATE TABLE IF NOT EXISTS agreements (
  agreement_id BLOB PRIMARY KEY, role TEXT NOT NULL, peer BLOB NOT NULL, body BLOB NOT NULL,
  provider_sig BLOB NOT NULL, consumer_sig BLOB, valid_until INTEGER NOT NULL,
  billed_units INTEGER NOT NULL DEFAULT 0, billed_amount INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS executions (
  agreement_id BLOB NOT NULL, job_id BLOB NOT NULL, job_hash BLOB NOT NULL, result_message BLOB NOT NULL,
  units INTEGER NOT NULL, paid INTEGER NOT NULL DEFAULT 0, executed_at INTEGER NOT NULL,
  PRIMARY KEY (agreement_id, job_id));
CREATE TABLE IF NOT EXISTS reputation (
  node_id BLOB PRIMARY KEY, score INTEGER NOT NULL, successes INTEGER NOT NULL, failures INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS adverts (
  node_id BLOB PRIMARY KEY, seq INTEGER NOT NULL, bytes BLOB NOT NULL, expires_at INTEGER NOT NULL, received_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS nonces (consumer BLOB NOT NULL, nonce INTEGER NOT NULL, seen_at INTEGER NOT NULL, PRIMARY KEY (consumer, nonce));
CREATE TABLE IF NOT EXISTS jobs (
  job_id BLOB PRIMARY KEY, role TEXT NOT NULL, job_hash BLOB NOT NULL, kind TEXT NOT NULL,
  received_at INTEGER NOT NULL, finished_at INTEGER, ran_on TEXT NOT NULL, providers TEXT NOT NULL, proof TEXT NOT NULL,
  result_hash BLOB, cycles INTEGER, cost INTEGER, detail TEXT);
CREATE INDEX IF NOT EXISTS jobs_received ON jobs (received_at);
CREATE TABLE IF NOT EXISTS attempts (
  job_id BLOB NOT NULL, n INTEGER NOT NULL, provider BLOB NOT NULL, outcome TEXT NOT NULL, code INTEGER, detail TEXT, at INTEGER NOT NULL,
  PRIMARY KEY (job_id, n));
CREATE TABLE IF NOT EXISTS known_answers (
  job_hash BLOB PRIMARY KEY, job BLOB NOT NULL, result_hash BLOB NOT NULL, kind TEXT NOT NULL, tier INTEGER NOT NULL,
  max_cycles INTEGER NOT NULL, function_id BLOB, added_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS owed (
  channel_id BLOB NOT NULL, job_id BLOB NOT NULL, agreement_id BLOB NOT NULL, units INTEGER NOT NULL, journal_job BLOB NOT NULL, added_at INTEGER NOT NULL,
  PRIMARY KEY (channel_id, job_id));
CREATE TABLE IF NOT EXISTS known_answer_sent (job_hash BLOB NOT NULL, provider BLOB NOT NULL, PRIMARY KEY (job_hash, provider));
`;

type Row = Record<string, unknown>;
const u8 = (v: unknown): Uint8Array => new Uint8Array(v as Buffer);
const u8n = (v: unknown): Uint8Array | null => (v === null || v === undefined ? null : new Uint8Array(v as Buffer));
const big = (v: unknown): bigint => BigInt(v as bigint | number);
const num = (v: unknown): number => Number(v as bigint);
const buf = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
/** u64 values above 2^63 − 1 (random nonces) are stored as their two's-complement i64 and read back unsigned. */
const i64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u64 = (v: unknown): bigint => BigInt.asUintN(64, big(v));

/**
 * Compiles each SQL statement once per connection: `prepare` on every call
 * was a tenth of the CPU time of advert handling (every accepted advert is
 * an upsert) and sits on every delegation's path. A better-sqlite3 statement
 * may be run any number of times; nothing here iterates one while running
 * another use of the same statement.
 */
function reusingStatements(db: Database.Database): Database.Database {
  const cache = new Map<string, Database.Statement>();
  const prepare = db.prepare.bind(db);
  db.prepare = ((sql: string) => {
    let st = cache.get(sql);
    if (!st) {
      st = prepare(sql);
      cache.set(sql, st);
    }
    return st;
  }) as Database.Database["prepare"];
  return db;
}

export class NodeStore {
  /** synchronous=FULL: meta (credit, advert seq), channel states, payments, billed units. */
  readonly db: Database.Database;
  /**
   * synchronous=NORMAL on the same file, for the journal, adverts, reputation,
   * spot-check answers, and the creation of agreements, executions and nonces:
   * in WAL mode a commit is in the OS before the call returns, so it survives
   * kill -9 (only a power cut can lose the last ones), and neither a gossip
   * burst nor a job pays an fsync (about 5 ms here). What moves money —
   * channel states, payments, billed units, credit — is on `db`.
   */
  readonly lazy: Database.Database;

  /** A node that keeps nothing (dataDir ":memory:": simulations, tests). */
  private readonly inMemory: boolean;

  constructor(dataDir: string | ":memory:") {
    const file = dataDir === ":memory:" ? ":memory:" : join(dataDir, DB_FILE);
    this.inMemory = file === ":memory:";
    this.db = reusingStatements(new Database(file));
    this.db.pragma("journal_mode = WAL");
    // FULL: the WAL is synced at every commit, so a committed channel state survives power loss, not only kill -9.
    this.db.pragma("synchronous = FULL");
    this.db.defaultSafeIntegers(true);
    this.db.exec(SCHEMA);
    // An in-memory database is private to its connection: one connection serves both roles there.
    this.lazy = file === ":memory:" ? this.db : reusingStatements(new Database(file));
    if (this.lazy !== this.db) {
      this.lazy.pragma("journal_mode = WAL");
      this.lazy.pragma("synchronous = NORMAL");
      this.lazy.defaultSafeIntegers(true);
    }
    if (file !== ":memory:") {
      // The directory is 0700 already; the files say the same.
      for (const f of [file, `${file}-wal`, `${file}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
    }
    const v = this.getMeta("schema_version");
    if (v === undefined) this.setMeta("schema_version", String(SCHEMA_VERSION));
    else if (Number(v) !== SCHEMA_VERSION) throw new Error(`node database schema version ${v}; this node reads version ${SCHEMA_VERSION}`);
  }

  close(): void {
    if (this.lazy !== this.db && this.lazy.open) this.lazy.close();
    if (this.db.open) this.db.close();
  }

  /** Runs `f` in one transaction (committed and synced when it returns). */
  tx<T>(f: () => T): T {
    return this.db.transaction(f)();
  }

  getMeta(key: string): string | undefined {
    const r = this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as Row | undefined;
    return r ? String(r.value) : undefined;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  // --- channels -------------------------------------------------------------

  private channelFrom(r: Row): ChannelRow {
    return {
      channelId: u8(r.channel_id),
      role: r.role as ChannelRole,
      peer: u8(r.peer),
      peerKey: u8(r.peer_key),
      nonce: u64(r.nonce),
      deposit: big(r.deposit),
      state: u8(r.state),
      sequence: big(r.sequence),
      pending: r.pending_state == null ? null : {
        state: u8(r.pending_state), sequence: big(r.pending_seq), jobId: u8(r.pending_job), agreementId: u8(r.pending_agreement),
        amount: big(r.pending_amount), units: big(r.pending_units),
      },
      status: r.status as ChannelRow["status"],
      openedAt: big(r.opened_at),
    };
  }

  insertChannel(c: Omit<ChannelRow, "pending" | "status"> & { status: "opening" | "open" }): void {
    this.db.prepare("INSERT INTO channels (channel_id, role, peer, peer_key, nonce, deposit, state, sequence, status, opened_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(buf(c.channelId), c.role, buf(c.peer), buf(c.peerKey), i64(c.nonce), c.deposit, buf(c.state), c.sequence, c.status, c.openedAt);
  }

  /** An opening channel becomes open with the countersigned state 0. */
  activateChannel(channelId: Uint8Array, state: Uint8Array): void {
    const r = this.db.prepare("UPDATE channels SET state = ?, status = 'open' WHERE channel_id = ? AND status = 'opening' AND sequence = 0").run(buf(state), buf(channelId));
    if (r.changes !== 1) throw new Error("no opening channel to activate");
  }

  deleteChannel(channelId: Uint8Array): void {
    this.db.prepare("DELETE FROM channels WHERE channel_id = ? AND status = 'opening'").run(buf(channelId));
  }

  channel(channelId: Uint8Array): ChannelRow | undefined {
    const r = this.db.prepare("SELECT * FROM channels WHERE channel_id = ?").get(buf(channelId)) as Row | undefined;
    return r ? this.channelFrom(r) : undefined;
  }

  channels(): ChannelRow[] {
    return (this.db.prepare("SELECT * FROM channels ORDER BY opened_at, channel_id").all() as Row[]).map((r) => this.channelFrom(r));
  }

  /** Open and opening channels with a peer, newest first. */
  liveChannelsWith(peer: Uint8Array, role: ChannelRole): ChannelRow[] {
    return (this.db.prepare("SELECT * FROM channels WHERE peer = ? AND role = ? AND status != 'closed' ORDER BY opened_at DESC, rowid DESC").all(buf(peer), role) as Row[]).map((r) => this.channelFrom(r));
  }

  /** The acknowledged state moves forward; a pending update it completes is cleared. */
  setChannelState(channelId: Uint8Array, state: Uint8Array, sequence: bigint): void {
    const r = this.db.prepare("UPDATE channels SET state = ?, sequence = ?, pending_state = CASE WHEN pending_seq <= ? THEN NULL ELSE pending_state END, pending_seq = CASE WHEN pending_seq <= ? THEN NULL ELSE pending_seq END WHERE channel_id = ? AND sequence < ?")
      .run(buf(state), sequence, sequence, sequence, buf(channelId), sequence);
    if (r.changes !== 1) throw new Error("channel sequence would not move forward");
  }

  setPending(channelId: Uint8Array, p: PendingUpdate): void {
    this.db.prepare("UPDATE channels SET pending_state = ?, pending_seq = ?, pending_job = ?, pending_agreement = ?, pending_amount = ?, pending_units = ? WHERE channel_id = ?")
      .run(buf(p.state), p.sequence, buf(p.jobId), buf(p.agreementId), p.amount, p.units, buf(channelId));
  }

  closeChannel(channelId: Uint8Array, at: number): void {
    this.db.prepare("UPDATE channels SET status = 'closed', closed_at = ? WHERE channel_id = ?").run(at, buf(channelId));
  }

  insertPayment(p: { channelId: Uint8Array; jobId: Uint8Array; agreementId: Uint8Array; sequence: bigint; amount: bigint; units: bigint; acknowledged: boolean }): void {
    this.db.prepare("INSERT INTO payments (channel_id, job_id, agreement_id, sequence, amount, units, acknowledged) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(buf(p.channelId), buf(p.jobId), buf(p.agreementId), p.sequence, p.amount, p.units, p.acknowledged ? 1 : 0);
  }

  acknowledgePayment(channelId: Uint8Array, sequence: bigint): void {
    this.db.prepare("UPDATE payments SET acknowledged = 1 WHERE channel_id = ? AND sequence <= ?").run(buf(channelId), sequence);
  }

  payment(channelId: Uint8Array, jobId: Uint8Array): { sequence: bigint; amount: bigint; units: bigint; acknowledged: boolean; agreementId: Uint8Array } | undefined {
    const r = this.db.prepare("SELECT * FROM payments WHERE channel_id = ? AND job_id = ?").get(buf(channelId), buf(jobId)) as Row | undefined;
    return r ? { sequence: big(r.sequence), amount: big(r.amount), units: big(r.units), acknowledged: num(r.acknowledged) === 1, agreementId: u8(r.agreement_id) } : undefined;
  }

  /** Payments for one job across every channel (a job is paid at most once per provider). */
  paymentsForJob(jobId: Uint8Array): { channelId: Uint8Array; amount: bigint; acknowledged: boolean }[] {
    return (this.db.prepare("SELECT channel_id, amount, acknowledged FROM payments WHERE job_id = ?").all(buf(jobId)) as Row[])
      .map((r) => ({ channelId: u8(r.channel_id), amount: big(r.amount), acknowledged: num(r.acknowledged) === 1 }));
  }

  /**
   * Payments owed for verified results, recorded when the result is accepted
   * and deleted in the transaction that commits the payment (docs/NODE.md
   * §11.2 rule 6): what a node stopped or killed before it paid still pays
   * after its restart. NORMAL (the result path pays no fsync).
   */
  addOwed(rows: OwedRow[], now: number): void {
    const st = this.lazy.prepare("INSERT OR IGNORE INTO owed (channel_id, job_id, agreement_id, units, journal_job, added_at) VALUES (?, ?, ?, ?, ?, ?)");
    this.lazy.transaction(() => {
      for (const r of rows) st.run(buf(r.channelId), buf(r.jobId), buf(r.agreementId), r.units, buf(r.journalJobId), now);
    })();
  }

  deleteOwed(channelId: Uint8Array, jobId: Uint8Array): void {
    this.db.prepare("DELETE FROM owed WHERE channel_id = ? AND job_id = ?").run(buf(channelId), buf(jobId));
  }

  owed(): OwedRow[] {
    return (this.db.prepare("SELECT * FROM owed ORDER BY added_at").all() as Row[])
      .map((r) => ({ channelId: u8(r.channel_id), jobId: u8(r.job_id), agreementId: u8(r.agreement_id), units: big(r.units), journalJobId: u8(r.journal_job) }));
  }

  paymentCount(channelId: Uint8Array): number {
    return num((this.db.prepare("SELECT COUNT(*) AS n FROM payments WHERE channel_id = ?").get(buf(channelId)) as Row).n);
  }

  // --- agreements and executions ---------------------------------------------

  private agreementFrom(r: Row): AgreementRow {
    return {
      agreementId: u8(r.agreement_id), role: r.role as AgreementRow["role"], peer: u8(r.peer), body: u8(r.body),
      providerSig: u8(r.provider_sig), consumerSig: u8n(r.consumer_sig), validUntil: big(r.valid_until),
      billedUnits: big(r.billed_units), billedAmount: big(r.billed_amount),
    };
  }

  insertAgreement(a: Omit<AgreementRow, "billedUnits" | "billedAmount">, now: number): void {
    this.lazy.prepare("INSERT INTO agreements (agreement_id, role, peer, body, provider_sig, consumer_sig, valid_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (agreement_id) DO UPDATE SET consumer_sig = COALESCE(agreements.consumer_sig, excluded.consumer_sig)")
      .run(buf(a.agreementId), a.role, buf(a.peer), buf(a.body), buf(a.providerSig), a.consumerSig ? buf(a.consumerSig) : null, a.validUntil, now);
  }

  agreement(agreementId: Uint8Array): AgreementRow | undefined {
    const r = this.db.prepare("SELECT * FROM agreements WHERE agreement_id = ?").get(buf(agreementId)) as Row | undefined;
    return r ? this.agreementFrom(r) : undefined;
  }

  /** Agreements as consumer with a peer, still valid at `now`, newest first. */
  validAgreementsWith(peer: Uint8Array, now: number): AgreementRow[] {
    return (this.db.prepare("SELECT * FROM agreements WHERE peer = ? AND role = 'consumer' AND valid_until > ? ORDER BY valid_until DESC").all(buf(peer), now) as Row[]).map((r) => this.agreementFrom(r));
  }

  addBilled(agreementId: Uint8Array, units: bigint, amount: bigint): void {
    this.db.prepare("UPDATE agreements SET billed_units = billed_units + ?, billed_amount = billed_amount + ? WHERE agreement_id = ?").run(units, amount, buf(agreementId));
  }

  agreementCount(): number {
    return num((this.db.prepare("SELECT COUNT(*) AS n FROM agreements").get() as Row).n);
  }

  insertExecution(e: Omit<ExecutionRow, "paid">): void {
    this.lazy.prepare("INSERT OR IGNORE INTO executions (agreement_id, job_id, job_hash, result_message, units, executed_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(buf(e.agreementId), buf(e.jobId), buf(e.jobHash), buf(e.resultMessage), e.units, e.executedAt);
  }

  execution(agreementId: Uint8Array, jobId: Uint8Array): ExecutionRow | undefined {
    const r = this.db.prepare("SELECT * FROM executions WHERE agreement_id = ? AND job_id = ?").get(buf(agreementId), buf(jobId)) as Row | undefined;
    return r ? {
      agreementId: u8(r.agreement_id), jobId: u8(r.job_id), jobHash: u8(r.job_hash), resultMessage: u8(r.result_message),
      units: big(r.units), paid: num(r.paid) === 1, executedAt: big(r.executed_at),
    } : undefined;
  }

  markExecutionPaid(agreementId: Uint8Array, jobId: Uint8Array): void {
    this.db.prepare("UPDATE executions SET paid = 1 WHERE agreement_id = ? AND job_id = ?").run(buf(agreementId), buf(jobId));
  }

  // --- reputation -------------------------------------------------------------

  reputation(nodeId: Uint8Array): ReputationRow | undefined {
    const r = this.lazy.prepare("SELECT * FROM reputation WHERE node_id = ?").get(buf(nodeId)) as Row | undefined;
    return r ? { nodeId: u8(r.node_id), score: num(r.score), successes: num(r.successes), failures: num(r.failures) } : undefined;
  }

  putReputation(r: ReputationRow, now: number): void {
    this.lazy.prepare("INSERT INTO reputation (node_id, score, successes, failures, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET score = excluded.score, successes = excluded.successes, failures = excluded.failures, updated_at = excluded.updated_at")
      .run(buf(r.nodeId), r.score, r.successes, r.failures, now);
  }

  reputations(): ReputationRow[] {
    return (this.lazy.prepare("SELECT * FROM reputation ORDER BY score DESC, node_id").all() as Row[]).map((r) => ({ nodeId: u8(r.node_id), score: num(r.score), successes: num(r.successes), failures: num(r.failures) }));
  }

  // --- adverts and nonces -------------------------------------------------------

  /**
   * Held adverts are written only so that a restarted node knows its
   * neighbours and still refuses superseded ones. An in-memory node is never
   * restarted, so it writes none: a 1,000-node simulation would otherwise copy
   * every advert into every node's database (a million rows, a gigabyte).
   */
  putAdvert(nodeId: Uint8Array, seq: bigint, bytes: Uint8Array, expiresAt: bigint, now: number): void {
    if (this.inMemory) return;
    this.lazy.prepare("INSERT INTO adverts (node_id, seq, bytes, expires_at, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET seq = excluded.seq, bytes = excluded.bytes, expires_at = excluded.expires_at, received_at = excluded.received_at WHERE excluded.seq > adverts.seq")
      .run(buf(nodeId), seq, buf(bytes), expiresAt, now);
  }

  adverts(): { nodeId: Uint8Array; seq: bigint; bytes: Uint8Array; expiresAt: bigint }[] {
    return (this.lazy.prepare("SELECT node_id, seq, bytes, expires_at FROM adverts").all() as Row[]).map((r) => ({ nodeId: u8(r.node_id), seq: big(r.seq), bytes: u8(r.bytes), expiresAt: big(r.expires_at) }));
  }

  deleteAdvert(nodeId: Uint8Array): void {
    this.lazy.prepare("DELETE FROM adverts WHERE node_id = ?").run(buf(nodeId));
  }

  /** Records a request nonce; false if it was seen already (a replay). */
  rememberNonce(consumer: Uint8Array, nonce: bigint, now: number, maxAgeMs: number): boolean {
    this.lazy.prepare("DELETE FROM nonces WHERE seen_at < ?").run(now - 2 * maxAgeMs);
    return this.lazy.prepare("INSERT OR IGNORE INTO nonces (consumer, nonce, seen_at) VALUES (?, ?, ?)").run(buf(consumer), i64(nonce), now).changes === 1;
  }

  // --- journal ------------------------------------------------------------------

  journalStart(e: Pick<JournalEntry, "jobId" | "role" | "jobHash" | "kind" | "receivedAt" | "proof">): void {
    this.lazy.prepare("INSERT OR REPLACE INTO jobs (job_id, role, job_hash, kind, received_at, ran_on, providers, proof) VALUES (?, ?, ?, ?, ?, 'running', '[]', ?)")
      .run(buf(e.jobId), e.role, buf(e.jobHash), e.kind, e.receivedAt, e.proof);
  }

  journalFinish(jobId: Uint8Array, f: { ranOn: string; providers: string[]; resultHash: Uint8Array | null; cycles: bigint | null; cost: bigint | null; detail: string | null; finishedAt: number }): void {
    this.lazy.prepare("UPDATE jobs SET ran_on = ?, providers = ?, result_hash = ?, cycles = ?, cost = COALESCE(?, cost), detail = ?, finished_at = ? WHERE job_id = ?")
      .run(f.ranOn, JSON.stringify(f.providers), f.resultHash ? buf(f.resultHash) : null, f.cycles, f.cost, f.detail, f.finishedAt, buf(jobId));
  }

  addCost(jobId: Uint8Array, amount: bigint): void {
    this.lazy.prepare("UPDATE jobs SET cost = COALESCE(cost, 0) + ? WHERE job_id = ?").run(amount, buf(jobId));
  }

  private journalFrom(r: Row): JournalEntry {
    return {
      jobId: u8(r.job_id), role: r.role as JournalEntry["role"], jobHash: u8(r.job_hash), kind: String(r.kind),
      receivedAt: num(r.received_at), finishedAt: r.finished_at == null ? null : num(r.finished_at), ranOn: String(r.ran_on),
      providers: JSON.parse(String(r.providers)) as string[], proof: String(r.proof), resultHash: u8n(r.result_hash),
      cycles: r.cycles == null ? null : big(r.cycles), cost: r.cost == null ? null : big(r.cost), detail: r.detail == null ? null : String(r.detail),
    };
  }

  journal(limit: number): JournalEntry[] {
    return (this.lazy.prepare("SELECT * FROM jobs ORDER BY received_at DESC, rowid DESC LIMIT ?").all(limit) as Row[]).map((r) => this.journalFrom(r));
  }

  journalEntry(jobId: Uint8Array): JournalEntry | undefined {
    const r = this.lazy.prepare("SELECT * FROM jobs WHERE job_id = ?").get(buf(jobId)) as Row | undefined;
    return r ? this.journalFrom(r) : undefined;
  }

  addAttempt(a: AttemptRow): void {
    this.lazy.prepare("INSERT OR REPLACE INTO attempts (job_id, n, provider, outcome, code, detail, at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(buf(a.jobId), a.n, buf(a.provider), a.outcome, a.code, a.detail, a.at);
  }

  attempts(jobId: Uint8Array): AttemptRow[] {
    return (this.lazy.prepare("SELECT * FROM attempts WHERE job_id = ? ORDER BY n").all(buf(jobId)) as Row[]).map((r) => ({
      jobId: u8(r.job_id), n: num(r.n), provider: u8(r.provider), outcome: String(r.outcome), code: r.code == null ? null : num(r.code), detail: r.detail == null ? null : String(r.detail), at: num(r.at),
    }));
  }

  // --- spot-check known answers ----------------------------------------------------

  addKnownAnswer(k: KnownAnswer, now: number, cap: number): void {
    this.lazy.prepare("INSERT OR IGNORE INTO known_answers (job_hash, job, result_hash, kind, tier, max_cycles, function_id, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(buf(k.jobHash), buf(k.job), buf(k.resultHash), k.kind, k.tier, k.maxCycles, k.functionId ? buf(k.functionId) : null, now);
    this.lazy.prepare("DELETE FROM known_answers WHERE job_hash NOT IN (SELECT job_hash FROM known_answers ORDER BY added_at DESC LIMIT ?)").run(cap);
  }

  /** Known answers of a kind the provider has never been sent, newest first. */
  knownAnswersFor(provider: Uint8Array, kind: string, limit: number): KnownAnswer[] {
    return (this.lazy.prepare("SELECT * FROM known_answers k WHERE kind = ? AND NOT EXISTS (SELECT 1 FROM known_answer_sent s WHERE s.job_hash = k.job_hash AND s.provider = ?) ORDER BY added_at DESC LIMIT ?")
      .all(kind, buf(provider), limit) as Row[]).map((r) => ({
      jobHash: u8(r.job_hash), job: u8(r.job), resultHash: u8(r.result_hash), kind: String(r.kind), tier: num(r.tier), maxCycles: big(r.max_cycles), functionId: u8n(r.function_id),
    }));
  }

  markKnownAnswerSent(jobHash: Uint8Array, provider: Uint8Array): void {
    this.lazy.prepare("INSERT OR IGNORE INTO known_answer_sent (job_hash, provider) VALUES (?, ?)").run(buf(jobHash), buf(provider));
  }

  knownAnswerCount(): number {
    return num((this.lazy.prepare("SELECT COUNT(*) AS n FROM known_answers").get() as Row).n);
  }
}
