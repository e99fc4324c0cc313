/**
 * Every failure of the SecretShared tier is a ShamirError carrying one code of
 * spec/private-protocol.json (group "shamir"), so the node can put the number
 * into an ABORT message or a job result without parsing text.
 */
import { ShamirErrorCode as Code, SHAMIR_ERROR_NAMES, type ShamirErrorName } from "../../generated/private-protocol.ts";

export { Code as ShamirCode };
export type { ShamirErrorName };

export class ShamirError extends Error {
  readonly code: number;
  constructor(readonly codeName: ShamirErrorName, detail: string) {
    super(`${codeName}: ${detail}`);
    this.name = "ShamirError";
    this.code = Code[codeName];
  }
}

export function fail(codeName: ShamirErrorName, detail: string): never {
  throw new ShamirError(codeName, detail);
}

export function codeName(code: number): ShamirErrorName | undefined {
  return SHAMIR_ERROR_NAMES[code];
}
