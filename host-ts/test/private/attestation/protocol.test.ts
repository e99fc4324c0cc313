/**
 * The Tier 3 protocol end to end on the replay test double: request with a
 * fresh nonce, attestation, verification, sealed input, compute inside the
 * "TEE", sealed output. The consumer's path is the production one; only the
 * policy differs, and the production policy refuses the replay.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { TeePlatform, TeeLimit, TeeErrorCode } from "../../../src/generated/private-protocol.ts";
import {
  createAttestRequest, verifyAttestation, TeeProvider, ReplayedEvidenceBackend, replayTestPolicy, decodeTeeMessage,
  encodeTeeMessage, reportDataFor, TeeError, type TeePolicy, type Attestation, type SealedInput, type SealedOutput, type TeeMessage,
} from "../../../src/private/attestation/index.ts";
import { encodeCanonical } from "../../../src/model/cbor.ts";
import * as F from "./fixtures.ts";
import { expectTee, expectTeeAsync } from "./expect-tee.ts";

const at = F.AT;
const AGREEMENT = new Uint8Array(32).map((_, i) => i + 1);
const SNP_POLICY: TeePolicy = { snp: { measurements: [F.VIRTEE_MEASUREMENT], minTcb: { bootLoader: 3, tee: 0, snp: 8, microcode: 115 } } };
const TDX_POLICY: TeePolicy = { tdx: { mrTds: [F.TDX_MRTD] } };
const SGX_POLICY: TeePolicy = { sgx: { mrEnclaves: [F.SGX_MRENCLAVE], acceptTcbStatuses: ["ConfigurationAndSWHardeningNeeded"] } };

/** The provider's work: a real computation over the input (sum of bytes, then the reversed input). */
const compute = (input: Uint8Array) => {
  const sum = input.reduce((a, b) => a + b, 0);
  const out = new Uint8Array(4 + input.length);
  new DataView(out.buffer).setUint32(0, sum);
  out.set(input.slice().reverse(), 4);
  return out;
};

async function wire<T extends TeeMessage>(provider: TeeProvider, m: TeeMessage): Promise<T | Extract<TeeMessage, { type: "Failure" }>> {
  return decodeTeeMessage(await provider.handle(encodeTeeMessage(m))) as T;
}

async function attested(evidence = F.snpEvidence(), policy = SNP_POLICY, label = "virtee Milan") {
  const backend = new ReplayedEvidenceBackend(evidence, label);
  const provider = new TeeProvider({ backend, compute });
  const testPolicy = replayTestPolicy(policy, backend);
  const { request, pending } = createAttestRequest(AGREEMENT, testPolicy);
  const att = await wire<Attestation>(provider, request);
  expect(att.type).toBe("Attestation");
  return { backend, provider, policy, testPolicy, request, pending, att: att as Attestation };
}

describe("the replay double under the production policy", () => {
  for (const [name, ev, policy] of [["SEV-SNP", F.snpEvidence, SNP_POLICY], ["TDX", F.tdxEvidence, TDX_POLICY], ["SGX", F.sgxEvidence, SGX_POLICY]] as const) {
    it(`${name}: genuine evidence, accepted policy, but report_data does not bind the nonce and key → BINDING_MISMATCH`, async () => {
      const backend = new ReplayedEvidenceBackend(ev(), name);
      const provider = new TeeProvider({ backend, compute });
      const { request, pending } = createAttestRequest(AGREEMENT, policy);
      const att = (await wire<Attestation>(provider, request)) as Attestation;
      expectTee(() => verifyAttestation(pending, att, { policy, at }), "BINDING_MISMATCH");
      // The provider did ask for the right binding; the replayed hardware report just cannot carry it.
      expect(backend.requested).toHaveLength(1);
      expect(Buffer.from(backend.requested[0])).toEqual(Buffer.from(reportDataFor({ agreementId: AGREEMENT, nonce: request.nonce, platform: att.platform, teePublicKey: att.teePublicKey })));
      expect(Buffer.from(backend.requested[0])).not.toEqual(Buffer.from(backend.recordedReportData));
    });
  }
});

