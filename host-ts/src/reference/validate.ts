/**
 * Load-time validation (SPEC §7), in exactly its order: the first failing
 * step decides the error code. Decoding (SPEC §4) is the model's
 * `decodeStrict`; this module checks shapes (§5, §6), values and the code.
 */
import { ErrorCode, Limit } from "../generated/opcodes.ts";
import { decodeStrict, isBytes, isInt, isMap, isText, isUint, type CborMap, type CborValue } from "../model/cbor.ts";
import { hash32 } from "../model/codec.ts";
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

/** SPEC §7: validates the job bytes, returning the job ready to run or the first error code. */
export function validateJob(bytes: Uint8Array): Validation {
  // 0. Size.
  if (bytes.length > Limit.MAX_JOB_SIZE) return invalid(ErrorCode.JOB_TOO_LARGE);

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

  // 5. Contract version.
  if (version !== 1n) return invalid(ErrorCode.UNSUPPORTED_VERSION);

  // 6. Limits.
  if (maxMemory > BigInt(Limit.MAX_MEMORY) || maxCycles > BigInt(Limit.MAX_CYCLES) || maxStateSize > BigInt(Limit.MAX_STATE_SIZE)) {
    return invalid(ErrorCode.LIMIT_OUT_OF_RANGE);
  }

  // 7. Code size.
  if (code.length < 1 || code.length > Limit.MAX_CODE_SIZE) return invalid(ErrorCode.BAD_CODE_SIZE);

  // 8. Code hash.
  if (!equalBytes(hash, hash32(code))) return invalid(ErrorCode.HASH_MISMATCH);

  // 9–10. Instructions, then jump targets.
  const decoded = decodeProgram(code);
  if (!decoded.ok) return invalid(decoded.error);
  const program = decoded.program;

  // 11. The function table.
  const table = functions as [string, bigint, bigint, bigint][];
  if (table.length < 1 || table.length > Limit.MAX_FUNCTIONS) return invalid(ErrorCode.BAD_FUNCTION_TABLE);
  const names = new Set<string>();
  for (const [name, entry, nArgs, nRets] of table) {
    const nameLength = utf8Length(name);
    if (nameLength < 1 || nameLength > Limit.MAX_FUNCTION_NAME || names.has(name)) return invalid(ErrorCode.BAD_FUNCTION_TABLE);
    names.add(name);
    if (!isInstructionStart(program, entry)) return invalid(ErrorCode.BAD_FUNCTION_TABLE);
    if (nArgs > BigInt(Limit.MAX_ARGS) || nRets > BigInt(Limit.MAX_RETURNS)) return invalid(ErrorCode.BAD_FUNCTION_TABLE);
  }
  const signatures: FunctionSignature[] = table.map(([name, entry, a, r]) => ({ name, entry: Number(entry), args: Number(a), rets: Number(r) }));

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
    },
  };
}
