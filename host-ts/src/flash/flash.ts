/**
 * Flash an ESP-IDF build onto a board with esptool-js, from Node.js.
 *
 * connect (reset into the ROM loader, sync) -> check the chip against the
 * profile -> upload the flasher stub -> faster baud -> compressed write of
 * each image with MD5 verification -> back to the console baud -> reset into
 * the app. The port is returned still open, with esptool-js's reader
 * detached, so a monitor can continue on it and see the boot log.
 *
 * esptool-js 0.7.0 quirks handled here (see shared/notes/esptool-js.md):
 * its `hard_reset` never pulses EN, and `Transport.setSignals` records DTR
 * only when true, so both resets are explicit sequence strings that set DTR
 * before RTS; `Transport.trace` would log to the console, so it is routed
 * to our debug logger.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import {
  ClassicReset,
  CustomReset,
  ESPError,
  ESPLoader,
  type IEspLoaderTerminal,
  Transport,
  UnexpectedChipIdError,
  UnexpectedChipMagicError,
  UsbJtagSerialReset,
} from "esptool-js";
import { type BoardProfile, CHIPS, type ChipName, ESPTOOL_CHIP_NAME, type ResetKind, loadBoards } from "../boards/profiles.ts";
import {
  type WebSerialLike,
  asWebSerialPort,
  lookupUsbInfo,
  openNodeSerial,
  WebSerialAdapter,
} from "../serial/web-serial-adapter.ts";
import { FlashError, hexOffset } from "./errors.ts";
import { type FirmwareKind, type FlashImage, checkLayout, resolveBareMetalImage, resolveImages } from "./images.ts";
import { availablePortPaths } from "./ports.ts";

export { FlashError } from "./errors.ts";
export type { FlashErrorCode } from "./errors.ts";
export type { FlashImage } from "./images.ts";

export const ESPRESSIF_USB_VID = 0x303a;
export const USB_JTAG_SERIAL_PID = 0x1001;

/**
 * Into the ROM loader, classic DevKit wiring (as esptool.py): IO0 high and
 * EN low, then IO0 low and EN released (IO0 sampled low), then IO0 high.
 */
export function classicEnterSequence(resetDelayMs: number): string {
  return `D0|R1|W100|D1|R0|W${Math.max(1, resetDelayMs)}|D0`;
}

/** Into the ROM loader through the USB-Serial/JTAG peripheral (as esptool.py). */
export const USB_JTAG_ENTER_SEQUENCE = "R0|D0|W100|D1|R0|W100|R1|D0|R1|W100|R0|D0";

/**
 * Reset into the app: DTR (IO0) released first, then an EN pulse. Works for
 * both wirings; replaces 0.7.0's hard_reset, which never asserts RTS.
 */
export const APP_RESET_SEQUENCE = "D0|R1|W100|R0";

export interface FlashProgress {
  imageIndex: number;
  imageCount: number;
  offset: number;
  /** Bytes of this image written so far (uncompressed, estimated from the compressed stream). */
  imageDone: number;
  imageBytes: number;
  /** Over all images. */
  done: number;
  total: number;
}

export interface FlashBoardOptions {
  board: BoardProfile;
  /** A port path, or an adapter (not yet open) such as an in-memory one. */
  port: string | WebSerialLike;
  /**
   * Which firmware: "bare-metal" (the image `npm run build:firmware` makes,
   * at the chip's ROM boot offset) or "esp-idf" (an ESP-IDF build directory).
   * Default: "esp-idf" when buildDir is given, else "bare-metal".
   */
  firmware?: FirmwareKind;
  /** ESP-IDF build directory (default: the profile's). */
  buildDir?: string;
  /** Another bare-metal image file than the build output. */
  imageFile?: string;
  /** Explicit images instead of either. */
  images?: FlashImage[];
  /** Flashing baud rate after the stub runs (default: the profile's flashBaud). */
  baud?: number;
  onProgress?: (progress: FlashProgress) => void;
  /** esptool-js's own progress lines and our notes. */
  log?: (line: string) => void;
  /** Protocol traces (very chatty). */
  debug?: (line: string) => void;
  /** Reset wiring override (default: USB-JTAG-serial for 0x303a:0x1001, else the profile's). */
  reset?: ResetKind;
  /** Connect attempts (each a reset plus five SYNCs); default 7, as esptool. */
  connectAttempts?: number;
  /** Reset into the app at the end (default true). */
  resetIntoApp?: boolean;
}

