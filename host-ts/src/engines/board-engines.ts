/**
 * Engines that run jobs on boards over the board protocol: the native host
 * build (stdio), virtual boards under QEMU (their serial on stdio), and real
 * ESP32 boards over a serial port. The harness starts and stops virtual
 * boards itself, so `--board qemu-rv32` needs nothing but the built firmware.
 */
import { SerialPort } from "serialport";
import { BoardClient, type ByteStream } from "../protocol/client.ts";
import { createLinkEngine } from "../protocol/link-engine.ts";
import { withFaults, type FaultOptions } from "../protocol/faults.ts";
import type { HelloInfo } from "../protocol/messages.ts";
import { launchVirtual, VirtualBoardError, type VirtualPort } from "../virtual/index.ts";
import { getBoard, type BoardProfile } from "../boards/profiles.ts";
import { CliError } from "../cli/errors.ts";
import type { Engine } from "./engine.ts";

export interface BoardEngineOptions {
  /** Serial port path for boards on port "esp-idf". */
  port?: string;
  /** Inject link faults (tests, `mhr conform --faults`). */
  faults?: FaultOptions;
  /** Ask the board for the final state after each run. */
  fetchState?: boolean;
  /** Use the ASan/UBSan build of the native port. */
  sanitized?: boolean;
}

export type BoardEngine = Engine & { hello(): Promise<HelloInfo>; board: BoardProfile; client: BoardClient };

function serialStream(path: string, baud: number): Promise<{ stream: ByteStream; close: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const sp = new SerialPort({ path, baudRate: baud, autoOpen: false });
    sp.open((err) => {
      if (err) {
        const m = err.message;
        reject(new CliError(/ENOENT|No such file/.test(m) ? `serial port ${path} does not exist (see \`mhr ports\`)` : /busy|lock/i.test(m) ? `serial port ${path} is busy (close the other program using it)` : `cannot open ${path}: ${m}`));
        return;
      }
      resolve({
        stream: { write: (b) => { sp.write(Buffer.from(b)); }, onData: (cb) => { sp.on("data", (d: Buffer) => cb(new Uint8Array(d))); } },
        close: () => new Promise((r) => (sp.isOpen ? sp.close(() => r()) : r())),
      });
    });
  });
}

/** Creates an engine for a board profile name (boards/*.json) or a port name (host, qemu-rv32, qemu-lx106). */
export async function createBoardEngine(boardName: string, opts: BoardEngineOptions = {}): Promise<BoardEngine> {
  const board = getBoard(boardName);
  let stream: ByteStream;
  let shutdown: () => Promise<void>;
  // Virtual boards run under -icount and a busy CI machine: give long jobs time.
  let runTimeoutMs = 30_000;
  let bytesPerSecond = 10_000_000;
  if (board.port === "esp-idf") {
    if (!opts.port) throw new CliError(`board ${board.name} is a real board: give its serial port with --port (see \`mhr ports\`)`);
    const baud = board.serial?.baud ?? 115200;
    const s = await serialStream(opts.port, baud);
    stream = s.stream;
    shutdown = s.close;
    bytesPerSecond = baud / 10;
    runTimeoutMs = 60_000;
  } else {
    const port: VirtualPort = board.port === "host" ? (opts.sanitized ? "host-asan" : "host") : board.port;
    let vb;
    try {
      vb = launchVirtual(port);
    } catch (e) {
      if (e instanceof VirtualBoardError) throw new CliError(e.message);
      throw e;
    }
    stream = vb.stream;
    shutdown = () => vb.close();
  }
  if (opts.faults) stream = withFaults(stream, opts.faults);
  // A lost reply costs one timeout before the retry: short where replies are immediate (native),
  // longer where the emulator or a real UART adds latency.
  // Under --faults (a test rig, not production jobs) damaged replies are the norm: retry sooner.
  const timeoutMs = opts.faults
    ? (board.port === "host" ? 150 : board.port === "esp-idf" ? 1000 : 3000)
    : (board.port === "host" ? 1500 : board.port === "esp-idf" ? 3000 : 10_000);
  if (opts.faults) runTimeoutMs = timeoutMs;
  const client = new BoardClient(stream, { bytesPerSecond, timeoutMs, retries: opts.faults ? 8 : 3 });
  const engine = createLinkEngine(board.name, client, { fetchState: opts.fetchState, runTimeoutMs, onClose: shutdown });
  return Object.assign(engine, { board, client });
}