describe("full protocol on the replay double (test policy pins the fixture's report_data)", () => {
  for (const [name, ev, policy] of [["SEV-SNP", F.snpEvidence, SNP_POLICY], ["TDX", F.tdxEvidence, TDX_POLICY], ["SGX", F.sgxEvidence, SGX_POLICY]] as const) {
    it(`${name}: verify, seal input, compute in the provider, open output`, async () => {
      const { provider, testPolicy, pending, att } = await attested(ev(), policy, name);
      const session = verifyAttestation(pending, att, { policy: testPolicy, at });
      expect(session.keyBoundByHardware).toBe(false);
      expect(session.verified.platform).toBe(att.platform);
      for (const input of [new Uint8Array(0), new TextEncoder().encode("patient record 42"), new Uint8Array(70000).map((_, i) => i * 7)]) {
        const sealed = session.sealInput(input);
        expect(Buffer.from(sealed.ciphertext).includes(Buffer.from(input.subarray(0, 8)))).toBe(input.length === 0);
        const out = await wire<SealedOutput>(provider, sealed);
        expect(out.type).toBe("SealedOutput");
        expect(Buffer.from(session.openOutput(out as SealedOutput))).toEqual(Buffer.from(compute(input)));
      }
    });
  }

  it("the pinned policy still runs the full verification: a tampered replay is refused", async () => {
    const ev = F.snpEvidence();
    const backend = new ReplayedEvidenceBackend(ev, "pinned");
    const policy = replayTestPolicy(SNP_POLICY, backend);
    const tampered = new ReplayedEvidenceBackend({ ...ev, report: F.flipBit(ev.report, 0x90) }, "tampered");
    const provider = new TeeProvider({ backend: tampered, compute });
    const { request, pending } = createAttestRequest(AGREEMENT, policy);
    const att = (await wire<Attestation>(provider, request)) as Attestation;
    expectTee(() => verifyAttestation(pending, att, { policy, at }), "SNP_SIGNATURE_INVALID");
  });

  it("the pinned policy refuses a report whose report_data is not the pinned value → BINDING_MISMATCH", async () => {
    const { pending, att, policy } = await attested();
    const wrongPin: TeePolicy = { ...policy, binding: { kind: "pinned-replay", reportData: new Uint8Array(64), reason: "test" } };
    expectTee(() => verifyAttestation(pending, att, { policy: wrongPin, at }), "BINDING_MISMATCH");
  });

  it("the go-sev-guest DEBUG report is refused under the pinned policy too → POLICY_DEBUG", async () => {
    const policy: TeePolicy = { snp: { measurements: [F.GO_MEASUREMENT], minTcb: { bootLoader: 0, tee: 0, snp: 0, microcode: 0 } } };
    const backend = new ReplayedEvidenceBackend(F.goSnpEvidence(), "go-sev-guest");
    const provider = new TeeProvider({ backend, compute });
    const testPolicy = replayTestPolicy(policy, backend);
    const { request, pending } = createAttestRequest(AGREEMENT, testPolicy);
    const att = (await wire<Attestation>(provider, request)) as Attestation;
    expectTee(() => verifyAttestation(pending, att, { policy: testPolicy, at }), "POLICY_DEBUG");
  });
});

describe("attestation echo and freshness checks", () => {
  it("a different nonce, agreement or platform → NONCE_MISMATCH, AGREEMENT_MISMATCH, PLATFORM_NOT_ACCEPTED", async () => {
    const { pending, att, testPolicy } = await attested();
    expectTee(() => verifyAttestation(pending, { ...att, nonce: new Uint8Array(32) }, { policy: testPolicy, at }), "NONCE_MISMATCH");
    expectTee(() => verifyAttestation(pending, { ...att, agreementId: new Uint8Array(32) }, { policy: testPolicy, at }), "AGREEMENT_MISMATCH");
    expectTee(() => verifyAttestation(pending, { ...att, platform: TeePlatform.TDX }, { policy: testPolicy, at }), "PLATFORM_NOT_ACCEPTED");
  });
  it("a replayed old attestation does not answer a new request (fresh nonce) → NONCE_MISMATCH", async () => {
    const { att, testPolicy } = await attested();
    const { pending: second } = createAttestRequest(AGREEMENT, testPolicy);
    expect(Buffer.from(second.nonce)).not.toEqual(Buffer.from(att.nonce));
    expectTee(() => verifyAttestation(second, att, { policy: testPolicy, at }), "NONCE_MISMATCH");
  });
  it("a provider asked for a platform it does not have answers Failure PLATFORM_NOT_ACCEPTED", async () => {
    const provider = new TeeProvider({ backend: new ReplayedEvidenceBackend(F.snpEvidence(), "snp"), compute });
    const { request } = createAttestRequest(AGREEMENT, TDX_POLICY);
    const f = await wire(provider, request);
    expect(f).toMatchObject({ type: "Failure", code: TeeErrorCode.PLATFORM_NOT_ACCEPTED });
  });
});

