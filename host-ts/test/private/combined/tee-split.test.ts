/**
 * Split + TEE in one process on the replay test double (this machine has no
 * TEE; docs/PRIVATE.md §3.0): the consumer verifies the genuine SEV-SNP
 * evidence first, the split activations and the reply cross only sealed, the
 * logits equal plain split inference (and the whole model within the split
 * tolerance), and the production policy refuses the replay before any
 * activation is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CombinedErrorCode, SplitErrorCode, TeeErrorCode } from "../../../src/generated/private-protocol.ts";
import { TeeSplitConsumer, TeeSplitProvider, privateErrorCode } from "../../../src/private/combined/index.ts";
import { ReplayedEvidenceBackend, decodeTeeMessage, encodeTeeMessage, replayTestPolicy, type TeePolicy } from "../../../src/private/attestation/index.ts";
import { inputs } from "../../../src/private/split/evaluate.ts";
import { loadMnist } from "../../../src/private/split/mnist-idx.ts";
import { argmax } from "../../../src/private/split/mlp.ts";
import { committedModel, splitModel } from "../../../src/private/split/parts.ts";
import { SplitConsumer } from "../../../src/private/split/consumer.ts";
import { SplitProvider } from "../../../src/private/split/provider.ts";
import { OnnxPart } from "../../../src/private/split/runtime.ts";
import * as F from "../attestation/fixtures.ts";
import { counted, counter } from "./helpers.ts";

const test = loadMnist("test");
const whole = committedModel("mnist-mlp");
const sm = splitModel(whole, "mnist-mlp", "relu1");
const AGREEMENT = new Uint8Array(24).map((_, i) => 0xa0 + i);
const SNP_POLICY: TeePolicy = { snp: { measurements: [F.VIRTEE_MEASUREMENT], minTcb: { bootLoader: 3, tee: 0, snp: 8, microcode: 115 } } };
const backend = new ReplayedEvidenceBackend(F.snpEvidence(), "virtee Milan");
const testPolicy = replayTestPolicy(SNP_POLICY, backend);
let provider: TeeSplitProvider, plain: SplitProvider, wholePart: OnnxPart;
beforeAll(async () => {
  [provider, plain, wholePart] = await Promise.all([TeeSplitProvider.create({ descriptor: sm.descriptor, middleOnnx: sm.middle, backend }), SplitProvider.create(sm.descriptor, sm.middle), OnnxPart.load(whole)]);
});
afterAll(async () => { await Promise.all([provider.close(), plain.close(), wholePart.close()]); });

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try { await p; } catch (e) { const c = privateErrorCode(e); if (c) return c.code; throw e; }
  return undefined;
}
const contains = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).indexOf(Buffer.from(needle)) >= 0;

describe("Split + TEE against plaintext", () => {
  it("ε = ∞: attested first, then the same logits as plain split inference, within 0.05 of the whole model, same class", async () => {
    const c = await TeeSplitConsumer.create(sm, { noise: { mechanism: "none" }, agreementId: AGREEMENT, policy: testPolicy, at: F.AT });
    const ref = await SplitConsumer.create(sm, { noise: { mechanism: "none" } });
    const wire = counter();
    const transport = counted((m) => provider.handle(m), wire);
    let maxDiff = 0, agree = 0, sealedOverhead = 0;
    const N = 256, B = 64;
    for (let from = 0; from < N; from += B) {
      const x = inputs(test, from, B);
      const r = await c.infer(x, B, transport);
      const p = await ref.infer(x, B, (q) => plain.handle(q));
      expect(Array.from(r.logits)).toEqual(Array.from(p.logits));
      const w = await wholePart.run(x, B);
      for (let i = 0; i < w.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w[i] - r.logits[i]));
      for (let i = 0; i < B; i++) if (argmax(w, 10 * i, 10) === argmax(r.logits, 10 * i, 10)) agree++;
      expect(r.keyBoundByHardware).toBe(false);
      sealedOverhead = Math.max(sealedOverhead, r.bytes.sealedInput - r.bytes.middleRequest, r.bytes.sealedOutput - r.bytes.middleReply);
    }
    expect(maxDiff).toBeLessThan(0.05);
    expect(agree).toBeGreaterThanOrEqual(N - 2);
    // One attestation, then one sealed round trip per batch; the envelope adds ~100 bytes per message (PRIVATE.md §3.13).
    expect(wire.calls).toBe(1 + N / B);
    expect(c.attestation!.attestationBytes).toBeGreaterThan(F.virteeReport().length + F.virteeVcek().length);
    expect(sealedOverhead).toBeLessThan(128);
    await Promise.all([c.close(), ref.close()]);
  });

  it("the activations and the reply are never on the wire in the clear", async () => {
    const c = await TeeSplitConsumer.create(sm, { noise: { mechanism: "none" }, agreementId: AGREEMENT, policy: testPolicy, at: F.AT });
    const seen: Uint8Array[] = [];
    const tap = async (m: Uint8Array) => { seen.push(m); const a = await provider.handle(m); seen.push(a); return a; };
    const x = inputs(test, 7, 4);
    // Without noise the request's tensor is a function of the input, so the plain split bytes show what the clear text looks like.
    const req = await c.split.prepare(x, 4);
    const reply = await plain.handle(req.bytes);
    const r = await c.infer(x, 4, tap);
    expect(r.logits).toHaveLength(40);
    const requestTensor = req.bytes.subarray(req.bytes.length - 64), replyTensor = reply.subarray(reply.length - 64);
    expect(seen).toHaveLength(4);
    for (const m of seen) {
      expect(contains(m, requestTensor)).toBe(false);
      expect(contains(m, replyTensor)).toBe(false);
    }
    expect(decodeTeeMessage(seen[2]).type).toBe("SealedInput");
    expect(decodeTeeMessage(seen[3]).type).toBe("SealedOutput");
    await c.close();
  });
});

describe("Split + TEE sessions", () => {
  it("a provider that forgot the session is attested again and the same request resent once", async () => {
    const agreementId = new Uint8Array(20).fill(0x5c);
    const c = await TeeSplitConsumer.create(sm, { noise: { mechanism: "none" }, agreementId, policy: testPolicy, at: F.AT });
    const wire = counter();
    const transport = counted((m) => provider.handle(m), wire);
    const x = inputs(test, 3, 2);
    const first = await c.infer(x, 2, transport);
    const before = c.session;
    provider.tee.close(agreementId);
    const again = await c.infer(x, 2, transport);
    expect(Array.from(again.logits)).toEqual(Array.from(first.logits));
    expect(c.session).not.toBe(before);
    // attest, sealed; sealed (NOT_ATTESTED), attest, sealed.
    expect(wire.calls).toBe(5);
    await c.close();
  });
});

describe("Split + TEE refusals", () => {
  const x = inputs(test, 0, 2);

  it("the production policy refuses the replayed report (BINDING_MISMATCH) and no activation is sent", async () => {
    const c = await TeeSplitConsumer.create(sm, { noise: { mechanism: "none" }, agreementId: AGREEMENT, policy: SNP_POLICY, at: F.AT });
    const wire = counter();
    expect(await codeOf(c.infer(x, 2, counted((m) => provider.handle(m), wire)))).toBe(TeeErrorCode.BINDING_MISMATCH);
    expect(wire.calls).toBe(1);
    expect(c.session).toBeUndefined();
    await c.close();
  });

  it("a measurement outside the allow-list is refused (POLICY_MEASUREMENT)", async () => {
    const other: TeePolicy = { snp: { ...SNP_POLICY.snp!, measurements: [F.GO_MEASUREMENT] } };
    const c = await TeeSplitConsumer.create(sm, { noise: { mechanism: "none" }, agreementId: AGREEMENT, policy: replayTestPolicy(other, backend), at: F.AT });
    expect(await codeOf(c.infer(x, 2, (m) => provider.handle(m)))).toBe(TeeErrorCode.POLICY_MEASUREMENT);
    await c.close();
  });

  it("a tampered sealed reply fails authentication (DECRYPT_FAILED)", async () => {
    const c = await TeeSplitConsumer.create(sm, { noise: { mechanism: "none" }, agreementId: AGREEMENT, policy: testPolicy, at: F.AT });
    await c.attest((m) => provider.handle(m));
    const flip = async (m: Uint8Array) => { const a = await provider.handle(m); const b = a.slice(); b[b.length - 20] ^= 1; return b; };
    expect(await codeOf(c.infer(x, 2, flip))).toBe(TeeErrorCode.DECRYPT_FAILED);
    await c.close();
  });

  it("a refusal inside the TEE comes back sealed with its split code (SPLIT_UNKNOWN_DESCRIPTOR)", async () => {
    const otherModel = splitModel(committedModel("mnist-mlp-noisy"), "mnist-mlp-noisy", "relu1");
    const c = await TeeSplitConsumer.create(otherModel, { noise: { mechanism: "none" }, agreementId: AGREEMENT, policy: testPolicy, at: F.AT });
    expect(await codeOf(c.infer(x, 2, (m) => provider.handle(m)))).toBe(SplitErrorCode.SPLIT_UNKNOWN_DESCRIPTOR);
    await c.close();
  });

  it("an answer of the wrong kind is refused (COMBINED_UNEXPECTED_REPLY), and a wrong middle is refused at load (SPLIT_MODEL_MISMATCH)", async () => {
    const c = await TeeSplitConsumer.create(sm, { noise: { mechanism: "none" }, agreementId: AGREEMENT, policy: testPolicy, at: F.AT });
    const { session } = await c.attest((m) => provider.handle(m));
    const sealedAgain = async () => encodeTeeMessage(session.sealInput(new Uint8Array(4)));
    expect(await codeOf(c.infer(x, 2, sealedAgain))).toBe(CombinedErrorCode.COMBINED_UNEXPECTED_REPLY);
    await c.close();
    expect(await codeOf(TeeSplitProvider.create({ descriptor: sm.descriptor, middleOnnx: sm.tail, backend }))).toBe(SplitErrorCode.SPLIT_MODEL_MISMATCH);
  });
});
