/**
 * Load-time validation (SPEC §7), in exactly its order: the first failing
 * step decides the error code. Decoding (SPEC §4) is the model's
 * `decodeStrict`; this module checks shapes (§5, §6), values and the code.
 */
import { ErrorCode, Limit, costTableNameOf } from "../generated/opcodes.ts";
import { decodeStrict, isBytes, isInt, isMap, isText, isUint, type CborMap, type CborValue } from "../model/cbor.ts";
import { hash32, jobSizeError } from "../model/codec.ts";
import { bytesToHex, equalBytes } from "../model/bytes.ts";
import type { Context, Contract, FunctionSignature, StateMap } from "../model/types.ts";
import { decodeProgram, isInstructionStart, type Program } from "./code.ts";
import { fitsInt64, INT64_MAX } from "./int64.ts";

/** A job that passed every step of SPEC §7. */
export interface ValidatedJob {
  readonly contract: Contract;
  readonly program: Program;
  /** The called function's signature. */
  readonly fn: FunctionSignature;
  readonly args: readonly bigint[];
  readonly input: Uint8Array;
  readonly context: Context;
  /** The prior state. */
  readonly state: StateMap;
  /** The cost table the contract's version names (SPEC §5, §10). */
  readonly costTable: string;
  /** Length of the job encoding in bytes (the intrinsic charge, SPEC §8). */
  readonly jobLength: number;
  /** The prior state size (SPEC §3). */
  readonly stateSize: number;
}

export type Validation = { readonly ok: true; readonly job: ValidatedJob } | { readonly ok: false; readonly error: number };

const invalid = (error: number): Validation => ({ ok: false, error });

/** The values under keys 0..n-1 if `map` has exactly those unsigned-integer keys, else undefined. */
function exactFields(map: CborMap, n: number): CborValue[] | undefined {
  if (map.size !== n) return undefined;
  const values: CborValue[] = [];
  for (let k = 0; k < n; k++) {
    const v = map.get(BigInt(k));
    if (v === undefined) return undefined;
    values.push(v);
  }
  return values;
}

