/**
 * Scenarios for the example contracts of examples/contracts/. The vector
 * generator (examples-adapter.ts) turns each into a vector with the reference
 * interpreter; host-ts/test/examples.test.ts runs each and checks `expect`.
 * Multi-step flows are written as a prior state built here with the contracts'
 * documented encodings. Everything is deterministic: fixed NodeIDs, fixed
 * Ed25519 seeds (RFC 8032 signatures are deterministic).
 */
import { ed25519 } from "@noble/curves/ed25519.js";
import { blake3 } from "@noble/hashes/blake3.js";
import { concatBytes } from "../../host-ts/src/model/bytes.ts";

/** One scenario: a call of one function of one example contract. */
export interface ExampleVectorDef {
  name: string;
  description: string;
  /** Path of the .masm relative to the repository root. */
  contract: string;
  fn: string;
  args?: bigint[];
  /** Job input, hex. */
  input?: string;
  /** NodeIDs, 16 bytes hex (defaults: the vector generator's SENDER and SELF). */
  sender?: string;
  self?: string;
  epoch?: bigint;
  /** hex16 NodeID -> µMHR (default: SELF has 1000). */
  balances?: Record<string, bigint>;
  /** Prior state: hex key -> hex value. */
  state?: Record<string, string>;
  /** The intended outcome, checked by host-ts/test/examples.test.ts (the generator ignores it). */
  expect: ExampleExpect;
}

export interface ExampleExpect {
  status: "HALT" | "ABORT" | "TRAP";
  /** ABORT value or trap code (default 0). */
  code?: bigint;
  returns?: bigint[];
  /** EMITted bytes, hex. */
  output?: string;
  logs?: string[];
  transfers?: { to: string; amount: bigint }[];
  /** The whole final state (hex key -> hex value). */
  state?: Record<string, string>;
  /** Some final-state entries; null = the key must be absent. */
  stateHas?: Record<string, string | null>;
  /** An upper bound on the cycles charged. */
  maxCycles?: number;
}

// ------------------------------------------------------------------ helpers

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
export const asciiHex = (s: string): string => hex(ascii(s));
export const concat = concatBytes;
export const u64le = (v: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
};
export const u32le = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v, true);
  return b;
};
export const u16le = (v: number): Uint8Array => Uint8Array.of(v & 0xff, v >> 8);
/** A 16-byte NodeID with every byte `b`. */
export const node = (b: number): Uint8Array => new Uint8Array(16).fill(b);
const cmp = (a: Uint8Array, b: Uint8Array): number => {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
};

/** The vector generator's defaults (test-vectors/defs/lib.ts). */
export const SENDER = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i);
export const SELF = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
const ALICE = node(0x0a);
const BOB = node(0x0b);
const CAROL = node(0x0c);
const MALLORY = node(0xee);

export const CONTRACTS = [
  "examples/contracts/naming.masm",
  "examples/contracts/gcounter.masm",
  "examples/contracts/access-control.masm",
  "examples/contracts/wiki-crdt.masm",
  "examples/contracts/forum.masm",
  "examples/contracts/marketplace.masm",
  "examples/contracts/group.masm",
] as const;

const out: ExampleVectorDef[] = [];
type Scenario = Omit<ExampleVectorDef, "contract" | "name"> & { name: string };
const add = (contract: string, prefix: string) => (s: Scenario) => out.push({ ...s, name: `${prefix}/${s.name}`, contract });

// ------------------------------------------------------------------ naming

{
  const t = add(CONTRACTS[0], "naming");
  const key = (name: string) => asciiHex("n:" + name);
  const taken = { [key("maryam@tehran-mesh")]: hex(ALICE) };
  t({ name: "register/new", description: "a free name is stored with SENDER as owner; returns 1", fn: "register", input: asciiHex("maryam@tehran-mesh"), sender: hex(ALICE),
    expect: { status: "HALT", returns: [1n], state: taken } });
  t({ name: "register/again-by-owner", description: "the owner registering its own name again is idempotent; returns 0", fn: "register", input: asciiHex("maryam@tehran-mesh"), sender: hex(ALICE), state: taken,
    expect: { status: "HALT", returns: [0n], state: taken } });
  t({ name: "register/taken", description: "a name owned by another node: ABORT 2", fn: "register", input: asciiHex("maryam@tehran-mesh"), sender: hex(BOB), state: taken,
    expect: { status: "ABORT", code: 2n } });
  t({ name: "register/empty-name", description: "an empty name: ABORT 1", fn: "register", sender: hex(ALICE),
    expect: { status: "ABORT", code: 1n } });
  t({ name: "register/name-33-bytes", description: "a 33-byte name: ABORT 1", fn: "register", input: asciiHex("x".repeat(33)), sender: hex(ALICE),
    expect: { status: "ABORT", code: 1n } });
  t({ name: "register/name-32-bytes", description: "a 32-byte name (the longest) registers; key is 34 bytes", fn: "register", input: asciiHex("y".repeat(32)), sender: hex(BOB),
    expect: { status: "HALT", returns: [1n], state: { [key("y".repeat(32))]: hex(BOB) } } });
  t({ name: "register/one-byte-binary", description: "a 1-byte binary name (0x00) registers", fn: "register", input: "00", sender: hex(CAROL), state: taken,
    expect: { status: "HALT", returns: [1n], state: { ...taken, [asciiHex("n:") + "00"]: hex(CAROL) } } });
  t({ name: "register/prefix-is-distinct", description: "a prefix of a registered name is a different name", fn: "register", input: asciiHex("maryam"), sender: hex(BOB), state: taken,
    expect: { status: "HALT", returns: [1n], state: { ...taken, [key("maryam")]: hex(BOB) } } });
  t({ name: "resolve/registered", description: "resolve EMITs the owner and returns 1", fn: "resolve", input: asciiHex("maryam@tehran-mesh"), state: taken,
    expect: { status: "HALT", returns: [1n], output: hex(ALICE), state: taken } });
  t({ name: "resolve/unregistered", description: "resolve of a free name returns 0 and EMITs nothing", fn: "resolve", input: asciiHex("nobody"), state: taken,
    expect: { status: "HALT", returns: [0n], output: "" } });
  t({ name: "resolve/name-too-long", description: "resolve of a 40-byte name: ABORT 1", fn: "resolve", input: asciiHex("z".repeat(40)),
    expect: { status: "ABORT", code: 1n } });
}

// ------------------------------------------------------------------ gcounter