export interface FlashedImage {
  offset: number;
  size: number;
  md5: string;
  file?: string;
}

export interface FlashReport {
  board: string;
  /** Port path or adapter name. */
  portName: string;
  /** Still open at the console baud; the caller closes it (or monitors it). */
  port: WebSerialLike;
  chip: string;
  description: string;
  mac: string;
  flashId: number;
  reset: ResetKind;
  flashBaud: number;
  consoleBaud: number;
  images: FlashedImage[];
  bytesWritten: number;
  elapsedMs: number;
  /** False when the reset wiring is "none": press EN to start the app. */
  resetIntoApp: boolean;
}

/** COM ports on Windows are not files; elsewhere a missing device node means no port. */
function portPathMissing(path: string): boolean {
  return process.platform !== "win32" && !existsSync(path);
}

function md5Hex(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

function errText(err: unknown): string {
  if (err instanceof Error) return `${err.message} ${(err as NodeJS.ErrnoException).code ?? ""}`;
  return String(err);
}

async function noPortError(path: string): Promise<FlashError> {
  const ports = await availablePortPaths();
  const list = ports.length ? ports.join(", ") : "none";
  return new FlashError(
    "NO_PORT",
    `serial port ${path} does not exist; available ports: ${list} (run \`mhr ports\`; check the cable and driver)`,
    { port: path, availablePorts: ports },
  );
}

/** Turn an error from opening a port into a FlashError, when it is one of the known cases. */
export async function classifyOpenError(err: unknown, path: string): Promise<FlashError | null> {
  const text = errText(err);
  if (/ENOENT|No such file or directory|File not found|cannot find the file/i.test(text)) return noPortError(path);
  if (/EBUSY|Resource busy|Cannot lock port|Resource temporarily unavailable|Access denied.*in use/i.test(text)) {
    return new FlashError(
      "PORT_BUSY",
      `serial port ${path} is in use by another program; close other monitors (idf.py monitor, screen, minicom, Arduino) or stop ModemManager, then retry`,
      { port: path },
    );
  }
  if (/EACCES|Permission denied/i.test(text)) {
    return new FlashError(
      "PORT_DENIED",
      `no permission to open ${path}; add your user to the dialout group (uucp on Arch): sudo usermod -aG dialout $USER, then log in again`,
      { port: path },
    );
  }
  return null;
}

/** Open a real port for the monitor (no reset), with NO_PORT / PORT_BUSY errors. */
export async function openSerialPort(path: string, baud: number, log?: (line: string) => void): Promise<WebSerialAdapter> {
  if (portPathMissing(path)) throw await noPortError(path);
  const adapter = openNodeSerial(path, { log, usbInfo: await lookupUsbInfo(path) });
  try {
    await adapter.open({ baudRate: baud });
  } catch (err) {
    throw (await classifyOpenError(err, path)) ?? err;
  }
  return adapter;
}

function driverHint(vid: number | undefined): string {
  if (vid === 0x10c4) return "the CP210x driver";
  if (vid === 0x1a86) return "the CH34x driver";
  if (vid === ESPRESSIF_USB_VID) return "the USB-Serial/JTAG port (not the UART one)";
  return "the USB-UART driver";
}

function chipFromEsptoolName(name: string): ChipName | null {
  return CHIPS.find((c) => ESPTOOL_CHIP_NAME[c] === name) ?? null;
}

/** A profile name that fits a detected chip, for WRONG_CHIP hints. */
function boardsFor(chip: ChipName | null): string {
  if (!chip) return "none";
  const names = loadBoards()
    .filter((b) => b.chip === chip && b.serial !== null) // real boards only: emulated chips are not flashed
    .map((b) => b.name);
  return names.length ? names.join(", ") : "none";
}

/** Last "Flash md5: ..." line esptool-js printed (its MD5 error omits the values). */
function lastFlashMd5(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /Flash md5:\s*([0-9a-f]+)/i.exec(lines[i]);
    if (m) return m[1];
  }
  return undefined;
}

