/**
 * Intel TDX and SGX DCAP quotes, verified offline by @phala/dcap-qvl against
 * collateral the provider ships with the quote and our pinned Intel SGX Root
 * CA (never the library's built-in copy), at an explicit evaluation time.
 * The library checks the quote signature, the QE report and identity, the PCK
 * chain, TCB info and its signature, the TCB level and the debug attributes;
 * it does not check CRL signatures or CRL dates (SOURCES.md pitfalls).
 */
import dcap from "@phala/dcap-qvl";
import type { Collateral, TcbStatus, TDReport10, TDReport15, EnclaveReport } from "@phala/dcap-qvl";
import { TeeLimit, TeePlatform, type TeePlatformValue } from "../../generated/private-protocol.ts";
import { TeeError, teeFail } from "./errors.ts";
import { defaultTrustAnchors, type TrustAnchors } from "./trust-anchors.ts";

export const TCB_STATUSES = [
  "UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded",
  "OutOfDate", "OutOfDateConfigurationNeeded", "Revoked", "Unknown",
] as const satisfies readonly TcbStatus[];
export type DcapTcbStatus = (typeof TCB_STATUSES)[number];

const TEE_TYPE_SGX = 0x00;
const TEE_TYPE_TDX = 0x81;

export interface DcapVerifyOptions {
  readonly at: Date;
  readonly anchors?: TrustAnchors;
}

