/**
 * npm run build:firmware [-- options]
 *
 * AssemblyScript VM -> WebAssembly -> (optional wasm-opt) -> wasm2c ->
 * firmware/components/mhr_byte/generated/mhr_vm.{c,h} (committed, so an
 * ESP-IDF user needs no Node), then every port into build/firmware/<port>/.
 * The bare-metal chip ports (esp32c3, esp32) also get mhr.bin there: the
 * esptool-format image the chip's ROM loader boots (host-ts/src/flash/).
 *
 * Options:
 *   --check         regenerate into a temp dir and fail if the committed C is stale
 *   --gen-only      regenerate the C, build no port
 *   --ports a,b     build only these ports (host, host-asan, qemu-rv32, qemu-lx106, esp32c3, esp32)
 *   --wasm-opt[=-Oz] run binaryen's wasm-opt (default -O3) on the module before wasm2c
 *                   (the build id then differs from build/mhr-vm.wasm's)
 *   --entry FILE    compile another AssemblyScript entry (pipeline development only)
 *
 * The generated C is deterministic: same sources and tool versions, same bytes.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { firmwareImageFromElf } from "../host-ts/src/flash/esp-firmware.ts";
import type { EspChip } from "../host-ts/src/flash/esp-memory.ts";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const COMPONENT = join(REPO, "firmware/components/mhr_byte");
export const GENERATED = join(COMPONENT, "generated");
export const BUILD = join(REPO, "build/firmware");
const NODE_BIN = join(REPO, "node_modules");
const ASC = join(NODE_BIN, "assemblyscript/bin/asc.js");
const WASM2C = join(NODE_BIN, "wabt/bin/wasm2c");
const WASM_STRIP = join(NODE_BIN, "wabt/bin/wasm-strip");
const WASM_OPT = join(NODE_BIN, "binaryen/bin/wasm-opt");
const DEFAULT_ENTRY = "interpreter-as/assembly/index.ts";

/** The wasm2c module name: symbols are w2c_mhrvm_*, wasm2c_mhrvm_*. */
export const MODULE_NAME = "mhrvm";

// ---- small helpers -------------------------------------------------------------

