/**
 * Virtual boards: the firmware's ports run as local processes that speak the
 * board protocol (docs/PROTOCOL.md) on their stdin/stdout. Each launcher
 * starts one, wires its stdio into a ByteStream for the protocol client, and
 * kills it on close.
 *
 *   launchNative()     build/firmware/host/mhr-host (the wasm2c C, host compiler)
 *   launchQemuRv32()   build/firmware/qemu-rv32/mhr.elf under qemu-system-riscv32 (RV32IMC, the ESP32-C3 ISA)
 *   launchQemuLx106()  build/firmware/qemu-lx106/mhr.elf under qemu-system-xtensa (lx106, the ESP8266 core)
 *   launchEspQemu()    build/firmware/{esp32c3,esp32}/mhr.bin, the bare-metal chip images, booted by
 *                      the chip's own ROM from a flash file in Espressif's QEMU (installed by the user,
 *                      named by MHR_ESP_QEMU_RISCV32 / MHR_ESP_QEMU_XTENSA; never built or shipped here)
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { ROM_BOOT_OFFSET, parseEspImage } from "../flash/esp-image.ts";
import type { EspChip } from "../flash/esp-memory.ts";
import { fileURLToPath } from "node:url";

/** What the protocol client needs of a link (same shape as protocol/client.ts's ByteStream). */
export interface VirtualStream {
  write(bytes: Uint8Array): void;
  onData(cb: (chunk: Uint8Array) => void): void;
}

export type VirtualPort = "host" | "host-asan" | "qemu-rv32" | "qemu-lx106" | "qemu-esp32c3" | "qemu-esp32";

export interface VirtualBoardInfo {
  port: VirtualPort;
  /** The firmware image the process runs. */
  image: string;
  /** The full command line. */
  command: readonly string[];
  pid: number | undefined;
  /** Whether the board's instruction counts are exact (QEMU -icount shift=0). */
  exactCounts: boolean;
  /** What the process wrote on stderr so far (last 64 KiB): QEMU's complaints, sanitizer reports. */
  stderr(): string;
}

