/**
 * SEV-SNP verification on the genuine Milan reports, and every tampering case
 * of the fixtures' SOURCES.md as a negative test.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { X509Certificate, verify as cryptoVerify } from "node:crypto";
import { checkVcekMatchesReport, verifySnpEvidence, verifyVcekChain } from "../../../src/private/attestation/snp-verify.ts";
import { parseSnpReport, snpSignatureP1363, SNP_OFFSET } from "../../../src/private/attestation/snp-report.ts";
import { parseVcek, vcekPublicKey } from "../../../src/private/attestation/snp-vcek.ts";
import { checkSnpPolicy, validatePolicy, type SnpPolicy } from "../../../src/private/attestation/policy.ts";
import { verifyEvidence } from "../../../src/private/attestation/evidence.ts";
import { defaultTrustAnchors, type TrustAnchors } from "../../../src/private/attestation/trust-anchors.ts";
import { TeeError } from "../../../src/private/attestation/errors.ts";
import { hexToBytes } from "../../../src/model/bytes.ts";
import * as F from "./fixtures.ts";
import { expectTee } from "./expect-tee.ts";

const at = F.AT;
const verify = (r: Uint8Array, v: Uint8Array = F.virteeVcek(), opts: { at?: Date; anchors?: TrustAnchors } = {}) =>
  verifySnpEvidence(r, v, { at: opts.at ?? at, anchors: opts.anchors });

const POLICY: SnpPolicy = { measurements: [F.VIRTEE_MEASUREMENT], minTcb: { bootLoader: 3, tee: 0, snp: 8, microcode: 115 } };

/** Overwrites a u32 (little-endian) in a copy of the report. */
function setU32(b: Uint8Array, off: number, v: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(off, v, true);
  return c;
}

describe("genuine SEV-SNP reports verify offline", () => {
  it("virtee Milan report: chain, signature, VCEK match", () => {
    const v = verify(F.virteeReport());
    expect(v.productLine).toBe("Milan");
    expect(v.vcek.productName).toBe("Milan-B0");
    expect(v.reportedTcb).toEqual({ bootLoader: 3, tee: 0, snp: 8, microcode: 115 });
    expect(v.report.version).toBe(2);
    expect(v.report.policy).toBe(0x30000n);
    expect(v.report.currentVersion).toEqual({ major: 1, minor: 52, build: 4 });
    expect(Buffer.from(v.report.measurement)).toEqual(Buffer.from(F.VIRTEE_MEASUREMENT));
    expect(Buffer.from(v.report.reportData).toString("hex")).toBe("d447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3d1cd82bd6a93ebfd");
    expect(Buffer.from(v.vcek.hwId)).toEqual(Buffer.from(v.report.chipId));
  });

  it("go-sev-guest Milan report: genuine, but DEBUG is set and the default policy refuses it", () => {
    const v = verify(F.goReport(), F.goVcek());
    expect(v.report.policy).toBe(0xb0000n);
    expect(v.reportedTcb).toEqual({ bootLoader: 2, tee: 0, snp: 5, microcode: 68 });
    const policy: SnpPolicy = { measurements: [F.GO_MEASUREMENT], minTcb: { bootLoader: 0, tee: 0, snp: 0, microcode: 0 } };
    expectTee(() => checkSnpPolicy(v, policy), "POLICY_DEBUG");
    expectTee(() => verifyEvidence(F.goSnpEvidence(), { snp: policy }, { at }), "POLICY_DEBUG");
    // Only an explicit, test-only allowDebug lets it through: the signature itself is fine.
    expect(() => checkSnpPolicy(v, { ...policy, allowDebug: true })).not.toThrow();
  });

  it("the virtee report passes the policy it should, and the evidence entry point agrees", () => {
    const v = verify(F.virteeReport());
    expect(() => checkSnpPolicy(v, POLICY)).not.toThrow();
    const e = verifyEvidence(F.snpEvidence(), { snp: POLICY }, { at });
    expect(e.platform).toBe(1);
    expect(Buffer.from(e.measurement)).toEqual(Buffer.from(F.VIRTEE_MEASUREMENT));
  });

  it("the Turin VCEK chains to the Turin ARK/ASK (chain-only fixture) and to no other line", () => {
    const vcek = parseVcek(F.turinVcek());
    expect(vcek.productName).toBe("Turin");
    expect(vcek.productLine).toBe("Turin");
    expect(vcek.hwId.length).toBe(8);
    expect(vcek.spl).toEqual({ fmc: 0, bootLoader: 0, tee: 0, snp: 0, microcode: 9 });
    expect(() => verifyVcekChain(vcek, { at })).not.toThrow();
    const milan = defaultTrustAnchors().amd.get("Milan")!;
    expectTee(() => verifyVcekChain(vcek, { at, anchors: { ...defaultTrustAnchors(), amd: new Map([["Turin", { ...milan, productLine: "Turin" }]]) } }), "SNP_CHAIN_INVALID");
  });
});

