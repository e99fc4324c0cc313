/** Small modules of the node: profiles, reputation, rate limit, engine names, opaque functions, proof parsing. */
import { describe, expect, it } from "vitest";
import { blake3 } from "@noble/hashes/blake3.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { getProfile, loadProfiles, parseProfile, ProfileError } from "../../src/node/profiles.ts";
import { scoreAfterFailure, scoreAfterSuccess, Reputation } from "../../src/node/reputation.ts";
import { RateLimiter } from "../../src/node/rate-limit.ts";
import { Backoff, backoffDelay } from "../../src/node/backoff.ts";
import { AdvertSeq, RESERVED_KEY } from "../../src/node/advert-seq.ts";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { failureKind, pickRedundant } from "../../src/node/consumer.ts";
import { neighbourhoodOf } from "../../src/private/shamir/select.ts";
import { PeerError } from "../../src/node/messages/error-reply.ts";
import { ProtocolError } from "../../src/node/wire/protocol-error.ts";
import { TransportError } from "../../src/node/transport.ts";
import { NodeErrorCode, NodeLimit } from "../../src/generated/node-protocol.ts";
import { parseEngineSpec } from "../../src/node/executor.ts";
import { merkleRoot, merkleRootFunction } from "../../src/node/functions/merkle-root.ts";
import { ed25519VerifyMany, encodeVerifyRecords } from "../../src/node/functions/ed25519-verify-many.ts";
import { functionId } from "../../src/node/functions/opaque-function.ts";
import { parseProof, proofText } from "../../src/node/consumer.ts";
import { NodeStore } from "../../src/node/store.ts";

describe("profiles", () => {
  it("ships minimal, community, gateway and backbone, valid", () => {
    expect(loadProfiles().map((p) => p.name)).toEqual(["backbone", "community", "gateway", "minimal"]);
    const m = getProfile("minimal");
    expect(m).toMatchObject({ cpuClass: "Micro", wasm: "none", maxConcurrentJobs: 1, mhrByte: { maxCycles: 1_000_000, maxMemory: 32768, maxStateSize: 32768 } });
    expect(getProfile("community").wasm).toBe("light");
    expect(getProfile("gateway").wasm).toBe("full");
  });
  it("refuses unknown and missing fields, bad values, unknown names", () => {
    const ok = { ...getProfile("minimal") };
    expect(() => parseProfile({ ...ok, extra: 1 }, "x")).toThrow(/unknown field "extra"/);
    const { wasm: _w, ...noWasm } = ok;
    expect(() => parseProfile(noWasm, "x")).toThrow(/missing field "wasm"/);
    expect(() => parseProfile({ ...ok, wasm: "huge" }, "x")).toThrow(/wasm/);
    expect(() => parseProfile({ ...ok, mhrByte: { ...ok.mhrByte, maxMemory: 1 << 20 } }, "x")).toThrow(/mhrByte.maxMemory/);
    expect(() => getProfile("tiny")).toThrow(ProfileError);
  });
});

describe("compute_score (Mehr formula)", () => {
  it("success += (10000 - s) / 100, failure -= s / 10, within 0..10000", () => {
    expect(scoreAfterSuccess(5000)).toBe(5050);
    expect(scoreAfterFailure(5000)).toBe(4500);
    expect(scoreAfterSuccess(9999)).toBe(9999);
    expect(scoreAfterFailure(9)).toBe(9);
    expect(scoreAfterFailure(0)).toBe(0);
    let s = 0;
    for (let i = 0; i < 2000; i++) s = scoreAfterSuccess(s);
    expect(s).toBeLessThanOrEqual(10000);
  });
  it("is persisted and gates the threshold", () => {
    const store = new NodeStore(":memory:");
    const r = new Reputation(store, () => 1, 4000);
    const id = new Uint8Array(16).fill(3);
    expect(r.score(id)).toBe(5000);
    r.failure(id); r.failure(id);
    expect(r.score(id)).toBe(4050);
    expect(r.trusted(id)).toBe(true);
    r.failure(id);
    expect(r.score(id)).toBe(3645);
    expect(r.trusted(id)).toBe(false);
    expect(new Reputation(store, () => 2).get(id)).toMatchObject({ score: 3645, failures: 3, successes: 0 });
    store.close();
  });
});

