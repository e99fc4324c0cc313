/**
 * Attached serial ports, with the board profiles whose USB ids match.
 */
import { SerialPort } from "serialport";
import { type BoardProfile, boardsForUsb, hex4, loadBoards } from "../boards/profiles.ts";
import { parseUsbId } from "../serial/web-serial-adapter.ts";
import { formatTable } from "../model/table.ts";

export interface PortEntry {
  path: string;
  vid: number | null;
  pid: number | null;
  manufacturer: string | null;
  serialNumber: string | null;
  /** Names of board profiles listing this VID/PID. */
  boards: string[];
}

export interface RawPortInfo {
  path: string;
  vendorId?: string;
  productId?: string;
  manufacturer?: string;
  serialNumber?: string;
}

export function describePorts(raw: RawPortInfo[], boards: BoardProfile[] = loadBoards()): PortEntry[] {
  return raw
    .map((p) => {
      const vid = parseUsbId(p.vendorId) ?? null;
      const pid = parseUsbId(p.productId) ?? null;
      const matching =
        vid === null || pid === null
          ? []
          : boards.filter((b) => b.serial?.usb.some((u) => u.vid === vid && u.pid === pid)).map((b) => b.name);
      return {
        path: p.path,
        vid,
        pid,
        manufacturer: p.manufacturer ?? null,
        serialNumber: p.serialNumber ?? null,
        boards: matching,
      };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** SerialPort.list(), described. */
export async function listPorts(): Promise<PortEntry[]> {
  const raw = await SerialPort.list();
  return describePorts(raw);
}

/** Paths only, for error messages ("none" when there are none). */
export async function availablePortPaths(): Promise<string[]> {
  try {
    return (await SerialPort.list()).map((p) => p.path).sort();
  } catch {
    return [];
  }
}

export function formatPortsTable(ports: PortEntry[]): string {
  if (ports.length === 0) return "no serial ports found (is the board plugged in with a data cable, and its USB-UART driver loaded?)";
  const rows = ports.map((p) => [
    p.path,
    p.vid === null ? "-" : hex4(p.vid),
    p.pid === null ? "-" : hex4(p.pid),
    p.manufacturer ?? "-",
    p.boards.length ? p.boards.join(", ") : "-",
  ]);
  return formatTable(["PORT", "VID", "PID", "MANUFACTURER", "BOARDS"], rows);
}

export { boardsForUsb };