/** A G-Counter value: entries sorted by NodeID (the input order is kept when `raw`). */
export function gcounter(entries: [Uint8Array, bigint][], raw = false): string {
  const sorted = raw ? entries : [...entries].sort((a, b) => cmp(a[0], b[0]));
  return hex(concat(...sorted.map(([id, n]) => concat(id, u64le(n)))));
}

{
  const t = add(CONTRACTS[1], "gcounter");
  const GC = asciiHex("gc");
  const MAXI = (1n << 63n) - 1n;
  const two = gcounter([[ALICE, 5n], [CAROL, 7n]]);
  t({ name: "increment/first", description: "the first increment creates \"gc\" with SENDER's entry", fn: "increment", args: [3n], sender: hex(BOB),
    expect: { status: "HALT", returns: [], state: { [GC]: gcounter([[BOB, 3n]]) } } });
  t({ name: "increment/insert-middle", description: "a new NodeID is inserted in order between existing entries", fn: "increment", args: [4n], sender: hex(BOB), state: { [GC]: two },
    expect: { status: "HALT", state: { [GC]: gcounter([[ALICE, 5n], [BOB, 4n], [CAROL, 7n]]) } } });
  t({ name: "increment/insert-first", description: "a NodeID below all others goes first", fn: "increment", args: [1n], sender: hex(node(0x01)), state: { [GC]: two },
    expect: { status: "HALT", state: { [GC]: gcounter([[node(0x01), 1n], [ALICE, 5n], [CAROL, 7n]]) } } });
  t({ name: "increment/append-last", description: "a NodeID above all others goes last", fn: "increment", args: [2n], sender: hex(MALLORY), state: { [GC]: two },
    expect: { status: "HALT", state: { [GC]: gcounter([[ALICE, 5n], [CAROL, 7n], [MALLORY, 2n]]) } } });
  t({ name: "increment/existing", description: "SENDER's existing entry grows by the amount", fn: "increment", args: [10n], sender: hex(CAROL), state: { [GC]: two },
    expect: { status: "HALT", state: { [GC]: gcounter([[ALICE, 5n], [CAROL, 17n]]) } } });
  t({ name: "increment/zero", description: "amount 0: ABORT 1", fn: "increment", args: [0n], sender: hex(BOB),
    expect: { status: "ABORT", code: 1n } });
  t({ name: "increment/negative", description: "a negative amount: ABORT 1", fn: "increment", args: [-5n], sender: hex(BOB), state: { [GC]: two },
    expect: { status: "ABORT", code: 1n } });
  t({ name: "increment/overflow", description: "a count past 2^63-1 traps INTEGER_OVERFLOW", fn: "increment", args: [1n], sender: hex(ALICE), state: { [GC]: gcounter([[ALICE, MAXI]]) },
    expect: { status: "TRAP", code: 3n } });
  t({ name: "merge/pointwise-max", description: "merge keeps the larger count per NodeID and the union of NodeIDs", fn: "merge",
    input: gcounter([[ALICE, 2n], [BOB, 9n], [CAROL, 8n]]), state: { [GC]: two },
    expect: { status: "HALT", state: { [GC]: gcounter([[ALICE, 5n], [BOB, 9n], [CAROL, 8n]]) } } });
  t({ name: "merge/into-empty", description: "merging into no state copies the remote counter", fn: "merge", input: two,
    expect: { status: "HALT", state: { [GC]: two } } });
  t({ name: "merge/empty-input", description: "an empty remote counter leaves the state as it was", fn: "merge", state: { [GC]: two },
    expect: { status: "HALT", state: { [GC]: two } } });
  t({ name: "merge/idempotent", description: "merging a replica with itself changes nothing", fn: "merge", input: two, state: { [GC]: two },
    expect: { status: "HALT", state: { [GC]: two } } });
  t({ name: "merge/bad-length", description: "an input of 25 bytes: ABORT 2", fn: "merge", input: two.slice(0, 50), state: { [GC]: two },
    expect: { status: "ABORT", code: 2n } });
  t({ name: "merge/unsorted", description: "remote NodeIDs out of order: ABORT 2", fn: "merge", input: gcounter([[CAROL, 1n], [ALICE, 1n]], true),
    expect: { status: "ABORT", code: 2n } });
  t({ name: "merge/duplicate", description: "a repeated remote NodeID: ABORT 2", fn: "merge", input: gcounter([[ALICE, 1n], [ALICE, 2n]], true),
    expect: { status: "ABORT", code: 2n } });
  t({ name: "merge/late-byte-order", description: "NodeIDs differing only in their last byte merge as distinct, in order", fn: "merge",
    input: gcounter([[concat(node(0x0a).slice(0, 15), Uint8Array.of(0x0b)), 4n]]), state: { [GC]: two },
    expect: { status: "HALT", state: { [GC]: gcounter([[ALICE, 5n], [concat(node(0x0a).slice(0, 15), Uint8Array.of(0x0b)), 4n], [CAROL, 7n]]) } } });
  t({ name: "merge/too-large-for-state", description: "a well-formed remote counter of 180 entries cannot fit .state 4096: STATE_LIMIT_EXCEEDED", fn: "merge",
    input: gcounter(Array.from({ length: 180 }, (_, i) => [concat(u32le(0), u32le(0), u32le(0), Uint8Array.of(0, 0, i >> 8, i & 0xff)), 1n] as [Uint8Array, bigint])),
    expect: { status: "TRAP", code: 11n } });
  t({ name: "value/sum", description: "value is the sum of all counts", fn: "value", state: { [GC]: gcounter([[ALICE, 5n], [BOB, 9n], [CAROL, 8n]]) },
    expect: { status: "HALT", returns: [22n] } });
  t({ name: "value/absent", description: "value without state is 0", fn: "value",
    expect: { status: "HALT", returns: [0n] } });
  t({ name: "value/overflow", description: "a sum past 2^63-1 traps INTEGER_OVERFLOW", fn: "value", state: { [GC]: gcounter([[ALICE, MAXI], [BOB, 1n]]) },
    expect: { status: "TRAP", code: 3n } });
}

// ------------------------------------------------------------------ access-control

/** A fixed Ed25519 secret key (32 bytes, every byte `b`). */
const seed = (b: number): Uint8Array => new Uint8Array(32).fill(b);
export const pub = (b: number): Uint8Array => ed25519.getPublicKey(seed(b));
export const sign = (b: number, msg: Uint8Array): Uint8Array => ed25519.sign(msg, seed(b));

