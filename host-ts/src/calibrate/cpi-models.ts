/**
 * Cycles-per-instruction models for the virtual boards.
 *
 * A virtual board gives exact *instruction* counts (QEMU with
 * `-icount shift=0`), not the cycles the chip it stands in for would spend.
 * Calibration turns instructions into time with one average CPI per target
 * core: time_us = instructions × CPI / clock_MHz. Every figure made this way
 * is an ESTIMATE and is labelled so in every output; a calibration on the
 * real board (port "esp-idf") measures CPU cycles and needs no model.
 *
 * How the CPIs below are built. Both cores are single-issue and in-order, so
 * an instruction costs one cycle plus the stalls it causes. The stalls come
 * from a per-class model applied to an instruction mix. The mix is that of
 * compiled integer C (the VM is AssemblyScript → WASM → wasm2c → C, so the
 * interpreter *and* its crypto are plain compiled C over 32-bit registers,
 * 64-bit values split into register pairs): about 45 % ALU (incl. compressed
 * moves), 25 % loads, 10 % stores, 15 % conditional branches, 5 % jumps,
 * calls and returns (the interpreter's `br_table` dispatch is an indirect
 * jump on every MHR-Byte instruction). The mix is an assumption, not a
 * measurement of this firmware: QEMU counts instructions but not their
 * classes. The range given with each model is where the true average most
 * plausibly falls; the calibration uses the point value and the proposed
 * table adds its margin (1.25 by default) on top.
 */

export interface CpiClass {
  name: string;
  /** Share of executed instructions in the assumed mix (sums to 1). */
  share: number;
  /** Average cycles of one instruction of this class, stalls included. */
  cycles: number;
  why: string;
}

export interface CpiModel {
  /** The board port this model applies to. */
  port: "qemu-rv32" | "qemu-lx106";
  /** The real core the virtual board stands in for. */
  target: string;
  /** How instructions are counted on the virtual board. */
  counter: "instret" | "virtual-time";
  /** Average cycles per instruction used for the estimates. */
  cpi: number;
  /** Plausible range of the true average. */
  range: [number, number];
  classes: CpiClass[];
  /** Extra cycles per instruction for instruction-cache misses (code in external flash). */
  cacheAllowance: number;
  reasoning: string[];
}

/** Σ share × cycles + the cache allowance, rounded to 0.01. */
export function cpiFromClasses(classes: readonly CpiClass[], cacheAllowance: number): number {
  const total = classes.reduce((s, c) => s + c.share * c.cycles, 0) + cacheAllowance;
  return Math.round(total * 100) / 100;
}

const ESP32C3_CLASSES: CpiClass[] = [
  { name: "ALU / compressed moves", share: 0.45, cycles: 1.0, why: "single-cycle in the 4-stage pipeline, results forwarded" },
  { name: "loads", share: 0.25, cycles: 1.5, why: "1 cycle from SRAM, plus a 1-cycle load-use stall about half the time (wasm2c code loads operands and uses them at once)" },
  { name: "stores", share: 0.1, cycles: 1.0, why: "buffered, single-cycle issue" },
  { name: "conditional branches", share: 0.15, cycles: 2.0, why: "about half are taken; a taken branch refetches (≈2-cycle bubble), a not-taken one costs 1" },
  { name: "jumps, calls, returns (jal/jalr)", share: 0.05, cycles: 3.0, why: "always redirect fetch; the interpreter's dispatch is an indirect jalr per MHR-Byte instruction" },
];

const LX106_CLASSES: CpiClass[] = [
  { name: "ALU / narrow moves", share: 0.45, cycles: 1.0, why: "single-cycle in the 5-stage pipeline" },
  { name: "loads (l32i, l8ui, l32r)", share: 0.25, cycles: 1.6, why: "1 cycle plus a load-use interlock in most uses; l32r literal loads come from instruction RAM/cache" },
  { name: "stores", share: 0.1, cycles: 1.0, why: "single-cycle issue" },
  { name: "conditional branches", share: 0.15, cycles: 2.0, why: "no branch prediction: a taken branch (about half) costs a 2-cycle bubble" },
  { name: "call0/callx0/ret/jx", share: 0.05, cycles: 3.0, why: "always redirect fetch" },
];

