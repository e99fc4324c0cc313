/**
 * What a consumer checks of every ComputeResult before it is used or paid
 * (docs/NODE.md §7.3, the ResultHash proof method; Redundant, SpotCheck and
 * Reputation build on it). In this order, each failure with its code:
 *   strict decoding and the provider's signature (BAD_SIGNATURE, …) →
 *   agreement, job and provider ids (RESULT_INCONSISTENT) →
 *   job_hash = Blake3(job sent) (JOB_HASH_MISMATCH) →
 *   result_hash = Blake3(result) (RESULT_HASH_MISMATCH) →
 *   the result decodes, is canonical, names the same job and agrees with the
 *   message's status and cycles, within the agreed and declared cycle limits,
 *   and is a consensus result (RESULT_INCONSISTENT, JOB_HASH_MISMATCH) →
 *   a reported state hashes to the result's state_hash (RESULT_INCONSISTENT).
 */
import { CborError } from "../model/cbor.ts";
import { decodeResult, encodeResult, hash32 } from "../model/codec.ts";
import { equalBytes } from "../model/bytes.ts";
import { Status } from "../generated/opcodes.ts";
import { CapabilityKind, type AgreementBody, type ComputeResult } from "../generated/node-protocol.ts";
import { WasmError, WasmTrap } from "../generated/wasm-tier.ts";
import { decodeComputeResult, decodeFunctionResult } from "./messages/execution-messages.ts";
import { fail, ProtocolError } from "./wire/protocol-error.ts";
import type { JobInfo } from "./job-info.ts";

export interface VerifiedResult {
  message: ComputeResult;
  /** Verified units to bill: cycles (PerCycle) or 1 (PerInvocation). */
  units: bigint;
}

export function verifyComputeResult(bytes: Uint8Array, a: AgreementBody, jobId: Uint8Array, job: Uint8Array, info: JobInfo): VerifiedResult {
  const m = decodeComputeResult(bytes, a.providerKey);
  if (!equalBytes(m.agreementId, a.agreementId) || !equalBytes(m.jobId, jobId) || !equalBytes(m.provider, a.provider)) fail("RESULT_INCONSISTENT", "the result names another agreement, job or provider");
  const jobHash = hash32(job);
  if (!equalBytes(m.jobHash, jobHash)) fail("JOB_HASH_MISMATCH", "job_hash is not Blake3 of the job sent");
  if (!equalBytes(m.resultHash, hash32(m.result))) fail("RESULT_HASH_MISMATCH", "result_hash is not Blake3 of the result bytes");
  if (a.capability.kind === CapabilityKind.Function) {
    let r;
    try {
      r = decodeFunctionResult(m.result);
    } catch (e) {
      return fail("RESULT_INCONSISTENT", `not a FunctionResult: ${(e as Error).message}`);
    }
    if (!equalBytes(r.callHash, jobHash)) fail("JOB_HASH_MISMATCH", "the FunctionResult answers another call");
    if (!equalBytes(r.functionId, a.capability.functionId!)) fail("RESULT_INCONSISTENT", "the FunctionResult is of another function");
    if (r.status !== m.status || m.cycles !== 0n || m.state !== undefined) fail("RESULT_INCONSISTENT", "status, cycles or state disagree with the FunctionResult");
    return { message: m, units: 1n };
  }
  let r;
  try {
    r = decodeResult(m.result);
  } catch (e) {
    if (e instanceof CborError || e instanceof ProtocolError) return fail("RESULT_INCONSISTENT", `not a result: ${e.message}`);
    throw e;
  }
  if (!equalBytes(encodeResult(r), m.result) || r.version !== 1 || r.status > 3) fail("RESULT_INCONSISTENT", "the result is not a canonical version-1 result");
  if (!equalBytes(r.jobHash, jobHash)) fail("JOB_HASH_MISMATCH", "the result's job_hash is not Blake3 of the job sent");
  if (r.status !== m.status || BigInt(r.cycles) !== m.cycles) fail("RESULT_INCONSISTENT", "status or cycles disagree with the result");
  if (m.cycles > a.capability.maxCycles || (info.maxCycles > 0n && m.cycles > info.maxCycles)) fail("RESULT_INCONSISTENT", `${m.cycles} cycles is above the job's or the agreement's limit`);
  // WASM.md §10: these outcomes depend on the node, not the job, and must never be signed.
  const local = (r.status === Status.INVALID && r.code === BigInt(WasmError.TIER_UNAVAILABLE)) ||
    (r.status === Status.TRAP && (r.code === BigInt(WasmTrap.WALL_CLOCK_EXCEEDED) || r.code === BigInt(WasmTrap.HOST_RESOURCES_EXHAUSTED)));
  if (local) fail("RESULT_INCONSISTENT", "a local outcome (delegate, timeout, crash) was signed as a result");
  if (m.state !== undefined) {
    if (r.status === Status.INVALID || !equalBytes(hash32(m.state), r.stateHash)) fail("RESULT_INCONSISTENT", "the state does not hash to the result's state_hash");
  }
  return { message: m, units: m.cycles };
}
