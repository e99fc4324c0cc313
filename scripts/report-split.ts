/**
 * npm run report:split — measures split inference on the MNIST test set and
 * writes docs/private/split-report.json and docs/private/split-report.html.
 *
 *   npm run report:split                      full run: 10,000 images per point (≈ 20–30 min on one core)
 *   npm run report:split -- --images 1000     fewer images per point
 *   npm run report:split -- --latency-json f  also show latency rows measured elsewhere (e.g. over
 *                                             libp2p on loopback: a JSON array of LatencyRow)
 *   npm run report:split -- --html-only       regenerate the HTML from the existing JSON (+ --latency-json)
 *   npm run report:split -- --reuse           keep the accuracy rows of the existing JSON whose model file
 *                                             (Blake3), cut, mechanism, ε and image count are unchanged; they
 *                                             come from the same seeded noise stream, so a rerun gives the
 *                                             same numbers (the JSON records how many rows were reused)
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
import { clippedCut, committedModel, splitModel, MODELS_DIR, type CutName, type SplitModel } from "../host-ts/src/private/split/parts.ts";
import { OnnxPart } from "../host-ts/src/private/split/runtime.ts";
import { SplitConsumer, type NoiseSpec } from "../host-ts/src/private/split/consumer.ts";
import { SplitProvider } from "../host-ts/src/private/split/provider.ts";
import { batchFor, inputs, splitAccuracy, summarize, timeSplit, timeWhole, median, wholeAccuracy } from "../host-ts/src/private/split/evaluate.ts";
import { preActivationSensitivity } from "../host-ts/src/private/split/sensitivity.ts";
import { cutSensitivity } from "../host-ts/src/private/split/consumer.ts";
import { mlpFromOnnx } from "../host-ts/src/private/split/onnx-model.ts";
import { reportHtml, type Equivalence, type AccuracyRow, type LatencyRow, type ReportModel, type SplitReport } from "../host-ts/src/private/split/report.ts";
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
/** The bottleneck models: both mechanisms at these ε (one low-dimensional release per image). */
const BOTTLENECK_EPS = [64, 16, 8, 4, 2, 1];

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
const names = (arg("models") ?? "mnist-mlp,mnist-mlp-noisy,mnist-bottleneck-e8").split(",").filter((n) => existsSync(join(MODELS_DIR, `${n}.onnx`)));
const t0 = performance.now();
const log = (s: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${s}`);

const models: ReportModel[] = [];
const accuracy: AccuracyRow[] = [];
const splits = new Map<string, SplitModel>();
const sensitivity: Record<string, string> = {};
const mechLabel = (m: string) => (m === "discrete-laplace" ? "discrete Laplace" : "discrete Gaussian");
for (const name of names) {
  const whole = committedModel(name);
  const record = JSON.parse(readFileSync(join(MODELS_DIR, `${name}.json`), "utf8")) as { training: { cutNoise: number; trainMechanism?: string; trainEpsilon?: number | string; cleanEpochs?: number }; onnxBlake3: string };
  const sm = splitModel(whole, name, clippedCut(mlpFromOnnx(whole)));
  const cut = sm.descriptor.cut;
  splits.set(`${name}/${cut}`, sm);
  sensitivity[cut === "relu1" ? "relu1" : `${name}/${cut}`] ??= cutSensitivity(sm).derivation;
  const acc = await wholeAccuracy(sm, test, images);
  const t = record.training;
  models.push({
    name, sizes: sm.mlp.spec.sizes, clipNorm: sm.mlp.spec.clipNorm, ...(sm.mlp.spec.clipKind ? { clipKind: sm.mlp.spec.clipKind } : {}), cut, cutWidth: sm.descriptor.cutWidth,
    trainingCutNoise: t.cutNoise, ...(t.trainMechanism ? { trainingMechanism: `${mechLabel(t.trainMechanism)}, ε = ${t.trainEpsilon} (the inference mechanism, after ${t.cleanEpochs ?? 0} clean epoch(s))` } : {}),
    onnxBlake3: record.onnxBlake3, wholeAccuracy: acc,
  });
  log(`${name}: whole model ${(100 * acc).toFixed(2)} %`);
}
const main = names[0];
splits.set(`${main}/pre1`, splitModel(committedModel(main), main, "pre1"));

const reuse = process.argv.includes("--reuse") && existsSync(join(OUT, "split-report.json")) ? (JSON.parse(readFileSync(join(OUT, "split-report.json"), "utf8")) as SplitReport) : undefined;
let reused = 0;

async function point(model: string, cut: CutName, noise: NoiseSpec): Promise<void> {
  const sm = splits.get(`${model}/${cut}`)!;
  const eps = noise.mechanism === "none" ? null : noise.epsilon;
  const hash = models.find((m) => m.name === model)?.onnxBlake3;
  const old = reuse?.models.some((m) => m.name === model && m.onnxBlake3 === hash)
    ? reuse.accuracy.find((a) => a.model === model && a.cut === cut && a.mechanism === noise.mechanism && a.epsilon === eps && a.images === images)
    : undefined;
  if (old) {
    accuracy.push(old);
    reused++;
    log(`${model} ${cut} ${noise.mechanism} ε=${eps ?? "∞"}: ${(100 * old.accuracy).toFixed(2)} % (reused)`);
    return;
  }
  const r = await splitAccuracy(sm, test, noise, { images, batch: batchFor(Math.max(sm.descriptor.cutWidth, sm.descriptor.replyWidth), SplitLimit.MAX_TENSOR_ELEMENTS), random: seededRandom(`split-report/${model}/${cut}/${noise.mechanism}/${eps}`) });
  accuracy.push({ model, cut, mechanism: noise.mechanism, epsilon: eps, accuracy: r.accuracy, correct: r.correct, images: r.images, noiseStdReal: r.noiseStdReal, rho: r.rho });
  log(`${model} ${cut} ${noise.mechanism} ε=${eps ?? "∞"}: ${(100 * r.accuracy).toFixed(2)} % (σ ${r.noiseStdReal.toFixed(3)}, ${r.seconds.toFixed(0)} s)`);
}

const gauss = (epsilon: number): NoiseSpec => ({ mechanism: "discrete-gaussian", epsilon, delta: DELTA });
const laplace = (epsilon: number): NoiseSpec => ({ mechanism: "discrete-laplace", epsilon });
for (const name of names) {
  const cut = models.find((m) => m.name === name)!.cut as CutName;
  if (cut === "relu1") {
    for (const e of [null, ...EXTRA_EPS, ...REQUIRED_EPS]) await point(name, cut, e === null ? { mechanism: "none" } : gauss(e));
  } else {
    await point(name, cut, { mechanism: "none" });
    for (const e of BOTTLENECK_EPS) await point(name, cut, laplace(e));
    for (const e of BOTTLENECK_EPS) await point(name, cut, gauss(e));
  }
}
for (const e of [null, 1024, 64, ...REQUIRED_EPS]) await point(main, "pre1", e === null ? { mechanism: "none" } : gauss(e));
for (const e of [1024, 64, 8]) await point(main, "relu1", laplace(e));

// Equivalence: float parts against the whole model, and the fixed-point protocol without noise, per model.
async function equivalence(sm: SplitModel): Promise<Equivalence> {
  const [whole, head, middle, tail] = await Promise.all([sm.whole, sm.head, sm.middle, sm.tail].map((b) => OnnxPart.load(b)));
  const provider = await SplitProvider.create(sm.descriptor, sm.middle);
  const plainConsumer = await SplitConsumer.create(sm, { noise: { mechanism: "none" } });
  let floatMax = 0, fixedMax = 0, agree = 0;
  const B = batchFor(Math.max(sm.descriptor.cutWidth, sm.descriptor.replyWidth), SplitLimit.MAX_TENSOR_ELEMENTS);
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
  log(`equivalence ${sm.descriptor.model}/${sm.descriptor.cut}: float max |Δ| ${floatMax}, fixed point max |Δ| ${fixedMax}, argmax agrees on ${agree}/${images}`);
  await Promise.all([whole, head, middle, tail].map((p) => p.close()));
  await plainConsumer.close();
  await provider.close();
  return { model: sm.descriptor.model, cut: sm.descriptor.cut, images, floatMaxAbsDiff: floatMax, fixedPointMaxAbsDiff: fixedMax, fixedPointArgmaxAgree: agree };
}
const equivalences: Equivalence[] = [];
for (const m of models) equivalences.push(await equivalence(splits.get(`${m.name}/${m.cut}`)!));
const sm = splits.get(`${main}/relu1`)!;
const bottleneck = models.find((m) => m.cut !== "relu1");

// Latency, image by image, in this process.
const LAT = { images: 300, warmup: 50 };
const wholeUs = await timeWhole(sm, test, LAT);
const latency: LatencyRow[] = [];
const latencyCases: [string, string, CutName, NoiseSpec][] = [["split relu1, no noise", main, "relu1", { mechanism: "none" }], ["split relu1, Gaussian ε = 8", main, "relu1", gauss(8)], ["split pre1, Gaussian ε = 8", main, "pre1", gauss(8)]];
if (bottleneck) latencyCases.push([`split ${bottleneck.cut} (${bottleneck.name}), Laplace ε = 8`, bottleneck.name, bottleneck.cut as CutName, laplace(8)]);
for (const [label, model, cut, noise] of latencyCases) {
  const m = splits.get(`${model}/${cut}`)!;
  const prov = await SplitProvider.create(m.descriptor, m.middle);
  const cons = await SplitConsumer.create(m, { noise, random: seededRandom(`split-report/latency/${label}`) });
  const figs = await timeSplit(cons, test, (q) => prov.handle(q), { ...LAT, middleUs: () => prov.lastTimings.middleMs * 1000 });
  latency.push(summarize(label, "in-process", figs));
  await cons.close();
  await prov.close();
  log(`latency ${label}: ${median(figs.map((f) => f.totalUs)).toFixed(0)} µs per image (whole ${median(wholeUs).toFixed(0)} µs)`);
}

const pre = preActivationSensitivity(splits.get(`${main}/pre1`)!.mlp, sm.descriptor.cutFracBits);
const rep: SplitReport = {
  generatedAt: new Date().toISOString(),
  command: `npm run report:split${images !== 10_000 ? ` -- --images ${images}` : ""}${reuse ? ` -- --reuse (${reused} of ${accuracy.length} accuracy rows reused from the previous run: same model file, cut, mechanism, ε, images and seeded noise stream)` : ""}`,
  machine: { cpu: os.cpus()[0]?.model ?? "unknown", cpus: os.cpus().length, node: process.version, onnxruntime: ort.env.versions.node ?? "?" },
  delta: DELTA,
  conversion: "Canonne–Kamath–Steinke 2020 (Cor. 13)",
  images,
  noiseSource: "seeded Blake3 stream (reproducible report); the samplers are the exact BigInt samplers a consumer uses with the OS CSPRNG",
  models,
  sensitivity: { ...sensitivity, pre1: pre.derivation },
  equivalence: equivalences,
  accuracy,
  latency: [...latency, ...extraLatency()],
  wholeMedianUs: median(wholeUs),
};
write(rep);
