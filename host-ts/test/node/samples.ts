/**
 * One fixed instance of every node message, signed with fixed keys (Ed25519
 * signatures are deterministic), for the golden-bytes test and as seeds of
 * the fuzz tests.
 */
import { identityFromSeed } from "../../src/node/identity.ts";
import { encodeAdvert, functionIdOf } from "../../src/node/messages/advert.ts";
import { encodeSyncRequest, encodeSyncResponse } from "../../src/node/messages/advert-sync.ts";
import { encodeCapabilityAgreement, encodeCapabilityOffer, encodeCapabilityRequest, signAgreement } from "../../src/node/messages/negotiation-messages.ts";
import { encodeComputeResult, encodeExecuteRequest, encodeFunctionCall, encodeFunctionResult } from "../../src/node/messages/execution-messages.ts";
import {
  encodeChannelAccept,
  encodeChannelAck,
  encodeChannelClose,
  encodeChannelCloseAck,
  encodeChannelOpen,
  encodeChannelSync,
  encodeChannelUpdate,
} from "../../src/node/messages/channel-messages.ts";
import { encodeErrorReply } from "../../src/node/messages/error-reply.ts";
import { encodePrivateMessage, encodePrivateReply } from "../../src/node/messages/private-messages.ts";
import { channelIdOf, encodeChannelState, signState, unsigned } from "../../src/node/channel-state.ts";
import { CapabilityKind, NodeErrorCode, PrivacyTier, ProofKind, WasmTier, type AgreementBody, type MessageName, type NodeAdvert } from "../../src/generated/node-protocol.ts";

export const CONSUMER = identityFromSeed(new Uint8Array(32).fill(0x11));
export const PROVIDER = identityFromSeed(new Uint8Array(32).fill(0x22));
export const T0 = 1_790_000_000_000n; // 2026-09-21T…Z, fixed

const fill = (n: number, b: number) => new Uint8Array(n).fill(b);

export const ADVERT: NodeAdvert = {
  nodeId: PROVIDER.nodeId, publicKey: PROVIDER.publicKey, seq: 7n, issuedAt: T0, expiresAt: T0 + 300_000n,
  addresses: ["/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWExample"],
  compute: {
    cpuClass: 2, availableMemoryMb: 4096, mhrByte: true, wasmTier: WasmTier.Full,
    price: { costPerMillionCycles: 1500n, maxCycles: 1n << 40n },
    limits: { maxMemory: 32768, maxStateSize: 32768, maxJobBytes: 65536, maxConcurrent: 4 },
    offeredFunctions: [{ functionId: functionIdOf("blake3-merkle-4k"), name: "blake3-merkle-4k", description: "Merkle root", cost: { costPerCall: 2n, maxInputBytes: 4193280 }, maxConcurrent: 4 }],
    proofMethods: [ProofKind.ResultHash, ProofKind.Redundant, ProofKind.SpotCheck, ProofKind.Reputation],
    privacyTiers: [{ tier: PrivacyTier.None }, { tier: PrivacyTier.SecretShared, costPerCall: 20n }, { tier: PrivacyTier.TEE, teePlatform: 0, costPerCall: 15n }],
    load: 25,
  },
};

export const CHANNEL_ID = channelIdOf(CONSUMER.nodeId, PROVIDER.nodeId, 42n);
export const STATE0 = signState(unsigned({ channelId: CHANNEL_ID, partyA: CONSUMER.nodeId, partyB: PROVIDER.nodeId, balanceA: 100_000n, balanceB: 0n, sequence: 0n }), "a", CONSUMER.sign);
export const STATE0_BOTH = signState(STATE0, "b", PROVIDER.sign);
export const STATE1 = signState(unsigned({ channelId: CHANNEL_ID, partyA: CONSUMER.nodeId, partyB: PROVIDER.nodeId, balanceA: 99_950n, balanceB: 49n, sequence: 1n }), "a", CONSUMER.sign);
export const STATE1_BOTH = signState(STATE1, "b", PROVIDER.sign);

export const REQUEST = {
  consumer: CONSUMER.nodeId, consumerKey: CONSUMER.publicKey, provider: PROVIDER.nodeId,
  capability: { kind: CapabilityKind.MhrByte, wasmTier: WasmTier.None, maxCycles: 10_000_000n, maxJobBytes: 65536 },
  desiredCost: { perCycle: { costPerMillionCycles: 2000n, maxCycles: 10_000_000n } }, desiredDuration: 600,
  paymentChannel: CHANNEL_ID, proofPreference: { kind: ProofKind.Redundant, k: 2, n: 3 }, nonce: 0x0102030405060708n, issuedAt: T0, privacy: PrivacyTier.None,
} as const;

