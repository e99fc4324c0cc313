/**
 * Board profiles: one JSON file per board in `boards/` at the repository
 * root (data only; see boards/README.md for the fields). This module loads
 * them, validates every field and turns hex strings into numbers, so the rest
 * of the code works with a typed, checked `BoardProfile`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export type ChipName = "esp32" | "esp32s3" | "esp32c3";
export type BoardPort = "esp-idf" | "qemu-rv32" | "qemu-lx106" | "qemu-esp32c3" | "qemu-esp32" | "host";
export type ResetKind = "classic" | "usb-jtag-serial" | "none";

export const CHIPS: readonly ChipName[] = ["esp32", "esp32s3", "esp32c3"];
export const PORTS: readonly BoardPort[] = ["esp-idf", "qemu-rv32", "qemu-lx106", "qemu-esp32c3", "qemu-esp32", "host"];

/**
 * Virtual boards that emulate a whole chip (Espressif's QEMU machines): their
 * profile names the chip, whose bare-metal image they boot from a flash file.
 */
export const CHIP_EMULATOR_PORTS: Readonly<Partial<Record<BoardPort, ChipName>>> = {
  "qemu-esp32c3": "esp32c3",
  "qemu-esp32": "esp32",
};

/**
 * The bare-metal firmware port (firmware/ports/<port>, built by `npm run
 * build:firmware` into a ROM-loaded image) for each chip that has one.
 */
export const BARE_METAL_PORT: Readonly<Record<ChipName, "esp32" | "esp32c3" | null>> = {
  esp32: "esp32",
  esp32c3: "esp32c3",
  esp32s3: null,
};
export const RESETS: readonly ResetKind[] = ["classic", "usb-jtag-serial", "none"];

/** The chip name esptool-js reports (ROM.CHIP_NAME) for each profile chip. */
export const ESPTOOL_CHIP_NAME: Readonly<Record<ChipName, string>> = {
  esp32: "ESP32",
  esp32s3: "ESP32-S3",
  esp32c3: "ESP32-C3",
};

export interface UsbId {
  vid: number;
  pid: number;
  note: string;
}

export interface SerialSpec {
  /** Console (application) baud rate: what the monitor uses. */
  baud: number;
  /** Baud rate the ROM serial loader talks at after reset. */
  romBaud: number;
  /** Baud rate to switch to for flashing once the stub runs. */
  flashBaud: number;
  /** How DTR/RTS reach EN/IO0 on this board. */
  reset: ResetKind;
  /** USB VID/PID pairs this board shows up as. */
  usb: UsbId[];
}

export interface FlashImageDefault {
  offset: number;
  file: string;
}

export interface EspIdfBuild {
  idfTarget: string;
  /** Build directory, relative to the repository root unless absolute. */
  buildDir: string;
  /** Name of ESP-IDF's flasher arguments file inside buildDir. */
  flasherArgs: string;
  /** Images used when the flasher arguments file is absent. */
  defaults: {
    bootloader: FlashImageDefault;
    partitionTable: FlashImageDefault;
    app: FlashImageDefault;
  };
}

export interface BoardProfile {
  name: string;
  description: string;
  chip: ChipName | null;
  port: BoardPort;
  cpuClockHz: number | null;
  /** e.g. "4MB"; null where the board has no flash (host). */
  flashSize: string | null;
  flashSizeBytes: number | null;
  serial: SerialSpec | null;
  build: EspIdfBuild | null;
  /** Virtual boards only: free-text cycles-per-instruction model note. */
  cyclesPerInstruction: string | null;
  /**
   * Boards that run without a serial port (every port but esp-idf) are also
   * engines: the name `--engine` knows them by (the profile's `engine` field,
   * or the board's own name).
   */
  engine: string | null;
  /** The file the profile came from. */
  file: string;
}

export class BoardProfileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BoardProfileError";
  }
}

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const DEFAULT_BOARDS_DIR = join(REPO_ROOT, "boards");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** Reads fields out of one parsed JSON file, naming file and field on error. */
class FieldReader {
  constructor(readonly file: string) {}

  fail(field: string, problem: string, value?: Json): never {
    const got = value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
    throw new BoardProfileError(`${this.file}: field "${field}" ${problem}${got}`);
  }

