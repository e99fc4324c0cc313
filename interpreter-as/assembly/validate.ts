// Load-time validation, SPEC §7, in exactly its order. On success the job's
// parts are known by offset (globals below), the prior state is in the arena
// and the balance index is built.

import {
  ERR_MALFORMED_ENCODING, ERR_BAD_JOB_SHAPE, ERR_BAD_CONTRACT_SHAPE, ERR_UNSUPPORTED_VERSION,
  ERR_LIMIT_OUT_OF_RANGE, ERR_BAD_CODE_SIZE, ERR_HASH_MISMATCH, ERR_UNKNOWN_OPCODE,
  ERR_TRUNCATED_IMMEDIATE, ERR_BAD_IMMEDIATE, ERR_BAD_JUMP_TARGET, ERR_BAD_FUNCTION_TABLE,
  ERR_UNKNOWN_FUNCTION, ERR_ARGUMENT_MISMATCH, ERR_INPUT_TOO_LARGE, ERR_BAD_CONTEXT,
  ERR_BAD_PRIOR_STATE,
  LIMIT_MAX_MEMORY, LIMIT_MAX_CYCLES, LIMIT_MAX_STATE_SIZE, LIMIT_MAX_CODE_SIZE,
  LIMIT_MAX_FUNCTIONS, LIMIT_MAX_FUNCTION_NAME, LIMIT_MAX_ARGS, LIMIT_MAX_RETURNS,
  LIMIT_MAX_KEY_SIZE, LIMIT_NODE_ID_SIZE, LIMIT_HASH_SIZE, LIMIT_STATE_ENTRY_OVERHEAD,
  OPCODE_IMMEDIATE, IMM_INVALID, IMM_NONE, IMM_PUSH, IMM_TARGET,
  OP_LOAD, SPACE_M8, SPACE_M16, SPACE_M32, SPACE_M64, SPACE_STATE, SPACE_DEL, SPACE_INLEN, SPACE_COPY,
  SPEC_VERSION, COST_TABLES, COST_TABLE_STRIDE, COST_VERSION_FIRST, COST_VERSION_LAST,
} from "./generated/opcodes";
import { CODE_BITMAP, CODE_BITMAP_SIZE, DIGEST_TMP, BAL_INDEX, BAL_INDEX_CAP } from "./memory-layout";
import * as cbor from "./cbor";
import { MAJOR_UINT, MAJOR_NINT, MAJOR_BYTES, MAJOR_TEXT, MAJOR_ARRAY, MAJOR_MAP, compareBytes } from "./cbor";
import * as state from "./state";
import { blake3Hash } from "./crypto/index";

const I64_MAX: u64 = 0x7fffffffffffffff;

// What the VM needs from the job (offsets into linear memory).
export let code: usize = 0;
export let codeLen: u32 = 0;
/** Instructions in the code (the intrinsic charge's JOB.instructions part, SPEC §8). */
export let insCount: u32 = 0;
export let maxMemory: u32 = 0;
export let maxCycles: u64 = 0;
export let maxState: u32 = 0;
export let entry: u32 = 0;
export let rets: u32 = 0;
export let argsAt: usize = 0;   // first item of the args array
export let argc: u32 = 0;
export let input: usize = 0;
export let inputLen: u32 = 0;
export let sender: usize = 0;
export let selfId: usize = 0;
export let epoch: i64 = 0;
export let balCount: u32 = 0;
export let selfBalance: i64 = 0;
export let priorState: usize = 0; // the state map's encoding inside the job
export let priorStateLen: u32 = 0;
/** The cost table the contract's version names (SPEC §5, §10): a row of COST_TABLES. */
export let costs: usize = 0;
/** Length of the job encoding (the intrinsic charge's JOB part, SPEC §8). */
export let jobLen: u32 = 0;

