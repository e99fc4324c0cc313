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
