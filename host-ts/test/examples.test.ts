/**
 * The example contracts of examples/contracts/ on their scenarios
 * (test-vectors/defs/examples.ts): every contract assembles, and every scenario
 * run on the reference engine ends as its definition says (status, code,
 * returns, output, logs, transfers, final state). Multi-step flows chain calls,
 * feeding each final state into the next job.
 */
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { assemble } from "../src/asm/index.ts";
import { encodeJob } from "../src/model/codec.ts";
import { bytesToHex, hexToBytes } from "../src/model/bytes.ts";
import type { Contract, StateMap } from "../src/model/types.ts";
import { COST_TABLES, STATUS_NAMES } from "../src/generated/opcodes.ts";
import { createReferenceEngine } from "../src/engines/reference-engine.ts";
import { blake3 } from "@noble/hashes/blake3.js";
import { SELF, SENDER, vectorJobParts } from "../../test-vectors/defs/lib.ts";
import { makeJob } from "../src/model/job.ts";
import {
  examples, CONTRACTS, type ExampleVectorDef, hex, ascii, asciiHex, concat, node, u64le, pub, sign, listing,
  lwwMap, orAdds, orTombs, orReplica, tag, type LwwEntry,
} from "../../test-vectors/defs/examples.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const engine = createReferenceEngine();
const cache = new Map<string, Contract>();

/** The contract under `costTable`: by default v1, as examples.json pins them (v2-examples.json holds their version-2 twins). */
function contractOf(path: string, costTable = "v1"): Contract {
  let c = cache.get(`${costTable} ${path}`);
  if (!c) {
    c = assemble(readFileSync(root + path, "utf8"), { costTable });
    cache.set(`${costTable} ${path}`, c);
  }
  return c;
}

/** Builds the job exactly as the vector generator does (same defaults). */
function jobOf(d: ExampleVectorDef, state?: StateMap, costTable?: string): Uint8Array {
  const contract = contractOf(d.contract, costTable);
  return encodeJob(makeJob(contract, vectorJobParts({
    fn: d.fn,
    args: d.args,
    input: d.input ? hexToBytes(d.input) : undefined,
    sender: d.sender ? hexToBytes(d.sender) : undefined,
    self: d.self ? hexToBytes(d.self) : undefined,
    epoch: d.epoch,
    balances: d.balances,
    state: state ?? new Map(Object.entries(d.state ?? {}).map(([k, v]) => [k, hexToBytes(v)])),
  }, contract)));
}

async function run(d: ExampleVectorDef, state?: StateMap, costTable?: string) {
  const r = await engine.run(jobOf(d, state, costTable));
  return {
    status: STATUS_NAMES[r.result.status],
    code: r.result.code,
    cycles: r.result.cycles,
    returns: r.result.returns,
    output: bytesToHex(r.result.output),
    logs: r.result.logs.map(bytesToHex),
    transfers: r.result.transfers.map((t) => ({ to: bytesToHex(t.to), amount: t.amount })),
    state: Object.fromEntries([...(r.state ?? new Map()).entries()].map(([k, v]) => [k, bytesToHex(v)])),
    stateMap: r.state ?? new Map(),
  };
}

describe("example contracts", () => {
  it.each(CONTRACTS)("%s assembles within the limits it declares", (path) => {
    const c = contractOf(path);
    expect(c.code.length).toBeGreaterThan(0);
    expect(c.functions.length).toBeGreaterThan(0);
    expect(c.maxMemory).toBeLessThanOrEqual(32768);
    expect(c.maxStateSize).toBeLessThanOrEqual(32768);
  });

  it("has at least 8 scenarios per contract and 60 in all, with unique names", () => {
    expect(examples.length).toBeGreaterThanOrEqual(60);
    expect(new Set(examples.map((e) => e.name)).size).toBe(examples.length);
    for (const c of CONTRACTS) expect(examples.filter((e) => e.contract === c).length, c).toBeGreaterThanOrEqual(8);
  });
});