export interface VirtualBoard {
  stream: VirtualStream;
  /** Ends the process (EOF on stdin first, then SIGTERM, then SIGKILL) and waits for it. */
  close(): Promise<void>;
  info: VirtualBoardInfo;
  /** Settles when the process exits, for whatever reason. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LaunchOptions {
  /** Another firmware image than the default build output. */
  image?: string;
  /** Another emulator binary (QEMU launchers). */
  qemu?: string;
  /** Extra arguments for the emulator or executable. */
  extraArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** A virtual board cannot start; `fix` says what to run. */
export class VirtualBoardError extends Error {
  constructor(message: string, readonly code: "NO_IMAGE" | "NO_EMULATOR" | "BAD_IMAGE" | "SPAWN_FAILED", readonly fix: string) {
    super(`${message}; ${fix}`);
    this.name = "VirtualBoardError";
  }
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const FIRMWARE_BUILD = join(REPO, "build/firmware");

export const DEFAULT_IMAGES: Readonly<Record<VirtualPort, string>> = {
  host: join(FIRMWARE_BUILD, "host/mhr-host"),
  "host-asan": join(FIRMWARE_BUILD, "host-asan/mhr-host-asan"),
  "qemu-rv32": join(FIRMWARE_BUILD, "qemu-rv32/mhr.elf"),
  "qemu-lx106": join(FIRMWARE_BUILD, "qemu-lx106/mhr.elf"),
  "qemu-esp32c3": join(FIRMWARE_BUILD, "esp32c3/mhr.bin"),
  "qemu-esp32": join(FIRMWARE_BUILD, "esp32/mhr.bin"),
};

/**
 * The QEMU command line of each virtual board. The link is the guest's serial
 * port (rv32: the ns16550 UART) or semihosting console (lx106), on a plain
 * stdio chardev (-serial stdio): -nographic would multiplex the monitor onto
 * it, and its Ctrl-A escape would eat 0x01 bytes of the binary protocol.
 * lx106 has no UART on the sim machine: its semihosting SYS_read/SYS_write
 * on fds 0/1 reach QEMU's own stdin/stdout, so no serial chardev may be on
 * stdio there (-serial none), or it would steal the input bytes.
 */
export function qemuArgs(port: "qemu-rv32" | "qemu-lx106", image: string): string[] {
  const common = ["-display", "none", "-monitor", "none", "-serial", "stdio", "-icount", "shift=0"];
  if (port === "qemu-rv32") return ["-M", "virt", "-bios", "none", ...common, "-kernel", image];
  // -kernel would start lx106 at an illegal reset vector: the loader device starts it at the ELF entry.
  return ["-M", "sim", "-cpu", "lx106", "-semihosting", "-display", "none", "-monitor", "none", "-serial", "none", "-icount", "shift=0", "-device", `loader,file=${image},cpu-num=0`];
}

function which(cmd: string): boolean {
  const r = spawnSync(cmd, ["--version"], { stdio: "ignore" });
  return !r.error;
}

function requireImage(port: VirtualPort, image: string): void {
  if (!existsSync(image)) {
    const riscv = port === "qemu-rv32" || port === "qemu-esp32c3";
    throw new VirtualBoardError(`the ${port} firmware is not built (${image} is missing)`, "NO_IMAGE", "run `npm run build:firmware`" + (port.startsWith("qemu") ? ` (it needs the ${riscv ? "gcc-riscv64-unknown-elf and picolibc-riscv64-unknown-elf" : "gcc-xtensa-lx106 and picolibc-xtensa-lx106-elf"} Debian packages)` : ""));
  }
}

function requireQemu(bin: string): void {
  if (!which(bin)) throw new VirtualBoardError(`${bin} is not installed`, "NO_EMULATOR", "run `apt-get install qemu-system-misc` (or `bash scripts/setup.sh`)");
}

const STDERR_KEEP = 64 * 1024;

// Every emulator this process started and has not seen exit. A tool killed
// by a signal (a test's timeout sends SIGTERM) must not leave QEMU running:
// on exit they are killed, and a SIGTERM/SIGINT/SIGHUP that nothing else in
// the process handles kills them and ends the process as the default would.
const live = new Set<ChildProcessWithoutNullStreams>();
let reaperInstalled = false;
function reapOnExit(proc: ChildProcessWithoutNullStreams): void {
  live.add(proc);
  proc.once("exit", () => live.delete(proc));
  if (reaperInstalled) return;
  reaperInstalled = true;
  const killAll = (): void => {
    for (const p of live) p.kill("SIGKILL");
  };
  process.once("exit", killAll);
  for (const [sig, n] of [["SIGTERM", 15], ["SIGINT", 2], ["SIGHUP", 1]] as const) {
    const handler = (): void => {
      killAll();
      // Another handler (a daemon's graceful stop, a CLI's abort) owns the signal: leave the exit to it.
      if (process.listenerCount(sig) === 0) process.exit(128 + n);
    };
    process.prependOnceListener(sig, handler);
  }
}

function start(port: VirtualPort, image: string, cmd: string, args: string[], env: NodeJS.ProcessEnv | undefined, exactCounts: boolean, cleanup?: () => void): VirtualBoard {
  let proc: ChildProcessWithoutNullStreams;
  try {
    proc = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: env ?? process.env });
  } catch (e) {
    cleanup?.();
    throw new VirtualBoardError(`cannot start ${cmd}: ${(e as Error).message}`, "SPAWN_FAILED", "check the command and its permissions");
  }
  reapOnExit(proc);
  const listeners: ((chunk: Uint8Array) => void)[] = [];
  let err = "";
  proc.stdout.on("data", (b: Buffer) => {
    const chunk = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    for (const l of listeners) l(chunk);
  });
  proc.stderr.on("data", (b: Buffer) => {
    err += b.toString();
    if (err.length > STDERR_KEEP) err = err.slice(-STDERR_KEEP);
  });
  proc.stdin.on("error", () => undefined); // EPIPE after the process died: the client times out and reports it
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    proc.on("exit", (code, signal) => {
      cleanup?.();
      res({ code, signal });
    });
    proc.on("error", (e) => {
      err += `\n${(e as Error).message}`;
      cleanup?.();
      res({ code: null, signal: null });
    });
  });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.stdin.end();
      const term = setTimeout(() => proc.kill("SIGTERM"), port.startsWith("qemu") ? 0 : 1000);
      const kill = setTimeout(() => proc.kill("SIGKILL"), 4000);
      await exited;
      clearTimeout(term);
      clearTimeout(kill);
    })();
    return closing;
  };
  return {
    stream: {
      write: (bytes) => {
        if (proc.stdin.writable) proc.stdin.write(bytes);
      },
      onData: (cb) => {
        listeners.push(cb);
      },
    },
    close,
    exited,
    info: { port, image, command: [cmd, ...args], pid: proc.pid, exactCounts, stderr: () => err },
  };
}

