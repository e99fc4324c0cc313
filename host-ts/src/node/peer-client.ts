/**
 * One request/response exchange with a peer over the transport: send the
 * encoded request with the protocol's deadline and response limit, decode the
 * reply strictly as one of the expected messages or an ErrorReply (raised as
 * PeerError). Transport failures stay TransportErrors.
 */
import type { MessageName, RequestProtocolInfo } from "../generated/node-protocol.ts";
import { decodeMessage, type Decoded } from "./wire/schema-codec.ts";
import { PeerError } from "./messages/error-reply.ts";
import type { PeerKey, Transport } from "./transport.ts";

export async function exchange<N extends MessageName>(
  transport: Transport,
  peer: PeerKey,
  protocol: RequestProtocolInfo,
  request: Uint8Array,
  expected: readonly N[],
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<Decoded<N>> {
  const reply = await transport.request(peer, protocol.id, request, {
    timeoutMs: options.timeoutMs ?? protocol.timeoutMs,
    maxResponseBytes: protocol.maxResponseBytes,
    signal: options.signal,
  });
  const d = decodeMessage(reply, [...expected, "ErrorReply"] as readonly MessageName[]);
  if (d.name === "ErrorReply") {
    const e = d.value as { code: number; detail: string; retryAfterMs?: number };
    throw new PeerError(e.code, e.detail, e.retryAfterMs);
  }
  return d as Decoded<N>;
}
