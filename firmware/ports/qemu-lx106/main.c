/*
 * qemu-lx106 port: the board protocol over the simulator's semihosting
 * console (Xtensa ISS simcall: SYS_read/SYS_write on fds 0 and 1, wired by
 * QEMU to the host's stdio), CCOUNT as the cycle counter. lx106 has no
 * retired-instruction counter.
 */
#include <stdint.h>

#include "mhr_proto.h"

#define SYS_READ 3
#define SYS_WRITE 4

/* simcall: a2 = call number, a3..a5 = arguments; result in a2, errno in a3. */
static int32_t simcall3(int32_t nr, int32_t a, int32_t b, int32_t c) {
  register int32_t a2 __asm__("a2") = nr;
  register int32_t a3 __asm__("a3") = a;
  register int32_t a4 __asm__("a4") = b;
  register int32_t a5 __asm__("a5") = c;
  __asm__ volatile("simcall" : "+r"(a2), "+r"(a3) : "r"(a4), "r"(a5) : "memory");
  return a2;
}

typedef struct semi_io {
  uint8_t in[256];
  int32_t pos, len;
} semi_io_t;

static int semi_read_byte(void *ctx) {
  semi_io_t *io = (semi_io_t *)ctx;
  while (io->pos >= io->len) {
    int32_t n = simcall3(SYS_READ, 0, (int32_t)(uintptr_t)io->in, (int32_t)sizeof io->in);
    if (n <= 0) return -1; /* EOF or error */
    io->pos = 0;
    io->len = n;
  }
  return io->in[io->pos++];
}

static void semi_write(void *ctx, const uint8_t *data, size_t len) {
  (void)ctx;
  while (len > 0) {
    int32_t n = simcall3(SYS_WRITE, 1, (int32_t)(uintptr_t)data, (int32_t)len);
    if (n <= 0) return;
    data += n;
    len -= (size_t)n;
  }
}

static uint32_t xt_ccount(void *ctx) {
  (void)ctx;
  uint32_t v;
  __asm__ volatile("rsr %0, ccount" : "=r"(v));
  return v;
}

int main(void);
int main(void) {
  static semi_io_t io;
  const mhr_hal_t hal = {
    .read_byte = semi_read_byte,
    .write = semi_write,
    .cycles = xt_ccount,
    .instret = 0,
    .reset = 0,
    .ctx = &io,
    .chip = "qemu-xtensa-lx106-sim",
    .cpu_hz = 40000000u, /* the sim core's clock: CCOUNT advances 40 per virtual microsecond */
    .port_name = "qemu-lx106",
  };
  return mhr_proto_serve(&hal);
}
