/** Shared by the SecretShared tests: run a built program on the local network and decode. */
import { runLocalSession, type LocalSessionOptions, type LocalSessionResult } from "../../../src/private/shamir/local-network.ts";
import type { BuiltProgram, Decoded, InputValue } from "../../../src/private/shamir/builder.ts";
import { fraction, type Fraction } from "../../../src/private/shamir/fixed-point.ts";
import { expect } from "vitest";

export function runBuilt(
  built: BuiltProgram, values: readonly InputValue[],
  opts: Omit<LocalSessionOptions, "program" | "inputs" | "dealerInputs"> & { dealer1?: readonly InputValue[] } = {},
): { result: LocalSessionResult; decoded: Decoded[] | null } {
  const dealerInputs = opts.dealer1 ? new Map([[1, built.encodeInputs(1, opts.dealer1)]]) : undefined;
  const result = runLocalSession({ ...opts, program: built.program, inputs: built.encodeInputs(0, values), dealerInputs });
  return { result, decoded: result.outcome.status === "done" ? built.decodeOutputs(result.outcome.outputs) : null };
}

export function fixedValues(d: Decoded[] | null): Fraction[] {
  expect(d).not.toBeNull();
  return d!.map((x) => { if (x.kind !== "fixed") throw new Error(`output is ${x.kind}`); return x.value; });
}

/** round(x · 2^s), ties to even, computed independently of the encoder (through exact rationals). */
export function scaled(x: number, s: number): bigint {
  // A double is m · 2^e exactly; Number.prototype.toString is not exact, so split with a DataView.
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, x);
  const hi = dv.getUint32(0), lo = dv.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n, exp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (exp === 0) e = -1074; else { mant |= 1n << 52n; e = exp - 1075; }
  // value · 2^s = mant · 2^(e + s)
  const k = e + s;
  if (k >= 0) return sign * (mant << BigInt(k));
  const den = 1n << BigInt(-k), q = mant / den, r = mant % den, half = den / 2n;
  const rounded = r > half || (r === half && (q & 1n) === 1n) ? q + 1n : q;
  return sign * rounded;
}

export const frac = fraction;
