/**
 * One entry point for "is this evidence genuine and acceptable": dispatches on
 * the platform to the SEV-SNP or DCAP verifier, then applies that platform's
 * policy. The report_data binding is checked by the consumer (consumer.ts),
 * which knows the nonce and keys.
 */
import dcap from "@phala/dcap-qvl";
import { TeePlatform, type TeePlatformValue } from "../../generated/private-protocol.ts";
import { teeFail } from "./errors.ts";
import { verifySnpEvidence, type VerifiedSnp } from "./snp-verify.ts";
import { verifyDcapEvidence, type VerifiedSgx, type VerifiedTdx } from "./dcap-verify.ts";
import { checkSgxPolicy, checkSnpPolicy, checkTdxPolicy, validatePolicy, type TeePolicy } from "./policy.ts";
import type { TrustAnchors } from "./trust-anchors.ts";
import { SNP_OFFSET } from "./snp-report.ts";

/** What a TEE backend produces and an Attestation message carries. */
export interface TeeEvidence {
  readonly platform: TeePlatformValue;
  /** SEV-SNP ATTESTATION_REPORT, or the DCAP quote. */
  readonly report: Uint8Array;
  /** SEV-SNP: VCEK (DER). TDX/SGX: collateral JSON (UTF-8). */
  readonly endorsement: Uint8Array;
}

interface Common { readonly reportData: Uint8Array; readonly measurement: Uint8Array }
export type VerifiedEvidence =
  | (Common & { readonly platform: typeof TeePlatform.SEV_SNP; readonly snp: VerifiedSnp })
  | (Common & { readonly platform: typeof TeePlatform.TDX; readonly tdx: VerifiedTdx })
  | (Common & { readonly platform: typeof TeePlatform.SGX; readonly sgx: VerifiedSgx });

export interface EvidenceOptions {
  readonly at: Date;
  readonly anchors?: TrustAnchors;
}

export function verifyEvidence(e: TeeEvidence, policy: TeePolicy, opts: EvidenceOptions): VerifiedEvidence {
  validatePolicy(policy);
  switch (e.platform) {
    case TeePlatform.SEV_SNP: {
      if (!policy.snp) return teeFail("PLATFORM_NOT_ACCEPTED", "the policy does not accept SEV-SNP");
      const snp = verifySnpEvidence(e.report, e.endorsement, opts);
      checkSnpPolicy(snp, policy.snp);
      return { platform: TeePlatform.SEV_SNP, snp, reportData: snp.report.reportData, measurement: snp.report.measurement };
    }
    case TeePlatform.TDX: {
      if (!policy.tdx) return teeFail("PLATFORM_NOT_ACCEPTED", "the policy does not accept TDX");
      const tdx = verifyDcapEvidence(TeePlatform.TDX, e.report, e.endorsement, opts) as VerifiedTdx;
      checkTdxPolicy(tdx, policy.tdx);
      return { platform: TeePlatform.TDX, tdx, reportData: tdx.reportData, measurement: tdx.mrTd };
    }
    case TeePlatform.SGX: {
      if (!policy.sgx) return teeFail("PLATFORM_NOT_ACCEPTED", "the policy does not accept SGX");
      const sgx = verifyDcapEvidence(TeePlatform.SGX, e.report, e.endorsement, opts) as VerifiedSgx;
      checkSgxPolicy(sgx, policy.sgx);
      return { platform: TeePlatform.SGX, sgx, reportData: sgx.reportData, measurement: sgx.mrEnclave };
    }
    default:
      return teeFail("PLATFORM_NOT_ACCEPTED", `unknown platform ${String(e.platform)}`);
  }
}

/** report_data as written in the evidence, NOT verified (backends check what they got; the verifier checks the rest). */
export function unverifiedReportData(e: TeeEvidence): Uint8Array {
  if (e.platform === TeePlatform.SEV_SNP) {
    if (e.report.length < SNP_OFFSET.REPORT_DATA + 64) teeFail("SNP_REPORT_SIZE", `report is ${e.report.length} bytes`);
    return e.report.slice(SNP_OFFSET.REPORT_DATA, SNP_OFFSET.REPORT_DATA + 64);
  }
  let d: { reportData?: Uint8Array; base?: { reportData: Uint8Array } };
  try {
    d = dcap.Quote.parse(Buffer.from(e.report)).report.data as typeof d;
  } catch (err) {
    return teeFail("DCAP_QUOTE_MALFORMED", `dcap-qvl: ${(err as Error).message}`);
  }
  const rd = d.reportData ?? d.base?.reportData;
  if (!rd) return teeFail("DCAP_QUOTE_MALFORMED", "quote has no reportData");
  return Uint8Array.from(rd);
}
