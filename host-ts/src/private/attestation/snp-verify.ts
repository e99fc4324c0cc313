/**
 * Offline SEV-SNP evidence verification with Node's built-in crypto:
 * ARK (pinned, self-signed) → ASK → VCEK with RSA-PSS/SHA-384, every
 * certificate valid at the evaluation time, the report's ECDSA P-384/SHA-384
 * signature over bytes 0x000..0x29F under the VCEK key, and the VCEK's hwID
 * and SPLs equal to the report's chip_id and reported_tcb. Policy (debug,
 * TCB floor, measurement, VMPL, binding) is a separate step: policy.ts.
 */
import { X509Certificate, verify as cryptoVerify } from "node:crypto";
import { TeeLimit } from "../../generated/private-protocol.ts";
import { teeFail } from "./errors.ts";
import {
  SNP_SIG_ALGO_ECDSA_P384_SHA384, decodeTcb, maskChipKey, parseSnpReport, signingKey, snpSignatureP1363,
  type SnpReport, type SnpTcb,
} from "./snp-report.ts";
import { parseVcek, vcekPublicKey, type Vcek } from "./snp-vcek.ts";
import { defaultTrustAnchors, type ProductLine, type TrustAnchors } from "./trust-anchors.ts";
import type { CertificateFields } from "./der.ts";

export interface SnpVerifyOptions {
  /** Evaluation time for certificate validity (production: now; tests: a fixed time). */
  readonly at: Date;
  readonly anchors?: TrustAnchors;
}

export interface VerifiedSnp {
  readonly report: SnpReport;
  readonly vcek: Vcek;
  readonly productLine: ProductLine;
  readonly reportedTcb: SnpTcb;
}

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

function validAt(what: string, f: CertificateFields, at: Date): void {
  if (at < f.notBefore || at > f.notAfter) {
    teeFail("CERT_NOT_VALID_AT_TIME", `${what} is valid ${f.notBefore.toISOString()}..${f.notAfter.toISOString()}, not at ${at.toISOString()}`);
  }
}

/** The VCEK → ASK → ARK chain for the VCEK's own product line. */
export function verifyVcekChain(vcek: Vcek, opts: SnpVerifyOptions): void {
  const anchors = opts.anchors ?? defaultTrustAnchors();
  const root = anchors.amd.get(vcek.productLine);
  if (!root) return teeFail("SNP_PRODUCT_UNKNOWN", `no pinned ARK for ${vcek.productLine}`);
  const { ark, ask } = root;
  if (!signedBy(ark.cert, ark.cert)) teeFail("SNP_CHAIN_INVALID", `ARK-${vcek.productLine} is not self-signed`);
  if (!signedBy(ask.cert, ark.cert)) teeFail("SNP_CHAIN_INVALID", `ASK is not signed by ARK-${vcek.productLine}`);
  if (!signedBy(vcek.cert, ask.cert)) teeFail("SNP_CHAIN_INVALID", `VCEK (${vcek.productName}) is not signed by the ${vcek.productLine} ASK`);
  validAt(`ARK-${vcek.productLine}`, ark.fields, opts.at);
  validAt(`ASK-${vcek.productLine}`, ask.fields, opts.at);
  validAt("VCEK", vcek.fields, opts.at);
}

function tcbEqual(a: SnpTcb, b: SnpTcb): boolean {
  return a.bootLoader === b.bootLoader && a.tee === b.tee && a.snp === b.snp && a.microcode === b.microcode && (a.fmc ?? 0) === (b.fmc ?? 0);
}

/** hwID = chip_id (Turin: the first 8 bytes, the rest zero) and SPLs = reported_tcb; returns the decoded TCB. */
export function checkVcekMatchesReport(report: SnpReport, vcek: Vcek): SnpTcb {
  const chip = report.chipId;
  const hwOk = vcek.productLine === "Turin"
    ? vcek.hwId.every((b, i) => b === chip[i]) && chip.subarray(8).every((b) => b === 0)
    : vcek.hwId.every((b, i) => b === chip[i]);
  if (!hwOk) teeFail("SNP_VCEK_MISMATCH", "VCEK hwID is not the report's chip_id");
  const reportedTcb = decodeTcb(report.reportedTcb, vcek.productLine);
  if (!tcbEqual(reportedTcb, vcek.spl)) {
    teeFail("SNP_VCEK_MISMATCH", `VCEK SPLs ${JSON.stringify(vcek.spl)} are not reported_tcb ${JSON.stringify(reportedTcb)}`);
  }
  return reportedTcb;
}

export function verifySnpEvidence(reportBytes: Uint8Array, vcekDer: Uint8Array, opts: SnpVerifyOptions): VerifiedSnp {
  const report = parseSnpReport(reportBytes);
  if (report.signatureAlgo !== SNP_SIG_ALGO_ECDSA_P384_SHA384) teeFail("SNP_SIGNATURE_ALGO", `signature_algo ${report.signatureAlgo}`);
  const signer = signingKey(report.flags);
  if (signer !== 0) teeFail("SNP_SIGNING_KEY_UNSUPPORTED", `SIGNING_KEY ${signer} (${signer === 1 ? "VLEK" : signer === 7 ? "none" : "reserved"}); only the VCEK (0) is accepted`);
  if (maskChipKey(report.flags)) teeFail("SNP_SIGNING_KEY_UNSUPPORTED", "MASK_CHIP_KEY is set: the report is unsigned");
  if (report.chipId.every((b) => b === 0)) teeFail("SNP_SIGNING_KEY_UNSUPPORTED", "chip_id is masked (all zero); the VCEK cannot be matched");

  const vcek = parseVcek(vcekDer);
  verifyVcekChain(vcek, opts);

  const key = vcekPublicKey(vcek);
  const sig = snpSignatureP1363(report.bytes);
  let ok = false;
  try {
    ok = cryptoVerify("sha384", report.bytes.subarray(0, TeeLimit.SNP_SIGNED_BYTES), { key, dsaEncoding: "ieee-p1363" }, sig);
  } catch {
    ok = false;
  }
  if (!ok) teeFail("SNP_SIGNATURE_INVALID", "ECDSA P-384 signature over bytes 0x000..0x29F does not verify under the VCEK");

  const reportedTcb = checkVcekMatchesReport(report, vcek);
  return { report, vcek, productLine: vcek.productLine, reportedTcb };
}
