/**
 * Serial monitor: copy what the board prints to an output until stopped.
 * It can open a port itself or continue on one `flashBoard` left open, so
 * the boot log right after the post-flash reset is not lost.
 */
import type { WebSerialLike } from "../serial/web-serial-adapter.ts";
import { openSerialPort } from "./flash.ts";

export interface MonitorOptions {
  /** Where the bytes go (e.g. chunk => process.stdout.write(chunk)). */
  write: (chunk: Uint8Array) => void;
  /** Stop when aborted (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Read `port` until `signal` aborts or the port closes/fails. The port is
 * left open (the caller owns it). Resolves with the number of bytes copied.
 */
export async function monitorPort(port: WebSerialLike, options: MonitorOptions): Promise<number> {
  const { write, signal } = options;
  let total = 0;
  if (signal?.aborted) return 0;
  const onAbort = (): void => {
    void port.detachReader(200);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    while (!signal?.aborted && port.isOpen) {
      const readable = port.readable;
      if (!readable) break;
      const reader = readable.getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (value && value.length) {
            total += value.length;
            write(value);
          }
        }
      } finally {
        reader.releaseLock();
      }
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return total;
}

export interface MonitorCommandOptions {
  port: string;
  baud: number;
  write: (chunk: Uint8Array) => void;
  signal: AbortSignal;
  log?: (message: string) => void;
}

/** `mhr monitor`: open the port (no reset), stream it until aborted, close it. */
export async function runMonitor(options: MonitorCommandOptions): Promise<number> {
  const port = await openSerialPort(options.port, options.baud, options.log);
  try {
    return await monitorPort(port, { write: options.write, signal: options.signal });
  } finally {
    await port.close();
  }
}