export async function flashBoard(opts: FlashBoardOptions): Promise<FlashReport> {
  const started = Date.now();
  const { board } = opts;
  const log = opts.log ?? ((): void => undefined);
  const debug = opts.debug ?? ((): void => undefined);
  if (board.port !== "esp-idf" || board.chip === null || board.serial === null) {
    throw new FlashError(
      "NOT_FLASHABLE",
      `board ${board.name} is not a real board on a serial port (port ${board.port}); pick one of: ${boardsFor("esp32")}, ${boardsFor("esp32s3")}, ${boardsFor("esp32c3")}`,
    );
  }
  const serial = board.serial;
  const expectedChip = ESPTOOL_CHIP_NAME[board.chip];

  // Images first: a missing file should not cost a reset.
  const firmware: FirmwareKind = opts.firmware ?? (opts.buildDir !== undefined ? "esp-idf" : "bare-metal");
  const images: FlashImage[] = opts.images
    ? opts.images.map((i) => ({ offset: i.offset, data: i.data, file: i.file }))
    : firmware === "bare-metal"
      ? resolveBareMetalImage(board, opts.imageFile).images
      : resolveImages(board, opts.buildDir).images;
  checkLayout(images, board.flashSizeBytes);

  let adapter: WebSerialLike;
  let portName: string;
  if (typeof opts.port === "string") {
    portName = opts.port;
    if (portPathMissing(opts.port)) throw await noPortError(opts.port);
    adapter = openNodeSerial(opts.port, { log: debug, usbInfo: await lookupUsbInfo(opts.port) });
  } else {
    adapter = opts.port;
    portName = adapter.description;
  }
  const usb = adapter.getInfo();
  const usbJtag = usb.usbVendorId === ESPRESSIF_USB_VID && usb.usbProductId === USB_JTAG_SERIAL_PID;
  const reset: ResetKind = opts.reset ?? (usbJtag ? "usb-jtag-serial" : serial.reset);
  const flashBaud = opts.baud ?? serial.flashBaud;

  const lines: string[] = [];
  let partial = "";
  const emit = (text: string): void => {
    for (const raw of text.split(/[\r\n]+/)) {
      const line = raw.trim();
      if (line) {
        lines.push(line);
        log(line);
      }
    }
  };
  const terminal: IEspLoaderTerminal = {
    clean: () => undefined,
    writeLine: (data: string) => {
      emit(partial + data);
      partial = "";
    },
    write: (data: string) => {
      partial += data;
    },
  };

  const transport = new Transport(asWebSerialPort(adapter), false);
  transport.trace = (message: string): void => debug(message);

  class SequenceClassicReset extends ClassicReset {
    override async reset(): Promise<void> {
      await new CustomReset(this.transport, classicEnterSequence(this.resetDelay)).reset();
    }
  }
  class SequenceUsbJtagReset extends UsbJtagSerialReset {
    override async reset(): Promise<void> {
      await new CustomReset(this.transport, USB_JTAG_ENTER_SEQUENCE).reset();
    }
  }

  const loader = new ESPLoader({
    transport,
    baudrate: flashBaud,
    romBaudrate: serial.romBaud,
    terminal,
    debugLogging: false,
    resetConstructors: {
      classicReset: (t: Transport, delay: number) => new SequenceClassicReset(t, delay),
      usbJTAGSerialReset: (t: Transport) => new SequenceUsbJtagReset(t),
      customReset: (t: Transport, seq: string) => new CustomReset(t, seq),
    },
  });

  const closeQuietly = async (): Promise<void> => {
    try {
      await adapter.close();
    } catch {
      // best effort
    }
  };

  try {
    // 1. Reset into the ROM loader and sync.
    const mode = reset === "none" ? "no_reset" : reset === "usb-jtag-serial" ? "usb_reset" : "default_reset";
    try {
      await loader.detectChip(mode, opts.connectAttempts ?? 7);
    } catch (err) {
      if (err instanceof FlashError) throw err;
      const openErr = typeof opts.port === "string" ? await classifyOpenError(err, portName) : null;
      if (openErr) throw openErr;
      if (err instanceof UnexpectedChipMagicError || err instanceof UnexpectedChipIdError) {
        throw new FlashError(
          "WRONG_CHIP",
          `board ${board.name} expects ${expectedChip} but the chip on ${portName} is not one esptool-js knows (${err.message}); check --port`,
          { port: portName, expected: expectedChip, got: err.message },
        );
      }
      if (err instanceof ESPError && /Failed to connect/i.test(err.message)) {
        const how =
          reset === "none"
            ? "this board has no auto-reset: hold BOOT, press and release EN, release BOOT, then run the command again"
            : "hold BOOT, press EN, release BOOT and retry";
        throw new FlashError(
          "NO_SYNC",
          `no reply from the ${expectedChip} ROM loader on ${portName}: ${how}; check the USB cable carries data and ${driverHint(usb.usbVendorId)} is installed`,
          { port: portName },
        );
      }
      throw new FlashError("PROTOCOL", `connecting to ${portName} failed: ${errText(err).trim()}`, { port: portName });
    }

    // 2. The right chip?
    const detected = loader.chip.CHIP_NAME;
    if (detected !== expectedChip) {
      const fits = boardsFor(chipFromEsptoolName(detected));
      throw new FlashError(
        "WRONG_CHIP",
        `board ${board.name} expects ${expectedChip} but ${portName} has an ${detected}; use --board ${fits.split(", ")[0]} (boards for it: ${fits}) or the right --port`,
        { port: portName, expected: expectedChip, got: detected },
      );
    }
    const description = await loader.chip.getChipDescription(loader);
    const mac = await loader.chip.readMac(loader);
    log(`Chip is ${description}, MAC ${mac}`);
    if (loader.chip.postConnect) await loader.chip.postConnect(loader);

    // 3. Stub, faster baud, flash id.
    await loader.runStub();
    if (flashBaud !== serial.romBaud) await loader.changeBaud();
    const flashId = await loader.readFlashId();
    if (flashId === 0xffffff || flashId === 0) {
      throw new FlashError(
        "PROTOCOL",
        `the ${detected} on ${portName} does not answer from its SPI flash (id 0x${flashId.toString(16)}); check the module's flash wiring or try another board`,
        { port: portName },
      );
    }

    // 4. Write and verify, one image at a time (so errors know the offset).
    const total = images.reduce((n, i) => n + i.data.length, 0);
    let doneBefore = 0;
    const flashed: FlashedImage[] = [];
    for (let index = 0; index < images.length; index++) {
      const img = images[index];
      let expectedMd5 = "";
      try {
        await loader.writeFlash({
          fileArray: [{ data: img.data, address: img.offset }],
          flashMode: "keep",
          flashFreq: "keep",
          flashSize: "keep",
          eraseAll: false,
          compress: true,
          reportProgress: (_file: number, written: number, size: number) => {
            const imageDone = size > 0 ? Math.min(img.data.length, Math.round((written / size) * img.data.length)) : 0;
            opts.onProgress?.({
              imageIndex: index,
              imageCount: images.length,
              offset: img.offset,
              imageDone,
              imageBytes: img.data.length,
              done: doneBefore + imageDone,
              total,
            });
          },
          calculateMD5Hash: (image: Uint8Array) => {
            expectedMd5 = md5Hex(image);
            return expectedMd5;
          },
        });
      } catch (err) {
        if (err instanceof ESPError && /MD5/i.test(err.message)) {
          const got = lastFlashMd5(lines) ?? "unknown";
          throw new FlashError(
            "MD5_MISMATCH",
            `verify failed at offset ${hexOffset(img.offset)}${img.file ? ` (${img.file})` : ""}: expected MD5 ${expectedMd5}, flash has ${got}; retry at a lower --baud (e.g. 115200) or try another cable/port`,
            { port: portName, offset: img.offset, file: img.file, expected: expectedMd5, got },
          );
        }
        throw new FlashError(
          "PROTOCOL",
          `writing offset ${hexOffset(img.offset)} on ${portName} failed: ${errText(err).trim()}; retry at a lower --baud`,
          { port: portName, offset: img.offset },
        );
      }
      doneBefore += img.data.length;
      flashed.push({ offset: img.offset, size: img.data.length, md5: expectedMd5, file: img.file });
    }

    // 5. Back to the console baud, let go of the port's reader, reset into the app.
    if (adapter.baudRate !== serial.baud) await transport.changeBaudrate(serial.baud);
    await adapter.detachReader();
    transport.flushInput();
    let ranApp = false;
    if (opts.resetIntoApp !== false && reset !== "none") {
      await loader.after("custom_reset", false, APP_RESET_SEQUENCE);
      ranApp = !adapter.modemLinesUnsupported;
      if (!ranApp) log(`${portName} has no DTR/RTS lines, so the board was not reset: press EN (RST) to start the app.`);
    } else if (reset === "none") {
      log("This board has no auto-reset wiring: press EN (RST) to start the app.");
    }

    return {
      board: board.name,
      portName,
      port: adapter,
      chip: detected,
      description,
      mac,
      flashId,
      reset,
      flashBaud,
      consoleBaud: serial.baud,
      images: flashed,
      bytesWritten: total,
      elapsedMs: Date.now() - started,
      resetIntoApp: ranApp,
    };
  } catch (err) {
    await closeQuietly();
    throw err;
  }
}