function run(cmd: string, args: string[], opts: { cwd?: string; quiet?: boolean } = {}): string {
  try {
    return execFileSync(cmd, args, { cwd: opts.cwd ?? REPO, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    const out = `${err.stdout ?? ""}${err.stderr ?? ""}`.trim();
    const text = out || err.message;
    throw new Error(`${cmd} ${args.join(" ")}\n${text.length > 6000 ? `...${text.slice(-6000)}` : text}`);
  }
}

export function haveTool(cmd: string): boolean {
  try {
    execFileSync(cmd, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

function version(bin: string): string {
  return run(process.execPath, [bin, "--version"]).trim().replace(/^Version\s+/, "");
}

// ---- wasm inspection ------------------------------------------------------------

/** Highest byte any active data segment writes (offset + size), from the data section. */
export function dataEnd(wasm: Uint8Array): number {
  let p = 8;
  const u32 = (): number => {
    let r = 0, s = 0, b: number;
    do { b = wasm[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80);
    return r >>> 0;
  };
  const s32 = (): number => {
    let r = 0, s = 0, b: number;
    do { b = wasm[p++]; r |= (b & 0x7f) << s; s += 7; } while (b & 0x80);
    if (s < 32 && (b & 0x40)) r |= -1 << s;
    return r;
  };
  let end = 0;
  while (p < wasm.length) {
    const id = wasm[p++];
    const size = u32();
    const next = p + size;
    if (id === 11) {
      const count = u32();
      for (let i = 0; i < count; i++) {
        const flags = u32();
        if (flags === 1) { p += u32(); continue; } // passive: bytes only
        if (flags === 2) u32(); // memory index
        if (wasm[p++] !== 0x41) throw new Error("data segment offset is not i32.const");
        const offset = s32() >>> 0;
        if (wasm[p++] !== 0x0b) throw new Error("data segment offset expression is not a single constant");
        const len = u32();
        p += len;
        end = Math.max(end, offset + len);
      }
    }
    p = next;
  }
  return end;
}

// ---- generation -----------------------------------------------------------------

export interface Generated {
  files: Record<string, string>; // name in generated/ -> contents
  wasm: Uint8Array;              // the module (with its name section) wasm2c read
  buildId: string;
  memoryBytes: number;
}

export interface GenOptions { entry?: string; /** binaryen wasm-opt level ("-O3", "-Oz", ...) to run before wasm2c; none by default. */ wasmOpt?: string }

/** The textual patches applied to wasm2c's output; each must match, or the build fails (a wabt upgrade must be looked at). */
const PATCHES: { what: string; find: string; replace: string }[] = [
  {
    what: "loads: the runtime's value-returning, one-check, aligned-fast-path helpers (WASM_RT_DEFINE_LOAD, runtime/wasm-rt.h)",
    find: "#define DEFINE_LOAD(name, t1, t2, t3, force_read)                      \\\n  static inline t3 name##_unchecked(wasm_rt_memory_t* mem, u64 addr) { \\\n    t1 result;                                                         \\\n    wasm_rt_memcpy(&result, MEM_ADDR_MEMOP(mem, addr, sizeof(t1)),     \\\n                   sizeof(t1));                                        \\\n    force_read(result);                                                \\\n    return (t3)(t2)result;                                             \\\n  }                                                                    \\\n  DEF_MEM_CHECKS0(name, _, t1, return, t3)\n",
    replace: "#define DEFINE_LOAD(name, t1, t2, t3, force_read) WASM_RT_DEFINE_LOAD(name, t1, t2, t3)\n",
  },
  {
    what: "stores: the runtime's one-check, aligned-fast-path helpers (WASM_RT_DEFINE_STORE, runtime/wasm-rt.h)",
    find: "#define DEFINE_STORE(name, t1, t2)                                     \\\n  static inline void name##_unchecked(wasm_rt_memory_t* mem, u64 addr, \\\n                                      t2 value) {                      \\\n    t1 wrapped = (t1)value;                                            \\\n    wasm_rt_memcpy(MEM_ADDR_MEMOP(mem, addr, sizeof(t1)), &wrapped,    \\\n                   sizeof(t1));                                        \\\n  }                                                                    \\\n  DEF_MEM_CHECKS1(name, _, t1, , void, t2)\n",
    replace: "#define DEFINE_STORE(name, t1, t2) WASM_RT_DEFINE_STORE(name, t1, t2)\n",
  },
  {
    what: "32-bit bounds check (WASM_RT_OOB32, runtime/wasm-rt.h) instead of a 64-bit compare",
    find: "  if (UNLIKELY(a + (uint64_t)sizeof(t) > mem->size)) \\",
    replace: "  if (UNLIKELY(WASM_RT_OOB32(mem, a, sizeof(t))))      \\",
  },
  {
    what: "32-bit range check of bulk memory ops and data segments (WASM_RT_RANGE_OOB32, runtime/wasm-rt.h)",
    find: "    uint64_t res;                                  \\\n    if (UNLIKELY(add_overflow(offset, len, &res))) \\\n      TRAP(OOB);                                   \\\n    if (UNLIKELY(res > (mem)->size))               \\\n      TRAP(OOB);                                   \\\n",
    replace: "    if (UNLIKELY(WASM_RT_RANGE_OOB32(mem, offset, len))) \\\n      TRAP(OOB);                                   \\\n",
  },
  {
    what: "memory base through WASM_RT_MEM_BASE (a link-time constant with a static memory)",
    find: "#define MEM_ADDR(mem, addr, n) &((mem)->data[addr])",
    replace: "#define MEM_ADDR(mem, addr, n) &(WASM_RT_MEM_BASE(mem)[addr])",
  },
  {
    what: "load/store/check helpers marked WASM_RT_ALWAYS_INLINE (forced inline except at -Os, runtime/wasm-rt.h)",
    find: "static inline ",
    replace: "static WASM_RT_ALWAYS_INLINE ",
  },
];

function applyPatches(c: string): string {
  for (const p of PATCHES) {
    if (!c.includes(p.find)) throw new Error(`wasm2c output changed: patch "${p.what}" no longer applies`);
    c = c.split(p.find).join(p.replace);
  }
  return c;
}

const ZERO_GLOBALS_WHAT = "globals zeroed with one memset when all start at 0 and precede the memory in the instance struct";

/**
 * init_globals stores every global one by one (~5 bytes of code each at -Os).
 * When every initializer is 0 and the globals are the instance struct's leading
 * fields (all before w2c_memory), one memset does the same. Applied only when
 * both hold: otherwise the generated function stays as it is.
 */
function zeroGlobals(c: string, h: string): { c: string; applied: boolean } {
  const m = /static void init_globals\(w2c_mhrvm\* instance\) \{\n([^}]*)\}\n/.exec(c);
  const struct = /typedef struct w2c_mhrvm \{\n([^}]*)\} w2c_mhrvm;/.exec(h);
  if (!m || !struct) return { c, applied: false };
  const inits = m[1].split("\n").filter((l) => l.trim() !== "");
  if (!inits.every((l) => /^  instance->w2c_\w+ = 0(u|ull)?;$/.test(l))) return { c, applied: false };
  const fields = struct[1].split("\n").map((l) => l.trim()).filter(Boolean);
  const memAt = fields.indexOf("wasm_rt_memory_t w2c_memory;");
  if (memAt < 0 || !fields.slice(0, memAt).every((l) => /^u(32|64) w2c_\w+;$/.test(l)) || memAt !== inits.length) return { c, applied: false };
  const body = "  memset(instance, 0, offsetof(w2c_mhrvm, w2c_memory));\n";
  return { c: c.replace(m[0], `static void init_globals(w2c_mhrvm* instance) {\n${body}}\n`), applied: true };
}

/** asconfig.json's options + release target as CLI flags (for --entry, which must not also compile the config's entries). */
function releaseFlags(): string[] {
  const cfg = JSON.parse(readFileSync(join(REPO, "asconfig.json"), "utf8")) as { options?: Record<string, unknown>; targets?: Record<string, Record<string, unknown>> };
  const all: Record<string, unknown> = { ...cfg.options, ...cfg.targets?.release };
  const flags: string[] = [];
  for (const [k, v] of Object.entries(all)) {
    if (k === "outFile" || k === "textFile" || k === "debug") continue;
    if (v === true) flags.push(`--${k}`);
    else if (typeof v === "number" || typeof v === "string") flags.push(`--${k}`, String(v));
  }
  return flags;
}

/** Compiles the VM and translates it to C; touches nothing outside `work`. */
export function generate(work: string, opts: GenOptions = {}): Generated {
  const entry = opts.entry ?? DEFAULT_ENTRY;
  mkdirSync(work, { recursive: true });
  const named = join(work, "mhr-vm.named.wasm");
  // The release target exactly, plus a name section (--debug keeps function names and
  // changes no code: the stripped module is byte-identical to the release build).
  const asc = (extraEntries: string[], outFile: string, textFile: string): void => {
    const out = ["--debug", "--outFile", outFile, "--textFile", textFile];
    if (entry === DEFAULT_ENTRY) {
      run(process.execPath, [ASC, ...extraEntries, "--config", "asconfig.json", "--target", "release", ...out]);
    } else {
      const empty = join(work, "asconfig.empty.json"); // keeps asc from reading ./asconfig.json
      writeFileSync(empty, "{}\n");
      run(process.execPath, [ASC, entry, ...extraEntries, "--config", empty, ...releaseFlags(), ...out]);
    }
  };
  asc([], named, join(work, "mhr-vm.wat"));
  // Zero-filled static data (memory.data(n)) has no data segment: learn where static data really
  // ends (__heap_base) from a variant that only adds an export of it (same layout, not shipped).
  const probeSrc = join(work, "static-end.ts");
  writeFileSync(probeSrc, "export function __mhr_static_end(): usize { return __heap_base; }\n");
  const probe = join(work, "static-end.wasm");
  asc([relative(REPO, probeSrc)], probe, join(work, "static-end.wat"));
  const probeInstance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(probe)), {});
  const staticEnd = (probeInstance.exports.__mhr_static_end as () => number)() >>> 0;
  let input = named;
  if (opts.wasmOpt) {
    const opt = join(work, "mhr-vm.opt.wasm");
    // The features AssemblyScript 0.28 emits by default, all of which wasm2c supports.
    const features = ["--enable-bulk-memory", "--enable-bulk-memory-opt", "--enable-sign-ext", "--enable-nontrapping-float-to-int", "--enable-mutable-globals"];
    run(process.execPath, [WASM_OPT, named, opts.wasmOpt, ...features, "--debuginfo", "-o", opt]);
    input = opt;
  }
  const stripped = join(work, "mhr-vm.wasm");
  run(process.execPath, [WASM_STRIP, input, "-o", stripped]);
  const wasm = new Uint8Array(readFileSync(stripped));
  const buildId = sha256(wasm);
  // The runtime checks every access against one limit, memoryBytes - 8,
  // whatever its size (runtime/wasm-rt.h, WASM_RT_ACCESS_LIMIT): a multiple of
  // 4 KiB, so that the limit is one `lui` on RV32, with the 8 bytes after it
  // so that an 8-byte access at the limit stays inside the buffer.
  const memoryBytes = Math.ceil(Math.max(dataEnd(wasm), staticEnd) / 4096) * 4096 + 8;

  const outC = join(work, "mhr_vm.c");
  run(process.execPath, [WASM2C, input, "-n", MODULE_NAME, "-o", outC]);
  const rawC = readFileSync(outC, "utf8");
  const rawH = readFileSync(join(work, "mhr_vm.h"), "utf8");

  const tools = `AssemblyScript ${version(ASC)}, wasm2c ${version(WASM2C)}${opts.wasmOpt ? `, wasm-opt ${opts.wasmOpt} (binaryen ${version(WASM_OPT).replace(/^wasm-opt version /, "").split(" ")[0]})` : ""}`;
  const defines = [
    "",
    "/* ---- added by scripts/build-firmware.ts ---- */",
    "/* Hex SHA-256 of the wasm module (names stripped) this C was generated from. */",
    `#define MHR_VM_BUILD_ID "${buildId}"`,
    "/* Bytes of linear memory the module touches: its static layout and static data (up to __heap_base). */",
    `#define MHR_VM_MEMORY_BYTES ${memoryBytes}u`,
    "/* The memory is a static array of that size unless the embedder allocates it (runtime/wasm-rt.h). */",
    "#if !defined(WASM_RT_DYNAMIC_MEMORY) && !defined(WASM_RT_STATIC_MEMORY_BYTES)",
    "#define WASM_RT_STATIC_MEMORY_BYTES MHR_VM_MEMORY_BYTES",
    "#endif",
    "",
  ].join("\n");
  const guard = "#define MHR_VM_H_GENERATED_\n";
  if (!rawH.includes(guard)) throw new Error("wasm2c header changed: include guard not found");
  const zg = zeroGlobals(applyPatches(rawC), rawH);
  const patched = [...PATCHES.map((p) => p.what), ...(zg.applied ? [ZERO_GLOBALS_WHAT] : [])];
  const banner = [
    "/*",
    ` * GENERATED by scripts/build-firmware.ts from ${entry} (${tools}).`,
    " * Do not edit: change the AssemblyScript and run `npm run build:firmware`;",
    " * CI runs `npm run build:firmware -- --check` to catch a stale copy.",
    ` * Module: ${wasm.length} bytes of wasm, sha256 ${buildId}.`,
    " * Patched after wasm2c (scripts/build-firmware.ts, PATCHES):",
    ...patched.map((w) => ` *   - ${w}`),
    " */",
    "",
  ].join("\n");
  const header = banner + rawH.replace(guard, guard + defines);
  const source = banner + zg.c;
  const files = { "mhr_vm.c": source, "mhr_vm.h": header };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(work, name), text); // work/ is then a usable copy of generated/
  return { files, wasm, buildId, memoryBytes };
}

// ---- ports --------------------------------------------------------------------------

export const SRC = {
  component: [join(COMPONENT, "src/mhr_byte.c"), join(COMPONENT, "runtime/wasm-rt-impl.c"), join(GENERATED, "mhr_vm.c")],
  proto: (): string[] => {
    const dir = join(COMPONENT, "proto");
    return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".c")).sort().map((f) => join(dir, f)) : [];
  },
  includes: ["include", "runtime", "generated", "proto"].map((d) => `-I${join(COMPONENT, d)}`),
  helpers: join(COMPONENT, "runtime/libgcc-helpers.c"),
  /** Word-wise memset/memcpy/memmove for the RV32 ports (picolibc's are byte-wise; the file says why). */
  rv32String: join(REPO, "firmware/ports/rv32-string.c"),
  /** memmove for the Xtensa ports (picolibc's is byte-wise; the file says why). */
  xtensaString: join(REPO, "firmware/ports/xtensa-string.c"),
};