describe("sealed messages", () => {
  it("a flipped ciphertext bit → provider Failure DECRYPT_FAILED, and the session still works after", async () => {
    const { provider, testPolicy, pending, att } = await attested();
    const session = verifyAttestation(pending, att, { policy: testPolicy, at });
    const sealed = session.sealInput(new Uint8Array([1, 2, 3]));
    const bad: SealedInput = { ...sealed, ciphertext: F.flipBit(sealed.ciphertext, 1) };
    expect(await wire(provider, bad)).toMatchObject({ type: "Failure", code: TeeErrorCode.DECRYPT_FAILED });
    const out = (await wire<SealedOutput>(provider, sealed)) as SealedOutput;
    expect(Buffer.from(session.openOutput(out))).toEqual(Buffer.from(compute(new Uint8Array([1, 2, 3]))));
  });
  it("a replayed input (same seq) → SEQUENCE_REJECTED; a replayed output → SEQUENCE_REJECTED", async () => {
    const { provider, testPolicy, pending, att } = await attested();
    const session = verifyAttestation(pending, att, { policy: testPolicy, at });
    const sealed = session.sealInput(new Uint8Array([9]));
    const out = (await wire<SealedOutput>(provider, sealed)) as SealedOutput;
    expect(await wire(provider, sealed)).toMatchObject({ type: "Failure", code: TeeErrorCode.SEQUENCE_REJECTED });
    session.openOutput(out);
    expectTee(() => session.openOutput(out), "SEQUENCE_REJECTED");
  });
  it("an output moved to another seq or agreement fails authentication", async () => {
    const { provider, testPolicy, pending, att } = await attested();
    const session = verifyAttestation(pending, att, { policy: testPolicy, at });
    const a = session.sealInput(new Uint8Array([1]));
    const b = session.sealInput(new Uint8Array([2]));
    const outA = (await wire<SealedOutput>(provider, a)) as SealedOutput;
    await wire(provider, b);
    expectTee(() => session.openOutput({ ...outA, seq: b.seq }), "DECRYPT_FAILED");
    expectTee(() => session.openOutput({ ...outA, agreementId: new Uint8Array(32) }), "AGREEMENT_MISMATCH");
    expect(session.openOutput(outA)[4]).toBe(1);
  });
  it("a second consumer key in the same session → SESSION_KEY_MISMATCH; garbage from a stranger first does not lock the session", async () => {
    const { provider, testPolicy, pending, att } = await attested();
    const stranger = verifyAttestation(pending, att, { policy: testPolicy, at }); // same attestation, another consumer key
    const session = verifyAttestation(pending, att, { policy: testPolicy, at });
    const junk: SealedInput = { ...stranger.sealInput(new Uint8Array([7])), ciphertext: new Uint8Array(40) };
    expect(await wire(provider, junk)).toMatchObject({ type: "Failure", code: TeeErrorCode.DECRYPT_FAILED });
    const ok = (await wire<SealedOutput>(provider, session.sealInput(new Uint8Array([5])))) as SealedOutput;
    expect(session.openOutput(ok)[4]).toBe(5);
    expect(await wire(provider, stranger.sealInput(new Uint8Array([6])))).toMatchObject({ type: "Failure", code: TeeErrorCode.SESSION_KEY_MISMATCH });
  });
  it("a low-order consumer key → KEY_INVALID; input without attestation → NOT_ATTESTED", async () => {
    const { provider, testPolicy, pending, att } = await attested();
    const session = verifyAttestation(pending, att, { policy: testPolicy, at });
    const s = session.sealInput(new Uint8Array([1]));
    expect(await wire(provider, { ...s, consumerPublicKey: new Uint8Array(32) })).toMatchObject({ type: "Failure", code: TeeErrorCode.KEY_INVALID });
    expect(await wire(provider, { ...s, agreementId: new Uint8Array(20) })).toMatchObject({ type: "Failure", code: TeeErrorCode.NOT_ATTESTED });
  });
  it("a TEE key substituted in transit leaves the consumer unable to talk to the TEE (DECRYPT_FAILED)", async () => {
    const { provider, testPolicy, pending, att } = await attested();
    const other = await attested();
    const session = verifyAttestation(pending, { ...att, teePublicKey: other.att.teePublicKey }, { policy: testPolicy, at });
    expect(await wire(provider, session.sealInput(new Uint8Array([1])))).toMatchObject({ type: "Failure", code: TeeErrorCode.DECRYPT_FAILED });
  });
  it("a compute error → Failure COMPUTE_FAILED, surfaced to the consumer as a TeeError", async () => {
    const backend = new ReplayedEvidenceBackend(F.snpEvidence(), "snp");
    const provider = new TeeProvider({ backend, compute: () => { throw new Error("model crashed"); } });
    const policy = replayTestPolicy(SNP_POLICY, backend);
    const { request, pending } = createAttestRequest(AGREEMENT, policy);
    const session = verifyAttestation(pending, (await wire<Attestation>(provider, request)) as Attestation, { policy, at });
    const f = await wire<SealedOutput>(provider, session.sealInput(new Uint8Array([1])));
    expect(f).toMatchObject({ type: "Failure", code: TeeErrorCode.COMPUTE_FAILED });
    const e = expectTee(() => session.openOutput(f as never), "COMPUTE_FAILED");
    expect(e.message).toMatch(/model crashed/);
  });
  it("plaintext over MAX_PLAINTEXT_BYTES → MESSAGE_TOO_LARGE", async () => {
    const { testPolicy, pending, att } = await attested();
    const session = verifyAttestation(pending, att, { policy: testPolicy, at });
    expectTee(() => session.sealInput(new Uint8Array(TeeLimit.MAX_PLAINTEXT_BYTES + 1)), "MESSAGE_TOO_LARGE");
  });
  it("the provider keeps at most maxSessions sessions, forgetting the oldest", async () => {
    const backend = new ReplayedEvidenceBackend(F.snpEvidence(), "snp");
    const provider = new TeeProvider({ backend, compute, maxSessions: 2 });
    const policy = replayTestPolicy(SNP_POLICY, backend);
    const sessions = [];
    for (const k of [1, 2, 3]) {
      const { request, pending } = createAttestRequest(new Uint8Array(16).fill(k), policy);
      sessions.push(verifyAttestation(pending, (await wire<Attestation>(provider, request)) as Attestation, { policy, at }));
    }
    expect(await wire(provider, sessions[0].sealInput(new Uint8Array([1])))).toMatchObject({ type: "Failure", code: TeeErrorCode.NOT_ATTESTED });
    for (const s of sessions.slice(1)) expect((await wire(provider, s.sealInput(new Uint8Array([1])))).type).toBe("SealedOutput");
  });
  it("a new AttestRequest replaces the session: the old key is gone", async () => {
    const { provider, testPolicy, pending, att } = await attested();
    const session = verifyAttestation(pending, att, { policy: testPolicy, at });
    await wire(provider, createAttestRequest(AGREEMENT, testPolicy).request);
    expect(await wire(provider, session.sealInput(new Uint8Array([1])))).toMatchObject({ type: "Failure", code: TeeErrorCode.DECRYPT_FAILED });
  });
});

