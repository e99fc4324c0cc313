/**
 * The pinned roots Tier 3 trusts: per SEV-SNP product line the AMD ARK
 * (self-signed, RSA-4096 PSS) and its ASK, and the Intel SGX Root CA for DCAP.
 * They are run-time data under spec/attestation/, each pinned by the SHA-256
 * of its DER in trust-anchors.json; nothing a provider sends can add a root.
 */
import { X509Certificate, createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readCertificate, type CertificateFields } from "./der.ts";
import { teeFail } from "./errors.ts";

export const PRODUCT_LINES = ["Milan", "Genoa", "Turin"] as const;
export type ProductLine = (typeof PRODUCT_LINES)[number];

export interface PinnedCert {
  readonly cert: X509Certificate;
  readonly fields: CertificateFields;
}

export interface AmdRoot {
  readonly productLine: ProductLine;
  readonly ark: PinnedCert;
  readonly ask: PinnedCert;
}

export interface TrustAnchors {
  readonly amd: ReadonlyMap<ProductLine, AmdRoot>;
  /** DER of the Intel SGX Root CA, handed to dcap-qvl as its only root. */
  readonly intelRootDer: Buffer;
}

interface AnchorFile {
  format: string;
  amd: { productLine: ProductLine; ark: string; arkSha256: string; ask: string; askSha256: string }[];
  intel: { sgxRootCa: string; sha256: string };
}

export const DEFAULT_ANCHOR_DIR = fileURLToPath(new URL("../../../../spec/attestation/", import.meta.url));

export function derSha256(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex");
}

export function pinnedCert(pem: Uint8Array | string, sha256: string, what: string): PinnedCert {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(typeof pem === "string" ? pem : Buffer.from(pem));
  } catch (e) {
    return teeFail("ROOT_NOT_PINNED", `${what} is not a certificate: ${(e as Error).message}`);
  }
  const fp = derSha256(cert.raw);
  if (fp !== sha256) teeFail("ROOT_NOT_PINNED", `${what} has SHA-256 ${fp}, pinned ${sha256}`);
  return { cert, fields: readCertificate(cert.raw) };
}

/** Loads and checks the anchors in `dir` (default: the repository's spec/attestation/). */
export function loadTrustAnchors(dir = DEFAULT_ANCHOR_DIR): TrustAnchors {
  const file = JSON.parse(readFileSync(join(dir, "trust-anchors.json"), "utf8")) as AnchorFile;
  if (file.format !== "mhr-trust-anchors/1") teeFail("ROOT_NOT_PINNED", `unknown trust-anchor format ${file.format}`);
  const amd = new Map<ProductLine, AmdRoot>();
  for (const row of file.amd) {
    if (!PRODUCT_LINES.includes(row.productLine)) teeFail("ROOT_NOT_PINNED", `unknown product line ${row.productLine}`);
    const ark = pinnedCert(readFileSync(join(dir, row.ark)), row.arkSha256, `ARK-${row.productLine}`);
    const ask = pinnedCert(readFileSync(join(dir, row.ask)), row.askSha256, `ASK-${row.productLine}`);
    amd.set(row.productLine, { productLine: row.productLine, ark, ask });
  }
  const intel = pinnedCert(readFileSync(join(dir, file.intel.sgxRootCa)), file.intel.sha256, "Intel SGX Root CA");
  return { amd, intelRootDer: intel.cert.raw };
}

let cached: TrustAnchors | undefined;
/** The repository's anchors, loaded once per process. */
export function defaultTrustAnchors(): TrustAnchors {
  cached ??= loadTrustAnchors();
  return cached;
}
