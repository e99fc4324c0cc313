/**
 * WASM-tier contract packages and jobs: the MHR-Byte model of SPEC §5–§6 with
 * `code` = the module bytes and contract key 8 = wasm_tier, and the job
 * validation of docs/WASM.md §Validation (SPEC §7's order, with the module
 * checks in place of the bytecode scan).
 */
import { decodeStrict, encodeCanonical, isBytes, isInt, isMap, isText, isUint, type CborMap, type CborValue } from "../model/cbor.ts";
import { contractToCbor, hash32, jobSizeError, jobToCbor, FORMAT_VERSION } from "../model/codec.ts";
import { bytesToHex, compareBytes } from "../model/bytes.ts";
import type { Contract, Context, FunctionSignature, Job, StateMap } from "../model/types.ts";
import { tierValue } from "./constants.ts";
import { SharedLimit, TIERS, WasmError, WasmLimit, type NodeTier, type TierLimits, type WasmTierValue } from "../generated/wasm-tier.ts";
import { DEFAULT_CONTRACT_VERSION, costTableNameOf } from "../generated/opcodes.ts";

export interface WasmContract extends Contract {
  wasmTier: WasmTierValue;
}

export interface WasmJob extends Omit<Job, "contract"> {
  contract: WasmContract;
}

export function wasmContractToCbor(c: WasmContract): CborMap {
  const m = contractToCbor(c);
  m.set(8n, BigInt(c.wasmTier));
  return m;
}
export function encodeWasmContract(c: WasmContract): Uint8Array {
  return encodeCanonical(wasmContractToCbor(c));
}
export function encodeWasmJob(j: WasmJob): Uint8Array {
  const m = jobToCbor({ ...j, contract: j.contract });
  m.set(1n, wasmContractToCbor(j.contract));
  return encodeCanonical(m);
}

/** Builds a WASM contract from a module: one function-table entry per named export, entry 0. */
export function makeWasmContract(parts: {
  code: Uint8Array;
  wasmTier: WasmTierValue;
  functions: { name: string; args: number; rets: number }[];
  maxMemory?: number;
  maxCycles?: number;
  maxStateSize?: number;
  stateKey?: Uint8Array;
  /** The contract version: it names the cost table of the host functions and the intrinsic charge (default: the default table's). */
  version?: number;
}): WasmContract {
  const tier = TIERS[parts.wasmTier];
  return {
    version: parts.version ?? DEFAULT_CONTRACT_VERSION,
    hash: hash32(parts.code),
    code: parts.code,
    maxMemory: parts.maxMemory ?? tier.memory,
    maxCycles: parts.maxCycles ?? tier.fuel,
    maxStateSize: parts.maxStateSize ?? 65536,
    stateKey: parts.stateKey ?? new Uint8Array(32),
    functions: parts.functions.map((f) => ({ name: f.name, entry: 0, args: f.args, rets: f.rets })),
    wasmTier: parts.wasmTier,
  };
}

/** Decodes a contract package from disk (tools, not the §Validation of a job). */
export function decodeWasmContract(bytes: Uint8Array): WasmContract {
  const v = decodeStrict(bytes);
  if (!isMap(v)) throw new Error("not a contract package: top level is not a map");
  const c = readContract(v);
  if (typeof c === "number") throw new Error(`not a WASM contract package (error ${c})`);
  return c;
}

export type JobCheck =
  | { ok: true; job: WasmJob; fn: FunctionSignature; tier: TierLimits; priorStateSize: number }
  | { ok: false; code: number; message: string; delegate?: { contractTier: NodeTier; nodeTier: NodeTier } };

const bad = (code: number, message: string): JobCheck => ({ ok: false, code, message });
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function exactKeys(m: CborMap, n: number): boolean {
  if (m.size !== n) return false;
  for (let i = 0; i < n; i++) if (!m.has(BigInt(i))) return false;
  return true;
}

