// The dispatch loop (SPEC §8, §9). One switch on the opcode byte over code that
// passed validation; the data stack is raw memory; ip, sp, csp and the cycles
// left live in locals. Each case runs the phases of SPEC §8.1 in order:
// STACK, OPERANDS, GAS, OPERATION, PROGRAM COUNTER. A trap sets `t` and breaks
// out of the switch, which leaves the loop; success continues the loop.
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
  COST_PUSH, COST_POP, COST_DUP, COST_SWAP, COST_OVER, COST_ROT,
  COST_ADD, COST_SUB, COST_MUL, COST_DIV, COST_MOD, COST_NEG, COST_ABS, COST_MIN, COST_MAX,
  COST_AND, COST_OR, COST_XOR, COST_NOT, COST_SHL, COST_SHR,
  COST_EQ, COST_NEQ, COST_LT, COST_GT, COST_LTE, COST_GTE,
  COST_JMP, COST_JZ, COST_JNZ, COST_CALL, COST_RET, COST_HALT, COST_ABORT,
  COST_HASH, COST_HASH_PER, COST_HASH_UNIT,
  COST_VERIFY_SIG, COST_VERIFY_SIG_PER, COST_VERIFY_SIG_UNIT,
  COST_VERIFY_VRF, COST_VERIFY_VRF_PER, COST_VERIFY_VRF_UNIT,
  COST_BALANCE, COST_SENDER, COST_SELF, COST_EPOCH, COST_TRANSFER,
  COST_LOG, COST_LOG_PER, COST_LOG_UNIT,
  COST_LOAD_M8, COST_LOAD_M16, COST_LOAD_M32, COST_LOAD_M64,
  COST_LOAD_STATE, COST_LOAD_STATE_PER, COST_LOAD_STATE_UNIT, COST_LOAD_INLEN,
  COST_STORE_M8, COST_STORE_M16, COST_STORE_M32, COST_STORE_M64,
  COST_STORE_STATE, COST_STORE_STATE_PER, COST_STORE_STATE_UNIT,
  COST_STORE_DEL, COST_STORE_DEL_PER, COST_STORE_DEL_UNIT,
  COST_STORE_COPY, COST_STORE_COPY_PER, COST_STORE_COPY_UNIT,
  COST_MSIZE, COST_EMIT, COST_EMIT_PER, COST_EMIT_UNIT,
  LIMIT_MAX_KEY_SIZE, LIMIT_MAX_OUTPUT, LIMIT_MAX_LOGS, LIMIT_MAX_LOG_BYTES, LIMIT_MAX_TRANSFERS,
  LIMIT_NODE_ID_SIZE, LIMIT_HASH_SIZE, LIMIT_PUBKEY_SIZE, LIMIT_SIGNATURE_SIZE,
  LIMIT_VRF_PROOF_SIZE, LIMIT_VRF_OUTPUT_SIZE, LIMIT_STATE_ENTRY_OVERHEAD,
} from "./generated/opcodes";
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

const ID: i64 = <i64>LIMIT_NODE_ID_SIZE;
/** Most cycles moved from the bank to the u32 fuel counter at a time (execute). */
const FUEL_CHUNK: u64 = 0x40000000;
const KEY_MAX: i64 = <i64>LIMIT_MAX_KEY_SIZE;

/** SPEC §2: 0 <= a, 0 <= n, a + n <= max_memory, computed without wrap-around. */
@inline function inRange(a: i64, n: i64, m: u64): bool {
  return <u64>a <= m && <u64>n <= m - <u64>a;
}

