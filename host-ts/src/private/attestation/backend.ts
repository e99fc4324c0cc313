/**
 * The seam between the provider's TEE code and the hardware. A backend
 * produces evidence whose report_data is the 64 bytes it is given; everything
 * else (keys, decryption, compute, encryption) is provider.ts, which runs
 * inside the TEE and is the same whatever the backend.
 *
 * Real backends: configfs-tsm-backend.ts (Linux ≥ 6.7, SEV-SNP and TDX, pure
 * file I/O) and guest-devices.ts (/dev/sev-guest and /dev/tdx_guest, which
 * need ioctl(2) and so a native addon Node does not have). Test double:
 * replay-backend.ts, which replays a genuine recorded report.
 */
import type { TeePlatformValue } from "../../generated/private-protocol.ts";
import type { TeeEvidence } from "./evidence.ts";

export interface TeeBackend {
  readonly platform: TeePlatformValue;
  /** What this backend is, for logs and adverts ("configfs-tsm sev_guest", "REPLAY TEST DOUBLE …"). */
  readonly description: string;
  /**
   * Evidence binding exactly `reportData` (TeeLimit.REPORT_DATA_BYTES bytes).
   * A replay double cannot do that; it says so in `description` and the
   * consumer's binding check refuses it under the production policy.
   */
  getEvidence(reportData: Uint8Array): Promise<TeeEvidence>;
}

/** The provider's computation, run inside the TEE on the decrypted input. */
export type TeeCompute = (input: Uint8Array, context: { readonly agreementId: Uint8Array; readonly seq: number }) => Promise<Uint8Array> | Uint8Array;
