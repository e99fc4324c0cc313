/**
 * The instruction table: one handler per opcode, and per space for LOAD and
 * STORE, keyed like the cost table (`ADD`, `LOAD.m8`, ...). SPEC §9–§10.
 */
import type { Instruction } from "../code.ts";
import type { Machine } from "../machine.ts";
import * as arithmetic from "./arithmetic.ts";
import * as bitwise from "./bitwise.ts";
import * as comparison from "./comparison.ts";
import * as control from "./control.ts";
import * as crypto from "./crypto.ts";
import * as memory from "./memory.ts";
import * as stack from "./stack.ts";
import * as storage from "./storage.ts";
import * as system from "./system.ts";

/** Runs one instruction: its five phases (SPEC §8.1). Throws Trap to end the call. */
export type Handler = (m: Machine, ins: Instruction) => void;

export const INSTRUCTIONS: Readonly<Record<string, Handler>> = {
  // §9.1 stack
  PUSH: stack.pushImmediate,
  POP: stack.popValue,
  DUP: stack.dup,
  SWAP: stack.swap,
  OVER: stack.over,
  ROT: stack.rot,
  // §9.2 arithmetic
  ADD: arithmetic.add,
  SUB: arithmetic.sub,
  MUL: arithmetic.mul,
  DIV: arithmetic.div,
  MOD: arithmetic.mod,
  NEG: arithmetic.neg,
  ABS: arithmetic.abs,
  MIN: arithmetic.minimum,
  MAX: arithmetic.maximum,
  // §9.3 bitwise
  AND: bitwise.and,
  OR: bitwise.or,
  XOR: bitwise.xor,
  NOT: bitwise.not,
  SHL: bitwise.shl,
  SHR: bitwise.shr,
  // §9.4 comparison
  EQ: comparison.eq,
  NEQ: comparison.neq,
  LT: comparison.lt,
  GT: comparison.gt,
  LTE: comparison.lte,
  GTE: comparison.gte,
  // §9.5 control
  JMP: control.jmp,
  JZ: control.jz,
  JNZ: control.jnz,
  CALL: control.call,
  RET: control.ret,
  HALT: control.halt,
  ABORT: control.abort,
  // §9.6 crypto
  HASH: crypto.hash,
  VERIFY_SIG: crypto.verifySig,
  VERIFY_VRF: crypto.verifyVrf,
  // §9.7 system
  BALANCE: system.balance,
  SENDER: system.sender,
  SELF: system.self,
  EPOCH: system.epoch,
  TRANSFER: system.transfer,
  LOG: system.log,
  MSIZE: system.msize,
  EMIT: system.emit,
  "LOAD.m8": memory.loadM8,
  "LOAD.m16": memory.loadM16,
  "LOAD.m32": memory.loadM32,
  "LOAD.m64": memory.loadM64,
  "LOAD.state": storage.loadState,
  "LOAD.inlen": memory.loadInlen,
  "STORE.m8": memory.storeM8,
  "STORE.m16": memory.storeM16,
  "STORE.m32": memory.storeM32,
  "STORE.m64": memory.storeM64,
  "STORE.state": storage.storeState,
  "STORE.del": storage.storeDel,
  "STORE.copy": memory.storeCopy,
};
