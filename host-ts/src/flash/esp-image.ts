/**
 * Espressif's esptool-format firmware image, written and parsed here from the
 * documented format (esptool docs, "Firmware Image Format"; ESP-IDF's
 * esp_app_format.h), for images the chips' ROM loaders boot directly:
 *
 *   header (8)      0xE9, segment count, SPI flash mode, flash size (high
 *                   nibble) | flash frequency (low nibble), entry address
 *   extended (16)   WP pin, 3 SPI pin drive bytes, chip id (u16), legacy
 *                   min revision (u8), min and max revision (u16, major*100
 *                   + minor), 4 reserved bytes, hash-appended flag
 *   segments        load address (u32), length (u32), data
 *   footer          zero padding so that the checksum byte ends a 16-byte
 *                   block; the checksum is 0xEF XOR every segment data byte;
 *                   then, when the flag is 1, the SHA-256 of all bytes before
 *   Multi-byte fields are little-endian.
 *
 * The parser checks every field, the padding, the checksum and the digest, and
 * refuses anything else with an EspImageError whose code says what is wrong.
 */
import { createHash } from "node:crypto";
import type { EspChip } from "./esp-memory.ts";

export const ESP_IMAGE_MAGIC = 0xe9;
export const ESP_CHECKSUM_SEED = 0xef;
const HEADER = 8;
const EXTENDED = 16;
const SEGMENT_HEADER = 8;
/** ESP-IDF's ESP_IMAGE_MAX_SEGMENTS: the ROM loaders read at most 16. */
export const ESP_IMAGE_MAX_SEGMENTS = 16;
/** WP pin byte meaning "not set via eFuse" (what ESP-IDF writes). */
export const WP_PIN_DISABLED = 0xee;

/** Chip ids of the extended header (esp_chip_id_t). */
export const ESP_CHIP_ID: Readonly<Record<EspChip, number>> = { esp32: 0x0000, esp32c3: 0x0005 };

/** Where the ROM loader looks for the image it boots (the second-stage bootloader's place). */
export const ROM_BOOT_OFFSET: Readonly<Record<EspChip, number>> = { esp32: 0x1000, esp32c3: 0x0 };

export type FlashMode = "qio" | "qout" | "dio" | "dout";
export const FLASH_MODES: readonly FlashMode[] = ["qio", "qout", "dio", "dout"];
/** Flash size nibble: 1, 2, 4, 8, 16 MiB (the ESP32 family's encoding). */
const FLASH_SIZES_MIB = [1, 2, 4, 8, 16] as const;
/** Flash frequency nibble -> MHz (ESP32 and ESP32-C3). */
const FLASH_FREQS: Readonly<Record<number, number>> = { 0x0: 40, 0x1: 26, 0x2: 20, 0xf: 80 };

export type EspImageErrorCode =
  | "TRUNCATED"
  | "BAD_MAGIC"
  | "BAD_SEGMENT_COUNT"
  | "BAD_FLASH_MODE"
  | "BAD_FLASH_SIZE"
  | "BAD_FLASH_FREQ"
  | "UNKNOWN_CHIP"
  | "WRONG_CHIP"
  | "BAD_REVISION"
  | "BAD_RESERVED"
  | "BAD_HASH_FLAG"
  | "BAD_SEGMENT"
  | "BAD_ENTRY"
  | "BAD_PADDING"
  | "BAD_CHECKSUM"
  | "BAD_DIGEST"
  | "TRAILING_BYTES"
  | "BAD_OPTIONS";

export class EspImageError extends Error {
  constructor(
    readonly code: EspImageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "EspImageError";
  }
}

export interface EspImageSegment {
  address: number;
  data: Uint8Array;
}

export interface EspImageOptions {
  chip: EspChip;
  entry: number;
  segments: readonly EspImageSegment[];
  flashMode?: FlashMode;
  /** Bytes: 1, 2, 4, 8 or 16 MiB. */
  flashSizeBytes?: number;
  flashFreqMHz?: 20 | 26 | 40 | 80;
  /** major * 100 + minor; defaults 0 and 0xFFFF (no upper bound). */
  minChipRevFull?: number;
  maxChipRevFull?: number;
  /** Append the SHA-256 digest (default true). */
  appendDigest?: boolean;
}