/** Reads a contract map of the right shape, or returns BAD_CONTRACT_SHAPE. */
function readContract(c: CborMap): WasmContract | number {
  if (!exactKeys(c, 9)) return WasmError.BAD_CONTRACT_SHAPE;
  const g = (k: number) => c.get(BigInt(k));
  const [version, hash, code, maxMemory, maxCycles, maxStateSize, stateKey, functions, tier] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(g);
  if (!isUint(version) || !isBytes(hash) || hash.length !== 32 || !isBytes(code) || !isUint(maxMemory) || !isUint(maxCycles) || !isUint(maxStateSize)) return WasmError.BAD_CONTRACT_SHAPE;
  if (!isBytes(stateKey) || stateKey.length !== 32 || !Array.isArray(functions) || !isUint(tier)) return WasmError.BAD_CONTRACT_SHAPE;
  if (tier !== 1n && tier !== 2n) return WasmError.BAD_CONTRACT_SHAPE;
  const fns: FunctionSignature[] = [];
  for (const f of functions) {
    if (!Array.isArray(f) || f.length !== 4 || !isText(f[0]) || !isUint(f[1]) || !isUint(f[2]) || !isUint(f[3])) return WasmError.BAD_CONTRACT_SHAPE;
    const num = (x: CborValue) => (x as bigint) > 0xffffffffn ? Number.MAX_SAFE_INTEGER : Number(x);
    fns.push({ name: f[0] as string, entry: num(f[1]), args: num(f[2]), rets: num(f[3]) });
  }
  const big = (x: bigint) => (x > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(x));
  return {
    version: big(version), hash, code, maxMemory: big(maxMemory), maxCycles: big(maxCycles), maxStateSize: big(maxStateSize),
    stateKey, functions: fns, wasmTier: Number(tier) as WasmTierValue,
  };
}

export function stateSize(s: StateMap): number {
  let n = 0;
  for (const [k, v] of s) n += SharedLimit.STATE_ENTRY_OVERHEAD + k.length / 2 + v.length;
  return n;
}

/**
 * Steps 0–9 of docs/WASM.md §Validation (everything before the module checks):
 * the job's shape, the contract's shape and tier, limits, code size and hash.
 * The module and function-table checks (10–16) follow in `checkAfterModule`.
 */
export function checkJob(bytes: Uint8Array, nodeTier: NodeTier): JobCheck {
  const tooLarge = jobSizeError(bytes.length, WasmLimit.MAX_JOB_SIZE);
  if (tooLarge !== undefined) return bad(tooLarge, `job is ${bytes.length} bytes (at most ${WasmLimit.MAX_JOB_SIZE})`);
  let v: CborValue;
  try {
    v = decodeStrict(bytes);
  } catch (e) {
    return bad(WasmError.MALFORMED_ENCODING, (e as Error).message);
  }
  if (!isMap(v) || !exactKeys(v, 7)) return bad(WasmError.BAD_JOB_SHAPE, "the job map must have exactly keys 0-6");
  const g = (k: number) => v.get(BigInt(k));
  const [version, contract, fnName, args, input, context, state] = [0, 1, 2, 3, 4, 5, 6].map(g);
  if (!isUint(version) || !isMap(contract) || !isText(fnName) || !Array.isArray(args) || !isBytes(input) || !isMap(context) || !isMap(state)) {
    return bad(WasmError.BAD_JOB_SHAPE, "a job field has the wrong type");
  }
  if (!args.every((a) => isInt(a) && a >= I64_MIN && a <= I64_MAX)) return bad(WasmError.BAD_JOB_SHAPE, "arguments must be 64-bit signed integers");
  if (!exactKeys(context, 4)) return bad(WasmError.BAD_JOB_SHAPE, "the context must have exactly keys 0-3");
  const [sender, self, epoch, balances] = [0, 1, 2, 3].map((k) => context.get(BigInt(k)));
  if (!isBytes(sender) || !isBytes(self) || !isUint(epoch) || !isMap(balances)) return bad(WasmError.BAD_JOB_SHAPE, "a context field has the wrong type");
  for (const [k, x] of balances) if (!isBytes(k) || !isUint(x)) return bad(WasmError.BAD_JOB_SHAPE, "balances must map byte strings to unsigned integers");
  for (const [k, x] of state) if (!isBytes(k) || !isBytes(x)) return bad(WasmError.BAD_JOB_SHAPE, "the state must map byte strings to byte strings");
  if (version !== 1n) return bad(WasmError.UNSUPPORTED_VERSION, `job version ${version}`);

  const c = readContract(contract);
  if (typeof c === "number") return bad(c, "the contract map must have exactly keys 0-8 with the types of docs/WASM.md, and wasm_tier 1 or 2");
  if (costTableNameOf(c.version) === undefined) return bad(WasmError.UNSUPPORTED_VERSION, `contract version ${c.version} names no cost table`);

  const tier = TIERS[c.wasmTier];
  if (c.wasmTier > tierValue(nodeTier)) {
    return { ok: false, code: WasmError.TIER_UNAVAILABLE, message: `the contract needs the ${tier.name} WASM tier; this node offers ${nodeTier}: delegate it`, delegate: { contractTier: tier.name, nodeTier } };
  }
  if (c.maxMemory > tier.memory || c.maxCycles > tier.fuel || c.maxStateSize > WasmLimit.MAX_STATE_SIZE) {
    return bad(WasmError.LIMIT_OUT_OF_RANGE, `limits above the ${tier.name} tier (memory ≤ ${tier.memory}, fuel ≤ ${tier.fuel}, state ≤ ${WasmLimit.MAX_STATE_SIZE})`);
  }
  if (c.code.length < 1 || c.code.length > WasmLimit.MAX_CODE_SIZE) return bad(WasmError.BAD_CODE_SIZE, `module is ${c.code.length} bytes (1..${WasmLimit.MAX_CODE_SIZE})`);
  if (compareBytes(hash32(c.code), c.hash) !== 0) return bad(WasmError.HASH_MISMATCH, "hash is not Blake3-256 of the module");

  const stateMap: StateMap = new Map();
  for (const [k, x] of state) stateMap.set(bytesToHex(k as Uint8Array), x as Uint8Array);
  const bal = new Map<string, bigint>();
  for (const [k, x] of balances) bal.set(bytesToHex(k as Uint8Array), x as bigint);
  const ctx: Context = { sender, self, epoch, balances: bal };
  const job: WasmJob = { version: 1, contract: c, function: fnName, args: args as bigint[], input, context: ctx, state: stateMap };
  return { ok: true, job, fn: c.functions[0] ?? { name: "", entry: 0, args: 0, rets: 0 }, tier, priorStateSize: stateSize(stateMap) };
}