describe("per-peer rate limit", () => {
  it("a peer past its burst waits; another peer is served; tokens refill", () => {
    let t = 0;
    const l = new RateLimiter({ perSecond: 10, burst: 3 }, () => t);
    expect([l.take("a"), l.take("a"), l.take("a")]).toEqual([0, 0, 0]);
    expect(l.take("a")).toBe(100);
    expect(l.take("b")).toBe(0);
    t = 100;
    expect(l.take("a")).toBe(0);
    expect(l.take("a")).toBeGreaterThan(0);
  });
  it("a clock that steps back does not drain a bucket (every peer would be refused until it caught up)", () => {
    let t = 1_000_000;
    const l = new RateLimiter({ perSecond: 10, burst: 3 }, () => t);
    expect(l.take("a")).toBe(0);
    t -= 600_000;
    expect([l.take("a"), l.take("a")]).toEqual([0, 0]);
    expect(l.take("a")).toBe(100);
  });
});

describe("engine names", () => {
  it("parses registry engines and boards", () => {
    expect(parseEngineSpec("as")).toEqual({ kind: "registry", name: "as" });
    expect(parseEngineSpec("board:qemu-rv32")).toEqual({ kind: "board", board: "qemu-rv32" });
    expect(parseEngineSpec("board:/dev/ttyUSB0")).toEqual({ kind: "board", board: "esp32-devkitc", port: "/dev/ttyUSB0" });
    expect(parseEngineSpec("board:esp32-c3-devkitm-1@/dev/ttyACM0")).toEqual({ kind: "board", board: "esp32-c3-devkitm-1", port: "/dev/ttyACM0" });
    expect(() => parseEngineSpec("fast")).toThrow(/unknown engine/);
  });
});

describe("opaque functions", () => {
  const leaf = (c: Uint8Array) => blake3.create().update(Uint8Array.of(0)).update(c).digest();
  const node = (l: Uint8Array, r: Uint8Array) => blake3.create().update(Uint8Array.of(1)).update(l).update(r).digest();

  it("function_id is Blake3 of the name (D8)", () => {
    expect(functionId("blake3-merkle-4k")).toEqual(blake3(new TextEncoder().encode("blake3-merkle-4k")));
  });

  it("blake3-merkle-4k: RFC 6962 shape over 4 KiB chunks, odd node carried up", async () => {
    const data = Uint8Array.from({ length: 3 * 4096 + 10 }, (_, i) => i % 251);
    const c = [0, 1, 2, 3].map((i) => data.subarray(i * 4096, Math.min(data.length, (i + 1) * 4096)));
    const expected = node(node(leaf(c[0]), leaf(c[1])), node(leaf(c[2]), leaf(c[3])));
    expect(merkleRoot(data)).toEqual({ root: expected, chunks: 4 });
    const three = data.subarray(0, 3 * 4096);
    expect(merkleRoot(three).root).toEqual(node(node(leaf(c[0]), leaf(c[1])), leaf(c[2])));
    expect(merkleRoot(new Uint8Array(0))).toEqual({ root: leaf(new Uint8Array(0)), chunks: 1 });
    const out = await merkleRootFunction.run(data);
    expect(out).toEqual({ ok: true, output: Uint8Array.from([...expected, 4, 0, 0, 0]) });
  });

  it("ed25519-verify-many: a bitmap of valid records; truncated input is Rejected code 1", async () => {
    const sk = new Uint8Array(32).fill(5);
    const pk = ed25519.getPublicKey(sk);
    const m1 = new TextEncoder().encode("one"), m2 = new TextEncoder().encode("two");
    const good = ed25519.sign(m1, sk);
    const recs = [{ publicKey: pk, signature: good, message: m1 }, { publicKey: pk, signature: good, message: m2 }, { publicKey: pk, signature: ed25519.sign(m2, sk), message: m2 }];
    const out = await ed25519VerifyMany.run(encodeVerifyRecords(recs));
    expect(out).toEqual({ ok: true, output: Uint8Array.of(3, 0, 0, 0, 0b101) });
    const bad = await ed25519VerifyMany.run(encodeVerifyRecords(recs).subarray(0, 100));
    expect(bad).toMatchObject({ ok: false, code: 1 });
  });
});