export interface ParsedEspImage {
  chip: EspChip;
  chipId: number;
  entry: number;
  flashMode: FlashMode;
  flashSizeBytes: number;
  flashFreqMHz: number;
  wpPin: number;
  spiPinDrive: [number, number, number];
  minChipRev: number;
  minChipRevFull: number;
  maxChipRevFull: number;
  segments: EspImageSegment[];
  checksum: number;
  /** The appended SHA-256, when the header says one is there. */
  digest: Uint8Array | null;
  /** Bytes of the image proper (a flash file may hold 0xFF after it). */
  length: number;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

function checksumOf(segments: readonly EspImageSegment[]): number {
  let c = ESP_CHECKSUM_SEED;
  for (const s of segments) for (const b of s.data) c ^= b;
  return c;
}

function chipOfId(id: number): EspChip | undefined {
  return (Object.keys(ESP_CHIP_ID) as EspChip[]).find((c) => ESP_CHIP_ID[c] === id);
}

/** Writes an image: segments in the given order, each padded with zeros to a 4-byte length. */
export function writeEspImage(opts: EspImageOptions): Uint8Array {
  function bad(m: string): never {
    throw new EspImageError("BAD_OPTIONS", m);
  }
  const mode = FLASH_MODES.indexOf(opts.flashMode ?? "dio");
  if (mode < 0) bad(`flash mode ${String(opts.flashMode)} is not one of ${FLASH_MODES.join(", ")}`);
  const sizeMiB = (opts.flashSizeBytes ?? 4 * 1024 * 1024) / (1024 * 1024);
  const sizeNibble = (FLASH_SIZES_MIB as readonly number[]).indexOf(sizeMiB);
  if (sizeNibble < 0) bad(`flash size ${opts.flashSizeBytes} B is not 1, 2, 4, 8 or 16 MiB`);
  const freq = opts.flashFreqMHz ?? 40;
  const freqNibble = Object.entries(FLASH_FREQS).find(([, mhz]) => mhz === freq)?.[0];
  if (freqNibble === undefined) bad(`flash frequency ${freq} MHz is not 20, 26, 40 or 80`);
  if (opts.segments.length === 0 || opts.segments.length > ESP_IMAGE_MAX_SEGMENTS) bad(`${opts.segments.length} segments (1..${ESP_IMAGE_MAX_SEGMENTS} allowed)`);
  const minRev = opts.minChipRevFull ?? 0;
  const maxRev = opts.maxChipRevFull ?? 0xffff;
  if (!Number.isInteger(minRev) || !Number.isInteger(maxRev) || minRev < 0 || maxRev > 0xffff || minRev > maxRev) bad(`chip revision range ${minRev}..${maxRev} is not a u16 range`);
  const u32ok = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
  if (!u32ok(opts.entry)) bad(`entry ${opts.entry} is not a 32-bit address`);

  const segments = opts.segments.map((s, i) => {
    if (!u32ok(s.address) || s.address % 4 !== 0) bad(`segment ${i}: load address ${hex(s.address)} is not a word-aligned 32-bit address`);
    if (s.data.length === 0) bad(`segment ${i} at ${hex(s.address)} is empty`);
    const padded = new Uint8Array(Math.ceil(s.data.length / 4) * 4);
    padded.set(s.data);
    return { address: s.address, data: padded };
  });
  const digest = opts.appendDigest ?? true;
  const body = HEADER + EXTENDED + segments.reduce((n, s) => n + SEGMENT_HEADER + s.data.length, 0);
  const withChecksum = (Math.floor(body / 16) + 1) * 16; // padding, then the checksum as the block's last byte
  const out = new Uint8Array(withChecksum + (digest ? 32 : 0));
  const dv = new DataView(out.buffer);
  out[0] = ESP_IMAGE_MAGIC;
  out[1] = segments.length;
  out[2] = mode;
  out[3] = (sizeNibble << 4) | Number(freqNibble);
  dv.setUint32(4, opts.entry, true);
  out[8] = WP_PIN_DISABLED;
  // 9..11: SPI pin drive settings, 0 = the ROM's defaults
  dv.setUint16(12, ESP_CHIP_ID[opts.chip], true);
  out[14] = 0; // legacy min revision (deprecated)
  dv.setUint16(15, minRev, true);
  dv.setUint16(17, maxRev, true);
  // 19..22 reserved
  out[23] = digest ? 1 : 0;
  let p = HEADER + EXTENDED;
  for (const s of segments) {
    dv.setUint32(p, s.address, true);
    dv.setUint32(p + 4, s.data.length, true);
    out.set(s.data, p + SEGMENT_HEADER);
    p += SEGMENT_HEADER + s.data.length;
  }
  out[withChecksum - 1] = checksumOf(segments);
  if (digest) out.set(createHash("sha256").update(out.subarray(0, withChecksum)).digest(), withChecksum);
  return out;
}

export interface ParseOptions {
  /** Refuse an image for another chip (WRONG_CHIP). */
  chip?: EspChip;
  /**
   * The bytes may continue past the image (a flash dump, a padded flash file):
   * anything after it must then be erased flash (0xFF). Default: the bytes are
   * exactly the image.
   */
  allowTrailingErased?: boolean;
  /** Names the bytes in error messages. */
  what?: string;
}

/** Parses and verifies an image; every error names the field and offset. */
export function parseEspImage(bytes: Uint8Array, opts: ParseOptions = {}): ParsedEspImage {
  const what = opts.what ?? "image";
  function fail(code: EspImageErrorCode, m: string): never {
    throw new EspImageError(code, `${what}: ${m}`);
  }
  if (bytes.length < HEADER + EXTENDED) fail("TRUNCATED", `${bytes.length} bytes is shorter than the 24-byte header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== ESP_IMAGE_MAGIC) fail("BAD_MAGIC", `byte 0 is ${hex(bytes[0])}, not the image magic 0xe9`);
  const count = bytes[1];
  if (count === 0 || count > ESP_IMAGE_MAX_SEGMENTS) fail("BAD_SEGMENT_COUNT", `segment count ${count} is outside 1..${ESP_IMAGE_MAX_SEGMENTS}`);
  const flashMode = FLASH_MODES[bytes[2]];
  if (flashMode === undefined) fail("BAD_FLASH_MODE", `flash mode byte ${bytes[2]} is not 0-3 (QIO, QOUT, DIO, DOUT)`);
  const sizeMiB = FLASH_SIZES_MIB[bytes[3] >> 4];
  if (sizeMiB === undefined) fail("BAD_FLASH_SIZE", `flash size nibble ${bytes[3] >> 4} is not 0-4 (1-16 MiB)`);
  const flashFreqMHz = FLASH_FREQS[bytes[3] & 0xf];
  if (flashFreqMHz === undefined) fail("BAD_FLASH_FREQ", `flash frequency nibble ${hex(bytes[3] & 0xf)} is not 0, 1, 2 or 0xf`);
  const entry = dv.getUint32(4, true);
  const chipId = dv.getUint16(12, true);
  const chip = chipOfId(chipId);
  if (chip === undefined) fail("UNKNOWN_CHIP", `chip id ${hex(chipId)} is not an ESP32 (0x0) or ESP32-C3 (0x5) image`);
  if (opts.chip !== undefined && chip !== opts.chip) fail("WRONG_CHIP", `the image is for ${chip} (chip id ${hex(chipId)}), not ${opts.chip}`);
  const minChipRevFull = dv.getUint16(15, true);
  const maxChipRevFull = dv.getUint16(17, true);
  if (minChipRevFull > maxChipRevFull) fail("BAD_REVISION", `min chip revision ${minChipRevFull} is above the max ${maxChipRevFull}`);
  for (let i = 19; i < 23; i++) if (bytes[i] !== 0) fail("BAD_RESERVED", `reserved header byte ${i} is ${hex(bytes[i])}, not 0`);
  const flag = bytes[23];
  if (flag > 1) fail("BAD_HASH_FLAG", `hash-appended flag is ${flag}, not 0 or 1`);

  const segments: EspImageSegment[] = [];
  let p = HEADER + EXTENDED;
  for (let i = 0; i < count; i++) {
    if (bytes.length - p < SEGMENT_HEADER) fail("TRUNCATED", `segment ${i} header at offset ${p} runs past the end (${bytes.length} bytes)`);
    const address = dv.getUint32(p, true);
    const len = dv.getUint32(p + 4, true);
    if (len === 0 || len % 4 !== 0) fail("BAD_SEGMENT", `segment ${i} (offset ${p}, load address ${hex(address)}) has length ${len}, not a positive multiple of 4`);
    if (address % 4 !== 0) fail("BAD_SEGMENT", `segment ${i} (offset ${p}) load address ${hex(address)} is not word-aligned`);
    if (len > bytes.length - p - SEGMENT_HEADER) fail("TRUNCATED", `segment ${i} (offset ${p}, ${len} bytes at ${hex(address)}) runs past the end (${bytes.length} bytes)`);
    if (address + len > 0x100000000) fail("BAD_SEGMENT", `segment ${i} [${hex(address)}, +${len}) wraps the address space`);
    for (const s of segments) {
      if (address < s.address + s.data.length && s.address < address + len) fail("BAD_SEGMENT", `segment ${i} [${hex(address)}, +${len}) overlaps the segment at ${hex(s.address)}`);
    }
    segments.push({ address, data: bytes.slice(p + SEGMENT_HEADER, p + SEGMENT_HEADER + len) });
    p += SEGMENT_HEADER + len;
  }
  if (!segments.some((s) => entry >= s.address && entry < s.address + s.data.length)) {
    fail("BAD_ENTRY", `entry ${hex(entry)} is in no segment`);
  }
  const withChecksum = (Math.floor(p / 16) + 1) * 16;
  if (bytes.length < withChecksum) fail("TRUNCATED", `the checksum byte at offset ${withChecksum - 1} is past the end (${bytes.length} bytes)`);
  for (let i = p; i < withChecksum - 1; i++) if (bytes[i] !== 0) fail("BAD_PADDING", `padding byte at offset ${i} is ${hex(bytes[i])}, not 0`);
  const checksum = bytes[withChecksum - 1];
  const want = checksumOf(segments);
  if (checksum !== want) fail("BAD_CHECKSUM", `checksum byte at offset ${withChecksum - 1} is ${hex(checksum)}, the segments give ${hex(want)}`);
  let length = withChecksum;
  let digest: Uint8Array | null = null;
  if (flag === 1) {
    if (bytes.length < withChecksum + 32) fail("TRUNCATED", `the SHA-256 digest at offset ${withChecksum} is cut short (${bytes.length} bytes)`);
    digest = bytes.slice(withChecksum, withChecksum + 32);
    const actual = createHash("sha256").update(bytes.subarray(0, withChecksum)).digest();
    if (!actual.equals(Buffer.from(digest))) fail("BAD_DIGEST", `appended SHA-256 ${Buffer.from(digest).toString("hex")} does not match the image's ${actual.toString("hex")}`);
    length += 32;
  }
  if (length < bytes.length) {
    const tail = bytes.subarray(length);
    const nonErased = opts.allowTrailingErased ? tail.findIndex((b) => b !== 0xff) : 0;
    if (nonErased >= 0) fail("TRAILING_BYTES", `${bytes.length - length} bytes follow the image's end at offset ${length}${opts.allowTrailingErased ? ` (offset ${length + nonErased} is not erased flash)` : ""}`);
  }
  return {
    chip,
    chipId,
    entry,
    flashMode,
    flashSizeBytes: sizeMiB * 1024 * 1024,
    flashFreqMHz,
    wpPin: bytes[8],
    spiPinDrive: [bytes[9], bytes[10], bytes[11]],
    minChipRev: bytes[14],
    minChipRevFull,
    maxChipRevFull,
    segments,
    checksum,
    digest,
    length,
  };
}
