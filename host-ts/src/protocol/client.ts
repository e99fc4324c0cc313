/**
 * BoardClient: the host side of the board protocol over any byte stream
 * (a serial port, a QEMU chardev, a child process's stdio).
 *
 * One request is on the link at a time. Every attempt gets a fresh request id,
 * so a reply is accepted only for the attempt it answers: a late reply to an
 * earlier attempt is discarded, and a result can never be attributed to the
 * wrong request. An attempt is repeated (with a new id) when the board reports
 * the request frame damaged, or announces a restart. When the reply itself is
 * damaged or lost and the board keeps its replies (HELLO feature READ), the
 * client reads that reply again in small chunks, each its own CRC-checked
 * frame retried on its own, instead of running the job again: a large result
 * then survives a noisy link. docs/PROTOCOL.md §4.6 and §6 have the rules.
 */
import { Deframer, encodeFrame, type Frame, type FrameFault, type FrameResult } from "./framing.ts";
import { LINK_ERRORS, MAX_PAYLOAD, Msg, MSG_NAMES, PROTO_ERROR_NAMES, ProtoError, type ProtoErrorName } from "../generated/protocol.ts";
import { concatBytes } from "../model/bytes.ts";
import {
  MessageError,
  helloRequest, runRequest, benchRequest, stateRequest, resetRequest, readRequest,
  parseHello, parseRunReply, parseBenchReply, parseReadReply,
  type HelloInfo, type RunReply, type BenchReply,
} from "./messages.ts";

/** What the client needs of a link: write bytes, be told of bytes that arrive. */
export interface ByteStream {
  write(bytes: Uint8Array): void;
  onData(cb: (chunk: Uint8Array) => void): void;
}

export interface BoardClientOptions {
  /** Reply timeout of one attempt in ms, on top of the time the frames take on the wire. Default 2000. */
  timeoutMs?: number;
  /** Link throughput used to stretch timeouts for long frames, in bytes/s. Default 11520 (115200 baud, 8N1). */
  bytesPerSecond?: number;
  /** Attempts after the first before a request (or one chunk of a read-back) fails. Default 3. */
  retries?: number;
  /** Payload bytes per READ when a reply is read back. Default 480 (a frame of about two COBS groups). */
  readChunk?: number;
  /** Protocol events, for logs and tests. */
  onEvent?: (e: ClientEvent) => void;
}

export interface CallOptions {
  /** Replaces the client's timeoutMs for this request (a long job, a large BENCH). */
  timeoutMs?: number;
}

export type ClientEvent =
  | { kind: "retry"; request: string; attempt: number; reason: string }
  | { kind: "read-back"; request: string; reason: string }
  | { kind: "stale"; id: number; type: number }
  | { kind: "announce"; hello?: HelloInfo }
  | { kind: "bad-frame"; fault: FrameFault; id?: number }
  | { kind: "unattributed-error"; code: number };

export interface ClientStats {
  requests: number;
  attempts: number;
  retries: number;
  timeouts: number;
  staleReplies: number;
  badFrames: number;
  unattributedErrors: number;
  announcements: number;
  /** Replies read back by READ after the original copy was damaged or lost. */
  readBacks: number;
  /** READ requests sent (every chunk attempt). */
  reads: number;
}

/** The link failed: no valid reply after every retry, the client was closed, or the board broke the protocol. */
export class LinkError extends Error {
  constructor(message: string, readonly code: "TIMEOUT" | "CLOSED" | "PROTOCOL") {
    super(message);
    this.name = "LinkError";
  }
}

/** The board answered the request with an ERROR reply that retrying cannot fix. */
export class BoardError extends Error {
  readonly codeName: ProtoErrorName | "UNKNOWN";
  constructor(readonly code: number, request: string) {
    const name = PROTO_ERROR_NAMES[code] ?? "UNKNOWN";
    super(`board answered ${request} with ERROR ${code} (${name})`);
    this.name = "BoardError";
    this.codeName = name;
  }
}

/** How one transaction (a frame sent, the answer awaited) ended. */
type Outcome =
  | { kind: "frame"; frame: Frame }
  | { kind: "damaged"; reason: string }
  | { kind: "unattributed"; reason: string }
  | { kind: "timeout" }
  | { kind: "restart" }
  | { kind: "closed" };

