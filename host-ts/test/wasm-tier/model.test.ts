/**
 * The WASM example contracts against an executable model of the interfaces
 * their MHR-Byte twins share (docs/WASM.md §Example contracts). This runs
 * always; equivalence.test.ts compares with the twins once they exist.
 */
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { createWasmTierEngine } from "../../src/engines/wasm-tier-engine.ts";
import { bytesToHex } from "../../src/model/bytes.ts";
import type { StateMap } from "../../src/model/types.ts";
import { encodeWasmJob, makeWasmContract } from "../../src/wasm-tier/job.ts";
import { exampleModule } from "../../../test-vectors/defs/wasm.ts";

const engine = createWasmTierEngine();
afterAll(() => engine.close());
const SELF = new Uint8Array(16).fill(0xee);
const MAX = (1n << 63n) - 1n;

type Outcome = { status: "HALT" | "ABORT" | "TRAP"; code?: bigint; returns?: bigint[] };
const hexKey = (s: string) => bytesToHex(new TextEncoder().encode(s));

/** Model of gcounter over a Map<hex NodeID, count>. */
function gcModel(state: Map<string, bigint>, fn: string, arg: bigint, sender: string, input: [string, bigint][]): Outcome {
  if (fn === "increment") {
    if (arg <= 0n) return { status: "ABORT", code: 1n };
    const v = (state.get(sender) ?? 0n) + arg;
    if (v > MAX) return { status: "TRAP", code: 3n };
    state.set(sender, v);
    return { status: "HALT" };
  }
  if (fn === "merge") {
    for (let i = 1; i < input.length; i++) if (input[i - 1][0] >= input[i][0]) return { status: "ABORT", code: 2n };
    for (const [id, n] of input) state.set(id, state.has(id) ? (state.get(id)! > n ? state.get(id)! : n) : n);
    return { status: "HALT" };
  }
  let s = 0n;
  for (const n of state.values()) { s += n; if (s > MAX) return { status: "TRAP", code: 3n }; }
  return { status: "HALT", returns: [s] };
}

function encodeGc(m: Map<string, bigint>): Uint8Array {
  const ids = [...m.keys()].sort();
  const out = new Uint8Array(ids.length * 24);
  ids.forEach((id, i) => { out.set(Buffer.from(id, "hex"), i * 24); new DataView(out.buffer).setBigInt64(i * 24 + 16, m.get(id)!, true); });
  return out;
}

describe("example contracts follow their interface", () => {
  it("gcounter matches the model on random call sequences", async () => {
    const fns = [{ name: "increment", args: 1, rets: 0 }, { name: "merge", args: 0, rets: 0 }, { name: "value", args: 0, rets: 1 }];
    const contract = makeWasmContract({ code: exampleModule("gcounter"), wasmTier: 1, functions: fns });
    const ids = ["01".repeat(16), "05".repeat(16), "0a".repeat(16), "ff".repeat(16)];
    const call = fc.oneof(
      fc.record({ fn: fc.constant("increment"), arg: fc.oneof(fc.bigInt({ min: -3n, max: 50n }), fc.constant(MAX)), sender: fc.constantFrom(...ids) }),
      fc.record({ fn: fc.constant("merge"), input: fc.array(fc.tuple(fc.constantFrom(...ids), fc.bigInt({ min: 0n, max: 100n })), { maxLength: 4 }) }),
      fc.record({ fn: fc.constant("value") }),
    );
    await fc.assert(fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 8 }), async (calls) => {
      const model = new Map<string, bigint>();
      let state: StateMap = new Map();
      for (const c of calls as { fn: string; arg?: bigint; sender?: string; input?: [string, bigint][] }[]) {
        const input = c.input ?? [];
        const before = new Map(model);
        const want = gcModel(model, c.fn, c.arg ?? 0n, c.sender ?? ids[0], input);
        if (want.status !== "HALT") { model.clear(); for (const [k, v] of before) model.set(k, v); }
        const inBytes = Uint8Array.from(input.flatMap(([id, n]) => { const b = new Uint8Array(24); b.set(Buffer.from(id, "hex")); new DataView(b.buffer).setBigInt64(16, n, true); return [...b]; }));
        const r = await engine.run(encodeWasmJob({ version: 1, contract, function: c.fn, args: c.fn === "increment" ? [c.arg!] : [], input: inBytes, context: { sender: Buffer.from(c.sender ?? ids[0], "hex"), self: SELF, epoch: 1n, balances: new Map() }, state }));
        expect(["HALT", "ABORT", "TRAP"][r.result.status]).toBe(want.status);
        if (want.code !== undefined) expect(r.result.code).toBe(want.code);
        if (want.returns) expect(r.result.returns).toEqual(want.returns);
        if (r.result.status === 0) state = r.state!;
        const gc = state.get(hexKey("gc"));
        if (model.size || gc) expect(bytesToHex(gc ?? new Uint8Array())).toBe(bytesToHex(encodeGc(model)));
      }
    }), { numRuns: 15 });
  });
});
