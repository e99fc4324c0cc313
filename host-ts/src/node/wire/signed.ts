/** D4 signing and checking of whole messages (signed = "message" in the table). */
import { encodeCanonical } from "../../model/cbor.ts";
import type { MessageName, MessageTypes } from "../../generated/node-protocol.ts";
import { nodeIdOf, verifySignature, type NodeIdentity } from "../identity.ts";
import { equalBytes } from "../../model/bytes.ts";
import { encodeMessage, messageBody, signingInput, type Decoded } from "./schema-codec.ts";
import { fail } from "./protocol-error.ts";

export function encodeSigned<N extends MessageName>(name: N, value: MessageTypes[N], signer: Pick<NodeIdentity, "sign">): Uint8Array {
  const body = encodeCanonical(messageBody(name, value));
  return encodeMessage(name, value, signer.sign(signingInput(name, body)));
}

/** BAD_SIGNATURE unless the decoded message's signature verifies under `publicKey`. */
export function checkSignature(d: Decoded, publicKey: Uint8Array): void {
  if (!d.signature || !verifySignature(publicKey, signingInput(d.name, d.body), d.signature)) fail("BAD_SIGNATURE", `${d.name}: the signature does not verify`);
}

/** BAD_NODE_ID unless nodeId = Blake2b-256(publicKey)[0..16] (D1). */
export function checkNodeId(nodeId: Uint8Array, publicKey: Uint8Array, what: string): void {
  if (!equalBytes(nodeIdOf(publicKey), nodeId)) fail("BAD_NODE_ID", `${what} is not the NodeID of its key`);
}

/**
 * PEER_MISMATCH unless a signed request's signer is the peer it came from
 * (D21): `fromKey` is the key the transport authenticated for the
 * connection (transport.ts `InboundRequest.fromKey`). A relay that replays
 * another node's signed request from its own connection is refused here,
 * before anything the request asks for is done.
 */
/** The same rule for a message that names its sender's NodeID (the signature is then checked with that node's key). */
export function checkSender(senderId: Uint8Array, fromKey: Uint8Array | null, what: string): void {
  if (fromKey === null) fail("PEER_MISMATCH", `${what}: the transport authenticated no key for this peer`);
  if (!equalBytes(senderId, nodeIdOf(fromKey))) fail("PEER_MISMATCH", `${what}: sent by another node than the peer it came from`);
}

export function checkPeer(signerKey: Uint8Array, fromKey: Uint8Array | null, what: string): void {
  if (fromKey === null) fail("PEER_MISMATCH", `${what}: the transport authenticated no key for this peer`);
  if (!equalBytes(signerKey, fromKey)) fail("PEER_MISMATCH", `${what}: signed by another node than the peer it came from`);
}
