/**
 * TEST DOUBLE. This machine has no TEE, so tests and benchmarks run the
 * provider on a backend that replays a genuine recorded report (and its
 * VCEK or collateral). A recorded report's report_data was fixed when the
 * hardware signed it, so it cannot bind a fresh nonce or a fresh TEE key:
 *
 *  - under the production policy (binding "transcript") the consumer refuses
 *    it with BINDING_MISMATCH — a test proves this;
 *  - it is accepted only under replayTestPolicy(), which pins the recording's
 *    report_data ("pinned-replay"); the session then reports
 *    keyBoundByHardware = false, because the TEE key is not hardware-bound.
 *
 * Everything else on the consumer's side (chain, signature, policy, key
 * exchange, encryption) runs exactly as in production.
 */
import type { TeeBackend } from "./backend.ts";
import { unverifiedReportData, type TeeEvidence } from "./evidence.ts";
import type { TeePolicy } from "./policy.ts";

export class ReplayedEvidenceBackend implements TeeBackend {
  readonly platform: TeeEvidence["platform"];
  readonly description: string;
  /** Every report_data the provider asked for (it could not bind any of them). */
  readonly requested: Uint8Array[] = [];

  constructor(private readonly recording: TeeEvidence, label: string) {
    this.platform = recording.platform;
    this.description = `REPLAY TEST DOUBLE (${label}): replays a recorded report; report_data is NOT bound to this request`;
  }

  get recordedReportData(): Uint8Array {
    return unverifiedReportData(this.recording);
  }

  async getEvidence(reportData: Uint8Array): Promise<TeeEvidence> {
    this.requested.push(reportData.slice());
    return { platform: this.recording.platform, report: this.recording.report.slice(), endorsement: this.recording.endorsement.slice() };
  }
}

/** `policy` with its binding replaced by the replay's pinned report_data. For tests only. */
export function replayTestPolicy(policy: TeePolicy, backend: ReplayedEvidenceBackend): TeePolicy {
  return { ...policy, binding: { kind: "pinned-replay", reportData: backend.recordedReportData, reason: backend.description } };
}
