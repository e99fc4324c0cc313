/**
 * Payment-channel messages (docs/NODE.md §8). ChannelOpen, ChannelAccept and
 * ChannelAck are signed through the ChannelState they carry (D9);
 * ChannelUpdate, ChannelClose, ChannelCloseAck and ChannelSync carry a D4
 * signature of their own as well.
 */
import type { ChannelAccept, ChannelAck, ChannelClose, ChannelCloseAck, ChannelOpen, ChannelSync, ChannelUpdate, MessageName } from "../../generated/node-protocol.ts";
import type { NodeIdentity } from "../identity.ts";
import { decodeMessage, encodeMessage, type Decoded } from "../wire/schema-codec.ts";
import { encodeSigned } from "../wire/signed.ts";

export type { ChannelAccept, ChannelAck, ChannelClose, ChannelCloseAck, ChannelOpen, ChannelSync, ChannelUpdate };

export const CHANNEL_REQUESTS = ["ChannelOpen", "ChannelUpdate", "ChannelClose", "ChannelSync"] as const satisfies readonly MessageName[];
export type ChannelRequestName = (typeof CHANNEL_REQUESTS)[number];

export const encodeChannelOpen = (m: ChannelOpen) => encodeMessage("ChannelOpen", m);
export const encodeChannelAccept = (m: ChannelAccept) => encodeMessage("ChannelAccept", m);
export const encodeChannelAck = (m: ChannelAck) => encodeMessage("ChannelAck", m);
export const encodeChannelUpdate = (m: ChannelUpdate, payer: NodeIdentity) => encodeSigned("ChannelUpdate", m, payer);
export const encodeChannelClose = (m: ChannelClose, payer: NodeIdentity) => encodeSigned("ChannelClose", m, payer);
export const encodeChannelCloseAck = (m: ChannelCloseAck, payee: NodeIdentity) => encodeSigned("ChannelCloseAck", m, payee);
export const encodeChannelSync = (m: ChannelSync, party: NodeIdentity) => encodeSigned("ChannelSync", m, party);

/** Any channel request, strictly decoded; signatures are checked by the channel manager, which knows the keys. */
export function decodeChannelRequest(bytes: Uint8Array): Decoded<ChannelRequestName> {
  return decodeMessage(bytes, CHANNEL_REQUESTS);
}