export interface VerifiedTdx {
  readonly platform: typeof TeePlatform.TDX;
  readonly status: DcapTcbStatus;
  readonly advisoryIds: readonly string[];
  readonly quoteVersion: number;
  /** "td10" (TDX 1.0 report) or "td15" (TDX 1.5). */
  readonly bodyType: "td10" | "td15";
  readonly mrTd: Uint8Array;
  readonly mrConfigId: Uint8Array;
  readonly mrOwner: Uint8Array;
  readonly mrSeam: Uint8Array;
  readonly rtMr: readonly [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
  readonly tdAttributes: Uint8Array;
  readonly teeTcbSvn: Uint8Array;
  readonly reportData: Uint8Array;
}

export interface VerifiedSgx {
  readonly platform: typeof TeePlatform.SGX;
  readonly status: DcapTcbStatus;
  readonly advisoryIds: readonly string[];
  readonly quoteVersion: number;
  readonly mrEnclave: Uint8Array;
  readonly mrSigner: Uint8Array;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly attributes: Uint8Array;
  readonly reportData: Uint8Array;
}

export type VerifiedDcap = VerifiedTdx | VerifiedSgx;

const COLLATERAL_STRINGS = ["pck_crl_issuer_chain", "tcb_info_issuer_chain", "tcb_info", "qe_identity_issuer_chain", "qe_identity"] as const;
const COLLATERAL_BINARY = ["root_ca_crl", "pck_crl", "tcb_info_signature", "qe_identity_signature"] as const;

/** The collateral JSON (QuoteCollateralV3 as PCCS serves it), checked for shape. */
export function parseCollateral(bytes: Uint8Array): Collateral {
  if (bytes.length > TeeLimit.DCAP_COLLATERAL_MAX_BYTES) teeFail("MESSAGE_TOO_LARGE", `collateral is ${bytes.length} bytes (max ${TeeLimit.DCAP_COLLATERAL_MAX_BYTES})`);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    return teeFail("DCAP_COLLATERAL_MALFORMED", `not UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return teeFail("DCAP_COLLATERAL_MALFORMED", "not a JSON object");
  const o = v as Record<string, unknown>;
  for (const k of COLLATERAL_STRINGS) if (typeof o[k] !== "string") teeFail("DCAP_COLLATERAL_MALFORMED", `${k} is not a string`);
  for (const k of COLLATERAL_BINARY) {
    const x = o[k];
    const ok = (typeof x === "string" && /^([0-9a-fA-F]{2})*$/.test(x)) || (Array.isArray(x) && x.every((b) => Number.isInteger(b) && b >= 0 && b <= 255));
    if (!ok) teeFail("DCAP_COLLATERAL_MALFORMED", `${k} is neither hex nor a byte array`);
  }
  return o as unknown as Collateral;
}

/** dcap-qvl throws plain Errors; its messages are stable strings, mapped here to our codes. */
function classify(e: unknown): TeeError {
  const m = e instanceof Error ? e.message : String(e);
  const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : "";
  const detail = `dcap-qvl: ${m}${cause}`;
  if (/^Failed to decode quote|^Unsupported DCAP|must have version|Unsupported (cert type|auth data|body type|quote version)|Invalid (TEE|tee) type/.test(m)) return new TeeError("DCAP_QUOTE_MALFORMED", detail);
  if (/^Failed to decode (TcbInfo|QeIdentity)/.test(m)) return new TeeError("DCAP_COLLATERAL_MALFORMED", detail);
  if (/expired|in the future|not yet valid/.test(m)) return new TeeError("DCAP_COLLATERAL_EXPIRED", detail);
  if (/No matching TCB level found/.test(m)) return new TeeError("DCAP_TCB_NO_MATCH", detail);
  if (/Debug mode is enabled/.test(m)) return new TeeError("POLICY_DEBUG", detail);
  if (/^TCB status is invalid/.test(m)) return new TeeError("POLICY_TCB_STATUS", detail);
  return new TeeError("DCAP_VERIFY_FAILED", detail);
}

const copy = (b: Uint8Array) => Uint8Array.from(b);

export function verifyDcapEvidence(platform: TeePlatformValue, quote: Uint8Array, collateralJson: Uint8Array, opts: DcapVerifyOptions): VerifiedDcap {
  if (platform !== TeePlatform.TDX && platform !== TeePlatform.SGX) teeFail("PLATFORM_NOT_ACCEPTED", `platform ${platform} is not DCAP`);
  if (quote.length > TeeLimit.DCAP_QUOTE_MAX_BYTES) teeFail("MESSAGE_TOO_LARGE", `quote is ${quote.length} bytes (max ${TeeLimit.DCAP_QUOTE_MAX_BYTES})`);
  const collateral = parseCollateral(collateralJson);
  let header: { version: number; teeType: number };
  try {
    header = dcap.Quote.parse(Buffer.from(quote)).header;
  } catch (e) {
    return teeFail("DCAP_QUOTE_MALFORMED", `dcap-qvl: ${(e as Error).message}`);
  }
  const wantTee = platform === TeePlatform.TDX ? TEE_TYPE_TDX : TEE_TYPE_SGX;
  if (header.teeType !== wantTee) teeFail("DCAP_QUOTE_MALFORMED", `quote TEE type 0x${header.teeType.toString(16)} is not ${platform === TeePlatform.TDX ? "TDX" : "SGX"}`);
  const anchors = opts.anchors ?? defaultTrustAnchors();
  let result: dcap.VerifiedReport;
  try {
    result = dcap.QuoteVerifier.newWithRootCa(anchors.intelRootDer).verify(Buffer.from(quote), collateral, Math.floor(opts.at.getTime() / 1000));
  } catch (e) {
    throw classify(e);
  }
  const status = result.status as DcapTcbStatus;
  const advisoryIds = [...result.advisory_ids];
  const r = result.report;
  if (platform === TeePlatform.SGX) {
    if (r.type !== "sgx") teeFail("DCAP_QUOTE_MALFORMED", `SGX quote has a ${r.type} body`);
    const s = r.data as EnclaveReport;
    return {
      platform, status, advisoryIds, quoteVersion: header.version, mrEnclave: copy(s.mrEnclave), mrSigner: copy(s.mrSigner),
      isvProdId: s.isvProdId, isvSvn: s.isvSvn, attributes: copy(s.attributes), reportData: copy(s.reportData),
    };
  }
  if (r.type !== "td10" && r.type !== "td15") teeFail("DCAP_QUOTE_MALFORMED", `TDX quote has a ${r.type} body`);
  const t = r.type === "td15" ? (r.data as TDReport15).base : (r.data as TDReport10);
  return {
    platform, status, advisoryIds, quoteVersion: header.version, bodyType: r.type, mrTd: copy(t.mrTd), mrConfigId: copy(t.mrConfigId),
    mrOwner: copy(t.mrOwner), mrSeam: copy(t.mrSeam), rtMr: [copy(t.rtMr0), copy(t.rtMr1), copy(t.rtMr2), copy(t.rtMr3)],
    tdAttributes: copy(t.tdAttributes), teeTcbSvn: copy(t.teeTcbSvn), reportData: copy(t.reportData),
  };
}