{
  const t = add(CONTRACTS[2], "access-control");
  const ADMIN = asciiHex("admin");
  const acl = (k: Uint8Array) => asciiHex("acl:") + hex(k);
  const K1 = pub(1), K2 = pub(2), K3 = pub(3);
  const base = { [ADMIN]: hex(ALICE), [acl(K1)]: "07", [acl(K3)]: "ff" };
  const msg = ascii("object 7f3a… version 12");
  const proof = (b: number, m: Uint8Array, sigOf = b) => hex(concat(pub(b), sign(sigOf, m), m));
  t({ name: "init/first", description: "init makes SENDER the admin", fn: "init", sender: hex(ALICE),
    expect: { status: "HALT", state: { [ADMIN]: hex(ALICE) } } });
  t({ name: "init/twice", description: "init when an admin exists: ABORT 1", fn: "init", sender: hex(BOB), state: base,
    expect: { status: "ABORT", code: 1n } });
  t({ name: "grant/level-5", description: "the admin grants level 5 to a key", fn: "grant", args: [5n], input: hex(K2), sender: hex(ALICE), state: base,
    expect: { status: "HALT", state: { ...base, [acl(K2)]: "05" } } });
  t({ name: "grant/level-255", description: "level 255 is the highest; it replaces an existing grant", fn: "grant", args: [255n], input: hex(K1), sender: hex(ALICE), state: base,
    expect: { status: "HALT", state: { ...base, [acl(K1)]: "ff" } } });
  t({ name: "grant/revoke", description: "level 0 deletes the entry", fn: "grant", args: [0n], input: hex(K1), sender: hex(ALICE), state: base,
    expect: { status: "HALT", state: { [ADMIN]: hex(ALICE), [acl(K3)]: "ff" } } });
  t({ name: "grant/not-admin", description: "a grant by a node other than the admin: ABORT 2", fn: "grant", args: [5n], input: hex(K2), sender: hex(MALLORY), state: base,
    expect: { status: "ABORT", code: 2n } });
  t({ name: "grant/no-admin", description: "a grant before init: ABORT 2", fn: "grant", args: [5n], input: hex(K2), sender: hex(ALICE),
    expect: { status: "ABORT", code: 2n } });
  t({ name: "grant/short-key", description: "a 31-byte key: ABORT 3", fn: "grant", args: [5n], input: hex(K2.slice(0, 31)), sender: hex(ALICE), state: base,
    expect: { status: "ABORT", code: 3n } });
  t({ name: "grant/level-256", description: "level 256: ABORT 4", fn: "grant", args: [256n], input: hex(K2), sender: hex(ALICE), state: base,
    expect: { status: "ABORT", code: 4n } });
  t({ name: "grant/level-negative", description: "level -1: ABORT 4", fn: "grant", args: [-1n], input: hex(K2), sender: hex(ALICE), state: base,
    expect: { status: "ABORT", code: 4n } });
  t({ name: "check/granted", description: "a valid signature by a granted key returns its level", fn: "check", input: proof(1, msg), state: base,
    expect: { status: "HALT", returns: [7n], logs: [], state: base } });
  t({ name: "check/granted-255-empty-message", description: "a valid signature over the empty message by a level-255 key", fn: "check", input: proof(3, new Uint8Array()), state: base,
    expect: { status: "HALT", returns: [255n], logs: [] } });
  t({ name: "check/not-granted", description: "a valid signature by a key with no entry returns 0 and logs nothing", fn: "check", input: proof(2, msg), state: base,
    expect: { status: "HALT", returns: [0n], logs: [] } });
  t({ name: "check/wrong-signer", description: "key 1 with a signature made by key 2: returns 0 and LOGs key 1", fn: "check", input: proof(1, msg, 2), state: base,
    expect: { status: "HALT", returns: [0n], logs: [hex(K1)] } });
  t({ name: "check/tampered-message", description: "a signature over another message: returns 0 and LOGs the key", fn: "check",
    input: hex(concat(K1, sign(1, msg), ascii("object 7f3a… version 13"))), state: base,
    expect: { status: "HALT", returns: [0n], logs: [hex(K1)] } });
  t({ name: "check/large-message", description: "a 3000-byte message signed by a granted key", fn: "check", input: proof(1, new Uint8Array(3000).fill(0x5a)), state: base,
    expect: { status: "HALT", returns: [7n] } });
  t({ name: "check/short-input", description: "95 bytes of input: ABORT 3", fn: "check", input: proof(1, msg).slice(0, 190), state: base,
    expect: { status: "ABORT", code: 3n } });
}

// ------------------------------------------------------------------ group

/** The group's key commitment chain: C(0) = Blake3(group_id), C(e) = Blake3(C(e-1) || u64le(e)). */
export function groupCommitment(groupId: Uint8Array, epoch: number): Uint8Array {
  let c = blake3(groupId);
  for (let e = 1; e <= epoch; e++) c = blake3(concat(c, u64le(BigInt(e))));
  return c;
}

