// The dispatch loop's operation bodies (SPEC §8, §9). This file is the template
// of interpreter-as/assembly/generated/vm-loop.ts (`npm run gen`,
// scripts/gen/vm-loop.ts), which is what index.ts compiles: after each
// `case OP_X: {` the generator inserts the STACK phase from spec/opcodes.json
// (pops, pushes), `GAS();` becomes the base-cost charge read from the job's
// cost array (`costs`), `CHARGE(cost);` the charge of a size-dependent cost
// the body computed, and `NEXT();` the PROGRAM COUNTER phase of a
// fall-through instruction. Written here: OPERANDS checks, the OPERATION, and
// the control flow of jumps, calls and the end of the call.
//
// One switch on the opcode byte over code that passed validation; the data
// stack is raw memory; ip, sp, csp and the cycles left live in locals. A trap
// sets `t` and breaks out of the switch, which leaves the loop; success
// continues the loop.
//
// The byte after the code is overwritten with 0x00 (not an opcode) for the
// duration of the call, so reaching the end of the code lands in `default`
// (END_OF_CODE) without a bounds check per instruction; it is restored after.

import {
  OP_PUSH, OP_POP, OP_DUP, OP_SWAP, OP_OVER, OP_ROT,
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_NEG, OP_ABS, OP_MIN, OP_MAX,
  OP_AND, OP_OR, OP_XOR, OP_NOT, OP_SHL, OP_SHR,
  OP_EQ, OP_NEQ, OP_LT, OP_GT, OP_LTE, OP_GTE,
  OP_JMP, OP_JZ, OP_JNZ, OP_CALL, OP_RET, OP_HALT, OP_ABORT,
  OP_HASH, OP_VERIFY_SIG, OP_VERIFY_VRF,
  OP_BALANCE, OP_SENDER, OP_SELF, OP_EPOCH, OP_TRANSFER, OP_LOG, OP_LOAD, OP_STORE, OP_MSIZE, OP_EMIT,
  SPACE_M8, SPACE_M16, SPACE_M32, SPACE_M64, SPACE_STATE, SPACE_DEL, SPACE_INLEN, SPACE_COPY,
  STATUS_HALT, STATUS_ABORT, STATUS_TRAP,
  TRAP_STACK_UNDERFLOW, TRAP_STACK_OVERFLOW, TRAP_INTEGER_OVERFLOW, TRAP_DIVISION_BY_ZERO,
  TRAP_SHIFT_OUT_OF_RANGE, TRAP_OUT_OF_CYCLES, TRAP_MEMORY_OUT_OF_BOUNDS, TRAP_CALL_DEPTH_EXCEEDED,
  TRAP_RETURN_WITHOUT_CALL, TRAP_END_OF_CODE, TRAP_STATE_LIMIT_EXCEEDED, TRAP_INVALID_STATE_KEY,
  TRAP_INVALID_AMOUNT, TRAP_OUTPUT_LIMIT_EXCEEDED, TRAP_LOG_LIMIT_EXCEEDED, TRAP_TRANSFER_LIMIT_EXCEEDED,
  COST_HASH_UNIT, COST_VERIFY_SIG_UNIT, COST_VERIFY_VRF_UNIT, COST_LOG_UNIT, COST_LOAD_STATE_UNIT,
  COST_STORE_STATE_UNIT, COST_STORE_DEL_UNIT, COST_STORE_COPY_UNIT, COST_EMIT_UNIT,
  INTRINSIC_JOB_UNIT, INTRINSIC_JOB_CODE_UNIT, INTRINSIC_JOB_INSTRUCTIONS_UNIT, INTRINSIC_JOB_ENTRIES_UNIT,
  INTRINSIC_JOB_STATE_UNIT, INTRINSIC_JOB_MEMORY_UNIT,
  LIMIT_MAX_KEY_SIZE, LIMIT_MAX_OUTPUT, LIMIT_MAX_LOGS, LIMIT_MAX_LOG_BYTES, LIMIT_MAX_TRANSFERS,
  LIMIT_NODE_ID_SIZE, LIMIT_HASH_SIZE, LIMIT_PUBKEY_SIZE, LIMIT_SIGNATURE_SIZE,
  LIMIT_VRF_PROOF_SIZE, LIMIT_VRF_OUTPUT_SIZE, LIMIT_STATE_ENTRY_OVERHEAD,
  OPCODE_IMMEDIATE, IMM_PUSH, IMM_NONE, IMM_TARGET,
} from "./generated/opcodes";
// Cost-key offsets (CK_*) for the generated GAS phase (scripts/gen/vm-loop.ts).
import * as ck from "./generated/opcodes";
import {
  DSTACK, DSTACK_END, CSTACK, CSTACK_END, MEMORY, DIGEST_TMP, BETA_TMP,
  TRANSFERS, TRANSFER_REC, LOG_LENS, LOG_BUF, OUTPUT, BAL_INDEX,
} from "./memory-layout";
import * as job from "./validate";
import * as state from "./state";
import * as cbor from "./cbor";
import { MAJOR_UINT, compareBytes } from "./cbor";
import { blake3Hash, ed25519Verify, ecvrfVerify } from "./crypto/index";

