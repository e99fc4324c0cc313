/**
 * The AssemblyScript VM's state arena against the reference under long random
 * churns of stores, deletes and loads that run compaction after compaction
 * (SPEC §9.7): the VM keeps its own records, dead runs and index, the
 * reference a map and a model of the arena's charge, so agreeing on every
 * result (cycles, output, state hash) and the final state checks the VM's
 * bookkeeping of runs and slots as well as the charge. The differential
 * fuzzer's states are too small to start a compaction.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { assemble } from "../../src/asm/index.ts";
import { createAsEngine } from "../../src/engines/as-engine.ts";
import { createReferenceEngine } from "../../src/engines/reference-engine.ts";
import { Limit, Status } from "../../src/generated/opcodes.ts";
import { bytesToHex } from "../../src/model/bytes.ts";
import { encodeJob, encodeState } from "../../src/model/codec.ts";
import type { Engine } from "../../src/model/engine.ts";
import { makeJob } from "../../src/model/job.ts";
import type { StateMap } from "../../src/model/types.ts";

type Op = { kind: "store"; key: number; vlen: number; at: number } | { kind: "del"; key: number } | { kind: "load"; key: number };

interface Churn {
  /** Key lengths (1..64) of the keys the ops name; keys lie back to back in the input from 0. */
  keyLens: number[];
  /** Prior entries: tiny ones (2-byte keys, empty values) and some of the named keys. */
  tiny: number;
  priorNamed: { key: number; vlen: number }[];
  ops: Op[];
}

const VALUES = 4096; // pattern bytes the values are read from, after the keys
const DST = 16384; // where LOAD.state writes and its length is stored

function keyOf(c: Churn, i: number): { at: number; bytes: Uint8Array } {
  let at = 0;
  for (let j = 0; j < i; j++) at += c.keyLens[j];
  const bytes = Uint8Array.from({ length: c.keyLens[i] }, (_, j) => (0x90 + i * 7 + j * 13) & 0xff);
  bytes[0] = 0x80 | (i & 0x3f); // distinct from the tiny keys (0x40..0x7f first bytes)
  return { at, bytes };
}

function jobOf(c: Churn): Uint8Array {
  const keys = c.keyLens.map((_, i) => keyOf(c, i));
  const keyBytes = keys.reduce((n, k) => n + k.bytes.length, 0);
  const input = new Uint8Array(keyBytes + VALUES);
  for (const k of keys) input.set(k.bytes, k.at);
  for (let i = 0; i < VALUES; i++) input[keyBytes + i] = (i * 31 + 7) & 0xff;
  const state: StateMap = new Map();
  const sizes = new Map<number, number>();
  let live = 0;
  for (let i = 0; i < c.tiny; i++) {
    const k = Uint8Array.of(0x40 | (i >> 8) & 0x3f, i & 0xff);
    state.set(bytesToHex(k), new Uint8Array(0));
    live += Limit.STATE_ENTRY_OVERHEAD + 2;
  }
  for (const { key, vlen } of c.priorNamed) {
    const size = Limit.STATE_ENTRY_OVERHEAD + keys[key].bytes.length + vlen;
    if (sizes.has(key) || live + size > Limit.MAX_STATE_SIZE) continue;
    state.set(bytesToHex(keys[key].bytes), input.slice(keyBytes, keyBytes + vlen));
    sizes.set(key, size);
    live += size;
  }
  const body: string[] = [];
  let emitted = 0;
  for (const o of c.ops) {
    const k = keys[o.key];
    if (o.kind === "del") {
      body.push(`PUSH ${k.at}`, `PUSH ${k.bytes.length}`, "STORE.del");
      live -= sizes.get(o.key) ?? 0;
      sizes.delete(o.key);
    } else if (o.kind === "load") {
      if (emitted + 24 > Limit.MAX_OUTPUT) continue;
      body.push(`PUSH ${k.at}`, `PUSH ${k.bytes.length}`, `PUSH ${DST}`, "PUSH 16", "LOAD.state", `PUSH ${DST + 16}`, "STORE.m64", `PUSH ${DST}`, "PUSH 24", "EMIT");
      emitted += 24;
    } else {
      const size = Limit.STATE_ENTRY_OVERHEAD + k.bytes.length + o.vlen;
      const next = live - (sizes.get(o.key) ?? 0) + size;
      if (next > Limit.MAX_STATE_SIZE) continue; // would end the call with STATE_LIMIT_EXCEEDED
      body.push(`PUSH ${k.at}`, `PUSH ${k.bytes.length}`, `PUSH ${keyBytes + o.at}`, `PUSH ${o.vlen}`, "STORE.state");
      sizes.set(o.key, size);
      live = next;
    }
  }
  body.push("HALT");
  const source = [".memory 32768", ".cycles 1000000000", `.state ${Limit.MAX_STATE_SIZE}`, ".func main 0 0", ...body].join("\n");
  const contract = assemble(source, { costTable: "v2" });
  return encodeJob(makeJob(contract, { input, state, balances: {} }));
}

const vlen = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 24 }) },
  { weight: 4, arbitrary: fc.integer({ min: 25, max: 1000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1001, max: 4000 }) },
);
function churn(keys: number, tinyMax: number): fc.Arbitrary<Churn> {
  const key = fc.integer({ min: 0, max: keys - 1 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant("store" as const), key, vlen, at: fc.integer({ min: 0, max: 95 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("del" as const), key }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("load" as const), key }) },
  );
  return fc.record({
    keyLens: fc.array(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }) }, { weight: 1, arbitrary: fc.integer({ min: 9, max: 64 }) }), { minLength: keys, maxLength: keys }),
    tiny: fc.integer({ min: 0, max: tinyMax }),
    priorNamed: fc.array(fc.record({ key, vlen }), { maxLength: keys }),
    ops: fc.array(op, { minLength: 300, maxLength: 900 }),
  });
}

describe("the VM's state arena agrees with the reference under compaction churn", () => {
  let engines: Engine[] = [];
  beforeAll(async () => {
    engines = [createReferenceEngine(), await createAsEngine()];
  });

  async function agree(c: Churn): Promise<void> {
    const job = jobOf(c);
    const [ref, as] = [await engines[0].run(job), await engines[1].run(job)];
    expect(ref.result.status, `reference: ${ref.result.status} ${ref.result.code}`).toBe(Status.HALT);
    expect(bytesToHex(as.resultBytes)).toBe(bytesToHex(ref.resultBytes));
    expect(bytesToHex(encodeState(as.state!))).toBe(bytesToHex(encodeState(ref.state!)));
  }

  it("few keys, big and small values, with and without a prior state of tiny records", async () => {
    await fc.assert(fc.asyncProperty(churn(24, 3000), agree), { numRuns: 40, seed: 20261204 });
  });

  it("many keys over a state of thousands of tiny records (long dead runs)", async () => {
    await fc.assert(fc.asyncProperty(churn(64, 5000), agree), { numRuns: 25, seed: 91 });
  });
});
