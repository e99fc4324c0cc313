/**
 * Board commands: `mhr boards`, `mhr ports`, `mhr flash`, `mhr monitor`.
 */
import { Option, type Command } from "commander";
import cliProgress from "cli-progress";
import { type BoardProfile, BoardProfileError, ESPTOOL_CHIP_NAME, getBoard, hex4, loadBoards } from "../../boards/profiles.ts";
// esptool-js and serialport load only when a command needs them: `mhr asm` starts without them.
import { FlashError } from "../../flash/errors.ts";
import type { FlashProgress } from "../../flash/flash.ts";
import { formatTable } from "../../model/table.ts";
import { UserError } from "../../model/errors.ts";
import { examples, positiveInt } from "../options.ts";

function toUserError(err: unknown): unknown {
  if (err instanceof FlashError) return new UserError(`${err.code}: ${err.message}`, 1);
  if (err instanceof BoardProfileError) return new UserError(err.message, 1);
  return err;
}

function board(name: string): BoardProfile {
  try {
    return getBoard(name);
  } catch (err) {
    throw toUserError(err);
  }
}

function mhz(hz: number | null): string {
  return hz === null ? "-" : `${hz / 1_000_000} MHz`;
}

export function formatBoardsTable(boards: BoardProfile[]): string {
  const rows = boards.map((b) => [
    b.name,
    b.chip ? `${ESPTOOL_CHIP_NAME[b.chip]}${b.serial === null ? " (emulated)" : ""}` : b.port === "host" ? "-" : "(virtual)",
    b.port,
    mhz(b.cpuClockHz),
    b.flashSize ?? "-",
    b.serial?.reset ?? "-",
    b.serial?.usb.map((u) => `${hex4(u.vid)}:${hex4(u.pid)}`).join(" ") || "-",
  ]);
  return formatTable(["BOARD", "CHIP", "PORT", "CPU", "FLASH", "RESET", "USB VID:PID"], rows);
}

function jsonBoards(boards: BoardProfile[]): unknown[] {
  return boards.map((b) => ({
    ...b,
    serial: b.serial && {
      ...b.serial,
      usb: b.serial.usb.map((u) => ({ vid: hex4(u.vid), pid: hex4(u.pid), note: u.note })),
    },
  }));
}