// How the call ended, and what it leaves for the result.
export let status: i32 = 0;
export let code: i64 = 0;
export let cycles: u64 = 0;
export let retPtr: usize = 0;
export let outLen: u32 = 0;
export let logCount: u32 = 0;
export let logBytes: u32 = 0;
export let xferCount: u32 = 0;
let spent: i64 = 0;
// The cycles not yet moved to the loop's fuel counter (execute). A module
// global, not a local: only the refill path uses it, and a 64-bit local live
// across the loop costs a 32-bit core two registers the hot cases need.
let bank: u64 = 0;

const ID: i64 = <i64>LIMIT_NODE_ID_SIZE;
/** Most cycles moved from the bank to the u32 fuel counter at a time (execute). */
const FUEL_CHUNK: u64 = 0x40000000;
const KEY_MAX: i64 = <i64>LIMIT_MAX_KEY_SIZE;

/** SPEC §2: 0 <= a, 0 <= n, a + n <= max_memory, computed without wrap-around. */
@inline function inRange(a: i64, n: i64, m: u64): bool {
  return <u64>a <= m && <u64>n <= m - <u64>a;
}

/** SPEC §10: base + per * ceil(n / unit) of the job's table (base at CK_*, per at CKP_*); n <= max_memory here. */
@inline function sized(costs: usize, k: usize, p: usize, unit: u32, n: i64): u64 {
  return <u64>load<u32>(costs + k) + perUnits(load<u32>(costs + p), unit, <u32>n);
}
/**
 * per * ceil(n / unit) in 32 bits (a 64-bit multiply is a library call on a
 * 32-bit core): every n is below 2^17 and the generator checks that
 * per * ceil(2^17 / unit) fits, for every table.
 */
@inline function units32(per: u32, unit: u32, n: u32): u32 {
  return per * ((n + unit - 1) / unit);
}
@inline function perUnits(per: u32, unit: u32, n: u32): u64 {
  return <u64>(per * ((n + unit - 1) / unit));
}

/** Snapshot balance of the NodeID at p (binary search over the balance index). */
function balanceOf(p: usize): i64 {
  const base = job.jobBase();
  let lo: i32 = 0;
  let hi: i32 = <i32>job.balCount - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = base + <usize>load<u16>(BAL_INDEX + (<usize>mid << 1));
    const c = compareBytes(k, <usize>ID, p, <usize>ID);
    if (c == 0) {
      cbor.pos = k + <usize>ID;
      cbor.head();
      return <i64>cbor.arg;
    }
    if (c < 0) lo = mid + 1; else hi = mid - 1;
  }
  return 0;
}

/**
 * The u16 little-endian jump target after the opcode at ip: one 16-bit load
 * (one bounds check; the runtime's aligned fast path takes every other
 * address, the rest are two byte loads without a second check).
 */
@inline function target(ip: usize): usize {
  return <usize>load<u16>(ip + 1);
}

// ---------------------------------------------------------------- internal form
// Internal opcodes (never in a contract: these bytes are holes of the opcode
// map, checked by scripts/gen/vm-loop.ts). The loop writes them over the first
// byte of a PUSH with a 1-byte immediate or a DUP the first time it runs that
// instruction ("quickening"), in place in the job buffer: same offsets,
// immediates untouched. A fused IOP_A_B first tries its fast path (every
// instruction's checks at once), else runs instruction A (its own STACK and
// GAS phases, generated) and falls through into B's own case, so gas and
// traps stay per MHR-Byte instruction; B's byte is never rewritten, so a jump
// into B still lands on B. Only executed code is rewritten, so the per-job
// work does not grow with the code size (the intrinsic charge prices that);
// a host that runs the same bytes again calls mhr_restore() first.
const IOP_PUSHB: u8 = 0x07;        // PUSH with a 1-byte immediate
const IOP_PUSHB_SUB: u8 = 0x08;    // PUSH (1 byte) then SUB
const IOP_PUSHB_LT: u8 = 0x09;     // PUSH (1 byte) then LT
const IOP_DUP_JNZ: u8 = 0x0a;      // DUP then JNZ
const IOP_PUSHB_ADD: u8 = 0x0b;    // PUSH (1 byte) then ADD
const IOP_DUP_JZ: u8 = 0x0c;       // DUP then JZ
const IOP_PUSHB_LT_JNZ: u8 = 0x0d; // PUSH (1 byte), LT, JNZ
const IOP_DUP: u8 = 0x0e;          // DUP followed by anything else

/** Set when the loop rewrote an opcode of the job buffer's code (restoreCode undoes it). */
let quickened = false;

/** The job buffer no longer holds the code (a new job, or the state's encoding). */
export function forgetCode(): void { quickened = false; }

/** Length of the (original) instruction op at p: opcode byte and immediate. */
function insnLen(p: usize, op: u32): usize {
  const k = load<u8>(OPCODE_IMMEDIATE + <usize>op);
  return k == IMM_PUSH ? 2 + <usize>load<u8>(p + 1) : k == IMM_NONE ? 1 : k == IMM_TARGET ? 3 : 2;
}

/**
 * The internal form of the PUSH with a 1-byte immediate at p, from the bytes
 * after it: the next instruction starts at p + 3 (the end-of-code sentinel, 0,
 * if there is none, so nothing is fused across the end).
 */
