/*
 * A tiny deterministic-CBOR writer and MHR-Byte job builder (docs/SPEC.md §4-§6)
 * for the fuzzer and tests: enough to wrap arbitrary code bytes into a job
 * that passes the shape checks, so that execution is reached.
 */
#ifndef MHR_JOB_BUILDER_H
#define MHR_JOB_BUILDER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct jb {
  uint8_t *p;
  size_t len, cap;
  int overflow;
} jb_t;

static void jb_bytes(jb_t *b, const void *src, size_t n) {
  if (b->overflow || n > b->cap - b->len) {
    b->overflow = 1;
    return;
  }
  if (n) memcpy(b->p + b->len, src, n);
  b->len += n;
}

/* Head of major type `major` with argument v, in its shortest form. */
static void jb_head(jb_t *b, unsigned major, uint64_t v) {
  uint8_t h[9];
  size_t n;
  uint8_t m = (uint8_t)(major << 5);
  if (v < 24) { h[0] = (uint8_t)(m | v); n = 1; }
  else if (v <= 0xFF) { h[0] = m | 24; h[1] = (uint8_t)v; n = 2; }
  else if (v <= 0xFFFF) { h[0] = m | 25; h[1] = (uint8_t)(v >> 8); h[2] = (uint8_t)v; n = 3; }
  else if (v <= 0xFFFFFFFFu) {
    h[0] = m | 26;
    for (int i = 0; i < 4; i++) h[1 + i] = (uint8_t)(v >> (24 - 8 * i));
    n = 5;
  } else {
    h[0] = m | 27;
    for (int i = 0; i < 8; i++) h[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    n = 9;
  }
  jb_bytes(b, h, n);
}

static void jb_uint(jb_t *b, uint64_t v) { jb_head(b, 0, v); }
static void jb_int(jb_t *b, int64_t v) {
  if (v >= 0) jb_head(b, 0, (uint64_t)v);
  else jb_head(b, 1, (uint64_t)(-(v + 1)));
}
static void jb_bstr(jb_t *b, const void *p, size_t n) { jb_head(b, 2, n); jb_bytes(b, p, n); }
static void jb_text(jb_t *b, const char *s) { size_t n = strlen(s); jb_head(b, 3, n); jb_bytes(b, s, n); }
static void jb_array(jb_t *b, size_t n) { jb_head(b, 4, n); }
static void jb_map(jb_t *b, size_t n) { jb_head(b, 5, n); }

typedef struct job_spec {
  const uint8_t *code; size_t code_len;
  const uint8_t *hash;            /* 32 bytes: Blake3(code) (or anything, to get HASH_MISMATCH) */
  uint64_t max_memory, max_cycles, max_state_size;
  unsigned nargs, nrets;
  const int64_t *args;            /* nargs values */
  const uint8_t *input; size_t input_len;
  uint64_t epoch;
  uint64_t balance;               /* one balances entry for `sender` */
  const uint8_t *state_key; size_t state_key_len; /* one prior-state entry when state_key_len > 0 */
  const uint8_t *state_val; size_t state_val_len;
} job_spec_t;

/* Writes the job; returns its length, or 0 when it does not fit in cap bytes. */
static size_t jb_job(uint8_t *out, size_t cap, const job_spec_t *s) {
  static const uint8_t sender[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  static const uint8_t self[16] = {0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF};
  static const uint8_t state_key32[32] = {0x5E};
  jb_t b = {out, 0, cap, 0};
  jb_map(&b, 7);
  jb_uint(&b, 0); jb_uint(&b, 1);                       /* version */
  jb_uint(&b, 1);                                       /* contract */
  jb_map(&b, 8);
  jb_uint(&b, 0); jb_uint(&b, 1);
  jb_uint(&b, 1); jb_bstr(&b, s->hash, 32);
  jb_uint(&b, 2); jb_bstr(&b, s->code, s->code_len);
  jb_uint(&b, 3); jb_uint(&b, s->max_memory);
  jb_uint(&b, 4); jb_uint(&b, s->max_cycles);
  jb_uint(&b, 5); jb_uint(&b, s->max_state_size);
  jb_uint(&b, 6); jb_bstr(&b, state_key32, 32);
  jb_uint(&b, 7); jb_array(&b, 1);
  jb_array(&b, 4); jb_text(&b, "f"); jb_uint(&b, 0); jb_uint(&b, s->nargs); jb_uint(&b, s->nrets);
  jb_uint(&b, 2); jb_text(&b, "f");                     /* function */
  jb_uint(&b, 3); jb_array(&b, s->nargs);               /* args */
  for (unsigned i = 0; i < s->nargs; i++) jb_int(&b, s->args[i]);
  jb_uint(&b, 4); jb_bstr(&b, s->input, s->input_len);  /* input */
  jb_uint(&b, 5); jb_map(&b, 4);                        /* context */
  jb_uint(&b, 0); jb_bstr(&b, sender, 16);
  jb_uint(&b, 1); jb_bstr(&b, self, 16);
  jb_uint(&b, 2); jb_uint(&b, s->epoch);
  jb_uint(&b, 3); jb_map(&b, 1); jb_bstr(&b, sender, 16); jb_uint(&b, s->balance);
  jb_uint(&b, 6);                                       /* prior state */
  if (s->state_key_len) {
    jb_map(&b, 1);
    jb_bstr(&b, s->state_key, s->state_key_len);
    jb_bstr(&b, s->state_val, s->state_val_len);
  } else {
    jb_map(&b, 0);
  }
  return b.overflow ? 0 : b.len;
}

#endif /* MHR_JOB_BUILDER_H */
