/*
 * ESP-IDF port: the board protocol on UART0 or the USB-Serial-JTAG port.
 * Everything but this HAL is portable C built and tested on the host and
 * under QEMU (firmware/README.md); this file only moves bytes, reads the
 * cycle counter and reboots.
 */
#include <stdint.h>

#include "esp_cpu.h"
#include "esp_private/esp_clk.h"
#include "esp_system.h"
#include "freertos/FreeRTOS.h"
#include "sdkconfig.h"

#if CONFIG_MHR_APP_LINK_USB_SERIAL_JTAG
#include "driver/usb_serial_jtag.h"
#else
#include "driver/uart.h"
#endif

#include "mhr_proto.h"

#define LINK_BUF 1024

typedef struct link {
  uint8_t in[128];
  int pos, len;
} link_t;

#if CONFIG_MHR_APP_LINK_USB_SERIAL_JTAG

static int link_open(void) {
  usb_serial_jtag_driver_config_t cfg = {.rx_buffer_size = LINK_BUF, .tx_buffer_size = LINK_BUF};
  return usb_serial_jtag_driver_install(&cfg) == ESP_OK ? 0 : -1;
}
static int link_read(uint8_t *buf, int cap) { return usb_serial_jtag_read_bytes(buf, cap, portMAX_DELAY); }
static void link_write(const uint8_t *data, size_t len) { usb_serial_jtag_write_bytes(data, len, portMAX_DELAY); }
#define LINK_NAME "usb-serial-jtag"

#else

static int link_open(void) {
  const uart_config_t cfg = {
      .baud_rate = CONFIG_MHR_APP_UART_BAUD,
      .data_bits = UART_DATA_8_BITS,
      .parity = UART_PARITY_DISABLE,
      .stop_bits = UART_STOP_BITS_1,
      .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
      .source_clk = UART_SCLK_DEFAULT,
  };
  if (uart_driver_install(UART_NUM_0, LINK_BUF, LINK_BUF, 0, NULL, 0) != ESP_OK) return -1;
  return uart_param_config(UART_NUM_0, &cfg) == ESP_OK ? 0 : -1;
}
static int link_read(uint8_t *buf, int cap) { return uart_read_bytes(UART_NUM_0, buf, cap, pdMS_TO_TICKS(20)); }
static void link_write(const uint8_t *data, size_t len) { uart_write_bytes(UART_NUM_0, data, len); }
#define LINK_NAME "uart0"

#endif

static int hal_read_byte(void *ctx) {
  link_t *l = (link_t *)ctx;
  while (l->pos >= l->len) {
    int n = link_read(l->in, sizeof l->in);
    if (n > 0) {
      l->pos = 0;
      l->len = n;
    }
  }
  return l->in[l->pos++];
}

static void hal_write(void *ctx, const uint8_t *data, size_t len) {
  (void)ctx;
  link_write(data, len);
}

static uint32_t hal_cycles(void *ctx) {
  (void)ctx;
  return (uint32_t)esp_cpu_get_cycle_count();
}

static void hal_reset(void *ctx) {
  (void)ctx;
  vTaskDelay(pdMS_TO_TICKS(20)); /* let the RESET reply leave the link */
  esp_restart();
}

void app_main(void) {
  static link_t link;
  if (link_open() != 0) esp_restart();
  const mhr_hal_t hal = {
      .read_byte = hal_read_byte,
      .write = hal_write,
      .cycles = hal_cycles,
      .instret = NULL, /* no retired-instruction counter through a public API */
      .reset = hal_reset,
      .ctx = &link,
      .chip = CONFIG_IDF_TARGET,
      .cpu_hz = (uint32_t)esp_clk_cpu_freq(),
      .port_name = "esp-idf-" LINK_NAME,
  };
  mhr_proto_serve(&hal); /* never returns: the link has no EOF */
}