function pushForm(p: usize): u8 {
  const nx = load<u8>(p + 3);
  if (nx == OP_SUB) return IOP_PUSHB_SUB;
  if (nx == OP_ADD) return IOP_PUSHB_ADD;
  if (nx == OP_LT) return load<u8>(p + 4) == OP_JNZ ? IOP_PUSHB_LT_JNZ : IOP_PUSHB_LT;
  return IOP_PUSHB;
}

/** The internal form of the DUP at p. */
@inline function dupForm(p: usize): u8 {
  const nx = load<u8>(p + 1);
  return nx == OP_JNZ ? IOP_DUP_JNZ : nx == OP_JZ ? IOP_DUP_JZ : IOP_DUP;
}

/**
 * Puts the original opcodes back over the last job's code (mhr_restore), so
 * that the job buffer holds the bytes it was given and the same job can run
 * again (BENCH). Nothing to do if the last call rewrote nothing.
 */
export function restoreCode(): void {
  if (!quickened) return;
  quickened = false;
  let p = job.code;
  const end = p + <usize>job.codeLen;
  while (p < end) {
    let op = load<u8>(p);
    if (op >= IOP_PUSHB && op <= IOP_DUP) {
      op = op == IOP_DUP_JNZ || op == IOP_DUP_JZ || op == IOP_DUP ? OP_DUP : OP_PUSH;
      store<u8>(p, op);
    }
    p += insnLen(p, <u32>op);
  }
}

