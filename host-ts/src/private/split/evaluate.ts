/**
 * Measurements of split inference through the real protocol path (head →
 * fixed point → clip → exact noise → CBOR request → provider → CBOR reply →
 * tail): test accuracy at a noise level, and per-image latency and bytes for
 * any transport (in-process here; a mesh transport on loopback plugs in as a
 * SplitTransport).
 */
import { imageAsInput, type MnistSet } from "./mnist-idx.ts";
import { argmax } from "./mlp.ts";
import { OnnxPart } from "./runtime.ts";
import { SplitConsumer, type NoiseSpec, type SplitTransport } from "./consumer.ts";
import { SplitProvider } from "./provider.ts";
import type { SplitModel } from "./parts.ts";
import type { RandomSource } from "../dp/random.ts";
import { noiseStd } from "../dp/mechanism.ts";

/** Largest batch whose request fits MAX_TENSOR_ELEMENTS at a cut of this width. */
export const batchFor = (width: number, limit: number): number => Math.max(1, Math.floor(limit / width));

export function inputs(set: MnistSet, from: number, count: number): Float32Array {
  const n = set.rows * set.cols;
  const x = new Float32Array(count * n);
  for (let i = 0; i < count; i++) imageAsInput(set, from + i, x.subarray(i * n, (i + 1) * n));
  return x;
}

export interface AccuracyResult {
  readonly correct: number;
  readonly images: number;
  readonly accuracy: number;
  /** Noise standard deviation per coordinate in grid units and in real units (value units at the cut). */
  readonly noiseStdGrid: number;
  readonly noiseStdReal: number;
  /** ρ of one query (0 without noise), and the pure ε of a Laplace query. */
  readonly rho: number;
  readonly pureEpsilon?: number;
  readonly seconds: number;
}

/** Accuracy of the split model on the first `images` of `set`, every image one query with the given noise. */
export async function splitAccuracy(model: SplitModel, set: MnistSet, noise: NoiseSpec, opts: { images: number; batch: number; random: RandomSource; provider?: SplitProvider }): Promise<AccuracyResult> {
  const t0 = performance.now();
  const provider = opts.provider ?? (await SplitProvider.create(model.descriptor, model.middle));
  const consumer = await SplitConsumer.create(model, { noise, random: opts.random });
  const classes = model.mlp.spec.sizes[model.mlp.spec.sizes.length - 1];
  let correct = 0;
  try {
    for (let from = 0; from < opts.images; from += opts.batch) {
      const b = Math.min(opts.batch, opts.images - from);
      const r = await consumer.infer(inputs(set, from, b), b, (q) => provider.handle(q));
      for (let i = 0; i < b; i++) if (argmax(r.logits, i * classes, classes) === set.labels[from + i]) correct++;
    }
  } finally {
    await consumer.close();
    if (!opts.provider) await provider.close();
  }
  const n = consumer.noise;
  const std = noiseStd(n);
  return {
    correct,
    images: opts.images,
    accuracy: correct / opts.images,
    noiseStdGrid: std,
    noiseStdReal: std / 2 ** model.descriptor.cutFracBits,
    rho: n.mechanism === "discrete-gaussian" ? n.rho : n.mechanism === "discrete-laplace" ? (n.epsilon * n.epsilon) / 2 : 0,
    pureEpsilon: n.mechanism === "discrete-laplace" ? n.epsilon : undefined,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Accuracy of the whole ONNX model (the baseline). */
export async function wholeAccuracy(model: SplitModel, set: MnistSet, images: number, batch = 256): Promise<number> {
  const whole = await OnnxPart.load(model.whole);
  const classes = whole.outputWidth;
  let ok = 0;
  try {
    for (let from = 0; from < images; from += batch) {
      const b = Math.min(batch, images - from);
      const logits = await whole.run(inputs(set, from, b), b);
      for (let i = 0; i < b; i++) if (argmax(logits, i * classes, classes) === set.labels[from + i]) ok++;
    }
  } finally {
    await whole.close();
  }
  return ok / images;
}

/** Per-image figures of one split inference (batch of one). */
export interface SplitImageFigures {
  readonly requestBytes: number;
  readonly replyBytes: number;
  readonly headUs: number;
  readonly privatizeUs: number;
  /** The provider's middle (onnxruntime) alone, when the transport can report it. */
  readonly middleUs?: number;
  readonly roundTripUs: number;
  readonly tailUs: number;
  readonly totalUs: number;
}

export interface LatencySummary {
  readonly label: string;
  readonly transport: string;
  readonly images: number;
  readonly medianTotalUs: number;
  readonly medianHeadUs: number;
  readonly medianPrivatizeUs: number;
  readonly medianMiddleUs?: number;
  readonly medianRoundTripUs: number;
  readonly medianTailUs: number;
  readonly requestBytes: number;
  readonly replyBytes: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Times split inference image by image through `transport` (after `warmup`
 * unmeasured images). `middleUs` reads the provider's own timing when the
 * transport exposes it (in-process); over a network pass `middleUs: () => undefined`.
 */
export async function timeSplit(consumer: SplitConsumer, set: MnistSet, transport: SplitTransport, opts: { images: number; warmup: number; middleUs?: () => number | undefined }): Promise<SplitImageFigures[]> {
  const figures: SplitImageFigures[] = [];
  for (let i = 0; i < opts.warmup + opts.images; i++) {
    const t0 = performance.now();
    const r = await consumer.infer(inputs(set, i % set.count, 1), 1, transport);
    const total = (performance.now() - t0) * 1000;
    if (i < opts.warmup) continue;
    figures.push({
      requestBytes: r.requestBytes,
      replyBytes: r.replyBytes,
      headUs: r.headMs * 1000,
      privatizeUs: r.privatizeMs * 1000,
      middleUs: opts.middleUs?.(),
      roundTripUs: r.roundTripMs * 1000,
      tailUs: r.tailMs * 1000,
      totalUs: total,
    });
  }
  return figures;
}

/** Times the whole model image by image (the plaintext baseline of the same run). */
export async function timeWhole(model: SplitModel, set: MnistSet, opts: { images: number; warmup: number }): Promise<number[]> {
  const whole = await OnnxPart.load(model.whole);
  const out: number[] = [];
  try {
    for (let i = 0; i < opts.warmup + opts.images; i++) {
      const x = inputs(set, i % set.count, 1);
      const t0 = performance.now();
      await whole.run(x, 1);
      if (i >= opts.warmup) out.push((performance.now() - t0) * 1000);
    }
  } finally {
    await whole.close();
  }
  return out;
}

export function summarize(label: string, transport: string, f: SplitImageFigures[]): LatencySummary {
  const mids = f.map((x) => x.middleUs).filter((x): x is number => x !== undefined);
  return {
    label,
    transport,
    images: f.length,
    medianTotalUs: median(f.map((x) => x.totalUs)),
    medianHeadUs: median(f.map((x) => x.headUs)),
    medianPrivatizeUs: median(f.map((x) => x.privatizeUs)),
    medianMiddleUs: mids.length ? median(mids) : undefined,
    medianRoundTripUs: median(f.map((x) => x.roundTripUs)),
    medianTailUs: median(f.map((x) => x.tailUs)),
    // Sizes vary with the values (I16 when they fit, else I32): the median image.
    requestBytes: f.length ? median(f.map((x) => x.requestBytes)) : 0,
    replyBytes: f.length ? median(f.map((x) => x.replyBytes)) : 0,
  };
}

export { median };
