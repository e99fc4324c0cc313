/**
 * Intel TDX and SGX DCAP quotes through @phala/dcap-qvl with our pinned root,
 * the TCB-status policy, allow-lists, and every DCAP tampering case of the
 * fixtures' SOURCES.md.
 */
import { describe, expect, it } from "vitest";
import dcap from "@phala/dcap-qvl";
import { verifyDcapEvidence, parseCollateral, type VerifiedTdx, type VerifiedSgx } from "../../../src/private/attestation/dcap-verify.ts";
import { checkSgxPolicy, checkTdxPolicy, validatePolicy } from "../../../src/private/attestation/policy.ts";
import { verifyEvidence, unverifiedReportData } from "../../../src/private/attestation/evidence.ts";
import { TeePlatform } from "../../../src/generated/private-protocol.ts";
import * as F from "./fixtures.ts";
import { expectTee } from "./expect-tee.ts";

const at = F.AT;
const tdx = (q = F.tdxQuote(), c = F.tdxCollateral(), when = at) => verifyDcapEvidence(TeePlatform.TDX, q, c, { at: when }) as VerifiedTdx;
const sgx = (q = F.sgxQuote(), c = F.sgxCollateral(), when = at) => verifyDcapEvidence(TeePlatform.SGX, q, c, { at: when }) as VerifiedSgx;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// TDX quote v4 layout: 48-byte header, then the TD report body.
const BODY = 48;
const MRTD = BODY + 136, RTMR0 = BODY + 328, REPORT_DATA = BODY + 520;
const SIG = 636, ATT_KEY = 700; // after the u32 signature-data length at 632

function editCollateral(field: "tcb_info" | "qe_identity", from: string, to: string): Uint8Array {
  const c = JSON.parse(F.fixtureText("tdx/tdx_quote_collateral.json")) as Record<string, string>;
  expect(c[field]).toContain(from);
  c[field] = c[field].replace(from, to);
  return new TextEncoder().encode(JSON.stringify(c));
}

describe("genuine quotes verify at the fixed time", () => {
  it("TDX v4: UpToDate, fields as SOURCES.md lists them", () => {
    const v = tdx();
    expect(v.status).toBe("UpToDate");
    expect(v.advisoryIds).toEqual([]);
    expect(v.quoteVersion).toBe(4);
    expect(v.bodyType).toBe("td10");
    expect(hex(v.mrTd)).toBe(hex(F.TDX_MRTD));
    expect(hex(v.reportData)).toBe(hex(F.TDX_REPORT_DATA));
    expect(hex(v.teeTcbSvn)).toBe("06010300000000000000000000000000");
    expect(hex(v.tdAttributes)).toBe("0000001000000000");
    expect(v.rtMr[3].every((b) => b === 0)).toBe(true);
    expect(hex(v.mrSeam).startsWith("5b38e33a")).toBe(true);
  });
  it("the default TDX policy (UpToDate only) accepts it when its MRTD is allow-listed", () => {
    const e = verifyEvidence(F.tdxEvidence(), { tdx: { mrTds: [F.TDX_MRTD] } }, { at });
    expect(e.platform).toBe(TeePlatform.TDX);
    expect(hex(e.reportData)).toBe(hex(F.TDX_REPORT_DATA));
  });
  it("SGX v3: ConfigurationAndSWHardeningNeeded with INTEL-SA-00289 and -00615", () => {
    const v = sgx();
    expect(v.status).toBe("ConfigurationAndSWHardeningNeeded");
    expect(v.advisoryIds).toEqual(["INTEL-SA-00289", "INTEL-SA-00615"]);
    expect(v.quoteVersion).toBe(3);
    expect(hex(v.mrEnclave)).toBe(hex(F.SGX_MRENCLAVE));
    expect(hex(v.mrSigner)).toBe(hex(F.SGX_MRSIGNER));
    expect(new TextDecoder().decode(v.reportData.subarray(0, 13))).toBe("Hello, world!");
    expect(v.reportData.subarray(13).every((b) => b === 0)).toBe(true);
  });
  it("unverifiedReportData reads the same report_data from the raw quotes", () => {
    expect(hex(unverifiedReportData(F.tdxEvidence()))).toBe(hex(F.TDX_REPORT_DATA));
    expect(hex(unverifiedReportData(F.sgxEvidence()))).toBe(hex(sgx().reportData));
  });
});

