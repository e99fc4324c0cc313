/**
 * ed25519-verify-many: checks a batch of Ed25519 signatures under the
 * SPEC §14.2 rule (strict encodings, cofactored equation — the rule every
 * MHR-Byte engine uses, so every node gives the same answer). Input: records
 * of public key (32) ‖ signature (64) ‖ message length (u16 LE) ‖ message.
 * Output: record count (u32 LE) ‖ a bitmap, bit i (LSB first) set when
 * record i verifies. Code 1: a truncated record; code 2: more than 4096
 * records.
 */
import { verifyEd25519 } from "../../crypto/ed25519.ts";
import type { OpaqueFunction } from "./opaque-function.ts";

export const MAX_RECORDS = 4096;

export function encodeVerifyRecords(records: { publicKey: Uint8Array; signature: Uint8Array; message: Uint8Array }[]): Uint8Array {
  const size = records.reduce((n, r) => n + 98 + r.message.length, 0);
  const out = new Uint8Array(size);
  let p = 0;
  for (const r of records) {
    out.set(r.publicKey, p);
    out.set(r.signature, p + 32);
    new DataView(out.buffer).setUint16(p + 96, r.message.length, true);
    out.set(r.message, p + 98);
    p += 98 + r.message.length;
  }
  return out;
}

export const ed25519VerifyMany: OpaqueFunction = {
  name: "ed25519-verify-many",
  description: "verifies a batch of Ed25519 signatures under SPEC 14.2; output count u32 LE || validity bitmap",
  costPerCall: 5n,
  maxInputBytes: 1024 * 1024,
  maxConcurrent: 2,
  async run(input) {
    const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
    const valid: boolean[] = [];
    let p = 0;
    while (p < input.length) {
      if (valid.length >= MAX_RECORDS) return { ok: false, code: 2, message: `more than ${MAX_RECORDS} records` };
      if (p + 98 > input.length) return { ok: false, code: 1, message: `record ${valid.length} is truncated` };
      const len = dv.getUint16(p + 96, true);
      if (p + 98 + len > input.length) return { ok: false, code: 1, message: `record ${valid.length} is truncated` };
      valid.push(verifyEd25519(input.subarray(p, p + 32), input.subarray(p + 98, p + 98 + len), input.subarray(p + 32, p + 96)));
      p += 98 + len;
    }
    const out = new Uint8Array(4 + Math.ceil(valid.length / 8));
    new DataView(out.buffer).setUint32(0, valid.length, true);
    valid.forEach((v, i) => { if (v) out[4 + (i >> 3)] |= 1 << (i & 7); });
    return { ok: true, output: out };
  },
};

