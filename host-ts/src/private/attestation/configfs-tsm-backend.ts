/**
 * The real backend Node can drive: Linux configfs-tsm (kernel ≥ 6.7,
 * Documentation/ABI/testing/configfs-tsm). A report is a directory under
 * /sys/kernel/config/tsm/report/: write 64 bytes to `inblob`, read the signed
 * report from `outblob` (SEV-SNP: the ATTESTATION_REPORT; TDX: a DCAP quote
 * from the host's quote-generation service), and for SEV-SNP the host's
 * certificate table from `auxblob`. `generation` counts writes; it must not
 * change while we read, or another writer raced us.
 *
 * Not run on real hardware here (no TEE on this machine); its file protocol
 * is tested against a simulated configfs tree. Where the evidence needs
 * something the guest cannot make locally (a VCEK when the host supplies no
 * certificate table, TDX collateral from a PCCS), the caller supplies a
 * source: this module does no network I/O.
 */
import { randomBytes } from "node:crypto";
import * as nodeFs from "node:fs/promises";
import { join } from "node:path";
import { TeeLimit, TeePlatform, type TeePlatformValue } from "../../generated/private-protocol.ts";
import type { TeeBackend } from "./backend.ts";
import { TeeError, teeFail } from "./errors.ts";
import { unverifiedReportData, type TeeEvidence } from "./evidence.ts";
import { equalBytes } from "../../model/bytes.ts";

export const TSM_REPORT_ROOT = "/sys/kernel/config/tsm/report";

/** The file operations used, so tests can run the protocol against a simulated configfs. */
export interface TsmFs {
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, data: Uint8Array): Promise<void>;
  exists(path: string): Promise<boolean>;
}

export const realTsmFs: TsmFs = {
  mkdir: async (p) => { await nodeFs.mkdir(p); },
  rmdir: (p) => nodeFs.rmdir(p),
  readFile: async (p) => new Uint8Array(await nodeFs.readFile(p)),
  writeFile: (p, d) => nodeFs.writeFile(p, d),
  exists: async (p) => nodeFs.access(p).then(() => true, () => false),
};

/** GHCB certificate-table GUIDs, in RFC 4122 byte order as AMD's own tooling writes them. */
export const SNP_CERT_GUID = {
  VCEK: "63da758d-e664-4564-adc5-f4b93be8accd",
  VLEK: "a8074bc2-a25a-483e-aae6-39c045a0b8a1",
  ASK: "4ab7b379-bbac-4fe4-a02f-05aef327c782",
  ARK: "c0b406a4-a803-4952-9743-3fb6014cd0ae",
} as const;

