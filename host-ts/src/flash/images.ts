/**
 * Which bytes go where. Two kinds of firmware:
 *  - "bare-metal": the image `npm run build:firmware` makes for the chip
 *    (build/firmware/<port>/mhr.bin), booted by the chip's ROM loader from
 *    its boot offset (0x0 on the ESP32-C3, 0x1000 on the ESP32);
 *  - "esp-idf": an ESP-IDF build, from its build/flasher_args.json, or the
 *    board profile's default image layout when that file is absent.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { BARE_METAL_PORT, type BoardProfile, ESPTOOL_CHIP_NAME, REPO_ROOT } from "../boards/profiles.ts";
import { FlashError, hexOffset } from "./errors.ts";
import { EspImageError, ROM_BOOT_OFFSET, parseEspImage } from "./esp-image.ts";

export type FirmwareKind = "bare-metal" | "esp-idf";
export const FIRMWARE_KINDS: readonly FirmwareKind[] = ["bare-metal", "esp-idf"];

export interface FlashImage {
  offset: number;
  data: Uint8Array;
  /** Where it came from, for messages. */
  file?: string;
}

export interface ResolvedImages {
  images: FlashImage[];
  /** "flasher_args.json" or "profile defaults". */
  source: string;
  buildDir: string;
}

/** The build directory for a board: explicit, else the profile's (relative to the repo root). */
export function boardBuildDir(board: BoardProfile, buildDir?: string): string {
  if (buildDir !== undefined) return resolve(buildDir);
  if (!board.build) throw new FlashError("NOT_FLASHABLE", `board ${board.name} has no ESP-IDF build; nothing to flash`);
  return isAbsolute(board.build.buildDir) ? board.build.buildDir : join(REPO_ROOT, board.build.buildDir);
}

interface FlasherArgs {
  flash_files?: Record<string, string>;
  extra_esptool_args?: { chip?: string };
}

function parseOffset(text: string, where: string): number {
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) {
    throw new FlashError("IMAGE_INVALID", `${where}: flash offset "${text}" is not a number; rebuild with idf.py build`);
  }
  return Number(text);
}

function readImage(buildDir: string, file: string, offset: number, hint: string): FlashImage {
  const path = isAbsolute(file) ? file : join(buildDir, file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new FlashError(
      "IMAGE_MISSING",
      `image for offset ${hexOffset(offset)} not found: ${path}; ${hint}`,
      { file: path, offset },
    );
  }
  return { offset, data: new Uint8Array(readFileSync(path)), file: path };
}

/**
 * Images and offsets from `buildDir/flasher_args.json`, else from the
 * profile's defaults. Every file must exist (IMAGE_MISSING names the file
 * and its offset).
 */
export function resolveImages(board: BoardProfile, buildDir?: string): ResolvedImages {
  const dir = boardBuildDir(board, buildDir);
  const build = board.build;
  if (!build) throw new FlashError("NOT_FLASHABLE", `board ${board.name} has no ESP-IDF build; nothing to flash`);
  const argsPath = join(dir, build.flasherArgs);
  const hint = `build the firmware first (idf.py -B ${dir} set-target ${build.idfTarget} build) or pass --build DIR`;
  if (existsSync(argsPath)) {
    let args: FlasherArgs;
    try {
      args = JSON.parse(readFileSync(argsPath, "utf8")) as FlasherArgs;
    } catch (err) {
      throw new FlashError("IMAGE_INVALID", `${argsPath} is not valid JSON (${(err as Error).message}); ${hint}`);
    }
    const files = args.flash_files;
    if (!files || typeof files !== "object" || Object.keys(files).length === 0) {
      throw new FlashError("IMAGE_INVALID", `${argsPath} has no "flash_files"; ${hint}`);
    }
    const chip = args.extra_esptool_args?.chip;
    if (chip && board.chip && chip !== board.chip) {
      throw new FlashError(
        "WRONG_CHIP",
        `${argsPath} was built for ${chip} but board ${board.name} is ${ESPTOOL_CHIP_NAME[board.chip]}; ` +
          `rebuild with idf.py set-target ${board.chip} or pick the matching --board`,
        { expected: board.chip, got: chip },
      );
    }
    const images = Object.entries(files)
      .map(([off, file]) => readImage(dir, file, parseOffset(off, argsPath), hint))
      .sort((a, b) => a.offset - b.offset);
    return { images, source: build.flasherArgs, buildDir: dir };
  }
  const d = build.defaults;
  const images = [d.bootloader, d.partitionTable, d.app].map((img) => readImage(dir, img.file, img.offset, `${hint} (no ${build.flasherArgs} in ${dir}, so the profile's default layout was used)`));
  return { images, source: "profile defaults", buildDir: dir };
}

