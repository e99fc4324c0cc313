/**
 * The bottleneck model (models/mnist/mnist-bottleneck-e8.onnx): a 10-wide,
 * L1-clipped cut after the second layer. Provenance, deterministic export,
 * head → middle → tail equal to the whole model bit for bit, the TypeScript
 * forward pass (L1 clip) against onnxruntime, the integer L1 clip in what the
 * consumer sends and the sensitivity it implies, and the accuracy under the
 * discrete Laplace at ε = 8 (seeded noise; a floor well below the report's figure).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blake3 } from "@noble/hashes/blake3.js";
import onnxPkg from "onnx-proto";
import { bytesToHex } from "../../../src/model/bytes.ts";
import { sumAbs } from "../../../src/private/dp/mechanism.ts";
import { seededRandom } from "../../../src/private/dp/random.ts";
import { loadMnist } from "../../../src/private/split/mnist-idx.ts";
import { clipL1InPlace, forward, initMlp, train, TrainingRng, type MlpSpec } from "../../../src/private/split/mlp.ts";
import { exportOnnx, mlpFromOnnx } from "../../../src/private/split/onnx-model.ts";
import { clippedCut, committedModel, cutTensors, splitModel, MODELS_DIR } from "../../../src/private/split/parts.ts";
import { OnnxPart } from "../../../src/private/split/runtime.ts";
import { SplitConsumer, calibrate, privatize } from "../../../src/private/split/consumer.ts";
import { clippedCutSensitivity } from "../../../src/private/split/sensitivity.ts";
import { RandomBytes } from "../../../src/private/dp/random.ts";
import { decodeSplitMessage } from "../../../src/private/split/messages.ts";
import { inputs, splitAccuracy } from "../../../src/private/split/evaluate.ts";

const test = loadMnist("test");

describe.each(["mnist-bottleneck-e8"])("%s", (name) => {
  const whole = committedModel(name);
  const record = JSON.parse(readFileSync(`${MODELS_DIR}${name}.json`, "utf8")) as { onnxBlake3: string; testAccuracy: number };
  const mlp = mlpFromOnnx(whole);
  const sm = splitModel(whole, name, clippedCut(mlp));
  let parts: OnnxPart[];
  beforeAll(async () => { parts = await Promise.all([sm.whole, sm.head, sm.middle, sm.tail].map((b) => OnnxPart.load(b))); });
  afterAll(async () => { await Promise.all(parts.map((p) => p.close())); });

  it("is the file its training record describes, with a 10-wide L1-clipped cut after layer 2", () => {
    expect(bytesToHex(blake3(whole))).toBe(record.onnxBlake3);
    expect(mlp.spec).toEqual({ sizes: [784, 128, 10, 128, 64, 10], clipLayer: 2, clipNorm: 8, clipKind: "l1" });
    expect(bytesToHex(blake3(exportOnnx(mlp, onnxPkg.onnx.ModelProto.decode(whole).docString)))).toBe(record.onnxBlake3);
    expect(sm.descriptor.cut).toBe("relu2");
    expect(sm.descriptor.cutWidth).toBe(10);
    expect(sm.descriptor.replyWidth).toBe(64);
    expect(() => cutTensors(mlp, "relu1")).toThrow(/clipped cut is relu2/);
  });

  it("head → middle → tail gives the whole model's logits bit for bit (1,000 images), and the TypeScript forward pass agrees to 1e-4", async () => {
    const [w, h, m, t] = parts;
    for (let from = 0; from < 1000; from += 250) {
      const x = inputs(test, from, 250);
      const a = await w.run(x, 250);
      expect(await t.run(await m.run(await h.run(x, 250), 250), 250)).toEqual(a);
      if (from === 0) for (let i = 0; i < 100; i++) {
        const ts = forward(mlp, x.subarray(i * 784, (i + 1) * 784));
        for (let k = 0; k < 10; k++) expect(Math.abs(ts[k] - a[i * 10 + k])).toBeLessThan(1e-4);
      }
    }
  });

  it("sends non-negative integers with ‖q‖₁ ≤ B₁ = 8·2^10 under either mechanism; Δ₁ = 2B₁, Δ₂² = 2B₁²", async () => {
    const clean = await SplitConsumer.create(sm, { noise: { mechanism: "none" } });
    const gauss = await SplitConsumer.create(sm, { noise: { mechanism: "discrete-gaussian", epsilon: 8, delta: 1e-5 } });
    const s = clean.sensitivity;
    expect(s.clipKind).toBe("l1");
    expect(s.l1ClipBound).toBe(8192);
    expect(s.l1Sensitivity).toBe(2n * 8192n);
    expect(s.l2SensitivitySquared).toBe(2n * 8192n * 8192n);
    expect(gauss.sensitivity.l2SensitivitySquared).toBe(s.l2SensitivitySquared);
    const req = await clean.prepare(inputs(test, 0, 200), 200);
    const msg = decodeSplitMessage(req.bytes);
    if (msg.type !== "MiddleRequest") throw new Error(msg.type);
    let atBound = 0;
    for (let i = 0; i < 200; i++) {
      const row = msg.body.tensor.data.subarray(i * 10, (i + 1) * 10);
      expect(row.every((v) => v >= 0)).toBe(true);
      expect(sumAbs(row) <= 8192n).toBe(true);
      if (sumAbs(row) >= 8192n - 10n) atBound++;
    }
    expect(atBound).toBeGreaterThan(150); // the trained head uses the whole budget
    await Promise.all([clean.close(), gauss.close()]);
  });

  it("classifies ≥ 85 % without noise, ≥ 65 % with discrete Laplace noise at ε = 8, and the Laplace beats the Gaussian there (1,000 images, seeded)", async () => {
    const run = (noise: Parameters<typeof splitAccuracy>[2], seed: string) => splitAccuracy(sm, test, noise, { images: 1000, batch: 125, random: seededRandom(seed) });
    const plain = await run({ mechanism: "none" }, "bn-plain");
    expect(plain.accuracy).toBeGreaterThanOrEqual(0.85);
    const laplace = await run({ mechanism: "discrete-laplace", epsilon: 8 }, `bn-${name}-laplace-8`);
    expect(laplace.pureEpsilon).toBeLessThanOrEqual(8);
    expect(laplace.accuracy).toBeGreaterThanOrEqual(0.65);
    const gauss = await run({ mechanism: "discrete-gaussian", epsilon: 8, delta: 1e-5 }, `bn-${name}-gauss-8`);
    expect(laplace.accuracy).toBeGreaterThan(gauss.accuracy + 0.2);
  }, 60_000);
});

describe("noise-aware training with the inference mechanism (L1 clip)", () => {
  it("the float L1 clip scales to ‖a‖₁ = C and leaves a shorter vector alone", () => {
    const a = Float32Array.of(3, 0, 5, 8);
    expect(clipL1InPlace(a, 0, 4, 8)).toBe(16);
    expect(Array.from(a)).toEqual([1.5, 0, 2.5, 4]);
    const b = Float32Array.of(1, 2);
    clipL1InPlace(b, 0, 2, 8);
    expect(Array.from(b)).toEqual([1, 2]);
  });

  it("is deterministic for a seed and noise stream, differs with the stream, and the noise reaches the activations", () => {
    const tr = loadMnist("train");
    const spec: MlpSpec = { sizes: [784, 16, 4, 8, 10], clipLayer: 2, clipNorm: 8, clipKind: "l1" };
    const sens = clippedCutSensitivity(8, 10, 4, "l1", "relu2");
    const noise = calibrate({ mechanism: "discrete-laplace", epsilon: 8 }, sens);
    const run = (stream: string | undefined) => {
      const m = initMlp(spec, new TrainingRng(3));
      const rng = stream === undefined ? undefined : new RandomBytes(seededRandom(stream));
      let changed = 0;
      const cutTransform = rng && ((a: Float32Array, batch: number, w: number) => {
        for (let b = 0; b < batch; b++) {
          const before = a.slice(b * w, (b + 1) * w);
          const q = privatize(before, 10, sens, noise, rng);
          for (let i = 0; i < w; i++) { const v = q[i] / 1024; if (v !== before[i]) changed++; a[b * w + i] = v; }
        }
      });
      train(m, tr.pixels.subarray(0, 256 * 784), tr.labels.subarray(0, 256), { epochs: 1, batch: 32, lr: 1e-3, decay: 1, seed: 3, cutNoise: 0, cutTransform });
      return { hash: bytesToHex(blake3(exportOnnx(m, "t"))), changed };
    };
    const a = run("s1"), b = run("s1"), c = run("s2"), clean = run(undefined);
    expect(a.hash).toBe(b.hash);
    expect(a.hash).not.toBe(c.hash);
    expect(a.hash).not.toBe(clean.hash);
    expect(a.changed).toBeGreaterThan(256 * 4 * 0.9); // almost every value moved by the noise
    expect(mlpFromOnnx(exportOnnx(initMlp(spec, new TrainingRng(3)), "t")).spec).toEqual(spec);
  });
});
