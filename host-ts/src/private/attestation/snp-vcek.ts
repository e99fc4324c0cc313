/**
 * The VCEK (Versioned Chip Endorsement Key) certificate: a P-384 key that AMD's
 * KDS derives per chip and per TCB, with AMD extensions under
 * 1.3.6.1.4.1.3704.1 naming the chip (hwID), its product (productName) and the
 * TCB it was derived for (SPLs). The report must match all of them.
 */
import { X509Certificate, type KeyObject } from "node:crypto";
import { TeeLimit } from "../../generated/private-protocol.ts";
import { DerError, Tag, decodeSmallUint, readCertificate, readOnly, type CertificateFields } from "./der.ts";
import { teeFail } from "./errors.ts";
import type { SnpTcb } from "./snp-report.ts";
import { PRODUCT_LINES, type ProductLine } from "./trust-anchors.ts";

const AMD = "1.3.6.1.4.1.3704.1";
export const VcekOid = {
  PRODUCT_NAME: `${AMD}.2`,
  BL_SPL: `${AMD}.3.1`,
  TEE_SPL: `${AMD}.3.2`,
  SNP_SPL: `${AMD}.3.3`,
  UCODE_SPL: `${AMD}.3.8`,
  FMC_SPL: `${AMD}.3.9`,
  HW_ID: `${AMD}.4`,
} as const;

export interface Vcek {
  readonly cert: X509Certificate;
  readonly fields: CertificateFields;
  /** As the KDS writes it, e.g. "Milan-B0" or "Turin". */
  readonly productName: string;
  readonly productLine: ProductLine;
  readonly spl: SnpTcb;
  /** 64 bytes on Milan and Genoa, 8 on Turin. */
  readonly hwId: Uint8Array;
}

export function productLineOf(productName: string): ProductLine | undefined {
  const stem = productName.split("-")[0];
  return PRODUCT_LINES.find((l) => l === stem);
}

/**
 * The VCEK's P-384 key. Read only after the chain has verified: a tampered
 * key is usually not a curve point at all, and "not signed by the ASK" is
 * the finding that matters.
 */
export function vcekPublicKey(vcek: Vcek): KeyObject {
  let key: KeyObject;
  try {
    key = vcek.cert.publicKey;
  } catch (e) {
    return teeFail("SNP_VCEK_MALFORMED", `VCEK public key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "secp384r1") {
    teeFail("SNP_VCEK_MALFORMED", `VCEK key is ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ""}, not P-384`);
  }
  return key;
}

/** Certificate and AMD extensions; the key is checked by vcekPublicKey. */
export function parseVcek(der: Uint8Array): Vcek {
  if (der.length > TeeLimit.VCEK_MAX_BYTES) teeFail("MESSAGE_TOO_LARGE", `VCEK is ${der.length} bytes (max ${TeeLimit.VCEK_MAX_BYTES})`);
  let cert: X509Certificate;
  let fields: CertificateFields;
  try {
    cert = new X509Certificate(Buffer.from(der));
    if (!Buffer.from(der).equals(cert.raw)) throw new Error("bytes after the certificate, or not DER");
    fields = readCertificate(der);
  } catch (e) {
    return teeFail("SNP_VCEK_MALFORMED", `not a DER certificate: ${(e as Error).message}`);
  }
  const ext = (oid: string): Uint8Array => {
    const v = fields.extensions.get(oid);
    if (!v) return teeFail("SNP_VCEK_MALFORMED", `VCEK lacks extension ${oid}`);
    return v;
  };
  const int = (oid: string): number => {
    try {
      const n = decodeSmallUint(readOnly(ext(oid), Tag.INTEGER).value);
      if (n > 255) throw new DerError(`SPL ${n} does not fit a TCB byte`);
      return n;
    } catch (e) {
      if (e instanceof DerError) teeFail("SNP_VCEK_MALFORMED", `extension ${oid}: ${e.message}`);
      throw e;
    }
  };
  let productName: string;
  try {
    productName = new TextDecoder("ascii").decode(readOnly(ext(VcekOid.PRODUCT_NAME), Tag.IA5_STRING).value);
  } catch (e) {
    if (e instanceof DerError) teeFail("SNP_VCEK_MALFORMED", `productName: ${e.message}`);
    throw e;
  }
  const productLine = productLineOf(productName);
  if (!productLine) return teeFail("SNP_PRODUCT_UNKNOWN", `VCEK productName ${JSON.stringify(productName)}`);
  const spl: SnpTcb = {
    bootLoader: int(VcekOid.BL_SPL),
    tee: int(VcekOid.TEE_SPL),
    snp: int(VcekOid.SNP_SPL),
    microcode: int(VcekOid.UCODE_SPL),
    ...(productLine === "Turin" ? { fmc: int(VcekOid.FMC_SPL) } : {}),
  };
  // The KDS stores hwID raw, without an inner OCTET STRING.
  const hwId = ext(VcekOid.HW_ID).slice();
  const want = productLine === "Turin" ? 8 : 64;
  if (hwId.length !== want) teeFail("SNP_VCEK_MALFORMED", `hwID is ${hwId.length} bytes; ${productLine} uses ${want}`);
  return { cert, fields, productName, productLine, spl, hwId };
}
