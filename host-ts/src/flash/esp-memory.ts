/**
 * The memory maps of the two chips the bare-metal ports boot on, as far as a
 * ROM-loaded RAM image cares: which address windows reach internal SRAM (and
 * through which bus), how windows alias the same SRAM, and which SRAM the
 * ROM keeps for itself. Sources: the ESP32 and ESP32-C3 Technical Reference
 * Manuals ("System and Memory"), ESP-IDF's linker scripts
 * (components/esp_system/ld/<chip>/memory.ld.in) and Espressif's memory
 * layout headers for ROM-loaded bootloaders (the "ROM static data usage"
 * tables). `checkPlacements` is what the build and the tests use to prove an
 * image's sections fit: inside a RAM window, on the right bus, clear of the
 * ROM's memory, and not aliasing each other.
 */

export type EspChip = "esp32" | "esp32c3";

export interface MemoryWindow {
  name: string;
  /** [start, end) in the CPU's address space. */
  start: number;
  end: number;
  bus: "instruction" | "data";
  kind: "sram" | "rom" | "flash" | "rtc";
  /** The physical memory behind the window, and where the window starts in it. */
  bank: string;
  bankOffset: number;
  /** ESP32 SRAM1 on the instruction bus: addresses run backwards through the bank (TRM). */
  reversed?: boolean;
}

export interface ReservedRange {
  /** [start, end) on the data bus. */
  start: number;
  end: number;
  why: string;
  /**
   * Only the ROM's boot code or ROM functions use it: a placement the ROM does
   * not load (zero-filled by the image after the ROM has jumped to it) may lie
   * here, because the ports call no ROM function (firmware/ports/<chip>/main.c).
   * Without it, nothing of an image may be there.
   */
  freeAfterBoot?: true;
}

export interface ChipMemoryMap {
  chip: EspChip;
  windows: readonly MemoryWindow[];
  /** SRAM the ROM uses while it loads an image or that its functions use (see ReservedRange.freeAfterBoot). */
  reserved: readonly ReservedRange[];
}

const C3_SRAM1_D = 0x3fc80000;
const C3_SRAM1_I = 0x40380000;

export const ESP_MEMORY: Readonly<Record<EspChip, ChipMemoryMap>> = {
  esp32c3: {
    chip: "esp32c3",
    windows: [
      { name: "ROM (instruction)", start: 0x40000000, end: 0x40060000, bus: "instruction", kind: "rom", bank: "rom", bankOffset: 0 },
      { name: "ROM (data)", start: 0x3ff00000, end: 0x3ff20000, bus: "data", kind: "rom", bank: "rom", bankOffset: 0x40000 },
      { name: "SRAM0 (the instruction cache)", start: 0x4037c000, end: 0x40380000, bus: "instruction", kind: "sram", bank: "sram0-cache", bankOffset: 0 },
      { name: "SRAM1 IRAM", start: C3_SRAM1_I, end: 0x403e0000, bus: "instruction", kind: "sram", bank: "sram1", bankOffset: 0 },
      { name: "SRAM1 DRAM", start: C3_SRAM1_D, end: 0x3fce0000, bus: "data", kind: "sram", bank: "sram1", bankOffset: 0 },
      { name: "flash through the cache (instruction)", start: 0x42000000, end: 0x42800000, bus: "instruction", kind: "flash", bank: "flash-i", bankOffset: 0 },
      { name: "flash through the cache (data)", start: 0x3c000000, end: 0x3c800000, bus: "data", kind: "flash", bank: "flash-d", bankOffset: 0 },
      { name: "RTC FAST memory", start: 0x50000000, end: 0x50002000, bus: "data", kind: "rtc", bank: "rtc-fast", bankOffset: 0 },
    ],
    reserved: [
      { start: 0x3fcdc710, end: 0x3fcde710, why: "the ROM's stack (it runs on it while it loads the image)" },
      { start: 0x3fcde710, end: 0x3fce0000, why: "the ROM's .bss and .data" },
    ],
  },
  esp32: {
    chip: "esp32",
    windows: [
      { name: "ROM0 (instruction)", start: 0x40000000, end: 0x40060000, bus: "instruction", kind: "rom", bank: "rom0", bankOffset: 0 },
      { name: "ROM1 (data)", start: 0x3ff90000, end: 0x3ffa0000, bus: "data", kind: "rom", bank: "rom1", bankOffset: 0 },
      { name: "SRAM0 (first 64 KiB: the CPUs' flash caches)", start: 0x40070000, end: 0x40080000, bus: "instruction", kind: "sram", bank: "sram0-cache", bankOffset: 0 },
      { name: "SRAM0 IRAM", start: 0x40080000, end: 0x400a0000, bus: "instruction", kind: "sram", bank: "sram0", bankOffset: 0 },
      { name: "SRAM1 IRAM", start: 0x400a0000, end: 0x400c0000, bus: "instruction", kind: "sram", bank: "sram1", bankOffset: 0, reversed: true },
      { name: "SRAM1 DRAM", start: 0x3ffe0000, end: 0x40000000, bus: "data", kind: "sram", bank: "sram1", bankOffset: 0 },
      { name: "SRAM2 DRAM", start: 0x3ffae000, end: 0x3ffe0000, bus: "data", kind: "sram", bank: "sram2", bankOffset: 0 },
      { name: "flash through the cache (instruction)", start: 0x400c2000, end: 0x40c00000, bus: "instruction", kind: "flash", bank: "flash-i", bankOffset: 0 },
      { name: "flash through the cache (data)", start: 0x3f400000, end: 0x3f800000, bus: "data", kind: "flash", bank: "flash-d", bankOffset: 0 },
      { name: "RTC FAST memory", start: 0x3ff80000, end: 0x3ff82000, bus: "data", kind: "rtc", bank: "rtc-fast", bankOffset: 0 },
    ],
    reserved: [
      { start: 0x3ffae000, end: 0x3ffb0000, why: "data of ROM functions", freeAfterBoot: true },
      // ESP-IDF's dram0_0_seg ends here "due to static ROM memory usage" and its heap takes the range at run time.
      { start: 0x3ffdc200, end: 0x3ffe0000, why: "static ROM memory use (where ESP-IDF's dram0_0_seg ends)", freeAfterBoot: true },
      { start: 0x3ffe0000, end: 0x3ffe8000, why: "the ROM's data and the stacks of both CPUs (the ROM runs on its stack there while it loads the image)" },
    ],
  },
};

