/**
 * The real backends as far as this machine allows: the configfs-tsm file
 * protocol against a simulated kernel tree, the ioctl ABI layouts, and the
 * "not available on this host" errors. There is no TEE here, so nothing in
 * this file produces a report that a consumer accepts: the last tests prove it.
 */
import { describe, expect, it } from "vitest";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TeePlatform } from "../../../src/generated/private-protocol.ts";
import { ConfigfsTsmBackend, SNP_CERT_GUID, guidBytes, parseCertTable } from "../../../src/private/attestation/configfs-tsm-backend.ts";
import {
  SNP_GET_REPORT, SNP_GET_EXT_REPORT, TDX_CMD_GET_REPORT0, SevGuestDeviceBackend, TdxGuestDeviceBackend, iowr,
  parseSnpReportResponse, snpReportRequest, tdxReportRequest,
} from "../../../src/private/attestation/guest-devices.ts";
import { openTeeBackend } from "../../../src/private/attestation/open-backend.ts";
import { createAttestRequest, verifyAttestation, TeeProvider } from "../../../src/private/attestation/index.ts";
import { SNP_OFFSET } from "../../../src/private/attestation/snp-report.ts";
import { SimulatedConfigfs } from "./simulated-configfs.ts";
import * as F from "./fixtures.ts";
import { expectTee, expectTeeAsync } from "./expect-tee.ts";

const ROOT = "/sys/kernel/config/tsm/report";

function certTable(entries: [string, Uint8Array][]): Uint8Array {
  const head = 24 * (entries.length + 1);
  const out = new Uint8Array(head + entries.reduce((n, [, b]) => n + b.length, 0));
  const dv = new DataView(out.buffer);
  let off = head;
  entries.forEach(([guid, blob], i) => {
    out.set(guidBytes(guid), 24 * i);
    dv.setUint32(24 * i + 16, off, true);
    dv.setUint32(24 * i + 20, blob.length, true);
    out.set(blob, off);
    off += blob.length;
  });
  return out;
}

/** A forged report: the genuine one with report_data overwritten, so its signature no longer holds. */
const forge = (inblob: Uint8Array) => {
  const r = F.virteeReport();
  r.set(inblob, SNP_OFFSET.REPORT_DATA);
  return r;
};

