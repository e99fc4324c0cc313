/**
 * TEE configuration as files and flags (docs/PRIVATE.md §M6): the
 * consumer's attestation policy as JSON, and the provider's backend. On a
 * machine without a TEE the only backend that answers is the REPLAY TEST
 * DOUBLE, chosen explicitly (`--tee-backend replay`); the production policy
 * refuses what it returns, and only a policy file that says
 * `"binding": {"kind": "pinned-replay", …}` accepts it — the consumer's
 * verification code is the same either way.
 */
import { readFileSync } from "node:fs";
import { hexToBytes } from "../../model/bytes.ts";
import { TeePlatform, type TeePlatformValue } from "../../generated/private-protocol.ts";
import type { TeePolicy } from "../../private/attestation/policy.ts";
import type { TeeBackend } from "../../private/attestation/backend.ts";
import { ReplayedEvidenceBackend } from "../../private/attestation/replay-backend.ts";
import { openTeeBackend } from "../../private/attestation/open-backend.ts";

type Json = Record<string, unknown>;

const bytesOf = (v: unknown, what: string): Uint8Array => {
  if (typeof v !== "string" || !/^([0-9a-f]{2})+$/i.test(v)) throw new RangeError(`${what}: a hex string`);
  return hexToBytes(v);
};
const list = (v: unknown, what: string): Uint8Array[] => {
  if (!Array.isArray(v)) throw new RangeError(`${what}: a list of hex strings`);
  return v.map((x, i) => bytesOf(x, `${what}[${i}]`));
};
const obj = (v: unknown, what: string): Json => {
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new RangeError(`${what}: an object`);
  return v as Json;
};

/** The policy and evaluation time of a policy file (PRIVATE.md §3.5 fields; byte values in hex). */
export function parseTeePolicy(v: unknown): { policy: TeePolicy; at?: Date } {
  const j = obj(v, "TEE policy");
  const policy: { -readonly [K in keyof TeePolicy]: TeePolicy[K] } = {};
  if (j.snp !== undefined) {
    const s = obj(j.snp, "snp");
    const t = obj(s.minTcb, "snp.minTcb") as Record<string, number>;
    policy.snp = {
      measurements: list(s.measurements, "snp.measurements"),
      minTcb: { bootLoader: t.bootLoader, tee: t.tee, snp: t.snp, microcode: t.microcode, ...(t.fmc !== undefined ? { fmc: t.fmc } : {}) },
      ...(s.maxVmpl !== undefined ? { maxVmpl: Number(s.maxVmpl) } : {}),
      ...(s.allowMigrationAgent === true ? { allowMigrationAgent: true } : {}),
      ...(s.hostData !== undefined ? { hostData: bytesOf(s.hostData, "snp.hostData") } : {}),
    };
  }
  if (j.tdx !== undefined) {
    const s = obj(j.tdx, "tdx");
    policy.tdx = { mrTds: list(s.mrTds, "tdx.mrTds"), ...(s.acceptTcbStatuses ? { acceptTcbStatuses: s.acceptTcbStatuses as never } : {}) };
  }
  if (j.sgx !== undefined) {
    const s = obj(j.sgx, "sgx");
    policy.sgx = { mrEnclaves: list(s.mrEnclaves, "sgx.mrEnclaves"), ...(s.acceptTcbStatuses ? { acceptTcbStatuses: s.acceptTcbStatuses as never } : {}) };
  }
  if (j.binding !== undefined) {
    const b = obj(j.binding, "binding");
    if (b.kind === "transcript") policy.binding = { kind: "transcript" };
    else if (b.kind === "pinned-replay") policy.binding = { kind: "pinned-replay", reportData: bytesOf(b.reportData, "binding.reportData"), reason: String(b.reason ?? "pinned-replay test policy") };
    else throw new RangeError('binding.kind: "transcript" or "pinned-replay"');
  }
  let at: Date | undefined;
  if (j.at !== undefined) {
    at = new Date(String(j.at));
    if (Number.isNaN(at.getTime())) throw new RangeError("at: an ISO 8601 time");
  }
  return { policy, at };
}

export const TEE_PLATFORM_NAMES: Readonly<Record<string, TeePlatformValue>> = { "sev-snp": TeePlatform.SEV_SNP, tdx: TeePlatform.TDX, sgx: TeePlatform.SGX };

/** A file of bytes, or of hex text (the SEV-SNP fixtures are hex). */
function readBytes(path: string): Uint8Array {
  const raw = new Uint8Array(readFileSync(path));
  const text = Buffer.from(raw).toString("latin1").trim();
  return /^([0-9a-f]{2})+$/i.test(text) ? hexToBytes(text) : raw;
}

export interface TeeBackendSpec {
  /** "configfs": the host's configfs-tsm (a real TEE guest); "replay": the REPLAY TEST DOUBLE. */
  kind: "configfs" | "replay";
  platform?: string;
  report?: string;
  endorsement?: string;
}

export async function teeBackendFrom(spec: TeeBackendSpec): Promise<TeeBackend> {
  if (spec.kind === "configfs") return openTeeBackend();
  const platform = TEE_PLATFORM_NAMES[spec.platform ?? "sev-snp"];
  if (platform === undefined) throw new RangeError(`--tee-platform: ${Object.keys(TEE_PLATFORM_NAMES).join(", ")}`);
  if (!spec.report || !spec.endorsement) throw new RangeError("--tee-backend replay needs --tee-report and --tee-endorsement (a recorded report and its VCEK or collateral)");
  return new ReplayedEvidenceBackend({ platform, report: readBytes(spec.report), endorsement: readBytes(spec.endorsement) }, `${spec.platform ?? "sev-snp"} ${spec.report}`);
}
