/**
 * The flashing path through the real `serialport` package: a socat pty
 * pair, the ROM-loader TEST DOUBLE on one end (opened with serialport),
 * `flashBoard` with a port path on the other.
 *
 * A pty has no modem lines, so DTR/RTS ioctls fail ("Inappropriate ioctl");
 * the adapter tolerates that, the double starts in download mode (as if
 * BOOT was held at power-on) and the "EN press" after flashing goes through
 * the double's side channel.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getBoard } from "../src/boards/profiles.ts";
import { FlashError, flashBoard } from "../src/flash/flash.ts";
import { monitorPort, runMonitor } from "../src/flash/monitor.ts";
import { NodeSerialLink, WebSerialAdapter } from "../src/serial/web-serial-adapter.ts";
import { RomLoaderDouble, makeBuild, sameBytes } from "./fixtures/rom-loader-double.ts";
import { startSocat, type PtyPair } from "./fixtures/socat-pty.ts";

const socatMissing = spawnSync("sh", ["-c", "command -v socat"], { encoding: "utf8" }).status !== 0;
if (socatMissing) {
  console.warn("flash-pty.test.ts: socat is not installed (apt-get install socat); the pty tests are skipped");
}


/** Run the double on a real serial port (the device end of the pair). */
async function serveDouble(path: string, double: RomLoaderDouble): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate: 115200, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  port.on("data", (chunk: Buffer) => double.receive(new Uint8Array(chunk), double.baud));
  double.attach((data) => {
    if (port.isOpen) port.write(Buffer.from(data));
  });
  return port;
}

async function closePort(port: SerialPort | null): Promise<void> {
  if (!port?.isOpen) return;
  await new Promise<void>((resolve) => port.close(() => resolve()));
}

describe.skipIf(socatMissing)("flashBoard over a socat pty pair (real serialport path)", () => {
  let pty: PtyPair;
  let devicePort: SerialPort | null = null;
  const tmp = mkdtempSync(join(tmpdir(), "mhr-pty-"));

  beforeAll(async () => {
    pty = await startSocat();
  });

  afterAll(async () => {
    await closePort(devicePort);
    pty?.proc.kill("SIGTERM");
    rmSync(tmp, { recursive: true, force: true });
  });

  it("flashes through /dev/pts, the bytes match, and the monitor reads the boot log", async () => {
    const double = new RomLoaderDouble({ chip: "esp32", startInDownloadMode: true });
    devicePort = await serveDouble(pty.device, double);
    const b = makeBuild(join(tmp, "build"), "esp32", 300 * 1024);
    const notes: string[] = [];
    const report = await flashBoard({ board: getBoard("esp32-devkitc"), port: pty.host, buildDir: b.dir, debug: (l) => notes.push(l) });
    // The adapter met the pty's missing modem lines and carried on.
    expect(notes.some((l) => /has no modem lines/.test(l))).toBe(true);
    expect(report.port.modemLinesUnsupported).toBe(true);
    expect(report.resetIntoApp).toBe(false);
    for (const img of b.images) {
      expect(sameBytes(double.read(img.offset, img.data.length), img.data), `flash at 0x${img.offset.toString(16)}`).toBe(true);
    }
    expect(double.events).toEqual(expect.arrayContaining(["stub", "baud:460800"]));

    // The reset ioctls went nowhere; press EN on the double instead, then read on the still-open port.
    double.pressReset(false);
    const ac = new AbortController();
    let text = "";
    const timer = setTimeout(() => ac.abort(), 3000);
    await monitorPort(report.port, {
      signal: ac.signal,
      write: (chunk) => {
        text += Buffer.from(chunk).toString("latin1");
        if (text.includes(double.appBanner)) ac.abort();
      },
    });
    clearTimeout(timer);
    expect(text).toContain("rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)");
    expect(text).toContain(double.appBanner);
    await report.port.close();
  });

  it("`reset: none` connects to a chip already in download mode", async () => {
    const double = new RomLoaderDouble({ chip: "esp32c3", startInDownloadMode: true });
    await closePort(devicePort);
    devicePort = await serveDouble(pty.device, double);
    const b = makeBuild(join(tmp, "build-c3"), "esp32c3", 32 * 1024);
    const logs: string[] = [];
    const report = await flashBoard({ board: getBoard("esp32-c3-devkitm-1"), port: pty.host, buildDir: b.dir, reset: "none", log: (l) => logs.push(l) });
    expect(report.resetIntoApp).toBe(false);
    expect(logs.some((l) => /press EN/.test(l))).toBe(true);
    for (const img of b.images) expect(sameBytes(double.read(img.offset, img.data.length), img.data)).toBe(true);
    await report.port.close();
  });

  it("PORT_BUSY: another program holds the port", async () => {
    const holder = new WebSerialAdapter(new NodeSerialLink(pty.host, { usbInfo: {} }));
    await holder.open({ baudRate: 115200 });
    try {
      const b = makeBuild(join(tmp, "build-busy"), "esp32", 4096);
      let caught: unknown;
      try {
        await flashBoard({ board: getBoard("esp32-devkitc"), port: pty.host, buildDir: b.dir });
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(FlashError);
      expect((caught as FlashError).code).toBe("PORT_BUSY");
      expect((caught as FlashError).message).toMatch(/is in use by another program; close other monitors/);
      // The monitor command reports the same.
      await expect(runMonitor({ port: pty.host, baud: 115200, write: () => undefined, signal: new AbortController().signal })).rejects.toMatchObject({
        code: "PORT_BUSY",
      });
    } finally {
      await holder.close();
    }
  });
});
