/*
 * ESP32 bare-metal port: the board protocol on UART0 (polled, at the baud
 * rate the ROM left it: 115200 with a 40 MHz crystal), CCOUNT as the cycle
 * counter, every watchdog off. No ESP-IDF, no ROM calls (the ROM's code is
 * windowed-ABI, this image is call0), no interrupts, one core (the ROM keeps
 * the APP CPU in reset). Register addresses are from the ESP32 Technical
 * Reference Manual (and ESP-IDF's soc/esp32 headers, which agree).
 */
#include <stdint.h>

#include "mhr_proto.h"

#define REG(addr) (*(volatile uint32_t *)(addr))

/*
 * UART0: status and the RX FIFO through the DPORT bus (0x3FF40000), TX FIFO
 * writes through the AHB window (0x60000000), as ESP-IDF's UART driver does:
 * back-to-back FIFO writes through DPORT can be lost on this chip.
 */
#define UART0_RX_FIFO REG(0x3FF40000u)
#define UART0_TX_FIFO REG(0x60000000u)
#define UART0_STATUS REG(0x3FF4001Cu)
#define UART_RXFIFO_CNT(s) ((s) & 0xFFu)
#define UART_TXFIFO_CNT(s) (((s) >> 16) & 0xFFu)
#define UART_FIFO_LEN 128u

/* Watchdogs: the ROM arms the "flash boot" stages of the RTC watchdog and of
 * timer group 0's; ESP-IDF's second-stage bootloader would disarm them, and
 * there is none here. Writes are dropped unless the write-protect key is in. */
#define WDT_WKEY 0x50D83AA1u
#define TIMG0_BASE 0x3FF5F000u
#define TIMG1_BASE 0x3FF60000u
#define TIMG_WDTCONFIG0(b) REG((b) + 0x48u)
#define TIMG_WDTWPROTECT(b) REG((b) + 0x64u)
#define RTC_CNTL_WDTCONFIG0 REG(0x3FF4808Cu)
#define RTC_CNTL_WDTWPROTECT REG(0x3FF480A4u)

/* Clock configuration, read to report the real CPU clock. */
#define RTC_CNTL_CLK_CONF REG(0x3FF48070u)
#define DPORT_CPU_PER_CONF REG(0x3FF0003Cu)
#define APB_CTRL_SYSCLK_CONF REG(0x3FF66000u)
#define XTAL_HZ 40000000u /* ESP32-WROOM-32 and the DevKitC: a 40 MHz crystal (26 MHz parts exist) */

static void watchdogs_off(void) {
  const uint32_t timg[2] = {TIMG0_BASE, TIMG1_BASE};
  for (unsigned i = 0; i < 2; i++) {
    TIMG_WDTWPROTECT(timg[i]) = WDT_WKEY;
    TIMG_WDTCONFIG0(timg[i]) = 0; /* enable, flash-boot mode and every stage off */
    TIMG_WDTWPROTECT(timg[i]) = 0;
  }
  RTC_CNTL_WDTWPROTECT = WDT_WKEY;
  RTC_CNTL_WDTCONFIG0 = 0;
  RTC_CNTL_WDTWPROTECT = 0;
}

/* CPU_CLK from the clock mux: XTAL / (PRE_DIV_CNT + 1), PLL at 80/160/240 MHz, or the 8 MHz RC oscillator. */
static uint32_t cpu_clock_hz(void) {
  uint32_t div = (APB_CTRL_SYSCLK_CONF & 0x3FFu) + 1u;
  switch ((RTC_CNTL_CLK_CONF >> 27) & 3u) {
    case 0: return XTAL_HZ / div;
    case 1: {
      uint32_t sel = DPORT_CPU_PER_CONF & 3u;
      return sel == 0 ? 80000000u : sel == 1 ? 160000000u : 240000000u;
    }
    case 2: return 8000000u / div;
    default: return 0; /* audio PLL: its rate depends on registers this port never sets, and the ROM never picks it */
  }
}

static int uart_read_byte(void *ctx) {
  (void)ctx;
  while (UART_RXFIFO_CNT(UART0_STATUS) == 0) {
  }
  return (int)(UART0_RX_FIFO & 0xFFu);
}

static void uart_write(void *ctx, const uint8_t *data, size_t len) {
  (void)ctx;
  for (size_t i = 0; i < len; i++) {
    while (UART_TXFIFO_CNT(UART0_STATUS) >= UART_FIFO_LEN - 2u) {
    }
    UART0_TX_FIFO = data[i];
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
  watchdogs_off();
  const mhr_hal_t hal = {
    .read_byte = uart_read_byte,
    .write = uart_write,
    .cycles = xt_ccount,
    .instret = 0, /* LX6 has no retired-instruction counter */
    .reset = 0,
    .ctx = 0,
    .chip = "esp32",
    .cpu_hz = cpu_clock_hz(),
    .port_name = "esp32",
  };
  return mhr_proto_serve(&hal);
}
