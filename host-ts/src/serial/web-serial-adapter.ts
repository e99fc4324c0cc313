/**
 * The Web Serial `SerialPort` surface that esptool-js's `Transport` drives,
 * implemented for Node.js.
 *
 * `WebSerialAdapter` holds the Web Serial semantics (a `readable` that is
 * null while closed and fresh after a reader cancels, bytes that arrive
 * between readers kept in order, a `writable` that is fresh after
 * `writer.close()`, DTR/RTS/BREAK tracked so that every `setSignals` call
 * sends all three lines) over a small `SerialLink`:
 *
 *  - `NodeSerialLink`: a real port through the `serialport` package
 *    (VID/PID from `SerialPort.list()`, in-place baud change with
 *    `port.update`, modem-line ioctls that a pty rejects tolerated);
 *  - `MemoryLink`: any in-process `ByteDevice` (tests connect esptool-js to
 *    a ROM-loader test double this way, no port involved).
 */
import { realpathSync } from "node:fs";
import { SerialPort as NodeSerialPort } from "serialport";
import { concatBytes } from "../model/bytes.ts";

export interface UsbInfo {
  usbVendorId?: number;
  usbProductId?: number;
}

export interface LineState {
  dtr: boolean;
  rts: boolean;
  brk: boolean;
}

export type SerialLogger = (message: string) => void;

/** The byte pipe beneath the adapter. */
export interface SerialLink {
  /** Port path, or a name for in-memory links; used in messages. */
  readonly description: string;
  open(baudRate: number): Promise<void>;
  close(): Promise<void>;
  write(data: Uint8Array): Promise<void>;
  /** Bytes from the device; also told when the link dies. */
  setHandlers(onData: ((chunk: Uint8Array) => void) | null, onError: ((err: Error) => void) | null): void;
  setLines(lines: LineState): Promise<void>;
  setBaudRate(baudRate: number): Promise<void>;
  info(): UsbInfo;
  /** True once the link found it cannot drive DTR/RTS (a pty). */
  readonly modemLinesUnsupported?: boolean;
}

/** The subset of Web Serial options Transport passes to `open()`. */
export interface OpenOptions {
  baudRate: number;
  dataBits?: number;
  stopBits?: number;
  parity?: string;
  bufferSize?: number;
  flowControl?: string;
}

export interface SignalOptions {
  dataTerminalReady?: boolean;
  requestToSend?: boolean;
  break?: boolean;
}

/**
 * What esptool-js (the Web Serial members) and the flasher/monitor (the
 * rest) need from a port.
 */
export interface WebSerialLike {
  /** Port path or device name, for messages. */
  readonly description: string;
  readonly isOpen: boolean;
  /** The host-side baud rate now. */
  readonly baudRate: number;
  readonly readable: ReadableStream<Uint8Array> | null;
  readonly writable: WritableStream<Uint8Array> | null;
  open(options: OpenOptions): Promise<void>;
  close(): Promise<void>;
  setSignals(signals: SignalOptions): Promise<void>;
  getInfo(): UsbInfo;
  setBaudRate(baudRate: number): Promise<void>;
  /** End the current reader's stream; later bytes wait for the next reader. */
  detachReader(timeoutMs?: number): Promise<void>;
  /** True when DTR/RTS changes could not be applied (no auto-reset possible). */
  readonly modemLinesUnsupported: boolean;
}

interface ReadableSlot {
  stream: ReadableStream<Uint8Array>;
  controller: ReadableStreamDefaultController<Uint8Array> | null;
  ended: boolean;
}

interface WritableSlot {
  stream: WritableStream<Uint8Array>;
  ended: boolean;
}

export class WebSerialAdapter implements WebSerialLike {
  private opened = false;
  private baud = 0;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private wakeReader: (() => void) | null = null;
  private failure: Error | null = null;
  private readSlot: ReadableSlot | null = null;
  private writeSlot: WritableSlot | null = null;
  private lines: LineState = { dtr: false, rts: false, brk: false };

  constructor(readonly link: SerialLink) {}

  get isOpen(): boolean {
    return this.opened;
  }

  get baudRate(): number {
    return this.baud;
  }

  /** The DTR/RTS/BREAK levels last requested. */
  get signals(): LineState {
    return { ...this.lines };
  }

