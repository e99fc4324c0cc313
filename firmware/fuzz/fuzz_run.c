/*
 * libFuzzer target: arbitrary bytes into mhr_byte_run. The ABI promises a
 * result for every job and no trap (docs/ABI.md), and ASan/UBSan watch the
 * generated C and the runtime underneath.
 *
 * Input byte 0 picks the mode:
 *   even: the remaining bytes are the job, as they are (the decoder and
 *         validator's attack surface);
 *   odd:  bytes 1..8 choose limits, arguments, input and state, the rest is
 *         the code, wrapped into a well-formed job (job_builder.h) whose
 *         contract hash is made right, so that execution is reached.
 * The hash comes from the VM itself: a first run with a zero hash stops at
 * HASH_MISMATCH after hashing the code into its scratch digest (DIGEST_TMP,
 * offset 32 of linear memory: interpreter-as/assembly/memory-layout.ts).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_builder.h"
#include "mhr_byte.h"
#include "mhr_byte_internal.h"

#define DIGEST_TMP 32u

static uint8_t *job;
static size_t cap;

static void fail(const char *what) {
  fprintf(stderr, "fuzz_run: %s (trap %d: %s)\n", what, mhr_byte_last_trap(), mhr_byte_trap_name(mhr_byte_last_trap()));
  abort();
}

static size_t run(size_t len) {
  const uint8_t *result = NULL;
  size_t n = mhr_byte_run(len, &result);
  if (n == 0 || result == NULL) fail("mhr_byte_run returned no result");
  if (result[0] != 0xAA && (result[0] & 0xE0) != 0xA0) fail("result is not a CBOR map"); /* a result is a map (SPEC §13) */
  size_t st_len;
  const uint8_t *st = mhr_byte_state(&st_len);
  if (st_len && st == NULL) fail("state length without state");
  return n;
}

static size_t wrap(const uint8_t *data, size_t size) {
  /* ctl[0..7]: memory, cycles, state size, args/rets, input length, state entry, arg seed, epoch */
  uint8_t ctl[8] = {0};
  size_t k = size < 8 ? size : 8;
  memcpy(ctl, data, k);
  data += k;
  size -= k;
  int64_t args[4];
  unsigned nargs = ctl[3] & 3u, nrets = (ctl[3] >> 2) & 3u;
  for (unsigned i = 0; i < nargs; i++) args[i] = (int64_t)((uint64_t)ctl[6] * 0x9E3779B97F4A7C15u >> (i * 13)) - 1000;
  size_t input_len = ctl[4] & 15u;
  if (input_len > size) input_len = size;
  static const uint8_t zero_hash[32];
  static const uint8_t key[3] = {'k', 'e', 'y'};
  static const uint8_t val[4] = {1, 2, 3, 4};
  job_spec_t s = {
    .code = data + input_len, .code_len = size - input_len,
    .hash = zero_hash,
    .max_memory = (uint64_t)ctl[0] << 7,          /* 0 .. 32640 */
    .max_cycles = 1u + ((uint64_t)ctl[1] << 9),   /* small: keeps each run short */
    .max_state_size = (uint64_t)ctl[2] << 7,
    .nargs = nargs, .nrets = nrets, .args = args,
    .input = data, .input_len = input_len,
    .epoch = ctl[7],
    .balance = 1000000,
    .state_key = key, .state_key_len = (ctl[5] & 1u) ? sizeof key : 0,
    .state_val = val, .state_val_len = sizeof val,
  };
  if (s.code_len == 0) return 0;
  size_t len = jb_job(job, cap, &s);
  if (len == 0) return 0;
  run(len); /* HASH_MISMATCH: the VM has hashed the code into its scratch digest */
  size_t mem_size;
  uint8_t *mem = mhr_byte_memory(&mem_size);
  uint8_t hash[32];
  memcpy(hash, mem + DIGEST_TMP, 32);
  s.hash = hash;
  return jb_job(job, cap, &s); /* the job buffer was overwritten by the run: write it again */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (job == NULL) {
    if (mhr_byte_init() != 0) fail("mhr_byte_init failed");
    job = mhr_byte_job_buffer(&cap);
    if (job == NULL || cap == 0) fail("no job buffer");
  }
  if (size == 0) return 0;
  size_t len;
  if (data[0] & 1u) {
    len = wrap(data + 1, size - 1);
    if (len == 0) return 0;
  } else {
    len = size - 1 > cap ? cap : size - 1;
    memcpy(job, data + 1, len);
  }
  run(len);
  return 0;
}
