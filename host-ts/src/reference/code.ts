/**
 * Code (SPEC §5.1): one instruction is an opcode byte followed by its
 * immediate. `decodeInstruction` reads one instruction exactly as SPEC §7
 * step 9 scans it, reporting the first problem found; the validated program
 * keeps every decoded instruction by its offset so that execution never
 * re-reads immediates.
 */
import { ErrorCode, OP_BY_BYTE, SPACES, type OpInfo, type SpaceInfo } from "../generated/opcodes.ts";

export interface Instruction {
  /** Offset of the opcode byte. */
  readonly offset: number;
  readonly op: OpInfo;
  /** The cost and handler key: the mnemonic, or `LOAD.space` / `STORE.space` (e.g. `LOAD.m8`). */
  readonly key: string;
  /** PUSH: the immediate value (0 otherwise). */
  readonly value: bigint;
  /** JMP, JZ, JNZ, CALL: the target offset (-1 otherwise). */
  readonly target: number;
  /** LOAD, STORE: the space (undefined otherwise). */
  readonly space: SpaceInfo | undefined;
  /** Offset of the next instruction (may equal the code length). */
  readonly next: number;
}

/** Validated code: every instruction, in order and by offset. */
export interface Program {
  readonly code: Uint8Array;
  readonly instructions: readonly Instruction[];
  /** `at[offset]` is the instruction starting at `offset`, undefined inside an instruction. */
  readonly at: readonly (Instruction | undefined)[];
}

export type Decoded =
  | { readonly ok: true; readonly instruction: Instruction }
  | { readonly ok: false; readonly error: number };

const SPACE_BY_BYTE: ReadonlyMap<number, SpaceInfo> = new Map(SPACES.map((s) => [s.byte, s]));

/** True if the signed value `v` has an `n`-byte two's-complement encoding (0 bytes encode only 0). */
export function fitsInBytes(v: bigint, n: number): boolean {
  if (n === 0) return v === 0n;
  const half = 1n << BigInt(8 * n - 1);
  return v >= -half && v < half;
}

/** The `n` bytes at `code[at..]`, little-endian two's complement, sign-extended to 64 bits. */
export function readSignedLE(code: Uint8Array, at: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(code[at + i]);
  return n === 0 ? 0n : BigInt.asIntN(8 * n, v);
}

/** Decodes the instruction at `offset` (SPEC §5.1, checked in the order of SPEC §7 step 9). */
export function decodeInstruction(code: Uint8Array, offset: number): Decoded {
  const fail = (error: number): Decoded => ({ ok: false, error });
  const op = OP_BY_BYTE.get(code[offset]);
  if (op === undefined) return fail(ErrorCode.UNKNOWN_OPCODE);
  const base = { offset, op, key: op.mnemonic as string, value: 0n, target: -1, space: undefined as SpaceInfo | undefined };
  switch (op.immediate) {
    case "none":
      return { ok: true, instruction: { ...base, next: offset + 1 } };
    case "push": {
      // The length byte, then n (0..8) value bytes, minimal.
      if (offset + 1 >= code.length) return fail(ErrorCode.TRUNCATED_IMMEDIATE);
      const n = code[offset + 1];
      if (n > 8) return fail(ErrorCode.BAD_IMMEDIATE);
      if (offset + 2 + n > code.length) return fail(ErrorCode.TRUNCATED_IMMEDIATE);
      const value = readSignedLE(code, offset + 2, n);
      if (n > 0 && fitsInBytes(value, n - 1)) return fail(ErrorCode.BAD_IMMEDIATE);
      return { ok: true, instruction: { ...base, value, next: offset + 2 + n } };
    }
    case "target": {
      // A u16 little-endian absolute offset (whether it is an instruction start is step 10).
      if (offset + 3 > code.length) return fail(ErrorCode.TRUNCATED_IMMEDIATE);
      const target = code[offset + 1] | (code[offset + 2] << 8);
      return { ok: true, instruction: { ...base, target, next: offset + 3 } };
    }
    case "space": {
      // One byte naming a space defined for this opcode (SPEC §9.7).
      if (offset + 2 > code.length) return fail(ErrorCode.TRUNCATED_IMMEDIATE);
      const space = SPACE_BY_BYTE.get(code[offset + 1]);
      const defined = space !== undefined && (op.mnemonic === "LOAD" ? space.LOAD : space.STORE) !== undefined;
      if (!defined) return fail(ErrorCode.BAD_IMMEDIATE);
      return { ok: true, instruction: { ...base, key: `${op.mnemonic}.${space.name}`, space, next: offset + 2 } };
    }
  }
}

/**
 * SPEC §7 steps 9 and 10: scan the code from offset 0, then check every
 * target. Returns the program, or the first error code with the offset of the
 * instruction it concerns.
 */
export function decodeProgram(code: Uint8Array): { ok: true; program: Program } | { ok: false; error: number; offset: number } {
  // Step 9: one instruction at a time, stopping at the first problem.
  const instructions: Instruction[] = [];
  const at: (Instruction | undefined)[] = new Array<Instruction | undefined>(code.length).fill(undefined);
  for (let offset = 0; offset < code.length; ) {
    const d = decodeInstruction(code, offset);
    if (!d.ok) return { ok: false, error: d.error, offset };
    instructions.push(d.instruction);
    at[offset] = d.instruction;
    offset = d.instruction.next;
  }
  // Step 10: every target is an instruction start.
  for (const ins of instructions) {
    if (ins.op.immediate === "target" && !(ins.target < code.length && at[ins.target] !== undefined)) return { ok: false, error: ErrorCode.BAD_JUMP_TARGET, offset: ins.offset };
  }
  return { ok: true, program: { code, instructions, at } };
}

/** True if `offset` is the start of an instruction of the program. */
export function isInstructionStart(program: Program, offset: number | bigint): boolean {
  const o = Number(offset);
  return Number.isInteger(o) && o >= 0 && o < program.at.length && program.at[o] !== undefined;
}
