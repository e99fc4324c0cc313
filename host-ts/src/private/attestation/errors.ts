/**
 * Every refusal in Tier 3 is a TeeError carrying a code from the "tee" group
 * of spec/private-protocol.json, so a node can put the code on the wire
 * (TeeFailure) and a caller can branch on it without parsing messages.
 */
import { TeeErrorCode, TEE_ERROR_NAMES, type TeeErrorName } from "../../generated/private-protocol.ts";
import { CodedError } from "../../model/coded-error.ts";

export class TeeError extends CodedError<TeeErrorName> {
  constructor(codeName: TeeErrorName, detail: string) {
    super(codeName, detail, TeeErrorCode);
    this.name = "TeeError";
  }

  /** The error for a code received on the wire (unknown codes keep their number in the message). */
  static fromCode(code: number, detail: string): TeeError {
    const name = TEE_ERROR_NAMES[code];
    if (name === undefined) return new TeeError("MESSAGE_MALFORMED", `unknown tee error code ${code}: ${detail}`);
    return new TeeError(name, detail);
  }
}

export function teeFail(codeName: TeeErrorName, detail: string): never {
  throw new TeeError(codeName, detail);
}
