/**
 * The bare-metal chip ports (firmware/ports/esp32c3, firmware/ports/esp32),
 * built into a temp dir from the committed generated C exactly as `npm run
 * build:firmware` builds them:
 *  - each ELF's memory map fits its chip: every section in an internal-SRAM
 *    window of the right bus, clear of the ROM's stack and data, no aliasing;
 *  - the ROM-loaded image parses strictly and carries exactly the ELF's
 *    loadable bytes and entry point;
 *  - `mhr flash` writes exactly the image at the ROM boot offset of the
 *    ROM-loader TEST DOUBLE (in-process through flashBoard, and the CLI over a
 *    socat pty pair);
 *  - with Espressif's QEMU named by MHR_ESP_QEMU_RISCV32 / MHR_ESP_QEMU_XTENSA,
 *    the chip's own ROM boots the image from a flash file and it answers on
 *    the board protocol (skipped, with the reason, without them).
 */
import { execFile, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { SerialPort } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENERATED, PORTS, REPO, haveTool, type Port } from "../../../scripts/build-firmware.ts";
import { getBoard } from "../../src/boards/profiles.ts";
import { createReferenceEngine } from "../../src/engines/reference-engine.ts";
import { type FirmwareImage, firmwareImageFromElf } from "../../src/flash/esp-firmware.ts";
import { ESP_MEMORY, checkPlacements, windowOf } from "../../src/flash/esp-memory.ts";
import { ROM_BOOT_OFFSET, parseEspImage } from "../../src/flash/esp-image.ts";
import { flashBoard } from "../../src/flash/flash.ts";
import { BoardClient } from "../../src/protocol/client.ts";
import { memorySerial } from "../../src/serial/web-serial-adapter.ts";
import { DEFAULT_IMAGES, ESP_QEMU, espFlashFile, espQemuArgs, espQemuStatus, launchVirtual } from "../../src/virtual/index.ts";
import { RomLoaderDouble, sameBytes } from "../fixtures/rom-loader-double.ts";
import { startSocat } from "../fixtures/socat-pty.ts";
import { LOOP } from "./jobs.ts";

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "mhr-chips-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const CHIP_PORTS = PORTS.filter((p): p is Port & { image: NonNullable<Port["image"]> } => p.image !== undefined);
const BOARD = { esp32c3: "esp32-c3-devkitm-1", esp32: "esp32-devkitc" } as const;
const QEMU_BOARD = { esp32c3: "qemu-esp32c3", esp32: "qemu-esp32" } as const;
const built = new Map<string, { elf: string; image: string; fw: FirmwareImage }>();
const buildErrors = new Map<string, string>();
const buildId = /MHR_VM_BUILD_ID "([0-9a-f]+)"/.exec(readFileSync(join(GENERATED, "mhr_vm.h"), "utf8"))?.[1];
const vmMemory = Number(/MHR_VM_MEMORY_BYTES (\d+)u/.exec(readFileSync(join(GENERATED, "mhr_vm.h"), "utf8"))?.[1]);

beforeAll(async () => {
  await Promise.all(CHIP_PORTS.filter((p) => haveTool(p.cc)).map(async (p) => {
    const dir = join(work, p.name);
    mkdirSync(dir, { recursive: true });
    const elf = join(dir, p.out);
    try {
      await run(p.cc, [...p.args(), "-o", elf], { maxBuffer: 16 << 20 });
      const fw = firmwareImageFromElf(new Uint8Array(readFileSync(elf)), p.image.chip, elf);
      const image = join(dir, p.image.file);
      writeFileSync(image, fw.image);
      built.set(p.name, { elf, image, fw });
    } catch (e) {
      buildErrors.set(p.name, (e as { stderr?: string }).stderr || String(e));
    }
  }));
}, 300_000);

function get(name: string): { elf: string; image: string; fw: FirmwareImage } {
  const b = built.get(name);
  if (!b) expect.fail(`${name} did not build:\n${buildErrors.get(name)}`);
  return b;
}

