/**
 * Properties of the AssemblyScript VM over arbitrary input: random bytes,
 * random mutations of valid jobs and random well-formed programs always give
 * a decodable canonical result, and the module never traps.
 */
import { beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAsEngine } from "../../host-ts/src/engines/as-engine.ts";
import type { Engine, EngineRun } from "../../host-ts/src/model/engine.ts";
import { emptyContext } from "../../host-ts/src/model/job.ts";
import { makeContract, encodeJob, encodeResult, hash32 } from "../../host-ts/src/model/codec.ts";
import { bytesToHex } from "../../host-ts/src/model/bytes.ts";
import type { Job } from "../../host-ts/src/model/types.ts";
import { OPCODES, SPACES, Status, Limit, ErrorCode } from "../../host-ts/src/generated/opcodes.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
function buildVm(): string {
  if (process.env.MHR_VM_WASM) return process.env.MHR_VM_WASM;
  const out = join(tmpdir(), `mhr-vm-fuzz-${process.pid}-${Date.now()}.wasm`);
  execFileSync(process.execPath, [join(ROOT, "node_modules/assemblyscript/bin/asc.js"), "interpreter-as/assembly/index.ts",
    "--target", "release", "--outFile", out, "--textFile", out.replace(/\.wasm$/, ".wat")], { cwd: ROOT, stdio: "pipe" });
  return out;
}

let engine: Engine;
beforeAll(async () => {
  engine = await createAsEngine(buildVm());
});

/** A run must give a canonical, decodable result for these exact bytes. */
async function check(bytes: Uint8Array): Promise<EngineRun> {
  const r = await engine.run(bytes); // an EngineError (a VM trap) fails the property
  expect(bytesToHex(encodeResult(r.result))).toBe(bytesToHex(r.resultBytes));
  expect(bytesToHex(r.result.jobHash)).toBe(bytesToHex(hash32(bytes)));
  expect(r.result.status).toBeGreaterThanOrEqual(Status.HALT);
  expect(r.result.status).toBeLessThanOrEqual(Status.INVALID);
  if (r.result.status === Status.INVALID) expect(r.result.cycles).toBe(0);
  return r;
}

/** A fixed job whose answer is known, run between random ones to catch corrupted module state. */
const canary = (() => {
  const contract = makeContract({ code: Uint8Array.of(0x01, 0x01, 0x05, 0x01, 0x01, 0x07, 0x12, 0x35), maxMemory: 16, maxCycles: 100_000, maxStateSize: 64, functions: [{ name: "m", entry: 0, args: 0, rets: 1 }] }); // the default table: room for its intrinsic charge
  return encodeJob({ version: 1, contract, function: "m", args: [], input: new Uint8Array(0), context: emptyContext(), state: new Map() });
})();
async function canaryOk(): Promise<void> {
  const r = await check(canary);
  expect(r.result.status).toBe(Status.HALT);
  expect(r.result.returns).toEqual([35n]);
}

/** An instruction with a valid immediate; targets are patched to instruction starts later. */
const instr = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...OPCODES.filter((o) => o.immediate === "none").map((o) => [o.byte])) },
  { weight: 3, arbitrary: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }).chain((v) => fc.constantFrom(v, 0n, 1n, 8n, 16n, 32n, 64n, -1n)).map((v) => pushBytes(v)) },
  { weight: 1, arbitrary: fc.constantFrom(...OPCODES.filter((o) => o.immediate === "target").map((o) => [o.byte, 0xff, 0xff])) },
  { weight: 2, arbitrary: fc.constantFrom(...SPACES.flatMap((s) => [...(s.LOAD ? [[0x56, s.byte]] : []), ...(s.STORE ? [[0x57, s.byte]] : [])])) },
);
function pushBytes(x: bigint): number[] {
  if (x === 0n) return [0x01, 0];
  for (let n = 1; n <= 8; n++) {
    const lim = 1n << BigInt(8 * n - 1);
    if (x >= -lim && x < lim) {
      const u = BigInt.asUintN(8 * n, x);
      return [0x01, n, ...Array.from({ length: n }, (_, i) => Number((u >> BigInt(8 * i)) & 0xffn))];
    }
  }
  throw new Error("range");
}
const program = fc.tuple(fc.array(instr, { minLength: 1, maxLength: 60 }), fc.array(fc.nat(), { minLength: 60, maxLength: 60 })).map(([ins, picks]) => {
  const starts: number[] = [];
  let off = 0;
  for (const i of ins) { starts.push(off); off += i.length; }
  const out = new Uint8Array(off);
  ins.forEach((i, k) => {
    const b = [...i];
    if (b.length === 3 && b[1] === 0xff && b[2] === 0xff && b[0] >= 0x30 && b[0] <= 0x33) {
      const t = starts[picks[k % picks.length] % starts.length];
      b[1] = t & 0xff; b[2] = t >> 8;
    }
    out.set(b, starts[k]);
  });
  return { code: out, starts };
});