describe("example scenarios", () => {
  it.each(examples.map((e) => [e.name, e] as const))("%s", async (_name, d) => {
    const r = await run(d);
    const e = d.expect;
    const got = `${r.status} ${r.code}`;
    expect(got, d.description).toBe(`${e.status} ${e.code ?? 0n}`);
    if (e.returns) expect(r.returns).toEqual(e.returns);
    if (e.output !== undefined) expect(r.output).toBe(e.output);
    if (e.logs) expect(r.logs).toEqual(e.logs);
    if (e.transfers) expect(r.transfers).toEqual(e.transfers);
    if (e.state) expect(r.state).toEqual(e.state);
    if (e.stateHas) for (const [k, v] of Object.entries(e.stateHas)) expect(r.state[k], k).toBe(v ?? undefined);
    if (e.maxCycles !== undefined) expect(r.cycles).toBeLessThanOrEqual(e.maxCycles);
  });
});

/** One call in a flow: the scenario fields minus name/description/expect. */
type Call = Omit<ExampleVectorDef, "name" | "description" | "expect" | "state" | "contract">;
const flow = (contract: string, costTable?: string) => async (state: StateMap, c: Call) =>
  run({ name: "flow", description: "flow", contract, expect: { status: "HALT" }, ...c }, state, costTable);

