/**
 * From a bare-metal port's ELF file to the flashable image the chip's ROM
 * loader boots: the ELF's sections are checked against the chip's memory map
 * (esp-memory.ts), its loadable segments become the image's segments, and the
 * image is parsed back before anyone may flash it.
 */
import { EM_RISCV, EM_XTENSA, SHF_EXECINSTR, readElf32, type Elf32 } from "./elf.ts";
import { type EspChip, type Placement, checkPlacements } from "./esp-memory.ts";
import { type ParsedEspImage, ROM_BOOT_OFFSET, parseEspImage, writeEspImage } from "./esp-image.ts";

export class FirmwareImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FirmwareImageError";
  }
}

const MACHINE: Readonly<Record<EspChip, { id: number; name: string }>> = {
  esp32: { id: EM_XTENSA, name: "Xtensa" },
  esp32c3: { id: EM_RISCV, name: "RISC-V" },
};

export interface FirmwareImage {
  chip: EspChip;
  /** Flash offset the ROM loader boots it from. */
  offset: number;
  image: Uint8Array;
  parsed: ParsedEspImage;
  placements: Placement[];
  elf: Elf32;
}

/** Every allocated section of the ELF as a placement in the chip's memory. */
export function placementsOf(elf: Elf32): Placement[] {
  return elf.sections
    .filter((s) => s.alloc && s.size > 0)
    .map((s) => ({ name: s.name, start: s.addr, size: s.size, executable: (s.flags & SHF_EXECINSTR) !== 0, loaded: s.loaded }));
}

/** Builds and verifies the ROM-loaded image of a port's ELF file. */
export function firmwareImageFromElf(elfBytes: Uint8Array, chip: EspChip, what = "firmware ELF", opts: { flashSizeBytes?: number } = {}): FirmwareImage {
  const elf = readElf32(elfBytes, what);
  if (elf.machine !== MACHINE[chip].id) throw new FirmwareImageError(`${what}: e_machine ${elf.machine} is not ${MACHINE[chip].name} (${MACHINE[chip].id}), so it is not an ${chip} build`);
  const placements = placementsOf(elf);
  const problems = checkPlacements(chip, placements);
  if (problems.length) throw new FirmwareImageError(`${what} does not fit the ${chip} memory map:\n  ${problems.join("\n  ")}`);
  const segments = elf.segments
    .filter((s) => s.data.length > 0)
    .sort((a, b) => a.vaddr - b.vaddr)
    .map((s) => {
      if (s.paddr !== s.vaddr) throw new FirmwareImageError(`${what}: a segment loads at 0x${s.paddr.toString(16)} but runs at 0x${s.vaddr.toString(16)}; the ROM copies segments to where they run`);
      return { address: s.vaddr, data: s.data };
    });
  const image = writeEspImage({ chip, entry: elf.entry, segments, flashSizeBytes: opts.flashSizeBytes });
  const parsed = parseEspImage(image, { chip, what: `image of ${what}` });
  return { chip, offset: ROM_BOOT_OFFSET[chip], image, parsed, placements, elf };
}