const jobArb = fc.record({
  prog: program,
  maxMemory: fc.constantFrom(0, 1, 16, 64, 1024, Limit.MAX_MEMORY),
  maxCycles: fc.constantFrom(0, 10, 1000, 100_000),
  // Both cost tables; a version-2 job mostly gets room for its intrinsic charge
  // (up to ~30,000 cycles with a 32 KiB memory), so that its code runs.
  version: fc.constantFrom(1, 2),
  intrinsicRoom: fc.constantFrom(0, 40_000, 40_000, 40_000),
  maxStateSize: fc.constantFrom(0, 16, 4096, Limit.MAX_STATE_SIZE),
  args: fc.array(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), { maxLength: 4 }),
  rets: fc.nat({ max: 4 }),
  input: fc.uint8Array({ maxLength: 16 }),
  selfBal: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
  state: fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.uint8Array({ maxLength: 8 })), { maxLength: 4 }),
}).map((p): Job => {
  const contract = makeContract({ version: p.version, code: p.prog.code, maxMemory: p.maxMemory, maxCycles: p.maxCycles + (p.version === 2 ? p.intrinsicRoom : 0), maxStateSize: p.maxStateSize, functions: [{ name: "f", entry: 0, args: p.args.length, rets: p.rets }] });
  const ctx = emptyContext();
  ctx.self = new Uint8Array(16); // all-zero NodeID: contracts reading zeroed memory hit it
  ctx.balances.set(bytesToHex(ctx.self), p.selfBal);
  return {
    version: 1, contract, function: "f", args: p.args,
    input: p.input.subarray(0, Math.min(p.input.length, p.maxMemory)),
    context: ctx,
    state: new Map(p.state.map(([k, v]) => [bytesToHex(k), v])),
  };
});

describe("VM properties", () => {
  it("random bytes give a result", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (b) => {
      const r = await check(b);
      expect(r.result.status).toBe(Status.INVALID);
    }), { numRuns: 400 });
    await canaryOk();
  });

  it("random CBOR-looking bytes give a result", async () => {
    const head = fc.tuple(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 31 })).map(([m, a]) => (m << 5) | a);
    await fc.assert(fc.asyncProperty(fc.array(fc.oneof(head, fc.integer({ min: 0, max: 255 })), { maxLength: 200 }), async (a) => {
      await check(Uint8Array.from(a));
    }), { numRuns: 400 });
    await canaryOk();
  });

  it("random well-formed programs run to a result within max_cycles", async () => {
    const seen = [0, 0, 0, 0];
    await fc.assert(fc.asyncProperty(jobArb, async (job) => {
      const r = await check(encodeJob(job));
      seen[r.result.status]++;
      // the programs are valid; only a prior state over max_state_size is rejected
      if (r.result.status === Status.INVALID) expect(r.result.code).toBe(BigInt(ErrorCode.BAD_PRIOR_STATE));
      if (r.result.status !== Status.INVALID) {
        expect(r.result.cycles).toBeLessThanOrEqual(job.contract.maxCycles);
        expect(r.result.logs.length).toBeLessThanOrEqual(Limit.MAX_LOGS);
        expect(r.result.output.length).toBeLessThanOrEqual(Limit.MAX_OUTPUT);
        expect(r.result.transfers.length).toBeLessThanOrEqual(Limit.MAX_TRANSFERS);
        if (r.result.status === Status.HALT) expect(r.result.returns.length).toBe(job.contract.functions[0].rets);
        else expect(r.state).toEqual(job.state);
      }
    }), { numRuns: 600 });
    expect(seen[Status.HALT] + seen[Status.ABORT] + seen[Status.TRAP]).toBeGreaterThan(300);
    expect(seen[Status.HALT]).toBeGreaterThan(0);
    await canaryOk();
  });

  it("random mutations of valid jobs give a result", async () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant("set" as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
    );
    await fc.assert(fc.asyncProperty(jobArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), async (job, ms) => {
      let b = Array.from(encodeJob(job));
      for (const m of ms) {
        const at = m.at % (b.length + 1);
        if (m.kind === "flip" && at < b.length) b[at] ^= 1 << m.bit;
        else if (m.kind === "set" && at < b.length) b[at] = m.v;
        else if (m.kind === "insert") b.splice(at, 0, m.v);
        else if (m.kind === "delete") b.splice(at, 1);
        else if (m.kind === "truncate") b = b.slice(0, at);
      }
      await check(Uint8Array.from(b));
    }), { numRuns: 600 });
    await canaryOk();
  });

  it("jobs at and over the size limit", async () => {
    const r = await engine.run(new Uint8Array(Limit.MAX_JOB_SIZE + 1000).fill(0xa7));
    expect(r.result.status).toBe(Status.INVALID);
    await check(new Uint8Array(Limit.MAX_JOB_SIZE).fill(0xbf));
    await check(new Uint8Array(Limit.MAX_JOB_SIZE).fill(0x81)); // deep nesting
    await check(new Uint8Array(Limit.MAX_JOB_SIZE).fill(0x9b));
    await canaryOk();
  });
});