  object(value: Json | undefined, field: string, allowed: readonly string[]): JsonObject {
    if (value === undefined) this.fail(field, "is missing");
    if (value === null || typeof value !== "object" || Array.isArray(value)) this.fail(field, "must be an object", value);
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        const where = field === "" ? key : `${field}.${key}`;
        this.fail(where, `is not a known field (known: ${allowed.join(", ")})`);
      }
    }
    return value;
  }

  string(obj: JsonObject, key: string, field: string): string {
    const value = obj[key];
    if (value === undefined) this.fail(field, "is missing");
    if (typeof value !== "string" || value.trim() === "") this.fail(field, "must be a non-empty string", value);
    return value;
  }

  oneOf<T extends string>(obj: JsonObject, key: string, field: string, options: readonly T[]): T {
    const value = obj[key];
    if (value === undefined) this.fail(field, "is missing");
    if (typeof value !== "string" || !(options as readonly string[]).includes(value)) {
      this.fail(field, `must be one of ${options.map((o) => JSON.stringify(o)).join(", ")}`, value);
    }
    return value as T;
  }

  positiveInt(obj: JsonObject, key: string, field: string): number {
    const value = obj[key];
    if (value === undefined) this.fail(field, "is missing");
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
      this.fail(field, "must be a positive integer", value);
    }
    return value;
  }

  /** A hex string such as "0x10c4" (or a plain non-negative integer). */
  hex(obj: JsonObject, key: string, field: string, max: number): number {
    const value = obj[key];
    if (value === undefined) this.fail(field, "is missing");
    let n: number;
    if (typeof value === "number") n = value;
    else if (typeof value === "string" && /^0x[0-9a-fA-F]+$/.test(value)) n = Number.parseInt(value.slice(2), 16);
    else this.fail(field, 'must be a hex string like "0x10c4"', value);
    if (!Number.isSafeInteger(n) || n < 0 || n > max) this.fail(field, `must be between 0 and 0x${max.toString(16)}`, value);
    return n;
  }
}

/** "4MB" / "512KB" -> bytes, or null when the text is not a size. */
export function parseFlashSize(text: string): number | null {
  const m = /^(\d+)(KB|MB)$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * (m[2] === "MB" ? 1024 * 1024 : 1024);
}

const TOP_FIELDS = [
  "name",
  "description",
  "chip",
  "port",
  "cpuClockHz",
  "flashSize",
  "serial",
  "build",
  "cyclesPerInstruction",
  "engine",
] as const;

function parseSerial(r: FieldReader, value: Json | undefined): SerialSpec {
  const s = r.object(value, "serial", ["baud", "romBaud", "flashBaud", "reset", "usb"]);
  const usbRaw = s.usb;
  if (usbRaw === undefined) r.fail("serial.usb", "is missing");
  if (!Array.isArray(usbRaw)) r.fail("serial.usb", "must be an array of {vid, pid, note}", usbRaw);
  const usb = usbRaw.map((entry, i) => {
    const f = `serial.usb[${i}]`;
    const o = r.object(entry, f, ["vid", "pid", "note"]);
    return {
      vid: r.hex(o, "vid", `${f}.vid`, 0xffff),
      pid: r.hex(o, "pid", `${f}.pid`, 0xffff),
      note: o.note === undefined ? "" : r.string(o, "note", `${f}.note`),
    };
  });
  return {
    baud: r.positiveInt(s, "baud", "serial.baud"),
    romBaud: r.positiveInt(s, "romBaud", "serial.romBaud"),
    flashBaud: s.flashBaud === undefined ? 460800 : r.positiveInt(s, "flashBaud", "serial.flashBaud"),
    reset: r.oneOf(s, "reset", "serial.reset", RESETS),
    usb,
  };
}

function parseImageDefault(r: FieldReader, value: Json | undefined, field: string): FlashImageDefault {
  const o = r.object(value, field, ["offset", "file"]);
  const offset = r.hex(o, "offset", `${field}.offset`, 0xffffffff);
  if (offset % 0x1000 !== 0) r.fail(`${field}.offset`, "must be 4 KiB (0x1000) aligned", o.offset);
  return { offset, file: r.string(o, "file", `${field}.file`) };
}

function parseBuild(r: FieldReader, value: Json | undefined): EspIdfBuild {
  const b = r.object(value, "build", ["idfTarget", "buildDir", "flasherArgs", "defaults"]);
  const d = r.object(b.defaults, "build.defaults", ["bootloader", "partitionTable", "app"]);
  return {
    idfTarget: r.string(b, "idfTarget", "build.idfTarget"),
    buildDir: r.string(b, "buildDir", "build.buildDir"),
    flasherArgs: r.string(b, "flasherArgs", "build.flasherArgs"),
    defaults: {
      bootloader: parseImageDefault(r, d.bootloader, "build.defaults.bootloader"),
      partitionTable: parseImageDefault(r, d.partitionTable, "build.defaults.partitionTable"),
      app: parseImageDefault(r, d.app, "build.defaults.app"),
    },
  };
}

