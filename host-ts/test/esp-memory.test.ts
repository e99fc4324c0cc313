/**
 * The chips' memory maps and the placement rules (host-ts/src/flash/
 * esp-memory.ts), and the ELF32 reader (elf.ts) they are applied to.
 */
import { describe, expect, it } from "vitest";
import { ElfError, EM_RISCV, PT_LOAD, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS, readElf32 } from "../src/flash/elf.ts";
import { ESP_MEMORY, type Placement, checkPlacements, windowOf } from "../src/flash/esp-memory.ts";

const code = (name: string, start: number, size: number): Placement => ({ name, start, size, executable: true, loaded: true });
const data = (name: string, start: number, size: number, loaded = true): Placement => ({ name, start, size, executable: false, loaded });

describe("chip memory maps", () => {
  it("the windows of each chip do not overlap one another", () => {
    for (const map of Object.values(ESP_MEMORY)) {
      const w = [...map.windows].sort((a, b) => a.start - b.start);
      for (let i = 1; i < w.length; i++) expect(w[i].start, `${map.chip}: ${w[i - 1].name} / ${w[i].name}`).toBeGreaterThanOrEqual(w[i - 1].end);
      for (const r of map.reserved) expect(windowOf(map.chip, r.start, r.end - r.start)?.kind, `${map.chip} reserved ${r.why}`).toBe("sram");
    }
  });

  it("accepts the ports' plans", () => {
    expect(checkPlacements("esp32c3", [code(".text", 0x40380000, 0x15000), data(".rodata", 0x3fca0000, 0x1500), data(".bss", 0x3fca1500, 0x2b120, false), data(".stack", 0x3fccc620, 0x8000, false)])).toEqual([]);
    expect(checkPlacements("esp32", [code(".text", 0x40080000, 0x10320), data(".rodata", 0x3ffe8000, 0x140c), data(".bss", 0x3ffb0000, 0x2b120, false), data(".stack", 0x3ffe9410, 0x8000, false)])).toEqual([]);
  });

  it("refuses code on the data bus and data on the instruction bus", () => {
    expect(checkPlacements("esp32c3", [code(".text", 0x3fca0000, 16)])).toEqual([expect.stringMatching(/\.text \[0x3fca0000, 0x3fca0010\) is on the data bus \(SRAM1 DRAM\) but code belongs on the instruction bus/)]);
    expect(checkPlacements("esp32", [data(".rodata", 0x40080000, 16)])[0]).toMatch(/on the instruction bus .* but data belongs on the data bus/);
  });

  it("refuses the ROM's stack and data, on either window", () => {
    expect(checkPlacements("esp32c3", [data(".bss", 0x3fcd0000, 0xd000, false)])[0]).toMatch(/overlaps 0x3fcdc710-0x3fcde710, the ROM's stack/);
    // the same SRAM through the instruction bus (0x700000 higher)
    expect(checkPlacements("esp32c3", [code(".text", 0x403de800, 0x100)])[0]).toMatch(/overlaps 0x3fcde710-0x3fce0000, the ROM's .bss and .data/);
    expect(checkPlacements("esp32", [data(".stack", 0x3ffe7000, 0x2000, false)])[0]).toMatch(/overlaps 0x3ffe0000-0x3ffe8000, the ROM's data and the stacks/);
    expect(checkPlacements("esp32", [data(".data", 0x3ffb0000, 0x2c204)])[0]).toMatch(/overlaps 0x3ffdc200-0x3ffe0000, static ROM memory use/);
    expect(checkPlacements("esp32", [data(".data", 0x3ffaf000, 16)])[0]).toMatch(/data of ROM functions/);
    // Zero-filled after the ROM has jumped in, .bss may use what only the ROM's boot code and ROM functions use ...
    expect(checkPlacements("esp32", [data(".bss", 0x3ffae000, 0x32000, false)])).toEqual([]);
    // ... but never the ROM's own stacks and data, which it runs on while it loads the image.
    expect(checkPlacements("esp32", [data(".bss", 0x3ffe0000, 0x100, false)])[0]).toMatch(/overlaps 0x3ffe0000-0x3ffe8000, the ROM's data and the stacks/);
    // ESP32 SRAM1 on the instruction bus runs backwards: 0x400BFFF0.. is DRAM 0x3FFE0000..
    expect(checkPlacements("esp32", [code(".iram1", 0x400bfff0, 16)])[0]).toMatch(/overlaps 0x3ffe0000-0x3ffe8000/);
  });

  it("refuses aliased windows that share SRAM, the flash caches' SRAM, flash and unmapped addresses", () => {
    expect(checkPlacements("esp32c3", [code(".text", 0x40380000, 0x21000), data(".rodata", 0x3fca0000, 16)])).toEqual([expect.stringMatching(/\.rodata .* shares SRAM with \.text \(aliased windows\)/)]);
    expect(checkPlacements("esp32", [code(".text", 0x40078000, 16)])[0]).toMatch(/not in internal SRAM a ROM-loaded image can use/);
    expect(checkPlacements("esp32c3", [code(".text", 0x4037c000, 16)])[0]).toMatch(/is in SRAM0 \(the instruction cache\), not in internal SRAM/);
    expect(checkPlacements("esp32c3", [code(".flash.text", 0x42000020, 16)])[0]).toMatch(/is in flash through the cache \(instruction\), not in internal SRAM/);
    expect(checkPlacements("esp32c3", [data(".x", 0x20000000, 16)])[0]).toMatch(/is not inside one memory window of the esp32c3/);
    expect(checkPlacements("esp32c3", [data(".x", 0x3fcdfff0, 0x20)])[0]).toMatch(/is not inside one memory window/);
  });
});

/** A tiny ELF32 LE executable: one PT_LOAD, sections .text, .bss, .shstrtab. */
function tinyElf(): Uint8Array {
  const names = "\0.text\0.bss\0.shstrtab\0";
  const text = Uint8Array.from([0x13, 0, 0, 0, 0x6f, 0, 0, 0]);
  const phoff = 52;
  const textOff = phoff + 32;
  const strOff = textOff + text.length;
  const shoff = Math.ceil((strOff + names.length) / 4) * 4;
  const b = new Uint8Array(shoff + 4 * 40);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1]);
  dv.setUint16(16, 2, true);
  dv.setUint16(18, EM_RISCV, true);
  dv.setUint32(20, 1, true);
  dv.setUint32(24, 0x40380000, true);
  dv.setUint32(28, phoff, true);
  dv.setUint32(32, shoff, true);
  dv.setUint16(40, 52, true);
  dv.setUint16(42, 32, true);
  dv.setUint16(44, 1, true);
  dv.setUint16(46, 40, true);
  dv.setUint16(48, 4, true);
  dv.setUint16(50, 3, true);
  dv.setUint32(phoff, PT_LOAD, true);
  dv.setUint32(phoff + 4, textOff, true);
  dv.setUint32(phoff + 8, 0x40380000, true);
  dv.setUint32(phoff + 12, 0x40380000, true);
  dv.setUint32(phoff + 16, text.length, true);
  dv.setUint32(phoff + 20, text.length, true);
  dv.setUint32(phoff + 24, 5, true);
  b.set(text, textOff);
  b.set(new TextEncoder().encode(names), strOff);
  const sh = (i: number, name: number, type: number, flags: number, addr: number, off: number, size: number): void => {
    const at = shoff + i * 40;
    dv.setUint32(at, name, true);
    dv.setUint32(at + 4, type, true);
    dv.setUint32(at + 8, flags, true);
    dv.setUint32(at + 12, addr, true);
    dv.setUint32(at + 16, off, true);
    dv.setUint32(at + 20, size, true);
  };
  sh(1, 1, 1, SHF_ALLOC | SHF_EXECINSTR, 0x40380000, textOff, text.length);
  sh(2, 7, SHT_NOBITS, SHF_ALLOC | SHF_WRITE, 0x3fca0000, 0, 0x100);
  sh(3, 12, 3, 0, 0, strOff, names.length);
  return b;
}

describe("ELF32 reader", () => {
  it("reads the entry, PT_LOAD segments and sections", () => {
    const elf = readElf32(tinyElf());
    expect(elf.machine).toBe(EM_RISCV);
    expect(elf.entry).toBe(0x40380000);
    expect(elf.segments).toHaveLength(1);
    expect(elf.segments[0]).toMatchObject({ vaddr: 0x40380000, paddr: 0x40380000, memsz: 8 });
    expect([...elf.segments[0].data]).toEqual([0x13, 0, 0, 0, 0x6f, 0, 0, 0]);
    expect(elf.sections.map((s) => [s.name, s.alloc, s.loaded])).toEqual([[".text", true, true], [".bss", true, false], [".shstrtab", false, false]]);
  });

  it("refuses what is not a well-formed ELF32 LE executable, naming the field", () => {
    const bad = (f: (b: Uint8Array) => void): Uint8Array => {
      const b = tinyElf();
      f(b);
      return b;
    };
    expect(() => readElf32(new Uint8Array(10), "x.elf")).toThrow(/^x\.elf: 10 bytes is shorter than an ELF32 header/);
    expect(() => readElf32(bad((b) => (b[1] = 0)))).toThrow(/not an ELF file/);
    expect(() => readElf32(bad((b) => (b[4] = 2)))).toThrow(/is not ELFCLASS32/);
    expect(() => readElf32(bad((b) => (b[5] = 2)))).toThrow(/is not little-endian/);
    expect(() => readElf32(bad((b) => (b[16] = 3)))).toThrow(/is not ET_EXEC/);
    expect(() => readElf32(bad((b) => new DataView(b.buffer).setUint32(52 + 16, 1 << 20, true)))).toThrow(/program header 0 data .* lies outside the file/);
    expect(() => readElf32(bad((b) => new DataView(b.buffer).setUint32(32, 1 << 20, true)))).toThrow(ElfError);
    expect(() => readElf32(bad((b) => new DataView(b.buffer).setUint32(52 + 20, 4, true)))).toThrow(/memsz 4 < filesz 8/);
  });
});