describe("message encoding", () => {
  const id = fc.uint8Array({ minLength: 16, maxLength: 64 });
  const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const msg: fc.Arbitrary<TeeMessage> = fc.oneof(
    fc.record({ type: fc.constant("AttestRequest" as const), agreementId: id, nonce: b32, platforms: fc.subarray([1, 2, 3] as const, { minLength: 1 }) }),
    fc.record({ type: fc.constant("Attestation" as const), agreementId: id, nonce: b32, platform: fc.constantFrom(1, 2, 3 as const), teePublicKey: b32, report: fc.uint8Array({ maxLength: 1184 }), endorsement: fc.uint8Array({ maxLength: 3000 }) }),
    fc.record({ type: fc.constant("SealedInput" as const), agreementId: id, consumerPublicKey: b32, seq: fc.integer({ min: 1, max: TeeLimit.MAX_SEQ }), ciphertext: fc.uint8Array({ minLength: 16, maxLength: 500 }) }),
    fc.record({ type: fc.constant("SealedOutput" as const), agreementId: id, seq: fc.integer({ min: 1, max: TeeLimit.MAX_SEQ }), ciphertext: fc.uint8Array({ minLength: 16, maxLength: 500 }) }),
    fc.record({ type: fc.constant("Failure" as const), agreementId: id, code: fc.constantFrom(...Object.values(TeeErrorCode)), reason: fc.string({ maxLength: 60 }) }),
  ) as fc.Arbitrary<TeeMessage>;

  it("every valid message round-trips and its encoding is canonical (property)", () => {
    fc.assert(fc.property(msg, (m) => {
      const bytes = encodeTeeMessage(m);
      const back = decodeTeeMessage(bytes);
      expect(back).toEqual({ ...m, ...("platforms" in m ? { platforms: [...m.platforms] } : {}) });
      expect(Buffer.from(encodeTeeMessage(back))).toEqual(Buffer.from(bytes));
    }), { numRuns: 300 });
  });
  it("random bytes never crash the decoder: they decode or give a TeeError (property)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      try { decodeTeeMessage(b); } catch (e) { expect(e).toBeInstanceOf(TeeError); }
    }), { numRuns: 500 });
  });
  const map = (entries: [number, unknown][]) => encodeCanonical(new Map(entries.map(([k, v]) => [BigInt(k), v as never])));
  const req = (over: [number, unknown][] = []) => {
    const base = new Map<number, unknown>([[0, 1n], [1, 1n], [2, AGREEMENT], [3, new Uint8Array(32)], [4, [1n]]]);
    for (const [k, v] of over) { if (v === undefined) base.delete(k); else base.set(k, v); }
    return map([...base.entries()]);
  };
  it("decodes a hand-built AttestRequest, and refuses each malformation with its code", () => {
    expect(decodeTeeMessage(req())).toMatchObject({ type: "AttestRequest", platforms: [1] });
    expectTee(() => decodeTeeMessage(req([[1, 2n]])), "UNSUPPORTED_VERSION");
    expectTee(() => decodeTeeMessage(req([[5, 1n]])), "MESSAGE_MALFORMED");
    expectTee(() => decodeTeeMessage(req([[4, undefined]])), "MESSAGE_MALFORMED");
    expectTee(() => decodeTeeMessage(req([[3, new Uint8Array(31)]])), "MESSAGE_MALFORMED");
    expectTee(() => decodeTeeMessage(req([[2, new Uint8Array(15)]])), "MESSAGE_MALFORMED");
    expectTee(() => decodeTeeMessage(req([[4, [2n, 1n]]])), "MESSAGE_MALFORMED");
    expectTee(() => decodeTeeMessage(req([[4, [9n]]])), "MESSAGE_MALFORMED");
    expectTee(() => decodeTeeMessage(req([[4, []]])), "MESSAGE_MALFORMED");
    expectTee(() => decodeTeeMessage(req([[0, 9n]])), "MESSAGE_MALFORMED");
    expectTee(() => decodeTeeMessage(req([[3, "nonce"]])), "MESSAGE_MALFORMED");
    expect(req()[0]).toBe(0xa5); // map of 5
    expectTee(() => decodeTeeMessage(Uint8Array.from([0xb9, 0x00, 0x05, ...req().subarray(1)])), "MESSAGE_MALFORMED"); // same map, 2-byte length: not shortest
    expectTee(() => decodeTeeMessage(Uint8Array.from([...req(), 0])), "MESSAGE_MALFORMED");
    expectTee(() => decodeTeeMessage(new Uint8Array(TeeLimit.MAX_MESSAGE_BYTES + 1)), "MESSAGE_TOO_LARGE");
  });
  it("sizes are enforced on evidence and sequence numbers", () => {
    const a: Attestation = { type: "Attestation", agreementId: AGREEMENT, nonce: new Uint8Array(32), platform: 1, teePublicKey: new Uint8Array(32), report: new Uint8Array(1185), endorsement: new Uint8Array(10) };
    expectTee(() => encodeTeeMessage(a), "MESSAGE_TOO_LARGE");
    expectTee(() => encodeTeeMessage({ ...a, platform: 2, report: new Uint8Array(16385) }), "MESSAGE_TOO_LARGE");
    expectTee(() => encodeTeeMessage({ ...a, platform: 2, report: new Uint8Array(5000), endorsement: new Uint8Array(65537) }), "MESSAGE_TOO_LARGE");
    const s: SealedInput = { type: "SealedInput", agreementId: AGREEMENT, consumerPublicKey: new Uint8Array(32), seq: 0, ciphertext: new Uint8Array(16) };
    expectTee(() => encodeTeeMessage(s), "SEQUENCE_REJECTED");
    expectTee(() => encodeTeeMessage({ ...s, seq: TeeLimit.MAX_SEQ + 1 }), "SEQUENCE_REJECTED");
    expectTee(() => encodeTeeMessage({ ...s, seq: 1, ciphertext: new Uint8Array(15) }), "MESSAGE_MALFORMED");
    expectTee(() => encodeTeeMessage({ type: "Failure", agreementId: AGREEMENT, code: 1, reason: "" }), "MESSAGE_MALFORMED");
    expectTee(() => encodeTeeMessage({ type: "Failure", agreementId: AGREEMENT, code: 3001, reason: "x".repeat(257) }), "MESSAGE_MALFORMED");
  });
  it("a provider answers undecodable bytes with a Failure, never a throw", async () => {
    const provider = new TeeProvider({ backend: new ReplayedEvidenceBackend(F.snpEvidence(), "snp"), compute });
    const f = decodeTeeMessage(await provider.handle(Uint8Array.from([0xff, 0x00])));
    expect(f).toMatchObject({ type: "Failure", code: TeeErrorCode.MESSAGE_MALFORMED });
    const g = decodeTeeMessage(await provider.handle(encodeTeeMessage({ type: "SealedOutput", agreementId: AGREEMENT, seq: 1, ciphertext: new Uint8Array(16) })));
    expect(g).toMatchObject({ type: "Failure", code: TeeErrorCode.MESSAGE_MALFORMED });
  });
});