/** Every entry of `map` has a key and value passing the given tests. */
function mapOf(map: CborMap, key: (k: CborValue) => boolean, value: (v: CborValue) => boolean): boolean {
  for (const [k, v] of map) if (!key(k) || !value(v)) return false;
  return true;
}

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** A contract as SPEC §5 shapes it, before its values are checked (the decoder's step 4 gives these types). */
export interface RawContract {
  version: bigint;
  hash: Uint8Array;
  code: Uint8Array;
  maxMemory: bigint;
  maxCycles: bigint;
  maxStateSize: bigint;
  /** [name, entry, args, rets] */
  functions: readonly (readonly [string, bigint, bigint, bigint])[];
}

/** Which part of a contract a check rejected, so that a tool can point at its source (the assembler does). */
export type ContractFault =
  | { part: "version" }
  | { part: "maxMemory" | "maxCycles" | "maxStateSize" }
  | { part: "code" }
  | { part: "hash" }
  | { part: "instruction"; offset: number }
  | { part: "functions" }
  | { part: "function"; index: number };

export type ContractCheck =
  | { readonly ok: true; readonly program: Program; readonly functions: FunctionSignature[] }
  | { readonly ok: false; readonly error: number; readonly fault: ContractFault; readonly detail: string };

/**
 * SPEC §7 steps 5–11, the checks that concern the contract alone, in their
 * order: version, limits, code size, hash, instructions, jump targets, the
 * function table. The job validator and the assembler both run exactly this.
 */
export function checkContractFields(c: RawContract): ContractCheck {
  const fail = (error: number, fault: ContractFault, detail: string): ContractCheck => ({ ok: false, error, fault, detail });
  // 5. Contract version: it names the cost table.
  if (c.version > 0xffffn || costTableNameOf(Number(c.version)) === undefined) {
    return fail(ErrorCode.UNSUPPORTED_VERSION, { part: "version" }, `contract version ${c.version} names no cost table`);
  }
  // 6. Limits.
  const limits = [["maxMemory", c.maxMemory, Limit.MAX_MEMORY, "max_memory"], ["maxCycles", c.maxCycles, Limit.MAX_CYCLES, "max_cycles"], ["maxStateSize", c.maxStateSize, Limit.MAX_STATE_SIZE, "max_state_size"]] as const;
  for (const [part, value, max, name] of limits) {
    if (value > BigInt(max)) return fail(ErrorCode.LIMIT_OUT_OF_RANGE, { part }, `${name} ${value} is over its maximum ${max}`);
  }
  // 7. Code size.
  if (c.code.length < 1 || c.code.length > Limit.MAX_CODE_SIZE) return fail(ErrorCode.BAD_CODE_SIZE, { part: "code" }, `${c.code.length} bytes of code (1..${Limit.MAX_CODE_SIZE})`);
  // 8. Code hash.
  if (!equalBytes(c.hash, hash32(c.code))) return fail(ErrorCode.HASH_MISMATCH, { part: "hash" }, "the hash is not Blake3-256 of the code");
  // 9–10. Instructions, then jump targets.
  const decoded = decodeProgram(c.code);
  if (!decoded.ok) return fail(decoded.error, { part: "instruction", offset: decoded.offset }, `at code offset ${decoded.offset}`);
  const program = decoded.program;
  // 11. The function table.
  if (c.functions.length < 1 || c.functions.length > Limit.MAX_FUNCTIONS) {
    return fail(ErrorCode.BAD_FUNCTION_TABLE, { part: "functions" }, `${c.functions.length} functions (1..${Limit.MAX_FUNCTIONS})`);
  }
  const names = new Set<string>();
  for (const [index, [name, entry, nArgs, nRets]] of c.functions.entries()) {
    const bad = (detail: string) => fail(ErrorCode.BAD_FUNCTION_TABLE, { part: "function", index }, `function ${JSON.stringify(name)}: ${detail}`);
    const nameLength = utf8Length(name);
    if (nameLength < 1 || nameLength > Limit.MAX_FUNCTION_NAME) return bad(`its name is ${nameLength} bytes (1..${Limit.MAX_FUNCTION_NAME})`);
    if (names.has(name)) return bad("a second function of that name");
    names.add(name);
    if (!isInstructionStart(program, entry)) return bad(`entry ${entry} is not the start of an instruction`);
    if (nArgs > BigInt(Limit.MAX_ARGS)) return bad(`${nArgs} arguments (at most ${Limit.MAX_ARGS})`);
    if (nRets > BigInt(Limit.MAX_RETURNS)) return bad(`${nRets} return values (at most ${Limit.MAX_RETURNS})`);
  }
  const functions = c.functions.map(([name, entry, a, r]) => ({ name, entry: Number(entry), args: Number(a), rets: Number(r) }));
  return { ok: true, program, functions };
}

/** The same checks on a contract the host already holds (the assembler's output, a package read from disk). */
export function validateContract(c: Contract): ContractCheck {
  return checkContractFields({
    version: BigInt(c.version), hash: c.hash, code: c.code,
    maxMemory: BigInt(c.maxMemory), maxCycles: BigInt(c.maxCycles), maxStateSize: BigInt(c.maxStateSize),
    functions: c.functions.map((f) => [f.name, BigInt(f.entry), BigInt(f.args), BigInt(f.rets)] as const),
  });
}

/** SPEC §7: validates the job bytes, returning the job ready to run or the first error code. */
export function validateJob(bytes: Uint8Array): Validation {
  // 0. Size.
  const tooLarge = jobSizeError(bytes.length);
  if (tooLarge !== undefined) return invalid(tooLarge);

  // 1. The CBOR subset of SPEC §4.
  let job: CborValue;
  try {
    job = decodeStrict(bytes);
  } catch {
    // Any failure to decode is MALFORMED_ENCODING: decodeStrict throws CborError,
    // and anything else it might throw also means the bytes are not the subset.
    return invalid(ErrorCode.MALFORMED_ENCODING);
  }

  // 2. The job map's shape (SPEC §6); lengths and ranges of the context come in step 15.
  if (!isMap(job)) return invalid(ErrorCode.BAD_JOB_SHAPE);
  const jobFields = exactFields(job, 7);
  if (jobFields === undefined) return invalid(ErrorCode.BAD_JOB_SHAPE);
  const [jobVersion, contractMap, fnName, args, input, context, state] = jobFields;
  if (!isUint(jobVersion) || !isMap(contractMap) || !isText(fnName) || !isBytes(input)) return invalid(ErrorCode.BAD_JOB_SHAPE);
  if (!Array.isArray(args) || !args.every((a) => isInt(a) && fitsInt64(a))) return invalid(ErrorCode.BAD_JOB_SHAPE);
  if (!isMap(context)) return invalid(ErrorCode.BAD_JOB_SHAPE);
  const contextFields = exactFields(context, 4);
  if (contextFields === undefined) return invalid(ErrorCode.BAD_JOB_SHAPE);
  const [sender, self, epoch, balances] = contextFields;
  if (!isBytes(sender) || !isBytes(self) || !isUint(epoch) || !isMap(balances)) return invalid(ErrorCode.BAD_JOB_SHAPE);
  if (!mapOf(balances, isBytes, isUint)) return invalid(ErrorCode.BAD_JOB_SHAPE);
  if (!isMap(state) || !mapOf(state, isBytes, isBytes)) return invalid(ErrorCode.BAD_JOB_SHAPE);

  // 3. Job version.
  if (jobVersion !== 1n) return invalid(ErrorCode.UNSUPPORTED_VERSION);

  // 4. The contract map's shape (SPEC §5).
  const contractFields = exactFields(contractMap, 8);
  if (contractFields === undefined) return invalid(ErrorCode.BAD_CONTRACT_SHAPE);
  const [version, hash, code, maxMemory, maxCycles, maxStateSize, stateKey, functions] = contractFields;
  if (!isUint(version) || !isBytes(hash) || hash.length !== 32 || !isBytes(code)) return invalid(ErrorCode.BAD_CONTRACT_SHAPE);
  if (!isUint(maxMemory) || !isUint(maxCycles) || !isUint(maxStateSize)) return invalid(ErrorCode.BAD_CONTRACT_SHAPE);
  if (!isBytes(stateKey) || stateKey.length !== 32 || !Array.isArray(functions)) return invalid(ErrorCode.BAD_CONTRACT_SHAPE);
  const signatureShape = (f: CborValue): boolean =>
    Array.isArray(f) && f.length === 4 && isText(f[0]) && isUint(f[1]) && isUint(f[2]) && isUint(f[3]);
  if (!functions.every(signatureShape)) return invalid(ErrorCode.BAD_CONTRACT_SHAPE);

  const checked = checkContractFields({
    version, hash, code, maxMemory, maxCycles, maxStateSize,
    functions: functions as [string, bigint, bigint, bigint][],
  });
  if (!checked.ok) return invalid(checked.error);
  const { program, functions: signatures } = checked;

  // 12. The called function (exact match: equal strings are equal UTF-8 bytes).
  const fn = signatures.find((f) => f.name === fnName);
  if (fn === undefined) return invalid(ErrorCode.UNKNOWN_FUNCTION);

  // 13. Argument count.
  if (args.length !== fn.args) return invalid(ErrorCode.ARGUMENT_MISMATCH);

  // 14. Input size.
  if (BigInt(input.length) > maxMemory) return invalid(ErrorCode.INPUT_TOO_LARGE);

  // 15. Context values.
  const nodeId = (b: Uint8Array): boolean => b.length === Limit.NODE_ID_SIZE;
  if (!nodeId(sender) || !nodeId(self) || epoch > INT64_MAX) return invalid(ErrorCode.BAD_CONTEXT);
  if (!mapOf(balances, (k) => nodeId(k as Uint8Array), (v) => (v as bigint) <= INT64_MAX)) return invalid(ErrorCode.BAD_CONTEXT);

  // 16. Prior state.
  let priorSize = 0;
  for (const [k, v] of state as Map<Uint8Array, Uint8Array>) {
    if (k.length < 1 || k.length > Limit.MAX_KEY_SIZE) return invalid(ErrorCode.BAD_PRIOR_STATE);
    priorSize += Limit.STATE_ENTRY_OVERHEAD + k.length + v.length;
  }
  if (BigInt(priorSize) > maxStateSize) return invalid(ErrorCode.BAD_PRIOR_STATE);

  return {
    ok: true,
    job: {
      contract: {
        version: Number(version),
        hash,
        code,
        maxMemory: Number(maxMemory),
        maxCycles: Number(maxCycles),
        maxStateSize: Number(maxStateSize),
        stateKey,
        functions: signatures,
      },
      program,
      fn,
      args: args as bigint[],
      input,
      context: {
        sender,
        self,
        epoch,
        balances: new Map([...(balances as Map<Uint8Array, bigint>)].map(([k, v]) => [bytesToHex(k), v])),
      },
      state: new Map([...(state as Map<Uint8Array, Uint8Array>)].map(([k, v]) => [bytesToHex(k), v])),
      costTable: costTableNameOf(Number(version))!,
      jobLength: bytes.length,
      stateSize: priorSize,
    },
  };
}