{
  const t = add(CONTRACTS[6], "group");
  const gid = ascii("tehran-mesh/family");
  const m = (id: Uint8Array) => asciiHex("m:") + hex(id);
  const keyRec = (e: number) => hex(concat(groupCommitment(gid, e), u64le(BigInt(e))));
  const K = asciiHex("key"), N = asciiHex("n"), A = asciiHex("admin");
  const g = { [A]: hex(ALICE), [m(ALICE)]: "", [m(BOB)]: "", [N]: hex(u64le(2n)), [K]: keyRec(3) };
  t({ name: "init/new", description: "init: SENDER is admin and first member, epoch 0, C(0) = Blake3(group_id)", fn: "init", input: hex(gid), sender: hex(ALICE),
    expect: { status: "HALT", state: { [A]: hex(ALICE), [m(ALICE)]: "", [N]: hex(u64le(1n)), [K]: keyRec(0) } } });
  t({ name: "init/twice", description: "init on an existing group: ABORT 1", fn: "init", input: hex(gid), sender: hex(BOB), state: g,
    expect: { status: "ABORT", code: 1n } });
  t({ name: "init/empty-id", description: "init with an empty group id: ABORT 3", fn: "init", sender: hex(ALICE),
    expect: { status: "ABORT", code: 3n } });
  t({ name: "add/new-member", description: "the admin adds a member: returns 1, count 3, epoch unchanged", fn: "add", input: hex(CAROL), sender: hex(ALICE), state: g,
    expect: { status: "HALT", returns: [1n], state: { ...g, [m(CAROL)]: "", [N]: hex(u64le(3n)) } } });
  t({ name: "add/existing", description: "adding a member twice returns 0", fn: "add", input: hex(BOB), sender: hex(ALICE), state: g,
    expect: { status: "HALT", returns: [0n], state: g } });
  t({ name: "add/not-admin", description: "a member who is not the admin cannot add: ABORT 2", fn: "add", input: hex(CAROL), sender: hex(BOB), state: g,
    expect: { status: "ABORT", code: 2n } });
  t({ name: "add/bad-id", description: "a 15-byte NodeID: ABORT 3", fn: "add", input: hex(CAROL.slice(1)), sender: hex(ALICE), state: g,
    expect: { status: "ABORT", code: 3n } });
  t({ name: "remove/member-rotates", description: "removing a member deletes it and rotates the key to epoch 4", fn: "remove", input: hex(BOB), sender: hex(ALICE), state: g,
    expect: { status: "HALT", returns: [1n], state: { [A]: hex(ALICE), [m(ALICE)]: "", [N]: hex(u64le(1n)), [K]: keyRec(4) } } });
  t({ name: "remove/absent", description: "removing a non-member returns 0 and does not rotate", fn: "remove", input: hex(CAROL), sender: hex(ALICE), state: g,
    expect: { status: "HALT", returns: [0n], state: g } });
  t({ name: "remove/admin", description: "the admin cannot be removed: ABORT 4", fn: "remove", input: hex(ALICE), sender: hex(ALICE), state: g,
    expect: { status: "ABORT", code: 4n } });
  t({ name: "rotate/admin", description: "rotate bumps the epoch to 4 and chains the commitment", fn: "rotate", sender: hex(ALICE), state: g,
    expect: { status: "HALT", returns: [4n], state: { ...g, [K]: keyRec(4) } } });
  t({ name: "rotate/not-admin", description: "rotate by a member: ABORT 2", fn: "rotate", sender: hex(BOB), state: g,
    expect: { status: "ABORT", code: 2n } });
  t({ name: "rotate/no-group", description: "rotate before init: ABORT 2", fn: "rotate", sender: hex(ALICE),
    expect: { status: "ABORT", code: 2n } });
  t({ name: "is_member/yes", description: "a member: 1", fn: "is_member", input: hex(BOB), state: g, expect: { status: "HALT", returns: [1n] } });
  t({ name: "is_member/no", description: "a stranger: 0", fn: "is_member", input: hex(MALLORY), state: g, expect: { status: "HALT", returns: [0n] } });
  t({ name: "is_member/bad-id", description: "an empty input: ABORT 3", fn: "is_member", state: g, expect: { status: "ABORT", code: 3n } });
  t({ name: "key_epoch/current", description: "key_epoch returns the epoch", fn: "key_epoch", state: g, expect: { status: "HALT", returns: [3n] } });
  t({ name: "key_epoch/no-group", description: "key_epoch without a group: ABORT 5", fn: "key_epoch", expect: { status: "ABORT", code: 5n } });
  t({ name: "commitment/current", description: "commitment EMITs C(3) and returns 3", fn: "commitment", state: g,
    expect: { status: "HALT", returns: [3n], output: hex(groupCommitment(gid, 3)) } });
  t({ name: "members/count", description: "members returns the count", fn: "members", state: g, expect: { status: "HALT", returns: [2n] } });
}

// ------------------------------------------------------------------ forum

/** A forum log of posts [author, epoch, body], chained: entry i starts with Blake3(entry i-1). */
export function forumLog(posts: [Uint8Array, bigint, string][]): { state: Record<string, string>; entries: Uint8Array[] } {
  const state: Record<string, string> = {};
  const entries: Uint8Array[] = [];
  let prev = new Uint8Array(32);
  posts.forEach(([author, epoch, body], i) => {
    const e = concat(prev, author, u64le(epoch), ascii(body));
    entries.push(e);
    state[asciiHex("p:") + hex(u32le(i))] = hex(e);
    prev = blake3(e);
  });
  state[asciiHex("cnt")] = hex(u64le(BigInt(posts.length)));
  return { state, entries };
}