export const CPI_MODELS: Readonly<Record<"qemu-rv32" | "qemu-lx106", CpiModel>> = {
  "qemu-rv32": {
    port: "qemu-rv32",
    target: "ESP32-C3 (ESP-RISC-V RV32IMC, 4-stage in-order single-issue pipeline, 160 MHz)",
    counter: "instret",
    cpi: cpiFromClasses(ESP32C3_CLASSES, 0.07),
    range: [1.2, 2.0],
    classes: ESP32C3_CLASSES,
    cacheAllowance: 0.07,
    reasoning: [
      "qemu-system-riscv32 runs the RV32IMC build under -icount shift=0, so rdinstret is the exact count of retired instructions; the cycle CSR just follows it (1 instruction per virtual ns) and is not used.",
      "The ESP32-C3 core is in-order and single-issue: each instruction costs at least one cycle, so CPI ≥ 1; the stalls are load-use interlocks, taken-branch and jump bubbles, and the multi-cycle divider.",
      "Class costs × the assumed compiled-C mix give 1.38 cycles per instruction; 0.07 is added for instruction-cache misses (the firmware runs from external flash through a 16 KB cache; the interpreter loop and the crypto kernels are small and stay hot, so misses are rare in a benchmark that repeats one job).",
      "MUL/MULH are fast on this core and DIV/REM take up to ~34 cycles, but 64-bit arithmetic on RV32 is mostly ALU work on register pairs (64-bit division is a libgcc loop of ordinary instructions), so neither moves the average much; a DIV-heavy benchmark may be under-estimated by the model — the margin covers it.",
      "Range 1.2–2.0: 1.2 for straight-line ALU-heavy code (crypto field arithmetic), 2.0 for branchy code with cache misses. Use a real ESP32-C3 (`--board esp32-c3-devkitm-1 --port …`) to replace the estimate with measured cycles.",
    ],
  },
  "qemu-lx106": {
    port: "qemu-lx106",
    target: "Xtensa LX106 (ESP8266-class, 5-stage in-order single-issue pipeline, no hardware divider, 80 MHz)",
    counter: "virtual-time",
    cpi: cpiFromClasses(LX106_CLASSES, 0.1),
    range: [1.2, 2.2],
    classes: LX106_CLASSES,
    cacheAllowance: 0.1,
    reasoning: [
      "The lx106 sim core has no retired-instruction counter; under -icount shift=0 every instruction advances virtual time by 1 ns and CCOUNT advances at the HELLO clock (40 MHz), so instructions = CCOUNT delta × 1e9 / 40e6 = 25 × cycles (resolution 25 instructions per reading).",
      "The core is in-order and single-issue without branch prediction; loads interlock with a following use; 32-bit division is a libgcc routine (the core has no divider), so it is already counted as instructions.",
      "Class costs × the assumed compiled-C mix give 1.40; 0.1 is added for instruction-cache misses (code in SPI flash behind a 32 KB cache on ESP8266-class parts).",
      "Range 1.2–2.2: flash-cache misses cost far more on this part than on the ESP32-C3 and are the main uncertainty.",
    ],
  },
};

/** The model for a virtual board port, or undefined for ports measured in real cycles. */
export function cpiModelFor(port: string): CpiModel | undefined {
  return port === "qemu-rv32" || port === "qemu-lx106" ? CPI_MODELS[port] : undefined;
}

/**
 * Cores that run a virtual board's build without a board of their own here.
 * The ESP32 image is the qemu-lx106 build (same C, compiler and flags;
 * `scripts/build-firmware.ts` `sameBuildAs`): call0-ABI lx106 code, which the
 * ESP32's LX6 executes instruction for instruction, so qemu-lx106's exact
 * counts are its counts and only CPI and clock differ. The ESP32-S3's LX7
 * runs the same instructions too, but an ESP-IDF build for it comes from
 * Espressif's compiler (windowed ABI): there the counts are an estimate of
 * the mix, not of the binary. The ESP32-C3 image is the qemu-rv32 build.
 *
 * `reference` marks a configuration at the reference platform's clock (the
 * ESP-IDF component at the chips' default 160 MHz): a sound table must be
 * sound there. The ROM-booted images run at the clock the ROM leaves, below
 * it (firmware/README.md: raising it needs the PLL, not done without
 * silicon); they are reported, not required.
 */
