/** The committed attestation fixtures (host-ts/test/fixtures/attestation/, see its SOURCES.md). */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { hexToBytes } from "../../../src/model/bytes.ts";
import { TeePlatform } from "../../../src/generated/private-protocol.ts";
import type { TeeEvidence } from "../../../src/private/attestation/evidence.ts";

const DIR = fileURLToPath(new URL("../../fixtures/attestation/", import.meta.url));
export const fixture = (p: string): Uint8Array => new Uint8Array(readFileSync(DIR + p));
export const fixtureText = (p: string): string => readFileSync(DIR + p, "utf8");

/** Every certificate and collateral window contains this instant (SOURCES.md). */
export const AT = new Date("2025-07-01T00:00:00Z");

export const virteeReport = () => hexToBytes(fixtureText("sev-snp/milan-virtee/report_milan.hex").trim());
export const virteeVcek = () => fixture("sev-snp/milan-virtee/vcek_milan.der");
export const goReport = () => fixture("sev-snp/milan-go-sev-guest/attestation.bin");
export const goVcek = () => fixture("sev-snp/milan-go-sev-guest/vcek.testcer");
export const turinVcek = () => fixture("sev-snp/turin-virtee/vcek_turin.der");
export const tdxQuote = () => fixture("tdx/tdx_quote");
export const tdxCollateral = () => fixture("tdx/tdx_quote_collateral.json");
export const tdxOutdatedQuote = () => fixture("tdx/tdx_quote_outdated");
export const tdxOutdatedCollateral = () => fixture("tdx/tdx_quote_outdated_collateral.json");
export const sgxQuote = () => fixture("sgx/sgx_quote");
export const sgxCollateral = () => fixture("sgx/sgx_quote_collateral.json");

export const VIRTEE_MEASUREMENT = hexToBytes("7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f");
export const GO_MEASUREMENT = hexToBytes("b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01");
export const TDX_MRTD = hexToBytes("91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7");
export const TDX_REPORT_DATA = hexToBytes("9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20");
export const SGX_MRENCLAVE = hexToBytes("33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
export const SGX_MRSIGNER = hexToBytes("815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6");

export const snpEvidence = (): TeeEvidence => ({ platform: TeePlatform.SEV_SNP, report: virteeReport(), endorsement: virteeVcek() });
export const goSnpEvidence = (): TeeEvidence => ({ platform: TeePlatform.SEV_SNP, report: goReport(), endorsement: goVcek() });
export const tdxEvidence = (): TeeEvidence => ({ platform: TeePlatform.TDX, report: tdxQuote(), endorsement: tdxCollateral() });
export const sgxEvidence = (): TeeEvidence => ({ platform: TeePlatform.SGX, report: sgxQuote(), endorsement: sgxCollateral() });

export function flipBit(b: Uint8Array, offset: number, bit = 0): Uint8Array {
  const c = b.slice();
  c[offset] ^= 1 << bit;
  return c;
}
