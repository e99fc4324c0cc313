/**
 * npm run size — flash and RAM of the mhr_byte component on the two MCU ISAs.
 *
 * Compiles the component (generated VM, runtime, API glue, protocol; no libc,
 * no port HAL) at -Os for rv32imc and xtensa-lx106, one section per function
 * and object (-ffunction-sections -fdata-sections), and attributes every
 * section by name:
 *   vm       generated functions of the AssemblyScript VM
 *   crypto   generated functions from interpreter-as/assembly/crypto/ (by their wasm name)
 *   data     the wasm module's data segments (opcode tables, crypto constants)
 *   runtime  runtime/wasm-rt-impl.c and src/mhr_byte.c
 *   proto    proto/*.c (the board protocol)
 * Code the AssemblyScript compiler inlined into a caller counts for the caller.
 *
 * RAM: static .data+.bss (the VM's linear memory separately) and the peak
 * stack, from GCC's -fcallgraph-info=su (per-function frames and the static
 * call graph: the generated code has no indirect calls, and its one
 * recursion is the CBOR item check, bounded by MAX_CBOR_DEPTH; peakStack
 * fails on any other). The MCU builds count no wasm call depth, so this is
 * their stack proof.
 *
 * Prints a table, writes bench/size.json, and exits 1 when .text+.rodata of
 * the component exceeds 50 KiB (51200 B) on either target. Goal: 32 KiB.
 *
 * Beside the component: the bare-metal chip images (esp32c3, esp32), built
 * into a temp dir exactly as `npm run build:firmware` builds them (the speed
 * build, not -Os): the flash the ROM-loaded image takes, and its static RAM
 * by section (code in IRAM, loaded data, .bss with the VM's memory, stack).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import { COMPONENT, GENERATED, LX106_FLAGS, MCU_OPT, PORTS, RV32_FLAGS, REPO, SRC, WARN, buildPort, haveTool, type Port } from "./build-firmware.ts";
import { readElf32 } from "../host-ts/src/flash/elf.ts";
import { ROM_BOOT_OFFSET } from "../host-ts/src/flash/esp-image.ts";
import { Limit } from "../host-ts/src/generated/opcodes.ts";

export const BUDGET = 51200;
/**
 * Peak stack the component may need (peakStack), with no wasm call-depth
 * counter in the MCU builds: a quarter of the ESP-IDF main task's 16 KiB
 * (firmware/sdkconfig.defaults) and an eighth of the bare-metal images' 32 KiB,
 * leaving the rest to the caller's frames.
 */
export const STACK_BUDGET = 4096;
export const GOAL = 32768;

export type Owner = "vm" | "crypto" | "data" | "runtime" | "proto";
export type Kind = "text" | "rodata" | "data" | "bss";
const OWNERS: Owner[] = ["vm", "crypto", "data", "runtime", "proto"];
const KINDS: Kind[] = ["text", "rodata", "data", "bss"];

export interface Target {
  name: string;
  prefix: string;
  pkg: string;
  flags: string[];
  ldFlags: string[];
}

/** The component's entry points: the public API and the protocol server. */
const ROOTS = ["mhr_proto_serve", "mhr_byte_init", "mhr_byte_job_buffer", "mhr_byte_run", "mhr_byte_state", "mhr_byte_build_id"];

export const TARGETS: Target[] = [
  { name: "rv32imc", prefix: "riscv64-unknown-elf-", pkg: "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf", flags: RV32_FLAGS, ldFlags: ["-m", "elf32lriscv"] },
  { name: "xtensa-lx106", prefix: "xtensa-lx106-elf-", pkg: "gcc-xtensa-lx106 picolibc-xtensa-lx106-elf", flags: LX106_FLAGS, ldFlags: [] },
];

type Table = Record<Owner, Record<Kind, number>>;

export interface TargetSize {
  target: string;
  opt: string;
  bytes: Table;
  /** .text + .rodata of the whole component. */
  flash: number;
  /** Bytes of sections a --gc-sections link drops (not counted above). */
  unreferenced: number;
  /** Static RAM: the VM's linear memory, and every other .data + .bss. */
  ram: { linearMemory: number; otherStatic: number; peakStack: number; peakStackPath: string[] };
  /** The biggest functions, for "where do the bytes go". */
  top: { name: string; owner: Owner; bytes: number }[];
}

function emptyTable(): Table {
  const t = {} as Table;
  for (const o of OWNERS) t[o] = { text: 0, rodata: 0, data: 0, bss: 0 };
  return t;
}