export interface DerivedModel {
  id: string;
  /** The virtual board whose counts this core executes. */
  from: "qemu-rv32" | "qemu-lx106";
  target: string;
  clockHz: number;
  cpi: number;
  range: [number, number];
  classes: CpiClass[];
  cacheAllowance: number;
  reference: boolean;
  reasoning: string[];
}

const LX6_CLASSES: CpiClass[] = [
  { name: "ALU / narrow moves", share: 0.45, cycles: 1.0, why: "single-cycle in the LX6's 5-stage pipeline" },
  { name: "loads (l32i, l8ui, l32r)", share: 0.25, cycles: 1.5, why: "1 cycle from SRAM plus a load-use interlock about half the time; l32r literals sit beside the code (-mtext-section-literals)" },
  { name: "stores", share: 0.1, cycles: 1.0, why: "single-cycle issue" },
  { name: "conditional branches", share: 0.15, cycles: 2.0, why: "no branch prediction: a taken branch (about half) costs a 2-cycle bubble" },
  { name: "call0/callx0/ret/jx", share: 0.05, cycles: 3.0, why: "always redirect fetch" },
];

export const DERIVED_MODELS: readonly DerivedModel[] = [
  {
    id: "esp32-idf-160",
    from: "qemu-lx106",
    target: "ESP32 (Xtensa LX6), the ESP-IDF component at 160 MHz (CONFIG_ESP_DEFAULT_CPU_FREQ_MHZ's default), code in flash behind the cache",
    clockHz: 160e6,
    cpi: cpiFromClasses(LX6_CLASSES, 0.1),
    range: [1.2, 2.2],
    classes: LX6_CLASSES,
    cacheAllowance: 0.1,
    reference: true,
    reasoning: [
      "The counts are qemu-lx106's: the ESP32 executes the same call0 lx106 instructions (the ESP-IDF component compiles the same C; with Espressif's windowed-ABI compiler the count moves a little, the mix hardly).",
      "The LX6 pipeline prices the classes like the LX106's; 0.1 for instruction-cache misses (flash code, 32 KB cache).",
    ],
  },
  {
    id: "esp32s3-idf-160",
    from: "qemu-lx106",
    target: "ESP32-S3 (Xtensa LX7), the ESP-IDF component at 160 MHz, code in flash behind the cache",
    clockHz: 160e6,
    cpi: cpiFromClasses(LX6_CLASSES, 0.1),
    range: [1.2, 2.2],
    classes: LX6_CLASSES,
    cacheAllowance: 0.1,
    reference: true,
    reasoning: [
      "No S3 image is built here: the counts are the lx106 build's, an estimate of what the same C costs on an LX7 (whose ISA runs the call0 code unchanged); the LX7's pipeline is priced like the LX6's.",
    ],
  },
  {
    id: "esp32-rom-40",
    from: "qemu-lx106",
    target: "ESP32 (Xtensa LX6), the ROM-booted image at the 40 MHz crystal clock the ROM leaves, code in IRAM",
    clockHz: 40e6,
    cpi: cpiFromClasses(LX6_CLASSES, 0),
    range: [1.2, 2.0],
    classes: LX6_CLASSES,
    cacheAllowance: 0,
    reference: false,
    reasoning: [
      "The shipped esp32 image is the qemu-lx106 build; it runs from IRAM (no cache misses) at the clock the ROM leaves (Espressif's QEMU reports the 40 MHz crystal), a quarter of the reference clock.",
    ],
  },
  {
    id: "esp32c3-rom-80",
    from: "qemu-rv32",
    target: "ESP32-C3, the ROM-booted image at the 80 MHz the ROM leaves (as Espressif's QEMU reports it), code in IRAM",
    clockHz: 80e6,
    cpi: cpiFromClasses(ESP32C3_CLASSES, 0),
    range: [1.2, 2.0],
    classes: ESP32C3_CLASSES,
    cacheAllowance: 0,
    reference: false,
    reasoning: [
      "The shipped esp32c3 image is the qemu-rv32 build, run from IRAM (no cache misses) at half the reference clock.",
    ],
  },
];

/** How much longer the derived core takes than the board's estimate: (CPI / clock) over (CPI / clock). */
export function derivedFactor(m: DerivedModel, base: { cpi?: number; clockHz: number }): number {
  return (m.cpi / m.clockHz) / ((base.cpi ?? 1) / base.clockHz);
}