describe("TCB status policy", () => {
  it("SGX ConfigurationAndSWHardeningNeeded is refused by default → POLICY_TCB_STATUS, and accepted only when listed", () => {
    expectTee(() => verifyEvidence(F.sgxEvidence(), { sgx: { mrEnclaves: [F.SGX_MRENCLAVE] } }, { at }), "POLICY_TCB_STATUS");
    const ok = verifyEvidence(F.sgxEvidence(), { sgx: { mrEnclaves: [F.SGX_MRENCLAVE], acceptTcbStatuses: ["UpToDate", "ConfigurationAndSWHardeningNeeded"] } }, { at });
    expect(ok.platform).toBe(TeePlatform.SGX);
  });
  it("a TDX policy that accepts only SWHardeningNeeded refuses UpToDate → POLICY_TCB_STATUS", () => {
    expectTee(() => checkTdxPolicy(tdx(), { mrTds: [F.TDX_MRTD], acceptTcbStatuses: ["SWHardeningNeeded"] }), "POLICY_TCB_STATUS");
  });
  it("Revoked or Unknown can never be accepted → POLICY_INVALID; an empty list → POLICY_INVALID", () => {
    expectTee(() => validatePolicy({ tdx: { mrTds: [F.TDX_MRTD], acceptTcbStatuses: ["UpToDate", "Revoked"] } }), "POLICY_INVALID");
    expectTee(() => validatePolicy({ sgx: { mrEnclaves: [F.SGX_MRENCLAVE], acceptTcbStatuses: ["Unknown"] } }), "POLICY_INVALID");
    expectTee(() => validatePolicy({ tdx: { mrTds: [F.TDX_MRTD], acceptTcbStatuses: [] } }), "POLICY_INVALID");
    expectTee(() => validatePolicy({ tdx: { mrTds: [] } }), "POLICY_INVALID");
  });
  it("the outdated TDX v5 quote: no TCB level matches → DCAP_TCB_NO_MATCH", () => {
    expectTee(() => tdx(F.tdxOutdatedQuote(), F.tdxOutdatedCollateral(), new Date("2026-03-01T00:00:00Z")), "DCAP_TCB_NO_MATCH");
    const q = dcap.Quote.parse(Buffer.from(F.tdxOutdatedQuote()));
    expect(q.header.version).toBe(5);
    expect(q.report.type).toBe("td15");
  });
});

describe("allow-lists and pins", () => {
  it("an MRTD not allow-listed → POLICY_MEASUREMENT", () => {
    expectTee(() => checkTdxPolicy(tdx(), { mrTds: [new Uint8Array(48)] }), "POLICY_MEASUREMENT");
  });
  it("pinned MRCONFIGID / RTMR that differ → POLICY_FIELD_PINNED", () => {
    const v = tdx();
    expectTee(() => checkTdxPolicy(v, { mrTds: [F.TDX_MRTD], mrConfigId: new Uint8Array(48).fill(1) }), "POLICY_FIELD_PINNED");
    expectTee(() => checkTdxPolicy(v, { mrTds: [F.TDX_MRTD], rtMrs: { 0: new Uint8Array(48) } }), "POLICY_FIELD_PINNED");
    expect(() => checkTdxPolicy(v, { mrTds: [F.TDX_MRTD], rtMrs: { 3: new Uint8Array(48) }, mrConfigId: v.mrConfigId })).not.toThrow();
  });
  it("SGX MRENCLAVE not allow-listed → POLICY_MEASUREMENT; MRSIGNER pin → POLICY_FIELD_PINNED", () => {
    const p = { mrEnclaves: [F.SGX_MRENCLAVE], acceptTcbStatuses: ["ConfigurationAndSWHardeningNeeded" as const] };
    expect(() => checkSgxPolicy(sgx(), { ...p, mrSigner: F.SGX_MRSIGNER })).not.toThrow();
    expectTee(() => checkSgxPolicy(sgx(), { ...p, mrEnclaves: [new Uint8Array(32)] }), "POLICY_MEASUREMENT");
    expectTee(() => checkSgxPolicy(sgx(), { ...p, mrSigner: new Uint8Array(32) }), "POLICY_FIELD_PINNED");
  });
  it("DEBUG attributes → POLICY_DEBUG (our second check behind dcap-qvl's; synthesised from verified fields)", () => {
    const v = tdx();
    const debugTd = { ...v, tdAttributes: Uint8Array.from([1, 0, 0, 0x10, 0, 0, 0, 0]) };
    expectTee(() => checkTdxPolicy(debugTd, { mrTds: [F.TDX_MRTD] }), "POLICY_DEBUG");
    const s = sgx();
    const debugEnclave = { ...s, attributes: Uint8Array.from([0x07, ...s.attributes.subarray(1)]) };
    expectTee(() => checkSgxPolicy(debugEnclave, { mrEnclaves: [F.SGX_MRENCLAVE], acceptTcbStatuses: ["ConfigurationAndSWHardeningNeeded"] }), "POLICY_DEBUG");
  });
});

