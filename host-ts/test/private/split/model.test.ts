/**
 * The committed model and its parts: provenance (hash, training record),
 * deterministic ONNX export, accuracy of the whole model, head → middle →
 * tail equal to the whole model (bit for bit in float), the TypeScript
 * forward pass against onnxruntime, and deterministic training.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blake3 } from "@noble/hashes/blake3.js";
import onnxPkg from "onnx-proto";
import { bytesToHex } from "../../../src/model/bytes.ts";
import { loadMnist } from "../../../src/private/split/mnist-idx.ts";
import { forward, initMlp, train, TrainingRng } from "../../../src/private/split/mlp.ts";
import { exportOnnx, extractPart, mlpFromOnnx, OnnxModelError } from "../../../src/private/split/onnx-model.ts";
import { committedModel, splitModel, MODELS_DIR, CUT_NAMES } from "../../../src/private/split/parts.ts";
import { OnnxPart } from "../../../src/private/split/runtime.ts";
import { inputs, wholeAccuracy } from "../../../src/private/split/evaluate.ts";

const test = loadMnist("test");
const whole = committedModel("mnist-mlp");
const record = JSON.parse(readFileSync(`${MODELS_DIR}mnist-mlp.json`, "utf8")) as { onnxBlake3: string; testAccuracy: number; training: { seed: number } };

describe("the committed MNIST model", () => {
  it("is the file its training record describes", () => {
    expect(bytesToHex(blake3(whole))).toBe(record.onnxBlake3);
    const m = mlpFromOnnx(whole);
    expect(m.spec.sizes).toEqual([784, 128, 256, 64, 10]);
    expect(m.spec.clipLayer).toBe(1);
    expect(m.spec.clipNorm).toBe(8);
  });

  it("re-exports to the same bytes (deterministic ONNX encoding)", () => {
    const doc = onnxPkg.onnx.ModelProto.decode(whole).docString;
    expect(bytesToHex(blake3(exportOnnx(mlpFromOnnx(whole), doc)))).toBe(record.onnxBlake3);
  });

  it("classifies at least 97 % of the 10,000 test images in onnxruntime", async () => {
    const acc = await wholeAccuracy(splitModel(whole, "mnist-mlp", "relu1"), test, 10000);
    expect(acc).toBeGreaterThanOrEqual(0.97);
    expect(acc).toBeCloseTo(record.testAccuracy, 2); // the TypeScript forward pass agreed at training time
  });
});

describe.each(CUT_NAMES)("parts at cut %s", (cut) => {
  const sm = splitModel(whole, "mnist-mlp", cut);
  let parts: OnnxPart[];
  beforeAll(async () => { parts = await Promise.all([sm.whole, sm.head, sm.middle, sm.tail].map((b) => OnnxPart.load(b))); });
  afterAll(async () => { await Promise.all(parts.map((p) => p.close())); });

  it("head → middle → tail gives the whole model's logits bit for bit (2,000 images, batches of 250 and 1)", async () => {
    const [w, h, m, t] = parts;
    for (const batch of [250, 1]) {
      const n = batch === 1 ? 50 : 2000;
      for (let from = 0; from < n; from += batch) {
        const x = inputs(test, from, batch);
        const a = await w.run(x, batch);
        const b = await t.run(await m.run(await h.run(x, batch), batch), batch);
        expect(b).toEqual(a);
      }
    }
  });

  it("has the widths and hashes its descriptor states, and cuts deterministically", () => {
    expect(parts[1].outputWidth).toBe(sm.descriptor.cutWidth);
    expect(parts[2].inputWidth).toBe(128);
    expect(parts[2].outputWidth).toBe(sm.descriptor.replyWidth);
    expect(sm.descriptor.replyWidth).toBe(64);
    expect(bytesToHex(sm.descriptor.middleHash)).toBe(bytesToHex(blake3(sm.middle)));
    const again = splitModel(whole, "mnist-mlp", cut);
    expect(bytesToHex(again.id)).toBe(bytesToHex(sm.id));
  });
});

describe("model code", () => {
  it("the two cuts have different middles and descriptors", () => {
    const a = splitModel(whole, "mnist-mlp", "relu1"), b = splitModel(whole, "mnist-mlp", "pre1");
    expect(bytesToHex(a.descriptor.middleHash)).not.toBe(bytesToHex(b.descriptor.middleHash));
    expect(bytesToHex(a.id)).not.toBe(bytesToHex(b.id));
    expect(bytesToHex(a.descriptor.tailHash)).toBe(bytesToHex(b.descriptor.tailHash));
  });

  it("the TypeScript forward pass agrees with onnxruntime to 1e-4", async () => {
    const m = mlpFromOnnx(whole);
    const w = await OnnxPart.load(whole);
    try {
      const x = inputs(test, 0, 200);
      const ort = await w.run(x, 200);
      for (let i = 0; i < 200; i++) {
        const ts = forward(m, x.subarray(i * 784, (i + 1) * 784));
        for (let k = 0; k < 10; k++) expect(Math.abs(ts[k] - ort[i * 10 + k])).toBeLessThan(1e-4);
      }
    } finally {
      await w.close();
    }
  });

  it("refuses a cut at a tensor the graph does not have, or one that is not a separator", () => {
    expect(() => extractPart(whole, "nope", "logits", "x")).toThrow(OnnxModelError);
    expect(() => extractPart(whole, "h2", "z2", "x")).toThrow(/neither computed from h2 nor a weight/);
  });

  it("training is deterministic for a seed and differs across seeds", () => {
    const tr = loadMnist("train");
    const run = (seed: number) => {
      const m = initMlp({ sizes: [784, 16, 16, 10], clipLayer: 1, clipNorm: 8 }, new TrainingRng(seed));
      train(m, tr.pixels.subarray(0, 256 * 784), tr.labels.subarray(0, 256), { epochs: 1, batch: 32, lr: 1e-3, decay: 1, seed, cutNoise: 0.5 });
      return bytesToHex(blake3(exportOnnx(m, "t")));
    };
    expect(run(3)).toBe(run(3));
    expect(run(3)).not.toBe(run(4));
  });
});