interface Pending {
  ids: ReadonlySet<number>;
  settle(o: Outcome): void;
}

const MAX_RESTART_RESENDS = 3;

/** Replies the board keeps for READ. */
const KEPT: ReadonlySet<number> = new Set([Msg.RUN, Msg.BENCH, Msg.STATE]);

export class BoardClient {
  readonly stats: ClientStats = { requests: 0, attempts: 0, retries: 0, timeouts: 0, staleReplies: 0, badFrames: 0, unattributedErrors: 0, announcements: 0, readBacks: 0, reads: 0 };
  /** The last HELLO the board sent (asked for or announced). */
  lastHello?: HelloInfo;

  private readonly timeoutMs: number;
  private readonly bytesPerSecond: number;
  private readonly retries: number;
  private readonly readChunk: number;
  private readonly deframer: Deframer;
  private chain: Promise<unknown> = Promise.resolve();
  private pending?: Pending;
  private lastId = 0;
  private closed = false;
  /** Set when a board that announced READ answered it with UNKNOWN_COMMAND. */
  private readRefused = false;

  constructor(private readonly stream: ByteStream, private readonly opts: BoardClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.bytesPerSecond = opts.bytesPerSecond ?? 11520;
    this.retries = opts.retries ?? 3;
    this.readChunk = opts.readChunk ?? 480;
    if (!Number.isInteger(this.readChunk) || this.readChunk < 1 || this.readChunk > 0xffff) throw new RangeError(`readChunk must be 1..65535, got ${this.readChunk}`);
    this.deframer = new Deframer((r) => this.receive(r));
    stream.onData((chunk) => this.deframer.push(chunk));
  }

  hello(opts: CallOptions = {}): Promise<HelloInfo> {
    return this.request("HELLO", helloRequest, Msg.HELLO, (f) => {
      const h = parseHello(f.payload);
      this.lastHello = h;
      return h;
    }, opts);
  }

  run(job: Uint8Array, opts: CallOptions = {}): Promise<RunReply> {
    return this.request("RUN", (id) => runRequest(id, job), Msg.RUN, (f) => parseRunReply(f.payload), opts, job.length);
  }

