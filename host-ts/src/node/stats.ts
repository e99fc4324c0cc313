/** Counters a node keeps of what it refused and why (by error code or violation kind), for `mhr node status`. */
export class Counters {
  private readonly m = new Map<string, number>();

  inc(key: string, by = 1): void {
    this.m.set(key, (this.m.get(key) ?? 0) + by);
  }

  get(key: string): number {
    return this.m.get(key) ?? 0;
  }

  /** Every counter whose key starts with `prefix` (prefix removed), sorted. */
  group(prefix: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of [...this.m].sort(([a], [b]) => (a < b ? -1 : 1))) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    return out;
  }

  all(): Record<string, number> {
    return this.group("");
  }
}