  get description(): string {
    return this.link.description;
  }

  get modemLinesUnsupported(): boolean {
    return this.link.modemLinesUnsupported === true;
  }

  /** Bytes received and not yet handed to a reader. */
  get pendingBytes(): number {
    return this.queued;
  }

  async open(options: OpenOptions): Promise<void> {
    if (this.opened) throw new Error(`${this.link.description} is already open`);
    this.queue = [];
    this.queued = 0;
    this.failure = null;
    this.link.setHandlers(
      (chunk) => this.push(chunk),
      (err) => this.fail(err),
    );
    try {
      await this.link.open(options.baudRate);
    } catch (err) {
      this.link.setHandlers(null, null);
      throw err;
    }
    this.baud = options.baudRate;
    this.opened = true;
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    this.endReadable();
    if (this.writeSlot && !this.writeSlot.ended) {
      this.writeSlot.ended = true;
      // A locked writer is released by its owner; an unlocked stream can be aborted.
      if (!this.writeSlot.stream.locked) await this.writeSlot.stream.abort().catch(() => undefined);
    }
    this.writeSlot = null;
    this.link.setHandlers(null, null);
    await this.link.close();
    this.queue = [];
    this.queued = 0;
  }

  get readable(): ReadableStream<Uint8Array> | null {
    if (!this.opened) return null;
    if (!this.readSlot || this.readSlot.ended) this.readSlot = this.makeReadable();
    return this.readSlot.stream;
  }

  get writable(): WritableStream<Uint8Array> | null {
    if (!this.opened) return null;
    if (!this.writeSlot || this.writeSlot.ended) this.writeSlot = this.makeWritable();
    return this.writeSlot.stream;
  }

  async setSignals(signals: SignalOptions): Promise<void> {
    if (signals.dataTerminalReady !== undefined) this.lines.dtr = signals.dataTerminalReady;
    if (signals.requestToSend !== undefined) this.lines.rts = signals.requestToSend;
    if (signals.break !== undefined) this.lines.brk = signals.break;
    if (!this.opened) return;
    await this.link.setLines({ ...this.lines });
  }

  async getSignals(): Promise<{
    dataCarrierDetect: boolean;
    clearToSend: boolean;
    ringIndicator: boolean;
    dataSetReady: boolean;
  }> {
    return { dataCarrierDetect: false, clearToSend: false, ringIndicator: false, dataSetReady: false };
  }

  getInfo(): UsbInfo {
    return this.link.info();
  }

  async setBaudRate(baudRate: number): Promise<void> {
    if (this.opened) await this.link.setBaudRate(baudRate);
    this.baud = baudRate;
  }

  /**
   * End the current readable stream (its reader sees `done`), so that
   * whoever holds it (esptool-js's read loop) lets go; bytes that arrive
   * afterwards wait for the next reader. Resolves once the stream is
   * unlocked, or after `timeoutMs`.
   */
  async detachReader(timeoutMs = 1000): Promise<void> {
    const slot = this.readSlot;
    this.endReadable();
    if (!slot) return;
    const deadline = Date.now() + timeoutMs;
    while (slot.stream.locked && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  }

  /** Take the bytes queued for the next reader (used by tests and the monitor). */
  takePending(): Uint8Array {
    return this.takeAll();
  }

  private push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.wake();
  }

  private fail(err: Error): void {
    this.failure = err;
    const slot = this.readSlot;
    if (slot && !slot.ended && slot.controller) {
      slot.ended = true;
      slot.controller.error(err);
    }
    this.wake();
  }

  private wake(): void {
    const w = this.wakeReader;
    this.wakeReader = null;
    if (w) w();
  }

  private takeAll(): Uint8Array {
    const out = this.queue.length === 1 ? this.queue[0] : concatBytes(...this.queue);
    this.queue = [];
    this.queued = 0;
    return out;
  }

  private endReadable(): void {
    const slot = this.readSlot;
    if (slot && !slot.ended) {
      slot.ended = true;
      try {
        slot.controller?.close();
      } catch {
        // already closed or errored
      }
    }
    this.wake();
  }