  bench(job: Uint8Array, iterations: number, opts: CallOptions = {}): Promise<BenchReply> {
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 0xffffffff) {
      return Promise.reject(new RangeError(`BENCH iterations must be a positive 32-bit integer, got ${iterations}`));
    }
    return this.request("BENCH", (id) => benchRequest(id, job, iterations), Msg.BENCH, (f) => parseBenchReply(f.payload), opts, job.length);
  }

  /** The final state encoding of the last RUN/BENCH, or undefined when the board has none to report. */
  state(opts: CallOptions = {}): Promise<Uint8Array | undefined> {
    return this.request("STATE", stateRequest, Msg.STATE, (f) => f.payload as Uint8Array | undefined, opts).catch((e: unknown) => {
      if (e instanceof BoardError && e.code === ProtoError.NO_STATE) return undefined;
      throw e;
    });
  }

  reset(opts: CallOptions = {}): Promise<void> {
    return this.request("RESET", resetRequest, Msg.RESET, () => undefined, opts);
  }

  /** Fails the request in flight and every later one with LinkError CLOSED. */
  close(): void {
    this.closed = true;
    this.pending?.settle({ kind: "closed" });
  }

  // ---- internals -------------------------------------------------------------

  private nextId(): number {
    this.lastId = this.lastId >= 0xffff ? 1 : this.lastId + 1;
    return this.lastId;
  }

  private request<T>(name: string, build: (id: number) => Frame, type: number, parse: (f: Frame) => T, opts: CallOptions, payloadLen = 0): Promise<T> {
    const run = this.chain.then(() => this.exchange(name, build, type, parse, opts, payloadLen));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The time one transaction may take: the base timeout plus both frames' time on the wire. */
  private deadline(baseMs: number, wireBytes: number, replyBytes: number): number {
    return baseMs + ((wireBytes + replyBytes) * 1000) / this.bytesPerSecond;
  }

  /** Sends one frame and waits for the first frame, damaged frame or event that concerns one of `ids`. */
  private transact(wire: Uint8Array, ids: ReadonlySet<number>, timeoutMs: number): Promise<Outcome> {
    if (this.closed) return Promise.resolve({ kind: "closed" });
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => settle({ kind: "timeout" }), timeoutMs);
      const settle = (o: Outcome) => {
        if (this.pending !== pending) return;
        clearTimeout(timer);
        this.pending = undefined;
        resolve(o);
      };
      const pending: Pending = { ids, settle };
      this.pending = pending;
      this.stream.write(wire);
    });
  }

  private async exchange<T>(name: string, build: (id: number) => Frame, type: number, parse: (f: Frame) => T, opts: CallOptions, payloadLen: number): Promise<T> {
    if (this.closed) throw new LinkError(`${name}: client closed`, "CLOSED");
    this.stats.requests++;
    const replyAllowance = type === Msg.STATE ? MAX_PAYLOAD + 64 : type === Msg.HELLO ? 512 : type === Msg.RESET ? 64 : 8192 + 96;
    let attempt = 0;
    let restarts = 0;
    let reason: string | undefined;
    for (;;) {
      if (attempt > this.retries) throw new LinkError(`${name}: no valid reply after ${attempt} attempt(s) (last: ${reason})`, "TIMEOUT");
      if (reason !== undefined) {
        this.stats.retries++;
        this.opts.onEvent?.({ kind: "retry", request: name, attempt: attempt + 1, reason });
      }
      attempt++;
      this.stats.attempts++;
      const id = this.nextId();
      const wire = encodeFrame(build(id));
      let o = await this.transact(wire, new Set([id]), this.deadline(opts.timeoutMs ?? this.timeoutMs, wire.length, replyAllowance));
      if (o.kind === "timeout") this.stats.timeouts++;
      if ((o.kind === "timeout" || o.kind === "damaged") && this.canReadBack(type)) {
        // The board may have sent the reply and the link lost it: read its kept copy back.
        this.opts.onEvent?.({ kind: "read-back", request: name, reason: o.kind === "timeout" ? "timeout" : o.reason });
        o = await this.readBack(id, type);
        if (o.kind === "frame") this.stats.readBacks++;
      }
      switch (o.kind) {
        case "closed":
          throw new LinkError(`${name}: client closed`, "CLOSED");
        case "restart":
          // A restart announcement costs no retry (the board may have booted just before
          // our frame arrived), but a board that keeps restarting fails the request.
          if (++restarts <= MAX_RESTART_RESENDS) attempt--;
          reason = "board restarted";
          continue;
        case "timeout":
          reason = "timeout";
          continue;
        case "damaged":
        case "unattributed":
          reason = o.reason;
          continue;
        case "frame": {
          const f = o.frame;
          if (f.type === Msg.ERROR) {
            const code = f.arg;
            const tooLargeButFits = code === ProtoError.FRAME_TOO_LARGE && payloadLen <= (this.lastHello?.maxPayload ?? MAX_PAYLOAD);
            if (LINK_ERRORS.has(code) || tooLargeButFits) { reason = `board reported ${PROTO_ERROR_NAMES[code]}`; continue; }
            throw new BoardError(code, name);
          }
          if (f.type !== (type | Msg.REPLY)) throw new LinkError(`${name}: board answered with ${MSG_NAMES[f.type] ?? `type 0x${f.type.toString(16)}`}`, "PROTOCOL");
          try {
            return parse(f);
          } catch (e) {
            if (e instanceof MessageError) throw new LinkError(`${name}: ${e.message}`, "PROTOCOL");
            throw e;
          }
        }
      }
    }
  }

  private canReadBack(type: number): boolean {
    return KEPT.has(type) && this.lastHello?.features.read === true && !this.readRefused;
  }

  /**
   * Reads the board's kept reply to request `sourceId` back, chunk by chunk.
   * Gives the reply as the frame it would have been; a late intact copy of the
   * original, should one still arrive, is taken instead. When the board keeps
   * no reply, or keeps one to another request (it never received ours, so
   * never ran it), the outcome says "damaged" and the caller sends the
   * request again.
   */
  private async readBack(sourceId: number, type: number): Promise<Outcome> {
    const parts: Uint8Array[] = [];
    let got = 0;
    let total: number | undefined;
    while (total === undefined || got < total) {
      const want = Math.min(this.readChunk, total === undefined ? this.readChunk : total - got);
      const o = await this.readChunkOnce(sourceId, got, want);
      if (o.kind !== "chunk") return o;
      if (o.sourceId !== sourceId || o.sourceType !== (type | Msg.REPLY)) return { kind: "damaged", reason: "the board's kept reply answers another request (ours never ran)" };
      if (total === undefined) total = o.total;
      else if (o.total !== total) return { kind: "damaged", reason: "the kept reply changed while it was read back" };
      if (o.bytes.length === 0 || o.bytes.length > want) return { kind: "damaged", reason: "a READ reply of the wrong length" };
      parts.push(o.bytes);
      got += o.bytes.length;
    }
    return { kind: "frame", frame: { type: type | Msg.REPLY, id: sourceId, arg: 0, payload: concatBytes(...parts) } };
  }

  /** One chunk of a read-back, with its own retry budget. */
  private async readChunkOnce(sourceId: number, offset: number, length: number): Promise<Outcome | { kind: "chunk"; sourceId: number; sourceType: number; total: number; bytes: Uint8Array }> {
    let last = "timeout";
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const id = this.nextId();
      this.stats.reads++;
      const wire = encodeFrame(readRequest(id, offset, length));
      const o = await this.transact(wire, new Set([id, sourceId]), this.deadline(this.timeoutMs, wire.length, length + 64));
      if (o.kind === "closed" || o.kind === "restart") return o;
      if (o.kind === "timeout") { this.stats.timeouts++; last = "timeout"; continue; }
      if (o.kind !== "frame") { last = o.reason; continue; }
      const f = o.frame;
      if (f.id === sourceId) return o; // the original reply after all
      if (f.type === Msg.ERROR) {
        if (LINK_ERRORS.has(f.arg)) { last = `board reported ${PROTO_ERROR_NAMES[f.arg]}`; continue; }
        if (f.arg === ProtoError.UNKNOWN_COMMAND) this.readRefused = true;
        return { kind: "damaged", reason: `the board answered READ with ${PROTO_ERROR_NAMES[f.arg] ?? f.arg}` };
      }
      try {
        return { kind: "chunk", ...parseReadReply(f) };
      } catch (e) {
        if (!(e instanceof MessageError)) throw e;
        return { kind: "damaged", reason: e.message };
      }
    }
    return { kind: "damaged", reason: `READ of bytes ${offset}..${offset + length}: no valid reply after ${this.retries + 1} attempt(s) (last: ${last})` };
  }

  private receive(r: FrameResult): void {
    const p = this.pending;
    if (!r.ok) {
      this.stats.badFrames++;
      this.opts.onEvent?.({ kind: "bad-frame", fault: r.fault, id: r.id });
      if (p && r.id !== undefined && p.ids.has(r.id)) p.settle({ kind: "damaged", reason: `reply damaged (${r.fault})` });
      return;
    }
    const f = r.frame;
    if (f.id === 0) {
      if (f.type === Msg.ERROR) {
        // The board could not attribute a frame it received; if it was ours, only a resend helps.
        this.stats.unattributedErrors++;
        this.opts.onEvent?.({ kind: "unattributed-error", code: f.arg });
        p?.settle({ kind: "unattributed", reason: `board reported ${PROTO_ERROR_NAMES[f.arg] ?? f.arg} for a frame it could not attribute` });
      } else if (f.type === (Msg.HELLO | Msg.REPLY)) {
        this.stats.announcements++;
        let hello: HelloInfo | undefined;
        try {
          hello = parseHello(f.payload);
          this.lastHello = hello;
        } catch {
          hello = undefined;
        }
        this.opts.onEvent?.({ kind: "announce", hello });
        p?.settle({ kind: "restart" });
      }
      return;
    }
    if (!p || !p.ids.has(f.id)) {
      this.stats.staleReplies++;
      this.opts.onEvent?.({ kind: "stale", id: f.id, type: f.type });
      return;
    }
    p.settle({ kind: "frame", frame: f });
  }
}