// Field positions found by the shape checks.
let jobVersion: u64 = 0;
let contractAt: usize = 0;
let fnName: usize = 0;
let fnNameLen: u32 = 0;
let argsCount: u64 = 0;
let inputLen64: u64 = 0;
let senderLen: u64 = 0;
let selfLen: u64 = 0;
let epoch64: u64 = 0;
let balancesAt: usize = 0;
/** Balances in the context (with the prior state's entries, the intrinsic charge's JOB.entries part). */
export let balancesN: u64 = 0;
let stateN: u64 = 0;
let stateItems: usize = 0;
// Contract fields.
let cVersion: u64 = 0;
let cHash: usize = 0;
let cMaxMemory: u64 = 0;
let cMaxCycles: u64 = 0;
let cMaxState: u64 = 0;
let cCodeLen: u64 = 0;
let fnAt: usize = 0;  // first function signature
let fnCount: u64 = 0;

/** Reads a map head and checks the next key is the uint k. */
@inline function key(k: u64): bool {
  cbor.head();
  return cbor.major == MAJOR_UINT && cbor.arg == k;
}
@inline function next(m: u32): bool {
  cbor.head();
  return cbor.major == m;
}

// ---------------------------------------------------------------- step 2
function jobShape(p: usize): bool {
  cbor.pos = p;
  if (!next(MAJOR_MAP) || cbor.arg != 7) return false;
  if (!key(0) || !next(MAJOR_UINT)) return false;
  jobVersion = cbor.arg;
  if (!key(1)) return false;
  contractAt = cbor.pos;
  if (!next(MAJOR_MAP)) return false;
  cbor.pos = contractAt; cbor.skip();
  if (!key(2) || !next(MAJOR_TEXT)) return false;
  fnName = cbor.pos; fnNameLen = <u32>cbor.arg; cbor.pos += <usize>cbor.arg;
  if (!key(3) || !next(MAJOR_ARRAY)) return false;
  argsCount = cbor.arg;
  argsAt = cbor.pos;
  for (let i: u64 = 0; i < argsCount; i++) {
    cbor.head();
    if (cbor.major != MAJOR_UINT && cbor.major != MAJOR_NINT) return false;
    if (cbor.arg > I64_MAX) return false;
  }
  if (!key(4) || !next(MAJOR_BYTES)) return false;
  input = cbor.pos; inputLen64 = cbor.arg; cbor.pos += <usize>cbor.arg;
  if (!key(5) || !next(MAJOR_MAP) || cbor.arg != 4) return false;
  if (!key(0) || !next(MAJOR_BYTES)) return false;
  sender = cbor.pos; senderLen = cbor.arg; cbor.pos += <usize>cbor.arg;
  if (!key(1) || !next(MAJOR_BYTES)) return false;
  selfId = cbor.pos; selfLen = cbor.arg; cbor.pos += <usize>cbor.arg;
  if (!key(2) || !next(MAJOR_UINT)) return false;
  epoch64 = cbor.arg;
  if (!key(3) || !next(MAJOR_MAP)) return false;
  balancesN = cbor.arg;
  balancesAt = cbor.pos;
  for (let i: u64 = 0; i < balancesN; i++) {
    if (!next(MAJOR_BYTES)) return false;
    cbor.pos += <usize>cbor.arg;
    if (!next(MAJOR_UINT)) return false;
  }
  if (!key(6)) return false;
  priorState = cbor.pos;
  if (!next(MAJOR_MAP)) return false;
  stateN = cbor.arg;
  stateItems = cbor.pos;
  for (let i: u64 = 0; i < stateN; i++) {
    if (!next(MAJOR_BYTES)) return false;
    cbor.pos += <usize>cbor.arg;
    if (!next(MAJOR_BYTES)) return false;
    cbor.pos += <usize>cbor.arg;
  }
  priorStateLen = <u32>(cbor.pos - priorState);
  return true;
}

