/**
 * Hardware-in-the-loop smoke test: a real ESP32-family board on HIL_PORT.
 * Skipped unless HIL_PORT is set, e.g.
 *
 *   HIL_PORT=/dev/ttyUSB0 HIL_BOARD=esp32-devkitc npx vitest run host-ts/test/hil.test.ts
 *
 * It connects (reset into the ROM loader), detects the chip, checks it
 * against HIL_BOARD's profile when given, and reads the MAC. It writes
 * nothing to flash, and resets the board back into its app at the end.
 *
 * With HIL_BOARD and HIL_BUILD (an ESP-IDF build directory) also set, it
 * flashes that build with `flashBoard` and reads the boot log after reset.
 * With HIL_BOARD and HIL_BARE_METAL=1 it flashes the bare-metal image of
 * `npm run build:firmware` for the board's chip and asks it for HELLO over
 * the board protocol.
 */
import { ESPLoader, Transport } from "esptool-js";
import { describe, expect, it } from "vitest";
import { ESPTOOL_CHIP_NAME, getBoard } from "../src/boards/profiles.ts";
import { APP_RESET_SEQUENCE, flashBoard, openSerialPort } from "../src/flash/flash.ts";
import { monitorPort } from "../src/flash/monitor.ts";
import { asWebSerialPort, lookupUsbInfo, openNodeSerial } from "../src/serial/web-serial-adapter.ts";

const HIL_PORT = process.env.HIL_PORT;
const HIL_BOARD = process.env.HIL_BOARD;
const HIL_BUILD = process.env.HIL_BUILD;
const HIL_BARE_METAL = process.env.HIL_BARE_METAL === "1";

describe.skipIf(!HIL_PORT)(`hardware smoke test on ${HIL_PORT ?? "(HIL_PORT not set)"}`, () => {
  it("the port opens and closes", async () => {
    const port = await openSerialPort(HIL_PORT!, 115200);
    expect(port.isOpen).toBe(true);
    await port.close();
  });

  it("connects, detects the chip and reads the MAC", async () => {
    const path = HIL_PORT!;
    const usb = await lookupUsbInfo(path);
    const adapter = openNodeSerial(path, { usbInfo: usb });
    const transport = new Transport(asWebSerialPort(adapter), false);
    transport.trace = (): void => undefined;
    const lines: string[] = [];
    const loader = new ESPLoader({
      transport,
      baudrate: 115200,
      romBaudrate: 115200,
      terminal: { clean: () => undefined, writeLine: (l: string) => void lines.push(l), write: (l: string) => void lines.push(l) },
    });
    try {
      await loader.detectChip("default_reset", 7);
      const name = loader.chip.CHIP_NAME;
      expect(Object.values(ESPTOOL_CHIP_NAME)).toContain(name);
      if (HIL_BOARD) {
        const board = getBoard(HIL_BOARD);
        expect(name).toBe(board.chip ? ESPTOOL_CHIP_NAME[board.chip] : "(virtual)");
      }
      const mac = await loader.chip.readMac(loader);
      expect(mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      expect(mac).not.toBe("00:00:00:00:00:00");
      const description = await loader.chip.getChipDescription(loader);
      console.log(`HIL: ${path} ${name} ${description} MAC ${mac}`);
      await loader.after("custom_reset", false, APP_RESET_SEQUENCE);
    } finally {
      await adapter.close();
    }
  }, 30_000);

  it.skipIf(!HIL_BOARD || !HIL_BUILD)("flashes HIL_BUILD and sees the boot log", async () => {
    const report = await flashBoard({ board: getBoard(HIL_BOARD!), port: HIL_PORT!, buildDir: HIL_BUILD! });
    try {
      const ac = new AbortController();
      let text = "";
      const timer = setTimeout(() => ac.abort(), 5000);
      await monitorPort(report.port, {
        signal: ac.signal,
        write: (chunk) => {
          text += Buffer.from(chunk).toString("latin1");
          if (/rst:0x[0-9a-f]+ \([A-Z_]+\),boot:0x[0-9a-f]+/.test(text) && text.length > 200) ac.abort();
        },
      });
      clearTimeout(timer);
      expect(text).toMatch(/rst:0x[0-9a-f]+ \([A-Z_]+\),boot:0x[0-9a-f]+ \(SPI_FAST_FLASH_BOOT\)/);
    } finally {
      await report.port.close();
    }
  }, 120_000);

  it.skipIf(!HIL_BOARD || !HIL_BARE_METAL)("flashes the bare-metal image and the board answers HELLO", async () => {
    const board = getBoard(HIL_BOARD!);
    const report = await flashBoard({ board, port: HIL_PORT!, firmware: "bare-metal" });
    await report.port.close();
    const { createBoardEngine } = await import("../src/engines/board-engines.ts");
    const engine = await createBoardEngine(board, { port: HIL_PORT! });
    try {
      const hello = await engine.hello();
      expect(hello.chip).toBe(board.chip);
      expect(hello.features.vmReady).toBe(true);
      console.log(`HIL: bare-metal ${hello.port} on ${HIL_PORT}, CPU ${hello.cpuHz} Hz, build ${hello.buildId.slice(0, 16)}`);
    } finally {
      await engine.close();
    }
  }, 120_000);
});
