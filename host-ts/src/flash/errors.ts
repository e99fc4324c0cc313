/**
 * Expected flashing failures. Each has a code a test or script can branch
 * on and a one-line message that says what to do next.
 */
export type FlashErrorCode =
  | "NO_PORT"
  | "PORT_BUSY"
  | "PORT_DENIED"
  | "NO_SYNC"
  | "WRONG_CHIP"
  | "IMAGE_MISSING"
  | "IMAGE_INVALID"
  | "MD5_MISMATCH"
  | "NOT_FLASHABLE"
  | "PROTOCOL";

export interface FlashErrorDetails {
  port?: string;
  offset?: number;
  file?: string;
  expected?: string;
  got?: string;
  availablePorts?: string[];
}

export class FlashError extends Error {
  constructor(
    readonly code: FlashErrorCode,
    message: string,
    readonly details: FlashErrorDetails = {},
  ) {
    super(message.replace(/\s+/g, " ").trim());
    this.name = "FlashError";
  }
}

export function hexOffset(n: number): string {
  return `0x${n.toString(16)}`;
}
