import { expect } from "vitest";
import { TeeError } from "../../../src/private/attestation/errors.ts";
import type { TeeErrorName } from "../../../src/generated/private-protocol.ts";

/** Runs f and asserts it throws a TeeError with this code name; returns the error. */
export function expectTee(f: () => unknown, code: TeeErrorName): TeeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TeeError);
    expect((e as TeeError).codeName, (e as Error).message).toBe(code);
    return e as TeeError;
  }
  throw new Error(`expected TeeError ${code}, nothing was thrown`);
}

export async function expectTeeAsync(f: () => Promise<unknown>, code: TeeErrorName): Promise<TeeError> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(TeeError);
    expect((e as TeeError).codeName, (e as Error).message).toBe(code);
    return e as TeeError;
  }
  throw new Error(`expected TeeError ${code}, nothing was thrown`);
}
