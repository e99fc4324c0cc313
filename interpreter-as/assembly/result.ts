// The canonical result encoding, SPEC §13: a map of keys 0-9 in key order.

import {
  SPEC_VERSION, STATUS_INVALID, LIMIT_HASH_SIZE, LIMIT_NODE_ID_SIZE,
} from "./generated/opcodes";
import { RESULT, JOB_HASH, STATE_HASH, OUTPUT, LOG_LENS, LOG_BUF, TRANSFERS, TRANSFER_REC } from "./memory-layout";
import { putHead, putInt, putBytes, MAJOR_UINT, MAJOR_ARRAY, MAJOR_MAP } from "./cbor";

const H: usize = <usize>LIMIT_HASH_SIZE;

/**
 * Writes the result at RESULT and returns its length. `nret` values are read
 * at `rets` (deepest first); output, logs and transfers come from their
 * buffers; the counts are zero where the status calls for empty fields.
 */
export function writeResult(
  status: i32, code: i64, cycles: u64,
  rets: usize, nret: u32, outLen: u32, logCount: u32, xferCount: u32,
): u32 {
  let p = putHead(RESULT, MAJOR_MAP, 10);
  p = putHead(p, MAJOR_UINT, 0); p = putHead(p, MAJOR_UINT, <u64>SPEC_VERSION);
  p = putHead(p, MAJOR_UINT, 1); p = putBytes(p, JOB_HASH, H);
  p = putHead(p, MAJOR_UINT, 2); p = putHead(p, MAJOR_UINT, <u64>status);
  p = putHead(p, MAJOR_UINT, 3); p = putInt(p, code);
  p = putHead(p, MAJOR_UINT, 4); p = putHead(p, MAJOR_UINT, cycles);
  p = putHead(p, MAJOR_UINT, 5); p = putHead(p, MAJOR_ARRAY, <u64>nret);
  for (let i: u32 = 0; i < nret; i++) p = putInt(p, load<i64>(rets + (<usize>i << 3)));
  p = putHead(p, MAJOR_UINT, 6); p = putBytes(p, OUTPUT, <usize>outLen);
  p = putHead(p, MAJOR_UINT, 7); p = putHead(p, MAJOR_ARRAY, <u64>logCount);
  let lp = LOG_BUF;
  for (let i: u32 = 0; i < logCount; i++) {
    const n = <usize>load<u16>(LOG_LENS + (<usize>i << 1));
    p = putBytes(p, lp, n);
    lp += n;
  }
  p = putHead(p, MAJOR_UINT, 8); p = putHead(p, MAJOR_ARRAY, <u64>xferCount);
  for (let i: u32 = 0; i < xferCount; i++) {
    const rec = TRANSFERS + <usize>i * TRANSFER_REC;
    p = putHead(p, MAJOR_ARRAY, 2);
    p = putBytes(p, rec, <usize>LIMIT_NODE_ID_SIZE);
    p = putHead(p, MAJOR_UINT, <u64>load<i64>(rec + <usize>LIMIT_NODE_ID_SIZE));
  }
  p = putHead(p, MAJOR_UINT, 9);
  if (status == STATUS_INVALID) {
    memory.fill(STATE_HASH, 0, H);
  }
  p = putBytes(p, STATE_HASH, H);
  return <u32>(p - RESULT);
}