describe("tampering with the signed bytes 0x000..0x29F is refused", () => {
  const cases: [string, number, string][] = [
    ["version", SNP_OFFSET.VERSION, "SNP_REPORT_VERSION"],
    ["policy", SNP_OFFSET.POLICY, "SNP_SIGNATURE_INVALID"],
    ["report_data[0]", SNP_OFFSET.REPORT_DATA, "SNP_SIGNATURE_INVALID"],
    ["report_data[63]", SNP_OFFSET.REPORT_DATA + 63, "SNP_SIGNATURE_INVALID"],
    ["measurement[0]", SNP_OFFSET.MEASUREMENT, "SNP_SIGNATURE_INVALID"],
    ["chip_id[0]", SNP_OFFSET.CHIP_ID, "SNP_SIGNATURE_INVALID"],
    ["byte 0x29F", 0x29f, "SNP_SIGNATURE_INVALID"],
    ["r[0]", SNP_OFFSET.SIGNATURE_R, "SNP_SIGNATURE_INVALID"],
    ["s[47]", SNP_OFFSET.SIGNATURE_S + 47, "SNP_SIGNATURE_INVALID"],
  ];
  for (const [name, off, code] of cases) {
    it(`one bit of ${name} (0x${off.toString(16)}) → ${code}`, () => {
      expectTee(() => verify(F.flipBit(F.virteeReport(), off)), code as "SNP_SIGNATURE_INVALID");
      expectTee(() => verify(F.flipBit(F.goReport(), off), F.goVcek()), code as "SNP_SIGNATURE_INVALID");
    });
  }

  it("any single bit flip in the signed range or the low 48 bytes of r, s is refused (property)", () => {
    const report = F.virteeReport();
    const offsets = fc.oneof(
      fc.integer({ min: 0, max: 0x29f }),
      fc.integer({ min: SNP_OFFSET.SIGNATURE_R, max: SNP_OFFSET.SIGNATURE_R + 47 }),
      fc.integer({ min: SNP_OFFSET.SIGNATURE_S, max: SNP_OFFSET.SIGNATURE_S + 47 }),
    );
    fc.assert(fc.property(offsets, fc.integer({ min: 0, max: 7 }), (off, bit) => {
      try {
        verify(F.flipBit(report, off, bit));
        return false;
      } catch (e) {
        return e instanceof TeeError;
      }
    }), { numRuns: 150 });
  });

  it("a non-zero high byte of r or s (bytes 48..71, unsigned) → SNP_SIGNATURE_ENCODING, though a naive converter accepts it", () => {
    for (const off of [SNP_OFFSET.SIGNATURE_R + 48, SNP_OFFSET.SIGNATURE_R + 71, SNP_OFFSET.SIGNATURE_S + 48, SNP_OFFSET.SIGNATURE_S + 71]) {
      const t = F.flipBit(F.virteeReport(), off);
      expectTee(() => verify(t), "SNP_SIGNATURE_ENCODING");
      // The attack is real: reading only the low 48 bytes, the signature still verifies.
      const naive = new Uint8Array(96);
      for (let i = 0; i < 48; i++) { naive[i] = t[SNP_OFFSET.SIGNATURE_R + 47 - i]; naive[48 + i] = t[SNP_OFFSET.SIGNATURE_S + 47 - i]; }
      const key = new X509Certificate(Buffer.from(F.virteeVcek())).publicKey;
      expect(cryptoVerify("sha384", t.subarray(0, 0x2a0), { key, dsaEncoding: "ieee-p1363" }, naive)).toBe(true);
    }
  });

  it("an all-zero r → SNP_SIGNATURE_ENCODING", () => {
    const t = F.virteeReport();
    t.fill(0, SNP_OFFSET.SIGNATURE_R, SNP_OFFSET.SIGNATURE_R + 72);
    expectTee(() => snpSignatureP1363(t), "SNP_SIGNATURE_ENCODING");
  });

  it("ACCEPTED, documented: a flip in the reserved tail after the signature (0x400) is not covered by any signature", () => {
    for (const off of [0x330, 0x400, 0x49f]) expect(() => verify(F.flipBit(F.virteeReport(), off))).not.toThrow();
  });
});

