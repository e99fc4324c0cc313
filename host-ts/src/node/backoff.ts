/**
 * Back-off of providers that failed for reasons no signature can prove
 * (docs/NODE.md §7.8): refused or lost connections, time-outs, a provider
 * that dies with the job, one that reports its own execution failure. Such
 * a provider is not chosen again until its back-off has passed:
 * `min(BACKOFF_CAP_MS, BACKOFF_BASE_MS × 2^(failures − 1))` after its latest
 * failure; one verified result resets it. Kept in memory: an outage says
 * nothing durable about a provider, and a restarted consumer tries everyone
 * once more. compute_score is not touched here (reputation.ts scores only
 * answers the consumer can show to be wrong).
 */
import { NodeLimit } from "../generated/node-protocol.ts";
import { bytesToHex } from "../model/bytes.ts";

export interface BackoffEntry {
  nodeId: string;
  /** Consecutive failures since the last verified result. */
  failures: number;
  /** ms until the provider is chosen again (0: it may be chosen). */
  retryInMs: number;
}

/** The wait after the `failures`-th consecutive failure (failures ≥ 1). */
export function backoffDelay(failures: number, baseMs: number = NodeLimit.BACKOFF_BASE_MS, capMs: number = NodeLimit.BACKOFF_CAP_MS): number {
  if (failures < 1) return 0;
  // 2^30 × base is far above any cap: no overflow to Infinity.
  return Math.min(capMs, baseMs * 2 ** Math.min(failures - 1, 30));
}

export class Backoff {
  private readonly entries = new Map<string, { failures: number; until: number }>();

  constructor(private readonly now: () => number, private readonly baseMs: number = NodeLimit.BACKOFF_BASE_MS, private readonly capMs: number = NodeLimit.BACKOFF_CAP_MS) {}

  /** Records one failure; returns the wait before the provider is chosen again. */
  fail(nodeId: Uint8Array): number {
    const k = bytesToHex(nodeId);
    const failures = (this.entries.get(k)?.failures ?? 0) + 1;
    const delay = backoffDelay(failures, this.baseMs, this.capMs);
    this.entries.set(k, { failures, until: this.now() + delay });
    return delay;
  }

  /** A verified result: the provider is healthy again. */
  succeed(nodeId: Uint8Array): void {
    this.entries.delete(bytesToHex(nodeId));
  }

  /** Whether the provider is still backed off now. */
  blocked(nodeId: Uint8Array): boolean {
    const e = this.entries.get(bytesToHex(nodeId));
    return e !== undefined && e.until > this.now();
  }

  list(): BackoffEntry[] {
    const now = this.now();
    return [...this.entries].map(([nodeId, e]) => ({ nodeId, failures: e.failures, retryInMs: Math.max(0, e.until - now) }));
  }
}
