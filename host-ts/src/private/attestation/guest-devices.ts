/**
 * The Linux guest devices, as far as Node reaches them.
 *
 * /dev/sev-guest takes SNP_GET_REPORT and /dev/tdx_guest TDX_CMD_GET_REPORT0,
 * both ioctl(2) calls whose argument structs hold user-space pointers. Node
 * has no ioctl binding and cannot hand the kernel a pointer without a native
 * addon, so these backends check the device and then refuse with
 * BACKEND_UNAVAILABLE naming the reason; they never pretend. On Linux ≥ 6.7
 * the same reports come through configfs-tsm as plain files, which Node can
 * do: configfs-tsm-backend.ts. The request and response layouts below are
 * the kernel ABI (include/uapi/linux/sev-guest.h, tdx-guest.h) for whoever
 * adds an addon; tests pin them.
 */
import { statSync } from "node:fs";
import { TeeLimit, TeePlatform } from "../../generated/private-protocol.ts";
import type { TeeBackend } from "./backend.ts";
import { teeFail } from "./errors.ts";
import type { TeeEvidence } from "./evidence.ts";

/** Linux _IOWR(type, nr, size): direction read|write (3) in bits 30-31, size in 16-29. */
export function iowr(type: string, nr: number, size: number): number {
  return ((3 << 30) | (size << 16) | (type.charCodeAt(0) << 8) | nr) >>> 0;
}

/** struct snp_guest_request_ioctl { u8 msg_version; u64 req_data; u64 resp_data; u64 exitinfo2 } (u8 padded to 8). */
export const SNP_GUEST_REQUEST_IOCTL_BYTES = 32;
export const SNP_GET_REPORT = iowr("S", 0x0, SNP_GUEST_REQUEST_IOCTL_BYTES); // 0xC0205300
export const SNP_GET_EXT_REPORT = iowr("S", 0x2, SNP_GUEST_REQUEST_IOCTL_BYTES);
/** struct snp_report_req { u8 user_data[64]; u32 vmpl; u8 rsvd[28] }. */
export const SNP_REPORT_REQ_BYTES = 96;
/** struct snp_report_resp { u8 data[4000] }: MSG_REPORT_RSP { u32 status; u32 report_size; u8 rsvd[24]; report }. */
export const SNP_REPORT_RESP_BYTES = 4000;

/** struct tdx_report_req { u8 reportdata[64]; u8 tdreport[1024] }. */
export const TDX_REPORT_REQ_BYTES = 64 + 1024;
export const TDX_CMD_GET_REPORT0 = iowr("T", 0x1, TDX_REPORT_REQ_BYTES); // 0xC4405401

export function snpReportRequest(reportData: Uint8Array, vmpl = 0): Uint8Array {
  if (reportData.length !== TeeLimit.REPORT_DATA_BYTES) teeFail("BACKEND_FAILED", "report_data must be 64 bytes");
  if (!Number.isInteger(vmpl) || vmpl < 0 || vmpl > 3) teeFail("BACKEND_FAILED", "vmpl must be 0..3");
  const req = new Uint8Array(SNP_REPORT_REQ_BYTES);
  req.set(reportData, 0);
  new DataView(req.buffer).setUint32(64, vmpl, true);
  return req;
}

/** The report from a MSG_REPORT_RSP buffer, with the firmware status checked. */
export function parseSnpReportResponse(resp: Uint8Array): Uint8Array {
  if (resp.length < 32 + TeeLimit.SNP_REPORT_BYTES) teeFail("BACKEND_FAILED", `response is ${resp.length} bytes`);
  const dv = new DataView(resp.buffer, resp.byteOffset, resp.byteLength);
  const status = dv.getUint32(0, true);
  const size = dv.getUint32(4, true);
  if (status !== 0) teeFail("BACKEND_FAILED", `firmware status 0x${status.toString(16)}`);
  if (size !== TeeLimit.SNP_REPORT_BYTES) teeFail("BACKEND_FAILED", `report_size ${size}`);
  return resp.slice(32, 32 + size);
}

export function tdxReportRequest(reportData: Uint8Array): Uint8Array {
  if (reportData.length !== TeeLimit.REPORT_DATA_BYTES) teeFail("BACKEND_FAILED", "report_data must be 64 bytes");
  const req = new Uint8Array(TDX_REPORT_REQ_BYTES);
  req.set(reportData, 0);
  return req;
}

export type DeviceState = "absent" | "not-a-character-device" | "present";

export function deviceState(path: string): DeviceState {
  try {
    return statSync(path).isCharacterDevice() ? "present" : "not-a-character-device";
  } catch {
    return "absent";
  }
}

const NO_IOCTL = "Node.js has no ioctl(2) and cannot pass the kernel a user-space pointer without a native addon";

abstract class GuestDeviceBackend implements TeeBackend {
  abstract readonly platform: TeeEvidence["platform"];
  abstract readonly description: string;
  constructor(readonly devicePath: string, private readonly ioctlName: string, private readonly ioctlNumber: number) {}

  async getEvidence(reportData: Uint8Array): Promise<TeeEvidence> {
    if (reportData.length !== TeeLimit.REPORT_DATA_BYTES) teeFail("BACKEND_FAILED", "report_data must be 64 bytes");
    const state = deviceState(this.devicePath);
    if (state === "absent") teeFail("BACKEND_UNAVAILABLE", `${this.devicePath} does not exist: this host is not a confidential guest of that kind`);
    if (state === "not-a-character-device") teeFail("BACKEND_UNAVAILABLE", `${this.devicePath} is not a character device`);
    return teeFail("BACKEND_UNAVAILABLE", `${this.devicePath} exists, but ${this.ioctlName} (0x${this.ioctlNumber.toString(16)}) needs ioctl(2): ${NO_IOCTL}; use the configfs-tsm backend (Linux ≥ 6.7)`);
  }
}

/** /dev/sev-guest, SNP_GET_REPORT. Not usable from pure Node (see the module comment). */
export class SevGuestDeviceBackend extends GuestDeviceBackend {
  readonly platform = TeePlatform.SEV_SNP;
  readonly description = "SEV-SNP /dev/sev-guest (ioctl; unavailable from pure Node)";
  constructor(devicePath = "/dev/sev-guest") {
    super(devicePath, "SNP_GET_REPORT", SNP_GET_REPORT);
  }
}

/**
 * /dev/tdx_guest, TDX_CMD_GET_REPORT0. Even with an addon, a TDREPORT is only
 * MAC'd for the local quoting enclave; a verifiable quote needs the host's
 * quote-generation service, which Linux reaches through configfs-tsm.
 */
export class TdxGuestDeviceBackend extends GuestDeviceBackend {
  readonly platform = TeePlatform.TDX;
  readonly description = "TDX /dev/tdx_guest (ioctl; unavailable from pure Node)";
  constructor(devicePath = "/dev/tdx_guest") {
    super(devicePath, "TDX_CMD_GET_REPORT0", TDX_CMD_GET_REPORT0);
  }
}