/** Runs the validated job's function to its end. */
export function execute(): void {
  const codeBase = job.code;
  const codeEnd = codeBase + <usize>job.codeLen;

  outLen = 0; logCount = 0; logBytes = 0; xferCount = 0; spent = 0;
  retPtr = DSTACK;

  memory.fill(MEMORY, 0, <usize>job.maxMemory);
  memory.copy(MEMORY, job.input, <usize>job.inputLen);

  let sp: usize = DSTACK;
  cbor.pos = job.argsAt;
  for (let i: u32 = 0; i < job.argc; i++) {
    cbor.head();
    store<i64>(sp, cbor.major == MAJOR_UINT ? <i64>cbor.arg : ~<i64>cbor.arg);
    sp += 8;
  }

  // This job's cost table (its contract version's row of COST_TABLES, generated from spec/opcodes.json).
  const costs: usize = job.costs;
  FAST_COSTS();
  let ip: usize = codeBase + <usize>job.entry;
  let csp: usize = CSTACK;
  // Cycles left = fuel + bank. Instructions pay from `fuel`, a u32 (one compare
  // and one subtract on a 32-bit core, where a u64 counter costs several);
  // `bank` holds the rest. When fuel runs short the instruction traps
  // OUT_OF_CYCLES as usual, and the trap path below refills fuel from the bank
  // and runs the instruction again: every check before the GAS phase is
  // read-only, so the retry is exact. Only with the bank empty is it a trap.
  bank = job.maxCycles;
  // SPEC §8: the intrinsic charge, before the first instruction. If it does not
  // fit, no instruction runs and cycles stay 0 (an OUT_OF_CYCLES trap charges nothing).
  // In 32 bits: every measure is below 2^17 and the generator checks that the sum then fits.
  const intrinsic = <u64>(load<u32>(costs + ck.CKI_JOB) + units32(load<u32>(costs + ck.CKI_JOB_PER), INTRINSIC_JOB_UNIT, job.jobLen) +
    units32(load<u32>(costs + ck.CKI_CODE_PER), INTRINSIC_JOB_CODE_UNIT, job.codeLen) +
    units32(load<u32>(costs + ck.CKI_INS_PER), INTRINSIC_JOB_INSTRUCTIONS_UNIT, job.insCount) +
    units32(load<u32>(costs + ck.CKI_ENTRIES_PER), INTRINSIC_JOB_ENTRIES_UNIT, state.count + <u32>job.balancesN) +
    units32(load<u32>(costs + ck.CKI_STATE_PER), INTRINSIC_JOB_STATE_UNIT, state.used) +
    units32(load<u32>(costs + ck.CKI_MEMORY_PER), INTRINSIC_JOB_MEMORY_UNIT, job.maxMemory));
  if (intrinsic > bank) { status = STATUS_TRAP; code = TRAP_OUT_OF_CYCLES; cycles = 0; return; }
  bank -= intrinsic;
  let fuel: u32 = 0;
  // How the loop ended lives in the module global `status`, and HALT sets t
  // too: neither is then live across the loop, which keeps three registers
  // of a 32-bit core for the hot cases.
  status = STATUS_TRAP;
  let t: i64 = 0;
  // The top of the stack (scripts/gen/vm-loop.ts, "Top of stack"): its slot
  // in memory may be stale. With an empty stack it holds whatever is below
  // DSTACK, and is never read or stored.
  let tos: i64 = load<i64>(sp - 8);

  const saved = load<u8>(codeEnd);
  store<u8>(codeEnd, 0);

  {
    const m = bank < FUEL_CHUNK ? bank : FUEL_CHUNK;
    fuel = <u32>m;
    bank -= m;
  }
  while (true) {
    switch (<u32>load<u8>(ip)) {
      // ------------------------------------------------------------ stack
      case OP_PUSH: {
        TOS();
        GAS();
        const n = <usize>load<u8>(ip + 1);
        let v: i64 = 0;
        if (n == 1) {
          v = <i64>load<i8>(ip + 2); // the common small constant: one sign-extending byte load
          store<u8>(ip, pushForm(ip)); // the next run of this instruction takes its internal form
          quickened = true;
        } else if (n != 0) {
          const sh = <i64>(64 - (n << 3));
          v = (load<i64>(ip + 2) << sh) >> sh;
        }
        if (sp != DSTACK) store<i64>(sp - 8, tos); // the old top into its slot
        tos = v;
        sp += 8;
        ip += 2 + n;
        continue;
      }
      case IOP_PUSHB: {
        TOS();
        GAS();
        PUSHB();
        continue;
      }
      case OP_POP: {
        GAS();
        sp -= 8;
        NEXT();
      }
      case OP_DUP: {
        TOS();
        GAS();
        store<u8>(ip, dupForm(ip)); // the next run takes its internal form
        quickened = true;
        store<i64>(sp - 8, tos);
        sp += 8;
        NEXT();
      }
      case IOP_DUP: {
        TOS();
        GAS();
        store<i64>(sp - 8, tos);
        sp += 8;
        ip += 1;
        continue;
      }
      case OP_SWAP: {
        TOS();
        GAS();
        const a = load<i64>(sp - 16);
        store<i64>(sp - 16, tos);
        tos = a;
        NEXT();
      }
      case OP_OVER: {
        TOS();
        GAS();
        const a = load<i64>(sp - 16);
        store<i64>(sp - 8, tos);
        sp += 8;
        tos = a;
        NEXT();
      }
      case OP_ROT: {
        TOS();
        GAS();
        const a = load<i64>(sp - 24);
        store<i64>(sp - 24, load<i64>(sp - 16));
        store<i64>(sp - 16, tos);
        tos = a;
        NEXT();
      }
      // ------------------------------------------------------------ arithmetic
      case IOP_PUSHB_ADD: {
        if (FAST(PUSH, ADD)) {
          const b = <i64>load<i8>(ip + 2);
          const r = tos + b;
          if (((tos ^ r) & (b ^ r)) < 0) { t = TRAP_INTEGER_OVERFLOW; break; }
          tos = r;
          ip += 4;
          continue;
        } // END_FAST
        TOS();
        GAS();
        PUSHB();
      } // falls through into ADD
      case OP_ADD: {
        TOS();
        GAS();
        const b = tos;
        const a = load<i64>(sp - 16);
        const r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) { t = TRAP_INTEGER_OVERFLOW; break; }
        sp -= 8;
        tos = r;
        NEXT();
      }
      case IOP_PUSHB_SUB: {
        if (FAST(PUSH, SUB)) {
          const b = <i64>load<i8>(ip + 2);
          const r = tos - b;
          if (((tos ^ b) & (tos ^ r)) < 0) { t = TRAP_INTEGER_OVERFLOW; break; }
          tos = r;
          ip += 4;
          continue;
        } // END_FAST
        TOS();
        GAS();
        PUSHB();
      } // falls through into SUB
      case OP_SUB: {
        TOS();
        GAS();
        const b = tos;
        const a = load<i64>(sp - 16);
        const r = a - b;
        if (((a ^ b) & (a ^ r)) < 0) { t = TRAP_INTEGER_OVERFLOW; break; }
        sp -= 8;
        tos = r;
        NEXT();
      }
      case OP_MUL: {
        GAS();
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        const r = a * b;
        // Both in i32 range: the product fits. Otherwise check by division
        // (a != 0; -1 * MIN is the one case division cannot see).
        if (<u64>(a + 0x80000000) > 0xffffffff || <u64>(b + 0x80000000) > 0xffffffff) {
          if (a != 0 && ((a == -1 && b == i64.MIN_VALUE) || (b == -1 && a == i64.MIN_VALUE) || r / a != b)) {
            t = TRAP_INTEGER_OVERFLOW; break;
          }
        }
        sp -= 8;
        store<i64>(sp - 8, r);
        NEXT();
      }
      case OP_DIV: {
        GAS();
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        if (b == 0) { t = TRAP_DIVISION_BY_ZERO; break; }
        if (b == -1 && a == i64.MIN_VALUE) { t = TRAP_INTEGER_OVERFLOW; break; }
        sp -= 8;
        store<i64>(sp - 8, a / b);
        NEXT();
      }
      case OP_MOD: {
        GAS();
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        if (b == 0) { t = TRAP_DIVISION_BY_ZERO; break; }
        sp -= 8;
        store<i64>(sp - 8, b == -1 ? 0 : a % b);
        NEXT();
      }
      case OP_NEG: {
        GAS();
        const a = load<i64>(sp - 8);
        if (a == i64.MIN_VALUE) { t = TRAP_INTEGER_OVERFLOW; break; }
        store<i64>(sp - 8, -a);
        NEXT();
      }
      case OP_ABS: {
        GAS();
        const a = load<i64>(sp - 8);
        if (a == i64.MIN_VALUE) { t = TRAP_INTEGER_OVERFLOW; break; }
        store<i64>(sp - 8, a < 0 ? -a : a);
        NEXT();
      }
      case OP_MIN: {
        GAS();
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        sp -= 8;
        store<i64>(sp - 8, a < b ? a : b);
        NEXT();
      }
      case OP_MAX: {
        GAS();
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        sp -= 8;
        store<i64>(sp - 8, a > b ? a : b);
        NEXT();
      }
      // ------------------------------------------------------------ bitwise
      case OP_AND: {
        GAS();
        sp -= 8;
        store<i64>(sp - 8, load<i64>(sp - 8) & load<i64>(sp));
        NEXT();
      }
      case OP_OR: {
        GAS();
        sp -= 8;
        store<i64>(sp - 8, load<i64>(sp - 8) | load<i64>(sp));
        NEXT();
      }
      case OP_XOR: {
        GAS();
        sp -= 8;
        store<i64>(sp - 8, load<i64>(sp - 8) ^ load<i64>(sp));
        NEXT();
      }
      case OP_NOT: {
        GAS();
        store<i64>(sp - 8, ~load<i64>(sp - 8));
        NEXT();
      }
      case OP_SHL: {
        GAS();
        const n = load<i64>(sp - 8);
        if (<u64>n > 63) { t = TRAP_SHIFT_OUT_OF_RANGE; break; }
        sp -= 8;
        store<i64>(sp - 8, load<i64>(sp - 8) << n);
        NEXT();
      }
      case OP_SHR: {
        GAS();
        const n = load<i64>(sp - 8);
        if (<u64>n > 63) { t = TRAP_SHIFT_OUT_OF_RANGE; break; }
        sp -= 8;
        store<i64>(sp - 8, <i64>(<u64>load<i64>(sp - 8) >> <u64>n));
        NEXT();
      }
      // ------------------------------------------------------------ comparison
      case OP_EQ: {
        TOS();
        GAS();
        sp -= 8;
        tos = <i64>(load<i64>(sp - 8) == tos);
        NEXT();
      }
      case OP_NEQ: {
        TOS();
        GAS();
        sp -= 8;
        tos = <i64>(load<i64>(sp - 8) != tos);
        NEXT();
      }
      case IOP_PUSHB_LT_JNZ: {
        if (FAST(PUSH, LT, JNZ)) {
          const c = tos < <i64>load<i8>(ip + 2);
          sp -= 8;
          tos = load<i64>(sp - 8);
          ip = c ? codeBase + target(ip + 4) : ip + 7;
          continue;
        } // END_FAST
      } // falls through into PUSHB_LT: one instruction at a time
      case IOP_PUSHB_LT: {
        if (FAST(PUSH, LT)) {
          tos = <i64>(tos < <i64>load<i8>(ip + 2));
          ip += 4;
          continue;
        } // END_FAST
        TOS();
        GAS();
        PUSHB();
      } // falls through into LT
      case OP_LT: {
        TOS();
        GAS();
        sp -= 8;
        tos = <i64>(load<i64>(sp - 8) < tos);
        NEXT();
      }
      case OP_GT: {
        TOS();
        GAS();
        sp -= 8;
        tos = <i64>(load<i64>(sp - 8) > tos);
        NEXT();
      }
      case OP_LTE: {
        TOS();
        GAS();
        sp -= 8;
        tos = <i64>(load<i64>(sp - 8) <= tos);
        NEXT();
      }
      case OP_GTE: {
        TOS();
        GAS();
        sp -= 8;
        tos = <i64>(load<i64>(sp - 8) >= tos);
        NEXT();
      }
      // ------------------------------------------------------------ control
      case OP_JMP: {
        TOS();
        GAS();
        ip = codeBase + target(ip);
        continue;
      }
      case IOP_DUP_JZ: {
        if (FAST(DUP, JZ)) {
          ip = tos == 0 ? codeBase + target(ip + 1) : ip + 4;
          continue;
        } // END_FAST
        TOS();
        GAS();
        store<i64>(sp - 8, tos);
        sp += 8;
        ip += 1;
      } // falls through into JZ
      case OP_JZ: {
        TOS();
        GAS();
        sp -= 8;
        const c = tos;
        tos = load<i64>(sp - 8);
        ip = c == 0 ? codeBase + target(ip) : ip + 3;
        continue;
      }
      case IOP_DUP_JNZ: {
        if (FAST(DUP, JNZ)) {
          ip = tos != 0 ? codeBase + target(ip + 1) : ip + 4;
          continue;
        } // END_FAST
        TOS();
        GAS();
        store<i64>(sp - 8, tos);
        sp += 8;
        ip += 1;
      } // falls through into JNZ
      case OP_JNZ: {
        TOS();
        GAS();
        sp -= 8;
        const c = tos;
        tos = load<i64>(sp - 8);
        ip = c != 0 ? codeBase + target(ip) : ip + 3;
        continue;
      }
      case OP_CALL: {
        TOS();
        if (csp >= CSTACK_END) { t = TRAP_CALL_DEPTH_EXCEEDED; break; }
        GAS();
        store<u32>(csp, <u32>(ip + 3));
        csp += 4;
        ip = codeBase + target(ip);
        continue;
      }
      case OP_RET: {
        TOS();
        if (csp == CSTACK) { t = TRAP_RETURN_WITHOUT_CALL; break; }
        GAS();
        csp -= 4;
        ip = <usize>load<u32>(csp);
        continue;
      }
      case OP_HALT: {
        const n = <usize>job.rets << 3;
        if (sp < DSTACK + n) { t = TRAP_STACK_UNDERFLOW; break; }
        GAS();
        retPtr = sp - n;
        status = STATUS_HALT;
        t = 0;
        break;
      }
      case OP_ABORT: {
        GAS();
        t = load<i64>(sp - 8);
        status = STATUS_ABORT;
        break;
      }
      // ------------------------------------------------------------ crypto
      case OP_HASH: {
        const dst = load<i64>(sp - 8);
        const len = load<i64>(sp - 16);
        const src = load<i64>(sp - 24);
        if (!inRange(src, len, <u64>job.maxMemory) || !inRange(dst, <i64>LIMIT_HASH_SIZE, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        const cost = sized(costs, ck.CK_HASH, ck.CKP_HASH, COST_HASH_UNIT, len);
        CHARGE(cost);
        blake3Hash(MEMORY + <usize>src, <u32>len, DIGEST_TMP);
        memory.copy(MEMORY + <usize>dst, DIGEST_TMP, <usize>LIMIT_HASH_SIZE);
        sp -= 24;
        NEXT();
      }
      case OP_VERIFY_SIG: {
        const sig = load<i64>(sp - 8);
        const len = load<i64>(sp - 16);
        const msg = load<i64>(sp - 24);
        const pk = load<i64>(sp - 32);
        if (!inRange(pk, <i64>LIMIT_PUBKEY_SIZE, <u64>job.maxMemory) || !inRange(msg, len, <u64>job.maxMemory) || !inRange(sig, <i64>LIMIT_SIGNATURE_SIZE, <u64>job.maxMemory)) {
          t = TRAP_MEMORY_OUT_OF_BOUNDS; break;
        }
        const cost = sized(costs, ck.CK_VERIFY_SIG, ck.CKP_VERIFY_SIG, COST_VERIFY_SIG_UNIT, len);
        CHARGE(cost);
        const ok = ed25519Verify(MEMORY + <usize>pk, MEMORY + <usize>msg, <u32>len, MEMORY + <usize>sig);
        sp -= 24;
        store<i64>(sp - 8, ok ? 1 : 0);
        NEXT();
      }
      case OP_VERIFY_VRF: {
        const dst = load<i64>(sp - 8);
        const proof = load<i64>(sp - 16);
        const len = load<i64>(sp - 24);
        const alpha = load<i64>(sp - 32);
        const pk = load<i64>(sp - 40);
        if (!inRange(pk, <i64>LIMIT_PUBKEY_SIZE, <u64>job.maxMemory) || !inRange(alpha, len, <u64>job.maxMemory) ||
            !inRange(proof, <i64>LIMIT_VRF_PROOF_SIZE, <u64>job.maxMemory) || !inRange(dst, <i64>LIMIT_VRF_OUTPUT_SIZE, <u64>job.maxMemory)) {
          t = TRAP_MEMORY_OUT_OF_BOUNDS; break;
        }
        const cost = sized(costs, ck.CK_VERIFY_VRF, ck.CKP_VERIFY_VRF, COST_VERIFY_VRF_UNIT, len);
        CHARGE(cost);
        const ok = ecvrfVerify(MEMORY + <usize>pk, MEMORY + <usize>alpha, <u32>len, MEMORY + <usize>proof, BETA_TMP);
        if (ok) memory.copy(MEMORY + <usize>dst, BETA_TMP, <usize>LIMIT_VRF_OUTPUT_SIZE);
        sp -= 32;
        store<i64>(sp - 8, ok ? 1 : 0);
        NEXT();
      }
      // ------------------------------------------------------------ system
      case OP_BALANCE: {
        const id = load<i64>(sp - 8);
        if (!inRange(id, ID, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        GAS();
        store<i64>(sp - 8, balanceOf(MEMORY + <usize>id));
        NEXT();
      }
      case OP_SENDER: {
        const dst = load<i64>(sp - 8);
        if (!inRange(dst, ID, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        GAS();
        memory.copy(MEMORY + <usize>dst, job.sender, <usize>ID);
        sp -= 8;
        NEXT();
      }
      case OP_SELF: {
        const dst = load<i64>(sp - 8);
        if (!inRange(dst, ID, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        GAS();
        memory.copy(MEMORY + <usize>dst, job.selfId, <usize>ID);
        sp -= 8;
        NEXT();
      }
      case OP_EPOCH: {
        GAS();
        store<i64>(sp, job.epoch);
        sp += 8;
        NEXT();
      }
      case OP_TRANSFER: {
        const amount = load<i64>(sp - 8);
        const to = load<i64>(sp - 16);
        if (!inRange(to, ID, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        if (amount <= 0) { t = TRAP_INVALID_AMOUNT; break; }
        GAS();
        let ok: i64 = 0;
        if (amount <= job.selfBalance - spent) {
          if (xferCount >= <u32>LIMIT_MAX_TRANSFERS) { t = TRAP_TRANSFER_LIMIT_EXCEEDED; break; }
          const rec = TRANSFERS + <usize>xferCount * TRANSFER_REC;
          memory.copy(rec, MEMORY + <usize>to, <usize>ID);
          store<i64>(rec + <usize>ID, amount);
          xferCount++;
          spent += amount;
          ok = 1;
        }
        sp -= 8;
        store<i64>(sp - 8, ok);
        NEXT();
      }
      case OP_LOG: {
        const len = load<i64>(sp - 8);
        const src = load<i64>(sp - 16);
        if (!inRange(src, len, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        const cost = sized(costs, ck.CK_LOG, ck.CKP_LOG, COST_LOG_UNIT, len);
        CHARGE(cost);
        if (logCount >= <u32>LIMIT_MAX_LOGS || <u64>logBytes + <u64>len > <u64>LIMIT_MAX_LOG_BYTES) { t = TRAP_LOG_LIMIT_EXCEEDED; break; }
        memory.copy(LOG_BUF + <usize>logBytes, MEMORY + <usize>src, <usize>len);
        store<u16>(LOG_LENS + (<usize>logCount << 1), <u16>len);
        logCount++;
        logBytes += <u32>len;
        sp -= 16;
        NEXT();
      }
      case OP_EMIT: {
        const len = load<i64>(sp - 8);
        const src = load<i64>(sp - 16);
        if (!inRange(src, len, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        const cost = sized(costs, ck.CK_EMIT, ck.CKP_EMIT, COST_EMIT_UNIT, len);
        CHARGE(cost);
        if (<u64>outLen + <u64>len > <u64>LIMIT_MAX_OUTPUT) { t = TRAP_OUTPUT_LIMIT_EXCEEDED; break; }
        memory.copy(OUTPUT + <usize>outLen, MEMORY + <usize>src, <usize>len);
        outLen += <u32>len;
        sp -= 16;
        NEXT();
      }
      case OP_MSIZE: {
        GAS();
        store<i64>(sp, <i64><u64>job.maxMemory);
        sp += 8;
        NEXT();
      }
      case OP_LOAD: {
        switch (<u32>load<u8>(ip + 1)) {
          case SPACE_M8: {
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 1, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            GAS();
            store<i64>(sp - 8, <i64>load<u8>(MEMORY + <usize>addr));
            NEXT();
          }
          case SPACE_M16: {
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 2, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            GAS();
            store<i64>(sp - 8, <i64>load<u16>(MEMORY + <usize>addr));
            NEXT();
          }
          case SPACE_M32: {
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 4, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            GAS();
            store<i64>(sp - 8, <i64>load<u32>(MEMORY + <usize>addr));
            NEXT();
          }
          case SPACE_M64: {
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 8, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            GAS();
            store<i64>(sp - 8, load<i64>(MEMORY + <usize>addr));
            NEXT();
          }
          case SPACE_STATE: {
            const cap = load<i64>(sp - 8);
            const dst = load<i64>(sp - 16);
            const klen = load<i64>(sp - 24);
            const key = load<i64>(sp - 32);
            if (!inRange(key, klen, <u64>job.maxMemory) || !inRange(dst, cap, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (klen < 1 || klen > KEY_MAX) { t = TRAP_INVALID_STATE_KEY; break; }
            const cost = sized(costs, ck.CK_LOAD_STATE, ck.CKP_LOAD_STATE, COST_LOAD_STATE_UNIT, klen + cap);
            CHARGE(cost);
            const at = state.find(MEMORY + <usize>key, <usize>klen);
            let r: i64 = -1;
            if (at >= 0) {
              const vl = state.valueLen(<u32>at, <usize>klen);
              memory.copy(MEMORY + <usize>dst, state.valueAt, vl < <usize>cap ? vl : <usize>cap);
              r = <i64>vl;
            }
            sp -= 24;
            store<i64>(sp - 8, r);
            NEXT();
          }
          case SPACE_INLEN: {
            GAS();
            store<i64>(sp, <i64>job.inputLen);
            sp += 8;
            NEXT();
          }
          default: { t = TRAP_END_OF_CODE; break; } // not reached: spaces are validated
        }
        break;
      }
      case OP_STORE: {
        switch (<u32>load<u8>(ip + 1)) {
          case SPACE_M8: {
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 1, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            GAS();
            const v = load<i64>(sp - 16);
            store<u8>(MEMORY + <usize>addr, <u8>v);
            sp -= 16;
            NEXT();
          }
          case SPACE_M16: {
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 2, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            GAS();
            const v = load<i64>(sp - 16);
            store<u16>(MEMORY + <usize>addr, <u16>v);
            sp -= 16;
            NEXT();
          }
          case SPACE_M32: {
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 4, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            GAS();
            const v = load<i64>(sp - 16);
            store<u32>(MEMORY + <usize>addr, <u32>v);
            sp -= 16;
            NEXT();
          }
          case SPACE_M64: {
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 8, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            GAS();
            const v = load<i64>(sp - 16);
            store<i64>(MEMORY + <usize>addr, v);
            sp -= 16;
            NEXT();
          }
          case SPACE_STATE: {
            const vlen = load<i64>(sp - 8);
            const val = load<i64>(sp - 16);
            const klen = load<i64>(sp - 24);
            const key = load<i64>(sp - 32);
            if (!inRange(key, klen, <u64>job.maxMemory) || !inRange(val, vlen, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (klen < 1 || klen > KEY_MAX) { t = TRAP_INVALID_STATE_KEY; break; }
            // The look-up and the compaction plan come before GAS (they only read): the records an
            // appending store's compaction step processes and the bytes it moves are part of its cost (SPEC §9.7).
            const kp = MEMORY + <usize>key;
            const at = state.find(kp, <usize>klen);
            const rec = <u32>LIMIT_STATE_ENTRY_OVERHEAD + <u32>klen + <u32>vlen;
            let cost = sized(costs, ck.CK_STORE_STATE, ck.CKP_STORE_STATE, COST_STORE_STATE_UNIT, klen + vlen);
            // A new key's insert moves index slots, and pays for them (SPEC §9.7).
            if (at < 0) cost += perUnits(load<u32>(costs + ck.CKX_INDEX_PER), ck.INDEX_MOVE_UNIT, state.insertMoves(<u32>(-at - 1)));
            if (state.plan(at, <usize>vlen, rec)) {
              cost += <u64>load<u32>(costs + ck.CKC_COMPACT) + <u64>(load<u32>(costs + ck.CKC_COMPACT_PER) * state.workRecords)
                + <u64>(load<u32>(costs + ck.CKC_MOVE_PER) * ((state.workBytes + ck.COMPACT_MOVE_UNIT - 1) / ck.COMPACT_MOVE_UNIT));
            }
            CHARGE(cost);
            const size = <u64>state.used - <u64>state.oldSize + <u64>rec;
            if (size > <u64>job.maxState) { t = TRAP_STATE_LIMIT_EXCEEDED; break; }
            state.put(at, kp, <usize>klen, MEMORY + <usize>val, <usize>vlen);
            sp -= 32;
            NEXT();
          }
          case SPACE_DEL: {
            const klen = load<i64>(sp - 8);
            const key = load<i64>(sp - 16);
            if (!inRange(key, klen, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (klen < 1 || klen > KEY_MAX) { t = TRAP_INVALID_STATE_KEY; break; }
            // The look-up comes before GAS (it only reads): a removal pays for the index slots it moves (SPEC §9.7).
            const at = state.find(MEMORY + <usize>key, <usize>klen);
            let cost = sized(costs, ck.CK_STORE_DEL, ck.CKP_STORE_DEL, COST_STORE_DEL_UNIT, klen);
            if (at >= 0) cost += perUnits(load<u32>(costs + ck.CKX_INDEX_PER), ck.INDEX_MOVE_UNIT, state.removeMoves(<u32>at));
            CHARGE(cost);
            if (at >= 0) state.removeAt(<u32>at);
            sp -= 16;
            NEXT();
          }
          case SPACE_COPY: {
            const len = load<i64>(sp - 8);
            const src = load<i64>(sp - 16);
            const dst = load<i64>(sp - 24);
            if (!inRange(src, len, <u64>job.maxMemory) || !inRange(dst, len, <u64>job.maxMemory)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            const cost = sized(costs, ck.CK_STORE_COPY, ck.CKP_STORE_COPY, COST_STORE_COPY_UNIT, len);
            CHARGE(cost);
            memory.copy(MEMORY + <usize>dst, MEMORY + <usize>src, <usize>len);
            sp -= 24;
            NEXT();
          }
          default: { t = TRAP_END_OF_CODE; break; } // not reached: spaces are validated
        }
        break;
      }
      default: {
        // Only the sentinel after the code gets here: validated code holds opcodes only.
        t = TRAP_END_OF_CODE;
        break;
      }
    }
    // A trap, HALT or ABORT. OUT_OF_CYCLES with cycles in the bank refills
    // the fuel and runs the instruction again.
    if (t != TRAP_OUT_OF_CYCLES || status != STATUS_TRAP || bank == 0) break;
    const m = bank < FUEL_CHUNK ? bank : FUEL_CHUNK;
    fuel += <u32>m; // fuel < cost < 2^31 here: no wrap
    bank -= m;
    t = 0;
  }

  // SPEC §8.2: a HALT whose call changed the state pays for encoding and
  // hashing the final state anew, as one charge with HALT's base: if it does
  // not fit, the HALT traps OUT_OF_CYCLES and its base is not charged either.
  // The generator checks that base + per × entries fits in 32 bits.
  if (status == STATUS_HALT && state.dirty) {
    const c = <u64>(load<u32>(costs + ck.CKR_REHASH) + load<u32>(costs + ck.CKR_REHASH_PER) * state.count);
    bank += <u64>fuel;
    fuel = 0;
    if (c > bank) {
      status = STATUS_TRAP;
      t = TRAP_OUT_OF_CYCLES;
      bank += <u64>load<u32>(costs + ck.CK_HALT);
    } else bank -= c;
  }
  store<u8>(codeEnd, saved);
  code = t;
  cycles = job.maxCycles - (bank + <u64>fuel);
}