describe("proof methods", () => {
  it("parses the CLI forms", () => {
    expect(parseProof("redundant:2-of-3")).toEqual({ kind: "redundant", k: 2, n: 3 });
    expect(parseProof("spotcheck:0.05")).toEqual({ kind: "spotcheck", ratePpm: 50000 });
    expect(parseProof("spotcheck:5%")).toEqual({ kind: "spotcheck", ratePpm: 50000 });
    expect(parseProof("reputation:6000")).toEqual({ kind: "reputation", minScore: 6000 });
    expect(proofText(parseProof("result-hash"))).toBe("result-hash");
    expect(() => parseProof("redundant:1-of-2")).toThrow(/n\/2/);
    expect(() => parseProof("spotcheck:2")).toThrow();
    expect(() => parseProof("zk")).toThrow(/unknown proof/);
  });
});

describe("provider back-off (docs/NODE.md §7.8)", () => {
  it("waits BACKOFF_BASE_MS × 2^(failures − 1), capped at BACKOFF_CAP_MS", () => {
    const base = NodeLimit.BACKOFF_BASE_MS, cap = NodeLimit.BACKOFF_CAP_MS;
    expect([1, 2, 3, 4].map((f) => backoffDelay(f))).toEqual([base, 2 * base, 4 * base, 8 * base]);
    expect(backoffDelay(9)).toBe(Math.min(cap, 256 * base));
    expect(backoffDelay(10_000)).toBe(cap);
    expect(backoffDelay(0)).toBe(0);
  });
  it("blocks until the wait has passed; a success resets the count", () => {
    let now = 1_000_000;
    const b = new Backoff(() => now);
    const id = new Uint8Array(16).fill(3);
    expect(b.blocked(id)).toBe(false);
    expect(b.fail(id)).toBe(NodeLimit.BACKOFF_BASE_MS);
    expect(b.blocked(id)).toBe(true);
    now += NodeLimit.BACKOFF_BASE_MS - 1;
    expect(b.blocked(id)).toBe(true);
    now += 1;
    expect(b.blocked(id)).toBe(false);
    expect(b.fail(id)).toBe(2 * NodeLimit.BACKOFF_BASE_MS);
    b.succeed(id);
    expect(b.blocked(id)).toBe(false);
    expect(b.fail(id)).toBe(NodeLimit.BACKOFF_BASE_MS);
  });
  it("outages back off, provably wrong answers cost score, refusals and own faults neither", () => {
    for (const code of ["UNREACHABLE", "TIMEOUT", "RESET", "OVERSIZED"] as const) expect(failureKind(new TransportError("x", code))).toBe("outage");
    expect(failureKind(new TransportError("our own abort", "CLOSED"))).toBe("declined");
    for (const c of ["EXECUTION_FAILED", "INTERNAL", "SHUTTING_DOWN"] as const) expect(failureKind(new PeerError(NodeErrorCode[c], "x"))).toBe("outage");
    for (const c of ["BUSY", "PRICE_TOO_LOW", "BAD_CHANNEL", "PEER_MISMATCH"] as const) expect(failureKind(new PeerError(NodeErrorCode[c], "x"))).toBe("declined");
    for (const c of ["RESULT_HASH_MISMATCH", "JOB_HASH_MISMATCH", "RESULT_INCONSISTENT", "BAD_SIGNATURE", "BAD_OFFER", "MALFORMED"] as const) expect(failureKind(new ProtocolError(NodeErrorCode[c], "x"))).toBe("wrong");
    expect(failureKind(new ProtocolError(NodeErrorCode.INSUFFICIENT_FUNDS, "x"))).toBe("declined");
  });
});