describe("bare-metal chip images", () => {
  for (const p of CHIP_PORTS) {
    const chip = p.image.chip;
    const missing = haveTool(p.cc) ? "" : ` (skipped: apt-get install ${p.pkg})`;

    it.skipIf(missing !== "")(`${chip}: the ELF memory map fits the chip: IRAM/DRAM windows only, clear of the ROM's memory${missing}`, () => {
      const { fw } = get(p.name);
      const alloc = fw.placements;
      expect(checkPlacements(chip, alloc)).toEqual([]);
      expect(alloc.map((s) => s.name).sort()).toEqual([".bss", ".rodata", ".stack", ".text"].filter((n) => alloc.some((s) => s.name === n)).sort());
      for (const s of alloc) {
        const w = windowOf(chip, s.start, s.size);
        expect(w?.kind, s.name).toBe("sram");
        expect(w?.bus, s.name).toBe(s.executable ? "instruction" : "data");
        for (const r of ESP_MEMORY[chip].reserved) {
          if (w?.bus === "data" && !(r.freeAfterBoot && !s.loaded)) expect(s.start + s.size <= r.start || s.start >= r.end, `${s.name} vs ${r.why}`).toBe(true);
        }
      }
      const text = alloc.find((s) => s.name === ".text")!;
      expect(text.executable && text.loaded).toBe(true);
      const bss = alloc.find((s) => s.name === ".bss")!;
      expect(bss.loaded).toBe(false);
      expect(bss.size, "the VM's linear memory is in .bss").toBeGreaterThanOrEqual(vmMemory);
      expect(alloc.find((s) => s.name === ".stack")!.size).toBeGreaterThanOrEqual(16 * 1024);
    });

    it.skipIf(missing !== "")(`${chip}: the ROM-loaded image parses strictly and holds exactly the ELF's loadable bytes${missing}`, () => {
      const { fw, image } = get(p.name);
      const bytes = new Uint8Array(readFileSync(image));
      const parsed = parseEspImage(bytes, { chip });
      expect(parsed.entry).toBe(fw.elf.entry);
      expect(parsed.digest).not.toBeNull();
      const loads = fw.elf.segments.filter((s) => s.data.length > 0).sort((a, b) => a.vaddr - b.vaddr);
      expect(parsed.segments.map((s) => s.address)).toEqual(loads.map((s) => s.vaddr));
      for (const [i, s] of loads.entries()) expect(sameBytes(parsed.segments[i].data.subarray(0, s.data.length), s.data)).toBe(true);
      expect(fw.offset).toBe(ROM_BOOT_OFFSET[chip]);
      expect(bytes.length).toBeLessThan(128 * 1024);
    });

    it.skipIf(missing !== "")(`${BOARD[chip]}: flashBoard writes exactly the image at 0x${ROM_BOOT_OFFSET[chip].toString(16)} of the ROM-loader double${missing}`, async () => {
      const { image } = get(p.name);
      const bytes = new Uint8Array(readFileSync(image));
      const double = new RomLoaderDouble({ chip });
      const port = memorySerial(double, { usbInfo: { usbVendorId: 0x10c4, usbProductId: 0xea60 }, name: `double:${chip}` });
      const report = await flashBoard({ board: getBoard(BOARD[chip]), port, imageFile: image });
      try {
        const offset = ROM_BOOT_OFFSET[chip];
        expect(report.images).toEqual([expect.objectContaining({ offset, size: bytes.length, file: image })]);
        expect(sameBytes(double.read(offset, bytes.length), bytes)).toBe(true);
        expect(double.flash.subarray(0, offset).every((b) => b === 0xff)).toBe(true);
        expect(double.flash.subarray(offset + bytes.length).every((b) => b === 0xff)).toBe(true);
      } finally {
        await report.port.close();
      }
    });
  }

  it("WRONG_CHIP: the ESP32 image is refused for the ESP32-C3 board before connecting", async () => {
    const b = built.get("esp32");
    if (!b) return;
    await expect(flashBoard({ board: getBoard("esp32-c3-devkitm-1"), port: "/dev/ttyMHR-missing", imageFile: b.image })).rejects.toMatchObject({ code: "WRONG_CHIP", message: expect.stringMatching(/the image is for esp32 \(chip id 0x0\), not esp32c3/) });
  });

  it("IMAGE_INVALID: a damaged image is refused before connecting", async () => {
    const b = built.get("esp32c3");
    if (!b) return;
    const bytes = new Uint8Array(readFileSync(b.image));
    bytes[100] ^= 1;
    const bad = join(work, "damaged.bin");
    writeFileSync(bad, bytes);
    await expect(flashBoard({ board: getBoard("esp32-c3-devkitm-1"), port: "/dev/ttyMHR-missing", imageFile: bad })).rejects.toMatchObject({ code: "IMAGE_INVALID", message: expect.stringMatching(/BAD_CHECKSUM.*npm run build:firmware/) });
  });
});

