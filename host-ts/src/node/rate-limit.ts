/**
 * Per-peer token buckets (docs/NODE.md §10.2): every request and gossip
 * message a peer sends takes one token; a peer without a token is answered
 * RATE_LIMITED (requests) or has its message ignored (gossip), and the
 * others are served as before.
 */
export interface RateLimitOptions {
  perSecond: number;
  burst: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly opts: RateLimitOptions, private readonly now: () => number) {}

  /** Takes a token: 0 when allowed, otherwise the milliseconds until one is available. */
  take(peer: string): number {
    const t = this.now();
    let b = this.buckets.get(peer);
    if (!b) {
      if (this.buckets.size > 10_000) this.prune(t);
      b = { tokens: this.opts.burst, at: t };
      this.buckets.set(peer, b);
    }
    // A clock that steps back (NTP, a test clock) refills nothing; it must not drain the bucket.
    b.tokens = Math.min(this.opts.burst, b.tokens + (Math.max(0, t - b.at) / 1000) * this.opts.perSecond);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.opts.perSecond) * 1000);
  }

  private prune(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((t - b.at) / 1000) * this.opts.perSecond >= this.opts.burst) this.buckets.delete(k);
  }
}
