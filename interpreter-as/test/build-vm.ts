/** Builds the release VM into a private file (or takes MHR_VM_WASM), for tests that need the module. */
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function buildReleaseVm(): string {
  if (process.env.MHR_VM_WASM) return process.env.MHR_VM_WASM;
  const out = join(tmpdir(), `mhr-vm-${process.pid}-${Date.now()}.wasm`);
  execFileSync(process.execPath, [join(ROOT, "node_modules/assemblyscript/bin/asc.js"), "interpreter-as/assembly/index.ts",
    "--target", "release", "--outFile", out], { cwd: ROOT, stdio: "pipe" });
  return out;
}
