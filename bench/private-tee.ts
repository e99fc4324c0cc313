/**
 * Tier 3 (TEE) figures: verification time of genuine evidence (SEV-SNP chain
 * and signature with Node's crypto; TDX and SGX through dcap-qvl), the
 * consumer's whole attestation step, and the session cipher's overhead in
 * bytes and time per message size. Measured on the replay test double: the
 * TEE's own slowdown (memory encryption, exits) cannot be measured on a
 * machine without one.
 *   npx tsx bench/private-tee.ts [--quick]     (also run by npm run bench)
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { verify as cryptoVerify } from "node:crypto";
import os from "node:os";
import { hexToBytes } from "../host-ts/src/model/bytes.ts";
import { TeePlatform } from "../host-ts/src/generated/private-protocol.ts";
import { verifySnpEvidence, verifyVcekChain } from "../host-ts/src/private/attestation/snp-verify.ts";
import { parseVcek, vcekPublicKey } from "../host-ts/src/private/attestation/snp-vcek.ts";
import { snpSignatureP1363 } from "../host-ts/src/private/attestation/snp-report.ts";
import { verifyDcapEvidence } from "../host-ts/src/private/attestation/dcap-verify.ts";
import { defaultTrustAnchors } from "../host-ts/src/private/attestation/trust-anchors.ts";
import {
  createAttestRequest, verifyAttestation, TeeProvider, ReplayedEvidenceBackend, replayTestPolicy, encodeTeeMessage, decodeTeeMessage,
  type TeePolicy, type TeeEvidence, type SealedOutput,
} from "../host-ts/src/private/attestation/index.ts";

const FIX = (p: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../host-ts/test/fixtures/attestation/${p}`, import.meta.url))));
const AT = new Date("2025-07-01T00:00:00Z"); // inside every fixture's validity window

async function time(f: () => unknown, minMs: number): Promise<number> {
  const warm = performance.now();
  while (performance.now() - warm < minMs / 4) await f();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) { await f(); n++; t = performance.now(); }
  return ((t - t0) * 1000) / n;
}

export interface TeeBenchResult {
  verification: { what: string; usPerCall: number }[];
  messages: { message: string; bytes: number }[];
  cipher: { plaintextBytes: number; sealedInputBytes: number; overheadBytes: number; sealUs: number; openUs: number; roundTripUs: number; plaintextRoundTripUs: number }[];
  /** 1-minute load average when the run started: on a shared machine, timings scale with it. */
  loadAverage: number;
  notes: string[];
}