// ---------------------------------------------------------------- step 4
function contractShape(): bool {
  cbor.pos = contractAt;
  if (!next(MAJOR_MAP) || cbor.arg != 8) return false;
  if (!key(0) || !next(MAJOR_UINT)) return false;
  cVersion = cbor.arg;
  if (!key(1) || !next(MAJOR_BYTES) || cbor.arg != <u64>LIMIT_HASH_SIZE) return false;
  cHash = cbor.pos; cbor.pos += <usize>LIMIT_HASH_SIZE;
  if (!key(2) || !next(MAJOR_BYTES)) return false;
  code = cbor.pos; cCodeLen = cbor.arg; cbor.pos += <usize>cbor.arg;
  if (!key(3) || !next(MAJOR_UINT)) return false;
  cMaxMemory = cbor.arg;
  if (!key(4) || !next(MAJOR_UINT)) return false;
  cMaxCycles = cbor.arg;
  if (!key(5) || !next(MAJOR_UINT)) return false;
  cMaxState = cbor.arg;
  if (!key(6) || !next(MAJOR_BYTES) || cbor.arg != <u64>LIMIT_HASH_SIZE) return false;
  cbor.pos += <usize>LIMIT_HASH_SIZE;
  if (!key(7) || !next(MAJOR_ARRAY)) return false;
  fnCount = cbor.arg;
  fnAt = cbor.pos;
  for (let i: u64 = 0; i < fnCount; i++) {
    if (!next(MAJOR_ARRAY) || cbor.arg != 4) return false;
    if (!next(MAJOR_TEXT)) return false;
    cbor.pos += <usize>cbor.arg;
    if (!next(MAJOR_UINT) || !next(MAJOR_UINT) || !next(MAJOR_UINT)) return false;
  }
  return true;
}

// ---------------------------------------------------------------- steps 9, 10
@inline function isStart(off: u32): bool {
  return ((<u32>load<u8>(CODE_BITMAP + <usize>(off >> 3)) >> (off & 7)) & 1) != 0;
}

function spaceOk(op: u32, s: u32): bool {
  if (s == <u32>SPACE_M8 || s == <u32>SPACE_M16 || s == <u32>SPACE_M32 || s == <u32>SPACE_M64 || s == <u32>SPACE_STATE) return true;
  if (op == <u32>OP_LOAD) return s == <u32>SPACE_INLEN;
  return s == <u32>SPACE_DEL || s == <u32>SPACE_COPY; // STORE
}

function scanCode(): i32 {
  memory.fill(CODE_BITMAP, 0, CODE_BITMAP_SIZE);
  const n = codeLen;
  let p: u32 = 0;
  insCount = 0;
  while (p < n) {
    insCount++;
    const bp = CODE_BITMAP + <usize>(p >> 3);
    store<u8>(bp, load<u8>(bp) | <u8>(<u32>1 << (p & 7)));
    const op = <u32>load<u8>(code + <usize>p);
    const kind = load<u8>(OPCODE_IMMEDIATE + <usize>op);
    if (kind == IMM_INVALID) return ERR_UNKNOWN_OPCODE;
    if (kind == IMM_NONE) { p += 1; continue; }
    if (kind == IMM_PUSH) {
      if (p + 1 >= n) return ERR_TRUNCATED_IMMEDIATE;
      const len = <u32>load<u8>(code + <usize>(p + 1));
      if (len > 8) return ERR_BAD_IMMEDIATE;
      if (p + 2 + len > n) return ERR_TRUNCATED_IMMEDIATE;
      if (len > 0) {
        let v: i64 = 0;
        for (let i: u32 = 0; i < len; i++) v |= <i64>load<u8>(code + <usize>(p + 2 + i)) << (<i64>i * 8);
        const sh = <i64>(64 - 8 * len);
        v = (v << sh) >> sh;
        if (len == 1) { if (v == 0) return ERR_BAD_IMMEDIATE; }
        else {
          const sh2 = <i64>(64 - 8 * (len - 1));
          if (((v << sh2) >> sh2) == v) return ERR_BAD_IMMEDIATE;
        }
      }
      p += 2 + len;
      continue;
    }
    if (kind == IMM_TARGET) {
      if (p + 3 > n) return ERR_TRUNCATED_IMMEDIATE;
      p += 3;
      continue;
    }
    // IMM_SPACE
    if (p + 2 > n) return ERR_TRUNCATED_IMMEDIATE;
    if (!spaceOk(op, <u32>load<u8>(code + <usize>(p + 1)))) return ERR_BAD_IMMEDIATE;
    p += 2;
  }
  return 0;
}