describe("the report layout is checked before anything is trusted", () => {
  it("a size other than 1184 → SNP_REPORT_SIZE", () => {
    const r = F.virteeReport();
    expectTee(() => verify(r.subarray(0, 1183)), "SNP_REPORT_SIZE");
    expectTee(() => verify(Uint8Array.from([...r, 0])), "SNP_REPORT_SIZE");
    expectTee(() => verify(new Uint8Array(0)), "SNP_REPORT_SIZE");
  });
  it("versions other than 2 → SNP_REPORT_VERSION", () => {
    for (const v of [0, 1, 3, 5, 0xffffffff]) expectTee(() => verify(setU32(F.virteeReport(), 0, v)), "SNP_REPORT_VERSION");
  });
  it("signature_algo other than 1 → SNP_SIGNATURE_ALGO", () => {
    expectTee(() => verify(setU32(F.virteeReport(), SNP_OFFSET.SIGNATURE_ALGO, 2)), "SNP_SIGNATURE_ALGO");
    expectTee(() => verify(setU32(F.virteeReport(), SNP_OFFSET.SIGNATURE_ALGO, 0)), "SNP_SIGNATURE_ALGO");
  });
  it("VLEK, no signing key, MASK_CHIP_KEY or a masked chip id → SNP_SIGNING_KEY_UNSUPPORTED", () => {
    expectTee(() => verify(setU32(F.virteeReport(), SNP_OFFSET.FLAGS, 1 << 2)), "SNP_SIGNING_KEY_UNSUPPORTED");
    expectTee(() => verify(setU32(F.virteeReport(), SNP_OFFSET.FLAGS, 7 << 2)), "SNP_SIGNING_KEY_UNSUPPORTED");
    expectTee(() => verify(setU32(F.virteeReport(), SNP_OFFSET.FLAGS, 2)), "SNP_SIGNING_KEY_UNSUPPORTED");
    const masked = F.virteeReport();
    masked.fill(0, SNP_OFFSET.CHIP_ID, SNP_OFFSET.CHIP_ID + 64);
    expectTee(() => verify(masked), "SNP_SIGNING_KEY_UNSUPPORTED");
  });
});

/** Offset of the VCEK's raw EC point inside its DER. */
function vcekKeyOffset(der: Uint8Array): number {
  const spki = new X509Certificate(Buffer.from(der)).publicKey.export({ type: "spki", format: "der" });
  const point = spki.subarray(spki.length - 97);
  const off = Buffer.from(der).indexOf(point);
  expect(off).toBeGreaterThan(0);
  return off;
}

