/**
 * The esptool-format image writer and its strict parser (host-ts/src/flash/
 * esp-image.ts): the parser reads back what the writer wrote, the bytes sit
 * where Espressif's format description puts them, and every kind of damage
 * is refused with its own code.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ESP_CHIP_ID,
  EspImageError,
  type EspImageErrorCode,
  type EspImageOptions,
  type FlashMode,
  ROM_BOOT_OFFSET,
  parseEspImage,
  writeEspImage,
} from "../src/flash/esp-image.ts";
import type { EspChip } from "../src/flash/esp-memory.ts";

function expectCode(fn: () => unknown, code: EspImageErrorCode, pattern?: RegExp): EspImageError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected EspImageError ${code}`).toBeInstanceOf(EspImageError);
  const e = caught as EspImageError;
  expect(e.code).toBe(code);
  expect(e.message).not.toMatch(/\n/);
  if (pattern) expect(e.message).toMatch(pattern);
  return e;
}

const sample = (over: Partial<EspImageOptions> = {}): EspImageOptions => ({
  chip: "esp32c3",
  entry: 0x40380000,
  segments: [
    { address: 0x3fca0000, data: Uint8Array.from({ length: 37 }, (_, i) => (i * 7 + 1) & 0xff) },
    { address: 0x40380000, data: Uint8Array.from({ length: 64 }, (_, i) => (i * 13 + 5) & 0xff) },
  ],
  ...over,
});

/** Rewrites the checksum (and digest) after a deliberate change, so that only the change itself is wrong. */
function reseal(img: Uint8Array, segmentsEnd: number, digest: boolean): void {
  const ck = (Math.floor(segmentsEnd / 16) + 1) * 16 - 1;
  let x = 0xef;
  let p = 24;
  for (let i = 0; i < img[1]; i++) {
    const len = img[p + 4] | (img[p + 5] << 8) | (img[p + 6] << 16) | (img[p + 7] << 24);
    for (let j = 0; j < len; j++) x ^= img[p + 8 + j];
    p += 8 + len;
  }
  img[ck] = x;
  if (digest) img.set(createHash("sha256").update(img.subarray(0, ck + 1)).digest(), ck + 1);
}

