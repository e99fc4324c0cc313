import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  BoardProfileError,
  DEFAULT_BOARDS_DIR,
  REPO_ROOT,
  boardsForUsb,
  getBoard,
  loadBoards,
  parseBoardProfile,
} from "../src/boards/profiles.ts";
import { describePorts } from "../src/flash/ports.ts";

const tmp = mkdtempSync(join(tmpdir(), "mhr-boards-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function profileJson(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(DEFAULT_BOARDS_DIR, `${name}.json`), "utf8")) as Record<string, unknown>;
}

function expectProfileError(raw: unknown, file: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    parseBoardProfile(raw, file);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(BoardProfileError);
  const message = (caught as Error).message;
  expect(message.startsWith(`${file}: field `)).toBe(true);
  expect(message).toMatch(pattern);
  expect(message).not.toContain("\n");
}

describe("board profiles", () => {
  it("loads the eight profiles with typed, parsed fields", () => {
    const boards = loadBoards();
    expect(boards.map((b) => b.name).sort()).toEqual([
      "esp32-c3-devkitm-1",
      "esp32-devkitc",
      "esp32-s3-devkitc-1",
      "host",
      "qemu-esp32",
      "qemu-esp32c3",
      "qemu-lx106",
      "qemu-rv32",
    ]);
    const devkitc = getBoard("esp32-devkitc");
    expect(devkitc.chip).toBe("esp32");
    expect(devkitc.port).toBe("esp-idf");
    expect(devkitc.cpuClockHz).toBe(240_000_000);
    expect(devkitc.flashSizeBytes).toBe(4 * 1024 * 1024);
    expect(devkitc.serial?.reset).toBe("classic");
    expect(devkitc.serial?.usb.map((u) => [u.vid, u.pid])).toEqual([
      [0x10c4, 0xea60],
      [0x1a86, 0x7523],
    ]);
    expect(devkitc.build?.defaults.bootloader.offset).toBe(0x1000);
    expect(getBoard("esp32-s3-devkitc-1").build?.defaults.bootloader.offset).toBe(0x0);
    expect(getBoard("esp32-c3-devkitm-1").build?.defaults.bootloader.offset).toBe(0x0);
    expect(getBoard("esp32-c3-devkitm-1").cpuClockHz).toBe(160_000_000);
    for (const b of boards.filter((x) => x.port === "esp-idf")) {
      expect(b.build?.defaults.partitionTable.offset).toBe(0x8000);
      expect(b.build?.defaults.app.offset).toBe(0x10000);
    }
    const rv = getBoard("qemu-rv32");
    expect(rv.chip).toBeNull();
    expect(rv.cpuClockHz).toBe(160_000_000);
    expect(rv.cyclesPerInstruction).toMatch(/uncalibrated/);
    expect(getBoard("qemu-lx106").cpuClockHz).toBe(80_000_000);
    expect(getBoard("host").port).toBe("host");
    // Emulated chips name their chip, have a flash file size and no serial link.
    for (const [name, chip] of [["qemu-esp32c3", "esp32c3"], ["qemu-esp32", "esp32"]] as const) {
      const b = getBoard(name);
      expect(b).toMatchObject({ port: name, chip, flashSizeBytes: 4 * 1024 * 1024, serial: null, build: null });
      expect(b.cyclesPerInstruction).toMatch(/not calibrated/);
    }
  });

  it("an emulated chip's profile must name that chip", () => {
    expectProfileError({ ...profileJson("qemu-esp32c3"), chip: "esp32" }, "qemu-esp32c3.json", /field "chip" must be "esp32c3" for port "qemu-esp32c3"/);
    expectProfileError({ ...profileJson("qemu-esp32"), flashSize: null }, "qemu-esp32.json", /field "flashSize" is required for port "qemu-esp32"/);
    expectProfileError({ ...profileJson("qemu-rv32"), chip: "esp32c3" }, "qemu-rv32.json", /field "chip" must be null for port "qemu-rv32"/);
  });

  it("an unknown board name lists the known boards", () => {
    expect(() => getBoard("esp32-wroom")).toThrow(/unknown board "esp32-wroom"; known boards: esp32-c3-devkitm-1, esp32-devkitc, .*qemu-rv32/);
  });

  it("matches USB ids to boards", () => {
    expect(boardsForUsb(0x303a, 0x1001).map((b) => b.name).sort()).toEqual(["esp32-c3-devkitm-1", "esp32-s3-devkitc-1"]);
    expect(boardsForUsb(0x1a86, 0x7523).map((b) => b.name)).toEqual(["esp32-devkitc"]);
    const ports = describePorts([
      { path: "/dev/ttyUSB0", vendorId: "10C4", productId: "ea60", manufacturer: "Silicon Labs" },
      { path: "/dev/ttyACM0", vendorId: "303a", productId: "1001" },
      { path: "/dev/ttyS0" },
    ]);
    expect(ports.find((p) => p.path === "/dev/ttyUSB0")?.boards).toEqual(["esp32-c3-devkitm-1", "esp32-devkitc", "esp32-s3-devkitc-1"]);
    expect(ports.find((p) => p.path === "/dev/ttyACM0")?.boards).toEqual(["esp32-c3-devkitm-1", "esp32-s3-devkitc-1"]);
    expect(ports.find((p) => p.path === "/dev/ttyS0")).toMatchObject({ vid: null, pid: null, boards: [] });
  });

  it("names the file and the field of a bad profile", () => {
    const file = "boards/esp32-devkitc.json";
    const good = profileJson("esp32-devkitc");
    expect(() => parseBoardProfile(good, file)).not.toThrow();
    const serial = good.serial as Record<string, unknown>;
    expectProfileError({ ...good, serial: { ...serial, baud: "fast" } }, file, /"serial\.baud" must be a positive integer \(got "fast"\)/);
    expectProfileError({ ...good, chip: "esp8266" }, file, /"chip" must be one of "esp32", "esp32s3", "esp32c3"/);
    expectProfileError({ ...good, serial: { ...serial, reset: "dtr" } }, file, /"serial\.reset" must be one of/);
    expectProfileError({ ...good, serial: { ...serial, usb: [{ vid: "10c4", pid: "0xea60" }] } }, file, /"serial\.usb\[0\]\.vid" must be a hex string/);
    expectProfileError({ ...good, cpuClock: 1 }, file, /"cpuClock" is not a known field/);
    expectProfileError({ ...good, name: "esp32" }, file, /"name" must match the file name "esp32-devkitc"/);
    expectProfileError({ ...good, flashSize: "4 megs" }, file, /"flashSize" must look like "4MB"/);
    const { build: _build, ...noBuild } = good;
    expectProfileError(noBuild, file, /"build" is required for port "esp-idf"/);
    const rv = profileJson("qemu-rv32");
    const { cyclesPerInstruction: _cpi, ...noCpi } = rv;
    expectProfileError(noCpi, "boards/qemu-rv32.json", /"cyclesPerInstruction" is required/);
  });

  it("loadBoards reports a broken file by path", () => {
    const dir = join(tmp, "bad");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "x.json"), "{ not json");
    expect(() => loadBoards(dir)).toThrow(/x\.json: not valid JSON/);
    const dir2 = join(tmp, "bad2");
    mkdirSync(dir2, { recursive: true });
    const good = profileJson("esp32-devkitc");
    writeFileSync(join(dir2, "esp32-devkitc.json"), JSON.stringify({ ...good, cpuClockHz: -5 }));
    expect(() => loadBoards(dir2)).toThrow(/esp32-devkitc\.json: field "cpuClockHz" must be a positive integer \(got -5\)/);
  });

  it("`mhr boards` prints the table and --json the profiles", () => {
    const bin = join(REPO_ROOT, "bin/mhr.mjs");
    const table = execFileSync(process.execPath, [bin, "boards"], { encoding: "utf8" });
    expect(table.split("\n")[0]).toMatch(/^BOARD\s+CHIP\s+PORT\s+CPU\s+FLASH\s+RESET\s+USB VID:PID$/);
    expect(table).toMatch(/esp32-devkitc\s+ESP32\s+esp-idf\s+240 MHz\s+4MB\s+classic\s+0x10c4:0xea60 0x1a86:0x7523/);
    const json = JSON.parse(execFileSync(process.execPath, [bin, "boards", "--json"], { encoding: "utf8" })) as Array<{
      name: string;
      serial: { usb: Array<{ vid: string }> } | null;
    }>;
    expect(json).toHaveLength(8);
    expect(table).toMatch(/qemu-esp32c3\s+ESP32-C3 \(emulated\)\s+qemu-esp32c3\s+80 MHz\s+4MB\s+-\s+-/);
    expect(json.find((b) => b.name === "esp32-s3-devkitc-1")?.serial?.usb[0].vid).toBe("0x303a");
  });
});
