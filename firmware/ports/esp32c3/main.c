/*
 * ESP32-C3 bare-metal port: the board protocol on UART0 (polled, at the baud
 * rate the ROM left it: 115200 with the 40 MHz crystal), the CPU's machine
 * performance counter as the cycle counter, every watchdog off. No ESP-IDF, no
 * ROM calls, no interrupts. Register addresses are from the ESP32-C3 Technical
 * Reference Manual (and ESP-IDF's soc/esp32c3 headers, which agree).
 */
#include <stdint.h>

#include "mhr_proto.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

/* UART0 (TRM ch. "UART Controller"): FIFO window, status counts. */
#define UART0_FIFO REG(0x60000000u)
#define UART0_STATUS REG(0x6000001Cu)
#define UART_RXFIFO_CNT(s) ((s) & 0x3FFu)
#define UART_TXFIFO_CNT(s) (((s) >> 16) & 0x3FFu)
#define UART_FIFO_LEN 128u

/* Watchdogs. The ROM arms the "flash boot" stages of the RTC watchdog and of
 * timer group 0's; ESP-IDF's second-stage bootloader would disarm them, and
 * there is none here. Writes are dropped unless the write-protect key is in. */
#define WDT_WKEY 0x50D83AA1u
#define TIMG0_BASE 0x6001F000u
#define TIMG1_BASE 0x60020000u
#define TIMG_WDTCONFIG0(b) REG((b) + 0x48u)
#define TIMG_WDTWPROTECT(b) REG((b) + 0x64u)
#define TIMG_WDT_CONF_UPDATE_EN (1u << 22) /* config is latched into the WDT clock domain on this bit */
#define RTC_CNTL_WDTCONFIG0 REG(0x60008090u)
#define RTC_CNTL_WDTWPROTECT REG(0x600080A8u)
#define RTC_CNTL_SWD_CONF REG(0x600080ACu)
#define RTC_CNTL_SWD_WPROTECT REG(0x600080B0u)
#define SWD_WKEY 0x8F1D312Au
#define SWD_AUTO_FEED_EN (1u << 31) /* the super watchdog cannot be turned off, only fed by hardware */

/* Clock configuration (SYSTEM registers), read to report the real CPU clock. */
#define SYSTEM_CPU_PER_CONF REG(0x600C0008u)
#define SYSTEM_SYSCLK_CONF REG(0x600C0058u)

static void watchdogs_off(void) {
  const uint32_t timg[2] = {TIMG0_BASE, TIMG1_BASE};
  for (unsigned i = 0; i < 2; i++) {
    TIMG_WDTWPROTECT(timg[i]) = WDT_WKEY;
    TIMG_WDTCONFIG0(timg[i]) = 0; /* enable, flash-boot mode and every stage off */
    TIMG_WDTCONFIG0(timg[i]) = TIMG_WDT_CONF_UPDATE_EN;
    TIMG_WDTWPROTECT(timg[i]) = 0;
  }
  RTC_CNTL_WDTWPROTECT = WDT_WKEY;
  RTC_CNTL_WDTCONFIG0 = 0;
  RTC_CNTL_WDTWPROTECT = 0;
  RTC_CNTL_SWD_WPROTECT = SWD_WKEY;
  RTC_CNTL_SWD_CONF |= SWD_AUTO_FEED_EN;
  RTC_CNTL_SWD_WPROTECT = 0;
}

/* CPU_CLK from the clock mux: XTAL / (PRE_DIV_CNT + 1), or PLL at 80/160 MHz, or the ~17.5 MHz RC oscillator. */
static uint32_t cpu_clock_hz(void) {
  uint32_t sys = SYSTEM_SYSCLK_CONF;
  uint32_t div = (sys & 0x3FFu) + 1u;
  uint32_t xtal_mhz = (sys >> 12) & 0x7Fu;
  if (xtal_mhz == 0) xtal_mhz = 40; /* the field is filled by hardware; 40 MHz is the only crystal the C3 supports */
  switch ((sys >> 10) & 3u) {
    case 0: return xtal_mhz * 1000000u / div;
    case 1: return (SYSTEM_CPU_PER_CONF & 3u) == 1u ? 160000000u : 80000000u;
    default: return 17500000u / div;
  }
}

static int uart_read_byte(void *ctx) {
  (void)ctx;
  while (UART_RXFIFO_CNT(UART0_STATUS) == 0) {
  }
  return (int)(UART0_FIFO & 0xFFu);
}

static void uart_write(void *ctx, const uint8_t *data, size_t len) {
  (void)ctx;
  for (size_t i = 0; i < len; i++) {
    while (UART_TXFIFO_CNT(UART0_STATUS) >= UART_FIFO_LEN - 2u) {
    }
    UART0_FIFO = data[i];
  }
}

/*
 * Espressif's machine performance counter: mpcer (0x7E0) selects the event
 * (bit 0: cycles), mpcmr (0x7E1) starts it, mpccr (0x7E2) counts. The C3 has
 * no mcycle/minstret; rv32imc has no Zicsr multilib, so enable it per asm.
 */
static void cycle_counter_on(void) {
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrw 0x7e0, %0\ncsrw 0x7e1, %0\n.option pop" : : "r"(1u));
}

static uint32_t c3_cycles(void *ctx) {
  (void)ctx;
  uint32_t v;
  __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, 0x7e2\n.option pop" : "=r"(v));
  return v;
}

int main(void);
int main(void) {
  watchdogs_off();
  cycle_counter_on();
  const mhr_hal_t hal = {
    .read_byte = uart_read_byte,
    .write = uart_write,
    .cycles = c3_cycles,
    .instret = 0, /* no retired-instruction counter on this core */
    .reset = 0,   /* RESET re-instantiates the VM; RAM needs no more */
    .ctx = 0,
    .chip = "esp32c3",
    .cpu_hz = cpu_clock_hz(),
    .port_name = "esp32c3",
  };
  return mhr_proto_serve(&hal);
}
