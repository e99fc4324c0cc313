/** ErrorReply (docs/NODE.md §4): the code and one line of detail; unsigned, advisory. */
import type { ErrorReply } from "../../generated/node-protocol.ts";
import { encodeMessage } from "../wire/schema-codec.ts";
import { ProtocolError } from "../wire/protocol-error.ts";

const MAX_DETAIL = 256;

/** Truncates to at most 256 UTF-8 bytes without splitting a character. */
function clip(s: string): string {
  const line = s.replace(/\s+/g, " ").trim();
  if (Buffer.byteLength(line, "utf8") <= MAX_DETAIL) return line;
  let out = "";
  for (const ch of line) {
    if (Buffer.byteLength(out + ch, "utf8") > MAX_DETAIL - 3) break;
    out += ch;
  }
  return out + "...";
}

export function encodeErrorReply(code: number, detail: string, retryAfterMs?: number): Uint8Array {
  const v: ErrorReply = { code, detail: clip(detail) };
  if (retryAfterMs !== undefined) v.retryAfterMs = Math.max(0, Math.min(0xffffffff, Math.ceil(retryAfterMs)));
  return encodeMessage("ErrorReply", v);
}

export function errorReplyFrom(e: ProtocolError): Uint8Array {
  return encodeErrorReply(e.code, e.message, e.retryAfterMs);
}

/** A peer's ErrorReply, raised on the requesting side. */
export class PeerError extends ProtocolError {
  constructor(code: number, detail: string, retryAfterMs?: number) {
    super(code as ProtocolError["code"], detail, retryAfterMs);
    this.name = "PeerError";
  }
}
