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
import type { BoardProfile } from "../boards/profiles.ts";
import { UserError } from "../model/errors.ts";
import type { Engine } from "../model/engine.ts";

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
        reject(new UserError(/ENOENT|No such file/.test(m) ? `serial port ${path} does not exist (see \`mhr ports\`)` : /busy|lock/i.test(m) ? `serial port ${path} is busy (close the other program using it)` : `cannot open ${path}: ${m}`));
        return;
      }
      resolve({
        stream: { write: (b) => { sp.write(Buffer.from(b)); }, onData: (cb) => { sp.on("data", (d: Buffer) => cb(new Uint8Array(d))); } },
        close: () => new Promise((r) => (sp.isOpen ? sp.close(() => r()) : r())),
      });
    });
  });
}

interface LinkTiming {
  /** Reply timeout of one attempt for short requests (HELLO, STATE). */
  replyMs: number;
  /** Reply timeout of one RUN attempt: the job itself may run this long. */
  runMs: number;
  retries: number;
}

/**
 * A lost reply costs one timeout before the retry, so timeouts are as short as
 * the board allows: immediate for the native build, longer where QEMU under
 * -icount or a real UART adds latency, and long for RUN, where a real job may
 * run for seconds.
 */
const TIMING: Readonly<Record<BoardProfile["port"], LinkTiming>> = {
  host: { replyMs: 1500, runMs: 30_000, retries: 3 },
  "qemu-rv32": { replyMs: 10_000, runMs: 30_000, retries: 3 },
  "qemu-lx106": { replyMs: 10_000, runMs: 30_000, retries: 3 },
  // The chip's ROM boots first (about a second in QEMU), then 171.5 KiB of .bss is zeroed.
  "qemu-esp32c3": { replyMs: 10_000, runMs: 30_000, retries: 3 },
  "qemu-esp32": { replyMs: 10_000, runMs: 30_000, retries: 3 },
  "esp-idf": { replyMs: 3000, runMs: 60_000, retries: 3 },
};

/** Under --faults (a test rig running conformance vectors, which are short) damaged replies are the norm: retry soon and often. */
const FAULT_RIG_TIMING: Readonly<Record<BoardProfile["port"], LinkTiming>> = {
  host: { replyMs: 150, runMs: 150, retries: 8 },
  "qemu-rv32": { replyMs: 3000, runMs: 3000, retries: 8 },
  "qemu-lx106": { replyMs: 3000, runMs: 3000, retries: 8 },
  "qemu-esp32c3": { replyMs: 3000, runMs: 3000, retries: 8 },
  "qemu-esp32": { replyMs: 3000, runMs: 3000, retries: 8 },
  "esp-idf": { replyMs: 1000, runMs: 1000, retries: 8 },
};

/** Creates the engine of a board profile (resolve names with engines/targets.ts). */
export async function createBoardEngine(board: BoardProfile, opts: BoardEngineOptions = {}): Promise<BoardEngine> {
  let stream: ByteStream;
  let shutdown: () => Promise<void>;
  let bytesPerSecond = 10_000_000;
  if (board.port === "esp-idf") {
    if (!opts.port) throw new UserError(`board ${board.name} is a real board: give its serial port with --port (see \`mhr ports\`)`);
    const baud = board.serial?.baud ?? 115200;
    const s = await serialStream(opts.port, baud);
    stream = s.stream;
    shutdown = s.close;
    bytesPerSecond = baud / 10;
  } else {
    const port: VirtualPort = board.port === "host" ? (opts.sanitized ? "host-asan" : "host") : board.port;
    let vb;
    try {
      vb = launchVirtual(port);
    } catch (e) {
      if (e instanceof VirtualBoardError) throw new UserError(e.message);
      throw e;
    }
    stream = vb.stream;
    shutdown = () => vb.close();
  }
  if (opts.faults) stream = withFaults(stream, opts.faults);
  const t = (opts.faults ? FAULT_RIG_TIMING : TIMING)[board.port];
  const client = new BoardClient(stream, { bytesPerSecond, timeoutMs: t.replyMs, retries: t.retries });
  const engine = createLinkEngine(board.name, client, { fetchState: opts.fetchState, runTimeoutMs: t.runMs, onClose: shutdown });
  return Object.assign(engine, { board, client });
}
