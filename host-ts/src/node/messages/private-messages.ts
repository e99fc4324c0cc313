/**
 * PrivateMessage → PrivateReply (docs/NODE.md §17, docs/PRIVATE.md
 * "Marketplace integration"): the envelope that carries one message of a
 * private tier's protocol under an agreement. Both are signed by their
 * sender (D4); the receiver checks the signature under the key of the party
 * the agreement (or the SecretShared shareholder list) says the sender is.
 */
import type { PrivateMessage, PrivateReply, Shareholder } from "../../generated/node-protocol.ts";
import type { NodeIdentity } from "../identity.ts";
import { decodeMessage, type Decoded } from "../wire/schema-codec.ts";
import { checkSignature, encodeSigned } from "../wire/signed.ts";

export type { PrivateMessage, PrivateReply, Shareholder };

export function encodePrivateMessage(m: PrivateMessage, sender: NodeIdentity): Uint8Array {
  return encodeSigned("PrivateMessage", m, sender);
}

/** Strict decoding only: the caller knows which key must have signed it (checkPrivateSignature). */
export function decodePrivateMessage(bytes: Uint8Array): Decoded<"PrivateMessage"> {
  return decodeMessage(bytes, ["PrivateMessage"]);
}

export function encodePrivateReply(r: PrivateReply, sender: NodeIdentity): Uint8Array {
  return encodeSigned("PrivateReply", r, sender);
}

/** BAD_SIGNATURE unless the message or reply verifies under the sender's key. */
export function checkPrivateSignature(d: Decoded<"PrivateMessage"> | Decoded<"PrivateReply">, publicKey: Uint8Array): void {
  checkSignature(d, publicKey);
}