describe("evaluation time", () => {
  it("after the collateral expires → DCAP_COLLATERAL_EXPIRED; before it is issued → DCAP_COLLATERAL_EXPIRED", () => {
    expectTee(() => tdx(undefined, undefined, new Date("2025-08-01T00:00:00Z")), "DCAP_COLLATERAL_EXPIRED");
    expectTee(() => tdx(undefined, undefined, new Date("2025-06-01T00:00:00Z")), "DCAP_COLLATERAL_EXPIRED");
    expectTee(() => sgx(undefined, undefined, new Date("2025-08-01T00:00:00Z")), "DCAP_COLLATERAL_EXPIRED");
  });
  it("inside the window it verifies at both edges SOURCES.md gives", () => {
    expect(tdx(undefined, undefined, new Date("2025-06-19T10:32:27Z")).status).toBe("UpToDate");
    expect(tdx(undefined, undefined, new Date("2025-07-19T10:00:35Z")).status).toBe("UpToDate");
  });
});

describe("tampering with the quote is refused", () => {
  const cases: [string, number][] = [
    ["header byte 8", 8], ["mrTd[0]", MRTD], ["rtMr0[0]", RTMR0], ["reportData[0]", REPORT_DATA],
    ["reportData[63]", REPORT_DATA + 63], ["signature r[0]", SIG], ["signature s[31]", SIG + 63],
    ["attestation key", ATT_KEY + 5],
  ];
  for (const [name, off] of cases) {
    it(`one byte of ${name} → DCAP_VERIFY_FAILED`, () => {
      const e = expectTee(() => tdx(F.flipBit(F.tdxQuote(), off)), "DCAP_VERIFY_FAILED");
      expect(e.message).toMatch(name === "attestation key" ? /QE report hash mismatch/ : /ISV enclave report signature is invalid/);
    });
  }
  it("the same for the SGX quote (header, report body, signature)", () => {
    for (const off of [8, 48 + 64, 48 + 320 + 10, 436 + 3]) expectTee(() => sgx(F.flipBit(F.sgxQuote(), off)), "DCAP_VERIFY_FAILED");
  });
  it("a character inside the embedded root CA PEM → DCAP_VERIFY_FAILED", () => {
    const q = F.tdxQuote();
    const s = Buffer.from(q).toString("latin1");
    const root = s.lastIndexOf("-----BEGIN CERTIFICATE-----");
    const p = root + 28 + 300;
    const t = q.slice();
    t[p] = t[p] === 0x41 ? 0x42 : 0x41; // another base64 letter, so the PEM still parses
    expectTee(() => tdx(t), "DCAP_VERIFY_FAILED");
  });
  it("ACCEPTED, documented: the zero padding after the PEM chain is not signed", () => {
    const q = F.tdxQuote();
    const end = Buffer.from(q).toString("latin1").lastIndexOf("-----END CERTIFICATE-----") + 26;
    expect(q.subarray(end).every((b) => b === 0)).toBe(true);
    expect(tdx(F.flipBit(q, end + 30)).status).toBe("UpToDate");
  });
  it("truncated or garbage quotes → DCAP_QUOTE_MALFORMED; oversize → MESSAGE_TOO_LARGE", () => {
    expectTee(() => tdx(F.tdxQuote().subarray(0, 600)), "DCAP_QUOTE_MALFORMED");
    expectTee(() => tdx(new Uint8Array(100)), "DCAP_QUOTE_MALFORMED");
    expectTee(() => tdx(new Uint8Array(20000)), "MESSAGE_TOO_LARGE");
  });
  it("an SGX quote presented as TDX (and the reverse) → DCAP_QUOTE_MALFORMED", () => {
    expectTee(() => tdx(F.sgxQuote(), F.sgxCollateral()), "DCAP_QUOTE_MALFORMED");
    expectTee(() => sgx(F.tdxQuote(), F.tdxCollateral()), "DCAP_QUOTE_MALFORMED");
  });
  it("the SGX collateral with the TDX quote → refused", () => {
    expectTee(() => tdx(F.tdxQuote(), F.sgxCollateral()), "DCAP_VERIFY_FAILED");
  });
});

