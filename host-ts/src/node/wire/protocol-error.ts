/**
 * A refusal with a node error code (spec/node-protocol.json, docs/NODE.md
 * §10). Decoders and handlers throw it; the request dispatcher turns it into
 * an ErrorReply and counts it by code. Anything else a handler throws is a
 * bug and becomes INTERNAL.
 */
import { NODE_ERROR_NAMES, NodeErrorCode, type NodeErrorName } from "../../generated/node-protocol.ts";

export class ProtocolError extends Error {
  readonly codeName: NodeErrorName;
  constructor(readonly code: NodeErrorCode, detail: string, readonly retryAfterMs?: number) {
    super(detail);
    this.name = "ProtocolError";
    this.codeName = NODE_ERROR_NAMES[code] ?? ("INTERNAL" as NodeErrorName);
  }
}

export function fail(name: NodeErrorName, detail: string, retryAfterMs?: number): never {
  throw new ProtocolError(NodeErrorCode[name], detail, retryAfterMs);
}

export function errorName(code: number): string {
  return NODE_ERROR_NAMES[code] ?? `ERROR_${code}`;
}
