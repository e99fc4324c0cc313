/**
 * A UserError is an expected failure caused by the user's input or environment
 * (bad file, corrupt bytes, no serial port). The CLI prints its message on one
 * line and exits with its code; anything else is a bug and shows a stack trace
 * only when MHR_DEBUG is set.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = "UserError";
  }
}