/** Validate one parsed profile. `file` is only used in error messages. */
export function parseBoardProfile(raw: unknown, file: string): BoardProfile {
  const r = new FieldReader(file);
  const top = r.object(raw as Json, "", TOP_FIELDS);
  const name = r.string(top, "name", "name");
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) r.fail("name", "must be lower-case letters, digits and dashes", name);
  const stem = basename(file).replace(/\.json$/, "");
  if (file.endsWith(".json") && stem !== name) r.fail("name", `must match the file name "${stem}"`, name);
  const description = r.string(top, "description", "description");
  const port = r.oneOf(top, "port", "port", PORTS);

  let chip: ChipName | null = null;
  if (top.chip === undefined) r.fail("chip", "is missing (use null for virtual boards)");
  if (top.chip !== null) chip = r.oneOf(top, "chip", "chip", CHIPS);

  let cpuClockHz: number | null = null;
  if (top.cpuClockHz === undefined) r.fail("cpuClockHz", "is missing (use null for the host)");
  if (top.cpuClockHz !== null) cpuClockHz = r.positiveInt(top, "cpuClockHz", "cpuClockHz");

  let flashSize: string | null = null;
  let flashSizeBytes: number | null = null;
  if (top.flashSize === undefined) r.fail("flashSize", "is missing (use null for the host)");
  if (top.flashSize !== null) {
    flashSize = r.string(top, "flashSize", "flashSize");
    flashSizeBytes = parseFlashSize(flashSize);
    if (flashSizeBytes === null) r.fail("flashSize", 'must look like "4MB" or "512KB"', flashSize);
  }

  const serial = top.serial === undefined || top.serial === null ? null : parseSerial(r, top.serial);
  const build = top.build === undefined || top.build === null ? null : parseBuild(r, top.build);
  let cyclesPerInstruction: string | null = null;
  if (top.cyclesPerInstruction !== undefined && top.cyclesPerInstruction !== null) {
    cyclesPerInstruction = r.string(top, "cyclesPerInstruction", "cyclesPerInstruction");
  }

  if (port === "esp-idf") {
    if (chip === null) r.fail("chip", 'must name the chip for port "esp-idf"', null);
    if (serial === null) r.fail("serial", 'is required for port "esp-idf"');
    if (build === null) r.fail("build", 'is required for port "esp-idf"');
    if (flashSizeBytes === null) r.fail("flashSize", 'is required for port "esp-idf"');
    if (cpuClockHz === null) r.fail("cpuClockHz", 'is required for port "esp-idf"');
    if (cyclesPerInstruction !== null) r.fail("cyclesPerInstruction", "is only for virtual boards (qemu-*)");
  } else {
    const emulated = CHIP_EMULATOR_PORTS[port];
    if (emulated !== undefined) {
      if (chip !== emulated) r.fail("chip", `must be "${emulated}" for port "${port}" (the chip the emulator models)`, chip);
      if (flashSizeBytes === null) r.fail("flashSize", `is required for port "${port}" (the size of the flash file it boots from)`);
    } else if (chip !== null) r.fail("chip", `must be null for port "${port}"`, chip);
    if (build !== null) r.fail("build", `must be null for port "${port}"`);
  }
  if ((port === "qemu-rv32" || port === "qemu-lx106") && cyclesPerInstruction === null) {
    r.fail("cyclesPerInstruction", `is required for virtual port "${port}" (free text until calibrated)`);
  }
  let engine: string | null = null;
  if (top.engine !== undefined && top.engine !== null) {
    if (port === "esp-idf") r.fail("engine", 'is only for boards that run without a serial port (port "esp-idf" needs --port)');
    engine = r.string(top, "engine", "engine");
    if (!/^[a-z0-9][a-z0-9-]*$/.test(engine)) r.fail("engine", "must be lower-case letters, digits and dashes", engine);
  } else if (port !== "esp-idf") {
    engine = name;
  }
  return {
    name,
    description,
    chip,
    port,
    cpuClockHz,
    flashSize,
    flashSizeBytes,
    serial,
    build,
    cyclesPerInstruction,
    engine,
    file,
  };
}

const cache = new Map<string, BoardProfile[]>();

/** Load and validate every `*.json` in the boards directory, sorted by name. */
export function loadBoards(dir: string = process.env.MHR_BOARDS_DIR ?? DEFAULT_BOARDS_DIR): BoardProfile[] {
  const cached = cache.get(dir);
  if (cached) return cached;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".json"));
  } catch (err) {
    throw new BoardProfileError(`cannot read the board profiles directory ${dir}: ${(err as Error).message}`);
  }
  const boards: BoardProfile[] = [];
  const seen = new Map<string, string>();
  for (const n of names.sort()) {
    const path = join(dir, n);
    const shown = relative(process.cwd(), path) || path;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, "utf8"));
    } catch (err) {
      throw new BoardProfileError(`${shown}: not valid JSON: ${(err as Error).message}`);
    }
    const profile = parseBoardProfile(raw, shown);
    const dup = seen.get(profile.name);
    if (dup) throw new BoardProfileError(`${shown}: field "name" duplicates ${dup} ("${profile.name}")`);
    seen.set(profile.name, shown);
    boards.push(profile);
  }
  boards.sort((a, b) => a.name.localeCompare(b.name));
  cache.set(dir, boards);
  return boards;
}

/** One board by name; an unknown name lists the known boards. */
export function getBoard(name: string, dir?: string): BoardProfile {
  const boards = loadBoards(dir);
  const board = boards.find((b) => b.name === name);
  if (!board) {
    throw new BoardProfileError(`unknown board "${name}"; known boards: ${boards.map((b) => b.name).join(", ")}`);
  }
  return board;
}

/** Boards whose profile lists this USB VID/PID. */
export function boardsForUsb(vid: number, pid: number, dir?: string): BoardProfile[] {
  return loadBoards(dir).filter((b) => b.serial?.usb.some((u) => u.vid === vid && u.pid === pid) ?? false);
}

export function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, "0")}`;
}
