/**
 * The owner-only local control API (docs/NODE.md §13): a unix socket,
 * `DATA/control.sock`, mode 0600 in a data directory of mode 0700, so only
 * the user who runs the node (and root) can connect; the kernel refuses
 * everyone else at connect(2). The protocol is one JSON object per line:
 *   → {"id": 1, "method": "status" | "submit" | "private" | "close-channel" | "publish-advert" | "stop", "params": {...}}
 *   ← {"id": 1, "event": "progress", "stage": "...", "detail": "..."}   (zero or more)
 *   ← {"id": 1, "result": {...}}  or  {"id": 1, "error": {"code": "...", "message": "..."}}
 * Anything else (bad JSON, an unknown method, a line over 16 MiB) is answered
 * with an error and the connection is closed.
 */
import { createServer, type Server, type Socket, connect } from "node:net";
import { chmodSync, existsSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { bytesToHex, hexToBytes } from "../model/bytes.ts";
import { ProtocolError } from "./wire/protocol-error.ts";
import { parseProof, type Progress } from "./consumer.ts";
import type { NodeStatus, SubmitOptions, SubmitOutcome, SubmitRequest } from "./mesh-node.ts";
import { PRIVACY_MODES, type PrivacyMode } from "./private/modes.ts";
import type { PrivateOutcome, PrivateRequest } from "./private/consumer-client.ts";
import { SHARED_WORKLOADS, type SharedJob } from "./private/shared-jobs.ts";
import { parseTeePolicy } from "./private/tee-config.ts";

export const CONTROL_SOCKET = "control.sock";
const MAX_LINE = 16 * 1024 * 1024;

export interface ControlTarget {
  status(journalLimit?: number): NodeStatus;
  submit(req: SubmitRequest, opts: SubmitOptions): Promise<SubmitOutcome>;
  submitPrivate(req: PrivateRequest, opts: { progress?: Progress }): Promise<PrivateOutcome>;
  closeChannel(channelIdHex: string): Promise<void>;
  publishAdvert(): Promise<void>;
  /** Set by `mhr node start`: ends the process's node. */
  onStopRequest?: () => void;
}

/** The outcome as JSON, once its payments are settled (the CLI prints the cost). */
export async function outcomeToJson(o: SubmitOutcome): Promise<Record<string, unknown>> {
  const cost = await o.payments;
  return {
    jobId: o.jobId, jobHash: o.jobHash, kind: o.kind, result: bytesToHex(o.resultBytes), ...(o.state ? { state: bytesToHex(o.state) } : {}),
    resultHash: bytesToHex(o.resultHash), status: o.status, cycles: o.cycles.toString(), ranOn: o.ranOn, providers: o.providers,
    proof: o.proof, cost: cost.toString(), attempts: o.attempts, outcome: o.outcome,
  };
}

/** A private job's outcome as JSON, once its payments are settled (ε = ∞ is null). */
export async function privateOutcomeToJson(o: PrivateOutcome): Promise<Record<string, unknown>> {
  const cost = await o.payments;
  return {
    privacy: o.privacy, jobId: o.jobId, providers: o.providers, agreements: o.agreements, prices: o.prices.map(String), cost: cost.toString(), attempts: o.attempts,
    ...(o.logits ? { logits: o.logits, classes: o.classes } : {}), ...(o.answer !== undefined ? { answer: o.answer } : {}),
    ...(o.dp ? { dp: { epsilon: Number.isFinite(o.dp.epsilon) ? o.dp.epsilon : null, delta: o.dp.delta } } : {}), ...(o.tee ? { tee: o.tee } : {}), bytes: o.bytes,
  };
}

/** params of the `private` method → a PrivateRequest (RangeError → BAD_REQUEST). */
export function privateRequestOf(p: Record<string, unknown>): PrivateRequest {
  const privacy = p.privacy as PrivacyMode;
  if (!PRIVACY_MODES.includes(privacy)) throw new RangeError(`params.privacy is one of ${PRIVACY_MODES.join(", ")}`);
  const numOpt = (k: string): number | undefined => {
    if (p[k] === undefined || p[k] === null) return undefined;
    if (typeof p[k] !== "number" || !Number.isFinite(p[k])) throw new RangeError(`params.${k} must be a finite number`);
    return p[k] as number;
  };
  const nums = (v: unknown, k: string): number[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Number.isFinite(x))) throw new RangeError(`params.shared.${k} must be a list of numbers`);
    return v as number[];
  };
  let shared: SharedJob | undefined;
  if (p.shared !== undefined) {
    const s = p.shared as Record<string, unknown>;
    if (!s || typeof s !== "object" || !SHARED_WORKLOADS.includes(s.workload as SharedJob["workload"])) throw new RangeError(`params.shared.workload is one of ${SHARED_WORKLOADS.join(", ")}`);
    shared = { workload: s.workload as SharedJob["workload"], values: nums(s.values, "values") ?? [], weights: nums(s.weights, "weights"), list: nums(s.list, "list"), ...(typeof s.bias === "number" ? { bias: s.bias } : {}) };
  }
  let pixels: Uint8Array | undefined;
  if (p.pixels !== undefined) {
    if (typeof p.pixels !== "string") throw new RangeError("params.pixels is hex");
    pixels = hexToBytes(p.pixels);
  }
  const local = p.local;
  if (local !== undefined && local !== "host" && local !== "endpoint") throw new RangeError("params.local is host or endpoint");
  return {
    privacy, pixels, model: typeof p.model === "string" ? p.model : undefined, epsilon: numOpt("epsilon"), delta: numOpt("delta"), shared,
    tee: p.tee === undefined ? undefined : parseTeePolicy(p.tee), local: local as PrivateRequest["local"],
  };
}