function checkTargets(): bool {
  const n = codeLen;
  let p: u32 = 0;
  while (p < n) {
    const op = <u32>load<u8>(code + <usize>p);
    const kind = load<u8>(OPCODE_IMMEDIATE + <usize>op);
    if (kind == IMM_PUSH) { p += 2 + <u32>load<u8>(code + <usize>(p + 1)); continue; }
    if (kind == IMM_TARGET) {
      const t = <u32>load<u16>(code + <usize>(p + 1));
      if (t >= n || !isStart(t)) return false;
      p += 3;
      continue;
    }
    p += kind == IMM_NONE ? 1 : 2;
  }
  return true;
}

// ---------------------------------------------------------------- step 11, 12
/** Checks the table and finds the job's function; returns 0 or an error. */
function functions(): i32 {
  if (fnCount < 1 || fnCount > <u64>LIMIT_MAX_FUNCTIONS) return ERR_BAD_FUNCTION_TABLE;
  cbor.pos = fnAt;
  let found = false;
  for (let i: u32 = 0; i < <u32>fnCount; i++) {
    cbor.head(); // [name, entry, args, rets]
    cbor.head();
    const name = cbor.pos;
    const nl = cbor.arg;
    if (nl < 1 || nl > <u64>LIMIT_MAX_FUNCTION_NAME) return ERR_BAD_FUNCTION_TABLE;
    cbor.pos += <usize>nl;
    cbor.head();
    const e = cbor.arg;
    if (e >= <u64>codeLen || !isStart(<u32>e)) return ERR_BAD_FUNCTION_TABLE;
    cbor.head();
    const a = cbor.arg;
    if (a > <u64>LIMIT_MAX_ARGS) return ERR_BAD_FUNCTION_TABLE;
    cbor.head();
    const r = cbor.arg;
    if (r > <u64>LIMIT_MAX_RETURNS) return ERR_BAD_FUNCTION_TABLE;
    const after = cbor.pos;
    // unique names: compare with every earlier entry
    cbor.pos = fnAt;
    for (let j: u32 = 0; j < i; j++) {
      cbor.head(); cbor.head();
      const on = cbor.pos;
      const ol = cbor.arg;
      cbor.pos += <usize>ol;
      cbor.head(); cbor.head(); cbor.head();
      if (ol == nl && compareBytes(on, <usize>ol, name, <usize>nl) == 0) return ERR_BAD_FUNCTION_TABLE;
    }
    cbor.pos = after;
    if (!found && <u64>fnNameLen == nl && compareBytes(fnName, <usize>fnNameLen, name, <usize>nl) == 0) {
      found = true;
      entry = <u32>e;
      argc = <u32>a;
      rets = <u32>r;
    }
  }
  return found ? 0 : ERR_UNKNOWN_FUNCTION;
}

// ---------------------------------------------------------------- step 15
function context(): bool {
  if (senderLen != <u64>LIMIT_NODE_ID_SIZE || selfLen != <u64>LIMIT_NODE_ID_SIZE) return false;
  if (epoch64 > I64_MAX) return false;
  epoch = <i64>epoch64;
  selfBalance = 0;
  cbor.pos = balancesAt;
  for (let i: u64 = 0; i < balancesN; i++) {
    cbor.head();
    const k = cbor.pos;
    if (cbor.arg != <u64>LIMIT_NODE_ID_SIZE) return false;
    cbor.pos += <usize>LIMIT_NODE_ID_SIZE;
    cbor.head();
    if (cbor.arg > I64_MAX) return false;
    if (i < <u64>BAL_INDEX_CAP) store<u16>(BAL_INDEX + (<usize>i << 1), <u16>(k - code0));
    if (compareBytes(k, <usize>LIMIT_NODE_ID_SIZE, selfId, <usize>LIMIT_NODE_ID_SIZE) == 0) selfBalance = <i64>cbor.arg;
  }
  balCount = balancesN < <u64>BAL_INDEX_CAP ? <u32>balancesN : BAL_INDEX_CAP;
  return true;
}

