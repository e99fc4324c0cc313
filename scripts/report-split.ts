/**
 * npm run report:split — measures split inference on the MNIST test set and
 * writes docs/private/split-report.json and docs/private/split-report.html.
 *
 *   npm run report:split                      full run: 10,000 images per point (≈ 20–30 min on one core)
 *   npm run report:split -- --images 1000     fewer images per point
 *   npm run report:split -- --latency-json f  also show latency rows measured elsewhere (e.g. over
 *                                             libp2p on loopback: a JSON array of LatencyRow)
 *   npm run report:split -- --html-only       regenerate the HTML from the existing JSON (+ --latency-json)
 *
 * Every accuracy point runs the real protocol path (head, fixed point, integer
 * clip, exact discrete noise, CBOR request, provider, CBOR reply, tail). The
 * noise comes from the seeded Blake3 stream so that a rerun reproduces the
 * figures; a real consumer uses the OS CSPRNG (same samplers).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { loadMnist } from "../host-ts/src/private/split/mnist-idx.ts";
import { committedModel, splitModel, MODELS_DIR, type CutName, type SplitModel } from "../host-ts/src/private/split/parts.ts";
import { OnnxPart } from "../host-ts/src/private/split/runtime.ts";
import { SplitConsumer, type NoiseSpec } from "../host-ts/src/private/split/consumer.ts";
import { SplitProvider } from "../host-ts/src/private/split/provider.ts";
import { batchFor, inputs, splitAccuracy, summarize, timeSplit, timeWhole, median, wholeAccuracy } from "../host-ts/src/private/split/evaluate.ts";
import { clippedCutSensitivity, preActivationSensitivity } from "../host-ts/src/private/split/sensitivity.ts";
import { reportHtml, type AccuracyRow, type LatencyRow, type ReportModel, type SplitReport } from "../host-ts/src/private/split/report.ts";
import { seededRandom } from "../host-ts/src/private/dp/random.ts";
import { SplitLimit } from "../host-ts/src/generated/private-protocol.ts";
import { argmax } from "../host-ts/src/private/split/mlp.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const OUT = join(ROOT, "docs", "private");
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const DELTA = 1e-5;
const REQUIRED_EPS = [8, 4, 2, 1];
const EXTRA_EPS = [1024, 256, 64, 16];

function extraLatency(): LatencyRow[] {
  const f = arg("latency-json");
  return f ? (JSON.parse(readFileSync(f, "utf8")) as LatencyRow[]) : [];
}

function write(rep: SplitReport): void {
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, "split-report.json"), JSON.stringify(rep, null, 1) + "\n");
  writeFileSync(join(OUT, "split-report.html"), reportHtml(rep));
  console.log(`wrote docs/private/split-report.json and docs/private/split-report.html`);
}

if (process.argv.includes("--html-only")) {
  const rep = JSON.parse(readFileSync(join(OUT, "split-report.json"), "utf8")) as SplitReport;
  write({ ...rep, latency: [...rep.latency.filter((l) => l.transport === "in-process"), ...extraLatency()] });
  process.exit(0);
}

const images = Number(arg("images") ?? 10_000);
const test = loadMnist("test");
const names = (arg("models") ?? "mnist-mlp,mnist-mlp-noisy").split(",").filter((n) => existsSync(join(MODELS_DIR, `${n}.onnx`)));
const t0 = performance.now();
const log = (s: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${s}`);

const models: ReportModel[] = [];
const accuracy: AccuracyRow[] = [];
const splits = new Map<string, SplitModel>();
for (const name of names) {
  const whole = committedModel(name);
  const record = JSON.parse(readFileSync(join(MODELS_DIR, `${name}.json`), "utf8")) as { training: { cutNoise: number }; onnxBlake3: string };
  const sm = splitModel(whole, name, "relu1");
  splits.set(`${name}/relu1`, sm);
  const acc = await wholeAccuracy(sm, test, images);
  models.push({ name, sizes: sm.mlp.spec.sizes, clipNorm: sm.mlp.spec.clipNorm, trainingCutNoise: record.training.cutNoise, onnxBlake3: record.onnxBlake3, wholeAccuracy: acc });
  log(`${name}: whole model ${(100 * acc).toFixed(2)} %`);
}
const main = names[0];
splits.set(`${main}/pre1`, splitModel(committedModel(main), main, "pre1"));

async function point(model: string, cut: CutName, noise: NoiseSpec): Promise<void> {
  const sm = splits.get(`${model}/${cut}`)!;
  const eps = noise.mechanism === "none" ? null : noise.epsilon;
  const r = await splitAccuracy(sm, test, noise, { images, batch: batchFor(sm.descriptor.cutWidth, SplitLimit.MAX_TENSOR_ELEMENTS), random: seededRandom(`split-report/${model}/${cut}/${noise.mechanism}/${eps}`) });
  accuracy.push({ model, cut, mechanism: noise.mechanism, epsilon: eps, accuracy: r.accuracy, correct: r.correct, images: r.images, noiseStdReal: r.noiseStdReal, rho: r.rho });
  log(`${model} ${cut} ${noise.mechanism} ε=${eps ?? "∞"}: ${(100 * r.accuracy).toFixed(2)} % (σ ${r.noiseStdReal.toFixed(3)}, ${r.seconds.toFixed(0)} s)`);
}

const gauss = (epsilon: number): NoiseSpec => ({ mechanism: "discrete-gaussian", epsilon, delta: DELTA });
for (const name of names) for (const e of [null, ...EXTRA_EPS, ...REQUIRED_EPS]) await point(name, "relu1", e === null ? { mechanism: "none" } : gauss(e));
for (const e of [null, 1024, 64, ...REQUIRED_EPS]) await point(main, "pre1", e === null ? { mechanism: "none" } : gauss(e));
for (const e of [1024, 64, 8]) await point(main, "relu1", { mechanism: "discrete-laplace", epsilon: e });

// Equivalence: float parts against the whole model, and the fixed-point protocol without noise.
const sm = splits.get(`${main}/relu1`)!;
const [whole, head, middle, tail] = await Promise.all([sm.whole, sm.head, sm.middle, sm.tail].map((b) => OnnxPart.load(b)));
const provider = await SplitProvider.create(sm.descriptor, sm.middle);
const plainConsumer = await SplitConsumer.create(sm, { noise: { mechanism: "none" } });
let floatMax = 0, fixedMax = 0, agree = 0;
const B = batchFor(sm.descriptor.cutWidth, SplitLimit.MAX_TENSOR_ELEMENTS);
for (let from = 0; from < images; from += B) {
  const b = Math.min(B, images - from);
  const x = inputs(test, from, b);
  const w = await whole.run(x, b);
  const parts = await tail.run(await middle.run(await head.run(x, b), b), b);
  const viaProtocol = (await plainConsumer.infer(x, b, (q) => provider.handle(q))).logits;
  for (let i = 0; i < w.length; i++) {
    floatMax = Math.max(floatMax, Math.abs(w[i] - parts[i]));
    fixedMax = Math.max(fixedMax, Math.abs(w[i] - viaProtocol[i]));
  }
  for (let i = 0; i < b; i++) if (argmax(w, i * 10, 10) === argmax(viaProtocol, i * 10, 10)) agree++;
}
log(`equivalence: float max |Δ| ${floatMax}, fixed point max |Δ| ${fixedMax}, argmax agrees on ${agree}/${images}`);
await Promise.all([whole, head, middle, tail].map((p) => p.close()));

// Latency, image by image, in this process.
const LAT = { images: 300, warmup: 50 };
const wholeUs = await timeWhole(sm, test, LAT);
const latency: LatencyRow[] = [];
for (const [label, cut, noise] of [["split relu1, no noise", "relu1", { mechanism: "none" }], ["split relu1, Gaussian ε = 8", "relu1", gauss(8)], ["split pre1, Gaussian ε = 8", "pre1", gauss(8)]] as [string, CutName, NoiseSpec][]) {
  const m = splits.get(`${main}/${cut}`)!;
  const prov = await SplitProvider.create(m.descriptor, m.middle);
  const cons = await SplitConsumer.create(m, { noise, random: seededRandom(`split-report/latency/${label}`) });
  const figs = await timeSplit(cons, test, (q) => prov.handle(q), { ...LAT, middleUs: () => prov.lastTimings.middleMs * 1000 });
  latency.push(summarize(label, "in-process", figs));
  await cons.close();
  await prov.close();
  log(`latency ${label}: ${median(figs.map((f) => f.totalUs)).toFixed(0)} µs per image (whole ${median(wholeUs).toFixed(0)} µs)`);
}
await plainConsumer.close();
await provider.close();

const pre = preActivationSensitivity(splits.get(`${main}/pre1`)!.mlp, sm.descriptor.cutFracBits);
const rep: SplitReport = {
  generatedAt: new Date().toISOString(),
  command: `npm run report:split${images !== 10_000 ? ` -- --images ${images}` : ""}`,
  machine: { cpu: os.cpus()[0]?.model ?? "unknown", cpus: os.cpus().length, node: process.version, onnxruntime: ort.env.versions.node ?? "?" },
  delta: DELTA,
  conversion: "Canonne–Kamath–Steinke 2020 (Cor. 13)",
  images,
  noiseSource: "seeded Blake3 stream (reproducible report); the samplers are the exact BigInt samplers a consumer uses with the OS CSPRNG",
  models,
  sensitivity: { relu1: clippedCutSensitivity(sm.mlp.spec.clipNorm, sm.descriptor.cutFracBits, sm.descriptor.cutWidth).derivation, pre1: pre.derivation },
  equivalence: { images, floatMaxAbsDiff: floatMax, fixedPointMaxAbsDiff: fixedMax, fixedPointArgmaxAgree: agree },
  accuracy,
  latency: [...latency, ...extraLatency()],
  wholeMedianUs: median(wholeUs),
};
write(rep);