describe("multi-step flows (each call runs on the previous call's final state)", () => {
  const A = node(0x0a), B = node(0x0b), C = node(0x0c);

  it("naming: register, resolve, re-register, theft attempt", async () => {
    const call = flow(CONTRACTS[0]);
    let s: StateMap = new Map();
    let r = await call(s, { fn: "register", input: asciiHex("relay-7"), sender: hex(A) });
    expect(r.returns).toEqual([1n]);
    s = r.stateMap;
    r = await call(s, { fn: "resolve", input: asciiHex("relay-7") });
    expect([r.returns, r.output]).toEqual([[1n], hex(A)]);
    r = await call(s, { fn: "register", input: asciiHex("relay-7"), sender: hex(A) });
    expect(r.returns).toEqual([0n]);
    r = await call(s, { fn: "register", input: asciiHex("relay-7"), sender: hex(B) });
    expect([r.status, r.code]).toEqual(["ABORT", 2n]);
  });

  it("gcounter: replicas converge whatever the merge order", async () => {
    const call = flow(CONTRACTS[1]);
    const replica = async (incs: [Uint8Array, bigint][]) => {
      let s: StateMap = new Map();
      for (const [who, n] of incs) s = (await call(s, { fn: "increment", args: [n], sender: hex(who) })).stateMap;
      return s;
    };
    const r1 = await replica([[A, 3n], [C, 1n], [A, 2n]]);
    const r2 = await replica([[B, 7n], [A, 1n]]);
    const r3 = await replica([[C, 4n], [node(0x01), 9n]]);
    const gc = (s: StateMap) => hex(s.get(asciiHex("gc"))!);
    const merge = async (into: StateMap, from: StateMap) => (await call(into, { fn: "merge", input: gc(from) })).stateMap;
    const left = await merge(await merge(r1, r2), r3);
    const right = await merge(r3, await merge(r2, r1));
    expect(gc(left)).toBe(gc(right));
    expect((await call(left, { fn: "value" })).returns).toEqual([5n + 7n + 4n + 9n]);
  });

  it("access-control: init, grant, check, revoke, check", async () => {
    const call = flow(CONTRACTS[2]);
    let s = (await call(new Map(), { fn: "init", sender: hex(A) })).stateMap;
    s = (await call(s, { fn: "grant", args: [3n], input: hex(pub(9)), sender: hex(A) })).stateMap;
    const m = ascii("set /wiki/relays v2");
    const proof = hex(concat(pub(9), sign(9, m), m));
    expect((await call(s, { fn: "check", input: proof })).returns).toEqual([3n]);
    s = (await call(s, { fn: "grant", args: [0n], input: hex(pub(9)), sender: hex(A) })).stateMap;
    expect((await call(s, { fn: "check", input: proof })).returns).toEqual([0n]);
  });

  it("access-control under v2, the default table: its declared cycles cover check()'s VERIFY_SIG", async () => {
    const call = flow(CONTRACTS[2], "v2");
    let s = (await call(new Map(), { fn: "init", sender: hex(A) })).stateMap;
    s = (await call(s, { fn: "grant", args: [3n], input: hex(pub(9)), sender: hex(A) })).stateMap;
    const m = ascii("set /wiki/relays v2");
    const r = await call(s, { fn: "check", input: hex(concat(pub(9), sign(9, m), m)) });
    expect(`${r.status} ${r.code}`).toBe("HALT 0");
    expect(r.returns).toEqual([3n]);
    expect(r.cycles).toBeGreaterThan(COST_TABLES.v2.VERIFY_SIG.base);
  });

  it("forum: posts chain, the rate limit bites at the fourth post of an epoch", async () => {
    const call = flow(CONTRACTS[4]);
    let s = (await call(new Map(), { fn: "init", sender: hex(C) })).stateMap;
    for (let i = 0; i < 3; i++) {
      const r = await call(s, { fn: "post", input: asciiHex(`post ${i}`), sender: hex(A), epoch: 9n });
      expect(r.returns).toEqual([BigInt(i)]);
      s = r.stateMap;
    }
    expect((await call(s, { fn: "post", input: asciiHex("post 3"), sender: hex(A), epoch: 9n })).code).toBe(5n);
    s = (await call(s, { fn: "post", input: asciiHex("post 3"), sender: hex(A), epoch: 10n })).stateMap;
    // Every entry starts with Blake3 of the one before it; head() is Blake3 of the last.
    let prev = new Uint8Array(32);
    for (let i = 0; i < 4; i++) {
      const e = (await call(s, { fn: "get", args: [BigInt(i)] })).output;
      expect(e.slice(0, 64)).toBe(hex(prev));
      prev = blake3(Buffer.from(e, "hex"));
    }
    expect((await call(s, { fn: "head" })).output).toBe(hex(prev));
    s = (await call(s, { fn: "ban", input: hex(A), sender: hex(C) })).stateMap;
    expect((await call(s, { fn: "post", input: asciiHex("x"), sender: hex(A), epoch: 11n })).code).toBe(4n);
  });

  it("marketplace: list, buy, refund, buy again, release", async () => {
    const call = flow(CONTRACTS[5]);
    const selfHex = hex(SELF);
    let s = (await call(new Map(), { fn: "list", input: hex(listing("mesh router", 250n, A)), sender: hex(A) })).stateMap;
    s = (await call(s, { fn: "buy", args: [0n], sender: hex(B), balances: { [selfHex]: 250n } })).stateMap;
    const refund = await call(s, { fn: "refund", args: [0n], sender: hex(A), balances: { [selfHex]: 250n } });
    expect(refund.transfers).toEqual([{ to: hex(B), amount: 250n }]);
    s = refund.stateMap;
    s = (await call(s, { fn: "buy", args: [0n], sender: hex(C), balances: { [selfHex]: 250n } })).stateMap;
    const release = await call(s, { fn: "release", args: [0n], sender: hex(C), balances: { [selfHex]: 250n } });
    expect(release.transfers).toEqual([{ to: hex(A), amount: 250n }]);
    const got = await call(release.stateMap, { fn: "get", args: [0n] });
    expect(got.returns).toEqual([3n]);
    expect(release.state[asciiHex("esc")]).toBe(hex(u64le(0n)));
  });

  it("group: init, add, remove rotates, rotate", async () => {
    const call = flow(CONTRACTS[6]);
    let s = (await call(new Map(), { fn: "init", input: asciiHex("g"), sender: hex(A) })).stateMap;
    s = (await call(s, { fn: "add", input: hex(B), sender: hex(A) })).stateMap;
    expect((await call(s, { fn: "members" })).returns).toEqual([2n]);
    s = (await call(s, { fn: "remove", input: hex(B), sender: hex(A) })).stateMap;
    expect((await call(s, { fn: "is_member", input: hex(B) })).returns).toEqual([0n]);
    expect((await call(s, { fn: "key_epoch" })).returns).toEqual([1n]);
    const r = await call(s, { fn: "rotate", sender: hex(A) });
    expect(r.returns).toEqual([2n]);
    const c2 = blake3(concat(blake3(concat(blake3(ascii("g")), u64le(1n))), u64le(2n)));
    expect((await call(r.stateMap, { fn: "commitment" })).output).toBe(hex(c2));
  });

  it("wiki-crdt: LWW maps converge under every merge order", async () => {
    const call = flow(CONTRACTS[3]);
    const maps: LwwEntry[][] = [
      [["a", 3n, A, "a@3"], ["b", 1n, B, "b@1"], ["title", 7n, C, "T7"]],
      [["a", 3n, B, "a@3 by B"], ["c", 2n, A, "c"], ["title", 7n, C, "T7"]],
      [["b", 5n, A, "b@5"], ["title", 6n, A, "T6"], ["zz", 0n, C, ""]],
    ];
    const dump = async (s: StateMap) => (await call(s, { fn: "lww_dump" })).output;
    const mergeAll = async (order: number[]) => {
      let s: StateMap = new Map();
      for (const i of order) s = (await call(s, { fn: "lww_merge", input: lwwMap(maps[i]) })).stateMap;
      return dump(s);
    };
    const want = lwwMap([["a", 3n, B, "a@3 by B"], ["b", 5n, A, "b@5"], ["c", 2n, A, "c"], ["title", 7n, C, "T7"], ["zz", 0n, C, ""]]);
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 1, 2, 0, 1]]) expect(await mergeAll(order)).toBe(want);
  });

  it("wiki-crdt: OR-Set replicas converge (add/remove/merge in any order)", async () => {
    const call = flow(CONTRACTS[3]);
    const ra = async (s: StateMap, c: Call) => (await call(s, c)).stateMap;
    // Replica 1 adds lora and mesh; replica 2 adds lora; replica 1 then removes lora.
    let r1 = await ra(new Map(), { fn: "or_add", input: hex(concat(tag(A, 1), ascii("lora"))) });
    r1 = await ra(r1, { fn: "or_add", input: hex(concat(tag(A, 2), ascii("mesh"))) });
    let r2 = await ra(new Map(), { fn: "or_add", input: hex(concat(tag(B, 1), ascii("lora"))) });
    const dump = async (s: StateMap) => (await call(s, { fn: "or_dump" })).output;
    const d1 = await dump(r1);
    r1 = await ra(r1, { fn: "or_remove", input: asciiHex("lora") });
    r2 = await ra(r2, { fn: "or_merge", input: await dump(r1) });
    r1 = await ra(r1, { fn: "or_merge", input: await dump(r2) });
    expect(await dump(r1)).toBe(await dump(r2));
    // B's concurrent add of lora was not observed by A's remove: lora survives.
    expect((await call(r1, { fn: "or_contains", input: asciiHex("lora") })).returns).toEqual([1n]);
    expect((await call(r1, { fn: "or_elements" })).returns).toEqual([2n]);
    // Re-merging an old replica (A's adds before the remove) changes nothing.
    const again = await ra(r1, { fn: "or_merge", input: d1 });
    expect(await dump(again)).toBe(await dump(r1));
    expect(await dump(r1)).toBe(orReplica(orAdds([["lora", tag(B, 1)], ["mesh", tag(A, 2)]]), orTombs([tag(A, 1)])));
  });
});