/** SPEC §10: base + per * ceil(n / unit); n <= max_memory here. */
@inline function sized(base: u32, per: u32, unit: u32, n: i64): u64 {
  return <u64>base + <u64>per * ((<u64>n + <u64>unit - 1) / <u64>unit);
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

/** Runs the validated job's function to its end. */
export function execute(): void {
  const maxMem = <u64>job.maxMemory;
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

  let ip: usize = codeBase + <usize>job.entry;
  let csp: usize = CSTACK;
  // Cycles left = fuel + bank. Instructions pay from `fuel`, a u32 (one compare
  // and one subtract on a 32-bit core, where a u64 counter costs several);
  // `bank` holds the rest. When fuel runs short the instruction traps
  // OUT_OF_CYCLES as usual, and the trap path below refills fuel from the bank
  // and runs the instruction again: every check before the GAS phase is
  // read-only, so the retry is exact. Only with the bank empty is it a trap.
  let bank: u64 = job.maxCycles;
  let fuel: u32 = 0;
  let st: i32 = STATUS_TRAP;
  let t: i64 = 0;

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
        if (sp >= DSTACK_END) { t = TRAP_STACK_OVERFLOW; break; }
        if (fuel < COST_PUSH) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_PUSH;
        const n = <usize>load<u8>(ip + 1);
        let v: i64 = 0;
        if (n != 0) {
          const sh = <i64>(64 - (n << 3));
          v = (load<i64>(ip + 2) << sh) >> sh;
        }
        store<i64>(sp, v);
        sp += 8;
        ip += 2 + n;
        continue;
      }
      case OP_POP: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_POP) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_POP;
        sp -= 8;
        ip += 1;
        continue;
      }
      case OP_DUP: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        if (sp >= DSTACK_END) { t = TRAP_STACK_OVERFLOW; break; }
        if (fuel < COST_DUP) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_DUP;
        store<i64>(sp, load<i64>(sp - 8));
        sp += 8;
        ip += 1;
        continue;
      }
      case OP_SWAP: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_SWAP) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_SWAP;
        const b = load<i64>(sp - 8);
        store<i64>(sp - 8, load<i64>(sp - 16));
        store<i64>(sp - 16, b);
        ip += 1;
        continue;
      }
      case OP_OVER: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (sp >= DSTACK_END) { t = TRAP_STACK_OVERFLOW; break; }
        if (fuel < COST_OVER) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_OVER;
        store<i64>(sp, load<i64>(sp - 16));
        sp += 8;
        ip += 1;
        continue;
      }
      case OP_ROT: {
        if (sp < DSTACK + 24) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_ROT) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_ROT;
        const a = load<i64>(sp - 24);
        store<i64>(sp - 24, load<i64>(sp - 16));
        store<i64>(sp - 16, load<i64>(sp - 8));
        store<i64>(sp - 8, a);
        ip += 1;
        continue;
      }
      // ------------------------------------------------------------ arithmetic
      case OP_ADD: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_ADD) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_ADD;
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        const r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) { t = TRAP_INTEGER_OVERFLOW; break; }
        sp -= 8;
        store<i64>(sp - 8, r);
        ip += 1;
        continue;
      }
      case OP_SUB: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_SUB) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_SUB;
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        const r = a - b;
        if (((a ^ b) & (a ^ r)) < 0) { t = TRAP_INTEGER_OVERFLOW; break; }
        sp -= 8;
        store<i64>(sp - 8, r);
        ip += 1;
        continue;
      }
      case OP_MUL: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_MUL) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_MUL;
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
        ip += 1;
        continue;
      }
      case OP_DIV: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_DIV) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_DIV;
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        if (b == 0) { t = TRAP_DIVISION_BY_ZERO; break; }
        if (b == -1 && a == i64.MIN_VALUE) { t = TRAP_INTEGER_OVERFLOW; break; }
        sp -= 8;
        store<i64>(sp - 8, a / b);
        ip += 1;
        continue;
      }
      case OP_MOD: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_MOD) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_MOD;
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        if (b == 0) { t = TRAP_DIVISION_BY_ZERO; break; }
        sp -= 8;
        store<i64>(sp - 8, b == -1 ? 0 : a % b);
        ip += 1;
        continue;
      }
      case OP_NEG: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_NEG) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_NEG;
        const a = load<i64>(sp - 8);
        if (a == i64.MIN_VALUE) { t = TRAP_INTEGER_OVERFLOW; break; }
        store<i64>(sp - 8, -a);
        ip += 1;
        continue;
      }
      case OP_ABS: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_ABS) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_ABS;
        const a = load<i64>(sp - 8);
        if (a == i64.MIN_VALUE) { t = TRAP_INTEGER_OVERFLOW; break; }
        store<i64>(sp - 8, a < 0 ? -a : a);
        ip += 1;
        continue;
      }
      case OP_MIN: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_MIN) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_MIN;
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        sp -= 8;
        store<i64>(sp - 8, a < b ? a : b);
        ip += 1;
        continue;
      }
      case OP_MAX: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_MAX) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_MAX;
        const b = load<i64>(sp - 8);
        const a = load<i64>(sp - 16);
        sp -= 8;
        store<i64>(sp - 8, a > b ? a : b);
        ip += 1;
        continue;
      }
      // ------------------------------------------------------------ bitwise
      case OP_AND: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_AND) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_AND;
        sp -= 8;
        store<i64>(sp - 8, load<i64>(sp - 8) & load<i64>(sp));
        ip += 1;
        continue;
      }
      case OP_OR: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_OR) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_OR;
        sp -= 8;
        store<i64>(sp - 8, load<i64>(sp - 8) | load<i64>(sp));
        ip += 1;
        continue;
      }
      case OP_XOR: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_XOR) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_XOR;
        sp -= 8;
        store<i64>(sp - 8, load<i64>(sp - 8) ^ load<i64>(sp));
        ip += 1;
        continue;
      }
      case OP_NOT: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_NOT) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_NOT;
        store<i64>(sp - 8, ~load<i64>(sp - 8));
        ip += 1;
        continue;
      }
      case OP_SHL: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_SHL) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_SHL;
        const n = load<i64>(sp - 8);
        if (<u64>n > 63) { t = TRAP_SHIFT_OUT_OF_RANGE; break; }
        sp -= 8;
        store<i64>(sp - 8, load<i64>(sp - 8) << n);
        ip += 1;
        continue;
      }
      case OP_SHR: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_SHR) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_SHR;
        const n = load<i64>(sp - 8);
        if (<u64>n > 63) { t = TRAP_SHIFT_OUT_OF_RANGE; break; }
        sp -= 8;
        store<i64>(sp - 8, <i64>(<u64>load<i64>(sp - 8) >> <u64>n));
        ip += 1;
        continue;
      }
      // ------------------------------------------------------------ comparison
      case OP_EQ: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_EQ) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_EQ;
        sp -= 8;
        store<i64>(sp - 8, <i64>(load<i64>(sp - 8) == load<i64>(sp)));
        ip += 1;
        continue;
      }
      case OP_NEQ: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_NEQ) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_NEQ;
        sp -= 8;
        store<i64>(sp - 8, <i64>(load<i64>(sp - 8) != load<i64>(sp)));
        ip += 1;
        continue;
      }
      case OP_LT: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_LT) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_LT;
        sp -= 8;
        store<i64>(sp - 8, <i64>(load<i64>(sp - 8) < load<i64>(sp)));
        ip += 1;
        continue;
      }
      case OP_GT: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_GT) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_GT;
        sp -= 8;
        store<i64>(sp - 8, <i64>(load<i64>(sp - 8) > load<i64>(sp)));
        ip += 1;
        continue;
      }
      case OP_LTE: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_LTE) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_LTE;
        sp -= 8;
        store<i64>(sp - 8, <i64>(load<i64>(sp - 8) <= load<i64>(sp)));
        ip += 1;
        continue;
      }
      case OP_GTE: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_GTE) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_GTE;
        sp -= 8;
        store<i64>(sp - 8, <i64>(load<i64>(sp - 8) >= load<i64>(sp)));
        ip += 1;
        continue;
      }
      // ------------------------------------------------------------ control
      case OP_JMP: {
        if (fuel < COST_JMP) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_JMP;
        ip = codeBase + <usize>load<u16>(ip + 1);
        continue;
      }
      case OP_JZ: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_JZ) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_JZ;
        sp -= 8;
        ip = load<i64>(sp) == 0 ? codeBase + <usize>load<u16>(ip + 1) : ip + 3;
        continue;
      }
      case OP_JNZ: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_JNZ) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_JNZ;
        sp -= 8;
        ip = load<i64>(sp) != 0 ? codeBase + <usize>load<u16>(ip + 1) : ip + 3;
        continue;
      }
      case OP_CALL: {
        if (csp >= CSTACK_END) { t = TRAP_CALL_DEPTH_EXCEEDED; break; }
        if (fuel < COST_CALL) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_CALL;
        store<u32>(csp, <u32>(ip + 3));
        csp += 4;
        ip = codeBase + <usize>load<u16>(ip + 1);
        continue;
      }
      case OP_RET: {
        if (csp == CSTACK) { t = TRAP_RETURN_WITHOUT_CALL; break; }
        if (fuel < COST_RET) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_RET;
        csp -= 4;
        ip = <usize>load<u32>(csp);
        continue;
      }
      case OP_HALT: {
        const n = <usize>job.rets << 3;
        if (sp < DSTACK + n) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_HALT) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_HALT;
        retPtr = sp - n;
        st = STATUS_HALT;
        break;
      }
      case OP_ABORT: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        if (fuel < COST_ABORT) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_ABORT;
        t = load<i64>(sp - 8);
        st = STATUS_ABORT;
        break;
      }
      // ------------------------------------------------------------ crypto
      case OP_HASH: {
        if (sp < DSTACK + 24) { t = TRAP_STACK_UNDERFLOW; break; }
        const dst = load<i64>(sp - 8);
        const len = load<i64>(sp - 16);
        const src = load<i64>(sp - 24);
        if (!inRange(src, len, maxMem) || !inRange(dst, <i64>LIMIT_HASH_SIZE, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        const cost = sized(COST_HASH, COST_HASH_PER, COST_HASH_UNIT, len);
        if (<u64>fuel < cost) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= <u32>cost;
        blake3Hash(MEMORY + <usize>src, <u32>len, DIGEST_TMP);
        memory.copy(MEMORY + <usize>dst, DIGEST_TMP, <usize>LIMIT_HASH_SIZE);
        sp -= 24;
        ip += 1;
        continue;
      }
      case OP_VERIFY_SIG: {
        if (sp < DSTACK + 32) { t = TRAP_STACK_UNDERFLOW; break; }
        const sig = load<i64>(sp - 8);
        const len = load<i64>(sp - 16);
        const msg = load<i64>(sp - 24);
        const pk = load<i64>(sp - 32);
        if (!inRange(pk, <i64>LIMIT_PUBKEY_SIZE, maxMem) || !inRange(msg, len, maxMem) || !inRange(sig, <i64>LIMIT_SIGNATURE_SIZE, maxMem)) {
          t = TRAP_MEMORY_OUT_OF_BOUNDS; break;
        }
        const cost = sized(COST_VERIFY_SIG, COST_VERIFY_SIG_PER, COST_VERIFY_SIG_UNIT, len);
        if (<u64>fuel < cost) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= <u32>cost;
        const ok = ed25519Verify(MEMORY + <usize>pk, MEMORY + <usize>msg, <u32>len, MEMORY + <usize>sig);
        sp -= 24;
        store<i64>(sp - 8, ok ? 1 : 0);
        ip += 1;
        continue;
      }
      case OP_VERIFY_VRF: {
        if (sp < DSTACK + 40) { t = TRAP_STACK_UNDERFLOW; break; }
        const dst = load<i64>(sp - 8);
        const proof = load<i64>(sp - 16);
        const len = load<i64>(sp - 24);
        const alpha = load<i64>(sp - 32);
        const pk = load<i64>(sp - 40);
        if (!inRange(pk, <i64>LIMIT_PUBKEY_SIZE, maxMem) || !inRange(alpha, len, maxMem) ||
            !inRange(proof, <i64>LIMIT_VRF_PROOF_SIZE, maxMem) || !inRange(dst, <i64>LIMIT_VRF_OUTPUT_SIZE, maxMem)) {
          t = TRAP_MEMORY_OUT_OF_BOUNDS; break;
        }
        const cost = sized(COST_VERIFY_VRF, COST_VERIFY_VRF_PER, COST_VERIFY_VRF_UNIT, len);
        if (<u64>fuel < cost) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= <u32>cost;
        const ok = ecvrfVerify(MEMORY + <usize>pk, MEMORY + <usize>alpha, <u32>len, MEMORY + <usize>proof, BETA_TMP);
        if (ok) memory.copy(MEMORY + <usize>dst, BETA_TMP, <usize>LIMIT_VRF_OUTPUT_SIZE);
        sp -= 32;
        store<i64>(sp - 8, ok ? 1 : 0);
        ip += 1;
        continue;
      }
      // ------------------------------------------------------------ system
      case OP_BALANCE: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        const id = load<i64>(sp - 8);
        if (!inRange(id, ID, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        if (fuel < COST_BALANCE) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_BALANCE;
        store<i64>(sp - 8, balanceOf(MEMORY + <usize>id));
        ip += 1;
        continue;
      }
      case OP_SENDER: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        const dst = load<i64>(sp - 8);
        if (!inRange(dst, ID, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        if (fuel < COST_SENDER) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_SENDER;
        memory.copy(MEMORY + <usize>dst, job.sender, <usize>ID);
        sp -= 8;
        ip += 1;
        continue;
      }
      case OP_SELF: {
        if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
        const dst = load<i64>(sp - 8);
        if (!inRange(dst, ID, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        if (fuel < COST_SELF) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_SELF;
        memory.copy(MEMORY + <usize>dst, job.selfId, <usize>ID);
        sp -= 8;
        ip += 1;
        continue;
      }
      case OP_EPOCH: {
        if (sp >= DSTACK_END) { t = TRAP_STACK_OVERFLOW; break; }
        if (fuel < COST_EPOCH) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_EPOCH;
        store<i64>(sp, job.epoch);
        sp += 8;
        ip += 1;
        continue;
      }
      case OP_TRANSFER: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        const amount = load<i64>(sp - 8);
        const to = load<i64>(sp - 16);
        if (!inRange(to, ID, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        if (amount <= 0) { t = TRAP_INVALID_AMOUNT; break; }
        if (fuel < COST_TRANSFER) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_TRANSFER;
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
        ip += 1;
        continue;
      }
      case OP_LOG: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        const len = load<i64>(sp - 8);
        const src = load<i64>(sp - 16);
        if (!inRange(src, len, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        const cost = sized(COST_LOG, COST_LOG_PER, COST_LOG_UNIT, len);
        if (<u64>fuel < cost) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= <u32>cost;
        if (logCount >= <u32>LIMIT_MAX_LOGS || <u64>logBytes + <u64>len > <u64>LIMIT_MAX_LOG_BYTES) { t = TRAP_LOG_LIMIT_EXCEEDED; break; }
        memory.copy(LOG_BUF + <usize>logBytes, MEMORY + <usize>src, <usize>len);
        store<u16>(LOG_LENS + (<usize>logCount << 1), <u16>len);
        logCount++;
        logBytes += <u32>len;
        sp -= 16;
        ip += 1;
        continue;
      }
      case OP_EMIT: {
        if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
        const len = load<i64>(sp - 8);
        const src = load<i64>(sp - 16);
        if (!inRange(src, len, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
        const cost = sized(COST_EMIT, COST_EMIT_PER, COST_EMIT_UNIT, len);
        if (<u64>fuel < cost) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= <u32>cost;
        if (<u64>outLen + <u64>len > <u64>LIMIT_MAX_OUTPUT) { t = TRAP_OUTPUT_LIMIT_EXCEEDED; break; }
        memory.copy(OUTPUT + <usize>outLen, MEMORY + <usize>src, <usize>len);
        outLen += <u32>len;
        sp -= 16;
        ip += 1;
        continue;
      }
      case OP_MSIZE: {
        if (sp >= DSTACK_END) { t = TRAP_STACK_OVERFLOW; break; }
        if (fuel < COST_MSIZE) { t = TRAP_OUT_OF_CYCLES; break; }
        fuel -= COST_MSIZE;
        store<i64>(sp, <i64>maxMem);
        sp += 8;
        ip += 1;
        continue;
      }
      case OP_LOAD: {
        switch (<u32>load<u8>(ip + 1)) {
          case SPACE_M8: {
            if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 1, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (fuel < COST_LOAD_M8) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= COST_LOAD_M8;
            store<i64>(sp - 8, <i64>load<u8>(MEMORY + <usize>addr));
            ip += 2;
            continue;
          }
          case SPACE_M16: {
            if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 2, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (fuel < COST_LOAD_M16) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= COST_LOAD_M16;
            store<i64>(sp - 8, <i64>load<u16>(MEMORY + <usize>addr));
            ip += 2;
            continue;
          }
          case SPACE_M32: {
            if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 4, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (fuel < COST_LOAD_M32) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= COST_LOAD_M32;
            store<i64>(sp - 8, <i64>load<u32>(MEMORY + <usize>addr));
            ip += 2;
            continue;
          }
          case SPACE_M64: {
            if (sp < DSTACK + 8) { t = TRAP_STACK_UNDERFLOW; break; }
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 8, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (fuel < COST_LOAD_M64) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= COST_LOAD_M64;
            store<i64>(sp - 8, load<i64>(MEMORY + <usize>addr));
            ip += 2;
            continue;
          }
          case SPACE_STATE: {
            if (sp < DSTACK + 32) { t = TRAP_STACK_UNDERFLOW; break; }
            const cap = load<i64>(sp - 8);
            const dst = load<i64>(sp - 16);
            const klen = load<i64>(sp - 24);
            const key = load<i64>(sp - 32);
            if (!inRange(key, klen, maxMem) || !inRange(dst, cap, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (klen < 1 || klen > KEY_MAX) { t = TRAP_INVALID_STATE_KEY; break; }
            const cost = sized(COST_LOAD_STATE, COST_LOAD_STATE_PER, COST_LOAD_STATE_UNIT, klen + cap);
            if (<u64>fuel < cost) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= <u32>cost;
            const at = state.find(MEMORY + <usize>key, <usize>klen);
            let r: i64 = -1;
            if (at >= 0) {
              const vl = state.valueLen(<u32>at);
              memory.copy(MEMORY + <usize>dst, state.valuePtr(<u32>at), vl < <usize>cap ? vl : <usize>cap);
              r = <i64>vl;
            }
            sp -= 24;
            store<i64>(sp - 8, r);
            ip += 2;
            continue;
          }
          case SPACE_INLEN: {
            if (sp >= DSTACK_END) { t = TRAP_STACK_OVERFLOW; break; }
            if (fuel < COST_LOAD_INLEN) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= COST_LOAD_INLEN;
            store<i64>(sp, <i64>job.inputLen);
            sp += 8;
            ip += 2;
            continue;
          }
          default: { t = TRAP_END_OF_CODE; break; } // not reached: spaces are validated
        }
        break;
      }
      case OP_STORE: {
        switch (<u32>load<u8>(ip + 1)) {
          case SPACE_M8: {
            if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 1, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (fuel < COST_STORE_M8) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= COST_STORE_M8;
            const v = load<i64>(sp - 16);
            store<u8>(MEMORY + <usize>addr, <u8>v);
            sp -= 16;
            ip += 2;
            continue;
          }
          case SPACE_M16: {
            if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 2, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (fuel < COST_STORE_M16) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= COST_STORE_M16;
            const v = load<i64>(sp - 16);
            store<u16>(MEMORY + <usize>addr, <u16>v);
            sp -= 16;
            ip += 2;
            continue;
          }
          case SPACE_M32: {
            if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 4, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (fuel < COST_STORE_M32) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= COST_STORE_M32;
            const v = load<i64>(sp - 16);
            store<u32>(MEMORY + <usize>addr, <u32>v);
            sp -= 16;
            ip += 2;
            continue;
          }
          case SPACE_M64: {
            if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
            const addr = load<i64>(sp - 8);
            if (!inRange(addr, 8, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (fuel < COST_STORE_M64) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= COST_STORE_M64;
            const v = load<i64>(sp - 16);
            store<i64>(MEMORY + <usize>addr, v);
            sp -= 16;
            ip += 2;
            continue;
          }
          case SPACE_STATE: {
            if (sp < DSTACK + 32) { t = TRAP_STACK_UNDERFLOW; break; }
            const vlen = load<i64>(sp - 8);
            const val = load<i64>(sp - 16);
            const klen = load<i64>(sp - 24);
            const key = load<i64>(sp - 32);
            if (!inRange(key, klen, maxMem) || !inRange(val, vlen, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (klen < 1 || klen > KEY_MAX) { t = TRAP_INVALID_STATE_KEY; break; }
            const cost = sized(COST_STORE_STATE, COST_STORE_STATE_PER, COST_STORE_STATE_UNIT, klen + vlen);
            if (<u64>fuel < cost) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= <u32>cost;
            const kp = MEMORY + <usize>key;
            const at = state.find(kp, <usize>klen);
            const old: u64 = at >= 0 ? <u64>state.entrySize(<u32>at) : 0;
            const size = <u64>state.used - old + <u64>LIMIT_STATE_ENTRY_OVERHEAD + <u64>klen + <u64>vlen;
            if (size > <u64>job.maxState) { t = TRAP_STATE_LIMIT_EXCEEDED; break; }
            state.put(at, kp, <usize>klen, MEMORY + <usize>val, <usize>vlen);
            sp -= 32;
            ip += 2;
            continue;
          }
          case SPACE_DEL: {
            if (sp < DSTACK + 16) { t = TRAP_STACK_UNDERFLOW; break; }
            const klen = load<i64>(sp - 8);
            const key = load<i64>(sp - 16);
            if (!inRange(key, klen, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            if (klen < 1 || klen > KEY_MAX) { t = TRAP_INVALID_STATE_KEY; break; }
            const cost = sized(COST_STORE_DEL, COST_STORE_DEL_PER, COST_STORE_DEL_UNIT, klen);
            if (<u64>fuel < cost) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= <u32>cost;
            const at = state.find(MEMORY + <usize>key, <usize>klen);
            if (at >= 0) state.removeAt(<u32>at);
            sp -= 16;
            ip += 2;
            continue;
          }
          case SPACE_COPY: {
            if (sp < DSTACK + 24) { t = TRAP_STACK_UNDERFLOW; break; }
            const len = load<i64>(sp - 8);
            const src = load<i64>(sp - 16);
            const dst = load<i64>(sp - 24);
            if (!inRange(src, len, maxMem) || !inRange(dst, len, maxMem)) { t = TRAP_MEMORY_OUT_OF_BOUNDS; break; }
            const cost = sized(COST_STORE_COPY, COST_STORE_COPY_PER, COST_STORE_COPY_UNIT, len);
            if (<u64>fuel < cost) { t = TRAP_OUT_OF_CYCLES; break; }
            fuel -= <u32>cost;
            memory.copy(MEMORY + <usize>dst, MEMORY + <usize>src, <usize>len);
            sp -= 24;
            ip += 2;
            continue;
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
    if (t != TRAP_OUT_OF_CYCLES || st != STATUS_TRAP || bank == 0) break;
    const m = bank < FUEL_CHUNK ? bank : FUEL_CHUNK;
    fuel += <u32>m; // fuel < cost < 2^31 here: no wrap
    bank -= m;
    t = 0;
  }

  store<u8>(codeEnd, saved);
  status = st;
  code = st == STATUS_HALT ? 0 : t;
  cycles = job.maxCycles - (bank + <u64>fuel);
}
