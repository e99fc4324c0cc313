/**
 * NodeAdvert: a node's signed capabilities (docs/NODE.md §5). Receivers
 * check, in this order: the strict decoding, NodeID ↔ key (BAD_NODE_ID), the
 * signature (BAD_SIGNATURE), the TTL (ADVERT_BAD_TTL), freshness
 * (ADVERT_FROM_FUTURE, ADVERT_EXPIRED) and the offered functions' ids
 * (ADVERT_BAD_FUNCTION); the advert book adds the per-NodeID sequence rule.
 */
import { hash32 } from "../../model/codec.ts";
import { equalBytes } from "../../model/hex.ts";
import { NodeLimit, type NodeAdvert } from "../../generated/node-protocol.ts";
import type { NodeIdentity } from "../identity.ts";
import { decodeMessage } from "../wire/schema-codec.ts";
import { checkNodeId, checkSignature, encodeSigned } from "../wire/signed.ts";
import { fail } from "../wire/protocol-error.ts";

export type { NodeAdvert };

export function encodeAdvert(advert: NodeAdvert, identity: NodeIdentity): Uint8Array {
  if (!equalBytes(advert.nodeId, identity.nodeId) || !equalBytes(advert.publicKey, identity.publicKey)) throw new Error("an advert is signed by the node it describes");
  return encodeSigned("NodeAdvert", advert, identity);
}

export function functionIdOf(name: string): Uint8Array {
  return hash32(new TextEncoder().encode(name));
}

/** Decodes and checks everything about one advert that does not depend on what the receiver holds. */
export function decodeAdvert(bytes: Uint8Array, nowMs: number): NodeAdvert {
  const d = decodeMessage(bytes, ["NodeAdvert"]);
  const a = d.value;
  checkNodeId(a.nodeId, a.publicKey, "node_id");
  checkSignature(d, a.publicKey);
  if (a.expiresAt <= a.issuedAt || a.expiresAt - a.issuedAt > BigInt(NodeLimit.MAX_ADVERT_TTL_MS)) fail("ADVERT_BAD_TTL", `expires_at - issued_at = ${a.expiresAt - a.issuedAt} ms`);
  const now = BigInt(Math.floor(nowMs));
  if (a.issuedAt > now + BigInt(NodeLimit.CLOCK_SKEW_MS)) fail("ADVERT_FROM_FUTURE", `issued ${a.issuedAt - now} ms in the future`);
  if (a.expiresAt <= now) fail("ADVERT_EXPIRED", `expired ${now - a.expiresAt} ms ago`);
  for (const f of a.compute.offeredFunctions) {
    if (!equalBytes(f.functionId, functionIdOf(f.name))) fail("ADVERT_BAD_FUNCTION", `function_id of "${f.name}" is not Blake3 of its name`);
  }
  return a;
}

/** The fields of an advert this node verified earlier (stored), without the freshness checks: addresses of expired adverts stay useful. */
export function readStoredAdvert(bytes: Uint8Array): NodeAdvert {
  return decodeMessage(bytes, ["NodeAdvert"]).value;
}
