/**
 * The AssemblyScript VM's state structure (interpreter-as/assembly/state.ts:
 * tiered-vector index, dead records, compaction) against the reference
 * engine: random sequences of inserts, deletes, replaces with every length
 * change and look-ups, over prior states that span many index blocks, with
 * max_state_size at MAX_STATE_SIZE so that the appends start the arena's
 * compaction. Every result must be byte-identical (state hash, output,
 * cycles): the jobs are contract version 2, whose compaction charge (SPEC
 * §9.7) the reference computes from its model of the arena and the AS VM
 * from the records it really processes and moves.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { createAsEngine } from "../../host-ts/src/engines/as-engine.ts";
import { createReferenceEngine } from "../../host-ts/src/engines/reference-engine.ts";
import type { Engine } from "../../host-ts/src/model/engine.ts";
import { emptyContext } from "../../host-ts/src/model/job.ts";
import { encodeJob, makeContract } from "../../host-ts/src/model/codec.ts";
import { bytesToHex } from "../../host-ts/src/model/bytes.ts";
import type { StateMap } from "../../host-ts/src/model/types.ts";
import { Limit, Op, Space, Status } from "../../host-ts/src/generated/opcodes.ts";
import { buildReleaseVm } from "./build-vm.ts";

/** Deterministic PRNG (xorshift32) so a failure names its seed. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

function push(v: number): number[] {
  if (v === 0) return [Op.PUSH, 0];
  if (v < 128) return [Op.PUSH, 1, v];
  if (v < 32768) return [Op.PUSH, 2, v & 0xff, v >> 8];
  return [Op.PUSH, 3, v & 0xff, (v >> 8) & 0xff, v >> 16];
}

const KEYS = 2000; // key pool: 1..3-byte keys so short and long keys interleave in the order
const VALUE_AT = 8192; // value bytes in the input, after the keys
const LOAD_AT = 12288;
const MEMORY = 16384;

interface Case { code: number[]; input: Uint8Array; prior: StateMap; }

/** A random program of `ops` state operations whose state never exceeds max_state_size. */
function randomCase(seed: number, priorEntries: number, ops: number): Case {
  const r = rng(seed);
  const keyOf = (k: number): Uint8Array => {
    const len = 1 + (k % 3);
    return Uint8Array.from({ length: len }, (_, i) => (k * 31 + i * 7 + (k >> 3)) & 0xff);
  };
  const keys = Array.from({ length: KEYS }, (_, k) => keyOf(k));
  const unique = new Map(keys.map((k, i) => [bytesToHex(k), i]));
  const pool = [...unique.values()];
  const input = new Uint8Array(VALUE_AT + 2048);
  pool.forEach((k, slot) => input.set(keys[k], slot * 4));
  for (let i = VALUE_AT; i < input.length; i++) input[i] = r(256);
  const size = new Map<string, number>();
  let total = 0;
  const prior: StateMap = new Map();
  for (let slot = 0; slot < pool.length && prior.size < priorEntries; slot += 1 + r(2)) {
    const hex = bytesToHex(keys[pool[slot]]);
    const vlen = r(40);
    const entry = Limit.STATE_ENTRY_OVERHEAD + hex.length / 2 + vlen;
    if (total + entry > Limit.MAX_STATE_SIZE - 2048) break;
    prior.set(hex, input.slice(VALUE_AT, VALUE_AT + vlen));
    size.set(hex, entry);
    total += entry;
  }
  const code: number[] = [];
  for (let n = 0; n < ops; n++) {
    const slot = r(pool.length);
    const key = keys[pool[slot]];
    const hex = bytesToHex(key);
    const keyOps = [...push(slot * 4), ...push(key.length)];
    const kind = r(10);
    if (kind < 5) {
      const vlen = r(10) === 0 ? 200 + r(1500) : r(48);
      const next = total - (size.get(hex) ?? 0) + Limit.STATE_ENTRY_OVERHEAD + key.length + vlen;
      if (next > Limit.MAX_STATE_SIZE) continue;
      total = next;
      size.set(hex, Limit.STATE_ENTRY_OVERHEAD + key.length + vlen);
      code.push(...keyOps, ...push(VALUE_AT + r(256)), ...push(vlen), Op.STORE, Space.state);
    } else if (kind < 7) {
      total -= size.get(hex) ?? 0;
      size.delete(hex);
      code.push(...keyOps, Op.STORE, Space.del);
    } else {
      code.push(...keyOps, ...push(LOAD_AT), ...push(8), Op.LOAD, Space.state, Op.POP);
      if (r(4) === 0) code.push(...push(LOAD_AT), ...push(8), Op.EMIT);
    }
  }
  code.push(Op.HALT);
  return { code, input, prior };
}

