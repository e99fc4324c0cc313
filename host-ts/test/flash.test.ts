/**
 * The flashing path end to end, in-process: esptool-js drives the Web
 * Serial adapter over a MemoryLink into the ROM-loader TEST DOUBLE
 * (fixtures/rom-loader-double.ts). No hardware; hil.test.ts covers that.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ChipName, REPO_ROOT, getBoard } from "../src/boards/profiles.ts";
import { FlashError, type FlashProgress, flashBoard } from "../src/flash/flash.ts";
import { monitorPort } from "../src/flash/monitor.ts";
import { type WebSerialLike, memorySerial } from "../src/serial/web-serial-adapter.ts";
import { type DoubleChip, RomLoaderDouble, type RomLoaderDoubleOptions, makeBuild, sameBytes } from "./fixtures/rom-loader-double.ts";

const tmp = mkdtempSync(join(tmpdir(), "mhr-flash-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BOARD_FOR: Record<ChipName, string> = {
  esp32: "esp32-devkitc",
  esp32s3: "esp32-s3-devkitc-1",
  esp32c3: "esp32-c3-devkitm-1",
};
const CP2102 = { usbVendorId: 0x10c4, usbProductId: 0xea60 };
const USB_JTAG = { usbVendorId: 0x303a, usbProductId: 0x1001 };

let buildCount = 0;
function build(chip: DoubleChip, appSize?: number, omit?: string): ReturnType<typeof makeBuild> {
  return makeBuild(join(tmp, `build-${buildCount++}`), chip, appSize, { omit });
}

/** Read the port until `until` matches the text seen (or timeout). */
async function monitorUntil(port: WebSerialLike, until: RegExp, timeoutMs = 3000): Promise<string> {
  const ac = new AbortController();
  let text = "";
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  await monitorPort(port, {
    signal: ac.signal,
    write: (chunk) => {
      text += Buffer.from(chunk).toString("latin1");
      if (until.test(text)) ac.abort();
    },
  });
  clearTimeout(timer);
  return text;
}

