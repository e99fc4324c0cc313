/**
 * CapabilityRequest → CapabilityOffer → CapabilityAgreement (D12,
 * docs/NODE.md §6). The request is consumer-signed; the offer carries the
 * whole AgreementBody signed by the provider under the CapabilityAgreement
 * domain, so that signature *is* the agreement's provider_sig; the consumer
 * countersigns the same body.
 */
import { hash32 } from "../../model/codec.ts";
import { type AgreementBody, type CapabilityAgreement, type CapabilityRequest, type SignedAgreement } from "../../generated/node-protocol.ts";
import { verifySignature, type NodeIdentity } from "../identity.ts";
import { decodeMessage, encodeMessage, encodeStruct, signingInput } from "../wire/schema-codec.ts";
import { checkNodeId, checkSignature, encodeSigned } from "../wire/signed.ts";
import { fail } from "../wire/protocol-error.ts";

export type { AgreementBody, CapabilityAgreement, CapabilityRequest, SignedAgreement };

export function encodeCapabilityRequest(r: CapabilityRequest, consumer: NodeIdentity): Uint8Array {
  return encodeSigned("CapabilityRequest", r, consumer);
}

/** Strict decoding, consumer ↔ key, signature. */
export function decodeCapabilityRequest(bytes: Uint8Array): CapabilityRequest {
  const d = decodeMessage(bytes, ["CapabilityRequest"]);
  checkNodeId(d.value.consumer, d.value.consumerKey, "consumer");
  checkSignature(d, d.value.consumerKey);
  return d.value;
}

/** agreement_id = Blake3-256(the CapabilityRequest's bytes)[0..16]: unique per request, checkable by both. */
export function agreementIdOf(requestBytes: Uint8Array): Uint8Array {
  return hash32(requestBytes).slice(0, 16);
}

function agreementSigningInput(body: AgreementBody): Uint8Array {
  return signingInput("CapabilityAgreement", encodeStruct("AgreementBody", body));
}

export function signAgreement(body: AgreementBody, signer: Pick<NodeIdentity, "sign">): Uint8Array {
  return signer.sign(agreementSigningInput(body));
}

export function verifyAgreementSignature(body: AgreementBody, sig: Uint8Array, publicKey: Uint8Array): boolean {
  return verifySignature(publicKey, agreementSigningInput(body), sig);
}

export function encodeCapabilityOffer(body: AgreementBody, provider: NodeIdentity): Uint8Array {
  return encodeMessage("CapabilityOffer", { agreement: body }, signAgreement(body, provider));
}

/** Strict decoding, provider ↔ key, the provider's signature over the body. */
export function decodeCapabilityOffer(bytes: Uint8Array): { body: AgreementBody; providerSig: Uint8Array } {
  const d = decodeMessage(bytes, ["CapabilityOffer"]);
  const body = d.value.agreement;
  checkNodeId(body.provider, body.providerKey, "agreement.provider");
  checkNodeId(body.consumer, body.consumerKey, "agreement.consumer");
  if (!verifyAgreementSignature(body, d.signature!, body.providerKey)) fail("BAD_SIGNATURE", "CapabilityOffer: the provider's signature does not verify");
  return { body, providerSig: d.signature! };
}

/** Checks both parties' NodeIDs and signatures of a signed agreement (UNSIGNED if either is all zero). */
export function checkSignedAgreement(a: SignedAgreement): void {
  checkNodeId(a.body.provider, a.body.providerKey, "agreement.provider");
  checkNodeId(a.body.consumer, a.body.consumerKey, "agreement.consumer");
  for (const [sig, key, who] of [[a.providerSig, a.body.providerKey, "provider"], [a.consumerSig, a.body.consumerKey, "consumer"]] as const) {
    if (sig.every((b) => b === 0)) fail("UNSIGNED", `agreement has no ${who} signature`);
    if (!verifyAgreementSignature(a.body, sig, key)) fail("BAD_SIGNATURE", `agreement: the ${who}'s signature does not verify`);
  }
}

export function encodeCapabilityAgreement(a: SignedAgreement): Uint8Array {
  return encodeMessage("CapabilityAgreement", a as CapabilityAgreement);
}

export function decodeCapabilityAgreement(bytes: Uint8Array): SignedAgreement {
  const a = decodeMessage(bytes, ["CapabilityAgreement"]).value;
  checkSignedAgreement(a);
  return a;
}

