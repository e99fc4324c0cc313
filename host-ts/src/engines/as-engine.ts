/**
 * The "as" engine: the AssemblyScript VM release build (build/mhr-vm.wasm)
 * run in-process through its C-friendly ABI (docs/ABI.md). The module has no
 * imports; one instance runs any number of jobs (mhr_run resets everything).
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { EngineError, runRecord, runRecordOf, type Engine, type EngineRun, type RunOptions } from "../model/engine.ts";
import { decodeState, tooLargeJobResult } from "../model/codec.ts";
import type { StateMap } from "../model/types.ts";

interface VmExports {
  memory: WebAssembly.Memory;
  mhr_abi_version(): number;
  mhr_job_ptr(): number;
  mhr_job_cap(): number;
  mhr_run(len: number): number;
  mhr_result_ptr(): number;
  mhr_state_ptr(): number;
  mhr_state_len(): number;
}

const NAME = "as";
const ABI_VERSION = 2;

export const DEFAULT_WASM_PATH = fileURLToPath(new URL("../../../build/mhr-vm.wasm", import.meta.url));

export async function createAsEngine(wasmPath: string = DEFAULT_WASM_PATH): Promise<Engine> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(await readFile(wasmPath));
  } catch (e) {
    throw new EngineError(`cannot read the VM build ${wasmPath} (run \`npm run build\`): ${(e as Error).message}`, NAME, "NO_BUILD");
  }
  let vm: VmExports;
  try {
    const module = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, {});
    vm = instance.exports as unknown as VmExports;
  } catch (e) {
    throw new EngineError(`cannot instantiate ${wasmPath}: ${(e as Error).message}`, NAME, "BAD_BUILD");
  }
  if (typeof vm.mhr_run !== "function" || vm.mhr_abi_version() !== ABI_VERSION) {
    throw new EngineError(`${wasmPath} does not implement MHR VM ABI ${ABI_VERSION}`, NAME, "BAD_BUILD");
  }
  const jobPtr = vm.mhr_job_ptr();
  const jobCap = vm.mhr_job_cap();
  let closed = false;

  return {
    name: NAME,
    async run(job: Uint8Array, options: RunOptions = {}): Promise<EngineRun> {
      void options; // the VM does not trace
      if (closed) throw new EngineError("engine is closed", NAME, "CLOSED");
      // SPEC §7 step 0 is the host's: the VM never sees bytes it could not hold.
      const tooLarge = tooLargeJobResult(job);
      if (tooLarge) return runRecordOf(tooLarge);
      if (job.length > jobCap) throw new EngineError(`job of ${job.length} bytes exceeds the VM's job buffer (${jobCap} bytes)`, NAME, "BAD_BUILD");
      let len: number;
      try {
        new Uint8Array(vm.memory.buffer, jobPtr, job.length).set(job);
        len = vm.mhr_run(job.length);
      } catch (e) {
        throw new EngineError(`the VM trapped: ${(e as Error).message}`, NAME, "VM_TRAP");
      }
      const mem = new Uint8Array(vm.memory.buffer);
      const resultBytes = mem.slice(vm.mhr_result_ptr(), vm.mhr_result_ptr() + len);
      let state: StateMap | undefined;
      const stateLen = vm.mhr_state_len();
      if (stateLen > 0) {
        const sp = vm.mhr_state_ptr();
        try {
          state = decodeState(mem.slice(sp, sp + stateLen));
        } catch (e) {
          throw new EngineError(`the VM reported a state that is not a state encoding: ${(e as Error).message}`, NAME, "BAD_STATE");
        }
      }
      try {
        return runRecord(resultBytes, state ? { state } : {});
      } catch (e) {
        throw new EngineError(`the VM returned bytes that are not a result: ${(e as Error).message}`, NAME, "BAD_RESULT");
      }
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
