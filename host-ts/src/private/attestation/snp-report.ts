/**
 * The SEV-SNP ATTESTATION_REPORT, version 2 layout (SEV-SNP Firmware ABI,
 * 0x4A0 bytes, little-endian). Only v2 is accepted: v3+ add CPUID fields and
 * change reserved ranges, and no genuine v3 report was available to test
 * against, so a v3 report is refused with a code instead of half-read.
 */
import { TeeLimit } from "../../generated/private-protocol.ts";
import { teeFail } from "./errors.ts";
import type { ProductLine } from "./trust-anchors.ts";

export const SNP_OFFSET = {
  VERSION: 0x00, GUEST_SVN: 0x04, POLICY: 0x08, FAMILY_ID: 0x10, IMAGE_ID: 0x20, VMPL: 0x30,
  SIGNATURE_ALGO: 0x34, CURRENT_TCB: 0x38, PLATFORM_INFO: 0x40, FLAGS: 0x48, REPORT_DATA: 0x50,
  MEASUREMENT: 0x90, HOST_DATA: 0xc0, ID_KEY_DIGEST: 0xe0, AUTHOR_KEY_DIGEST: 0x110, REPORT_ID: 0x140,
  REPORT_ID_MA: 0x160, REPORTED_TCB: 0x180, CHIP_ID: 0x1a0, COMMITTED_TCB: 0x1e0, CURRENT_BUILD: 0x1e8,
  CURRENT_MINOR: 0x1e9, CURRENT_MAJOR: 0x1ea, COMMITTED_BUILD: 0x1ec, COMMITTED_MINOR: 0x1ed,
  COMMITTED_MAJOR: 0x1ee, LAUNCH_TCB: 0x1f0, SIGNATURE_R: 0x2a0, SIGNATURE_S: 0x2e8,
} as const;

/** Guest policy bits (ABI Table "GUEST_POLICY"). */
export const SnpPolicyBit = { SMT: 16n, RESERVED_MBO: 17n, MIGRATE_MA: 18n, DEBUG: 19n, SINGLE_SOCKET: 20n } as const;

/** ECDSA P-384 with SHA-384, the only signature_algo defined. */
export const SNP_SIG_ALGO_ECDSA_P384_SHA384 = 1;
const SIG_FIELD_BYTES = 72; // each of r and s: 72-byte little-endian, zero-extended
const P384_BYTES = 48;

export interface SnpReport {
  /** The 1184 report bytes as received. */
  readonly bytes: Uint8Array;
  readonly version: number;
  readonly guestSvn: number;
  readonly policy: bigint;
  readonly familyId: Uint8Array;
  readonly imageId: Uint8Array;
  readonly vmpl: number;
  readonly signatureAlgo: number;
  readonly currentTcb: Uint8Array;
  readonly platformInfo: bigint;
  readonly flags: number;
  readonly reportData: Uint8Array;
  readonly measurement: Uint8Array;
  readonly hostData: Uint8Array;
  readonly idKeyDigest: Uint8Array;
  readonly authorKeyDigest: Uint8Array;
  readonly reportId: Uint8Array;
  readonly reportIdMa: Uint8Array;
  /** The TCB the VCEK was derived for: its SPLs must equal this. */
  readonly reportedTcb: Uint8Array;
  readonly chipId: Uint8Array;
  readonly committedTcb: Uint8Array;
  readonly currentVersion: { major: number; minor: number; build: number };
  readonly committedVersion: { major: number; minor: number; build: number };
  readonly launchTcb: Uint8Array;
}