describe("esptool-format image: layout", () => {
  it("puts every field where the format description says", () => {
    const img = writeEspImage(sample());
    expect(img[0]).toBe(0xe9);
    expect(img[1]).toBe(2); // segments
    expect(img[2]).toBe(2); // DIO
    expect(img[3]).toBe(0x20); // 4 MiB, 40 MHz
    expect(Buffer.from(img.subarray(4, 8)).readUInt32LE()).toBe(0x40380000);
    expect(img[8]).toBe(0xee); // WP pin: not via eFuse
    expect([...img.subarray(9, 12)]).toEqual([0, 0, 0]);
    expect(Buffer.from(img.subarray(12, 14)).readUInt16LE()).toBe(5); // ESP32-C3
    expect(img[14]).toBe(0);
    expect(Buffer.from(img.subarray(15, 17)).readUInt16LE()).toBe(0);
    expect(Buffer.from(img.subarray(17, 19)).readUInt16LE()).toBe(0xffff);
    expect([...img.subarray(19, 23)]).toEqual([0, 0, 0, 0]);
    expect(img[23]).toBe(1); // digest appended
    // first segment: address, length padded to 40, data then zeros
    expect(Buffer.from(img.subarray(24, 28)).readUInt32LE()).toBe(0x3fca0000);
    expect(Buffer.from(img.subarray(28, 32)).readUInt32LE()).toBe(40);
    expect([...img.subarray(32 + 37, 32 + 40)]).toEqual([0, 0, 0]);
    const second = 32 + 40;
    expect(Buffer.from(img.subarray(second, second + 4)).readUInt32LE()).toBe(0x40380000);
    const end = second + 8 + 64; // 144: the checksum ends the next 16-byte block
    const ck = (Math.floor(end / 16) + 1) * 16 - 1;
    expect(img.length).toBe(ck + 1 + 32);
    expect((ck + 1) % 16).toBe(0);
    let x = 0xef;
    for (const s of sample().segments) for (const b of s.data) x ^= b;
    expect(img[ck]).toBe(x);
    expect([...img.subarray(end, ck)].every((b) => b === 0)).toBe(true);
    expect(Buffer.from(img.subarray(ck + 1)).equals(createHash("sha256").update(img.subarray(0, ck + 1)).digest())).toBe(true);
  });

  it("without a digest the image ends at its checksum; ESP32 ids and boot offsets", () => {
    const img = writeEspImage(sample({ chip: "esp32", appendDigest: false, flashMode: "qio", flashSizeBytes: 16 << 20, flashFreqMHz: 80 }));
    expect(img.length % 16).toBe(0);
    expect(img[23]).toBe(0);
    expect(img[2]).toBe(0);
    expect(img[3]).toBe(0x4f);
    expect(Buffer.from(img.subarray(12, 14)).readUInt16LE()).toBe(0);
    const p = parseEspImage(img, { chip: "esp32" });
    expect(p).toMatchObject({ chip: "esp32", flashMode: "qio", flashSizeBytes: 16 << 20, flashFreqMHz: 80, digest: null, length: img.length });
    expect(ESP_CHIP_ID).toEqual({ esp32: 0, esp32c3: 5 });
    expect(ROM_BOOT_OFFSET).toEqual({ esp32: 0x1000, esp32c3: 0 });
  });

  it("parses back what it wrote, for any segments and header fields (property)", () => {
    const segmentsArb = fc
      .array(fc.tuple(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 64 })), { minLength: 1, maxLength: 16 })
      .chain((shapes) => fc.tuple(fc.constant(shapes), fc.array(fc.uint8Array({ minLength: 600, maxLength: 600 }), { minLength: shapes.length, maxLength: shapes.length })));
    fc.assert(
      fc.property(
        segmentsArb,
        fc.constantFrom<EspChip>("esp32", "esp32c3"),
        fc.constantFrom<FlashMode>("qio", "qout", "dio", "dout"),
        fc.constantFrom(1, 2, 4, 8, 16),
        fc.constantFrom<20 | 26 | 40 | 80>(20, 26, 40, 80),
        fc.boolean(),
        fc.integer({ min: 0, max: 0xffff }),
        ([shapes, datas], chip, flashMode, mib, flashFreqMHz, appendDigest, rev) => {
          let at = 0x3ffb0000;
          const segments = shapes.map(([len, gapWords], i) => {
            const s = { address: at, data: datas[i].slice(0, len) };
            at += Math.ceil(len / 4) * 4 + gapWords * 4;
            return s;
          });
          const entry = segments[segments.length - 1].address;
          const img = writeEspImage({ chip, entry, segments, flashMode, flashSizeBytes: mib << 20, flashFreqMHz, appendDigest, minChipRevFull: rev, maxChipRevFull: 0xffff });
          const p = parseEspImage(img, { chip });
          expect(p.chip).toBe(chip);
          expect(p.entry).toBe(entry);
          expect(p.flashMode).toBe(flashMode);
          expect(p.flashSizeBytes).toBe(mib << 20);
          expect(p.flashFreqMHz).toBe(flashFreqMHz);
          expect(p.minChipRevFull).toBe(rev);
          expect(p.digest !== null).toBe(appendDigest);
          expect(p.length).toBe(img.length);
          expect(p.segments.map((s) => s.address)).toEqual(segments.map((s) => s.address));
          for (const [i, s] of segments.entries()) {
            expect(p.segments[i].data.length % 4).toBe(0);
            expect(Buffer.from(p.segments[i].data.subarray(0, s.data.length)).equals(Buffer.from(s.data))).toBe(true);
            expect(p.segments[i].data.subarray(s.data.length).every((b) => b === 0)).toBe(true);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a flash file may hold erased flash after the image, if the caller says so", () => {
    const img = writeEspImage(sample());
    const padded = new Uint8Array(img.length + 4096).fill(0xff);
    padded.set(img);
    expect(parseEspImage(padded, { allowTrailingErased: true }).length).toBe(img.length);
    expectCode(() => parseEspImage(padded), "TRAILING_BYTES", /4096 bytes follow the image's end/);
    padded[img.length + 100] = 0;
    expectCode(() => parseEspImage(padded, { allowTrailingErased: true }), "TRAILING_BYTES", /is not erased flash/);
  });
});

describe("esptool-format image: damage is refused with a clear error", () => {
  const good = writeEspImage(sample());
  // header 24 | seg 0: header 24..31, data 32..71 | seg 1: header 72..79, data 80..143 | padding 144..158 | checksum 159 | digest 160..191
  const segmentsEnd = 144;

  it.each<[string, EspImageErrorCode, (b: Uint8Array) => void, "none" | "checksum", RegExp]>([
    ["magic", "BAD_MAGIC", (b) => (b[0] = 0xea), "none", /byte 0 is 0xea, not the image magic 0xe9/],
    ["no segments", "BAD_SEGMENT_COUNT", (b) => (b[1] = 0), "none", /segment count 0/],
    ["17 segments", "BAD_SEGMENT_COUNT", (b) => (b[1] = 17), "none", /segment count 17/],
    ["flash mode", "BAD_FLASH_MODE", (b) => (b[2] = 4), "none", /flash mode byte 4/],
    ["flash size", "BAD_FLASH_SIZE", (b) => (b[3] = 0x50), "none", /flash size nibble 5/],
    ["flash frequency", "BAD_FLASH_FREQ", (b) => (b[3] = 0x23), "none", /flash frequency nibble 0x3/],
    ["chip id", "UNKNOWN_CHIP", (b) => (b[12] = 9), "none", /chip id 0x9 is not/],
    ["revision range", "BAD_REVISION", (b) => b.set([0xff, 0xff, 1, 0], 15), "none", /min chip revision 65535 is above the max 1/],
    ["reserved byte", "BAD_RESERVED", (b) => (b[21] = 1), "none", /reserved header byte 21/],
    ["hash flag", "BAD_HASH_FLAG", (b) => (b[23] = 2), "none", /hash-appended flag is 2/],
    ["odd segment length", "BAD_SEGMENT", (b) => (b[28] = 39), "none", /length 39, not a positive multiple of 4/],
    ["segment past the end", "TRUNCATED", (b) => (b[30] = 1), "none", /runs past the end/],
    ["unaligned segment address", "BAD_SEGMENT", (b) => (b[24] = 2), "none", /is not word-aligned/],
    ["overlapping segments", "BAD_SEGMENT", (b) => b.set([0x10, 0, 0xca, 0x3f], 72), "none", /overlaps the segment at 0x3fca0000/],
    ["entry outside every segment", "BAD_ENTRY", (b) => (b[7] = 0x41), "none", /entry 0x41380000 is in no segment/],
    ["segment data", "BAD_CHECKSUM", (b) => (b[40] ^= 0x80), "none", /checksum byte at offset 159 is 0x[0-9a-f]+, the segments give 0x/],
    ["padding", "BAD_PADDING", (b) => (b[150] = 1), "none", /padding byte at offset 150/],
    ["checksum", "BAD_CHECKSUM", (b) => (b[159] ^= 1), "none", /checksum byte at offset 159/],
    ["an unchecked header field, under the digest", "BAD_DIGEST", (b) => (b[9] = 3), "none", /does not match the image's/],
    ["segment data with the checksum made right", "BAD_DIGEST", (b) => (b[40] ^= 0x80), "checksum", /appended SHA-256 [0-9a-f]{64} does not match/],
    ["digest", "BAD_DIGEST", (b) => (b[170] ^= 1), "none", /appended SHA-256/],
    ["trailing byte", "TRAILING_BYTES", (b) => void b, "none", /1 bytes follow the image's end at offset 192/],
  ])("%s -> %s", (what, code, f, seal, pattern) => {
    const b = new Uint8Array(good.length + (what === "trailing byte" ? 1 : 0));
    b.set(good);
    f(b);
    if (seal === "checksum") reseal(b, segmentsEnd, false);
    expectCode(() => parseEspImage(b), code, pattern);
  });

  it("names the image in the message", () => {
    expectCode(() => parseEspImage(good.subarray(0, 10), { what: "build/firmware/esp32/mhr.bin" }), "TRUNCATED", /^build\/firmware\/esp32\/mhr\.bin: 10 bytes is shorter than the 24-byte header$/);
  });

  it("an image for the other chip is WRONG_CHIP", () => {
    expectCode(() => parseEspImage(good, { chip: "esp32" }), "WRONG_CHIP", /the image is for esp32c3 \(chip id 0x5\), not esp32/);
  });

  it("every proper prefix is refused (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: good.length - 1 }), (n) => {
      expect(() => parseEspImage(good.subarray(0, n))).toThrow(EspImageError);
    }));
  });

  it("any single damaged byte is refused: the digest covers what the fields do not (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const b = Uint8Array.from(good);
      b[at] ^= x;
      expect(() => parseEspImage(b)).toThrow(EspImageError);
    }), { numRuns: 400 });
  });

  it("the writer refuses options the format cannot carry", () => {
    expectCode(() => writeEspImage(sample({ segments: [] })), "BAD_OPTIONS", /0 segments/);
    expectCode(() => writeEspImage(sample({ flashSizeBytes: 3 << 20 })), "BAD_OPTIONS", /not 1, 2, 4, 8 or 16 MiB/);
    expectCode(() => writeEspImage(sample({ segments: [{ address: 0x3fca0002, data: new Uint8Array(4) }] })), "BAD_OPTIONS", /not a word-aligned/);
    expectCode(() => writeEspImage(sample({ minChipRevFull: 5, maxChipRevFull: 4 })), "BAD_OPTIONS", /revision range/);
  });
});