describe("the VCEK and its chain", () => {
  it("a VCEK with one public-key byte flipped fails the ASK signature → SNP_CHAIN_INVALID", () => {
    const der = F.virteeVcek();
    for (const delta of [1, 40, 96]) {
      const t = F.flipBit(der, vcekKeyOffset(der) + delta);
      expectTee(() => verify(F.virteeReport(), t), "SNP_CHAIN_INVALID");
      // The flipped key is not even a P-384 point; read on its own it is malformed.
      expectTee(() => vcekPublicKey(parseVcek(t)), "SNP_VCEK_MALFORMED");
    }
  });
  it("the Milan VCEK checked against the Genoa ASK (wrong ASK) → SNP_CHAIN_INVALID", () => {
    const a = defaultTrustAnchors();
    const genoa = a.amd.get("Genoa")!;
    const wrong: TrustAnchors = { ...a, amd: new Map([["Milan", { ...genoa, productLine: "Milan" }]]) };
    expectTee(() => verify(F.virteeReport(), F.virteeVcek(), { anchors: wrong }), "SNP_CHAIN_INVALID");
  });
  it("no pinned root for the VCEK's product line → SNP_PRODUCT_UNKNOWN", () => {
    const a = defaultTrustAnchors();
    expectTee(() => verify(F.virteeReport(), F.virteeVcek(), { anchors: { ...a, amd: new Map() } }), "SNP_PRODUCT_UNKNOWN");
  });
  it("another chip's genuine VCEK: the chain is fine, the report signature is not → SNP_SIGNATURE_INVALID", () => {
    expectTee(() => verify(F.virteeReport(), F.goVcek()), "SNP_SIGNATURE_INVALID");
  });
  it("hwID ≠ chip_id or SPLs ≠ reported_tcb → SNP_VCEK_MISMATCH (the match check on its own)", () => {
    // A genuine report cannot carry a valid signature by a mismatching genuine VCEK, so the
    // match step is exercised directly on parsed genuine data.
    const report = parseSnpReport(F.virteeReport());
    expect(checkVcekMatchesReport(report, parseVcek(F.virteeVcek()))).toEqual({ bootLoader: 3, tee: 0, snp: 8, microcode: 115 });
    expectTee(() => checkVcekMatchesReport(report, parseVcek(F.goVcek())), "SNP_VCEK_MISMATCH");
    const tcb = report.reportedTcb.slice();
    tcb[7] = 114; // microcode
    expectTee(() => checkVcekMatchesReport({ ...report, reportedTcb: tcb }, parseVcek(F.virteeVcek())), "SNP_VCEK_MISMATCH");
  });
  it("Turin matching: the 8-byte hwID against the first 8 bytes of chip_id, the rest must be zero", () => {
    const vcek = parseVcek(F.turinVcek());
    const report = parseSnpReport(F.virteeReport());
    const chip = new Uint8Array(64);
    chip.set(vcek.hwId, 0);
    const tcb = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 9]); // Turin layout: fmc, bl, tee, snp, …, ucode
    expect(checkVcekMatchesReport({ ...report, chipId: chip, reportedTcb: tcb }, vcek)).toEqual({ fmc: 0, bootLoader: 0, tee: 0, snp: 0, microcode: 9 });
    const dirty = chip.slice();
    dirty[8] = 1;
    expectTee(() => checkVcekMatchesReport({ ...report, chipId: dirty, reportedTcb: tcb }, vcek), "SNP_VCEK_MISMATCH");
  });
  it("certificate validity at the evaluation time → CERT_NOT_VALID_AT_TIME", () => {
    expectTee(() => verify(F.virteeReport(), F.virteeVcek(), { at: new Date("2023-04-03T19:23:42Z") }), "CERT_NOT_VALID_AT_TIME");
    expect(() => verify(F.virteeReport(), F.virteeVcek(), { at: new Date("2023-04-03T19:23:43Z") })).not.toThrow();
    expect(() => verify(F.virteeReport(), F.virteeVcek(), { at: new Date("2030-04-03T19:23:43Z") })).not.toThrow();
    expectTee(() => verify(F.virteeReport(), F.virteeVcek(), { at: new Date("2030-04-03T19:23:44Z") }), "CERT_NOT_VALID_AT_TIME");
    expectTee(() => verify(F.virteeReport(), F.virteeVcek(), { at: new Date("2019-01-01T00:00:00Z") }), "CERT_NOT_VALID_AT_TIME");
  });
  it("not a certificate, trailing bytes, an RSA certificate → SNP_VCEK_MALFORMED; too large → MESSAGE_TOO_LARGE", () => {
    const der = F.virteeVcek();
    expectTee(() => parseVcek(der.subarray(0, 500)), "SNP_VCEK_MALFORMED");
    expectTee(() => parseVcek(Uint8Array.from([...der, 0])), "SNP_VCEK_MALFORMED");
    expectTee(() => parseVcek(new Uint8Array(10)), "SNP_VCEK_MALFORMED");
    const ask = new Uint8Array(defaultTrustAnchors().amd.get("Milan")!.ask.cert.raw);
    expectTee(() => parseVcek(ask), "SNP_VCEK_MALFORMED"); // RSA, and no AMD VCEK extensions
    expectTee(() => parseVcek(new Uint8Array(5000)), "MESSAGE_TOO_LARGE");
  });
});