/** The SRAM byte range [start, end) in its bank behind [addr, addr + size) of a window. */
function physical(w: MemoryWindow, addr: number, size: number): { bank: string; start: number; end: number } {
  const o = addr - w.start;
  if (!w.reversed) return { bank: w.bank, start: w.bankOffset + o, end: w.bankOffset + o + size };
  const len = w.end - w.start;
  return { bank: w.bank, start: w.bankOffset + len - (o + size), end: w.bankOffset + len - o };
}

export function windowOf(chip: EspChip, addr: number, size: number): MemoryWindow | undefined {
  return ESP_MEMORY[chip].windows.find((w) => addr >= w.start && size <= w.end - addr);
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

export interface Placement {
  name: string;
  start: number;
  size: number;
  /** Code: must be on the instruction bus. */
  executable: boolean;
  /** Copied by the ROM (a segment of the image), as opposed to zero-filled or stack at run time. */
  loaded: boolean;
}

/**
 * Problems with where an image puts things, one line each; empty when it fits.
 * Rules: every placement lies in one internal-SRAM window of the right bus
 * (code on the instruction bus, everything else on the data bus: the
 * instruction bus reads only whole words), outside the flash caches' SRAM,
 * clear of every ROM-reserved range (a zero-filled placement may use a range
 * that is free after boot), and no two placements share SRAM through aliased
 * windows.
 */
export function checkPlacements(chip: EspChip, placements: readonly Placement[]): string[] {
  const map = ESP_MEMORY[chip];
  const problems: string[] = [];
  const used: { name: string; bank: string; start: number; end: number }[] = [];
  for (const p of placements) {
    if (p.size === 0) continue;
    const at = `${p.name} [${hex(p.start)}, ${hex(p.start + p.size)})`;
    const w = windowOf(chip, p.start, p.size);
    if (!w) {
      problems.push(`${at} is not inside one memory window of the ${chip}`);
      continue;
    }
    if (w.kind !== "sram" || w.bank.endsWith("-cache")) {
      problems.push(`${at} is in ${w.name}, not in internal SRAM a ROM-loaded image can use`);
      continue;
    }
    const wantBus = p.executable ? "instruction" : "data";
    if (w.bus !== wantBus) problems.push(`${at} is on the ${w.bus} bus (${w.name}) but ${p.executable ? "code" : "data"} belongs on the ${wantBus} bus`);
    const phys = physical(w, p.start, p.size);
    for (const r of map.reserved) {
      const rw = windowOf(chip, r.start, r.end - r.start);
      if (!rw) continue;
      const rp = physical(rw, r.start, r.end - r.start);
      if (r.freeAfterBoot && !p.loaded) continue;
      if (rp.bank === phys.bank && phys.start < rp.end && rp.start < phys.end) {
        problems.push(`${at} overlaps ${hex(r.start)}-${hex(r.end)}, ${r.why}`);
      }
    }
    for (const u of used) {
      if (u.bank === phys.bank && phys.start < u.end && u.start < phys.end) problems.push(`${at} shares SRAM with ${u.name} (aliased windows)`);
    }
    used.push({ name: p.name, ...phys });
  }
  return problems;
}