{
  const t = add(CONTRACTS[4], "forum");
  const MOD = asciiHex("mod");
  const ban = (id: Uint8Array) => asciiHex("ban:") + hex(id);
  const rl = (id: Uint8Array) => asciiHex("rl:") + hex(id);
  const rlRec = (epoch: bigint, n: bigint) => hex(concat(u64le(epoch), u64le(n)));
  const log = forumLog([[ALICE, 6n, "hello mesh"], [BOB, 7n, "hi alice"]]);
  const forum = { [MOD]: hex(CAROL), ...log.state, [ban(MALLORY)]: "" };
  const body = "is the relay on the hill up?";
  const third = concat(blake3(log.entries[1]), BOB, u64le(7n), ascii(body));
  t({ name: "init/new", description: "init makes SENDER the moderator", fn: "init", sender: hex(CAROL),
    expect: { status: "HALT", state: { [MOD]: hex(CAROL) } } });
  t({ name: "init/twice", description: "a second init: ABORT 1", fn: "init", sender: hex(BOB), state: forum, expect: { status: "ABORT", code: 1n } });
  t({ name: "post/first", description: "the first post chains to 32 zero bytes and returns index 0", fn: "post", input: asciiHex("hello mesh"), sender: hex(ALICE), epoch: 6n,
    expect: { status: "HALT", returns: [0n], state: { ...forumLog([[ALICE, 6n, "hello mesh"]]).state, [rl(ALICE)]: rlRec(6n, 1n) } } });
  t({ name: "post/chained", description: "the third post starts with Blake3(second entry); returns index 2", fn: "post", input: asciiHex(body), sender: hex(BOB), state: { ...forum, [rl(BOB)]: rlRec(7n, 1n) },
    expect: { status: "HALT", returns: [2n], state: { ...forum, [asciiHex("p:") + hex(u32le(2))]: hex(third), [asciiHex("cnt")]: hex(u64le(3n)), [rl(BOB)]: rlRec(7n, 2n) } } });
  t({ name: "post/max-length", description: "a 280-byte post is accepted", fn: "post", input: asciiHex("w".repeat(280)), sender: hex(ALICE), state: forum,
    expect: { status: "HALT", returns: [2n] } });
  t({ name: "post/empty", description: "an empty post: ABORT 3", fn: "post", sender: hex(ALICE), state: forum, expect: { status: "ABORT", code: 3n } });
  t({ name: "post/too-long", description: "a 281-byte post: ABORT 3", fn: "post", input: asciiHex("w".repeat(281)), sender: hex(ALICE), state: forum, expect: { status: "ABORT", code: 3n } });
  t({ name: "post/banned", description: "a banned author: ABORT 4", fn: "post", input: asciiHex("spam"), sender: hex(MALLORY), state: forum, expect: { status: "ABORT", code: 4n } });
  t({ name: "post/rate-limited", description: "a fourth post in the same epoch: ABORT 5", fn: "post", input: asciiHex("again"), sender: hex(ALICE), state: { ...forum, [rl(ALICE)]: rlRec(7n, 3n) },
    expect: { status: "ABORT", code: 5n } });
  t({ name: "post/new-epoch-resets", description: "three posts in epoch 6 do not limit a post in epoch 7", fn: "post", input: asciiHex("again"), sender: hex(ALICE), state: { ...forum, [rl(ALICE)]: rlRec(6n, 3n) },
    expect: { status: "HALT", returns: [2n], stateHas: { [rl(ALICE)]: rlRec(7n, 1n) } } });
  t({ name: "ban/by-moderator", description: "the moderator bans a node", fn: "ban", input: hex(BOB), sender: hex(CAROL), state: forum,
    expect: { status: "HALT", state: { ...forum, [ban(BOB)]: "" } } });
  t({ name: "ban/not-moderator", description: "a ban by another node: ABORT 2", fn: "ban", input: hex(BOB), sender: hex(ALICE), state: forum, expect: { status: "ABORT", code: 2n } });
  t({ name: "ban/no-moderator", description: "a ban before init: ABORT 2", fn: "ban", input: hex(BOB), sender: hex(ALICE), expect: { status: "ABORT", code: 2n } });
  t({ name: "ban/bad-id", description: "a 17-byte NodeID: ABORT 6", fn: "ban", input: hex(BOB) + "00", sender: hex(CAROL), state: forum, expect: { status: "ABORT", code: 6n } });
  t({ name: "unban/by-moderator", description: "unban removes the node from the ban list", fn: "unban", input: hex(MALLORY), sender: hex(CAROL), state: forum,
    expect: { status: "HALT", stateHas: { [ban(MALLORY)]: null } } });
  t({ name: "count/two", description: "count returns the number of posts", fn: "count", state: forum, expect: { status: "HALT", returns: [2n] } });
  t({ name: "count/empty", description: "count of an empty forum is 0", fn: "count", expect: { status: "HALT", returns: [0n] } });
  t({ name: "get/second", description: "get(1) EMITs the whole second entry and returns its length", fn: "get", args: [1n], state: forum,
    expect: { status: "HALT", returns: [BigInt(log.entries[1].length)], output: hex(log.entries[1]) } });
  t({ name: "get/out-of-range", description: "get(2) of a 2-post log: ABORT 7", fn: "get", args: [2n], state: forum, expect: { status: "ABORT", code: 7n } });
  t({ name: "get/negative", description: "get(-1): ABORT 7", fn: "get", args: [-1n], state: forum, expect: { status: "ABORT", code: 7n } });
  t({ name: "head/two", description: "head EMITs Blake3(last entry) and returns the count", fn: "head", state: forum,
    expect: { status: "HALT", returns: [2n], output: hex(blake3(log.entries[1])) } });
}

// ------------------------------------------------------------------ marketplace

