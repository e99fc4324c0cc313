/**
 * Per-image figures of split inference for the benchmark: bytes at the cut
 * and in the reply, head / noise / middle / round-trip / tail times, and the
 * whole model's time in the same run. In-process by default; pass a
 * `transport` (and `middleUs: () => undefined`) to time the same consumer
 * over the mesh, e.g. a libp2p stream on loopback to a node running
 * SplitProvider.handle.
 *
 *   npx tsx bench/private-split.ts [--images 200] [--epsilon 8]   prints the figures as JSON
 */
import { fileURLToPath } from "node:url";
import { loadMnist, type MnistSet } from "../host-ts/src/private/split/mnist-idx.ts";
import { committedModel, splitModel, type CutName } from "../host-ts/src/private/split/parts.ts";
import { SplitConsumer, type NoiseSpec, type SplitTransport } from "../host-ts/src/private/split/consumer.ts";
import { SplitProvider } from "../host-ts/src/private/split/provider.ts";
import { median, summarize, timeSplit, timeWhole, type LatencySummary, type SplitImageFigures } from "../host-ts/src/private/split/evaluate.ts";
import { cryptoRandom } from "../host-ts/src/private/dp/random.ts";

export interface SplitBenchOptions {
  readonly model?: string;
  readonly cut?: CutName;
  readonly noise?: NoiseSpec;
  readonly images?: number;
  readonly warmup?: number;
  /** Defaults to an in-process SplitProvider. */
  readonly transport?: SplitTransport;
  readonly transportName?: string;
  readonly middleUs?: () => number | undefined;
  readonly test?: MnistSet;
}

export interface SplitBenchResult {
  readonly perImage: SplitImageFigures[];
  readonly summary: LatencySummary;
  readonly wholeMedianUs: number;
  /** Median split time / median whole time, same run. */
  readonly ratio: number;
}

export async function benchSplitPerImage(opts: SplitBenchOptions = {}): Promise<SplitBenchResult> {
  const name = opts.model ?? "mnist-mlp";
  const cut = opts.cut ?? "relu1";
  const noise = opts.noise ?? { mechanism: "discrete-gaussian", epsilon: 8, delta: 1e-5 };
  const images = opts.images ?? 200, warmup = opts.warmup ?? 20;
  const test = opts.test ?? loadMnist("test");
  const sm = splitModel(committedModel(name), name, cut);
  const provider = opts.transport ? undefined : await SplitProvider.create(sm.descriptor, sm.middle);
  const consumer = await SplitConsumer.create(sm, { noise, random: cryptoRandom() });
  try {
    const transport = opts.transport ?? ((q: Uint8Array) => provider!.handle(q));
    const middleUs = opts.middleUs ?? (provider ? () => provider.lastTimings.middleMs * 1000 : () => undefined);
    const perImage = await timeSplit(consumer, test, transport, { images, warmup, middleUs });
    const wholeMedianUs = median(await timeWhole(sm, test, { images, warmup }));
    const label = `${name} ${cut}, ${noise.mechanism === "none" ? "no noise" : `${noise.mechanism} ε = ${noise.epsilon}`}`;
    const summary = summarize(label, opts.transportName ?? (opts.transport ? "custom" : "in-process"), perImage);
    return { perImage, summary, wholeMedianUs, ratio: summary.medianTotalUs / wholeMedianUs };
  } finally {
    await consumer.close();
    await provider?.close();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (n: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1] : undefined; };
  const eps = arg("epsilon");
  const r = await benchSplitPerImage({
    images: Number(arg("images") ?? 200),
    noise: eps === "inf" ? { mechanism: "none" } : { mechanism: "discrete-gaussian", epsilon: Number(eps ?? 8), delta: 1e-5 },
  });
  console.log(JSON.stringify({ summary: r.summary, wholeMedianUs: r.wholeMedianUs, ratio: r.ratio }, null, 1));
}