function jobOf(c: Case): Uint8Array {
  const contract = makeContract({
    code: Uint8Array.from(c.code),
    maxMemory: MEMORY,
    maxCycles: 100_000_000,
    maxStateSize: Limit.MAX_STATE_SIZE,
    functions: [{ name: "main", entry: 0, args: 0, rets: 0 }],
  });
  return encodeJob({ version: 1, contract, function: "main", args: [], input: c.input, context: emptyContext(), state: c.prior });
}

let as: Engine;
const reference = createReferenceEngine();
beforeAll(async () => {
  as = await createAsEngine(buildReleaseVm());
});

describe("state index, dead records and compaction", () => {
  it("agrees with the reference on random operation sequences over large prior states", async () => {
    let moved = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const c = randomCase(seed, seed % 3 === 0 ? 0 : 150 + 60 * seed, seed % 4 === 0 ? 2400 : 600);
      const job = jobOf(c);
      const [a, b] = [await as.run(job), await reference.run(job, { trace: true })];
      expect(a.result.status, `seed ${seed}`).toBe(Status.HALT);
      expect(bytesToHex(a.resultBytes), `seed ${seed}`).toBe(bytesToHex(b.resultBytes));
      for (const s of b.trace ?? []) moved += s.compaction?.bytes ?? 0;
    }
    // The sequences run compactions that move records (else the slot updates were not exercised).
    expect(moved).toBeGreaterThan(100_000);
  }, 180_000);

  it("keeps a full state's order through churn at the arena's capacity", async () => {
    // 1-byte and 2-byte keys, values sized so the state sits at MAX_STATE_SIZE: the size-changing replaces start
    // compactions and keep them running, and each slides the records that follow the dead ones down.
    const prior: StateMap = new Map();
    let total = 0;
    for (let k = 0; total + 4 + 2 + 60 <= Limit.MAX_STATE_SIZE; k++) {
      const key = k < 256 ? Uint8Array.of(k) : Uint8Array.of(k >> 8, k & 0xff);
      const vlen = 60;
      prior.set(bytesToHex(key), new Uint8Array(vlen).fill(k & 0xff));
      total += 4 + key.length + vlen;
    }
    const slack = Limit.MAX_STATE_SIZE - total;
    const input = new Uint8Array(4096);
    for (let i = 0; i < 512; i++) { input[2 * i] = i >> 8; input[2 * i + 1] = i & 0xff; }
    for (let i = 0; i < 256; i++) input[1024 + i] = i;
    const code: number[] = [];
    for (let n = 0; n < 400; n++) {
      const k = 256 + ((n * 37) % 200); // 2-byte keys at input 2k
      const grow = n % 2 === 0 ? Math.min(slack, 3) : 0;
      code.push(...push(2 * k), ...push(2), ...push(1024), ...push(60 + grow), Op.STORE, Space.state);
      code.push(...push(2 * k), ...push(2), ...push(1024), ...push(60), Op.STORE, Space.state);
      if (n % 5 === 0) code.push(...push(2 * k), ...push(2), Op.STORE, Space.del);
      if (n % 5 === 0) code.push(...push(2 * k), ...push(2), ...push(1024 + (n % 200)), ...push(60), Op.STORE, Space.state);
    }
    code.push(Op.HALT);
    const job = jobOf({ code, input, prior });
    const [a, b] = [await as.run(job), await reference.run(job, { trace: true })];
    expect(b.result.status, `code ${b.result.code} at ${b.trace?.at(-1)?.pc}`).toBe(Status.HALT);
    expect(bytesToHex(a.resultBytes)).toBe(bytesToHex(b.resultBytes));
    // The job is contract version 2: the stores that advance the compaction pay the compaction rows (SPEC §9.7),
    // and the AS VM, which counts the records it processes, charged the same cycles. Make sure many did.
    const compacting = (b.trace ?? []).filter((s) => s.compaction !== undefined && s.compaction.bytes > 0).length;
    expect(compacting).toBeGreaterThan(100);
  }, 60_000);
});
