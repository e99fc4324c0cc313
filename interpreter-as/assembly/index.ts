// The VM's exports (docs/ABI.md): i32 only, offsets into linear memory.

import { ERR_JOB_TOO_LARGE, STATUS_HALT, STATUS_INVALID } from "./generated/opcodes";
import { JOB, JOB_CAP, JOB_HASH, RESULT, STATE_HASH, LAYOUT_END } from "./memory-layout";
import { validate } from "./validate";
import * as job from "./validate";
import * as vm from "./generated/vm-loop";
import * as state from "./state";
import { writeResult } from "./result";
import { blake3Hash } from "./crypto/index";

/** docs/ABI.md: the ABI revision this module implements. */
const ABI_VERSION: i32 = 2;

let stateAt: usize = 0;
let stateLen: u32 = 0;
let resultLen: u32 = 0;

export function mhr_abi_version(): i32 { return ABI_VERSION; }
export function mhr_job_ptr(): i32 { return <i32>JOB; }
export function mhr_job_cap(): i32 { return <i32>JOB_CAP; }
export function mhr_result_ptr(): i32 { return <i32>RESULT; }
/**
 * Puts back the code bytes the last mhr_run rewrote into its internal form
 * (interpreter-as/README.md), so that the job buffer holds the job as given:
 * a host that runs the same bytes again without writing them (BENCH) calls it
 * first. A no-op when nothing was rewritten or the buffer has since been
 * overwritten by the state's encoding.
 */
export function mhr_restore(): void { vm.restoreCode(); }
/** Set when the last call ended in HALT with a changed state whose encoding is not yet written. */
let stateEncodingPending = false;

/**
 * The final state's encoding goes into the job buffer, but only now that a
 * host asks for it, so BENCH can run the same job again after mhr_restore
 * (docs/PROTOCOL.md). Asking for the state ends the job.
 */
function materialiseState(): void {
  if (!stateEncodingPending) return;
  stateEncodingPending = false;
  vm.forgetCode(); // the encoding overwrites the code: there is nothing left to restore
  stateAt = JOB;
  stateLen = <u32>state.encode(JOB);
}
export function mhr_state_ptr(): i32 { materialiseState(); return <i32>stateAt; }
export function mhr_state_len(): i32 { materialiseState(); return <i32>stateLen; }
/** End of the static layout (static data starts here); for the README's budget check. */
export function mhr_layout_end(): i32 { return <i32>LAYOUT_END; }
/** End of the static data (tables, crypto constants and scratch): the memory the module uses. */
export function mhr_static_end(): i32 { return <i32>__heap_base; }

function invalid(err: i32): i32 {
  stateEncodingPending = false;
  stateAt = JOB;
  stateLen = 0;
  resultLen = writeResult(STATUS_INVALID, <i64>err, 0, 0, 0, 0, 0, 0);
  return <i32>resultLen;
}

/**
 * Validates and runs the job of `len` bytes in the job buffer; writes the
 * result at mhr_result_ptr() and returns its length. A length over the buffer
 * gives JOB_TOO_LARGE without reading the buffer: its job_hash field is then
 * 32 zero bytes, which the host (that holds the bytes) replaces with the hash.
 */
export function mhr_run(len: i32): i32 {
  vm.forgetCode(); // the buffer holds a job as given: a new one, or the last one restored
  if (<u32>len > <u32>JOB_CAP) {
    memory.fill(JOB_HASH, 0, 32);
    return invalid(ERR_JOB_TOO_LARGE);
  }
  blake3Hash(JOB, <u32>len, JOB_HASH);
  const err = validate(JOB, <u32>len);
  if (err != 0) return invalid(err);

  vm.execute();

  const halted = vm.status == STATUS_HALT;
  if (halted && state.dirty) {
    state.hashEncoding(STATE_HASH);
    stateEncodingPending = true;
  } else {
    // ABORT/TRAP keep the prior state; so does a HALT that stored nothing.
    // The job's state map is already its canonical encoding.
    stateEncodingPending = false;
    stateAt = job.priorState;
    stateLen = job.priorStateLen;
    blake3Hash(stateAt, stateLen, STATE_HASH);
  }
  resultLen = halted
    ? writeResult(STATUS_HALT, 0, vm.cycles, vm.retPtr, job.rets, vm.outLen, vm.logCount, vm.xferCount)
    : writeResult(vm.status, vm.code, vm.cycles, 0, 0, 0, vm.logCount, 0);
  return <i32>resultLen;
}
