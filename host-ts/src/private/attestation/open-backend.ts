/**
 * Picks the host's real TEE backend: configfs-tsm when present, else says
 * exactly why none is usable. Never falls back to the replay double.
 */
import { ConfigfsTsmBackend, type ConfigfsTsmOptions } from "./configfs-tsm-backend.ts";
import { TeeError, teeFail } from "./errors.ts";
import { deviceState } from "./guest-devices.ts";
import type { TeeBackend } from "./backend.ts";

export async function openTeeBackend(opts: ConfigfsTsmOptions = {}): Promise<TeeBackend> {
  try {
    return await ConfigfsTsmBackend.open(opts);
  } catch (e) {
    if (!(e instanceof TeeError)) throw e;
    const devices = ["/dev/sev-guest", "/dev/tdx_guest"].map((p) => `${p}: ${deviceState(p)}`).join(", ");
    const hint = devices.includes("present") ? "; the guest device exists but needs ioctl(2), which Node cannot issue" : "";
    return teeFail("BACKEND_UNAVAILABLE", `not available on this host: ${e.message} (${devices})${hint}`);
  }
}