describe("policy", () => {
  const v = () => verify(F.virteeReport());
  it("reported TCB below the floor in any component → POLICY_TCB_TOO_LOW", () => {
    for (const k of ["bootLoader", "tee", "snp", "microcode"] as const) {
      const min = { ...POLICY.minTcb, [k]: POLICY.minTcb[k] + 1 };
      expectTee(() => checkSnpPolicy(v(), { ...POLICY, minTcb: min }), "POLICY_TCB_TOO_LOW");
    }
  });
  it("a measurement not in the allow-list → POLICY_MEASUREMENT", () => {
    expectTee(() => checkSnpPolicy(v(), { ...POLICY, measurements: [F.GO_MEASUREMENT] }), "POLICY_MEASUREMENT");
  });
  it("VMPL above the maximum → POLICY_VMPL (VMPL 0 report against a policy; a VMPL 1 report synthesised from the verified fields)", () => {
    const r = v();
    expect(r.report.vmpl).toBe(0);
    expectTee(() => checkSnpPolicy({ ...r, report: { ...r.report, vmpl: 1 } }, POLICY), "POLICY_VMPL");
    expect(() => checkSnpPolicy({ ...r, report: { ...r.report, vmpl: 1 } }, { ...POLICY, maxVmpl: 1 })).not.toThrow();
  });
  it("MIGRATE_MA → POLICY_MIGRATION_AGENT unless allowed", () => {
    const r = v();
    const ma = { ...r, report: { ...r.report, policy: r.report.policy | (1n << 18n) } };
    expectTee(() => checkSnpPolicy(ma, POLICY), "POLICY_MIGRATION_AGENT");
    expect(() => checkSnpPolicy(ma, { ...POLICY, allowMigrationAgent: true })).not.toThrow();
  });
  it("a pinned host_data that differs → POLICY_FIELD_PINNED; a product line not accepted → PLATFORM_NOT_ACCEPTED", () => {
    expectTee(() => checkSnpPolicy(v(), { ...POLICY, hostData: new Uint8Array(32).fill(1) }), "POLICY_FIELD_PINNED");
    expect(() => checkSnpPolicy(v(), { ...POLICY, hostData: new Uint8Array(32) })).not.toThrow();
    expectTee(() => checkSnpPolicy(v(), { ...POLICY, productLines: ["Genoa", "Turin"] }), "PLATFORM_NOT_ACCEPTED");
  });
  it("malformed policies → POLICY_INVALID", () => {
    expectTee(() => validatePolicy({}), "POLICY_INVALID");
    expectTee(() => validatePolicy({ snp: { ...POLICY, measurements: [] } }), "POLICY_INVALID");
    expectTee(() => validatePolicy({ snp: { ...POLICY, measurements: [new Uint8Array(32)] } }), "POLICY_INVALID");
    expectTee(() => validatePolicy({ snp: { ...POLICY, maxVmpl: 4 } }), "POLICY_INVALID");
    expectTee(() => validatePolicy({ snp: { ...POLICY, minTcb: { ...POLICY.minTcb, microcode: 256 } } }), "POLICY_INVALID");
    expectTee(() => validatePolicy({ snp: POLICY, binding: { kind: "pinned-replay", reportData: new Uint8Array(63), reason: "x" } }), "POLICY_INVALID");
  });
  it("a platform without a policy → PLATFORM_NOT_ACCEPTED", () => {
    expectTee(() => verifyEvidence(F.snpEvidence(), { tdx: { mrTds: [F.TDX_MRTD] } }, { at }), "PLATFORM_NOT_ACCEPTED");
  });
});

it("parseSnpReport reads the fields SOURCES.md lists", () => {
  const r = parseSnpReport(F.goReport());
  expect(Buffer.from(r.reportData)).toEqual(Buffer.concat([Buffer.from("0102030405", "hex"), Buffer.alloc(59)]));
  expect(r.vmpl).toBe(0);
  expect(r.signatureAlgo).toBe(1);
  expect(r.platformInfo).toBe(1n);
  expect(r.flags).toBe(0);
  expect(Buffer.from(r.chipId).toString("hex").startsWith("3ac3fe21e13fb099")).toBe(true);
  expect(r.currentVersion).toEqual({ major: 1, minor: 49, build: 3 });
  expect(hexToBytes(Buffer.from(r.hostData).toString("hex")).every((b) => b === 0)).toBe(true);
});
