/** AdvertSyncRequest / AdvertSyncResponse (docs/NODE.md §5.3): a peer's held adverts on connect. */
import { MESSAGE_SCHEMAS, Protocol } from "../../generated/node-protocol.ts";
import { decodeMessage, encodeMessage } from "../wire/schema-codec.ts";

export const MAX_SYNC_ADVERTS = 1024;

export function encodeSyncRequest(maxAdverts: number): Uint8Array {
  return encodeMessage("AdvertSyncRequest", { maxAdverts });
}

export function decodeSyncRequest(bytes: Uint8Array): number {
  return decodeMessage(bytes, ["AdvertSyncRequest"]).value.maxAdverts;
}

/** Packs as many of `adverts` (freshest first, as given) as fit the response limit. */
export function encodeSyncResponse(adverts: Uint8Array[], maxAdverts: number): Uint8Array {
  const limit = Math.min(MESSAGE_SCHEMAS.AdvertSyncResponse.maxBytes, Protocol.ADVERT_SYNC.maxResponseBytes) - 16;
  const out: Uint8Array[] = [];
  let size = 8;
  for (const a of adverts) {
    if (out.length >= Math.min(maxAdverts, MAX_SYNC_ADVERTS)) break;
    const cost = a.length + 5;
    if (size + cost > limit) break;
    out.push(a);
    size += cost;
  }
  return encodeMessage("AdvertSyncResponse", { adverts: out });
}

export function decodeSyncResponse(bytes: Uint8Array): Uint8Array[] {
  return decodeMessage(bytes, ["AdvertSyncResponse"]).value.adverts;
}