describe("binding and transcript", () => {
  it("report_data changes with every bound input and is 64 bytes", () => {
    const base = { agreementId: AGREEMENT, nonce: new Uint8Array(32), platform: TeePlatform.SEV_SNP, teePublicKey: new Uint8Array(32).fill(9) };
    const r = reportDataFor(base);
    expect(r.length).toBe(64);
    for (const v of [{ agreementId: Uint8Array.from([...AGREEMENT, 0]) }, { nonce: new Uint8Array(32).fill(1) }, { platform: TeePlatform.TDX }, { teePublicKey: new Uint8Array(32).fill(8) }]) {
      expect(Buffer.from(reportDataFor({ ...base, ...v }))).not.toEqual(Buffer.from(r));
    }
  });
  it("report_data is SHA-512 over the documented bytes (a vector any implementation can check)", async () => {
    const { sha512 } = await import("@noble/hashes/sha2.js");
    const body = encodeCanonical([1n, AGREEMENT, new Uint8Array(32), 1n, new Uint8Array(32).fill(9)]);
    const pre = Uint8Array.from([...new TextEncoder().encode("mehr-compute/v1/tee-report-data"), 0, ...body]);
    const r = reportDataFor({ agreementId: AGREEMENT, nonce: new Uint8Array(32), platform: TeePlatform.SEV_SNP, teePublicKey: new Uint8Array(32).fill(9) });
    expect(Buffer.from(r)).toEqual(Buffer.from(sha512(pre)));
  });
});
