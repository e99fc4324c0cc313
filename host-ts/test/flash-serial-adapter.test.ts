/**
 * The Web Serial surface esptool-js relies on, checked on the in-memory link.
 */
import { describe, expect, it } from "vitest";
import { type ByteDevice, memorySerial } from "../src/serial/web-serial-adapter.ts";

/** A device that records lines and lets the test emit bytes. */
class Probe implements ByteDevice {
  lines: Array<[boolean, boolean]> = [];
  received: number[] = [];
  baud = 115200;
  private sink: ((data: Uint8Array, baud: number) => void) | null = null;
  receive(data: Uint8Array): void {
    this.received.push(...data);
  }
  attach(sink: ((data: Uint8Array, baud: number) => void) | null): void {
    this.sink = sink;
  }
  setLines(dtr: boolean, rts: boolean): void {
    this.lines.push([dtr, rts]);
  }
  emit(text: string): void {
    this.sink?.(new TextEncoder().encode(text), this.baud);
  }
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
const text = (u: Uint8Array | undefined): string => new TextDecoder().decode(u);

describe("WebSerialAdapter", () => {
  it("readable/writable are null while closed and usable once open", async () => {
    const probe = new Probe();
    const port = memorySerial(probe, { usbInfo: { usbVendorId: 0x303a, usbProductId: 0x1001 } });
    expect(port.readable).toBeNull();
    expect(port.writable).toBeNull();
    expect(port.getInfo()).toEqual({ usbVendorId: 0x303a, usbProductId: 0x1001 });
    await port.open({ baudRate: 115200 });
    const writer = port.writable!.getWriter();
    await writer.write(new Uint8Array([1, 2, 3]));
    writer.releaseLock();
    await tick();
    expect(probe.received).toEqual([1, 2, 3]);
    await port.close();
    expect(port.readable).toBeNull();
  });

  it("gives a fresh readable after a reader cancels, and keeps bytes that arrive between readers", async () => {
    const probe = new Probe();
    const port = memorySerial(probe);
    await port.open({ baudRate: 115200 });
    const first = port.readable!;
    const r1 = first.getReader();
    probe.emit("one");
    expect(text((await r1.read()).value)).toBe("one");
    await r1.cancel();
    r1.releaseLock();
    probe.emit("two ");
    probe.emit("three");
    await tick();
    const second = port.readable!;
    expect(second).not.toBe(first);
    const r2 = second.getReader();
    expect(text((await r2.read()).value)).toBe("two three");
    r2.releaseLock();
    await port.close();
  });

  it("detachReader ends the current reader without losing later bytes", async () => {
    const probe = new Probe();
    const port = memorySerial(probe);
    await port.open({ baudRate: 115200 });
    const r = port.readable!.getReader();
    const pending = r.read();
    const detach = port.detachReader();
    expect((await pending).done).toBe(true);
    r.releaseLock();
    await detach;
    probe.emit("boot log");
    await tick();
    const r2 = port.readable!.getReader();
    expect(text((await r2.read()).value)).toBe("boot log");
    r2.releaseLock();
    await port.close();
  });

  it("setSignals tracks DTR/RTS/BREAK and always sends both lines", async () => {
    const probe = new Probe();
    const port = memorySerial(probe);
    await port.open({ baudRate: 115200 });
    await port.setSignals({ requestToSend: true });
    await port.setSignals({ dataTerminalReady: true });
    await port.setSignals({ requestToSend: false, break: undefined });
    await port.setSignals({ dataTerminalReady: false });
    expect(probe.lines).toEqual([
      [false, true],
      [true, true],
      [true, false],
      [false, false],
    ]);
    expect(port.signals).toEqual({ dtr: false, rts: false, brk: false });
    await port.close();
  });

  it("bytes at the wrong baud rate arrive as garbage; setBaudRate fixes it", async () => {
    const probe = new Probe();
    const port = memorySerial(probe);
    await port.open({ baudRate: 460800 });
    const r = port.readable!.getReader();
    probe.emit("hello");
    expect(text((await r.read()).value)).not.toBe("hello");
    await port.setBaudRate(115200);
    probe.emit("hello");
    expect(text((await r.read()).value)).toBe("hello");
    r.releaseLock();
    await port.close();
  });
});