export const REQUEST_BYTES = encodeCapabilityRequest({ ...REQUEST, capability: { ...REQUEST.capability }, desiredCost: { perCycle: { ...REQUEST.desiredCost.perCycle } }, proofPreference: { ...REQUEST.proofPreference } }, CONSUMER);

export const AGREEMENT: AgreementBody = {
  agreementId: fill(16, 0xa9), requestNonce: REQUEST.nonce, provider: PROVIDER.nodeId, providerKey: PROVIDER.publicKey,
  consumer: CONSUMER.nodeId, consumerKey: CONSUMER.publicKey, capability: { ...REQUEST.capability },
  cost: { perCycle: { costPerMillionCycles: 1500n, maxCycles: 10_000_000n } }, paymentChannel: CHANNEL_ID,
  proofMethod: { kind: ProofKind.Redundant, k: 2, n: 3 }, validFrom: T0, validUntil: T0 + 600_000n, privacy: PrivacyTier.None,
};

export const SIGNED_AGREEMENT = { body: AGREEMENT, providerSig: signAgreement(AGREEMENT, PROVIDER), consumerSig: signAgreement(AGREEMENT, CONSUMER) };

export const JOB = encodeFunctionCall(functionIdOf("blake3-merkle-4k"), new TextEncoder().encode("hello"));
export const FUNCTION_RESULT = encodeFunctionResult({ version: 1, functionId: functionIdOf("blake3-merkle-4k"), callHash: fill(32, 0x33), status: 0, code: 0, output: fill(36, 0x44) });

/** Every message type, one instance each. */
export function sampleMessages(): Record<MessageName, Uint8Array> {
  return {
    NodeAdvert: encodeAdvert(ADVERT, PROVIDER),
    AdvertSyncRequest: encodeSyncRequest(64),
    AdvertSyncResponse: encodeSyncResponse([encodeAdvert(ADVERT, PROVIDER)], 64),
    CapabilityRequest: REQUEST_BYTES,
    CapabilityOffer: encodeCapabilityOffer(AGREEMENT, PROVIDER),
    CapabilityAgreement: encodeCapabilityAgreement(SIGNED_AGREEMENT),
    ExecuteRequest: encodeExecuteRequest({ agreementId: AGREEMENT.agreementId, agreement: SIGNED_AGREEMENT, jobId: fill(16, 0x5a), job: JOB, issuedAt: T0 + 1000n }, CONSUMER),
    ComputeResult: encodeComputeResult({ agreementId: AGREEMENT.agreementId, jobId: fill(16, 0x5a), jobHash: fill(32, 0x33), resultHash: fill(32, 0x66), status: 0, cycles: 12009n, result: FUNCTION_RESULT, provider: PROVIDER.nodeId }, PROVIDER),
    ChannelOpen: encodeChannelOpen({ state: encodeChannelState(STATE0), nonce: 42n, partyAKey: CONSUMER.publicKey }),
    ChannelAccept: encodeChannelAccept({ state: encodeChannelState(STATE0_BOTH), partyBKey: PROVIDER.publicKey }),
    ChannelUpdate: encodeChannelUpdate({ state: encodeChannelState(STATE1), agreementId: AGREEMENT.agreementId, jobId: fill(16, 0x5a), amount: 50n, units: 12009n }, CONSUMER),
    ChannelAck: encodeChannelAck({ state: encodeChannelState(STATE1_BOTH) }),
    ChannelClose: encodeChannelClose({ channelId: CHANNEL_ID, sequence: 1n }, CONSUMER),
    ChannelCloseAck: encodeChannelCloseAck({ state: encodeChannelState(STATE1_BOTH) }, PROVIDER),
    ChannelSync: encodeChannelSync({ channelId: CHANNEL_ID, sender: CONSUMER.nodeId, issuedAt: T0 }, CONSUMER),
    ErrorReply: encodeErrorReply(NodeErrorCode.RATE_LIMITED, "more than the per-peer rate", 250),
    PrivateMessage: encodePrivateMessage({
      agreementId: AGREEMENT.agreementId, jobId: fill(16, 0x5b), sender: CONSUMER.nodeId, payload: fill(24, 0x77),
      shareholders: [{ nodeId: PROVIDER.nodeId, publicKey: PROVIDER.publicKey, agreementId: AGREEMENT.agreementId }], agreement: SIGNED_AGREEMENT,
    }, CONSUMER),
    PrivateReply: encodePrivateReply({ agreementId: AGREEMENT.agreementId, jobId: fill(16, 0x5b), sender: PROVIDER.nodeId, payload: fill(8, 0x78) }, PROVIDER),
  };
}
