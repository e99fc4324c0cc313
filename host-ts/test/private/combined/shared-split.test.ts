/**
 * Split + SecretShared in one process, every message through counting
 * transports: the three shareholders compute exactly the plaintext
 * fixed-point first layer (and the noise), the whole path gives the whole
 * model's logits within the stated tolerance at ε = ∞, and every refusal
 * carries its documented code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CombinedErrorCode, ShamirErrorCode, SplitErrorCode } from "../../../src/generated/private-protocol.ts";
import {
  SharedSplitConsumer, agreedFirstLayerDigests, fixedPointFirstLayer, privateErrorCode, shareholderHandler, sharedCutSensitivity, type ShareholderHandler,
} from "../../../src/private/combined/index.ts";
import { PrivacyAccountant } from "../../../src/private/dp/accountant.ts";
import { seededRandom } from "../../../src/private/dp/random.ts";
import { columnStats, Consumer, decodeMessage, encodeMessage, type OutputMessage } from "../../../src/private/shamir/index.ts";
import { inputs } from "../../../src/private/split/evaluate.ts";
import { loadMnist } from "../../../src/private/split/mnist-idx.ts";
import { argmax } from "../../../src/private/split/mlp.ts";
import { committedModel, splitModel } from "../../../src/private/split/parts.ts";
import { SplitProvider } from "../../../src/private/split/provider.ts";
import { OnnxPart } from "../../../src/private/split/runtime.ts";
import { preActivationSensitivity, spectralNormUpperBound } from "../../../src/private/split/sensitivity.ts";
import { counted, counter, plaintextCut, shareholders } from "./helpers.ts";

const test = loadMnist("test");
const whole = committedModel("mnist-mlp");
const pre = splitModel(whole, "mnist-mlp", "pre1");
let middle: SplitProvider, wholePart: OnnxPart, handler: ShareholderHandler;
beforeAll(async () => {
  [middle, wholePart] = await Promise.all([SplitProvider.create(pre.descriptor, pre.middle), OnnxPart.load(whole)]);
  handler = shareholderHandler({ agreed: agreedFirstLayerDigests(pre) });
});
afterAll(async () => { await Promise.all([middle.close(), wholePart.close()]); });

async function codeOf(p: Promise<unknown>): Promise<number | undefined> {
  try { await p; } catch (e) { const c = privateErrorCode(e); if (c) return c.code; throw e; }
  return undefined;
}

describe("Split + SecretShared against plaintext", () => {
  it("ε = ∞: the shareholders' layer is the plaintext fixed-point layer exactly; logits within 0.05 of the whole model, same class", async () => {
    const c = await SharedSplitConsumer.create(pre, { noise: { mechanism: "none" } });
    const sh = counter(), mid = counter();
    const N = 24, B = 8;
    let maxDiff = 0, agree = 0;
    for (let from = 0; from < N; from += B) {
      const x = inputs(test, from, B);
      const r = await c.infer(x, B, { shareholders: shareholders([handler, handler, handler], sh), middle: counted((q) => middle.handle(q), mid) });
      expect(Array.from(r.cut)).toEqual(Array.from(plaintextCut(pre, x, B)));
      const w = await wholePart.run(x, B);
      for (let i = 0; i < w.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w[i] - r.logits[i]));
      for (let i = 0; i < B; i++) if (argmax(w, 10 * i, 10) === argmax(r.logits, 10 * i, 10)) agree++;
      expect(r.bytes.total).toBe(r.bytes.dealt + r.bytes.outputs + r.bytes.middleRequest + r.bytes.middleReply);
    }
    await c.close();
    // Weights and pixels rounded to 2^-16, the cut to 2^-10, the reply to 2^-12 (the split pre1 bound).
    expect(maxDiff).toBeLessThan(0.05);
    expect(agree).toBe(N);
    // Every byte the result reports is a byte the transports carried: 3 DEALs and 3 OUTPUTs per image, one round trip per batch.
    expect(sh.calls).toBe(3 * N);
    expect(mid.calls).toBe(N / B);
    // A DEAL carries the whole public layer (program) plus 16 bytes per pixel share.
    expect(sh.sent / sh.calls).toBeGreaterThan(pre.mlp.layers[0].inputs * (pre.mlp.layers[0].outputs + 16));
    expect(sh.received / sh.calls).toBeGreaterThan(16 * pre.descriptor.cutWidth);
  });

  it("with noise: what the middle receives is the plaintext cut plus exactly the consumer's noise draw", async () => {
    const noise = { mechanism: "discrete-gaussian", epsilon: 8, delta: 1e-5 } as const;
    const c = await SharedSplitConsumer.create(pre, { noise, random: seededRandom("combined-noise") });
    const twin = await SharedSplitConsumer.create(pre, { noise, random: seededRandom("combined-noise") });
    const x = inputs(test, 100, 4);
    const r = await c.infer(x, 4, { shareholders: (_i, d) => handler(d), middle: (q) => middle.handle(q) });
    const expected = plaintextCut(pre, x, 4), drawn = twin.split.drawNoise(4);
    expect(Array.from(r.cut)).toEqual(Array.from(expected, (v, i) => v + drawn[i]));
    expect(drawn.some((v) => v !== 0)).toBe(true);
    expect(c.noise.mechanism).toBe("discrete-gaussian");
    await Promise.all([c.close(), twin.close()]);
  });

  it("the noise is calibrated to the rounded weights the MPC multiplies by, not to the float weights", () => {
    const s = sharedCutSensitivity(pre), f = preActivationSensitivity(pre.mlp, pre.descriptor.cutFracBits);
    const L = fixedPointFirstLayer(pre.mlp);
    expect(s.spectral!.upper).toBe(spectralNormUpperBound(L.w, L.outputs, L.inputs));
    expect(s.spectral!.upper).not.toBe(f.spectral!.upper);
    expect(s.spectral!.upper).toBeGreaterThanOrEqual(s.spectral!.estimate);
    // Rounding to 2^-16 moves the bound by far less than 0.1 %.
    expect(Math.abs(Math.sqrt(Number(s.l2SensitivitySquared) / Number(f.l2SensitivitySquared)) - 1)).toBeLessThan(1e-3);
  });
});

describe("Split + SecretShared refusals", () => {
  const x = inputs(test, 0, 1);

  it("a shareholder that changes one output share fails the session (SHARES_INCONSISTENT), no logits", async () => {
    const c = await SharedSplitConsumer.create(pre, { noise: { mechanism: "none" } });
    const bad = async (d: Uint8Array) => {
      const m = decodeMessage(await handler(d)) as OutputMessage;
      return encodeMessage({ ...m, outputs: m.outputs.map((v, k) => (k === 5 ? v + 1n : v)) });
    };
    const mc = counter(), sc = counter();
    const good = counted(handler, sc), evil = counted(bad, sc);
    const x8 = inputs(test, 0, 8);
    expect(await codeOf(c.infer(x8, 8, { shareholders: (i, d) => (i === 2 ? evil(d) : good(d)), middle: counted((q) => middle.handle(q), mc) }))).toBe(ShamirErrorCode.SHARES_INCONSISTENT);
    expect(mc.calls).toBe(0);
    // The images in flight (4) finish their round; no further image is dealt once one has failed.
    expect(sc.calls).toBeLessThan(3 * 8);
    await c.close();
  });

  it("a shareholder refuses a program it did not agree to (COMBINED_PROGRAM_NOT_AGREED)", async () => {
    const other = splitModel(committedModel("mnist-mlp-noisy"), "mnist-mlp-noisy", "pre1");
    const c = await SharedSplitConsumer.create(other, { noise: { mechanism: "none" } });
    expect(await codeOf(c.infer(x, 1, { shareholders: (_i, d) => handler(d), middle: (q) => middle.handle(q) }))).toBe(CombinedErrorCode.COMBINED_PROGRAM_NOT_AGREED);
    await c.close();
  });

  it("a generic shareholder runs linear programs only, and only DEALs", async () => {
    const generic = shareholderHandler();
    const stats = columnStats(4, 10);
    const deals = new Consumer({ program: stats.program, inputs: stats.encodeInputs(0, [1, 2, 3, 4]) }).start();
    const code = async (b: Uint8Array) => { const m = decodeMessage(await generic(b)); return m.type === "abort" ? m.code : undefined; };
    expect(await code(deals[0].bytes)).toBe(CombinedErrorCode.COMBINED_PROGRAM_NOT_LINEAR);
    const ready = encodeMessage({ type: "ready", session: deals[0].message.session, from: 1, to: 0 });
    expect(await code(ready)).toBe(CombinedErrorCode.COMBINED_NOT_A_DEAL);
    expect(await code(new Uint8Array([1, 2, 3]))).toBe(ShamirErrorCode.MESSAGE_MALFORMED);
  });

  it("a model not cut at pre1 is refused (COMBINED_CUT_MISMATCH)", async () => {
    expect(await codeOf(SharedSplitConsumer.create(splitModel(whole, "mnist-mlp", "relu1"), { noise: { mechanism: "none" } }))).toBe(CombinedErrorCode.COMBINED_CUT_MISMATCH);
  });

  it("an exhausted budget stops the batch before any share is sent (SPLIT_BUDGET_EXHAUSTED)", async () => {
    const accountant = new PrivacyAccountant({ epsilon: 1, delta: 1e-5 });
    const c = await SharedSplitConsumer.create(pre, { noise: { mechanism: "discrete-gaussian", epsilon: 8, delta: 1e-5 }, accountant });
    const sh = counter();
    expect(await codeOf(c.infer(x, 1, { shareholders: shareholders([handler, handler, handler], sh), middle: (q) => middle.handle(q) }))).toBe(SplitErrorCode.SPLIT_BUDGET_EXHAUSTED);
    expect(sh.calls).toBe(0);
    await c.close();
  });

  it("a shareholder answering with anything but its OUTPUT or ABORT is refused (COMBINED_UNEXPECTED_REPLY)", async () => {
    const c = await SharedSplitConsumer.create(pre, { noise: { mechanism: "none" } });
    const echo = async (d: Uint8Array) => d;
    expect(await codeOf(c.infer(x, 1, { shareholders: (i, d) => (i === 3 ? echo(d) : handler(d)), middle: (q) => middle.handle(q) }))).toBe(CombinedErrorCode.COMBINED_UNEXPECTED_REPLY);
    // Provider 1's OUTPUT presented as provider 2's.
    let first: Uint8Array | undefined;
    const swap = async (i: number, d: Uint8Array) => { const a = await handler(d); if (i === 1) first = a; return i === 2 && first ? first : a; };
    expect(await codeOf(c.infer(x, 1, { shareholders: swap, middle: (q) => middle.handle(q) }))).toBe(CombinedErrorCode.COMBINED_UNEXPECTED_REPLY);
    await c.close();
  });
});
