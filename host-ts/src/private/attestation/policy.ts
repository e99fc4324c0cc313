/**
 * What a consumer accepts once the evidence is genuine. A platform with no
 * policy is refused; every allow-list must be non-empty (there is no
 * "accept any measurement"). Defaults are the strict ones: no debug, no
 * migration agent, VMPL 0, TCB status UpToDate only, report_data bound to
 * the protocol transcript.
 */
import { TeePlatform, TeeLimit, type TeePlatformValue } from "../../generated/private-protocol.ts";
import { equalBytes, bytesToHex } from "../../model/bytes.ts";
import { teeFail } from "./errors.ts";
import { SnpPolicyBit, policyBit, type SnpTcb } from "./snp-report.ts";
import type { VerifiedSnp } from "./snp-verify.ts";
import type { DcapTcbStatus, VerifiedSgx, VerifiedTdx } from "./dcap-verify.ts";
import type { ProductLine } from "./trust-anchors.ts";

export interface SnpPolicy {
  /** Allowed launch MEASUREMENTs (48 bytes each). */
  readonly measurements: readonly Uint8Array[];
  /** Floor for each component of reported_tcb (Turin also has fmc). */
  readonly minTcb: SnpTcb;
  /** Highest VMPL the report may come from (default 0: the guest's most privileged level). */
  readonly maxVmpl?: number;
  /** Product lines accepted (default: all pinned ones). */
  readonly productLines?: readonly ProductLine[];
  /** Never true outside tests: a DEBUG guest's memory is readable by the host. */
  readonly allowDebug?: boolean;
  /** A migration agent can export the guest's memory; refused unless set. */
  readonly allowMigrationAgent?: boolean;
  /** If set, HOST_DATA (32 bytes) must equal it. */
  readonly hostData?: Uint8Array;
}

export interface TdxPolicy {
  /** Allowed MRTDs (48 bytes each). */
  readonly mrTds: readonly Uint8Array[];
  /** Default ["UpToDate"]. Revoked and Unknown can never be listed. */
  readonly acceptTcbStatuses?: readonly DcapTcbStatus[];
  /** If set, MRCONFIGID must equal it. */
  readonly mrConfigId?: Uint8Array;
  /** RTMR index → required value (48 bytes). */
  readonly rtMrs?: Readonly<Partial<Record<0 | 1 | 2 | 3, Uint8Array>>>;
}

export interface SgxPolicy {
  /** Allowed MRENCLAVEs (32 bytes each). */
  readonly mrEnclaves: readonly Uint8Array[];
  readonly acceptTcbStatuses?: readonly DcapTcbStatus[];
  /** If set, MRSIGNER must equal it. */
  readonly mrSigner?: Uint8Array;
}

/**
 * How report_data is checked. "transcript" is the protocol (and the only
 * production choice): report_data = reportDataFor(agreement, nonce, platform,
 * TEE key). "pinned-replay" exists for the replay test double only: it names
 * the fixture's report_data, so the TEE key is NOT bound by the hardware and
 * the session is marked unbound.
 */
export type ReportDataBinding =
  | { readonly kind: "transcript" }
  | { readonly kind: "pinned-replay"; readonly reportData: Uint8Array; readonly reason: string };

export interface TeePolicy {
  readonly snp?: SnpPolicy;
  readonly tdx?: TdxPolicy;
  readonly sgx?: SgxPolicy;
  /** Default { kind: "transcript" }. */
  readonly binding?: ReportDataBinding;
}

export const DEFAULT_ACCEPTED_TCB_STATUSES: readonly DcapTcbStatus[] = ["UpToDate"];
const NEVER_ACCEPTED: readonly DcapTcbStatus[] = ["Revoked", "Unknown"];

export function platformsOf(policy: TeePolicy): TeePlatformValue[] {
  const out: TeePlatformValue[] = [];
  if (policy.snp) out.push(TeePlatform.SEV_SNP);
  if (policy.tdx) out.push(TeePlatform.TDX);
  if (policy.sgx) out.push(TeePlatform.SGX);
  return out;
}

function allowList(name: string, list: readonly Uint8Array[], size: number): void {
  if (list.length === 0) teeFail("POLICY_INVALID", `${name} allow-list is empty`);
  for (const m of list) if (m.length !== size) teeFail("POLICY_INVALID", `${name} entry is ${m.length} bytes, not ${size}`);
}

function statuses(name: string, s: readonly DcapTcbStatus[] | undefined): readonly DcapTcbStatus[] {
  const list = s ?? DEFAULT_ACCEPTED_TCB_STATUSES;
  if (list.length === 0) teeFail("POLICY_INVALID", `${name}.acceptTcbStatuses is empty`);
  for (const x of list) if (NEVER_ACCEPTED.includes(x)) teeFail("POLICY_INVALID", `${name}.acceptTcbStatuses lists ${x}, which is never acceptable`);
  return list;
}