  private makeReadable(): ReadableSlot {
    const slot: ReadableSlot = { stream: null as unknown as ReadableStream<Uint8Array>, controller: null, ended: false };
    slot.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          slot.controller = controller;
        },
        // highWaterMark 0: pull runs only for a pending read, so no byte is
        // ever parked inside a stream that a reader then cancels.
        pull: async (controller) => {
          while (this.queued === 0 && !slot.ended && this.failure === null) {
            await new Promise<void>((resolve) => {
              this.wakeReader = resolve;
            });
          }
          if (slot.ended) return;
          if (this.queued === 0 && this.failure !== null) {
            slot.ended = true;
            controller.error(this.failure);
            return;
          }
          controller.enqueue(this.takeAll());
        },
        cancel: () => {
          slot.ended = true;
          this.wake();
        },
      },
      { highWaterMark: 0 },
    );
    return slot;
  }

  private makeWritable(): WritableSlot {
    const slot: WritableSlot = { stream: null as unknown as WritableStream<Uint8Array>, ended: false };
    slot.stream = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        if (!this.opened) throw new Error(`${this.link.description} is closed`);
        await this.link.write(chunk);
      },
      close: () => {
        slot.ended = true;
      },
      abort: () => {
        slot.ended = true;
      },
    });
    return slot;
  }
}

/**
 * esptool-js types its port as the DOM `SerialPort` class; the adapter
 * implements the members Transport uses, so hand it over through this one
 * cast.
 */
export function asWebSerialPort(port: WebSerialLike): SerialPort {
  return port as unknown as SerialPort;
}

// ---------------------------------------------------------------------------
// Real ports through the `serialport` package.

export interface NodeSerialLinkOptions {
  /** Told once when the port has no modem lines (ptys, some adapters). */
  log?: SerialLogger;
  /** Skip the SerialPort.list() lookup (VID/PID then stay unknown). */
  usbInfo?: UsbInfo;
}

/** Parse serialport's hex id strings ("10c4", "10C4", "0x10c4"). */
export function parseUsbId(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const n = Number.parseInt(text.replace(/^0x/i, ""), 16);
  return Number.isFinite(n) ? n : undefined;
}

function resolvePath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** USB ids of `path` from SerialPort.list(), following symlinks (/dev/serial/by-id/...). */
export async function lookupUsbInfo(path: string): Promise<UsbInfo> {
  const want = resolvePath(path);
  try {
    const ports = await NodeSerialPort.list();
    const hit = ports.find((p) => p.path === path || resolvePath(p.path) === want);
    if (!hit) return {};
    return { usbVendorId: parseUsbId(hit.vendorId), usbProductId: parseUsbId(hit.productId) };
  } catch {
    return {};
  }
}

function isNoModemLines(err: Error): boolean {
  const text = `${err.message} ${(err as NodeJS.ErrnoException).code ?? ""}`;
  return /Inappropriate ioctl|ENOTTY|EINVAL|Invalid argument/i.test(text);
}

export class NodeSerialLink implements SerialLink {
  private port: NodeSerialPort | null = null;
  private onData: ((chunk: Uint8Array) => void) | null = null;
  private onError: ((err: Error) => void) | null = null;
  private usb: UsbInfo;
  private looked = false;
  private warnedLines = false;
  /** True once a modem-line ioctl was rejected (a pty has no DTR/RTS). */
  modemLinesUnsupported = false;

  constructor(
    readonly path: string,
    private readonly options: NodeSerialLinkOptions = {},
  ) {
    this.usb = options.usbInfo ?? {};
    this.looked = options.usbInfo !== undefined;
  }

  get description(): string {
    return this.path;
  }

  setHandlers(onData: ((chunk: Uint8Array) => void) | null, onError: ((err: Error) => void) | null): void {
    this.onData = onData;
    this.onError = onError;
  }

