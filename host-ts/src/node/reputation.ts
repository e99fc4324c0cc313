/**
 * compute_score (Mehr): u16 in 0..10000, persisted per provider NodeID.
 * A verified result: s += floor((10000 − s) / 100); a wrong, disputed or
 * missing one: s −= floor(s / 10). A consumer stops choosing providers below
 * its threshold.
 */
import { NodeLimit } from "../generated/node-protocol.ts";
import { bytesToHex } from "../model/bytes.ts";
import type { NodeStore, ReputationRow } from "./store.ts";

const MAX = NodeLimit.MAX_COMPUTE_SCORE;

export function scoreAfterSuccess(s: number): number {
  return Math.min(MAX, s + Math.floor((MAX - s) / 100));
}

export function scoreAfterFailure(s: number): number {
  return Math.max(0, s - Math.floor(s / 10));
}

export class Reputation {
  constructor(private readonly store: NodeStore, private readonly now: () => number, readonly threshold: number = NodeLimit.DEFAULT_SCORE_THRESHOLD) {}

  get(nodeId: Uint8Array): ReputationRow {
    return this.store.reputation(nodeId) ?? { nodeId, score: NodeLimit.INITIAL_COMPUTE_SCORE, successes: 0, failures: 0 };
  }

  score(nodeId: Uint8Array): number {
    return this.get(nodeId).score;
  }

  trusted(nodeId: Uint8Array, minScore = 0): boolean {
    const s = this.score(nodeId);
    return s >= this.threshold && s >= minScore;
  }

  success(nodeId: Uint8Array): number {
    const r = this.get(nodeId);
    const next = { ...r, score: scoreAfterSuccess(r.score), successes: r.successes + 1 };
    this.store.putReputation(next, this.now());
    return next.score;
  }

  failure(nodeId: Uint8Array): number {
    const r = this.get(nodeId);
    const next = { ...r, score: scoreAfterFailure(r.score), failures: r.failures + 1 };
    this.store.putReputation(next, this.now());
    return next.score;
  }

  all(): { nodeId: string; score: number; successes: number; failures: number }[] {
    return this.store.reputations().map((r) => ({ nodeId: bytesToHex(r.nodeId), score: r.score, successes: r.successes, failures: r.failures }));
  }
}