// ---- the CLI over a socat pty pair ---------------------------------------------------

const socatMissing = spawnSync("sh", ["-c", "command -v socat"], { encoding: "utf8" }).status !== 0;


function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(REPO, "bin/mhr.mjs"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(socatMissing)("mhr flash --board <chip board> over a pty (the CLI, real serialport path)", () => {
  for (const p of CHIP_PORTS) {
    const chip = p.image.chip;
    it.skipIf(!haveTool(p.cc))(`mhr flash --board ${BOARD[chip]} writes exactly the ${chip} image at 0x${ROM_BOOT_OFFSET[chip].toString(16)}`, async () => {
      const { image } = get(p.name);
      const bytes = new Uint8Array(readFileSync(image));
      const pty = await startSocat();
      const double = new RomLoaderDouble({ chip, startInDownloadMode: true });
      const dev = new SerialPort({ path: pty.device, baudRate: 115200, autoOpen: false });
      try {
        await new Promise<void>((res, rej) => dev.open((e) => (e ? rej(e) : res())));
        dev.on("data", (chunk: Buffer) => double.receive(new Uint8Array(chunk), double.baud));
        double.attach((data) => {
          if (dev.isOpen) dev.write(Buffer.from(data));
        });
        const r = await cli(["flash", "--board", BOARD[chip], "--port", pty.host, "--image", image]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toMatch(new RegExp(`flashed ${BOARD[chip]} on ${pty.host}: .*1 image, .* MD5 verified`));
        expect(r.stderr).toMatch(new RegExp(`0x${ROM_BOOT_OFFSET[chip].toString(16).padStart(5, "0")} +${bytes.length} B`));
        expect(sameBytes(double.read(ROM_BOOT_OFFSET[chip], bytes.length), bytes)).toBe(true);
        expect(double.flash.subarray(0, ROM_BOOT_OFFSET[chip]).every((b) => b === 0xff)).toBe(true);
      } finally {
        if (dev.isOpen) await new Promise<void>((res) => dev.close(() => res()));
        pty.proc.kill("SIGTERM");
      }
    }, 120_000);
  }

  it("--build and --firmware bare-metal do not go together", async () => {
    const r = await cli(["flash", "--board", "esp32-devkitc", "--port", "/dev/ttyMHR-missing", "--firmware", "bare-metal", "--build", work]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("mhr: error: --build names an ESP-IDF build: it does not go with --firmware bare-metal");
  });
});

// ---- Espressif's QEMU (installed by the user, never by this project) -----------------------

describe("the chip's ROM boots the image in Espressif's QEMU", () => {
  for (const p of CHIP_PORTS) {
    const chip = p.image.chip;
    const board = QEMU_BOARD[chip];
    const st = espQemuStatus(board);
    const why = !haveTool(p.cc) ? `apt-get install ${p.pkg}` : st.ok ? "" : `${st.reason}; ${st.fix}`;
    if (why) console.warn(`chip-images.test.ts: skipping the ${board} boot: ${why}`);

    it.skipIf(why !== "")(`${board}: HELLO after the ROM banner, and a RUN gives the reference's result bytes${why ? ` (skipped: ${why})` : ""}`, async () => {
      const { image } = get(p.name);
      const vb = launchVirtual(board, { image });
      const client = new BoardClient(vb.stream, { timeoutMs: 20_000, retries: 0 });
      const reference = createReferenceEngine();
      try {
        const hello = await client.hello();
        expect(hello).toMatchObject({ port: chip, chip, buildId });
        expect(hello.features.vmReady).toBe(true);
        expect(hello.features.instret).toBe(false);
        expect(hello.cpuHz).toBeGreaterThan(0);
        const job = LOOP(200n);
        const reply = await client.run(job);
        const want = await reference.run(job);
        expect(Buffer.from(reply.resultBytes).toString("hex")).toBe(Buffer.from(want.resultBytes).toString("hex"));
        expect(reply.cycles).toBeGreaterThan(0);
      } finally {
        client.close();
        await reference.close();
        await vb.close();
      }
    }, 120_000);

    const haveBuild = (() => {
      try {
        return readFileSync(DEFAULT_IMAGES[board]).length > 0;
      } catch {
        return false;
      }
    })();
    it.skipIf(why !== "" || !haveBuild)(`mhr conform --board ${board} passes the arithmetic vectors${why ? ` (skipped: ${why})` : haveBuild ? "" : " (skipped: run npm run build:firmware)"}`, async () => {
      const out = mkdtempSync(join(work, "conform-"));
      const r = await cli(["conform", "--board", board, "--filter", "arithmetic/", "--out", out, "--no-progress"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(join(out, `${board}.json`), "utf8")) as { summary: { total: number; passed: number; failed: number } };
      expect(report.summary.failed).toBe(0);
      expect(report.summary.passed).toBe(report.summary.total);
      expect(report.summary.total).toBeGreaterThan(100);
    }, 300_000);
  }

  for (const p of CHIP_PORTS) {
    const chip = p.image.chip;
    const board = QEMU_BOARD[chip];
    const st = espQemuStatus(board);
    const why = !haveTool(p.cc) ? `apt-get install ${p.pkg}` : !st.ok ? `${st.reason}; ${st.fix}` : "";
    // The real-board path: the emulated chip's UART0 on a pty, reached by `mhr conform --board <real board> --port`.
    it.skipIf(why !== "")(`mhr conform --board ${BOARD[chip]} --port <the emulated chip's UART0 pty> runs vectors over serialport${why ? ` (skipped: ${why})` : ""}`, async () => {
      const { image } = get(p.name);
      const dir = mkdtempSync(join(work, `pty-${chip}-`));
      const flash = join(dir, "flash.bin");
      writeFileSync(flash, espFlashFile(chip, new Uint8Array(readFileSync(image))));
      const args = espQemuArgs(board, flash).map((a, i, all) => (all[i - 1] === "-serial" ? "pty" : a));
      const qemu = spawn(st.ok ? st.qemu : "false", args, { stdio: ["ignore", "pipe", "pipe"] });
      try {
        const pty = await new Promise<string>((resolve, reject) => {
          let text = "";
          const timer = setTimeout(() => reject(new Error(`${ESP_QEMU[board].binary} named no pty: ${text}`)), 10_000);
          const seen = (d: Buffer): void => {
            text += d.toString();
            const m = /char device redirected to (\/dev\/pts\/\d+)/.exec(text);
            if (m) {
              clearTimeout(timer);
              resolve(m[1]);
            }
          };
          qemu.stdout.on("data", seen);
          qemu.stderr.on("data", seen);
          qemu.on("exit", (code) => reject(new Error(`QEMU exited (${code}): ${text}`)));
        });
        const out = mkdtempSync(join(work, "conform-pty-"));
        const r = await cli(["conform", "--board", BOARD[chip], "--port", pty, "--filter", "arithmetic/add/", "--out", out, "--no-progress"]);
        expect(r.code, r.stdout + r.stderr).toBe(0);
        const report = JSON.parse(readFileSync(join(out, `${BOARD[chip]}.json`), "utf8")) as { summary: { total: number; passed: number; failed: number } };
        expect(report.summary).toMatchObject({ failed: 0 });
        expect(report.summary.passed).toBe(report.summary.total);
        expect(report.summary.total).toBeGreaterThan(50);
      } finally {
        qemu.kill("SIGTERM");
        await new Promise((res) => (qemu.exitCode !== null || qemu.signalCode !== null ? res(null) : qemu.once("exit", res)));
      }
    }, 300_000);
  }

  it("without the variables each board is 'not installed', in one line", () => {
    for (const board of ["qemu-esp32c3", "qemu-esp32"] as const) {
      const st = espQemuStatus(board, {});
      expect(st.ok).toBe(false);
      if (!st.ok) {
        expect(st.reason).toBe(`${board}: Espressif's QEMU is not installed`);
        expect(st.fix).toMatch(/^install Espressif's QEMU and set MHR_ESP_QEMU_(RISCV32|XTENSA) to its qemu-system-(riscv32|xtensa)/);
      }
    }
    // Debian's QEMU has no such machines: named by the variable, it is refused for what it is.
    if (haveTool("qemu-system-riscv32")) {
      const st = espQemuStatus("qemu-esp32c3", { MHR_ESP_QEMU_RISCV32: "qemu-system-riscv32" });
      if (!st.ok) expect(st.reason).toMatch(/has no "esp32c3" machine, so it is not Espressif's QEMU/);
    }
  });
});
