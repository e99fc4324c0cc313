/**
 * Every failure of the SecretShared tier is a ShamirError carrying one code of
 * spec/private-protocol.json (group "shamir"), so the node can put the number
 * into an ABORT message or a job result without parsing text.
 */
import { ShamirErrorCode as Code, SHAMIR_ERROR_NAMES, type ShamirErrorName } from "../../generated/private-protocol.ts";
import { CodedError } from "../../model/coded-error.ts";

export { Code as ShamirCode };
export type { ShamirErrorName };

export class ShamirError extends CodedError<ShamirErrorName> {
  constructor(codeName: ShamirErrorName, detail: string) {
    super(codeName, detail, Code);
    this.name = "ShamirError";
  }
}

export function fail(codeName: ShamirErrorName, detail: string): never {
  throw new ShamirError(codeName, detail);
}

export function codeName(code: number): ShamirErrorName | undefined {
  return SHAMIR_ERROR_NAMES[code];
}
