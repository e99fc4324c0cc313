/**
 * Tier 3 (TEE) public API. Network-independent: the node wires these into
 * agreements and its message streams (docs/PRIVATE.md, "Tier 3 — TEE").
 */
export { TeeError } from "./errors.ts";
export { TeeErrorCode, TeeLimit, TeePlatform, type TeePlatformValue } from "../../generated/private-protocol.ts";
export type { TeeBackend, TeeCompute } from "./backend.ts";
export { createAttestRequest, verifyAttestation, TeeSession, type PendingAttestation, type VerifyAttestationOptions } from "./consumer.ts";
export { TeeProvider, type TeeProviderOptions } from "./provider.ts";
export { decodeTeeMessage, encodeTeeMessage, type TeeMessage, type AttestRequest, type Attestation, type SealedInput, type SealedOutput, type Failure } from "./messages.ts";
export { verifyEvidence, unverifiedReportData, type TeeEvidence, type VerifiedEvidence } from "./evidence.ts";
export { DEFAULT_ACCEPTED_TCB_STATUSES, validatePolicy, type TeePolicy, type SnpPolicy, type TdxPolicy, type SgxPolicy, type ReportDataBinding } from "./policy.ts";
export { reportDataFor, transcriptHash } from "./binding.ts";
export { defaultTrustAnchors, loadTrustAnchors, type TrustAnchors, type ProductLine } from "./trust-anchors.ts";
export { ConfigfsTsmBackend, type ConfigfsTsmOptions } from "./configfs-tsm-backend.ts";
export { SevGuestDeviceBackend, TdxGuestDeviceBackend } from "./guest-devices.ts";
export { ReplayedEvidenceBackend, replayTestPolicy } from "./replay-backend.ts";
export { openTeeBackend } from "./open-backend.ts";