describe("Redundant provider choice (docs/NODE.md §7.5)", () => {
  // Public addresses: the first three in one /16 (203.0), the rest in seven others.
  const ranked = ["/ip4/203.0.113.1/tcp/1", "/ip4/203.0.113.2/tcp/1", "/ip4/203.0.5.5/tcp/1", "/ip4/198.51.100.1/tcp/1", "/ip4/192.0.2.1/tcp/1", "/ip4/100.1.0.1/tcp/1", "/ip4/8.8.8.8/tcp/1", "/ip4/1.1.1.1/tcp/1", "/ip4/9.9.9.9/tcp/1", "/ip4/4.4.4.4/tcp/1"];
  const hood = (a: string) => neighbourhoodOf(a)!;
  let s = 7;
  const random = () => ((s = (s * 48271) % 2147483647) / 2147483647);
  const choose = (n: number) => {
    const inUse = new Set<string>();
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const x = pickRedundant(ranked.filter((r) => !out.includes(r)), n, hood, inUse, random)!;
      out.push(x);
      inUse.add(hood(x));
    }
    return out;
  };
  it("uses the neighbourhood rule of private/shamir/select.ts, draws from the best REDUNDANT_POOL_FACTOR × n only, distinct neighbourhoods first", () => {
    const seen = new Set<string>();
    for (let k = 0; k < 50; k++) {
      const c = choose(3);
      expect(new Set(c.map(hood)).size).toBe(3);
      expect(c.filter((x) => x.startsWith("/ip4/203.0.")).length).toBeLessThanOrEqual(1);
      for (const x of c) expect(ranked.indexOf(x)).toBeLessThan(NodeLimit.REDUNDANT_POOL_FACTOR * 3 + 2);
      seen.add(c.join());
    }
    expect(seen.size).toBeGreaterThan(5);
  });
  it("shares a neighbourhood only when every pooled candidate does", () => {
    const one = ["/ip4/203.0.0.1/tcp/1", "/ip4/203.0.0.2/tcp/1"];
    expect(one).toContain(pickRedundant(one, 2, hood, new Set([hood(one[0])]), random));
    expect(pickRedundant([], 2, hood, new Set(), random)).toBeUndefined();
  });
});

describe("advert sequence numbers (docs/NODE.md §5.1)", () => {
  /** A meta table that counts its (synchronous=FULL) writes. */
  const metaStore = (init: Record<string, string> = {}) => {
    const m = new Map(Object.entries(init));
    const s = { writes: 0, getMeta: (k: string) => m.get(k), setMeta: (k: string, v: string) => { s.writes++; m.set(k, v); } };
    return s;
  };
  it("one synchronous commit per ADVERT_SEQ_BLOCK adverts, not one per advert", () => {
    const st = metaStore();
    const a = new AdvertSeq(st);
    const seqs = Array.from({ length: 200 }, () => a.take());
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => BigInt(i + 1)));
    expect(st.writes).toBe(Math.ceil(200 / NodeLimit.ADVERT_SEQ_BLOCK));
    expect(BigInt(st.getMeta(RESERVED_KEY)!)).toBeGreaterThanOrEqual(200n); // every seq handed out is covered by a commit
  });
  it("never reuses a seq after a crash at any point of a block, nor below a legacy advert_seq", () => {
    const st = metaStore();
    let used = 0n;
    for (let life = 0; life < 5; life++) {
      const a = new AdvertSeq(st); // a restart after a kill: nothing was flushed on the way down
      for (let i = 0; i < 1 + life * 37; i++) {
        const s = a.take();
        expect(s).toBeGreaterThan(used);
        used = s;
      }
    }
    expect(new AdvertSeq(metaStore({ advert_seq: "42" })).take()).toBe(43n);
  });
  it("a real store reopened without a clean stop", () => {
    const dir = mkdtempSync(join(tmpdir(), "mhr-seq-"));
    try {
      const s1 = new NodeStore(dir);
      const a = new AdvertSeq(s1);
      for (let i = 0; i < 10; i++) a.take();
      const s2 = new NodeStore(dir); // the first one is never closed
      expect(new AdvertSeq(s2).take()).toBeGreaterThan(10n);
      s1.close();
      s2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
