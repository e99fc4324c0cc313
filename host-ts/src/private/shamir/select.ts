/**
 * The selection rule for the n shareholders of a SecretShared session
 * (docs/PRIVATE.md, "Choosing the providers"). Pure: the node supplies what it
 * knows of each candidate; nothing here touches the network.
 *
 * A neighbourhood is the network group of the address the consumer reaches
 * the candidate at: the first 16 bits of a public IPv4 address, the first 32
 * bits of a public IPv6 address (the groups Bitcoin Core's address manager
 * uses, roughly one operator or ISP allocation), the exact host for loopback
 * and private addresses (or host and port, for test networks on one machine),
 * the host name for DNS addresses. NodeID prefixes are no neighbourhood: a
 * NodeID is a hash of a key anyone can generate, so a single operator gets any
 * prefix it likes; address space is what costs an attacker.
 *
 * The shareholders must be pairwise distinct in NodeID, in neighbourhood and
 * in introducer (the peer through which the consumer learned of the
 * candidate), and none may be another's introducer, so that no single
 * operator, network or gossip source supplies two of them.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { ShamirLimit } from "../../generated/private-protocol.ts";
import { bytesToHex, compareBytes } from "../../model/bytes.ts";
import { fail } from "./errors.ts";

export interface ShareholderCandidate {
  /** 16-byte NodeID. */
  readonly nodeId: Uint8Array;
  /** The multiaddr the consumer reaches the candidate at: the observed remote address of its connection, not an advertised one, where there is a connection. */
  readonly address: string;
  /** NodeID of the peer that relayed the candidate's advert to the consumer, or its bootstrap peer; omit when the consumer was configured with the candidate directly. */
  readonly introducer?: Uint8Array;
}

export interface SelectOptions {
  /** Shareholders to choose (n; default 3). */
  readonly count?: number;
  /** The consumer's own NodeID: never chosen. */
  readonly self?: Uint8Array;
  /** When given, candidates are ranked by Blake3(seed ‖ NodeID) instead of the order given (the node's price or reputation order). */
  readonly seed?: Uint8Array;
  readonly ipv4PrefixBits?: number;
  readonly ipv6PrefixBits?: number;
  /** Grouping of loopback and private addresses: by host (default) or by host and port (a test network on one machine). */
  readonly local?: "host" | "endpoint";
}

export interface Selection {
  /** In party order: shareholders[i] is provider i + 1. */
  readonly shareholders: readonly ShareholderCandidate[];
  readonly neighbourhoods: readonly string[];
  /** Candidate visits the search took (≤ SEARCH_STEPS). */
  readonly searchSteps: number;
}

function parseIpv4(s: string): number[] | null {
  const p = s.split(".");
  if (p.length !== 4 || !p.every((x) => /^(0|[1-9]\d{0,2})$/.test(x) && Number(x) <= 255)) return null;
  return p.map(Number);
}

/** The 8 16-bit groups of an IPv6 address (an embedded IPv4 tail allowed), or null. */
function parseIpv6(s: string): number[] | null {
  let text = s.toLowerCase();
  let tail: number[] | null = null;
  if (text.includes(".")) {
    const cut = text.lastIndexOf(":");
    const v4 = parseIpv4(text.slice(cut + 1));
    if (!v4) return null;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    text = text.slice(0, cut + 1) + "0:0"; // placeholder groups, replaced below
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const part = (h: string) => (h === "" ? [] : h.split(":"));
  const head = part(halves[0]), rest = halves.length === 2 ? part(halves[1]) : [];
  if (![...head, ...rest].every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill("0"), ...rest].map((g) => parseInt(g, 16));
  if (tail) groups.splice(6, 2, ...tail);
  return groups;
}

function ipv4Local([a, b]: number[]): boolean {
  return a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127);
}

function prefix(bytes: number[], bits: number): string {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    out.push(bytes[i] & ((0xff << (8 - keep)) & 0xff));
  }
  return out.map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The neighbourhood key of a multiaddr, or null when it names no host. */
