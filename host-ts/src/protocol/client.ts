/**
 * BoardClient: the host side of the board protocol over any byte stream
 * (a serial port, a QEMU chardev, a child process's stdio).
 *
 * One request is on the link at a time. Every attempt gets a fresh request id,
 * so a reply is accepted only for the attempt it answers: a late reply to an
 * earlier attempt is discarded, and a result can never be attributed to the
 * wrong request. An attempt is repeated (with a new id) when it times out, when
 * the board reports the request frame damaged, when the reply arrives damaged,
 * or when the board announces a restart. docs/PROTOCOL.md §6 has the rules.
 */
import { Deframer, encodeFrame, type Frame, type FrameFault, type FrameResult } from "./framing.ts";
import { LINK_ERRORS, MAX_PAYLOAD, Msg, MSG_NAMES, PROTO_ERROR_NAMES, ProtoError, type ProtoErrorName } from "../generated/protocol.ts";
import {
  MessageError,
  helloRequest, runRequest, benchRequest, stateRequest, resetRequest,
  parseHello, parseRunReply, parseBenchReply,
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
  /** Attempts after the first before a request fails. Default 3. */
  retries?: number;
  /** Protocol events, for logs and tests. */
  onEvent?: (e: ClientEvent) => void;
}

export interface CallOptions {
  /** Replaces the client's timeoutMs for this request (a long job, a large BENCH). */
  timeoutMs?: number;
}

export type ClientEvent =
  | { kind: "retry"; request: string; attempt: number; reason: string }
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

interface Pending {
  id: number;
  onFrame(f: Frame): void;
  onFault(reason: string): void;
  onRestart(): void;
}

const MAX_RESTART_RESENDS = 3;

const REPLY_ALLOWANCE: Readonly<Record<number, number>> = {
  [Msg.HELLO]: 512,
  [Msg.RUN]: 8192 + 64,
  [Msg.BENCH]: 8192 + 96,
  [Msg.STATE]: MAX_PAYLOAD + 64,
  [Msg.RESET]: 64,
};

export class BoardClient {
  readonly stats: ClientStats = { requests: 0, attempts: 0, retries: 0, timeouts: 0, staleReplies: 0, badFrames: 0, unattributedErrors: 0, announcements: 0 };
  /** The last HELLO the board sent (asked for or announced). */
  lastHello?: HelloInfo;

  private readonly timeoutMs: number;
  private readonly bytesPerSecond: number;
  private readonly retries: number;
  private readonly deframer: Deframer;
  private chain: Promise<unknown> = Promise.resolve();
  private pending?: Pending;
  private lastId = 0;
  private closed = false;
  private closers: (() => void)[] = [];

  constructor(private readonly stream: ByteStream, private readonly opts: BoardClientOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.bytesPerSecond = opts.bytesPerSecond ?? 11520;
    this.retries = opts.retries ?? 3;
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
    for (const c of this.closers.splice(0)) c();
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

  private exchange<T>(name: string, build: (id: number) => Frame, type: number, parse: (f: Frame) => T, opts: CallOptions, payloadLen: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new LinkError(`${name}: client closed`, "CLOSED"));
      this.stats.requests++;
      let attempt = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let done = false;

      const finish = (err: Error | undefined, value?: T) => {
        if (done) return;
        done = true;
        if (timer) clearTimeout(timer);
        this.pending = undefined;
        this.closers = this.closers.filter((c) => c !== onClose);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onClose = () => finish(new LinkError(`${name}: client closed`, "CLOSED"));
      this.closers.push(onClose);

      let restarts = 0;
      const send = (reason?: string, restart = false) => {
        if (done) return;
        // A restart announcement costs no retry (the board may have booted just before
        // our frame arrived), but a board that keeps restarting fails the request.
        if (restart && ++restarts <= MAX_RESTART_RESENDS) attempt--;
        if (attempt > this.retries) {
          finish(new LinkError(`${name}: no valid reply after ${attempt} attempt(s) (last: ${reason})`, "TIMEOUT"));
          return;
        }
        if (reason !== undefined) {
          this.stats.retries++;
          this.opts.onEvent?.({ kind: "retry", request: name, attempt: attempt + 1, reason });
        }
        attempt++;
        this.stats.attempts++;
        const id = this.nextId();
        const wire = encodeFrame(build(id));
        const wireMs = ((wire.length + (REPLY_ALLOWANCE[type] ?? 1024)) * 1000) / this.bytesPerSecond;
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
          this.stats.timeouts++;
          send("timeout");
        }, (opts.timeoutMs ?? this.timeoutMs) + wireMs);
        this.pending = {
          id,
          onFrame: (f) => {
            if (f.type === Msg.ERROR) {
              const code = f.arg;
              const tooLargeButFits = code === ProtoError.FRAME_TOO_LARGE && payloadLen <= (this.lastHello?.maxPayload ?? MAX_PAYLOAD);
              if (LINK_ERRORS.has(code) || tooLargeButFits) send(`board reported ${PROTO_ERROR_NAMES[code]}`);
              else finish(new BoardError(code, name));
              return;
            }
            if (f.type !== (type | Msg.REPLY)) {
              finish(new LinkError(`${name}: board answered with ${MSG_NAMES[f.type] ?? `type 0x${f.type.toString(16)}`}`, "PROTOCOL"));
              return;
            }
            try {
              finish(undefined, parse(f));
            } catch (e) {
              if (e instanceof MessageError) finish(new LinkError(`${name}: ${e.message}`, "PROTOCOL"));
              else finish(e as Error);
            }
          },
          onFault: (reason) => send(reason),
          onRestart: () => send("board restarted", true),
        };
        this.stream.write(wire);
      };
      send();
    });
  }

  private receive(r: FrameResult): void {
    const p = this.pending;
    if (!r.ok) {
      this.stats.badFrames++;
      this.opts.onEvent?.({ kind: "bad-frame", fault: r.fault, id: r.id });
      if (p && r.id === p.id) p.onFault(`reply damaged (${r.fault})`);
      return;
    }
    const f = r.frame;
    if (f.id === 0) {
      if (f.type === Msg.ERROR) {
        // The board could not attribute a frame it received; if it was ours, only a resend helps.
        this.stats.unattributedErrors++;
        this.opts.onEvent?.({ kind: "unattributed-error", code: f.arg });
        p?.onFault(`board reported ${PROTO_ERROR_NAMES[f.arg] ?? f.arg} for a frame it could not attribute`);
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
        p?.onRestart();
      }
      return;
    }
    if (!p || f.id !== p.id) {
      this.stats.staleReplies++;
      this.opts.onEvent?.({ kind: "stale", id: f.id, type: f.type });
      return;
    }
    p.onFrame(f);
  }
}
