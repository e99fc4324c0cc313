/*
 * Host port: the board protocol on stdin/stdout, for tests, fuzzing and the
 * `native` virtual board. stdout carries protocol frames only; diagnostics
 * (none in normal operation) go to stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "mhr_proto.h"

typedef struct host_io {
  uint8_t in[4096];
  size_t pos, len;
} host_io_t;

static int host_read_byte(void *ctx) {
  host_io_t *io = (host_io_t *)ctx;
  while (io->pos == io->len) {
    ssize_t n = read(STDIN_FILENO, io->in, sizeof io->in);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    io->pos = 0;
    io->len = (size_t)n;
  }
  return io->in[io->pos++];
}

static void host_write(void *ctx, const uint8_t *data, size_t len) {
  (void)ctx;
  while (len > 0) {
    ssize_t n = write(STDOUT_FILENO, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; /* the reader went away: EOF on stdin follows */
    }
    data += n;
    len -= (size_t)n;
  }
}

/* The host has no portable cycle counter: report nanoseconds of a monotonic clock (cpu_hz = 1e9). */
static uint32_t host_cycles(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
}

int main(void) {
  static host_io_t io;
  const mhr_hal_t hal = {
    .read_byte = host_read_byte,
    .write = host_write,
    .cycles = host_cycles,
    .instret = NULL,
    .reset = NULL, /* the protocol re-initializes the VM itself */
    .ctx = &io,
    .chip = "host",
    .cpu_hz = 1000000000u,
    .port_name = "host",
  };
  return mhr_proto_serve(&hal);
}
