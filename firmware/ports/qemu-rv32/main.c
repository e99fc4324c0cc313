/*
 * qemu-rv32 port: the board protocol on the virt machine's ns16550 UART
 * (polled), rdcycle/rdinstret as the counters, the SiFive test device to exit.
 * Bare metal: no interrupts, no libc I/O.
 */
#include <stdint.h>

#include "mhr_proto.h"

#define UART0 ((volatile uint8_t *)0x10000000u)
#define UART_RBR 0 /* receive buffer (read) */
#define UART_THR 0 /* transmit holding (write) */
#define UART_LSR 5 /* line status */
#define LSR_DR 0x01u   /* data ready */
#define LSR_THRE 0x20u /* transmit holding register empty */

#define SIFIVE_TEST ((volatile uint32_t *)0x100000u)
#define SIFIVE_TEST_PASS 0x5555u

static int uart_read_byte(void *ctx) {
  (void)ctx;
  while ((UART0[UART_LSR] & LSR_DR) == 0) {
  }
  return UART0[UART_RBR];
}

static void uart_write(void *ctx, const uint8_t *data, size_t len) {
  (void)ctx;
  for (size_t i = 0; i < len; i++) {
    while ((UART0[UART_LSR] & LSR_THRE) == 0) {
    }
    UART0[UART_THR] = data[i];
  }
}

/* rv32imc has no Zicsr multilib: enable the extension for these instructions only. */
static uint32_t rv_cycles(void *ctx) {
  (void)ctx;
  uint32_t v;
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, cycle\n.option pop" : "=r"(v));
  return v;
}

static uint32_t rv_instret(void *ctx) {
  (void)ctx;
  uint32_t v;
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, instret\n.option pop" : "=r"(v));
  return v;
}

void qemu_exit(void);
void qemu_exit(void) { *SIFIVE_TEST = SIFIVE_TEST_PASS; }

int main(void);
int main(void) {
  const mhr_hal_t hal = {
    .read_byte = uart_read_byte,
    .write = uart_write,
    .cycles = rv_cycles,
    .instret = rv_instret,
    .reset = 0, /* the protocol re-instantiates the VM; RAM needs no more */
    .ctx = 0,
    .chip = "qemu-riscv32-virt",
    .cpu_hz = 1000000000u, /* -icount shift=0: one instruction per virtual ns */
    .port_name = "qemu-rv32",
  };
  return mhr_proto_serve(&hal);
}