describe("tampering with the collateral is refused", () => {
  it("edited tcb_info → DCAP_VERIFY_FAILED (its signature)", () => {
    const e = expectTee(() => tdx(undefined, editCollateral("tcb_info", '"tcbEvaluationDataNumber":17', '"tcbEvaluationDataNumber":18')), "DCAP_VERIFY_FAILED");
    expect(e.message).toMatch(/tcb_info/);
  });
  it("edited qe_identity → DCAP_VERIFY_FAILED (its signature)", () => {
    const c = JSON.parse(F.fixtureText("tdx/tdx_quote_collateral.json")) as { qe_identity: string };
    const m = /"isvsvn":(\d+)/.exec(c.qe_identity)!;
    const e = expectTee(() => tdx(undefined, editCollateral("qe_identity", m[0], `"isvsvn":${Number(m[1]) + 1}`)), "DCAP_VERIFY_FAILED");
    expect(e.message).toMatch(/qe_identity/);
  });
  it("a flipped tcb_info signature byte → DCAP_VERIFY_FAILED", () => {
    const c = JSON.parse(F.fixtureText("tdx/tdx_quote_collateral.json")) as Record<string, string>;
    const sig = c.tcb_info_signature;
    c.tcb_info_signature = (sig[0] === "0" ? "1" : "0") + sig.slice(1);
    expectTee(() => tdx(undefined, new TextEncoder().encode(JSON.stringify(c))), "DCAP_VERIFY_FAILED");
  });
  it("not JSON, not UTF-8, missing or mistyped fields → DCAP_COLLATERAL_MALFORMED; too large → MESSAGE_TOO_LARGE", () => {
    expectTee(() => parseCollateral(new TextEncoder().encode("{")), "DCAP_COLLATERAL_MALFORMED");
    expectTee(() => parseCollateral(Uint8Array.from([0xff, 0xfe])), "DCAP_COLLATERAL_MALFORMED");
    expectTee(() => parseCollateral(new TextEncoder().encode("[]")), "DCAP_COLLATERAL_MALFORMED");
    const c = JSON.parse(F.fixtureText("tdx/tdx_quote_collateral.json")) as Record<string, unknown>;
    for (const [k, v] of [["tcb_info", undefined], ["pck_crl", "zz"], ["qe_identity_signature", [1, 300]], ["tcb_info", 5]] as const) {
      expectTee(() => parseCollateral(new TextEncoder().encode(JSON.stringify({ ...c, [k]: v }))), "DCAP_COLLATERAL_MALFORMED");
    }
    expectTee(() => parseCollateral(new Uint8Array(70000)), "MESSAGE_TOO_LARGE");
  });
});

it("our pinned Intel root is handed to dcap-qvl: a different root makes every quote fail", async () => {
  const { loadTrustAnchors, defaultTrustAnchors } = await import("../../../src/private/attestation/trust-anchors.ts");
  expect(loadTrustAnchors).toBeTypeOf("function");
  const amdOnly = { ...defaultTrustAnchors(), intelRootDer: Buffer.from(defaultTrustAnchors().amd.get("Milan")!.ark.cert.raw) };
  expectTee(() => verifyDcapEvidence(TeePlatform.TDX, F.tdxQuote(), F.tdxCollateral(), { at, anchors: amdOnly }), "DCAP_VERIFY_FAILED");
});
