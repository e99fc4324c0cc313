/**
 * ExecuteRequest (consumer-signed) and ComputeResult (provider-signed), and
 * the FunctionCall / FunctionResult documents of opaque functions
 * (docs/NODE.md §7, §9).
 */
import { type ComputeResult, type ExecuteRequest, type FunctionCall, type FunctionResult } from "../../generated/node-protocol.ts";
import type { NodeIdentity } from "../identity.ts";
import { decodeMessage, decodeStruct, encodeStruct, type Decoded } from "../wire/schema-codec.ts";
import { checkSignature, encodeSigned } from "../wire/signed.ts";

export type { ComputeResult, ExecuteRequest, FunctionCall, FunctionResult };

export function encodeExecuteRequest(r: ExecuteRequest, consumer: NodeIdentity): Uint8Array {
  return encodeSigned("ExecuteRequest", r, consumer);
}

/** Strict decoding only: the signer's key comes from the agreement, which the provider looks up. */
export function decodeExecuteRequest(bytes: Uint8Array): Decoded<"ExecuteRequest"> {
  return decodeMessage(bytes, ["ExecuteRequest"]);
}

export function encodeComputeResult(r: ComputeResult, provider: NodeIdentity): Uint8Array {
  return encodeSigned("ComputeResult", r, provider);
}

/** Strict decoding and the provider's signature; what the result says is checked by verification.ts. */
export function decodeComputeResult(bytes: Uint8Array, providerKey: Uint8Array): ComputeResult {
  const d = decodeMessage(bytes, ["ComputeResult"]);
  checkSignature(d, providerKey);
  return d.value;
}

export const FUNCTION_CALL_VERSION = 1;

export function encodeFunctionCall(functionId: Uint8Array, input: Uint8Array): Uint8Array {
  return encodeStruct("FunctionCall", { version: FUNCTION_CALL_VERSION, functionId, input });
}

export function decodeFunctionCall(bytes: Uint8Array): FunctionCall {
  return decodeStruct("FunctionCall", bytes, 4 * 1024 * 1024 + 64);
}

export function encodeFunctionResult(r: FunctionResult): Uint8Array {
  return encodeStruct("FunctionResult", r);
}

export function decodeFunctionResult(bytes: Uint8Array): FunctionResult {
  return decodeStruct("FunctionResult", bytes, 65536 + 128);
}