/** Base of the job buffer (balance index entries are u16 offsets from it). */
let code0: usize = 0;
export function jobBase(): usize { return code0; }

// ---------------------------------------------------------------- step 16
function priorStateOk(): bool {
  cbor.pos = stateItems;
  let size: u64 = 0;
  for (let i: u64 = 0; i < stateN; i++) {
    cbor.head();
    const kl = cbor.arg;
    if (kl < 1 || kl > <u64>LIMIT_MAX_KEY_SIZE) return false;
    cbor.pos += <usize>kl;
    cbor.head();
    size += <u64>LIMIT_STATE_ENTRY_OVERHEAD + kl + cbor.arg; // each part < 2^17: no overflow
    cbor.pos += <usize>cbor.arg;
  }
  if (size > <u64>maxState) return false;
  // Load the arena (entries arrive sorted: the map's keys are in canonical order).
  state.reset();
  cbor.pos = stateItems;
  for (let i: u64 = 0; i < stateN; i++) {
    cbor.head();
    const k = cbor.pos;
    const kl = <usize>cbor.arg;
    cbor.pos += kl;
    cbor.head();
    const v = cbor.pos;
    const vl = <usize>cbor.arg;
    cbor.pos += vl;
    state.append(k, kl, v, vl);
  }
  return true;
}

/** SPEC §7 steps 1-16 over the job in [job, job+len). Returns 0 or the error code. */
export function validate(job: usize, len: u32): i32 {
  code0 = job;
  jobLen = len;
  // 1
  if (!cbor.wellFormed(job, <usize>len)) return ERR_MALFORMED_ENCODING;
  // 2
  if (!jobShape(job)) return ERR_BAD_JOB_SHAPE;
  // 3
  if (jobVersion != <u64>SPEC_VERSION) return ERR_UNSUPPORTED_VERSION;
  // 4
  if (!contractShape()) return ERR_BAD_CONTRACT_SHAPE;
  // 5: the version names the cost table
  if (cVersion < COST_VERSION_FIRST || cVersion > COST_VERSION_LAST) return ERR_UNSUPPORTED_VERSION;
  costs = COST_TABLES + <usize>(cVersion - COST_VERSION_FIRST) * COST_TABLE_STRIDE;
  // 6
  if (cMaxMemory > <u64>LIMIT_MAX_MEMORY || cMaxCycles > LIMIT_MAX_CYCLES || cMaxState > <u64>LIMIT_MAX_STATE_SIZE) return ERR_LIMIT_OUT_OF_RANGE;
  maxMemory = <u32>cMaxMemory;
  maxCycles = cMaxCycles;
  maxState = <u32>cMaxState;
  // 7
  if (cCodeLen < 1 || cCodeLen > <u64>LIMIT_MAX_CODE_SIZE) return ERR_BAD_CODE_SIZE;
  codeLen = <u32>cCodeLen;
  // 8
  blake3Hash(code, codeLen, DIGEST_TMP);
  if (compareBytes(DIGEST_TMP, <usize>LIMIT_HASH_SIZE, cHash, <usize>LIMIT_HASH_SIZE) != 0) return ERR_HASH_MISMATCH;
  // 9
  const e = scanCode();
  if (e != 0) return e;
  // 10
  if (!checkTargets()) return ERR_BAD_JUMP_TARGET;
  // 11, 12
  const f = functions();
  if (f != 0) return f;
  // 13
  if (argsCount != <u64>argc) return ERR_ARGUMENT_MISMATCH;
  // 14
  if (inputLen64 > <u64>maxMemory) return ERR_INPUT_TOO_LARGE;
  inputLen = <u32>inputLen64;
  // 15
  if (!context()) return ERR_BAD_CONTEXT;
  // 16
  if (!priorStateOk()) return ERR_BAD_PRIOR_STATE;
  return 0;
}