export interface ExportSig { params: string[]; results: string[] }

/**
 * Steps 11–16: function table, exports, the called function, arguments,
 * input, context and prior state.
 */
export function checkAfterModule(job: WasmJob, exports: ReadonlyMap<string, ExportSig>): JobCheck | { ok: true; fn: FunctionSignature } {
  const c = job.contract;
  const fns = c.functions;
  const names = new Set<string>();
  if (fns.length < 1 || fns.length > SharedLimit.MAX_FUNCTIONS) return bad(WasmError.BAD_FUNCTION_TABLE, `${fns.length} functions (1..${SharedLimit.MAX_FUNCTIONS})`);
  for (const f of fns) {
    const len = Buffer.byteLength(f.name, "utf8");
    if (len < 1 || len > SharedLimit.MAX_FUNCTION_NAME || names.has(f.name)) return bad(WasmError.BAD_FUNCTION_TABLE, `bad or duplicate function name "${f.name}"`);
    names.add(f.name);
    if (f.entry !== 0) return bad(WasmError.BAD_FUNCTION_TABLE, `function ${f.name}: entry must be 0 in a WASM contract`);
    if (f.args > SharedLimit.MAX_ARGS || f.rets > WasmLimit.MAX_RETURNS) return bad(WasmError.BAD_FUNCTION_TABLE, `function ${f.name}: ${f.args} args / ${f.rets} rets (at most ${SharedLimit.MAX_ARGS} / ${WasmLimit.MAX_RETURNS})`);
  }
  for (const f of fns) {
    const x = exports.get(f.name);
    const want = { params: Array(f.args).fill("i64"), results: Array(f.rets).fill("i64") };
    if (!x || JSON.stringify(x) !== JSON.stringify(want)) {
      return bad(WasmError.BAD_EXPORT, `function ${f.name}: the module must export a function of type (${want.params.join(",")})->(${want.results.join(",")})${x ? `, it has (${x.params.join(",")})->(${x.results.join(",")})` : ", it exports none"}`);
    }
  }
  const fn = fns.find((f) => f.name === job.function);
  if (!fn) return bad(WasmError.UNKNOWN_FUNCTION, `no function "${job.function}"`);
  if (job.args.length !== fn.args) return bad(WasmError.ARGUMENT_MISMATCH, `${fn.name} takes ${fn.args} arguments, the job has ${job.args.length}`);
  if (job.input.length > Math.min(c.maxMemory, WasmLimit.MAX_INPUT)) return bad(WasmError.INPUT_TOO_LARGE, `input of ${job.input.length} bytes`);
  const ctx = job.context;
  if (ctx.sender.length !== 16 || ctx.self.length !== 16 || ctx.epoch > I64_MAX) return bad(WasmError.BAD_CONTEXT, "sender/self must be 16 bytes and epoch ≤ 2^63-1");
  for (const [k, x] of ctx.balances) if (k.length !== 32 || x > I64_MAX) return bad(WasmError.BAD_CONTEXT, "balances keys must be 16-byte NodeIDs with values ≤ 2^63-1");
  for (const k of job.state.keys()) if (k.length < 2 || k.length > 2 * SharedLimit.MAX_KEY_SIZE) return bad(WasmError.BAD_PRIOR_STATE, "prior-state keys must be 1..64 bytes");
  if (stateSize(job.state) > c.maxStateSize) return bad(WasmError.BAD_PRIOR_STATE, "prior state exceeds max_state_size");
  return { ok: true, fn };
}