/**
 * The one MCU build (issue 10): the optimisation flags every microcontroller port
 * (qemu-rv32, qemu-lx106, esp32c3, esp32), `npm run size`, `npm run bench:mcu`
 * and the ESP-IDF component (firmware/components/mhr_byte/CMakeLists.txt) use.
 * MHR_MCU_OPT="..." overrides it for an experiment (never for a shipped figure).
 */
export const MCU_OPT: string[] = process.env.MHR_MCU_OPT ? process.env.MHR_MCU_OPT.split(" ") : ["-Os"];

/**
 * Per-ISA flags of the one MCU build (ports and `npm run size` alike). rv32: shared prologue/epilogue routines
 * (-msave-restore, ESP-IDF's CONFIG_COMPILER_SAVE_RESTORE_LIBCALLS) and GCC's size cost model (-mtune=size: with the
 * state index of issue 9 it took the component from 51,425 B to 48,673 B and the sum loop from 355 M to 325 M
 * instructions, both measured by `npm run size` / `npm run bench:mcu`); the component's CMakeLists sets it for RISC-V.
 */
export const RV32_FLAGS = ["-march=rv32imc", "-mabi=ilp32", "--specs=picolibc.specs", "-msave-restore", "-mtune=size"];
export const LX106_FLAGS = ["--specs=/usr/lib/xtensa-lx106-elf/picolibc.specs", "-mtext-section-literals"];