describe("configfs-tsm backend (simulated kernel tree)", () => {
  const aux = certTable([[SNP_CERT_GUID.ASK, new Uint8Array(10)], [SNP_CERT_GUID.VCEK, F.virteeVcek()]]);

  it("follows the ABI: mkdir, provider, inblob, generation, outblob, auxblob, generation, rmdir; VCEK from the cert table", async () => {
    const fs = new SimulatedConfigfs({ root: ROOT, provider: "sev_guest", produce: forge, auxblob: aux });
    const b = await ConfigfsTsmBackend.open({ fs, privlevel: 0 });
    expect(b.platform).toBe(TeePlatform.SEV_SNP);
    fs.log.length = 0;
    const rd = new Uint8Array(64).fill(0xab);
    const e = await b.getEvidence(rd);
    expect(fs.log.map((l) => l.replace(/^mkdir .*/, "mkdir"))).toEqual(["mkdir", "read provider", "write privlevel", "write inblob", "read generation", "read outblob", "read auxblob", "read generation", "rmdir"]);
    expect(Buffer.from(e.report.subarray(SNP_OFFSET.REPORT_DATA, SNP_OFFSET.REPORT_DATA + 64))).toEqual(Buffer.from(rd));
    expect(Buffer.from(e.endorsement)).toEqual(Buffer.from(F.virteeVcek()));
    expect(fs.objects.size).toBe(0);
  });

  it("what a simulated kernel returns is not attestation: the consumer refuses the forgery (SNP_SIGNATURE_INVALID)", async () => {
    const fs = new SimulatedConfigfs({ root: ROOT, provider: "sev_guest", produce: forge, auxblob: aux });
    const provider = new TeeProvider({ backend: await ConfigfsTsmBackend.open({ fs }), compute: (x) => x });
    const policy = { snp: { measurements: [F.VIRTEE_MEASUREMENT], minTcb: { bootLoader: 0, tee: 0, snp: 0, microcode: 0 } } };
    const { request, pending } = createAttestRequest(new Uint8Array(16), policy);
    const att = await provider.attest(request);
    expectTee(() => verifyAttestation(pending, att, { policy, at: F.AT }), "SNP_SIGNATURE_INVALID");
  });

  it("a replayed report (report_data ≠ inblob) → BACKEND_FAILED; a race on generation → BACKEND_FAILED", async () => {
    const replay = new SimulatedConfigfs({ root: ROOT, provider: "sev_guest", produce: () => F.virteeReport(), auxblob: aux });
    await expectTeeAsync(async () => (await ConfigfsTsmBackend.open({ fs: replay })).getEvidence(new Uint8Array(64)), "BACKEND_FAILED");
    const racy = new SimulatedConfigfs({ root: ROOT, provider: "sev_guest", produce: forge, auxblob: aux, raceOnOutblob: true });
    const e = await expectTeeAsync(async () => (await ConfigfsTsmBackend.open({ fs: racy })).getEvidence(new Uint8Array(64)), "BACKEND_FAILED");
    expect(e.message).toMatch(/generation/);
    expect(racy.objects.size).toBe(0);
  });

  it("no VCEK in auxblob: uses the configured source, else BACKEND_UNAVAILABLE; a VLEK-only host → BACKEND_UNAVAILABLE", async () => {
    const none = new SimulatedConfigfs({ root: ROOT, provider: "sev_guest", produce: forge });
    await expectTeeAsync(async () => (await ConfigfsTsmBackend.open({ fs: none })).getEvidence(new Uint8Array(64)), "BACKEND_UNAVAILABLE");
    const withSource = await ConfigfsTsmBackend.open({ fs: none, vcek: async () => F.virteeVcek() });
    expect((await withSource.getEvidence(new Uint8Array(64))).endorsement.length).toBe(F.virteeVcek().length);
    const vlek = new SimulatedConfigfs({ root: ROOT, provider: "sev_guest", produce: forge, auxblob: certTable([[SNP_CERT_GUID.VLEK, new Uint8Array(5)]]) });
    const e = await expectTeeAsync(async () => (await ConfigfsTsmBackend.open({ fs: vlek })).getEvidence(new Uint8Array(64)), "BACKEND_UNAVAILABLE");
    expect(e.message).toMatch(/VLEK/);
  });

  it("TDX: needs a collateral source; outblob is the quote", async () => {
    const quoteFor = () => F.tdxQuote();
    const tdx = new SimulatedConfigfs({ root: ROOT, provider: "tdx_guest", produce: quoteFor });
    await expectTeeAsync(() => ConfigfsTsmBackend.open({ fs: tdx }), "BACKEND_UNAVAILABLE");
    const b = await ConfigfsTsmBackend.open({ fs: tdx, collateral: async () => F.tdxCollateral() });
    expect(b.platform).toBe(TeePlatform.TDX);
    // The recorded quote binds other report_data than requested, and the backend notices.
    await expectTeeAsync(() => b.getEvidence(new Uint8Array(64)), "BACKEND_FAILED");
    expect((await b.getEvidence(F.TDX_REPORT_DATA)).endorsement.length).toBe(F.tdxCollateral().length);
  });

  it("an unknown provider, a missing tree, a bad report_data size → codes", async () => {
    await expectTeeAsync(() => ConfigfsTsmBackend.open({ fs: new SimulatedConfigfs({ root: ROOT, provider: "arm_cca_guest", produce: forge }) }), "BACKEND_UNAVAILABLE");
    await expectTeeAsync(() => ConfigfsTsmBackend.open({ root: "/nonexistent/tsm/report" }), "BACKEND_UNAVAILABLE");
    const b = await ConfigfsTsmBackend.open({ fs: new SimulatedConfigfs({ root: ROOT, provider: "sev_guest", produce: forge, auxblob: aux }) });
    await expectTeeAsync(() => b.getEvidence(new Uint8Array(63)), "BACKEND_FAILED");
  });

  it("certificate tables: parsed by GUID; unterminated, out of range → BACKEND_FAILED", () => {
    const t = parseCertTable(aux);
    expect([...t.keys()]).toEqual([SNP_CERT_GUID.ASK, SNP_CERT_GUID.VCEK]);
    expectTee(() => parseCertTable(aux.subarray(0, 30)), "BACKEND_FAILED");
    const bad = aux.slice();
    new DataView(bad.buffer).setUint32(20, 1e6, true);
    expectTee(() => parseCertTable(bad), "BACKEND_FAILED");
    expect(Buffer.from(guidBytes(SNP_CERT_GUID.VCEK)).toString("hex")).toBe("63da758de6644564adc5f4b93be8accd");
  });
});