export function parseSnpReport(bytes: Uint8Array): SnpReport {
  if (bytes.length !== TeeLimit.SNP_REPORT_BYTES) teeFail("SNP_REPORT_SIZE", `report is ${bytes.length} bytes, not ${TeeLimit.SNP_REPORT_BYTES}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => dv.getBigUint64(o, true);
  const sl = (o: number, n: number) => bytes.slice(o, o + n);
  const version = u32(SNP_OFFSET.VERSION);
  if (version !== TeeLimit.SNP_REPORT_VERSION) teeFail("SNP_REPORT_VERSION", `report version ${version}; only ${TeeLimit.SNP_REPORT_VERSION} is supported`);
  const O = SNP_OFFSET;
  return {
    bytes: bytes.slice(),
    version,
    guestSvn: u32(O.GUEST_SVN),
    policy: u64(O.POLICY),
    familyId: sl(O.FAMILY_ID, 16),
    imageId: sl(O.IMAGE_ID, 16),
    vmpl: u32(O.VMPL),
    signatureAlgo: u32(O.SIGNATURE_ALGO),
    currentTcb: sl(O.CURRENT_TCB, 8),
    platformInfo: u64(O.PLATFORM_INFO),
    flags: u32(O.FLAGS),
    reportData: sl(O.REPORT_DATA, 64),
    measurement: sl(O.MEASUREMENT, 48),
    hostData: sl(O.HOST_DATA, 32),
    idKeyDigest: sl(O.ID_KEY_DIGEST, 48),
    authorKeyDigest: sl(O.AUTHOR_KEY_DIGEST, 48),
    reportId: sl(O.REPORT_ID, 32),
    reportIdMa: sl(O.REPORT_ID_MA, 32),
    reportedTcb: sl(O.REPORTED_TCB, 8),
    chipId: sl(O.CHIP_ID, 64),
    committedTcb: sl(O.COMMITTED_TCB, 8),
    currentVersion: { major: bytes[O.CURRENT_MAJOR], minor: bytes[O.CURRENT_MINOR], build: bytes[O.CURRENT_BUILD] },
    committedVersion: { major: bytes[O.COMMITTED_MAJOR], minor: bytes[O.COMMITTED_MINOR], build: bytes[O.COMMITTED_BUILD] },
    launchTcb: sl(O.LAUNCH_TCB, 8),
  };
}

export function policyBit(policy: bigint, bit: bigint): boolean {
  return ((policy >> bit) & 1n) === 1n;
}

/** flags bits 4:2: which key signed the report (0 VCEK, 1 VLEK, 7 none). */
export function signingKey(flags: number): number {
  return (flags >> 2) & 7;
}
/** flags bit 1: MASK_CHIP_KEY, the firmware wrote zeroes instead of a signature. */
export function maskChipKey(flags: number): boolean {
  return (flags & 2) !== 0;
}

/**
 * r ‖ s as 96 bytes of IEEE P1363 (big-endian). The fields are 72 bytes each;
 * bytes 48..71 lie outside what ECDSA checks, so they must be zero or a flipped
 * high byte would be accepted by a converter that ignores them.
 */
export function snpSignatureP1363(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 * P384_BYTES);
  for (const [k, off] of [[0, SNP_OFFSET.SIGNATURE_R], [1, SNP_OFFSET.SIGNATURE_S]] as const) {
    const field = bytes.subarray(off, off + SIG_FIELD_BYTES);
    for (let i = P384_BYTES; i < SIG_FIELD_BYTES; i++) {
      if (field[i] !== 0) teeFail("SNP_SIGNATURE_ENCODING", `${k ? "s" : "r"} byte ${i} is 0x${field[i].toString(16)}; bytes 48..71 must be zero`);
    }
    if (field.subarray(0, P384_BYTES).every((b) => b === 0)) teeFail("SNP_SIGNATURE_ENCODING", `${k ? "s" : "r"} is zero`);
    for (let i = 0; i < P384_BYTES; i++) out[k * P384_BYTES + i] = field[P384_BYTES - 1 - i];
  }
  return out;
}

export interface SnpTcb {
  readonly bootLoader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  /** Turin only. */
  readonly fmc?: number;
}

/**
 * TCB_VERSION bytes by product line. Milan and Genoa: [0] boot loader, [1]
 * TEE, [6] SNP, [7] microcode. Turin (ABI 1.56+): [0] FMC, [1] boot loader,
 * [2] TEE, [3] SNP, [7] microcode — checked here against no genuine Turin
 * report (none was available), only against the published layout.
 */
export function decodeTcb(raw: Uint8Array, line: ProductLine): SnpTcb {
  if (line === "Turin") return { fmc: raw[0], bootLoader: raw[1], tee: raw[2], snp: raw[3], microcode: raw[7] };
  return { bootLoader: raw[0], tee: raw[1], snp: raw[6], microcode: raw[7] };
}