  async open(baudRate: number): Promise<void> {
    if (!this.looked) {
      this.usb = await lookupUsbInfo(this.path);
      this.looked = true;
    }
    const port = new NodeSerialPort({ path: this.path, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on("data", (chunk: Buffer) => {
      this.onData?.(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    });
    port.on("error", (err: Error) => this.onError?.(err));
    port.on("close", (err: Error | null) => {
      if (err) this.onError?.(err);
    });
    this.port = port;
  }

  async close(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (!port || !port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  async write(data: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port) throw new Error(`${this.path} is closed`);
    await new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(data.buffer, data.byteOffset, data.length), (err) => (err ? reject(err) : resolve()));
    });
  }

  async setLines(lines: LineState): Promise<void> {
    const port = this.port;
    if (!port) return;
    try {
      await new Promise<void>((resolve, reject) =>
        port.set({ dtr: lines.dtr, rts: lines.rts, brk: lines.brk }, (err) => (err ? reject(err) : resolve())),
      );
    } catch (err) {
      if (err instanceof Error && isNoModemLines(err)) {
        this.modemLinesUnsupported = true;
        if (!this.warnedLines) {
          this.warnedLines = true;
          this.options.log?.(`${this.path} has no modem lines (${err.message}); DTR/RTS changes are ignored`);
        }
        return;
      }
      throw err;
    }
  }

  async setBaudRate(baudRate: number): Promise<void> {
    const port = this.port;
    if (!port) return;
    await new Promise<void>((resolve, reject) => port.update({ baudRate }, (err) => (err ? reject(err) : resolve())));
  }

  info(): UsbInfo {
    return { ...this.usb };
  }
}

/** A Web Serial adapter over a real serial port path (not yet opened). */
export function openNodeSerial(path: string, options: NodeSerialLinkOptions = {}): WebSerialAdapter {
  return new WebSerialAdapter(new NodeSerialLink(path, options));
}

// ---------------------------------------------------------------------------
// In-process devices.

/**
 * A device that lives in this process and speaks bytes, e.g. a test double
 * of the ESP32 ROM loader. Baud rates travel with the bytes so the device
 * can model a rate mismatch.
 */
export interface ByteDevice {
  /** Host -> device bytes, sent at `hostBaud`. */
  receive(data: Uint8Array, hostBaud: number): void;
  /** Device -> host bytes go to `sink`, sent at the device's own `baud`. */
  attach(sink: ((data: Uint8Array, baud: number) => void) | null): void;
  /** The host's DTR/RTS levels (true = asserted). */
  setLines(dtr: boolean, rts: boolean): void;
}

export interface MemoryLinkOptions {
  usbInfo?: UsbInfo;
  /** Model a baud-rate mismatch as garbage bytes (default true). */
  enforceBaud?: boolean;
  name?: string;
}

/** Bytes sent at one rate and sampled at another arrive as garbage. */
function garble(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] * 7 + 0x3b) & 0xff | 0x80;
  return out;
}

export class MemoryLink implements SerialLink {
  private hostBaud = 0;
  private opened = false;
  private onData: ((chunk: Uint8Array) => void) | null = null;

  constructor(
    readonly device: ByteDevice,
    private readonly options: MemoryLinkOptions = {},
  ) {}

  get description(): string {
    return this.options.name ?? "memory";
  }

  setHandlers(onData: ((chunk: Uint8Array) => void) | null): void {
    this.onData = onData;
  }

  async open(baudRate: number): Promise<void> {
    this.hostBaud = baudRate;
    this.opened = true;
    this.device.attach((data, baud) => {
      const copy = Uint8Array.from(data);
      // Deliver on a later turn, as a real port would.
      setImmediate(() => {
        if (!this.opened) return;
        const mismatch = (this.options.enforceBaud ?? true) && baud !== this.hostBaud;
        this.onData?.(mismatch ? garble(copy) : copy);
      });
    });
  }

  async close(): Promise<void> {
    this.opened = false;
    this.device.attach(null);
  }

  async write(data: Uint8Array): Promise<void> {
    if (!this.opened) throw new Error(`${this.description} is closed`);
    const copy = Uint8Array.from(data);
    const baud = this.hostBaud;
    setImmediate(() => {
      if (this.opened) this.device.receive(copy, baud);
    });
  }

  async setLines(lines: LineState): Promise<void> {
    this.device.setLines(lines.dtr, lines.rts);
  }

  async setBaudRate(baudRate: number): Promise<void> {
    this.hostBaud = baudRate;
  }

  info(): UsbInfo {
    return { ...(this.options.usbInfo ?? {}) };
  }
}

/** A Web Serial adapter wired to an in-process device. */
export function memorySerial(device: ByteDevice, options: MemoryLinkOptions = {}): WebSerialAdapter {
  return new WebSerialAdapter(new MemoryLink(device, options));
}
