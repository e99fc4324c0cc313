/**
 * Refusals of the combinations (docs/PRIVATE.md, "Combinations"): a
 * CombinedError carries a code of the "combined" group of
 * spec/private-protocol.json. The combinations also pass on the errors of
 * the tiers they are made of (SplitProtocolError, ShamirError, TeeError), each
 * with its own group's code; `privateErrorCode` reads the code of any of them,
 * so a node can put one number into a job result.
 */
import { CombinedErrorCode, COMBINED_ERROR_NAMES, type CombinedErrorName } from "../../generated/private-protocol.ts";
import { SplitProtocolError } from "../split/messages.ts";
import { ShamirError } from "../shamir/errors.ts";
import { TeeError } from "../attestation/errors.ts";
import { CodedError } from "../../model/coded-error.ts";

export class CombinedError extends CodedError<CombinedErrorName> {
  constructor(codeName: CombinedErrorName, detail: string) {
    super(codeName, detail, CombinedErrorCode);
    this.name = "CombinedError";
  }
}

export function combinedFail(codeName: CombinedErrorName, detail: string): never {
  throw new CombinedError(codeName, detail);
}

/** The name of a combined code, or undefined for a code of another group. */
export function combinedCodeName(code: number): CombinedErrorName | undefined {
  return COMBINED_ERROR_NAMES[code];
}

export type PrivateTierOfError = "split" | "shamir" | "tee" | "combined";

/** The documented code (and its group) of an error thrown by a private tier or a combination; undefined for anything else. */
export function privateErrorCode(e: unknown): { readonly group: PrivateTierOfError; readonly code: number } | undefined {
  if (e instanceof CombinedError) return { group: "combined", code: e.code };
  if (e instanceof SplitProtocolError) return { group: "split", code: e.code };
  if (e instanceof ShamirError) return { group: "shamir", code: e.code };
  if (e instanceof TeeError) return { group: "tee", code: e.code };
  return undefined;
}
