/*
 * Consistent Overhead Byte Stuffing (Cheshire & Baker), streaming in both
 * directions so neither side needs a second copy of a frame.
 *
 * A frame's bytes are cut at every zero into groups; each group is sent as a
 * code byte (1 + its length, at most 254 data bytes) followed by its non-zero
 * bytes. Code 0xFF marks a full group that did not end at a zero. The encoder
 * always emits the final group, so an empty frame encodes as 01. 0x00 never
 * appears inside an encoded frame: it is the delimiter.
 */
#include "mhr_proto.h"

static void enc_flush(mhr_cobs_enc_t *e) {
  e->block[0] = (uint8_t)(e->n + 1u);
  e->sink(e->ctx, e->block, (size_t)e->n + 1u);
  e->n = 0;
}

void mhr_cobs_enc_begin(mhr_cobs_enc_t *e) {
  static const uint8_t delim = 0;
  e->n = 0;
  e->sink(e->ctx, &delim, 1);
}

void mhr_cobs_enc_put(mhr_cobs_enc_t *e, const uint8_t *data, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (data[i] == 0) {
      enc_flush(e);
    } else {
      e->block[1u + e->n] = data[i];
      e->n++;
      if (e->n == 254u) enc_flush(e);
    }
  }
}

void mhr_cobs_enc_end(mhr_cobs_enc_t *e) {
  static const uint8_t delim = 0;
  enc_flush(e);
  e->sink(e->ctx, &delim, 1);
}

int mhr_cobs_dec_byte(mhr_cobs_dec_t *d, uint8_t b, uint8_t *out) {
  if (d->left == 0) {
    /* A code byte: the previous group, unless full (0xFF) or absent, ended at a zero. */
    int zero = d->code != 0 && d->code != 0xFFu;
    d->code = b;
    d->left = (uint8_t)(b - 1u);
    if (zero) {
      *out = 0;
      return 1;
    }
    return 0;
  }
  d->left--;
  *out = b;
  return 1;
}

int mhr_cobs_dec_complete(const mhr_cobs_dec_t *d) {
  return d->left == 0 && d->code != 0;
}