/** Where `npm run build:firmware` puts a chip's bare-metal image, or null when the chip has no bare-metal port. */
export function bareMetalImagePath(board: BoardProfile): string | null {
  const port = board.chip ? BARE_METAL_PORT[board.chip] : null;
  return port ? join(REPO_ROOT, "build/firmware", port, "mhr.bin") : null;
}

/**
 * The bare-metal image for a board (default: the build output), parsed and
 * verified before anything is sent: the right chip, every field, checksum
 * and digest. It goes at the chip's ROM boot offset.
 */
export function resolveBareMetalImage(board: BoardProfile, file?: string): ResolvedImages {
  const chip = board.chip;
  const port = chip ? BARE_METAL_PORT[chip] : null;
  if (!chip || !port) {
    throw new FlashError(
      "NOT_FLASHABLE",
      `board ${board.name} (${chip ? ESPTOOL_CHIP_NAME[chip] : "no chip"}) has no bare-metal port; build the ESP-IDF app and flash it with --build DIR`,
    );
  }
  const path = file !== undefined ? resolve(file) : (bareMetalImagePath(board) as string);
  const offset = ROM_BOOT_OFFSET[port];
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new FlashError("IMAGE_MISSING", `image for offset ${hexOffset(offset)} not found: ${path}; build it with \`npm run build:firmware\``, { file: path, offset });
  }
  const data = new Uint8Array(readFileSync(path));
  try {
    parseEspImage(data, { chip: port, what: path });
  } catch (err) {
    if (err instanceof EspImageError) {
      if (err.code === "WRONG_CHIP") {
        throw new FlashError("WRONG_CHIP", `${err.message}; board ${board.name} is ${ESPTOOL_CHIP_NAME[chip]}: pick the matching --board or image`, { file: path, expected: port });
      }
      throw new FlashError("IMAGE_INVALID", `${err.message} (${err.code}); rebuild with \`npm run build:firmware\``, { file: path, offset });
    }
    throw err;
  }
  return { images: [{ offset, data, file: path }], source: "bare-metal image", buildDir: dirname(path) };
}

/** Refuse overlapping images or images past the end of flash, before connecting. */
export function checkLayout(images: FlashImage[], flashSizeBytes: number | null): void {
  const sorted = [...images].sort((a, b) => a.offset - b.offset);
  for (let i = 0; i < sorted.length; i++) {
    const img = sorted[i];
    const name = img.file ?? `image at ${hexOffset(img.offset)}`;
    if (img.offset % 0x1000 !== 0) {
      throw new FlashError("IMAGE_INVALID", `${name}: offset ${hexOffset(img.offset)} is not 4 KiB aligned`, { offset: img.offset });
    }
    if (img.data.length === 0) {
      throw new FlashError("IMAGE_INVALID", `${name} (offset ${hexOffset(img.offset)}) is empty; rebuild the firmware`, { offset: img.offset });
    }
    if (flashSizeBytes !== null && img.offset + img.data.length > flashSizeBytes) {
      throw new FlashError(
        "IMAGE_INVALID",
        `${name} (offset ${hexOffset(img.offset)}, ${img.data.length} bytes) runs past the end of the ${flashSizeBytes / 1024 / 1024} MB flash`,
        { offset: img.offset },
      );
    }
    const next = sorted[i + 1];
    if (next && img.offset + img.data.length > next.offset) {
      throw new FlashError(
        "IMAGE_INVALID",
        `${name} (offset ${hexOffset(img.offset)}, ${img.data.length} bytes) overlaps the image at ${hexOffset(next.offset)}`,
        { offset: img.offset },
      );
    }
  }
}
