/**
 * Values (SPEC §2): every stack slot is a signed 64-bit two's-complement
 * integer, held here as a bigint that is always in `MIN..MAX`.
 */
import { Trap, TrapCode } from "./traps.ts";

/** `MIN = -2^63`. */
export const INT64_MIN = -(1n << 63n);
/** `MAX = 2^63 - 1`. */
export const INT64_MAX = (1n << 63n) - 1n;

export function fitsInt64(x: bigint): boolean {
  return x >= INT64_MIN && x <= INT64_MAX;
}

/** The exact result if it fits, else trap INTEGER_OVERFLOW (SPEC §2). */
export function checkedInt64(x: bigint): bigint {
  if (!fitsInt64(x)) throw new Trap(TrapCode.INTEGER_OVERFLOW);
  return x;
}

/** The same 64-bit pattern read as a signed value (wrap-around; for bit operations only). */
export function wrapInt64(x: bigint): bigint {
  return BigInt.asIntN(64, x);
}

/** The 64-bit pattern of a signed value read as unsigned. */
export function toUint64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}

/** `1` for true, `0` for false (SPEC §2: booleans). */
export function bool(b: boolean): bigint {
  return b ? 1n : 0n;
}
