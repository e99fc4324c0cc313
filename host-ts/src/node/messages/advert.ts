/**
 * NodeAdvert: a node's signed capabilities (docs/NODE.md §5). Receivers
 * check, in this order: the strict decoding, NodeID ↔ key (BAD_NODE_ID), the
 * signature (BAD_SIGNATURE), the TTL (ADVERT_BAD_TTL), freshness
 * (ADVERT_FROM_FUTURE, ADVERT_EXPIRED) and the offered functions' ids
 * (ADVERT_BAD_FUNCTION); the advert book adds the per-NodeID sequence rule.
 */
import { createHash } from "node:crypto";
import { hash32 } from "../../model/codec.ts";
import { equalBytes } from "../../model/bytes.ts";
import { NodeErrorCode, NodeLimit, type NodeAdvert } from "../../generated/node-protocol.ts";
import type { NodeIdentity } from "../identity.ts";
import { decodeMessage } from "../wire/schema-codec.ts";
import { checkNodeId, checkSignature, encodeSigned } from "../wire/signed.ts";
import { fail, ProtocolError } from "../wire/protocol-error.ts";

export type { NodeAdvert };

export function encodeAdvert(advert: NodeAdvert, identity: NodeIdentity): Uint8Array {
  if (!equalBytes(advert.nodeId, identity.nodeId) || !equalBytes(advert.publicKey, identity.publicKey)) throw new Error("an advert is signed by the node it describes");
  return encodeSigned("NodeAdvert", advert, identity);
}

export function functionIdOf(name: string): Uint8Array {
  return hash32(new TextEncoder().encode(name));
}

interface BytesChecked {
  advert: NodeAdvert;
  /** Found from the bytes alone but reported after the freshness checks, as the order above says. */
  late?: ProtocolError;
}

/** The checks that depend on the bytes alone (freshness needs the clock and comes from the caller). */
function decodeAdvertBytes(bytes: Uint8Array): BytesChecked {
  const d = decodeMessage(bytes, ["NodeAdvert"]);
  const a = d.value;
  checkNodeId(a.nodeId, a.publicKey, "node_id");
  checkSignature(d, a.publicKey);
  if (a.expiresAt <= a.issuedAt || a.expiresAt - a.issuedAt > BigInt(NodeLimit.MAX_ADVERT_TTL_MS)) fail("ADVERT_BAD_TTL", `expires_at - issued_at = ${a.expiresAt - a.issuedAt} ms`);
  for (const f of a.compute.offeredFunctions) {
    if (!equalBytes(f.functionId, functionIdOf(f.name))) {
      return { advert: a, late: new ProtocolError(NodeErrorCode.ADVERT_BAD_FUNCTION, `function_id of "${f.name}" is not Blake3 of its name`) };
    }
  }
  return { advert: a };
}

/**
 * SIMULATION SHORTCUT (sim/mesh-sim.ts only; a node never turns it on): the
 * byte-determined part of `decodeAdvert` memoised per unique advert bytes,
 * shared by every node in the process. A thousand simulated nodes then decode
 * and verify each advert once instead of a thousand times; the freshness
 * checks still run per call, and every node's advert book still applies its
 * own sequence rules. The decoded advert is shared: nothing mutates one.
 */
let decodeMemo: Map<string, BytesChecked | ProtocolError> | null = null;
const DECODE_MEMO_MAX = 100_000;

export function memoiseAdvertDecoding(on: boolean): void {
  decodeMemo = on ? new Map() : null;
}

function decodeAdvertMemoised(bytes: Uint8Array): BytesChecked {
  if (!decodeMemo) return decodeAdvertBytes(bytes);
  const key = createHash("sha256").update(bytes).digest("base64");
  let hit = decodeMemo.get(key);
  if (hit === undefined) {
    try {
      hit = decodeAdvertBytes(bytes);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      hit = e;
    }
    if (decodeMemo.size >= DECODE_MEMO_MAX) decodeMemo.clear();
    decodeMemo.set(key, hit);
  }
  if (hit instanceof ProtocolError) throw hit;
  return hit;
}

/** Decodes and checks everything about one advert that does not depend on what the receiver holds. */
export function decodeAdvert(bytes: Uint8Array, nowMs: number): NodeAdvert {
  const { advert: a, late } = decodeAdvertMemoised(bytes);
  const now = BigInt(Math.floor(nowMs));
  if (a.issuedAt > now + BigInt(NodeLimit.CLOCK_SKEW_MS)) fail("ADVERT_FROM_FUTURE", `issued ${a.issuedAt - now} ms in the future`);
  if (a.expiresAt <= now) fail("ADVERT_EXPIRED", `expired ${now - a.expiresAt} ms ago`);
  if (late) throw late;
  return a;
}

/** The fields of an advert this node verified earlier (stored), without the freshness checks: addresses of expired adverts stay useful. */
export function readStoredAdvert(bytes: Uint8Array): NodeAdvert {
  return decodeMessage(bytes, ["NodeAdvert"]).value;
}
