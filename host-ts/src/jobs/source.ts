/**
 * Assembly source as users hand it over: bytes from a file, decoded as strict
 * UTF-8, assembled, and refused with the validator's own error name and the
 * source line whenever load-time validation (SPEC §7 steps 5–11, the same
 * code the reference runs) would reject the contract it describes. So
 * `mhr asm` never writes a package that every engine rejects as INVALID.
 */
import { assemble, assembleDetailed, disassemble, AsmError, type AssembleOptions, type Assembled, type SourceMap } from "../asm/index.ts";
import { encodeContract, hash32 } from "../model/codec.ts";
import { equalBytes } from "../model/bytes.ts";
import type { Contract } from "../model/types.ts";
import { ERRORCODE_NAMES, Limit } from "../generated/opcodes.ts";
import { validateContract, type ContractFault } from "../reference/index.ts";
import { UserError } from "../model/errors.ts";

const BOM = [0xef, 0xbb, 0xbf];

/** The offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= n; k++) {
      const x = b[i + k];
      if (x === undefined || x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/**
 * Source bytes as text: a UTF-8 byte-order mark at the start is dropped (some
 * editors write one), and invalid UTF-8 is an error naming its line and byte
 * offset instead of becoming U+FFFD inside a name or a string.
 */
export function decodeSourceText(bytes: Uint8Array, what: string): string {
  const body = BOM.every((x, i) => bytes[i] === x) ? bytes.subarray(3) : bytes;
  const bad = firstInvalidUtf8(body);
  if (bad >= 0) {
    const at = bad + (body === bytes ? 0 : 3);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    throw new UserError(`${what}: line ${line}: invalid UTF-8 at byte offset ${at} (0x${bytes[at].toString(16).padStart(2, "0")}); save the file as UTF-8`);
  }
  return new TextDecoder("utf-8").decode(body);
}

/** The source line a validation fault points at. */
function lineOf(fault: ContractFault, map: SourceMap): number {
  switch (fault.part) {
    case "maxMemory": case "maxCycles": case "maxStateSize":
      return map.limits[fault.part] ?? 1;
    case "instruction":
      return map.code.find((c) => fault.offset >= c.offset && fault.offset < c.offset + c.size)?.line ?? map.lastLine;
    case "code": {
      // Too long: the piece that crosses the limit; empty: the last line.
      const crossing = map.code.find((c) => c.offset + c.size > Limit.MAX_CODE_SIZE);
      return crossing?.line ?? map.lastLine;
    }
    case "function":
      return map.functions[fault.index] ?? map.lastLine;
    case "functions":
      return map.functions[Math.min(map.functions.length - 1, Limit.MAX_FUNCTIONS)] ?? map.lastLine;
    default:
      return 1;
  }
}

/** Assembles and runs the contract checks of load-time validation on the result; throws AsmError on the line at fault. */
export function assembleChecked(source: string, options: AssembleOptions = {}): Assembled {
  const out = assembleDetailed(source, options);
  const check = validateContract(out.contract);
  if (!check.ok) {
    const name = ERRORCODE_NAMES[check.error] ?? `error ${check.error}`;
    throw new AsmError(`${name}: ${check.detail} (every engine would reject this contract as INVALID)`, lineOf(check.fault, out.source));
  }
  return out;
}

export interface Disassembly {
  text: string;
  /** Why the text does not re-assemble to the same contract bytes; absent when it does. */
  roundTripProblem?: string;
}

/**
 * Disassembles a contract and checks the promise of `mhr disasm`: that the
 * text re-assembles to the same package. A package whose hash is not
 * Blake3-256 of its code breaks it (the assembler always writes the right
 * hash), and so would anything else the disassembler cannot express.
 */
export function disassembleChecked(contract: Contract): Disassembly {
  const text = disassemble(contract);
  if (!equalBytes(contract.hash, hash32(contract.code))) {
    return { text, roundTripProblem: "the package's hash is not Blake3-256 of its code (every engine rejects it as HASH_MISMATCH); the source re-assembles to a different, valid hash" };
  }
  let again: Uint8Array;
  try {
    again = encodeContract(assemble(text));
  } catch (e) {
    return { text, roundTripProblem: `the source does not re-assemble (${(e as Error).message})` };
  }
  if (!equalBytes(again, encodeContract(contract))) return { text, roundTripProblem: "the source re-assembles to different bytes" };
  return { text };
}
