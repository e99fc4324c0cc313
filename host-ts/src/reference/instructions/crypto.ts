/**
 * Crypto instructions (SPEC §9.6, §14): HASH (Blake3-256), VERIFY_SIG
 * (Ed25519, SPEC §14.2), VERIFY_VRF (ECVRF-EDWARDS25519-SHA512-TAI, SPEC §14.3).
 * Their costs grow with the message length.
 */
import { Limit, costOf } from "../../generated/opcodes.ts";
import type { Instruction } from "../code.ts";
import { verifyEcvrf } from "../../crypto/ecvrf.ts";
import { verifyEd25519 } from "../../crypto/ed25519.ts";
import { hash32 } from "../../model/codec.ts";
import { chargeGas } from "../gas.ts";
import { bool } from "../int64.ts";
import { drop, operands, push, requireStackEffect, type Machine } from "../machine.ts";
import { bytesAt, memoryRange } from "../operands.ts";

/** HASH `src len dst --`: Blake3-256 of (src, len) written to (dst, 32); the digest is computed before it is written. */
export function hash(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [src, len, dst] = operands(m, 3);
  const input = memoryRange(m, src, len);
  const digestAt = memoryRange(m, dst, Limit.HASH_SIZE);
  // GAS
  chargeGas(m, costOf(ins.key, input.len, m.costs));
  // OPERATION
  drop(m, 3);
  const digest = hash32(bytesAt(m, input));
  m.memory.set(digest, digestAt.addr);
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/** VERIFY_SIG `pk msg len sig -- ok`: 1 if (sig, 64) is valid for (msg, len) under (pk, 32) by SPEC §14.2, else 0. */
export function verifySig(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [pk, msg, len, sig] = operands(m, 4);
  const keyAt = memoryRange(m, pk, Limit.PUBKEY_SIZE);
  const msgAt = memoryRange(m, msg, len);
  const sigAt = memoryRange(m, sig, Limit.SIGNATURE_SIZE);
  // GAS
  chargeGas(m, costOf(ins.key, msgAt.len, m.costs));
  // OPERATION
  drop(m, 4);
  push(m, bool(verifyEd25519(bytesAt(m, keyAt), bytesAt(m, msgAt), bytesAt(m, sigAt))));
  // PROGRAM COUNTER
  m.pc = ins.next;
}

/**
 * VERIFY_VRF `pk alpha len proof dst -- ok`: on a valid proof (SPEC §14.3)
 * write β to (dst, 64) and push 1; otherwise push 0 and leave memory
 * unchanged. All four ranges are checked either way.
 */
export function verifyVrf(m: Machine, ins: Instruction): void {
  // STACK
  requireStackEffect(m, ins);
  // OPERANDS
  const [pk, alpha, len, proof, dst] = operands(m, 5);
  const keyAt = memoryRange(m, pk, Limit.PUBKEY_SIZE);
  const alphaAt = memoryRange(m, alpha, len);
  const proofAt = memoryRange(m, proof, Limit.VRF_PROOF_SIZE);
  const outputAt = memoryRange(m, dst, Limit.VRF_OUTPUT_SIZE);
  // GAS
  chargeGas(m, costOf(ins.key, alphaAt.len, m.costs));
  // OPERATION
  drop(m, 5);
  const beta = verifyEcvrf(bytesAt(m, keyAt), bytesAt(m, alphaAt), bytesAt(m, proofAt));
  if (beta !== undefined) m.memory.set(beta, outputAt.addr);
  push(m, bool(beta !== undefined));
  // PROGRAM COUNTER
  m.pc = ins.next;
}