/** A CBOR head in shortest form (RFC 8949 §3). */
export function cborHead(major: number, v: bigint): Uint8Array {
  const m = major << 5;
  if (v < 24n) return Uint8Array.of(m | Number(v));
  if (v < 0x100n) return Uint8Array.of(m | 24, Number(v));
  if (v < 0x10000n) return Uint8Array.of(m | 25, Number(v >> 8n), Number(v & 0xffn));
  const n = v < 0x100000000n ? 4 : 8;
  const b = new Uint8Array(1 + n);
  b[0] = m | (n === 4 ? 26 : 27);
  for (let i = 0; i < n; i++) b[n - i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
}

/** The deterministic CBOR listing {0: title, 1: price, 2: seller}. */
export function listing(title: string | Uint8Array, price: bigint, seller: Uint8Array): Uint8Array {
  const t = typeof title === "string" ? ascii(title) : title;
  return concat(Uint8Array.of(0xa3, 0x00), cborHead(3, BigInt(t.length)), t, Uint8Array.of(0x01), cborHead(0, price), Uint8Array.of(0x02), cborHead(2, 16n), seller);
}

/** A listing record as the contract stores it. */
export function listingRecord(title: string, price: bigint, seller: Uint8Array, buyer: Uint8Array | null, status: number): string {
  return hex(concat(u64le(price), seller, buyer ?? new Uint8Array(16), Uint8Array.of(status, ascii(title).length), ascii(title)));
}

{
  const t = add(CONTRACTS[5], "marketplace");
  const L = (id: number) => asciiHex("l:") + hex(u32le(id));
  const NEXT = asciiHex("next"), ESC = asciiHex("esc");
  const title = "Solar panel 20W, used";
  const good = listing(title, 1500n, ALICE);
  const selfHex = hex(SELF);
  const market = {
    [NEXT]: hex(u64le(3n)), [ESC]: hex(u64le(700n)),
    [L(0)]: listingRecord("bike", 400n, ALICE, null, 1),
    [L(1)]: listingRecord("lora radio", 700n, ALICE, BOB, 2),
    [L(2)]: listingRecord("antenna", 50n, CAROL, BOB, 3),
  };
  const bad = (name: string, description: string, input: Uint8Array, code: bigint) =>
    t({ name: `list/${name}`, description, fn: "list", input: hex(input), sender: hex(ALICE), expect: { status: "ABORT", code } });
  t({ name: "list/first", description: "a valid listing by its seller gets id 0", fn: "list", input: hex(good), sender: hex(ALICE),
    expect: { status: "HALT", returns: [0n], state: { [L(0)]: listingRecord(title, 1500n, ALICE, null, 1), [NEXT]: hex(u64le(1n)) } } });
  t({ name: "list/utf8-title-8-byte-price", description: "a UTF-8 title (2-, 3- and 4-byte sequences) and a price needing 8 bytes", fn: "list",
    input: hex(listing("Tür — 😀", 5_000_000_000n, ALICE)), sender: hex(ALICE), state: market,
    expect: { status: "HALT", returns: [3n], stateHas: { [L(3)]: listingRecord("Tür — 😀", 5_000_000_000n, ALICE, null, 1), [NEXT]: hex(u64le(4n)) } } });
  t({ name: "list/title-64", description: "a 64-byte title (1-byte length argument) is accepted", fn: "list", input: hex(listing("t".repeat(64), 24n, ALICE)), sender: hex(ALICE),
    expect: { status: "HALT", returns: [0n] } });
  bad("truncated", "the input ends inside the seller: ABORT 10", good.slice(0, good.length - 1), 10n);
  bad("empty", "an empty input: ABORT 10", new Uint8Array(), 10n);
  bad("map-of-2", "a 2-entry map: ABORT 11", concat(Uint8Array.of(0xa2), good.slice(1)), 11n);
  bad("array", "an array instead of a map: ABORT 11", concat(Uint8Array.of(0x83), good.slice(1)), 11n);
  bad("keys-out-of-order", "key 1 where key 0 must come: ABORT 12", concat(Uint8Array.of(0xa3, 0x01), good.slice(2)), 12n);
  bad("title-not-text", "a byte-string title: ABORT 13", listing(title, 1n, ALICE).map((b, i) => (i === 2 ? 0x40 | (b & 31) : b)), 13n);
  bad("title-empty", "an empty title: ABORT 13", listing("", 1n, ALICE), 13n);
  bad("title-65", "a 65-byte title: ABORT 13", listing("t".repeat(65), 1n, ALICE), 13n);
  bad("non-minimal-length", "a title length 5 written as 78 05: ABORT 14", concat(Uint8Array.of(0xa3, 0x00, 0x78, 0x05), ascii("radio"), Uint8Array.of(0x01, 0x01, 0x02, 0x50), ALICE), 14n);
  bad("non-minimal-price", "price 200 written with 2 bytes (19 00 c8): ABORT 14", concat(Uint8Array.of(0xa3, 0x00, 0x65), ascii("radio"), Uint8Array.of(0x01, 0x19, 0x00, 0xc8, 0x02, 0x50), ALICE), 14n);
  bad("indefinite-title", "an indefinite-length title (7f): ABORT 14", concat(Uint8Array.of(0xa3, 0x00, 0x7f), ascii("radio"), Uint8Array.of(0xff)), 14n);
  bad("bad-utf8", "a title with an overlong UTF-8 sequence (c0 af): ABORT 15", listing(Uint8Array.of(0x61, 0xc0, 0xaf), 1n, ALICE), 15n);
  bad("surrogate", "a title holding a UTF-16 surrogate (ed a0 80): ABORT 15", listing(Uint8Array.of(0xed, 0xa0, 0x80), 1n, ALICE), 15n);
  bad("truncated-utf8", "a title ending inside a 3-byte sequence: ABORT 15", listing(Uint8Array.of(0x61, 0xe2, 0x82), 1n, ALICE), 15n);
  bad("price-zero", "price 0: ABORT 16", listing(title, 0n, ALICE), 16n);
  bad("price-2^63", "price 2^63 does not fit the signed amounts: ABORT 16", listing(title, 1n << 63n, ALICE), 16n);
  bad("price-negative", "a negative-integer price (major type 1): ABORT 16", concat(Uint8Array.of(0xa3, 0x00, 0x61, 0x61, 0x01, 0x20, 0x02, 0x50), ALICE), 16n);
  bad("seller-15-bytes", "a 15-byte seller: ABORT 17", concat(Uint8Array.of(0xa3, 0x00, 0x61, 0x61, 0x01, 0x01, 0x02, 0x4f), ALICE.slice(1)), 17n);
  bad("trailing", "a byte after the map: ABORT 18", concat(good, Uint8Array.of(0x00)), 18n);
  t({ name: "list/not-seller", description: "a listing naming another seller: ABORT 19", fn: "list", input: hex(good), sender: hex(BOB), expect: { status: "ABORT", code: 19n } });
  t({ name: "buy/open", description: "buy records the buyer when escrow holds the price (BALANCE(SELF) 1100 - 700 escrowed >= 400)", fn: "buy", args: [0n],
    sender: hex(CAROL), balances: { [selfHex]: 1100n }, state: market,
    expect: { status: "HALT", state: { ...market, [L(0)]: listingRecord("bike", 400n, ALICE, CAROL, 2), [ESC]: hex(u64le(1100n)) } } });
  t({ name: "buy/unfunded", description: "buy when escrow cannot cover the price (1099 - 700 < 400): ABORT 24", fn: "buy", args: [0n],
    sender: hex(CAROL), balances: { [selfHex]: 1099n }, state: market, expect: { status: "ABORT", code: 24n } });
  t({ name: "buy/own-listing", description: "the seller buying its own listing: ABORT 23", fn: "buy", args: [0n], sender: hex(ALICE), balances: { [selfHex]: 5000n }, state: market,
    expect: { status: "ABORT", code: 23n } });
  t({ name: "buy/pending", description: "buying a PENDING listing: ABORT 21", fn: "buy", args: [1n], sender: hex(CAROL), balances: { [selfHex]: 5000n }, state: market,
    expect: { status: "ABORT", code: 21n } });
  t({ name: "buy/no-such-listing", description: "buy(3) when ids 0..2 exist: ABORT 20", fn: "buy", args: [3n], sender: hex(CAROL), state: market,
    expect: { status: "ABORT", code: 20n } });
  t({ name: "buy/id-out-of-u32", description: "buy(2^32) must not alias listing 0: ABORT 20", fn: "buy", args: [1n << 32n], sender: hex(CAROL), state: market,
    expect: { status: "ABORT", code: 20n } });
  t({ name: "release/by-buyer", description: "the buyer releases: TRANSFER 700 to the seller, SOLD, escrow total down", fn: "release", args: [1n],
    sender: hex(BOB), balances: { [selfHex]: 700n }, state: market,
    expect: { status: "HALT", transfers: [{ to: hex(ALICE), amount: 700n }], state: { ...market, [L(1)]: listingRecord("lora radio", 700n, ALICE, BOB, 3), [ESC]: hex(u64le(0n)) } } });
  t({ name: "release/not-buyer", description: "release by the seller: ABORT 22", fn: "release", args: [1n], sender: hex(ALICE), balances: { [selfHex]: 700n }, state: market,
    expect: { status: "ABORT", code: 22n } });
  t({ name: "release/insufficient-balance", description: "release when SELF's snapshot balance cannot pay: TRANSFER refused, ABORT 24", fn: "release", args: [1n],
    sender: hex(BOB), balances: { [selfHex]: 699n }, state: market, expect: { status: "ABORT", code: 24n } });
  t({ name: "release/sold", description: "releasing a SOLD listing again: ABORT 21", fn: "release", args: [2n], sender: hex(BOB), state: market,
    expect: { status: "ABORT", code: 21n } });
  t({ name: "refund/by-seller", description: "the seller refunds: TRANSFER 700 back to the buyer, listing OPEN again", fn: "refund", args: [1n],
    sender: hex(ALICE), balances: { [selfHex]: 700n }, state: market,
    expect: { status: "HALT", transfers: [{ to: hex(BOB), amount: 700n }], state: { ...market, [L(1)]: listingRecord("lora radio", 700n, ALICE, null, 1), [ESC]: hex(u64le(0n)) } } });
  t({ name: "refund/not-seller", description: "refund by the buyer: ABORT 22", fn: "refund", args: [1n], sender: hex(BOB), state: market,
    expect: { status: "ABORT", code: 22n } });
  t({ name: "cancel/by-seller", description: "the seller cancels an OPEN listing", fn: "cancel", args: [0n], sender: hex(ALICE), state: market,
    expect: { status: "HALT", state: { ...market, [L(0)]: listingRecord("bike", 400n, ALICE, null, 4) } } });
  t({ name: "get/pending", description: "get EMITs the record and returns its status", fn: "get", args: [1n], state: market,
    expect: { status: "HALT", returns: [2n], output: market[L(1)] } });
}

// ------------------------------------------------------------------ wiki-crdt

export type LwwEntry = [key: string, ts: bigint, writer: Uint8Array, value: string];
/** The "lww" encoding: klen || key || ts u64 || writer 16 || vlen u16 || value, sorted by key. */
export function lwwMap(entries: LwwEntry[], raw = false): string {
  const sorted = raw ? entries : [...entries].sort((a, b) => cmp(ascii(a[0]), ascii(b[0])));
  return hex(concat(...sorted.map(([k, ts, w, v]) => concat(Uint8Array.of(ascii(k).length), ascii(k), u64le(ts), w, u16le(ascii(v).length), ascii(v)))));
}
/** OR-Set add records elen || element || tag, sorted by (element, tag). */
export function orAdds(records: [element: string, tag: Uint8Array][], raw = false): Uint8Array {
  const enc = records.map(([e, t]) => ({ e: ascii(e), t }));
  if (!raw) enc.sort((a, b) => cmp(a.e, b.e) || cmp(a.t, b.t));
  return concat(...enc.map(({ e, t }) => concat(Uint8Array.of(e.length), e, t)));
}
export const orTombs = (tags: Uint8Array[]): Uint8Array => concat(...[...tags].sort(cmp));
/** or_merge's input: adds_len u16 || adds || tombstones. */
export const orReplica = (adds: Uint8Array, tombs: Uint8Array): string => hex(concat(u16le(adds.length), adds, tombs));
/** A 16-byte OR-Set tag: Blake3(writer || seq)[0..16]. */
export const tag = (writer: Uint8Array, seq: number): Uint8Array => blake3(concat(writer, u64le(BigInt(seq)))).slice(0, 16);

{
  const t = add(CONTRACTS[3], "wiki-crdt");
  const LWW = asciiHex("lww"), ORA = asciiHex("ora"), ORR = asciiHex("orr");
  const local = lwwMap([["intro", 10n, ALICE, "Mesh wiki"], ["title", 5n, BOB, "Relays"]]);
  t({ name: "lww_merge/into-empty", description: "merging into no state stores the remote map", fn: "lww_merge", input: local,
    expect: { status: "HALT", state: { [LWW]: local } } });
  t({ name: "lww_merge/newer-wins", description: "per key the higher timestamp wins; new keys are inserted in order", fn: "lww_merge",
    input: lwwMap([["body", 1n, CAROL, "text"], ["intro", 9n, CAROL, "old"], ["title", 6n, ALICE, "Relays & nodes"]]), state: { [LWW]: local },
    expect: { status: "HALT", state: { [LWW]: lwwMap([["body", 1n, CAROL, "text"], ["intro", 10n, ALICE, "Mesh wiki"], ["title", 6n, ALICE, "Relays & nodes"]]) } } });
  t({ name: "lww_merge/writer-breaks-tie", description: "equal timestamps: the greater writer NodeID wins", fn: "lww_merge",
    input: lwwMap([["intro", 10n, CAROL, "Carol's intro"], ["title", 5n, ALICE, "Alice's title"]]), state: { [LWW]: local },
    expect: { status: "HALT", state: { [LWW]: lwwMap([["intro", 10n, CAROL, "Carol's intro"], ["title", 5n, BOB, "Relays"]]) } } });
  t({ name: "lww_merge/idempotent", description: "merging a replica with itself changes nothing", fn: "lww_merge", input: local, state: { [LWW]: local },
    expect: { status: "HALT", state: { [LWW]: local } } });
  t({ name: "lww_merge/prefix-key-order", description: "a key that is a prefix of another sorts first", fn: "lww_merge",
    input: lwwMap([["int", 1n, CAROL, ""]]), state: { [LWW]: local },
    expect: { status: "HALT", state: { [LWW]: lwwMap([["int", 1n, CAROL, ""], ["intro", 10n, ALICE, "Mesh wiki"], ["title", 5n, BOB, "Relays"]]) } } });
  t({ name: "lww_merge/unsorted", description: "remote keys out of order: ABORT 2", fn: "lww_merge", input: lwwMap([["title", 1n, CAROL, "a"], ["intro", 1n, CAROL, "b"]], true),
    expect: { status: "ABORT", code: 2n } });
  t({ name: "lww_merge/duplicate-key", description: "a repeated remote key: ABORT 2", fn: "lww_merge", input: lwwMap([["a", 1n, CAROL, "x"], ["a", 2n, CAROL, "y"]], true),
    expect: { status: "ABORT", code: 2n } });
  t({ name: "lww_merge/truncated", description: "an entry running past the input: ABORT 1", fn: "lww_merge", input: local.slice(0, local.length - 2),
    expect: { status: "ABORT", code: 1n } });
  t({ name: "lww_merge/empty-key", description: "a zero-length key: ABORT 1", fn: "lww_merge", input: hex(concat(Uint8Array.of(0), u64le(1n), CAROL, u16le(0))),
    expect: { status: "ABORT", code: 1n } });
  t({ name: "lww_merge/negative-ts", description: "a timestamp >= 2^63: ABORT 1", fn: "lww_merge", input: lwwMap([["a", 1n << 63n, CAROL, "x"]]),
    expect: { status: "ABORT", code: 1n } });
  t({ name: "lww_merge/too-large", description: "an input over 4096 bytes: ABORT 4", fn: "lww_merge", input: "00".repeat(4097),
    expect: { status: "ABORT", code: 4n } });
  t({ name: "lww_get/present", description: "lww_get EMITs the value and returns the timestamp", fn: "lww_get", input: asciiHex("intro"), state: { [LWW]: local },
    expect: { status: "HALT", returns: [10n], output: asciiHex("Mesh wiki") } });
  t({ name: "lww_get/absent", description: "lww_get of a missing key returns -1", fn: "lww_get", input: asciiHex("intr"), state: { [LWW]: local },
    expect: { status: "HALT", returns: [-1n], output: "" } });
  t({ name: "lww_get/bad-key", description: "an empty key: ABORT 3", fn: "lww_get", state: { [LWW]: local }, expect: { status: "ABORT", code: 3n } });
  t({ name: "lww_dump/all", description: "lww_dump EMITs the map and returns the entry count", fn: "lww_dump", state: { [LWW]: local },
    expect: { status: "HALT", returns: [2n], output: local } });

  const tA1 = tag(ALICE, 1), tA2 = tag(ALICE, 2), tB1 = tag(BOB, 1), tC1 = tag(CAROL, 1);
  const adds = orAdds([["lora", tA1], ["mesh", tA2], ["lora", tB1]]);
  const set = { [ORA]: hex(adds) };
  t({ name: "or_add/first", description: "or_add stores one add record", fn: "or_add", input: hex(concat(tA1, ascii("lora"))),
    expect: { status: "HALT", state: { [ORA]: hex(orAdds([["lora", tA1]])) } } });
  t({ name: "or_add/second-tag", description: "a second add of an element keeps both tags, in (element, tag) order", fn: "or_add", input: hex(concat(tC1, ascii("lora"))), state: set,
    expect: { status: "HALT", state: { [ORA]: hex(orAdds([["lora", tA1], ["mesh", tA2], ["lora", tB1], ["lora", tC1]])) } } });
  t({ name: "or_add/tombstoned-tag", description: "re-adding a removed tag does nothing (remove wins for observed tags)", fn: "or_add", input: hex(concat(tC1, ascii("wifi"))),
    state: { ...set, [ORR]: hex(orTombs([tC1])) }, expect: { status: "HALT", state: { ...set, [ORR]: hex(orTombs([tC1])) } } });
  t({ name: "or_add/bad-input", description: "a tag without an element (16 bytes): ABORT 3", fn: "or_add", input: hex(tA1), expect: { status: "ABORT", code: 3n } });
  t({ name: "or_remove/observed", description: "or_remove tombstones both observed tags of \"lora\" and returns 2", fn: "or_remove", input: asciiHex("lora"), state: set,
    expect: { status: "HALT", returns: [2n], state: { [ORA]: hex(orAdds([["mesh", tA2]])), [ORR]: hex(orTombs([tA1, tB1])) } } });
  t({ name: "or_remove/absent", description: "removing an element with no adds returns 0 and writes nothing", fn: "or_remove", input: asciiHex("wifi"), state: set,
    expect: { status: "HALT", returns: [0n], state: set } });
  t({ name: "or_merge/add-wins-concurrent", description: "a concurrent add with a new tag survives a remove of the observed tags", fn: "or_merge",
    input: orReplica(orAdds([["lora", tC1]]), orTombs([tA1, tB1])), state: set,
    expect: { status: "HALT", state: { [ORA]: hex(orAdds([["lora", tC1], ["mesh", tA2]])), [ORR]: hex(orTombs([tA1, tB1])) } } });
  t({ name: "or_merge/union", description: "merge unions the adds of both replicas", fn: "or_merge", input: orReplica(orAdds([["wifi", tC1], ["mesh", tA2]]), new Uint8Array()), state: set,
    expect: { status: "HALT", state: { [ORA]: hex(orAdds([["lora", tA1], ["mesh", tA2], ["lora", tB1], ["wifi", tC1]])) } } });
  t({ name: "or_merge/remote-tombstones-local", description: "a remote tombstone removes a local add", fn: "or_merge", input: orReplica(new Uint8Array(), orTombs([tA2])), state: set,
    expect: { status: "HALT", state: { [ORA]: hex(orAdds([["lora", tA1], ["lora", tB1]])), [ORR]: hex(orTombs([tA2])) } } });
  t({ name: "or_merge/unsorted-adds", description: "remote adds out of order: ABORT 2", fn: "or_merge", input: orReplica(orAdds([["mesh", tA2], ["lora", tA1]], true), new Uint8Array()),
    expect: { status: "ABORT", code: 2n } });
  t({ name: "or_merge/partial-tag", description: "a tombstone section that is not whole tags: ABORT 1", fn: "or_merge", input: orReplica(new Uint8Array(), tA1.slice(0, 15)),
    expect: { status: "ABORT", code: 1n } });
  t({ name: "or_merge/adds-len-past-end", description: "adds_len past the end of the input: ABORT 1", fn: "or_merge", input: hex(concat(u16le(100), orAdds([["lora", tA1]]))),
    expect: { status: "ABORT", code: 1n } });
  t({ name: "or_contains/yes", description: "an added element: 1", fn: "or_contains", input: asciiHex("mesh"), state: set, expect: { status: "HALT", returns: [1n] } });
  t({ name: "or_contains/no", description: "an element never added: 0", fn: "or_contains", input: asciiHex("mes"), state: set, expect: { status: "HALT", returns: [0n] } });
  t({ name: "or_elements/distinct", description: "or_elements EMITs each element once, in order", fn: "or_elements", state: set,
    expect: { status: "HALT", returns: [2n], output: hex(concat(Uint8Array.of(4), ascii("lora"), Uint8Array.of(4), ascii("mesh"))) } });
  t({ name: "or_dump/replica", description: "or_dump EMITs the replica in or_merge's input format", fn: "or_dump", state: { ...set, [ORR]: hex(orTombs([tC1])) },
    expect: { status: "HALT", output: orReplica(adds, orTombs([tC1])) } });
}

export const examples: ExampleVectorDef[] = out;
