// The static memory plan of the VM (docs/ABI.md, interpreter-as/README.md).
//
// Every region lives at a fixed offset of linear memory below LAYOUT_END; the
// compiler places static data (opcode tables, crypto constants) after it
// (asconfig.json sets memoryBase = LAYOUT_END). Nothing is ever allocated and
// memory never grows. Sizes derive from the generated limits.

import {
  LIMIT_STACK_DEPTH, LIMIT_CALL_DEPTH, LIMIT_MAX_JOB_SIZE, LIMIT_MAX_MEMORY,
  LIMIT_MAX_STATE_SIZE, LIMIT_STATE_ENTRY_OVERHEAD, LIMIT_STATE_ARENA_SIZE, LIMIT_MAX_OUTPUT, LIMIT_MAX_LOGS,
  LIMIT_MAX_LOG_BYTES, LIMIT_MAX_TRANSFERS, LIMIT_NODE_ID_SIZE, LIMIT_MAX_CODE_SIZE, LIMIT_INDEX_BLOCK,
} from "./generated/opcodes";

/** Scratch: job hash, digest staging, VRF beta staging, state hash. */
export const SCRATCH: usize = 0;
export const JOB_HASH: usize = SCRATCH;            // 32
export const DIGEST_TMP: usize = SCRATCH + 32;     // 32 (HASH output before it is copied)
export const BETA_TMP: usize = SCRATCH + 64;       // 64 (VRF output before it is copied)
export const STATE_HASH: usize = SCRATCH + 128;    // 32
/** Staging for the final state's hash walk (state.ts), after the call: nothing else uses it then. */
export const WALK_STAGE: usize = SCRATCH + 160;    // 96
export const WALK_STAGE_SIZE: usize = 96;
export const SCRATCH_SIZE: usize = 256;

/** Data stack: STACK_DEPTH signed 64-bit values, growing upwards. */
export const DSTACK: usize = SCRATCH + SCRATCH_SIZE;
export const DSTACK_SIZE: usize = <usize>LIMIT_STACK_DEPTH * 8;
export const DSTACK_END: usize = DSTACK + DSTACK_SIZE;

/** Call stack: CALL_DEPTH absolute return addresses (u32). */
export const CSTACK: usize = DSTACK_END;
export const CSTACK_SIZE: usize = <usize>LIMIT_CALL_DEPTH * 4;
export const CSTACK_END: usize = CSTACK + CSTACK_SIZE;

/** Transfers: MAX_TRANSFERS records of [NodeID (16) | amount i64 (8)]. */
export const TRANSFER_REC: usize = <usize>LIMIT_NODE_ID_SIZE + 8;
export const TRANSFERS: usize = CSTACK_END;
export const TRANSFERS_SIZE: usize = <usize>LIMIT_MAX_TRANSFERS * TRANSFER_REC;

/** Log record lengths: MAX_LOGS u16 (records lie back to back in LOG_BUF). */
export const LOG_LENS: usize = TRANSFERS + TRANSFERS_SIZE;
export const LOG_LENS_SIZE: usize = 128;
export const LOG_BUF: usize = LOG_LENS + LOG_LENS_SIZE;
export const LOG_BUF_SIZE: usize = <usize>LIMIT_MAX_LOG_BYTES;

/** Output (EMIT). */
export const OUTPUT: usize = LOG_BUF + LOG_BUF_SIZE;
export const OUTPUT_SIZE: usize = <usize>LIMIT_MAX_OUTPUT;

/**
 * Result buffer. The largest result is 6,922 bytes (16 returns, 4096 output
 * bytes, 32 logs of 2048 bytes in all, 16 transfers). While a call runs the
 * result is not built yet, so the same bytes hold the balance index: one u16
 * job offset per balances entry, sorted like the map. An entry takes at least
 * 18 job bytes, so at most MAX_JOB_SIZE / 18 = 3,640 entries (7,280 bytes).
 */
export const RESULT: usize = OUTPUT + OUTPUT_SIZE;
export const RESULT_SIZE: usize = 8192;
export const BAL_INDEX: usize = RESULT;
export const BAL_INDEX_CAP: u32 = <u32>(RESULT_SIZE / 2);

/**
 * State. The arena holds one record per entry: [vlen u16 (bit 15: dead) |
 * klen u8 | index slot group u8 | key | value]. The record header is exactly
 * STATE_ENTRY_OVERHEAD bytes, so the live records' bytes equal the state size.
 * The arena is STATE_ARENA_SIZE bytes, MAX_STATE_SIZE plus room for dead
 * records: deleted or replaced records stay in place, marked dead, until SPEC
 * §9.7's incremental compaction passes them (state.ts). The index holds the
 * u16 arena offset of each live record, sorted by key in the order of their
 * CBOR encodings (shorter keys first, then bytewise), as a tiered vector:
 * STATE_INDEX_BLOCKS circular blocks of STATE_INDEX_BLOCK slots, all full but
 * the last, with one u8 head per block.
 */
export const STATE_MIN_ENTRY: u32 = <u32>LIMIT_STATE_ENTRY_OVERHEAD + 1;
export const STATE_INDEX_CAP: u32 = <u32>LIMIT_MAX_STATE_SIZE / STATE_MIN_ENTRY; // 6553
// SPEC §9.7's index-move charge counts the slots of this very layout (the generator checks the block is a power of two).
export const STATE_INDEX_BLOCK_BITS: u32 = <u32>ctz<u32>(<u32>LIMIT_INDEX_BLOCK);
export const STATE_INDEX_BLOCK: u32 = 1 << STATE_INDEX_BLOCK_BITS; // 64 slots
export const STATE_INDEX_BLOCKS: u32 = (STATE_INDEX_CAP + STATE_INDEX_BLOCK - 1) >> STATE_INDEX_BLOCK_BITS; // 103
export const STATE_INDEX: usize = RESULT + RESULT_SIZE;
export const STATE_INDEX_SIZE: usize = <usize>(STATE_INDEX_BLOCKS * STATE_INDEX_BLOCK) * 2; // 13,184
export const STATE_HEADS: usize = STATE_INDEX + STATE_INDEX_SIZE;
export const STATE_HEADS_SIZE: usize = (<usize>STATE_INDEX_BLOCKS + 15) & ~(<usize>15); // 112
export const STATE_ARENA: usize = STATE_HEADS + STATE_HEADS_SIZE;
export const STATE_ARENA_SIZE: usize = <usize>LIMIT_STATE_ARENA_SIZE; // < 2^16: offsets fit the u16 slots

/**
 * Contract memory (max_memory bytes are addressable). During validation its
 * first bytes hold the instruction-start bitmap (one bit per code offset).
 */
export const MEMORY: usize = STATE_ARENA + STATE_ARENA_SIZE;
export const MEMORY_SIZE: usize = <usize>LIMIT_MAX_MEMORY;
export const CODE_BITMAP: usize = MEMORY;
export const CODE_BITMAP_SIZE: usize = (<usize>LIMIT_MAX_CODE_SIZE + 8) >> 3;

/**
 * Job buffer. After a HALT the job is dead and the final state's canonical
 * encoding is written here (at most MAX_STATE_SIZE + 118 bytes).
 * 16 bytes of padding follow so that a PUSH reads its immediate with one load.
 */
export const JOB: usize = MEMORY + MEMORY_SIZE;
export const JOB_CAP: usize = <usize>LIMIT_MAX_JOB_SIZE;
export const JOB_PAD: usize = 16;

export const LAYOUT_END: usize = JOB + JOB_CAP + JOB_PAD;