function kib(n: number): string {
  return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KiB`;
}

interface FlashCliOptions {
  board: string;
  port: string;
  firmware?: string;
  image?: string;
  build?: string;
  baud?: number;
  monitor?: boolean;
  verbose?: boolean;
}

interface MonitorCliOptions {
  port: string;
  baud?: number;
  board?: string;
}

function progressReporter(): { onProgress: (p: FlashProgress) => void; stop: () => void } {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | null = null;
  let lastImage = -1;
  return {
    onProgress: (p) => {
      if (!tty) {
        if (p.imageIndex !== lastImage) {
          lastImage = p.imageIndex;
          process.stderr.write(`writing image ${p.imageIndex + 1}/${p.imageCount} at 0x${p.offset.toString(16)} (${kib(p.imageBytes)})\n`);
        }
        return;
      }
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            format: "flashing |{bar}| {percentage}% {doneKiB}/{totalKiB} KiB  image {image} at {offset}",
            stream: process.stderr,
            hideCursor: true,
            clearOnComplete: false,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(p.total, 0, {
          doneKiB: "0",
          totalKiB: (p.total / 1024).toFixed(0),
          image: `${p.imageIndex + 1}/${p.imageCount}`,
          offset: `0x${p.offset.toString(16)}`,
        });
      }
      bar.update(p.done, {
        doneKiB: (p.done / 1024).toFixed(0),
        totalKiB: (p.total / 1024).toFixed(0),
        image: `${p.imageIndex + 1}/${p.imageCount}`,
        offset: `0x${p.offset.toString(16)}`,
      });
    },
    stop: () => {
      bar?.stop();
      bar = null;
    },
  };
}

function onCtrlC(): AbortController {
  const ac = new AbortController();
  const handler = (): void => ac.abort();
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
  ac.signal.addEventListener("abort", () => {
    process.removeListener("SIGINT", handler);
    process.removeListener("SIGTERM", handler);
  });
  return ac;
}

const toStdout = (chunk: Uint8Array): void => {
  process.stdout.write(chunk);
};

export function registerBoardCommands(program: Command): void {
  examples(program
    .command("boards")
    .description("list the board profiles (boards/*.json)")
    .option("--json", "print the parsed profiles as JSON")
    .action((opts: { json?: boolean }) => {
      let boards: BoardProfile[];
      try {
        boards = loadBoards();
      } catch (err) {
        throw toUserError(err);
      }
      process.stdout.write(opts.json ? `${JSON.stringify(jsonBoards(boards), null, 2)}\n` : `${formatBoardsTable(boards)}\n`);
    }),
  "mhr boards",
  "mhr boards --json");

  examples(program
    .command("ports")
    .description("list attached serial ports and the boards whose USB ids match")
    .option("--json", "print as JSON")
    .action(async (opts: { json?: boolean }) => {
      let ports;
      try {
        const { listPorts } = await import("../../flash/ports.ts");
        ports = await listPorts();
      } catch (err) {
        throw toUserError(err);
      }
      if (opts.json) {
        const out = ports.map((p) => ({ ...p, vid: p.vid === null ? null : hex4(p.vid), pid: p.pid === null ? null : hex4(p.pid) }));
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        const { formatPortsTable } = await import("../../flash/ports.ts");
      process.stdout.write(`${formatPortsTable(ports)}\n`);
      }
    }),
  "mhr ports",
  "mhr ports --json");

  examples(program
    .command("flash")
    .description("flash a board (compressed write, MD5 verified), then reset into the firmware: the bare-metal image of `npm run build:firmware` by default, or an ESP-IDF build")
    .requiredOption("--board <name>", "board profile (see `mhr boards`)")
    .requiredOption("--port <path>", "serial port (see `mhr ports`)")
    .addOption(new Option("--firmware <kind>", "bare-metal: build/firmware/<chip>/mhr.bin at the ROM boot offset; esp-idf: an ESP-IDF build (default: esp-idf with --build, else bare-metal)").choices(["bare-metal", "esp-idf"]))
    .option("--image <file>", "another bare-metal image than the build output (implies --firmware bare-metal)")
    .option("--build <dir>", "ESP-IDF build directory (implies --firmware esp-idf; default: the profile's build.buildDir)")
    .addOption(new Option("--baud <n>", "baud rate for the write once the stub runs (default: the profile's flashBaud)").argParser(positiveInt))
    .option("--monitor", "after flashing, stay on the port and print what the board says (Ctrl-C to quit)")
    .option("-v, --verbose", "print esptool's progress lines")
    .action(async (opts: FlashCliOptions) => {
      const b = board(opts.board);
      const firmware = (opts.firmware ?? (opts.build !== undefined ? "esp-idf" : "bare-metal")) as "bare-metal" | "esp-idf";
      if (firmware === "bare-metal" && opts.build !== undefined) throw new UserError("--build names an ESP-IDF build: it does not go with --firmware bare-metal", 2);
      if (firmware === "esp-idf" && opts.image !== undefined) throw new UserError("--image names a bare-metal image: it does not go with --firmware esp-idf", 2);
      const progress = progressReporter();
      const log = opts.verbose ? (line: string): void => void process.stderr.write(`  ${line}\n`) : undefined;
      let report;
      try {
        const { flashBoard } = await import("../../flash/flash.ts");
        report = await flashBoard({ board: b, port: opts.port, firmware, buildDir: opts.build, imageFile: opts.image, baud: opts.baud, onProgress: progress.onProgress, log });
      } catch (err) {
        progress.stop();
        throw toUserError(err);
      }
      progress.stop();
      const secs = (report.elapsedMs / 1000).toFixed(1);
      process.stderr.write(
        `flashed ${report.board} on ${report.portName}: ${report.description}, MAC ${report.mac}; ` +
          `${report.images.length} image${report.images.length === 1 ? "" : "s"}, ${kib(report.bytesWritten)} in ${secs} s at ${report.flashBaud} baud, MD5 verified` +
          `${report.resetIntoApp ? "; reset into the app" : "; press EN to start the app"}\n`,
      );
      for (const img of report.images) {
        process.stderr.write(`  0x${img.offset.toString(16).padStart(5, "0")}  ${String(img.size).padStart(8)} B  md5 ${img.md5}  ${img.file ?? ""}\n`);
      }
      if (!opts.monitor) {
        await report.port.close();
        return;
      }
      process.stderr.write(`--- monitor on ${report.portName} at ${report.consoleBaud} baud; Ctrl-C to quit ---\n`);
      const ac = onCtrlC();
      try {
        const { monitorPort } = await import("../../flash/monitor.ts");
        await monitorPort(report.port, { write: toStdout, signal: ac.signal });
      } finally {
        ac.abort();
        await report.port.close();
      }
    }),
  "mhr flash --board esp32-c3-devkitm-1 --port /dev/ttyACM0",
  "mhr flash --board esp32-devkitc --port /dev/ttyUSB0 --build firmware/build --monitor");

  examples(program
    .command("monitor")
    .description("print what a board sends on a serial port until Ctrl-C (does not reset the board)")
    .requiredOption("--port <path>", "serial port (see `mhr ports`)")
    .addOption(new Option("--baud <n>", "baud rate (default: the board's console baud, else 115200)").argParser(positiveInt))
    .option("--board <name>", "board profile, for its console baud rate")
    .action(async (opts: MonitorCliOptions) => {
      const baud = opts.baud ?? (opts.board ? board(opts.board).serial?.baud : undefined) ?? 115200;
      const ac = onCtrlC();
      process.stderr.write(`--- monitor on ${opts.port} at ${baud} baud; Ctrl-C to quit ---\n`);
      try {
        const { runMonitor } = await import("../../flash/monitor.ts");
        await runMonitor({ port: opts.port, baud, write: toStdout, signal: ac.signal });
      } catch (err) {
        throw toUserError(err);
      } finally {
        ac.abort();
      }
    }),
  "mhr monitor --port /dev/ttyUSB0",
  "mhr monitor --port /dev/ttyACM0 --board esp32-c3-devkitm-1");
}
