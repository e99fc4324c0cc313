/**
 * A strict reader of 32-bit little-endian ELF executables: the header, the
 * program headers (what a loader copies) and the section headers (what a
 * memory-map check looks at). Only what the firmware images need: the
 * bare-metal ports' ELF files are turned into esptool-format images from
 * their PT_LOAD segments, and their sections are checked against the chips'
 * memory maps. Anything malformed is an ElfError naming the field.
 */

export class ElfError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ElfError";
  }
}

export const PT_LOAD = 1;
export const SHT_NOBITS = 8;
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

/** e_machine values of the two ISAs the ports build for. */
export const EM_XTENSA = 94;
export const EM_RISCV = 243;

export interface ElfSegment {
  type: number;
  /** Where the segment runs. */
  vaddr: number;
  /** Where it is loaded (equal to vaddr in every image here). */
  paddr: number;
  /** The bytes in the file (filesz of them); memsz - filesz more are zero-filled. */
  data: Uint8Array;
  memsz: number;
  flags: number;
}

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  size: number;
  /** True when the section occupies memory at run time (SHF_ALLOC). */
  alloc: boolean;
  /** True when its bytes are in the file (not SHT_NOBITS): the loader must copy them. */
  loaded: boolean;
}

export interface Elf32 {
  machine: number;
  entry: number;
  segments: ElfSegment[];
  sections: ElfSection[];
}

function need(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ElfError(message);
}

/** Parses an ELF32 little-endian executable; `what` names it in errors. */
export function readElf32(bytes: Uint8Array, what = "ELF file"): Elf32 {
  need(bytes.length >= 52, `${what}: ${bytes.length} bytes is shorter than an ELF32 header (52)`);
  need(bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46, `${what}: not an ELF file (magic ${Buffer.from(bytes.subarray(0, 4)).toString("hex")})`);
  need(bytes[4] === 1, `${what}: EI_CLASS ${bytes[4]} is not ELFCLASS32`);
  need(bytes[5] === 1, `${what}: EI_DATA ${bytes[5]} is not little-endian`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number): number => dv.getUint16(at, true);
  const u32 = (at: number): number => dv.getUint32(at, true);
  need(u16(16) === 2, `${what}: e_type ${u16(16)} is not ET_EXEC`);
  const machine = u16(18);
  const entry = u32(24);
  const phoff = u32(28);
  const shoff = u32(32);
  const phentsize = u16(42);
  const phnum = u16(44);
  const shentsize = u16(46);
  const shnum = u16(48);
  const shstrndx = u16(50);
  const within = (off: number, len: number, field: string): void => {
    need(off <= bytes.length && len <= bytes.length - off, `${what}: ${field} [${off}, +${len}) lies outside the file (${bytes.length} bytes)`);
  };

  const segments: ElfSegment[] = [];
  if (phnum > 0) {
    need(phentsize >= 32, `${what}: e_phentsize ${phentsize} is below 32`);
    within(phoff, phnum * phentsize, "program header table");
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      const type = u32(at);
      const offset = u32(at + 4);
      const vaddr = u32(at + 8);
      const paddr = u32(at + 12);
      const filesz = u32(at + 16);
      const memsz = u32(at + 20);
      const flags = u32(at + 24);
      if (type !== PT_LOAD) continue;
      within(offset, filesz, `program header ${i} data`);
      need(memsz >= filesz, `${what}: program header ${i} has memsz ${memsz} < filesz ${filesz}`);
      segments.push({ type, vaddr, paddr, data: bytes.slice(offset, offset + filesz), memsz, flags });
    }
  }

  const sections: ElfSection[] = [];
  if (shnum > 0) {
    need(shentsize >= 40, `${what}: e_shentsize ${shentsize} is below 40`);
    within(shoff, shnum * shentsize, "section header table");
    need(shstrndx < shnum, `${what}: e_shstrndx ${shstrndx} is not a section (${shnum})`);
    const strAt = shoff + shstrndx * shentsize;
    const strOff = u32(strAt + 16);
    const strSize = u32(strAt + 20);
    within(strOff, strSize, "section name table");
    const nameAt = (n: number): string => {
      need(n < strSize, `${what}: section name offset ${n} is outside the name table`);
      let end = strOff + n;
      while (end < strOff + strSize && bytes[end] !== 0) end++;
      return Buffer.from(bytes.subarray(strOff + n, end)).toString("latin1");
    };
    for (let i = 1; i < shnum; i++) {
      const at = shoff + i * shentsize;
      const type = u32(at + 4);
      const flags = u32(at + 8);
      const size = u32(at + 20);
      sections.push({
        name: nameAt(u32(at)),
        type,
        flags,
        addr: u32(at + 12),
        size,
        alloc: (flags & SHF_ALLOC) !== 0,
        loaded: (flags & SHF_ALLOC) !== 0 && type !== SHT_NOBITS && size > 0,
      });
    }
  }
  return { machine, entry, segments, sections };
}
