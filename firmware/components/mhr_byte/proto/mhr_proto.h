/*
 * MHR-Compute board protocol, firmware side (docs/PROTOCOL.md is normative).
 *
 * One call, mhr_proto_serve(), turns a byte stream into a board: it reads
 * COBS-framed, CRC-32-checked requests, runs jobs through the VM API of
 * include/mhr_byte.h and writes framed replies. Everything a port differs in
 * is in mhr_hal_t. Portable C99: no malloc, no stdio, no libc beyond the
 * freestanding headers; about 300 bytes of static RAM plus the VM's job buffer
 * (request payloads are decoded straight into it).
 */
#ifndef MHR_PROTO_H
#define MHR_PROTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the port's side ---------------------------------------------------- */

typedef struct mhr_hal {
  int  (*read_byte)(void *ctx);                           /* blocks; 0..255, or -1 on EOF */
  void (*write)(void *ctx, const uint8_t *data, size_t len);
  uint32_t (*cycles)(void *ctx);                          /* CPU cycle counter, wraps */
  uint32_t (*instret)(void *ctx);                         /* retired instructions if the core has it, else 0 */
  void (*reset)(void *ctx);                               /* RESET command */
  void *ctx;
  const char *chip;  uint32_t cpu_hz;  const char *port_name;
} mhr_hal_t;

/*
 * Serves requests until read_byte() reports EOF, then returns 0. Calls
 * mhr_byte_init() once before the first request (and again after RESET), and
 * announces itself with an unsolicited HELLO reply (request id 0).
 * cycles, instret and reset may be NULL (reported as absent in HELLO);
 * read_byte and write may not.
 */
int mhr_proto_serve(const mhr_hal_t *hal);

/* ---- wire constants (docs/PROTOCOL.md §2–§5) ----------------------------- */

/* Message types, error codes, feature bits and sizes: generated from spec/protocol.json. */
#include "mhr_proto_codes.h"

#ifndef MHR_FIRMWARE_VERSION
#define MHR_FIRMWARE_VERSION "0.1.0"
#endif

/* Decoded frame: header | payload (len bytes) | CRC-32. */
#define MHR_PROTO_OVERHEAD (MHR_PROTO_HEADER_SIZE + MHR_PROTO_TRAILER_SIZE)

/* ---- framing primitives (mhr_crc32.c, mhr_cobs.c) ------------------------ */

/* CRC-32/ISO-HDLC (zlib's crc32): crc = mhr_crc32_update(0, data, len) chains. */
uint32_t mhr_crc32_update(uint32_t crc, const uint8_t *data, size_t len);

/* Streaming COBS encoder that writes whole groups through a callback. */
typedef struct mhr_cobs_enc {
  void (*sink)(void *ctx, const uint8_t *data, size_t len);
  void *ctx;
  uint8_t block[255]; /* block[0] is the code byte */
  uint8_t n;          /* data bytes held in block[1..] */
} mhr_cobs_enc_t;
void mhr_cobs_enc_begin(mhr_cobs_enc_t *e); /* writes the leading delimiter */
void mhr_cobs_enc_put(mhr_cobs_enc_t *e, const uint8_t *data, size_t len);
void mhr_cobs_enc_end(mhr_cobs_enc_t *e);   /* flushes and writes the closing delimiter */

/* Streaming COBS decoder: each non-zero wire byte yields at most one data
 * byte (a code byte yields the zero that ended the previous group, if any). */
typedef struct mhr_cobs_dec {
  uint8_t left;     /* data bytes left in the current group; 0 = next byte is a code */
  uint8_t code;     /* the current group's code; 0 before the first group */
} mhr_cobs_dec_t;
/* Feeds one non-zero wire byte; returns 1 and sets *out when it yields a data byte. */
int mhr_cobs_dec_byte(mhr_cobs_dec_t *d, uint8_t b, uint8_t *out);
/* At the delimiter: 1 if the frame ended on a group boundary (well formed). */
int mhr_cobs_dec_complete(const mhr_cobs_dec_t *d);

#ifdef __cplusplus
}
#endif

#endif /* MHR_PROTO_H */