/** The wasm2c VM compiled for this machine (`sanitized`: the ASan/UBSan build). */
export function launchNative(opts: LaunchOptions & { sanitized?: boolean } = {}): VirtualBoard {
  const port: VirtualPort = opts.sanitized ? "host-asan" : "host";
  const image = opts.image ?? DEFAULT_IMAGES[port];
  requireImage(port, image);
  const env = opts.sanitized ? { ...(opts.env ?? process.env), ASAN_OPTIONS: "detect_leaks=0" } : opts.env;
  return start(port, image, image, [...(opts.extraArgs ?? [])], env, false);
}

/** The RV32IMC build on qemu-system-riscv32 -M virt (exact rdinstret/rdcycle with -icount shift=0). */
export function launchQemuRv32(opts: LaunchOptions = {}): VirtualBoard {
  const image = opts.image ?? DEFAULT_IMAGES["qemu-rv32"];
  const qemu = opts.qemu ?? "qemu-system-riscv32";
  requireImage("qemu-rv32", image);
  requireQemu(qemu);
  return start("qemu-rv32", image, qemu, [...qemuArgs("qemu-rv32", image), ...(opts.extraArgs ?? [])], opts.env, true);
}

/** The Xtensa lx106 build on qemu-system-xtensa -M sim (semihosting console as the link, CCOUNT as the counter). */
export function launchQemuLx106(opts: LaunchOptions = {}): VirtualBoard {
  const image = opts.image ?? DEFAULT_IMAGES["qemu-lx106"];
  const qemu = opts.qemu ?? "qemu-system-xtensa";
  requireImage("qemu-lx106", image);
  requireQemu(qemu);
  return start("qemu-lx106", image, qemu, [...qemuArgs("qemu-lx106", image), ...(opts.extraArgs ?? [])], opts.env, false);
}

/** Espressif's QEMU for each emulated chip: the variable naming the binary, its machine, its system name. */
export const ESP_QEMU: Readonly<Record<"qemu-esp32c3" | "qemu-esp32", { chip: EspChip; env: string; machine: string; binary: string }>> = {
  "qemu-esp32c3": { chip: "esp32c3", env: "MHR_ESP_QEMU_RISCV32", machine: "esp32c3", binary: "qemu-system-riscv32" },
  "qemu-esp32": { chip: "esp32", env: "MHR_ESP_QEMU_XTENSA", machine: "esp32", binary: "qemu-system-xtensa" },
};

/** Size of the emulated flash chip (the boards' 4 MB parts; the flash file must be exactly this long). */
export const ESP_QEMU_FLASH_BYTES = 4 * 1024 * 1024;

const machineCache = new Map<string, boolean>();
function hasMachine(bin: string, machine: string): boolean {
  const key = `${bin}\0${machine}`;
  let ok = machineCache.get(key);
  if (ok === undefined) {
    const r = spawnSync(bin, ["-machine", "help"], { encoding: "utf8" });
    ok = !r.error && r.status === 0 && new RegExp(`^${machine}\\s`, "m").test(r.stdout);
    machineCache.set(key, ok);
  }
  return ok;
}

/**
 * The Espressif QEMU binary for a chip board, or why there is none, in one
 * line. The project never builds, downloads or ships it: the user installs
 * Espressif's QEMU and names it in the environment.
 */
