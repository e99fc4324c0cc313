/**
 * The Mehr host API as WebAssembly imports (docs/WASM.md §Host API). Every
 * function follows the MHR-Byte phases of SPEC §8.1: operand checks (memory
 * ranges, then key lengths, then amounts) trap without charging; then the
 * fuel (the MHR-Byte cost of the equivalent instruction, size-dependent part
 * included) is charged, trapping OUT_OF_CYCLES with the counter unchanged if it
 * does not fit; then the operation runs. Every function reads the job's
 * captured context and never the host's.
 */
import { bytesToHex } from "../model/bytes.ts";
import type { Context, StateMap, Transfer } from "../model/types.ts";
import { COST_TABLES, costOf, type Cost } from "../generated/opcodes.ts";
import { HOST_BY_NAME } from "./constants.ts";
import { SharedLimit, WasmTrap } from "../generated/wasm-tier.ts";
// The same SPEC §14.2 rule as VERIFY_SIG: one implementation, so the tiers cannot drift.
import { verifyEd25519 } from "../crypto/ed25519.ts";
import { hash32 } from "../model/codec.ts";

/** A trap raised by a host function: it unwinds the WebAssembly stack to the runner. */
export class HostTrap extends Error {
  constructor(readonly code: number, message = "") {
    super(message || `trap ${code}`);
    this.name = "HostTrap";
  }
}

/** mehr_abort: ends the call with status ABORT. */
export class HostAbort extends Error {
  constructor(readonly code: bigint) {
    super(`abort ${code}`);
    this.name = "HostAbort";
  }
}

export interface HostEnv {
  context: Context;
  input: Uint8Array;
  /** Working state: committed only on HALT. */
  state: StateMap;
  stateSize: number;
  maxStateSize: number;
  output: Uint8Array[];
  outputBytes: number;
  logs: Uint8Array[];
  logBytes: number;
  transfers: Transfer[];
  /** Set once the instance exists. */
  memory: WebAssembly.Memory | null;
  fuel: WebAssembly.Global | null;
  /** The contract's cost table (its version, SPEC §5): host functions charge its rows. */
  costs: Readonly<Record<string, Cost>>;
}

export function newHostEnv(context: Context, input: Uint8Array, state: StateMap, stateSize: number, maxStateSize: number, costs: Readonly<Record<string, Cost>> = COST_TABLES.v1): HostEnv {
  return {
    context, input, state: new Map(state), stateSize, maxStateSize,
    output: [], outputBytes: 0, logs: [], logBytes: 0, transfers: [], memory: null, fuel: null, costs,
  };
}