function guidText(b: Uint8Array): string {
  const h = Buffer.from(b).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function guidBytes(guid: string): Uint8Array {
  return new Uint8Array(Buffer.from(guid.replace(/-/g, ""), "hex"));
}

/** Entries { guid[16], u32 offset, u32 length } until an all-zero entry; offsets from the table start. */
export function parseCertTable(blob: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  for (let i = 0; ; i += 24) {
    if (i + 24 > blob.length) teeFail("BACKEND_FAILED", "certificate table has no terminating entry");
    const guid = blob.subarray(i, i + 16);
    const off = dv.getUint32(i + 16, true), len = dv.getUint32(i + 20, true);
    if (guid.every((b) => b === 0)) {
      if (off !== 0 || len !== 0) teeFail("BACKEND_FAILED", "certificate table terminator is not all zero");
      return out;
    }
    if (off + len > blob.length || off < i + 24) teeFail("BACKEND_FAILED", `certificate ${guidText(guid)} lies outside the table`);
    out.set(guidText(guid), blob.slice(off, off + len));
  }
}

export interface ConfigfsTsmOptions {
  readonly root?: string;
  readonly fs?: TsmFs;
  /** SEV-SNP VMPL to request (privlevel); default 0. */
  readonly privlevel?: number;
  /** VCEK source when the host's auxblob has none (e.g. a KDS fetch done by the node). */
  readonly vcek?: (report: Uint8Array) => Promise<Uint8Array>;
  /** TDX/SGX collateral source (JSON bytes), e.g. the node's PCCS client. Required for TDX. */
  readonly collateral?: (quote: Uint8Array) => Promise<Uint8Array>;
}

const PROVIDERS: Record<string, TeePlatformValue> = { sev_guest: TeePlatform.SEV_SNP, tdx_guest: TeePlatform.TDX };

export class ConfigfsTsmBackend implements TeeBackend {
  readonly description: string;
  private constructor(readonly platform: TeePlatformValue, readonly provider: string, private readonly o: Required<Pick<ConfigfsTsmOptions, "root" | "fs">> & ConfigfsTsmOptions) {
    this.description = `configfs-tsm ${provider} at ${o.root}`;
  }

  /** Probes configfs-tsm (one throw-away report directory) and learns the provider. */
  static async open(opts: ConfigfsTsmOptions = {}): Promise<ConfigfsTsmBackend> {
    const o = { root: TSM_REPORT_ROOT, fs: realTsmFs, ...opts };
    if (!(await o.fs.exists(o.root))) teeFail("BACKEND_UNAVAILABLE", `${o.root} does not exist (no configfs-tsm: kernel < 6.7, configfs not mounted, or not a confidential guest)`);
    const dir = join(o.root, `mhr-probe-${process.pid}-${randomBytes(4).toString("hex")}`);
    let provider: string;
    try {
      await o.fs.mkdir(dir);
    } catch (e) {
      return teeFail("BACKEND_UNAVAILABLE", `cannot create a report under ${o.root}: ${(e as Error).message}`);
    }
    try {
      provider = new TextDecoder().decode(await o.fs.readFile(join(dir, "provider"))).trim();
    } finally {
      await o.fs.rmdir(dir).catch(() => undefined);
    }
    const platform = PROVIDERS[provider];
    if (platform === undefined) teeFail("BACKEND_UNAVAILABLE", `configfs-tsm provider ${JSON.stringify(provider)} is not supported`);
    if (platform === TeePlatform.TDX && !o.collateral) teeFail("BACKEND_UNAVAILABLE", "TDX needs a collateral source (PCCS); none configured");
    return new ConfigfsTsmBackend(platform, provider, o);
  }

  async getEvidence(reportData: Uint8Array): Promise<TeeEvidence> {
    if (reportData.length !== TeeLimit.REPORT_DATA_BYTES) teeFail("BACKEND_FAILED", "report_data must be 64 bytes");
    const { fs, root } = this.o;
    const dir = join(root, `mhr-${process.pid}-${randomBytes(8).toString("hex")}`);
    await fs.mkdir(dir).catch((e: Error) => teeFail("BACKEND_FAILED", `mkdir ${dir}: ${e.message}`));
    try {
      const f = (name: string) => join(dir, name);
      const provider = new TextDecoder().decode(await fs.readFile(f("provider"))).trim();
      if (provider !== this.provider) teeFail("BACKEND_FAILED", `provider changed to ${provider}`);
      if (this.platform === TeePlatform.SEV_SNP && this.o.privlevel !== undefined) await fs.writeFile(f("privlevel"), new TextEncoder().encode(`${this.o.privlevel}\n`));
      await fs.writeFile(f("inblob"), reportData);
      const before = new TextDecoder().decode(await fs.readFile(f("generation"))).trim();
      const outblob = await fs.readFile(f("outblob"));
      const aux = this.platform === TeePlatform.SEV_SNP && (await fs.exists(f("auxblob"))) ? await fs.readFile(f("auxblob")) : new Uint8Array();
      const after = new TextDecoder().decode(await fs.readFile(f("generation"))).trim();
      if (before !== after) teeFail("BACKEND_FAILED", `generation changed from ${before} to ${after} while reading: another writer raced this report`);
      const evidence = this.platform === TeePlatform.SEV_SNP ? await this.snpEvidence(outblob, aux) : await this.tdxEvidence(outblob);
      // The hardware must have bound what we wrote; anything else is a broken or lying interface.
      if (!equalBytes(unverifiedReportData(evidence), reportData)) teeFail("BACKEND_FAILED", "the report does not carry the report_data written to inblob");
      return evidence;
    } catch (e) {
      if (e instanceof TeeError) throw e;
      return teeFail("BACKEND_FAILED", (e as Error).message);
    } finally {
      await fs.rmdir(dir).catch(() => undefined);
    }
  }

  private async snpEvidence(report: Uint8Array, aux: Uint8Array): Promise<TeeEvidence> {
    if (report.length !== TeeLimit.SNP_REPORT_BYTES) teeFail("BACKEND_FAILED", `outblob is ${report.length} bytes, not an ATTESTATION_REPORT`);
    const table = aux.length ? parseCertTable(aux) : new Map<string, Uint8Array>();
    let vcek = table.get(SNP_CERT_GUID.VCEK);
    if (!vcek && this.o.vcek) vcek = await this.o.vcek(report);
    if (!vcek) teeFail("BACKEND_UNAVAILABLE", table.has(SNP_CERT_GUID.VLEK) ? "the host supplies a VLEK; only VCEK-signed reports are supported" : "the host supplies no VCEK and no VCEK source is configured");
    return { platform: TeePlatform.SEV_SNP, report, endorsement: vcek };
  }

  private async tdxEvidence(quote: Uint8Array): Promise<TeeEvidence> {
    if (quote.length > TeeLimit.DCAP_QUOTE_MAX_BYTES) teeFail("BACKEND_FAILED", `quote is ${quote.length} bytes`);
    const collateral = await this.o.collateral!(quote);
    return { platform: TeePlatform.TDX, report: quote, endorsement: collateral };
  }
}