export class ControlServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  readonly path: string;

  constructor(dataDir: string, private readonly target: ControlTarget) {
    this.path = join(dataDir, CONTROL_SOCKET);
  }

  async listen(): Promise<void> {
    if (existsSync(this.path)) {
      if (await isLive(this.path)) throw new Error(`a node is already running with this data directory (${this.path} answers)`);
      unlinkSync(this.path); // left by a node that was killed
    }
    const server = createServer((s) => this.serve(s));
    // The socket is created 0600 (umask 0177), never briefly wider.
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(this.path, () => resolve());
      });
    } finally {
      process.umask(old);
    }
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  private serve(s: Socket): void {
    this.sockets.add(s);
    s.on("close", () => this.sockets.delete(s));
    s.on("error", () => {});
    let buf = "";
    s.setEncoding("utf8");
    s.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE) {
        this.send(s, { id: null, error: { code: "BAD_REQUEST", message: "request line too long" } });
        s.end();
        return;
      }
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) void this.handle(s, line);
      }
    });
  }

  private send(s: Socket, obj: unknown): void {
    if (!s.destroyed) s.write(JSON.stringify(obj) + "\n");
  }

  private async handle(s: Socket, line: string): Promise<void> {
    let req: { id?: unknown; method?: unknown; params?: Record<string, unknown> };
    try {
      req = JSON.parse(line);
      if (!req || typeof req !== "object" || typeof req.method !== "string") throw new Error("expected {id, method, params}");
    } catch (e) {
      this.send(s, { id: null, error: { code: "BAD_REQUEST", message: (e as Error).message } });
      s.end();
      return;
    }
    const id = req.id ?? null;
    const p = req.params ?? {};
    try {
      const result = await this.dispatch(req.method as string, p, (ev) => this.send(s, { id, event: "progress", ...ev }));
      this.send(s, { id, result });
    } catch (e) {
      const code = e instanceof ProtocolError ? e.codeName : e instanceof RangeError ? "BAD_REQUEST" : "FAILED";
      this.send(s, { id, error: { code, message: (e as Error).message } });
      if (code === "BAD_REQUEST" && (e as Error).message.startsWith("unknown method")) s.end();
    }
  }

  private async dispatch(method: string, p: Record<string, unknown>, progress: Progress): Promise<unknown> {
    const str = (k: string): string | undefined => {
      const v = p[k];
      if (v !== undefined && typeof v !== "string") throw new RangeError(`params.${k} must be a string`);
      return v as string | undefined;
    };
    const hex = (k: string): Uint8Array => {
      const v = str(k);
      if (v === undefined) throw new RangeError(`params.${k} is required`);
      try {
        return hexToBytes(v);
      } catch {
        throw new RangeError(`params.${k} is not hex`);
      }
    };
    switch (method) {
      case "status":
        return jsonSafe(this.target.status(typeof p.journal === "number" ? p.journal : 20));
      case "submit": {
        const placement = str("placement");
        if (placement !== undefined && !["auto", "local", "delegate"].includes(placement)) throw new RangeError("params.placement is auto, local or delegate");
        const proof = str("proof");
        const opts: SubmitOptions = { proof: proof ? parseProof(proof) : undefined, placement: placement as SubmitOptions["placement"], progress };
        const fn = str("function");
        const req: SubmitRequest = fn !== undefined ? { function: fn, input: p.input === undefined ? new Uint8Array(0) : hex("input") } : { job: hex("job") };
        return await outcomeToJson(await this.target.submit(req, opts));
      }
      case "private":
        return await privateOutcomeToJson(await this.target.submitPrivate(privateRequestOf(p), { progress }));
      case "close-channel":
        await this.target.closeChannel(str("channel") ?? "");
        return { closed: true };
      case "publish-advert":
        await this.target.publishAdvert();
        return { published: true };
      case "stop":
        setImmediate(() => this.target.onStopRequest?.());
        return { stopping: true };
      default:
        throw new RangeError(`unknown method "${method}"`);
    }
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    if (existsSync(this.path)) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}

function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.once("connect", () => { c.destroy(); resolve(true); });
    c.once("error", () => resolve(false));
  });
}

/** bigint → string, Uint8Array → hex, so a status is plain JSON. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Uint8Array) return bytesToHex(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}