/** Throws POLICY_INVALID if the policy cannot be applied as written. */
export function validatePolicy(p: TeePolicy): void {
  if (platformsOf(p).length === 0) teeFail("POLICY_INVALID", "the policy accepts no platform");
  if (p.snp) {
    allowList("snp.measurements", p.snp.measurements, 48);
    if (p.snp.maxVmpl !== undefined && !(Number.isInteger(p.snp.maxVmpl) && p.snp.maxVmpl >= 0 && p.snp.maxVmpl <= 3)) teeFail("POLICY_INVALID", "snp.maxVmpl must be 0..3");
    if (p.snp.hostData && p.snp.hostData.length !== 32) teeFail("POLICY_INVALID", "snp.hostData must be 32 bytes");
    if (p.snp.productLines?.length === 0) teeFail("POLICY_INVALID", "snp.productLines is empty");
    for (const [k, n] of Object.entries(p.snp.minTcb)) {
      if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 255)) teeFail("POLICY_INVALID", `snp.minTcb.${k} must be 0..255`);
    }
  }
  if (p.tdx) {
    allowList("tdx.mrTds", p.tdx.mrTds, 48);
    statuses("tdx", p.tdx.acceptTcbStatuses);
    if (p.tdx.mrConfigId && p.tdx.mrConfigId.length !== 48) teeFail("POLICY_INVALID", "tdx.mrConfigId must be 48 bytes");
    for (const v of Object.values(p.tdx.rtMrs ?? {})) if (v.length !== 48) teeFail("POLICY_INVALID", "tdx.rtMrs values must be 48 bytes");
  }
  if (p.sgx) {
    allowList("sgx.mrEnclaves", p.sgx.mrEnclaves, 32);
    statuses("sgx", p.sgx.acceptTcbStatuses);
    if (p.sgx.mrSigner && p.sgx.mrSigner.length !== 32) teeFail("POLICY_INVALID", "sgx.mrSigner must be 32 bytes");
  }
  const b = p.binding;
  if (b?.kind === "pinned-replay" && b.reportData.length !== TeeLimit.REPORT_DATA_BYTES) teeFail("POLICY_INVALID", "pinned report_data must be 64 bytes");
}

const inList = (v: Uint8Array, list: readonly Uint8Array[]) => list.some((m) => equalBytes(m, v));

export function checkSnpPolicy(v: VerifiedSnp, p: SnpPolicy): void {
  const r = v.report;
  if (policyBit(r.policy, SnpPolicyBit.DEBUG) && !p.allowDebug) teeFail("POLICY_DEBUG", `guest policy 0x${r.policy.toString(16)} allows DEBUG`);
  if (policyBit(r.policy, SnpPolicyBit.MIGRATE_MA) && !p.allowMigrationAgent) teeFail("POLICY_MIGRATION_AGENT", `guest policy 0x${r.policy.toString(16)} allows a migration agent`);
  if (p.productLines && !p.productLines.includes(v.productLine)) teeFail("PLATFORM_NOT_ACCEPTED", `product line ${v.productLine} is not accepted`);
  if (r.vmpl > (p.maxVmpl ?? 0)) teeFail("POLICY_VMPL", `report from VMPL ${r.vmpl}; at most ${p.maxVmpl ?? 0} accepted`);
  const t = v.reportedTcb, min = p.minTcb;
  const low = (["bootLoader", "tee", "snp", "microcode", "fmc"] as const).filter((k) => (t[k] ?? 0) < (min[k] ?? 0));
  if (low.length) teeFail("POLICY_TCB_TOO_LOW", `reported_tcb ${JSON.stringify(t)} is below ${JSON.stringify(min)} in ${low.join(", ")}`);
  if (!inList(r.measurement, p.measurements)) teeFail("POLICY_MEASUREMENT", `measurement ${bytesToHex(r.measurement)} is not allow-listed`);
  if (p.hostData && !equalBytes(p.hostData, r.hostData)) teeFail("POLICY_FIELD_PINNED", `host_data ${bytesToHex(r.hostData)} is not the pinned value`);
}

function checkStatus(status: DcapTcbStatus, advisories: readonly string[], accepted: readonly DcapTcbStatus[] | undefined): void {
  const list = accepted ?? DEFAULT_ACCEPTED_TCB_STATUSES;
  if (!list.includes(status) || NEVER_ACCEPTED.includes(status)) {
    teeFail("POLICY_TCB_STATUS", `TCB status ${status}${advisories.length ? ` (${advisories.join(", ")})` : ""}; accepted: ${list.join(", ")}`);
  }
}

/** TDATTRIBUTES bit 0 (TUD.DEBUG); dcap-qvl refuses these already, this is the second check. */
export function checkTdxPolicy(v: VerifiedTdx, p: TdxPolicy): void {
  if (v.tdAttributes[0] & 1) teeFail("POLICY_DEBUG", "TD attribute DEBUG is set");
  checkStatus(v.status, v.advisoryIds, p.acceptTcbStatuses);
  if (!inList(v.mrTd, p.mrTds)) teeFail("POLICY_MEASUREMENT", `MRTD ${bytesToHex(v.mrTd)} is not allow-listed`);
  if (p.mrConfigId && !equalBytes(p.mrConfigId, v.mrConfigId)) teeFail("POLICY_FIELD_PINNED", "MRCONFIGID is not the pinned value");
  for (const [i, want] of Object.entries(p.rtMrs ?? {})) {
    if (want && !equalBytes(want, v.rtMr[Number(i)])) teeFail("POLICY_FIELD_PINNED", `RTMR${i} is not the pinned value`);
  }
}

/** ATTRIBUTES byte 0 bit 1 is DEBUG. */
export function checkSgxPolicy(v: VerifiedSgx, p: SgxPolicy): void {
  if (v.attributes[0] & 2) teeFail("POLICY_DEBUG", "enclave attribute DEBUG is set");
  checkStatus(v.status, v.advisoryIds, p.acceptTcbStatuses);
  if (!inList(v.mrEnclave, p.mrEnclaves)) teeFail("POLICY_MEASUREMENT", `MRENCLAVE ${bytesToHex(v.mrEnclave)} is not allow-listed`);
  if (p.mrSigner && !equalBytes(p.mrSigner, v.mrSigner)) teeFail("POLICY_FIELD_PINNED", "MRSIGNER is not the pinned value");
}
