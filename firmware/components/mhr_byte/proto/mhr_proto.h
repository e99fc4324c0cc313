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

#define MHR_PROTO_VERSION 1u

#ifndef MHR_FIRMWARE_VERSION
#define MHR_FIRMWARE_VERSION "0.1.0"
#endif

/* Decoded frame: header (14 bytes) | payload (len bytes) | CRC-32 (4 bytes). */
#define MHR_PROTO_HEADER_SIZE 14u
#define MHR_PROTO_TRAILER_SIZE 4u
#define MHR_PROTO_OVERHEAD (MHR_PROTO_HEADER_SIZE + MHR_PROTO_TRAILER_SIZE)
/* Largest request payload a conforming board must accept (= MAX_JOB_SIZE). */
#define MHR_PROTO_MAX_PAYLOAD 65536u
/* Largest BENCH iteration count. */
#define MHR_PROTO_MAX_BENCH 1000000u

/* Message types: requests, replies (request | 0x80), and ERROR. */
#define MHR_MSG_HELLO 0x01u
#define MHR_MSG_RUN 0x02u
#define MHR_MSG_BENCH 0x03u
#define MHR_MSG_STATE 0x04u
#define MHR_MSG_RESET 0x05u
#define MHR_MSG_REPLY 0x80u
#define MHR_MSG_ERROR 0xFFu

/* ERROR reply codes (carried in the header's arg field). */
#define MHR_PERR_BAD_FRAME 1u           /* COBS error or shorter than a header; id 0 */
#define MHR_PERR_BAD_HEADER 2u          /* header check failed; id 0 */
#define MHR_PERR_UNSUPPORTED_VERSION 3u /* header version is not MHR_PROTO_VERSION */
#define MHR_PERR_FRAME_TOO_LARGE 4u     /* payload length over the board's capacity */
#define MHR_PERR_TRUNCATED 5u           /* frame ended before header length + CRC */
#define MHR_PERR_BAD_LENGTH 6u          /* bytes after the CRC before the delimiter */
#define MHR_PERR_BAD_CRC 7u             /* CRC-32 mismatch */
#define MHR_PERR_UNKNOWN_COMMAND 8u     /* type is not a request this board knows */
#define MHR_PERR_BAD_ARGUMENT 9u        /* BENCH count 0 or too large; payload where none belongs */
#define MHR_PERR_NO_STATE 10u           /* STATE with no state of a last run to report */
#define MHR_PERR_VM_FAILURE 11u         /* mhr_byte_init failed, or the VM returned no result */

/* Feature bits in HELLO (key 9) and flags in RUN/BENCH replies. */
#define MHR_FEAT_INSTRET 0x1u     /* instret deltas are real */
#define MHR_FEAT_RESET 0x2u       /* RESET reaches a port reset hook */
#define MHR_FEAT_VM_READY 0x4u    /* mhr_byte_init() succeeded */
#define MHR_BENCH_RESULT_VARIED 0x2u /* BENCH flag: not every run produced the same result bytes */

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
