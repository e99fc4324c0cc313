/**
 * A fault-injecting wrapper around a ByteStream, for tests and for
 * `mhr conform --faults`: random byte corruption, dropped and duplicated
 * bytes, garbage, and chunks split apart or merged together, in either
 * direction, reproducible from a seed. Split and merge change only how bytes
 * are chunked (the protocol must not care); the others damage the stream.
 */
import type { ByteStream } from "./client.ts";
import { concatBytes } from "../model/bytes.ts";

/** Probabilities per chunk (each write, or each chunk the link delivers). */
export interface FaultRates {
  /** Flip one random bit pattern in one random byte. */
  corrupt?: number;
  /** Remove a run of 1..8 bytes. */
  drop?: number;
  /** Repeat a run of 1..8 bytes. */
  duplicate?: number;
  /** Insert 1..8 random bytes (zeros included). */
  garbage?: number;
  /** Deliver the chunk in 2..4 pieces, the later ones on later ticks. */
  split?: number;
  /** Hold the chunk back and deliver it with the next one (or on the next tick). */
  merge?: number;
}

export interface FaultOptions {
  seed: number;
  /** Faults on bytes written to the board. */
  tx?: FaultRates;
  /** Faults on bytes coming from the board. */
  rx?: FaultRates;
}

export interface FaultStats {
  corrupted: number;
  dropped: number;
  duplicated: number;
  garbage: number;
  split: number;
  merged: number;
}

/** mulberry32: small, fast, and the same sequence everywhere for one seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Deliver = (chunk: Uint8Array) => void;

/** One direction's fault pipeline. */
class FaultPipe {
  private held: Uint8Array | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Pieces waiting for a later tick; while any wait, everything queues behind them so order is kept. */
  private queue: Uint8Array[] = [];
  private draining = false;

  constructor(private readonly rates: FaultRates, private readonly rnd: () => number, private readonly stats: FaultStats, private readonly out: Deliver) {}

  private deliver(piece: Uint8Array, later = false): void {
    if (!later && this.queue.length === 0) {
      this.out(piece);
      return;
    }
    this.queue.push(piece);
    if (!this.draining) {
      this.draining = true;
      setTimeout(() => this.drain(), 0);
    }
  }

  private drain(): void {
    const piece = this.queue.shift();
    if (piece) this.out(piece);
    if (this.queue.length > 0) setTimeout(() => this.drain(), 0);
    else this.draining = false;
  }

  private chance(p: number | undefined): boolean {
    return p !== undefined && p > 0 && this.rnd() < p;
  }
  private int(lo: number, hi: number): number {
    return lo + Math.floor(this.rnd() * (hi - lo + 1));
  }

  push(input: Uint8Array): void {
    let chunk: Uint8Array = Uint8Array.from(input);
    const r = this.rates;
    if (chunk.length > 0 && this.chance(r.corrupt)) {
      const i = this.int(0, chunk.length - 1);
      chunk[i] ^= this.int(1, 255);
      this.stats.corrupted++;
    }
    if (chunk.length > 0 && this.chance(r.drop)) {
      const i = this.int(0, chunk.length - 1);
      const n = Math.min(this.int(1, 8), chunk.length - i);
      chunk = concatBytes(chunk.subarray(0, i), chunk.subarray(i + n));
      this.stats.dropped++;
    }
    if (chunk.length > 0 && this.chance(r.duplicate)) {
      const i = this.int(0, chunk.length - 1);
      const n = Math.min(this.int(1, 8), chunk.length - i);
      chunk = concatBytes(chunk.subarray(0, i + n), chunk.subarray(i));
      this.stats.duplicated++;
    }
    if (this.chance(r.garbage)) {
      const i = this.int(0, chunk.length);
      const g = new Uint8Array(this.int(1, 8)).map(() => (this.rnd() < 0.25 ? 0 : this.int(1, 255)));
      chunk = concatBytes(chunk.subarray(0, i), g, chunk.subarray(i));
      this.stats.garbage++;
    }
    if (this.held) {
      chunk = concatBytes(this.held, chunk);
      this.held = undefined;
      if (this.flushTimer) clearTimeout(this.flushTimer);
      this.flushTimer = undefined;
    }
    if (chunk.length > 0 && this.chance(r.merge)) {
      this.held = chunk;
      this.stats.merged++;
      // Never hold bytes forever: the other side may be waiting for exactly these.
      this.flushTimer = setTimeout(() => {
        const h = this.held;
        this.held = undefined;
        this.flushTimer = undefined;
        if (h) this.deliver(h);
      }, 1);
      return;
    }
    if (chunk.length > 1 && this.chance(r.split)) {
      const pieces = this.int(2, Math.min(4, chunk.length));
      const cuts = new Set<number>();
      while (cuts.size < pieces - 1) cuts.add(this.int(1, chunk.length - 1));
      const at = [0, ...[...cuts].sort((a, b) => a - b), chunk.length];
      this.stats.split++;
      this.deliver(chunk.subarray(at[0], at[1]));
      for (let k = 1; k < at.length - 1; k++) this.deliver(chunk.subarray(at[k], at[k + 1]), true);
      return;
    }
    this.deliver(chunk);
  }
}

/** Wraps a stream so that bytes in each direction suffer the configured faults. */
export function withFaults(inner: ByteStream, opts: FaultOptions): ByteStream & { stats: FaultStats } {
  const stats: FaultStats = { corrupted: 0, dropped: 0, duplicated: 0, garbage: 0, split: 0, merged: 0 };
  const txRnd = prng(opts.seed);
  const rxRnd = prng(opts.seed ^ 0x9e3779b9);
  const tx = new FaultPipe(opts.tx ?? {}, txRnd, stats, (c) => inner.write(c));
  let listener: ((chunk: Uint8Array) => void) | undefined;
  const rx = new FaultPipe(opts.rx ?? {}, rxRnd, stats, (c) => listener?.(c));
  inner.onData((chunk) => rx.push(chunk));
  return {
    stats,
    write: (bytes) => tx.push(bytes),
    onData: (cb) => { listener = cb; },
  };
}

/**
 * Parses a fault spec such as "seed=7,corrupt=0.02,drop=0.01,split=0.3" (rates
 * apply to both directions) or "seed=7,tx.drop=0.05,rx.corrupt=0.01".
 */
export function parseFaultSpec(spec: string): FaultOptions {
  const opts: FaultOptions = { seed: 1, tx: {}, rx: {} };
  const kinds = new Set(["corrupt", "drop", "duplicate", "garbage", "split", "merge"]);
  for (const part of spec.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [key, value] = part.split("=");
    const x = Number(value);
    if (value === undefined || !Number.isFinite(x)) throw new Error(`fault spec: "${part}" is not key=number`);
    if (key === "seed") { opts.seed = x >>> 0; continue; }
    const [dir, kind] = key.includes(".") ? key.split(".") : ["both", key];
    if (!kinds.has(kind) || !["tx", "rx", "both"].includes(dir)) throw new Error(`fault spec: unknown fault "${key}" (use ${[...kinds].join(", ")}, optionally prefixed tx. or rx.)`);
    if (x < 0 || x > 1) throw new Error(`fault spec: ${key}=${value} is not a probability`);
    for (const d of dir === "both" ? (["tx", "rx"] as const) : [dir as "tx" | "rx"]) (opts[d] as Record<string, number>)[kind] = x;
  }
  return opts;
}
