/**
 * Consumer and provider end to end (in-process transport): the fixed-point
 * path equals the whole model up to its stated rounding, the integer clip
 * holds in what is sent, the noise has the calibrated variance, the
 * accountant stops a session before anything is sent, and every refusal on
 * either side carries its documented error code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SplitErrorCode } from "../../../src/generated/private-protocol.ts";
import { PrivacyAccountant, epsilonCks } from "../../../src/private/dp/accountant.ts";
import { seededRandom } from "../../../src/private/dp/random.ts";
import { sumSquares } from "../../../src/private/dp/mechanism.ts";
import { loadMnist } from "../../../src/private/split/mnist-idx.ts";
import { argmax } from "../../../src/private/split/mlp.ts";
import { committedModel, splitModel } from "../../../src/private/split/parts.ts";
import { OnnxPart } from "../../../src/private/split/runtime.ts";
import { SplitConsumer } from "../../../src/private/split/consumer.ts";
import { SplitProvider } from "../../../src/private/split/provider.ts";
import { inputs } from "../../../src/private/split/evaluate.ts";
import { SplitProtocolError, decodeSplitMessage, encodeReply, encodeRequest } from "../../../src/private/split/messages.ts";
import { preActivationSensitivity, spectralNormEstimate, spectralNormUpperBound } from "../../../src/private/split/sensitivity.ts";

const test = loadMnist("test");
const whole = committedModel("mnist-mlp");
const sm = splitModel(whole, "mnist-mlp", "relu1");
const pre = splitModel(whole, "mnist-mlp", "pre1");
let provider: SplitProvider, prePro: SplitProvider, wholePart: OnnxPart;
beforeAll(async () => {
  [provider, prePro, wholePart] = await Promise.all([SplitProvider.create(sm.descriptor, sm.middle), SplitProvider.create(pre.descriptor, pre.middle), OnnxPart.load(whole)]);
});
afterAll(async () => { await Promise.all([provider.close(), prePro.close(), wholePart.close()]); });

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try { await p; } catch (e) { if (e instanceof SplitProtocolError) return e.code; throw e; }
  return undefined;
}
const errorCode = (reply: Uint8Array) => { const m = decodeSplitMessage(reply); return m.type === "SplitError" ? m.body.code : undefined; };

describe("split inference without noise", () => {
  it.each([["relu1", () => sm, () => provider], ["pre1", () => pre, () => prePro]] as const)("%s: logits within 0.05 of the whole model and the same class on 1,024 images", async (_cut, model, prov) => {
    const c = await SplitConsumer.create(model(), { noise: { mechanism: "none" } });
    let maxDiff = 0, agree = 0;
    for (let from = 0; from < 1024; from += 64) {
      const x = inputs(test, from, 64);
      const r = await c.infer(x, 64, (q) => prov().handle(q));
      const w = await wholePart.run(x, 64);
      for (let i = 0; i < w.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w[i] - r.logits[i]));
      for (let i = 0; i < 64; i++) if (argmax(w, 10 * i, 10) === argmax(r.logits, 10 * i, 10)) agree++;
    }
    await c.close();
    // Rounding to 2^-10 at the cut and 2^-12 in the reply; the measured maximum is well below this bound.
    expect(maxDiff).toBeLessThan(0.05);
    expect(agree).toBeGreaterThanOrEqual(1022);
  });

  it("sends integers clipped to ‖q‖₂ ≤ B exactly (relu1), all non-negative", async () => {
    const c = await SplitConsumer.create(sm, { noise: { mechanism: "none" } });
    const req = await c.prepare(inputs(test, 0, 64), 64);
    const m = decodeSplitMessage(req.bytes);
    expect(m.type).toBe("MiddleRequest");
    if (m.type !== "MiddleRequest") return;
    const B = c.sensitivity.l2ClipBound!;
    expect(B).toBe(8 * 1024);
    for (let i = 0; i < 64; i++) {
      const row = m.body.tensor.data.subarray(i * 128, (i + 1) * 128);
      expect(sumSquares(row) <= BigInt(B) * BigInt(B)).toBe(true);
      expect(row.every((v) => v >= 0)).toBe(true);
    }
    await c.close();
  });
});

describe("split inference with differential privacy", () => {
  it("adds discrete Gaussian noise of the calibrated variance to every activation sent", async () => {
    const clean = await SplitConsumer.create(sm, { noise: { mechanism: "none" } });
    const noisy = await SplitConsumer.create(sm, { noise: { mechanism: "discrete-gaussian", epsilon: 4, delta: 1e-5 }, random: seededRandom("protocol-noise") });
    expect(noisy.noise.mechanism).toBe("discrete-gaussian");
    if (noisy.noise.mechanism !== "discrete-gaussian") return;
    expect(epsilonCks(noisy.noise.rho, 1e-5)).toBeLessThanOrEqual(4);
    const x = inputs(test, 0, 64);
    const tensorOf = async (c: SplitConsumer) => { const m = decodeSplitMessage((await c.prepare(x, 64)).bytes); return m.type === "MiddleRequest" ? m.body.tensor.data : new Int32Array(); };
    const a = await tensorOf(clean), b = await tensorOf(noisy);
    const d = [...b].map((v, i) => v - a[i]);
    const s2 = Number(noisy.noise.sigma2.num) / Number(noisy.noise.sigma2.den);
    const variance = d.reduce((acc, v) => acc + v * v, 0) / d.length;
    expect(Math.abs(variance - s2)).toBeLessThan(5 * s2 * Math.sqrt(2 / d.length));
    await clean.close();
    await noisy.close();
  });

  it("the accountant refuses the batch that would exceed the session budget, and nothing is sent", async () => {
    const acc = new PrivacyAccountant({ epsilon: 10, delta: 1e-5 });
    const c = await SplitConsumer.create(sm, { noise: { mechanism: "discrete-gaussian", epsilon: 4, delta: 1e-5 }, random: seededRandom("budget"), accountant: acc });
    let sent = 0;
    const transport = (q: Uint8Array) => { sent++; return provider.handle(q); };
    const x = inputs(test, 0, 1);
    await c.infer(x, 1, transport);
    await c.infer(x, 1, transport);
    expect(acc.spent().queries).toBe(2);
    const code = await codeOf(c.infer(inputs(test, 0, 50), 50, transport));
    expect(code).toBe(SplitErrorCode.SPLIT_BUDGET_EXHAUSTED);
    expect(sent).toBe(2);
    expect(acc.spent().queries).toBe(2);
    expect(acc.spent().epsilon).toBeLessThanOrEqual(10);
    await c.close();
  });

  it("pre1: the sensitivity comes from an upper bound on ‖W₁‖₂ that holds for every direction tried", () => {
    const W = pre.mlp.layers[0];
    const upper = spectralNormUpperBound(W.w, W.outputs, W.inputs);
    const est = spectralNormEstimate(W.w, W.outputs, W.inputs);
    expect(upper).toBeGreaterThanOrEqual(est);
    expect(upper / est).toBeLessThan(1.02);
    const rng = seededRandom("dirs");
    const bytes = new Uint8Array(4 * W.inputs);
    for (let t = 0; t < 20; t++) {
      rng.fill(bytes);
      const v = Array.from({ length: W.inputs }, (_, i) => bytes[4 * i] - 127.5);
      const nv = Math.hypot(...v);
      let s = 0;
      for (let o = 0; o < W.outputs; o++) { let z = 0; for (let i = 0; i < W.inputs; i++) z += W.w[o * W.inputs + i] * v[i]; s += z * z; }
      expect(Math.sqrt(s) / nv).toBeLessThanOrEqual(upper);
    }
    const sens = preActivationSensitivity(pre.mlp, 10);
    expect(Number(sens.l2SensitivitySquared)).toBeGreaterThanOrEqual((1024 * upper * 28 + Math.sqrt(128)) ** 2);
  });
});

describe("refusals", () => {
  const clean = async () => SplitConsumer.create(sm, { noise: { mechanism: "none" } });

  it("the provider answers every bad request with its error code", async () => {
    const t = { fracBits: 10, shape: [1, 128], data: new Int32Array(128) };
    expect(errorCode(await provider.handle(Uint8Array.of(1, 2, 3)))).toBe(SplitErrorCode.SPLIT_MALFORMED);
    expect(errorCode(await provider.handle(encodeRequest({ descriptorId: pre.id, requestId: 1n, tensor: t })))).toBe(SplitErrorCode.SPLIT_UNKNOWN_DESCRIPTOR);
    expect(errorCode(await provider.handle(encodeRequest({ descriptorId: sm.id, requestId: 1n, tensor: { ...t, shape: [2, 64] } })))).toBe(SplitErrorCode.SPLIT_SHAPE_MISMATCH);
    expect(errorCode(await provider.handle(encodeRequest({ descriptorId: sm.id, requestId: 1n, tensor: { ...t, fracBits: 8 } })))).toBe(SplitErrorCode.SPLIT_SCALE_MISMATCH);
    expect(errorCode(await provider.handle(encodeReply({ descriptorId: sm.id, requestId: 1n, middleHash: sm.descriptor.middleHash, tensor: t })))).toBe(SplitErrorCode.SPLIT_MALFORMED);
    const big = encodeRequest({ descriptorId: sm.id, requestId: 1n, tensor: { fracBits: 10, shape: [64, 128], data: new Int32Array(64 * 128).fill(2 ** 31 - 1) } });
    // Activations this large drive the middle's output beyond I32 at 2^-12.
    expect(errorCode(await provider.handle(big))).toBe(SplitErrorCode.SPLIT_OUT_OF_RANGE);
    const ok = decodeSplitMessage(await provider.handle(encodeRequest({ descriptorId: sm.id, requestId: 77n, tensor: t })));
    expect(ok.type === "MiddleReply" && ok.body.requestId).toBe(77n);
  });

  it("a provider refuses to load a middle that is not the descriptor's", async () => {
    expect(await codeOf(SplitProvider.create(sm.descriptor, pre.middle))).toBe(SplitErrorCode.SPLIT_MODEL_MISMATCH);
    const tampered = sm.middle.slice();
    tampered[tampered.length - 10] ^= 1;
    expect(await codeOf(SplitProvider.create(sm.descriptor, tampered))).toBe(SplitErrorCode.SPLIT_MODEL_MISMATCH);
  });

  it("the consumer refuses a reply from another middle, for another request, or of the wrong shape, and surfaces provider errors", async () => {
    const c = await clean();
    const x = inputs(test, 0, 2);
    const forge = (f: (r: { descriptorId: Uint8Array; requestId: bigint; middleHash: Uint8Array; tensor: { fracBits: number; shape: number[]; data: Int32Array } }) => void) => async (q: Uint8Array) => {
      const m = decodeSplitMessage(await provider.handle(q));
      if (m.type !== "MiddleReply") throw new Error("expected a reply");
      const r = { ...m.body, shape: undefined, tensor: { ...m.body.tensor, shape: [...m.body.tensor.shape] } } as never as Parameters<typeof f>[0];
      f(r);
      return encodeReply(r);
    };
    expect(await codeOf(c.infer(x, 2, forge((r) => { r.middleHash = pre.descriptor.middleHash; })))).toBe(SplitErrorCode.SPLIT_MIDDLE_MISMATCH);
    expect(await codeOf(c.infer(x, 2, forge((r) => { r.requestId += 1n; })))).toBe(SplitErrorCode.SPLIT_MIDDLE_MISMATCH);
    expect(await codeOf(c.infer(x, 2, forge((r) => { r.tensor = { ...r.tensor, shape: [1, 128], data: r.tensor.data.slice(0, 128) }; })))).toBe(SplitErrorCode.SPLIT_SHAPE_MISMATCH);
    expect(await codeOf(c.infer(x, 2, forge((r) => { r.tensor = { ...r.tensor, fracBits: 11 }; })))).toBe(SplitErrorCode.SPLIT_SCALE_MISMATCH);
    expect(await codeOf(c.infer(x, 2, (q) => prePro.handle(q)))).toBe(SplitErrorCode.SPLIT_UNKNOWN_DESCRIPTOR);
    await c.close();
  });
});
