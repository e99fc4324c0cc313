/**
 * TEST DOUBLE of the kernel's configfs-tsm report tree, in memory: mkdir
 * creates a report object with its attributes, writes to inblob/privlevel
 * bump `generation`, reading outblob asks `produce` for the report. It lets
 * the backend's file protocol run here; it cannot sign anything, so whatever
 * it produces is either a replayed genuine report (wrong report_data) or an
 * unsigned forgery (bad signature).
 */
import { dirname } from "node:path";
import type { TsmFs } from "../../../src/private/attestation/configfs-tsm-backend.ts";

interface ReportObject { inblob?: Uint8Array; privlevel?: number; generation: number }

export interface SimulatedConfigfsOptions {
  readonly root: string;
  readonly provider: "sev_guest" | "tdx_guest" | string;
  readonly produce: (inblob: Uint8Array, privlevel: number) => Uint8Array;
  readonly auxblob?: Uint8Array;
  /** Simulates another writer touching the report between our reads. */
  readonly raceOnOutblob?: boolean;
}

export class SimulatedConfigfs implements TsmFs {
  readonly objects = new Map<string, ReportObject>();
  readonly log: string[] = [];
  constructor(private readonly o: SimulatedConfigfsOptions) {}

  private obj(path: string): [ReportObject, string] {
    const o = this.objects.get(dirname(path));
    if (!o) throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
    return [o, path.slice(dirname(path).length + 1)];
  }
  async exists(path: string): Promise<boolean> {
    if (path === this.o.root || this.objects.has(path)) return true;
    const o = this.objects.get(dirname(path));
    const attrs = ["inblob", "outblob", "provider", "generation", ...(this.o.auxblob ? ["auxblob"] : []), ...(this.o.provider === "sev_guest" ? ["privlevel", "privlevel_floor"] : [])];
    return !!o && attrs.includes(path.slice(dirname(path).length + 1));
  }
  async mkdir(path: string): Promise<void> {
    if (dirname(path) !== this.o.root) throw new Error(`EPERM: ${path}`);
    this.objects.set(path, { generation: 0 });
    this.log.push(`mkdir ${path.slice(this.o.root.length + 1)}`);
  }
  async rmdir(path: string): Promise<void> {
    this.objects.delete(path);
    this.log.push("rmdir");
  }
  async writeFile(path: string, data: Uint8Array): Promise<void> {
    const [o, name] = this.obj(path);
    this.log.push(`write ${name}`);
    if (name === "inblob") {
      if (data.length > 64) throw new Error("EINVAL: inblob larger than 64 bytes");
      o.inblob = Uint8Array.from(data);
    } else if (name === "privlevel" && this.o.provider === "sev_guest") {
      o.privlevel = Number(new TextDecoder().decode(data).trim());
    } else throw new Error(`EACCES: ${name}`);
    o.generation++;
  }
  async readFile(path: string): Promise<Uint8Array> {
    const [o, name] = this.obj(path);
    this.log.push(`read ${name}`);
    const text = (s: string) => new TextEncoder().encode(s + "\n");
    switch (name) {
      case "provider": return text(this.o.provider);
      case "generation": return text(String(o.generation));
      case "outblob":
        if (!o.inblob) throw new Error("EINVAL: no inblob");
        if (this.o.raceOnOutblob) o.generation++;
        return this.o.produce(o.inblob, o.privlevel ?? 0);
      case "auxblob":
        if (!this.o.auxblob) throw new Error("ENOENT: auxblob");
        return this.o.auxblob;
      default: throw new Error(`EACCES: ${name}`);
    }
  }
}