export async function teeBench(opts: { quick?: boolean } = {}): Promise<TeeBenchResult> {
  const ms = opts.quick ? 250 : 1200;
  const loadAverage = os.loadavg()[0];
  const report = hexToBytes(new TextDecoder().decode(FIX("sev-snp/milan-virtee/report_milan.hex")).trim());
  const vcekDer = FIX("sev-snp/milan-virtee/vcek_milan.der");
  const tdxQuote = FIX("tdx/tdx_quote"), tdxCol = FIX("tdx/tdx_quote_collateral.json");
  const sgxQuote = FIX("sgx/sgx_quote"), sgxCol = FIX("sgx/sgx_quote_collateral.json");
  defaultTrustAnchors();
  const vcek = parseVcek(vcekDer);
  const key = vcekPublicKey(vcek);
  const sig = snpSignatureP1363(report);

  const verification = [
    { what: "SEV-SNP full evidence (parse, ARK→ASK→VCEK RSA-PSS ×3, dates, ECDSA P-384, VCEK match)", usPerCall: await time(() => verifySnpEvidence(report, vcekDer, { at: AT }), ms) },
    { what: "SEV-SNP chain only (parse VCEK, 3 RSA-4096 PSS verifies, dates)", usPerCall: await time(() => verifyVcekChain(parseVcek(vcekDer), { at: AT }), ms) },
    { what: "SEV-SNP report signature only (ECDSA P-384/SHA-384 over 672 B)", usPerCall: await time(() => cryptoVerify("sha384", report.subarray(0, 0x2a0), { key, dsaEncoding: "ieee-p1363" }, sig), ms) },
    { what: "TDX DCAP quote v4 + collateral (dcap-qvl)", usPerCall: await time(() => verifyDcapEvidence(TeePlatform.TDX, tdxQuote, tdxCol, { at: AT }), ms) },
    { what: "SGX DCAP quote v3 + collateral (dcap-qvl)", usPerCall: await time(() => verifyDcapEvidence(TeePlatform.SGX, sgxQuote, sgxCol, { at: AT }), ms) },
  ];

  const agreementId = new Uint8Array(32).fill(7);
  const snpPolicy: TeePolicy = { snp: { measurements: [report.slice(0x90, 0xc0)], minTcb: { bootLoader: 0, tee: 0, snp: 0, microcode: 0 } } };
  const tdxPolicy: TeePolicy = { tdx: { mrTds: [hexToBytes("91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7")] } };
  const identity = (x: Uint8Array) => x;
  const setup = async (ev: TeeEvidence, policy: TeePolicy) => {
    const backend = new ReplayedEvidenceBackend(ev, "bench");
    const provider = new TeeProvider({ backend, compute: identity });
    const p = replayTestPolicy(policy, backend);
    const { request, pending } = createAttestRequest(agreementId, p);
    const requestBytes = encodeTeeMessage(request);
    const attBytes = await provider.handle(requestBytes);
    const att = decodeTeeMessage(attBytes);
    if (att.type !== "Attestation") throw new Error(`bench: ${JSON.stringify(att)}`);
    return { provider, policy: p, request, pending, att, requestBytes, attBytes };
  };
  const snp = await setup({ platform: TeePlatform.SEV_SNP, report, endorsement: vcekDer }, snpPolicy);
  const tdx = await setup({ platform: TeePlatform.TDX, report: tdxQuote, endorsement: tdxCol }, tdxPolicy);
  verification.push(
    { what: "consumer attestation step, SEV-SNP (decode, verify, policy, binding, X25519+HKDF)", usPerCall: await time(() => verifyAttestation(snp.pending, decodeTeeMessage(snp.attBytes) as typeof snp.att, { policy: snp.policy, at: AT }), ms) },
    { what: "consumer attestation step, TDX", usPerCall: await time(() => verifyAttestation(tdx.pending, decodeTeeMessage(tdx.attBytes) as typeof tdx.att, { policy: tdx.policy, at: AT }), ms) },
  );

  const session = verifyAttestation(snp.pending, snp.att, { policy: snp.policy, at: AT });
  const messages = [
    { message: "AttestRequest", bytes: snp.requestBytes.length },
    { message: "Attestation, SEV-SNP (report 1184 B + VCEK 1360 B)", bytes: snp.attBytes.length },
    { message: "Attestation, TDX (quote 5006 B + collateral 16072 B)", bytes: tdx.attBytes.length },
  ];
  const cipher: TeeBenchResult["cipher"] = [];
  for (const n of [0, 1024, 65536, 1 << 20]) {
    const input = new Uint8Array(n).map((_, i) => i);
    const sealed = session.sealInput(input);
    const sealedBytes = encodeTeeMessage(sealed);
    const out = decodeTeeMessage(await snp.provider.handle(sealedBytes)) as SealedOutput;
    session.openOutput(out);
    const m = n >= 65536 ? ms / 2 : ms;
    const sealUs = await time(() => encodeTeeMessage(session.sealInput(input)), m);
    // Each output can be opened once (its seq is then answered), so time opening a batch.
    const outs: SealedOutput[] = [];
    for (let i = 0; i < (n >= 1 << 20 ? 6 : n >= 65536 ? 24 : 200); i++) outs.push(decodeTeeMessage(await snp.provider.handle(encodeTeeMessage(session.sealInput(input)))) as SealedOutput);
    const t0 = performance.now();
    for (const o of outs) session.openOutput(o);
    const openMeasured = ((performance.now() - t0) * 1000) / outs.length;
    const roundTripUs = await time(async () => session.openOutput(decodeTeeMessage(await snp.provider.handle(encodeTeeMessage(session.sealInput(input)))) as SealedOutput), m);
    const plaintextRoundTripUs = await time(() => identity(input.slice()), m);
    cipher.push({ plaintextBytes: n, sealedInputBytes: sealedBytes.length, overheadBytes: sealedBytes.length - n, sealUs, openUs: openMeasured, roundTripUs, plaintextRoundTripUs });
  }
  return {
    verification, messages, cipher, loadAverage,
    notes: [
      "Measured on the replay test double: no TEE on this machine, so the TEE's own run-time overhead is not in these figures.",
      "Round trip = consumer seal + CBOR encode + provider decode/open/compute(identity)/seal/encode + consumer decode/open, in one process; plaintext round trip = copying the input.",
    ],
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = await teeBench({ quick: process.argv.includes("--quick") });
  printTee(r);
}

export function printTee(r: TeeBenchResult): void {
  console.log("\nTier 3 (TEE): verification, µs per call");
  for (const v of r.verification) console.log(`${v.usPerCall.toFixed(0).padStart(9)} µs  ${v.what}`);
  console.log("\nTier 3 messages");
  for (const m of r.messages) console.log(`${String(m.bytes).padStart(9)} B   ${m.message}`);
  console.log("\nTier 3 session cipher (SealedInput; output is the same size for an identity computation)");
  console.log("plaintext B   sealed B   overhead B   seal µs   open µs   round trip µs   plaintext copy µs");
  for (const c of r.cipher) console.log(`${String(c.plaintextBytes).padStart(11)}${String(c.sealedInputBytes).padStart(11)}${String(c.overheadBytes).padStart(13)}${c.sealUs.toFixed(1).padStart(10)}${c.openUs.toFixed(1).padStart(10)}${c.roundTripUs.toFixed(1).padStart(16)}${c.plaintextRoundTripUs.toFixed(1).padStart(20)}`);
  for (const n of r.notes) console.log(`note: ${n}`);
  console.log(`note: load average ${r.loadAverage.toFixed(1)} at the start of this run (${os.cpus().length} CPUs)`);
}