export function espQemuStatus(port: "qemu-esp32c3" | "qemu-esp32", env: NodeJS.ProcessEnv = process.env): { ok: true; qemu: string } | { ok: false; reason: string; fix: string } {
  const q = ESP_QEMU[port];
  const bin = env[q.env];
  const fix = `install Espressif's QEMU and set ${q.env} to its ${q.binary} (README "Real chips")`;
  if (!bin) return { ok: false, reason: `${port}: Espressif's QEMU is not installed`, fix };
  if (!which(bin)) return { ok: false, reason: `${port}: Espressif's QEMU is not installed (${q.env}=${bin} does not run)`, fix };
  if (!hasMachine(bin, q.machine)) return { ok: false, reason: `${port}: ${q.env}=${bin} has no "${q.machine}" machine, so it is not Espressif's QEMU`, fix };
  return { ok: true, qemu: bin };
}

/** The flash file: erased (0xFF) flash of the board's size with the image at the chip's ROM boot offset. */
export function espFlashFile(chip: EspChip, image: Uint8Array, flashBytes = ESP_QEMU_FLASH_BYTES): Uint8Array {
  const offset = ROM_BOOT_OFFSET[chip];
  if (offset + image.length > flashBytes) throw new VirtualBoardError(`the ${chip} image (${image.length} B at 0x${offset.toString(16)}) does not fit ${flashBytes} B of flash`, "BAD_IMAGE", "rebuild with `npm run build:firmware`");
  const flash = new Uint8Array(flashBytes).fill(0xff);
  flash.set(image, offset);
  return flash;
}

/**
 * The QEMU command line of a chip board. The link is UART0 on a plain stdio
 * chardev (the ROM's boot banner arrives first; the protocol's framing skips
 * it). No -icount: these machines hang before the ROM banner with shift=0,
 * and the counters are not used for calibration here anyway.
 */
export function espQemuArgs(port: "qemu-esp32c3" | "qemu-esp32", flashFile: string): string[] {
  return ["-M", ESP_QEMU[port].machine, "-display", "none", "-monitor", "none", "-serial", "stdio", "-nic", "none", "-drive", `file=${flashFile},if=mtd,format=raw`];
}

/** A bare-metal chip image booted by the chip's ROM in Espressif's QEMU. */
export function launchEspQemu(port: "qemu-esp32c3" | "qemu-esp32", opts: LaunchOptions = {}): VirtualBoard {
  const q = ESP_QEMU[port];
  const image = opts.image ?? DEFAULT_IMAGES[port];
  requireImage(port, image);
  let qemu = opts.qemu;
  if (qemu === undefined) {
    const st = espQemuStatus(port, opts.env ?? process.env);
    if (!st.ok) throw new VirtualBoardError(st.reason, "NO_EMULATOR", st.fix);
    qemu = st.qemu;
  } else requireQemu(qemu);
  const bytes = new Uint8Array(readFileSync(image));
  try {
    parseEspImage(bytes, { chip: q.chip, what: image });
  } catch (e) {
    throw new VirtualBoardError((e as Error).message, "BAD_IMAGE", "rebuild with `npm run build:firmware`");
  }
  const dir = mkdtempSync(join(tmpdir(), `mhr-${port}-`));
  const flashFile = join(dir, "flash.bin");
  writeFileSync(flashFile, espFlashFile(q.chip, bytes));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  return start(port, image, qemu, [...espQemuArgs(port, flashFile), ...(opts.extraArgs ?? [])], opts.env, false, cleanup);
}

/** One launcher by port name. */
export function launchVirtual(port: VirtualPort, opts: LaunchOptions = {}): VirtualBoard {
  switch (port) {
    case "host": return launchNative(opts);
    case "host-asan": return launchNative({ ...opts, sanitized: true });
    case "qemu-rv32": return launchQemuRv32(opts);
    case "qemu-lx106": return launchQemuLx106(opts);
    case "qemu-esp32c3":
    case "qemu-esp32": return launchEspQemu(port, opts);
  }
}