export function neighbourhoodOf(address: string, opts: SelectOptions = {}): string | null {
  const parts = address.split("/");
  if (parts[0] !== "" || parts.length < 3) return null;
  const [, proto, host] = parts;
  const port = parts.slice(3).join("/");
  const local = (h: string) => `local:${h}${opts.local === "endpoint" ? `/${port}` : ""}`;
  if (proto === "ip4") {
    const v4 = parseIpv4(host);
    if (!v4) return null;
    return ipv4Local(v4) ? local(host) : `ip4:${prefix(v4, opts.ipv4PrefixBits ?? 16)}/${opts.ipv4PrefixBits ?? 16}`;
  }
  if (proto === "ip6") {
    const g = parseIpv6(host);
    if (!g) return null;
    const bytes = g.flatMap((x) => [x >> 8, x & 0xff]);
    if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) { // IPv4-mapped
      const v4 = bytes.slice(12);
      return ipv4Local(v4) ? local(v4.join(".")) : `ip4:${prefix(v4, opts.ipv4PrefixBits ?? 16)}/${opts.ipv4PrefixBits ?? 16}`;
    }
    const loopback = g.slice(0, 7).every((x) => x === 0) && g[7] === 1;
    if (loopback || (g[0] & 0xffc0) === 0xfe80 || (g[0] & 0xfe00) === 0xfc00) return local(g.map((x) => x.toString(16)).join(":"));
    return `ip6:${prefix(bytes, opts.ipv6PrefixBits ?? 32)}/${opts.ipv6PrefixBits ?? 32}`;
  }
  if ((proto === "dns" || proto === "dns4" || proto === "dns6" || proto === "dnsaddr") && host) return `dns:${host.toLowerCase()}`;
  if (proto === "memory" && host) return `memory:${host}`;
  return null;
}

export function selectShareholders(candidates: readonly ShareholderCandidate[], opts: SelectOptions = {}): Selection {
  const count = opts.count ?? 3;
  if (!Number.isInteger(count) || count < 3 || count > ShamirLimit.MAX_PARTIES) fail("PARAMETERS_INVALID", `count ${count}`);
  const seen = new Set<string>();
  const info = candidates.map((c, i) => {
    if (!(c.nodeId instanceof Uint8Array) || c.nodeId.length !== 16) fail("CANDIDATE_INVALID", `candidate ${i}: NodeID is not 16 bytes`);
    if (c.introducer !== undefined && c.introducer.length !== 16) fail("CANDIDATE_INVALID", `candidate ${i}: introducer is not a 16-byte NodeID`);
    const id = bytesToHex(c.nodeId);
    if (seen.has(id)) fail("CANDIDATE_INVALID", `candidate ${i}: NodeID ${id} appears twice`);
    seen.add(id);
    const hood = neighbourhoodOf(c.address, opts);
    if (hood === null) fail("CANDIDATE_INVALID", `candidate ${i}: address ${c.address} names no host`);
    return { c, id, hood, intro: c.introducer ? bytesToHex(c.introducer) : null, rank: opts.seed ? blake3(new Uint8Array([...opts.seed, ...c.nodeId])) : null, i };
  });
  const self = opts.self ? bytesToHex(opts.self) : null;
  const ranked = info.filter((x) => x.id !== self);
  if (opts.seed) ranked.sort((a, b) => compareBytes(a.rank!, b.rank!));
  // At most K = 3(n − 1) + 1 candidates per neighbourhood and per introducer, in rank order: a flood of
  // adverts from one neighbourhood or one gossip source cannot crowd out the others or slow the search.
  const K = 3 * (count - 1) + 1;
  const perHood = new Map<string, number>(), perIntro = new Map<string, number>();
  const pool = ranked.filter((x) => {
    const h = perHood.get(x.hood) ?? 0, r = x.intro === null ? 0 : perIntro.get(x.intro) ?? 0;
    if (h >= K || r >= K) return false;
    perHood.set(x.hood, h + 1);
    if (x.intro !== null) perIntro.set(x.intro, r + 1);
    return true;
  }).slice(0, ShamirLimit.MAX_CANDIDATES);

  type Info = (typeof pool)[number];
  const compatible = (a: Info, b: Info) =>
    a.hood !== b.hood && (a.intro === null || a.intro !== b.intro) && a.intro !== b.id && b.intro !== a.id;
  // Depth-first in rank order: the first compatible set in that order (greedy alone can miss one that
  // exists). Each kept candidate conflicts with fewer than 3K others, so a pool larger than 3K(n − 1)
  // always succeeds on the first path; the step budget bounds the small-pool cases for large n.
  const chosen: Info[] = [];
  let steps = 0;
  const search = (from: number): boolean => {
    if (chosen.length === count) return true;
    for (let k = from; k <= pool.length - (count - chosen.length); k++) {
      if (++steps > SEARCH_STEPS) return false;
      if (!chosen.every((c) => compatible(c, pool[k]))) continue;
      chosen.push(pool[k]);
      if (search(k + 1)) return true;
      chosen.pop();
    }
    return false;
  };
  if (!search(0)) fail("NOT_ENOUGH_NEIGHBOURHOODS", `no ${count} of ${pool.length} candidates come from pairwise distinct neighbourhoods and introducers${steps > SEARCH_STEPS ? ` within ${SEARCH_STEPS} search steps` : ""}`);
  return { shareholders: chosen.map((x) => x.c), neighbourhoods: chosen.map((x) => x.hood), searchSteps: steps };
}

/** Bound on the depth-first search (candidate visits). */
export const SEARCH_STEPS = ShamirLimit.SEARCH_STEPS;