describe("guest devices (ioctl ABI)", () => {
  it("ioctl numbers are the kernel's _IOWR values", () => {
    expect(SNP_GET_REPORT).toBe(0xc0205300);
    expect(SNP_GET_EXT_REPORT).toBe(0xc0205302);
    expect(TDX_CMD_GET_REPORT0).toBe(0xc4405401);
    expect(iowr("S", 1, 32)).toBe(0xc0205301);
  });
  it("request and response layouts", () => {
    const rd = new Uint8Array(64).map((_, i) => i);
    const req = snpReportRequest(rd, 2);
    expect(req.length).toBe(96);
    expect(Buffer.from(req.subarray(0, 64))).toEqual(Buffer.from(rd));
    expect(new DataView(req.buffer).getUint32(64, true)).toBe(2);
    expect(req.subarray(68).every((b) => b === 0)).toBe(true);
    expectTee(() => snpReportRequest(rd, 4), "BACKEND_FAILED");
    expect(tdxReportRequest(rd).length).toBe(1088);
    const resp = new Uint8Array(4000);
    new DataView(resp.buffer).setUint32(4, 1184, true);
    resp.set(F.virteeReport(), 32);
    expect(Buffer.from(parseSnpReportResponse(resp))).toEqual(Buffer.from(F.virteeReport()));
    new DataView(resp.buffer).setUint32(0, 0x16, true);
    expectTee(() => parseSnpReportResponse(resp), "BACKEND_FAILED");
  });
  it("on this host the device backends say exactly why they cannot run → BACKEND_UNAVAILABLE", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mhr-dev-"));
    try {
      writeFileSync(join(dir, "sev-guest"), "");
      const absent = await expectTeeAsync(() => new SevGuestDeviceBackend(join(dir, "missing")).getEvidence(new Uint8Array(64)), "BACKEND_UNAVAILABLE");
      expect(absent.message).toMatch(/does not exist/);
      const file = await expectTeeAsync(() => new SevGuestDeviceBackend(join(dir, "sev-guest")).getEvidence(new Uint8Array(64)), "BACKEND_UNAVAILABLE");
      expect(file.message).toMatch(/not a character device/);
      // /dev/null is a character device: the remaining obstacle is ioctl itself.
      const chr = await expectTeeAsync(() => new TdxGuestDeviceBackend("/dev/null").getEvidence(new Uint8Array(64)), "BACKEND_UNAVAILABLE");
      expect(chr.message).toMatch(/ioctl/);
      await expectTeeAsync(() => new SevGuestDeviceBackend().getEvidence(new Uint8Array(64)), "BACKEND_UNAVAILABLE");
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  it("openTeeBackend never falls back to a double: with a missing tree it is BACKEND_UNAVAILABLE", async () => {
    const e = await expectTeeAsync(() => openTeeBackend({ root: "/nonexistent/tsm/report" }), "BACKEND_UNAVAILABLE");
    expect(e.message).toMatch(/not available on this host/);
  });
});