async function expectFlashError(promise: Promise<unknown>, code: string): Promise<FlashError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected FlashError ${code}`).toBeInstanceOf(FlashError);
  const fe = caught as FlashError;
  expect(fe.code).toBe(code);
  expect(fe.message).not.toMatch(/[\r\n]/);
  expect(fe.message.length).toBeGreaterThan(20);
  return fe;
}

function setup(chip: DoubleChip, options: Partial<RomLoaderDoubleOptions> = {}, usb = CP2102) {
  const double = new RomLoaderDouble({ chip, ...options });
  const port = memorySerial(double, { usbInfo: usb, name: `double:${chip}` });
  return { double, port };
}

describe("flashBoard against the ROM-loader test double (in-process)", () => {
  it("flashes a ~300 KB app plus bootloader and partition table from flasher_args.json, verifies, and the monitor sees the boot log on the same port", async () => {
    const b = build("esp32");
    const { double, port } = setup("esp32");
    const progress: FlashProgress[] = [];
    const report = await flashBoard({ board: getBoard("esp32-devkitc"), port, buildDir: b.dir, onProgress: (p) => progress.push(p) });

    expect(report.chip).toBe("ESP32");
    expect(report.description).toMatch(/^ESP32-D0WDQ6/);
    expect(report.mac).toBe("24:0a:c4:12:34:56");
    expect(report.flashId).toBe(0x1640ef);
    expect(report.reset).toBe("classic");
    expect(report.resetIntoApp).toBe(true);
    expect(report.images.map((i) => i.offset)).toEqual([0x1000, 0x8000, 0x10000]);
    for (const img of b.images) {
      expect(sameBytes(double.read(img.offset, img.data.length), img.data), `flash at 0x${img.offset.toString(16)}`).toBe(true);
    }
    // Nothing else was written: the byte after each image's sector-rounded end is still erased.
    expect(double.flash[0x10000 + 300 * 1024]).toBe(0xff);
    expect(double.events).toEqual(expect.arrayContaining(["boot:download", "stub", "baud:460800"]));
    const last = progress[progress.length - 1];
    expect(last.done).toBe(last.total);
    expect(last.total).toBe(b.images.reduce((n, i) => n + i.data.length, 0));

    // The port stayed open at the console baud; the boot log after the reset is not lost.
    expect(report.port.isOpen).toBe(true);
    expect(report.port.baudRate).toBe(115200);
    const text = await monitorUntil(report.port, /app: .*ready/);
    expect(text).toContain("rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)");
    expect(text).toContain(double.appBanner);
    expect(double.mode).toBe("app");
    await report.port.close();
  });

  it.each([
    ["esp32s3", "USB-Serial/JTAG 0x303a:0x1001", "usb-jtag-serial", USB_JTAG],
    ["esp32c3", "CP2102 0x10c4:0xea60", "classic", CP2102],
  ] as const)("flashes an %s over %s (%s reset) at 921600 baud", async (chip, _label, resetKind, usb) => {
    const b = build(chip, 64 * 1024);
    const { double, port } = setup(chip, { resetCircuit: resetKind === "usb-jtag-serial" ? "usb-jtag-serial" : "classic" }, usb);
    const report = await flashBoard({ board: getBoard(BOARD_FOR[chip]), port, buildDir: b.dir, baud: 921600 });
    expect(report.reset).toBe(resetKind);
    expect(report.chip).toBe(chip === "esp32s3" ? "ESP32-S3" : "ESP32-C3");
    expect(report.images[0].offset).toBe(0x0);
    for (const img of b.images) expect(sameBytes(double.read(img.offset, img.data.length), img.data)).toBe(true);
    expect(double.events).toContain("baud:921600");
    const text = await monitorUntil(report.port, /ready/);
    expect(text).toContain("boot:0x13 (SPI_FAST_FLASH_BOOT)");
    await report.port.close();
  });

  it("takes explicit images instead of a build directory", async () => {
    const { double, port } = setup("esp32");
    const data = new Uint8Array(5000).map((_, i) => (i * 31) & 0xff);
    const report = await flashBoard({ board: getBoard("esp32-devkitc"), port, images: [{ offset: 0x20000, data }], resetIntoApp: false });
    expect(sameBytes(double.read(0x20000, data.length), data)).toBe(true);
    expect(report.resetIntoApp).toBe(false);
    await report.port.close();
  });
});

describe("flashing errors: a code and a one-line message that says what to do", () => {
  it("NO_PORT: the path does not exist, available ports are listed", async () => {
    const b = build("esp32", 4096);
    const e = await expectFlashError(flashBoard({ board: getBoard("esp32-devkitc"), port: "/dev/ttyMHR-missing", buildDir: b.dir }), "NO_PORT");
    expect(e.message).toMatch(/^serial port \/dev\/ttyMHR-missing does not exist; available ports: .*mhr ports/);
    expect(Array.isArray(e.details.availablePorts)).toBe(true);
  });

  it("NO_SYNC: the ROM loader never answers", async () => {
    const b = build("esp32", 4096);
    const { port } = setup("esp32", { faults: { noSync: true } });
    const e = await expectFlashError(
      flashBoard({ board: getBoard("esp32-devkitc"), port, buildDir: b.dir, connectAttempts: 1 }),
      "NO_SYNC",
    );
    expect(e.message).toMatch(/no reply from the ESP32 ROM loader on double:esp32: hold BOOT, press EN.*cable.*CP210x driver/);
    expect(port.isOpen).toBe(false);
  });

  it("WRONG_CHIP: the chip is not the profile's", async () => {
    const b = build("esp32", 4096);
    const { double, port } = setup("esp32", { faults: { reportChip: "esp32s3" } });
    const e = await expectFlashError(flashBoard({ board: getBoard("esp32-devkitc"), port, buildDir: b.dir }), "WRONG_CHIP");
    expect(e.message).toMatch(/expects ESP32 but double:esp32 has an ESP32-S3; use --board esp32-s3-devkitc-1/);
    expect(e.details).toMatchObject({ expected: "ESP32", got: "ESP32-S3" });
    expect(double.events).not.toContain("stub");
  });

  it("WRONG_CHIP: flasher_args.json was built for another target (before connecting)", async () => {
    const b = build("esp32c3", 4096);
    const e = await expectFlashError(flashBoard({ board: getBoard("esp32-devkitc"), port: "/dev/ttyMHR-missing", buildDir: b.dir }), "WRONG_CHIP");
    expect(e.message).toMatch(/built for esp32c3 but board esp32-devkitc is ESP32; rebuild with idf.py set-target esp32/);
  });

  it("IMAGE_MISSING: names the file and its offset", async () => {
    const b = build("esp32", 4096, "mhr-firmware.bin");
    const e = await expectFlashError(flashBoard({ board: getBoard("esp32-devkitc"), port: "/dev/ttyMHR-missing", buildDir: b.dir }), "IMAGE_MISSING");
    expect(e.message).toContain("image for offset 0x10000 not found");
    expect(e.message).toContain(join(b.dir, "mhr-firmware.bin"));
    expect(e.message).toMatch(/idf\.py .*build/);
    expect(e.details.offset).toBe(0x10000);
  });

  it("IMAGE_MISSING: without flasher_args.json the profile defaults are used and named", async () => {
    const e = await expectFlashError(
      flashBoard({ board: getBoard("esp32-s3-devkitc-1"), port: "/dev/ttyMHR-missing", buildDir: join(tmp, "empty") }),
      "IMAGE_MISSING",
    );
    expect(e.message).toContain(`image for offset 0x0 not found: ${join(tmp, "empty", "bootloader/bootloader.bin")}`);
    expect(e.message).toContain("default layout");
  });

  it("MD5_MISMATCH: offset, expected and got", async () => {
    const b = build("esp32", 8192);
    const { port } = setup("esp32", { faults: { corruptWrites: true } });
    const e = await expectFlashError(flashBoard({ board: getBoard("esp32-devkitc"), port, buildDir: b.dir }), "MD5_MISMATCH");
    expect(e.details.offset).toBe(0x1000);
    expect(e.details.expected).toMatch(/^[0-9a-f]{32}$/);
    expect(e.details.got).toMatch(/^[0-9a-f]{32}$/);
    expect(e.details.got).not.toBe(e.details.expected);
    expect(e.message).toContain(`verify failed at offset 0x1000`);
    expect(e.message).toContain(`expected MD5 ${e.details.expected}, flash has ${e.details.got}`);
    expect(e.message).toMatch(/lower --baud/);
    expect(port.isOpen).toBe(false);
  });

  it("the CLI prints one line, no stack trace", () => {
    const b = build("esp32", 4096);
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "bin/mhr.mjs"), "flash", "--board", "esp32-devkitc", "--port", "/dev/ttyMHR-missing", "--build", b.dir], {
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^mhr: error: NO_PORT: serial port \/dev\/ttyMHR-missing does not exist; available ports: /);
  });
});