export function hostImports(env: HostEnv): WebAssembly.Imports {
  // The one cost function over the row of the host function's MHR-Byte equivalent in the contract's table.
  const cost = (name: string, n = 0) => costOf(HOST_BY_NAME.get(name)!.equivalent, n, env.costs);
  const mem = (): Uint8Array => (env.memory ? new Uint8Array(env.memory.buffer) : new Uint8Array(0));
  /** Checks the range (ptr, len), both read as unsigned 32-bit. */
  const range = (ptr: number, len: number): [number, number] => {
    const p = ptr >>> 0, l = len >>> 0;
    const size = env.memory ? env.memory.buffer.byteLength : 0;
    if (p + l > size) throw new HostTrap(WasmTrap.MEMORY_OUT_OF_BOUNDS, `range (${p}, ${l}) outside memory of ${size} bytes`);
    return [p, l];
  };
  const keyLen = (l: number) => {
    if (l < 1 || l > SharedLimit.MAX_KEY_SIZE) throw new HostTrap(WasmTrap.INVALID_STATE_KEY, `state key of ${l} bytes`);
  };
  const charge = (c: number) => {
    const g = env.fuel!;
    const f = g.value as bigint;
    const need = BigInt(c);
    if (f < need) throw new HostTrap(WasmTrap.OUT_OF_CYCLES, "out of fuel in a host call");
    g.value = f - need;
  };
  const copyOut = (p: number, l: number) => mem().slice(p, p + l);
  const key = (p: number, l: number) => bytesToHex(mem().subarray(p, p + l));

  const mehr = {
    mehr_balance(id: number): bigint {
      const [p] = range(id, 16);
      charge(cost("mehr_balance"));
      return env.context.balances.get(key(p, 16)) ?? 0n;
    },
    mehr_sender(dst: number): void {
      const [p] = range(dst, 16);
      charge(cost("mehr_sender"));
      mem().set(env.context.sender, p);
    },
    mehr_self(dst: number): void {
      const [p] = range(dst, 16);
      charge(cost("mehr_self"));
      mem().set(env.context.self, p);
    },
    mehr_epoch(): bigint {
      charge(cost("mehr_epoch"));
      return env.context.epoch;
    },
    mehr_transfer(to: number, amount: bigint): number {
      const [p] = range(to, 16);
      if (amount <= 0n) throw new HostTrap(WasmTrap.INVALID_AMOUNT, `transfer of ${amount}`);
      charge(cost("mehr_transfer"));
      const spent = env.transfers.reduce((s, t) => s + t.amount, 0n);
      const available = (env.context.balances.get(bytesToHex(env.context.self)) ?? 0n) - spent;
      if (amount > available) return 0;
      if (env.transfers.length >= SharedLimit.MAX_TRANSFERS) throw new HostTrap(WasmTrap.TRANSFER_LIMIT_EXCEEDED);
      env.transfers.push({ to: copyOut(p, 16), amount });
      return 1;
    },
    mehr_log(src: number, len: number): void {
      const [p, l] = range(src, len);
      charge(cost("mehr_log", l));
      if (env.logs.length >= SharedLimit.MAX_LOGS || env.logBytes + l > SharedLimit.MAX_LOG_BYTES) throw new HostTrap(WasmTrap.LOG_LIMIT_EXCEEDED);
      env.logs.push(copyOut(p, l));
      env.logBytes += l;
    },
    mehr_store_load(k: number, klen: number, dst: number, cap: number): number {
      const [kp, kl] = range(k, klen);
      const [dp, cl] = range(dst, cap);
      keyLen(kl);
      charge(cost("mehr_store_load", kl + cl));
      const v = env.state.get(key(kp, kl));
      if (v === undefined) return -1;
      mem().set(v.subarray(0, Math.min(v.length, cl)), dp);
      return v.length;
    },
    mehr_store_save(k: number, klen: number, val: number, vlen: number): void {
      const [kp, kl] = range(k, klen);
      const [vp, vl] = range(val, vlen);
      keyLen(kl);
      charge(cost("mehr_store_save", kl + vl));
      const hk = key(kp, kl);
      const old = env.state.get(hk);
      const size = env.stateSize - (old ? SharedLimit.STATE_ENTRY_OVERHEAD + kl + old.length : 0) + SharedLimit.STATE_ENTRY_OVERHEAD + kl + vl;
      if (size > env.maxStateSize) throw new HostTrap(WasmTrap.STATE_LIMIT_EXCEEDED);
      env.state.set(hk, copyOut(vp, vl));
      env.stateSize = size;
    },
    mehr_store_delete(k: number, klen: number): void {
      const [kp, kl] = range(k, klen);
      keyLen(kl);
      charge(cost("mehr_store_delete", kl));
      const hk = key(kp, kl);
      const old = env.state.get(hk);
      if (old) {
        env.state.delete(hk);
        env.stateSize -= SharedLimit.STATE_ENTRY_OVERHEAD + kl + old.length;
      }
    },
    mehr_hash(src: number, len: number, dst: number): void {
      const [sp, sl] = range(src, len);
      const [dp] = range(dst, 32);
      charge(cost("mehr_hash", sl));
      const digest = hash32(mem().subarray(sp, sp + sl));
      mem().set(digest, dp);
    },
    mehr_verify_sig(pk: number, msg: number, len: number, sig: number): number {
      const [pp] = range(pk, 32);
      const [mp, ml] = range(msg, len);
      const [sp] = range(sig, 64);
      charge(cost("mehr_verify_sig", ml));
      const m = mem();
      return verifyEd25519(m.slice(pp, pp + 32), m.slice(mp, mp + ml), m.slice(sp, sp + 64)) ? 1 : 0;
    },
    mehr_input(dst: number, cap: number): number {
      const [dp, cl] = range(dst, cap);
      charge(cost("mehr_input", cl));
      mem().set(env.input.subarray(0, Math.min(cl, env.input.length)), dp);
      return env.input.length;
    },
    mehr_emit(src: number, len: number): void {
      const [p, l] = range(src, len);
      charge(cost("mehr_emit", l));
      if (env.outputBytes + l > SharedLimit.MAX_OUTPUT) throw new HostTrap(WasmTrap.OUTPUT_LIMIT_EXCEEDED);
      env.output.push(copyOut(p, l));
      env.outputBytes += l;
    },
    mehr_abort(code: bigint): void {
      charge(cost("mehr_abort"));
      throw new HostAbort(code);
    },
  };
  return { mehr } as unknown as WebAssembly.Imports;
}