export const WARN = ["-Wall", "-Wextra", "-Wno-unused-function", "-Wno-unused-parameter", "-Wno-unused-variable", "-Wno-unused-label", "-Wno-unused-value", "-Wno-unused-but-set-variable"];

export interface Port {
  name: string;
  cc: string;
  /** Debian package(s) that provide cc. */
  pkg: string;
  out: string;
  args: () => string[];
  /** Bare-metal chip ports: the chip whose ROM loader boots `image` (next to `out`). */
  image?: { chip: EspChip; file: string };
}

const portDir = (p: string): string => join(REPO, "firmware/ports", p);

/**
 * A chip port is compiled exactly like the QEMU port of the same ISA (same
 * generated C, runtime and flags), with its own start-up, HAL and linker
 * script: the base port's files are swapped for the same-named ones in `dir`.
 */
function sameBuildAs(base: string, dir: string): () => string[] {
  return () => {
    const p = PORTS.find((x) => x.name === base);
    if (!p) throw new Error(`no port ${base}`);
    const from = portDir(base) + "/";
    return p.args().map((a) => (a.startsWith(from) ? join(portDir(dir), a.slice(from.length)) : a));
  };
}

export const PORTS: Port[] = [
  {
    name: "host",
    cc: process.env.CC ?? "gcc",
    pkg: "gcc",
    out: "mhr-host",
    args: () => ["-std=c11", "-O2", "-g", ...WARN, ...SRC.includes, join(portDir("host"), "main.c"), ...SRC.component, ...SRC.proto()],
  },
  {
    name: "host-asan",
    cc: process.env.CC ?? "gcc",
    pkg: "gcc",
    out: "mhr-host-asan",
    args: () => ["-std=c11", "-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-DWASM_RT_STACK_DEPTH_COUNT=1", ...WARN, ...SRC.includes, join(portDir("host"), "main.c"), ...SRC.component, ...SRC.proto()],
  },
  {
    name: "qemu-rv32",
    cc: "riscv64-unknown-elf-gcc",
    pkg: "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf",
    out: "mhr.elf",
    args: () => [
      ...RV32_FLAGS, ...MCU_OPT, "-g", "-DNDEBUG", "-ffunction-sections", "-fdata-sections",
      ...WARN, ...SRC.includes, "-nostartfiles", "-T", join(portDir("qemu-rv32"), "link.ld"), "-Wl,--gc-sections",
      join(portDir("qemu-rv32"), "start.S"), join(portDir("qemu-rv32"), "main.c"), SRC.rv32String, ...SRC.component, ...SRC.proto(),
    ],
  },
  {
    name: "qemu-lx106",
    cc: "xtensa-lx106-elf-gcc",
    pkg: "gcc-xtensa-lx106 picolibc-xtensa-lx106-elf",
    out: "mhr.elf",
    args: () => [
      ...LX106_FLAGS, ...MCU_OPT, "-g", "-DNDEBUG", "-ffunction-sections", "-fdata-sections",
      ...WARN, ...SRC.includes, "-nostartfiles", "-T", join(portDir("qemu-lx106"), "link.ld"), "-Wl,--gc-sections",
      join(portDir("qemu-lx106"), "start.S"), join(portDir("qemu-lx106"), "main.c"), SRC.xtensaString, ...SRC.component, ...SRC.proto(), ...(existsSync(SRC.helpers) ? [SRC.helpers] : []),
    ],
  },
  {
    name: "esp32c3",
    cc: "riscv64-unknown-elf-gcc",
    pkg: "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf",
    out: "mhr.elf",
    image: { chip: "esp32c3", file: "mhr.bin" },
    args: sameBuildAs("qemu-rv32", "esp32c3"),
  },
  {
    // call0-ABI lx106 code runs on the ESP32's LX6 core (start.S turns window overflow off).
    name: "esp32",
    cc: "xtensa-lx106-elf-gcc",
    pkg: "gcc-xtensa-lx106 picolibc-xtensa-lx106-elf",
    out: "mhr.elf",
    image: { chip: "esp32", file: "mhr.bin" },
    args: sameBuildAs("qemu-lx106", "esp32"),
  },
];