function kindOf(section: string): Kind | undefined {
  if (/^\.(text|literal)(\.|$)/.test(section)) return "text";
  if (/^\.s?rodata(\.|$)/.test(section)) return "rodata";
  if (/^\.s?data(\.|$)/.test(section)) return "data";
  if (/^\.s?bss(\.|$)/.test(section)) return "bss";
  return undefined;
}

/** Readable name of a generated function: w2c_mhrvm_interpreter0x2Das0x2Fassembly0x2Fvm0x2Fexecute -> vm/execute */
export function prettyName(sym: string): string {
  return sym
    .replace(/^.*\/([^/:]+:)/, "$1") // callgraph names of static functions: /abs/path/file.c:name -> file.c:name
    .replace(/^w2c_mhrvm_/, "")
    .replace(/0x([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    .replace(/^.*?assembly\//, "");
}

function ownerOf(file: string, section: string): Owner {
  const f = basename(file);
  if (f === "wasm-rt-impl.c" || f === "mhr_byte.c") return "runtime";
  if (f !== "mhr_vm.c") return "proto";
  // GCC pools small constant arrays (the data segments) into the anonymous .rodata.
  if (section.includes("data_segment_data") || /^\.s?rodata$/.test(section)) return "data";
  if (section.includes("0x2Fcrypto0x2F")) return "crypto";
  return "vm";
}

/** Sections of a relocatable object: name, type and size (readelf -S -W). */
function sections(readelf: string, obj: string): { name: string; type: string; size: number }[] {
  const out = execFileSync(readelf, ["-S", "-W", obj], { encoding: "utf8" });
  const rows: { name: string; type: string; size: number }[] = [];
  for (const line of out.split("\n")) {
    const m = /^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+([0-9a-f]+)\s/.exec(line);
    if (m) rows.push({ name: m[1], type: m[2], size: parseInt(m[3], 16) });
  }
  return rows;
}

// ---- peak stack from -fcallgraph-info=su ------------------------------------------

export interface CallGraph { frame: Map<string, number>; calls: Map<string, Set<string>> }

function readCallGraph(dir: string): CallGraph {
  const frame = new Map<string, number>();
  const calls = new Map<string, Set<string>>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".ci"))) {
    const text = readFileSync(join(dir, f), "utf8");
    for (const m of text.matchAll(/node: \{ title: "([^"]+)" label: "([^"]*)"/g)) {
      const bytes = /\\n(\d+) bytes \((static|dynamic[^)]*)\)/.exec(m[2]);
      if (bytes) frame.set(m[1], Math.max(frame.get(m[1]) ?? 0, Number(bytes[1])));
    }
    for (const m of text.matchAll(/edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"/g)) {
      let s = calls.get(m[1]);
      if (!s) calls.set(m[1], (s = new Set()));
      s.add(m[2]);
    }
  }
  return { frame, calls };
}

/**
 * The one recursion the VM may have: the CBOR parser's item check, one call
 * per nesting level, which SPEC §4 bounds by MAX_CBOR_DEPTH (an item one level
 * deeper is rejected on entry, so MAX_CBOR_DEPTH + 1 frames at most).
 */
export const BOUNDED_RECURSION = { name: "cbor/itemStrict", frames: Limit.MAX_CBOR_DEPTH + 1 } as const;

export class CallGraphError extends Error {}

/**
 * Deepest stack from `root` (frames only: a call's return address is inside
 * the frame on these ISAs). The bare-metal and ESP-IDF builds do not count
 * wasm call depth (WASM_RT_STACK_DEPTH_COUNT 0), so this bound is what keeps
 * them inside their stacks: any cycle in the static call graph other than
 * BOUNDED_RECURSION's self-call is an error, and that self-call counts its
 * frame BOUNDED_RECURSION.frames times. (wasm2c emits direct calls only; the
 * VM has no call_indirect.)
 */
export function peakStack(g: CallGraph, root: string): { bytes: number; path: string[] } {
  const memo = new Map<string, { bytes: number; path: string[] }>();
  const onPath: string[] = [];
  const visit = (fn: string): { bytes: number; path: string[] } => {
    const hit = memo.get(fn);
    if (hit) return hit;
    if (onPath.includes(fn)) {
      const cycle = [...onPath.slice(onPath.indexOf(fn)), fn].map(prettyName);
      throw new CallGraphError(`call-graph cycle ${cycle.join(" > ")}: only ${BOUNDED_RECURSION.name}'s self-call is bounded (scripts/size.ts)`);
    }
    onPath.push(fn);
    let best = { bytes: 0, path: [] as string[] };
    let self = false;
    for (const c of g.calls.get(fn) ?? []) {
      if (c === fn && prettyName(fn).replace(/[.$]isra[.$]\d+$|[.$]constprop[.$]\d+$/, "") === BOUNDED_RECURSION.name) {
        self = true;
        continue;
      }
      const r = visit(c);
      if (r.bytes > best.bytes) best = r;
    }
    onPath.pop();
    const frames = self ? BOUNDED_RECURSION.frames : 1;
    const own = (g.frame.get(fn) ?? 0) * frames;
    const res = { bytes: own + best.bytes, path: [self ? `${fn} ×${frames}` : fn, ...best.path] };
    memo.set(fn, res);
    return res;
  };
  return visit(root);
}

// ---- measuring -----------------------------------------------------------------------

/** MHR_SIZE_CFLAGS: extra compiler flags, to compare variants (e.g. -DWASM_RT_ALWAYS_INLINE=inline). */
const EXTRA = (process.env.MHR_SIZE_CFLAGS ?? "").split(/\s+/).filter(Boolean);

export function measure(t: Target, opt: readonly string[] = MCU_OPT): TargetSize {
  const cc = `${t.prefix}gcc`;
  const readelf = `${t.prefix}readelf`;
  const work = mkdtempSync(join(tmpdir(), `mhr-size-${t.name}-`));
  try {
    const files = [...SRC.component, ...SRC.proto()];
    const bytes = emptyTable();
    const fnSizes = new Map<string, { owner: Owner; bytes: number }>();
    let linearMemory = 0;
    const objs = files.map((src) => {
      const obj = join(work, `${basename(src, ".c")}.o`);
      execFileSync(cc, [...t.flags, ...opt, ...EXTRA, "-DNDEBUG", "-ffunction-sections", "-fdata-sections", "-fcallgraph-info=su", ...WARN, ...SRC.includes, `-I${join(COMPONENT, "src")}`, "-c", src, "-o", obj], { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
      return obj;
    });
    // What a firmware link keeps: a relocatable link with --gc-sections from the public entry points.
    const kept = join(work, "kept.o");
    execFileSync(`${t.prefix}ld`, [...t.ldFlags, "-r", "--gc-sections", ...ROOTS.flatMap((r) => ["-u", r]), ...objs, "-o", kept], { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
    const keptNames = new Set(sections(readelf, kept).map((s) => s.name));
    let dropped = 0;
    for (const [i, src] of files.entries()) {
      const obj = objs[i];
      for (const s of sections(readelf, obj)) {
        const kind = kindOf(s.name);
        if (!kind || s.size === 0) continue;
        if (!keptNames.has(s.name)) {
          dropped += s.size;
          continue;
        }
        const owner = ownerOf(src, s.name);
        bytes[owner][kind] += s.size;
        if (kind === "bss" && s.name.includes("wasm_rt_static_memory")) linearMemory += s.size;
        if (kind === "text") {
          const name = s.name.replace(/^\.(text|literal)\./, "");
          const e = fnSizes.get(name) ?? { owner, bytes: 0 };
          e.bytes += s.size;
          fnSizes.set(name, e);
        }
      }
    }
    const g = readCallGraph(work);
    const stack = peakStack(g, g.frame.has("mhr_proto_serve") ? "mhr_proto_serve" : "mhr_byte_run");
    let flash = 0, staticRam = 0;
    for (const o of OWNERS) {
      flash += bytes[o].text + bytes[o].rodata;
      staticRam += bytes[o].data + bytes[o].bss;
    }
    const top = [...fnSizes.entries()].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 12)
      .map(([name, e]) => ({ name: e.owner === "vm" || e.owner === "crypto" ? prettyName(name) : name, owner: e.owner, bytes: e.bytes }));
    return {
      target: t.name, opt: [...opt, ...EXTRA].join(" "), bytes, flash, unreferenced: dropped,
      ram: { linearMemory, otherStatic: staticRam - linearMemory, peakStack: stack.bytes, peakStackPath: stack.path.map(prettyName) },
      top,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function kb(n: number): string {
  return `${(n / 1024).toFixed(1)} KiB`;
}

export function render(r: TargetSize): string {
  const lines: string[] = [];
  lines.push(`${r.target} ${r.opt}: .text+.rodata ${r.flash} B (${kb(r.flash)}; budget ${kb(BUDGET)}, goal ${kb(GOAL)})`);
  lines.push(`  ${"".padEnd(8)}${KINDS.map((k) => `.${k}`.padStart(9)).join("")}${"flash".padStart(9)}`);
  for (const o of OWNERS) {
    const b = r.bytes[o];
    lines.push(`  ${o.padEnd(8)}${KINDS.map((k) => String(b[k]).padStart(9)).join("")}${String(b.text + b.rodata).padStart(9)}`);
  }
  lines.push(`  RAM: linear memory ${r.ram.linearMemory} B, other static ${r.ram.otherStatic} B, peak stack ${r.ram.peakStack} B (${r.ram.peakStackPath.slice(0, 4).join(" > ")}${r.ram.peakStackPath.length > 4 ? " > ..." : ""})`);
  lines.push(`  largest functions: ${r.top.slice(0, 8).map((f) => `${f.name} ${f.bytes}`).join(", ")}`);
  return lines.join("\n");
}

// ---- the bare-metal chip images ---------------------------------------------------------

export interface ImageSize {
  port: string;
  chip: string;
  /** Flash offset the chip's ROM loader boots the image from. */
  offset: number;
  /** Bytes of the esptool-format image: the flash it takes. */
  imageBytes: number;
  /** Section sizes of the ELF (bytes). */
  text: number;
  rodata: number;
  data: number;
  bss: number;
  stack: number;
  /** The VM's linear memory (inside .bss). */
  linearMemory: number;
  /** Everything in RAM: .text (IRAM) + .rodata + .data + .bss + stack. */
  staticRam: number;
}

export function measureImage(p: Port): ImageSize {
  if (!p.image) throw new Error(`${p.name} makes no chip image`);
  const work = mkdtempSync(join(tmpdir(), `mhr-size-${p.name}-`));
  try {
    const elfPath = buildPort(p, work);
    const elf = readElf32(new Uint8Array(readFileSync(elfPath)), relative(REPO, elfPath));
    const size = (name: string): number => elf.sections.filter((x) => x.name === name).reduce((n, x) => n + x.size, 0);
    const symbols = execFileSync(`${p.cc.replace(/gcc$/, "")}nm`, ["-S", elfPath], { encoding: "utf8" });
    const mem = /^[0-9a-f]+ ([0-9a-f]+) [bB] wasm_rt_static_memory$/m.exec(symbols);
    const r = { text: size(".text"), rodata: size(".rodata"), data: size(".data"), bss: size(".bss"), stack: size(".stack") };
    return {
      port: p.name,
      chip: p.image.chip,
      offset: ROM_BOOT_OFFSET[p.image.chip],
      imageBytes: readFileSync(join(work, p.image.file)).length,
      ...r,
      linearMemory: mem ? parseInt(mem[1], 16) : 0,
      staticRam: r.text + r.rodata + r.data + r.bss + r.stack,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function renderImage(r: ImageSize): string {
  return [
    `${r.port} image (ROM-loaded at flash 0x${r.offset.toString(16)}): ${r.imageBytes} B of flash (${kb(r.imageBytes)})`,
    `  RAM: .text ${r.text} B (IRAM), .rodata ${r.rodata} B, .data ${r.data} B, .bss ${r.bss} B (VM linear memory ${r.linearMemory} B), stack ${r.stack} B; static RAM ${r.staticRam} B (${kb(r.staticRam)})`,
  ].join("\n");
}

function main(): number {
  if (!existsSync(join(GENERATED, "mhr_vm.c"))) {
    console.error("size: firmware/components/mhr_byte/generated/mhr_vm.c is missing: run `npm run build:firmware`");
    return 1;
  }
  const header = readFileSync(join(GENERATED, "mhr_vm.h"), "utf8");
  const buildId = /MHR_VM_BUILD_ID "([0-9a-f]+)"/.exec(header)?.[1] ?? "unknown";
  const results: TargetSize[] = [];
  const missing: string[] = [];
  for (const t of TARGETS) {
    if (!haveTool(`${t.prefix}gcc`)) {
      missing.push(`${t.name} (apt-get install ${t.pkg})`);
      continue;
    }
    const r = measure(t);
    results.push(r);
    console.log(render(r));
  }
  const images: ImageSize[] = [];
  for (const p of PORTS.filter((x) => x.image)) {
    if (!haveTool(p.cc)) {
      missing.push(`${p.name} image (apt-get install ${p.pkg})`);
      continue;
    }
    const r = measureImage(p);
    images.push(r);
    console.log(renderImage(r));
  }
  if (missing.length) console.warn(`size: skipped ${missing.join(", ")}`);
  mkdirSync(join(REPO, "bench"), { recursive: true });
  const out = join(REPO, "bench/size.json");
  writeFileSync(out, JSON.stringify({ buildId, budget: BUDGET, goal: GOAL, targets: results, images }, null, 2) + "\n");
  console.log(`wrote ${relative(REPO, out)}`);
  const over = results.filter((r) => r.flash > BUDGET);
  if (over.length) {
    console.error(`size: over the ${BUDGET} B budget: ${over.map((r) => `${r.target} ${r.flash} B`).join(", ")}`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && basename(process.argv[1]) === "size.ts") process.exitCode = main();