export function buildPort(p: Port, dir = join(BUILD, p.name)): string {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, p.out);
  run(p.cc, [...p.args(), "-o", out]);
  if (p.image) {
    const fw = firmwareImageFromElf(new Uint8Array(readFileSync(out)), p.image.chip, relative(REPO, out));
    writeFileSync(join(dir, p.image.file), fw.image);
  }
  return out;
}

// ---- CLI ----------------------------------------------------------------------------

function stale(fresh: Generated): string[] {
  return Object.entries(fresh.files)
    .filter(([name, text]) => {
      const path = join(GENERATED, name);
      return !existsSync(path) || readFileSync(path, "utf8") !== text;
    })
    .map(([name]) => relative(REPO, join(GENERATED, name)));
}

function main(argv: string[]): number {
  const flag = (f: string): boolean => argv.includes(f);
  const value = (f: string): string | undefined => {
    const i = argv.indexOf(f);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const wo = argv.find((a) => a === "--wasm-opt" || a.startsWith("--wasm-opt="));
  const opts: GenOptions = { entry: value("--entry"), wasmOpt: wo ? (wo.split("=")[1] ?? "-O3") : undefined };
  const work = mkdtempSync(join(tmpdir(), "mhr-fw-"));
  try {
    const gen = generate(work, opts);
    if (flag("--check")) {
      const bad = stale(gen);
      if (bad.length) {
        console.error(`build:firmware --check: stale generated C (${bad.join(", ")}); run \`npm run build:firmware\` and commit the result`);
        return 1;
      }
      console.log(`build:firmware --check: generated C is current (build ${gen.buildId.slice(0, 16)})`);
      return 0;
    }
    mkdirSync(GENERATED, { recursive: true });
    for (const [name, text] of Object.entries(gen.files)) writeFileSync(join(GENERATED, name), text);
    mkdirSync(BUILD, { recursive: true });
    writeFileSync(join(BUILD, "mhr-vm.wasm"), gen.wasm);
    console.log(`generated ${relative(REPO, GENERATED)}/mhr_vm.{c,h}: build ${gen.buildId.slice(0, 16)}, ${gen.wasm.length} B wasm, ${gen.memoryBytes} B linear memory`);
    if (flag("--gen-only")) return 0;

    const only = value("--ports")?.split(",");
    let failed = 0;
    for (const p of PORTS) {
      if (only && !only.includes(p.name)) continue;
      if (!haveTool(p.cc)) {
        console.warn(`  ${p.name}: skipped, ${p.cc} not found (apt-get install ${p.pkg})`);
        continue;
      }
      try {
        const out = buildPort(p);
        const image = p.image ? `, ${relative(REPO, join(dirname(out), p.image.file))} (${readFileSync(join(dirname(out), p.image.file)).length} B, ROM-loaded image for the ${p.image.chip})` : "";
        console.log(`  ${p.name}: ${relative(REPO, out)}${image}`);
      } catch (e) {
        failed++;
        console.error(`  ${p.name}: FAILED\n${(e as Error).message}`);
      }
    }
    return failed ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    console.error(`build:firmware: ${(e as Error).message}`);
    process.exitCode = 1;
  }
}
