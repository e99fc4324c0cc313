/**
 * Figures of the two combinations against plaintext, in one run, one image
 * per call (batch of one), every message through in-process transports that
 * count bytes (the node carries the same bytes over its streams):
 *
 *   - whole model (plaintext, local), and plain split inference (relu1 and
 *     pre1), as the baselines of the same run;
 *   - Split + SecretShared (pre1): bytes to and from the three shareholders
 *     and the middle; MPC, middle and tail times;
 *   - Split + TEE (relu1) on the replay test double (no TEE here): the
 *     attestation once (bytes, consumer verification), then sealed bytes and
 *     times per image;
 *   - optionally, accuracy of Split + SecretShared through the real MPC path
 *     at several ε on the first test images (Split + TEE gives the plain
 *     split's logits exactly, so its accuracy is the split report's).
 *
 *   npx tsx bench/private-combined.ts [--images 20] [--accuracy 100] [--quick]   prints JSON
 */
import os from "node:os";
import { fileURLToPath } from "node:url";
import { loadMnist, type MnistSet } from "../host-ts/src/private/split/mnist-idx.ts";
import { committedModel, splitModel } from "../host-ts/src/private/split/parts.ts";
import { SplitConsumer, type NoiseSpec } from "../host-ts/src/private/split/consumer.ts";
import { SplitProvider } from "../host-ts/src/private/split/provider.ts";
import { inputs, wholeAccuracy } from "../host-ts/src/private/split/evaluate.ts";
import { OnnxPart } from "../host-ts/src/private/split/runtime.ts";
import { argmax } from "../host-ts/src/private/split/mlp.ts";
import { cryptoRandom, seededRandom } from "../host-ts/src/private/dp/random.ts";
import { noiseStd } from "../host-ts/src/private/dp/mechanism.ts";
import { SharedSplitConsumer, TeeSplitConsumer, TeeSplitProvider, agreedFirstLayerDigests, shareholderHandler } from "../host-ts/src/private/combined/index.ts";
import { ReplayedEvidenceBackend, replayTestPolicy, type TeePolicy } from "../host-ts/src/private/attestation/index.ts";
import { hexToBytes } from "../host-ts/src/model/bytes.ts";
import { readFileSync } from "node:fs";
import { TeePlatform } from "../host-ts/src/generated/private-protocol.ts";

const FIX = (p: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../host-ts/test/fixtures/attestation/${p}`, import.meta.url))));
const AT = new Date("2025-07-01T00:00:00Z"); // inside the fixture's validity window

export interface CombinedRow {
  readonly what: string;
  readonly images: number;
  /** Bytes on the wire per image, by leg. */
  readonly bytes: Record<string, number>;
  readonly bytesTotal: number;
  /** Median µs per image, by phase, and the whole call. */
  readonly medianUs: Record<string, number>;
  readonly medianTotalUs: number;
  /** Median total / the whole model's median in this run. */
  readonly vsWhole: number;
  /** Median total / plain split's median (same cut) in this run. */
  readonly vsSplit?: number;
}

export interface CombinedBenchResult {
  readonly wholeMedianUs: number;
  /** A plaintext offload baseline: 784 float32 pixels out, 10 float32 logits back. */
  readonly plaintextJobBytes: number;
  readonly rows: CombinedRow[];
  readonly attestation: { readonly requestBytes: number; readonly attestationBytes: number; readonly verifyUs: number; readonly totalUs: number };
  readonly accuracy: { readonly epsilon: number | "inf"; readonly images: number; readonly sharedSplit: number; readonly plainSplitPre1: number; readonly sigmaGrid: number }[];
  /** The whole model's accuracy on the same images (when accuracy was measured). */
  readonly wholeAccuracy?: number;
  readonly loadAverage: number;
  readonly notes: string[];
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const medians = (rows: Record<string, number>[]) => Object.fromEntries(Object.keys(rows[0]).map((k) => [k, median(rows.map((r) => r[k]))]));

type One = (i: number) => Promise<{ bytes: Record<string, number>; us: Record<string, number> }>;
interface Runner { readonly what: string; readonly one: One; readonly baseline?: string; readonly key?: string }

/**
 * Runs every runner on image i before any runs image i + 1 (round robin), so
 * that the load of a shared machine falls on all of them alike; keeps each
 * one's per-image bytes (the last image's) and median phase times (µs).
 */
async function roundRobin(runners: readonly Runner[], images: number, warmup: number) {
  const times = runners.map(() => [] as Record<string, number>[]);
  const bytes = runners.map(() => ({}) as Record<string, number>);
  for (let i = 0; i < warmup + images; i++) {
    for (const [k, r] of runners.entries()) {
      const t0 = performance.now();
      const out = await r.one(i);
      const total = (performance.now() - t0) * 1000;
      if (i < warmup) continue;
      times[k].push({ ...out.us, total });
      bytes[k] = out.bytes;
    }
  }
  return runners.map((r, k) => {
    const { total, ...phases } = medians(times[k]);
    return { what: r.what, bytes: bytes[k], bytesTotal: Object.values(bytes[k]).reduce((a, b) => a + b, 0), medianUs: phases, medianTotalUs: total };
  });
}

export async function benchPrivateCombined(opts: { images?: number; warmup?: number; accuracyImages?: number; epsilons?: readonly (number | "inf")[]; test?: MnistSet } = {}): Promise<CombinedBenchResult> {
  const images = opts.images ?? 20, warmup = opts.warmup ?? 3;
  const test = opts.test ?? loadMnist("test");
  const loadAverage = os.loadavg()[0];
  const whole = committedModel("mnist-mlp");
  const relu1 = splitModel(whole, "mnist-mlp", "relu1"), pre1 = splitModel(whole, "mnist-mlp", "pre1");
  const x = (i: number) => inputs(test, i % test.count, 1);
  const gauss = (epsilon: number): NoiseSpec => ({ mechanism: "discrete-gaussian", epsilon, delta: 1e-5 });
  const eps = (noise: NoiseSpec) => (noise.mechanism === "none" ? "∞" : String(noise.epsilon));
  const noises: NoiseSpec[] = [{ mechanism: "none" }, gauss(8)];
  const runners: Runner[] = [];
  const closers: (() => Promise<void>)[] = [];
  const wholePart = await OnnxPart.load(whole);
  closers.push(() => wholePart.close());
  runners.push({ what: "whole model (plaintext, local)", key: "whole", one: async (i) => { const t0 = performance.now(); await wholePart.run(x(i), 1); return { bytes: {}, us: { run: (performance.now() - t0) * 1000 } }; } });

  // Plain split, both cuts: the baselines.
  for (const model of [relu1, pre1]) {
    const provider = await SplitProvider.create(model.descriptor, model.middle);
    closers.push(() => provider.close());
    for (const noise of noises) {
      const consumer = await SplitConsumer.create(model, { noise, random: cryptoRandom() });
      closers.push(() => consumer.close());
      runners.push({
        what: `split ${model.descriptor.cut}, ε = ${eps(noise)}`, key: `${model.descriptor.cut} ${eps(noise)}`,
        one: async (i) => {
          const s = await consumer.infer(x(i), 1, (q) => provider.handle(q));
          return { bytes: { request: s.requestBytes, reply: s.replyBytes }, us: { head: s.headMs * 1000, privatize: s.privatizeMs * 1000, roundTrip: s.roundTripMs * 1000, tail: s.tailMs * 1000 } };
        },
      });
    }
  }

  // Split + SecretShared.
  const handler = shareholderHandler({ agreed: agreedFirstLayerDigests(pre1) });
  const middle = await SplitProvider.create(pre1.descriptor, pre1.middle);
  closers.push(() => middle.close());
  for (const noise of noises) {
    const c = await SharedSplitConsumer.create(pre1, { noise, random: cryptoRandom() });
    closers.push(() => c.close());
    runners.push({
      what: `Split + SecretShared (pre1), ε = ${eps(noise)}`, baseline: `pre1 ${eps(noise)}`,
      one: async (i) => {
        const s = await c.infer(x(i), 1, { shareholders: (_p, d) => handler(d), middle: (q) => middle.handle(q) });
        const { total: _t, ...bytes } = s.bytes;
        return { bytes, us: { mpc: s.times.mpcMs * 1000, middle: s.times.middleMs * 1000, tail: s.times.tailMs * 1000 } };
      },
    });
  }

  // Split + TEE on the replay double.
  const report = hexToBytes(new TextDecoder().decode(FIX("sev-snp/milan-virtee/report_milan.hex")).trim());
  const backend = new ReplayedEvidenceBackend({ platform: TeePlatform.SEV_SNP, report, endorsement: FIX("sev-snp/milan-virtee/vcek_milan.der") }, "bench");
  const policy: TeePolicy = replayTestPolicy({ snp: { measurements: [report.slice(0x90, 0xc0)], minTcb: { bootLoader: 0, tee: 0, snp: 0, microcode: 0 } } }, backend);
  const teeProvider = await TeeSplitProvider.create({ descriptor: relu1.descriptor, middleOnnx: relu1.middle, backend });
  closers.push(() => teeProvider.close());
  let attestation: CombinedBenchResult["attestation"] = { requestBytes: 0, attestationBytes: 0, verifyUs: 0, totalUs: 0 };
  for (const [k, noise] of noises.entries()) {
    const c = await TeeSplitConsumer.create(relu1, { noise, random: cryptoRandom(), agreementId: new Uint8Array(32).fill(9 + k), policy, at: AT });
    closers.push(() => c.close());
    const a = await c.attest((m) => teeProvider.handle(m));
    attestation = { requestBytes: a.requestBytes, attestationBytes: a.attestationBytes, verifyUs: a.verifyMs * 1000, totalUs: a.totalMs * 1000 };
    runners.push({
      what: `Split + TEE (relu1, replay double), ε = ${eps(noise)}`, baseline: `relu1 ${eps(noise)}`,
      one: async (i) => {
        const s = await c.infer(x(i), 1, (m) => teeProvider.handle(m));
        return { bytes: { sealedInput: s.bytes.sealedInput, sealedOutput: s.bytes.sealedOutput }, us: { head: s.times.headMs * 1000, privatize: s.times.privatizeMs * 1000, seal: s.times.sealMs * 1000, roundTrip: s.times.roundTripMs * 1000, open: s.times.openMs * 1000, tail: s.times.tailMs * 1000 } };
      },
    });
  }

  const measured = await roundRobin(runners, images, warmup);
  const byKey = new Map(runners.map((r, k) => [r.key, measured[k].medianTotalUs]));
  const wholeMedianUs = byKey.get("whole")!;
  const rows: CombinedRow[] = measured.slice(1).map((m, k) => {
    const base = runners[k + 1].baseline;
    return { ...m, images, vsWhole: m.medianTotalUs / wholeMedianUs, vsSplit: base === undefined ? undefined : m.medianTotalUs / byKey.get(base)! };
  });

  // Accuracy of Split + SecretShared through the MPC, with the plain pre1 split on the same images and the same noise seed.
  const accuracy: CombinedBenchResult["accuracy"][number][] = [];
  const n = opts.accuracyImages ?? 0, batch = 50;
  for (const eps of n > 0 ? opts.epsilons ?? ["inf", 1024, 64, 8] : []) {
    const noise: NoiseSpec = eps === "inf" ? { mechanism: "none" } : gauss(eps);
    const c = await SharedSplitConsumer.create(pre1, { noise, random: seededRandom(`combined-accuracy-${eps}`) });
    const p = await SplitConsumer.createWithSensitivity(pre1, { noise, random: seededRandom(`combined-accuracy-${eps}`) }, c.sensitivity);
    let ok = 0, okPlain = 0;
    for (let from = 0; from < n; from += batch) {
      const b = Math.min(batch, n - from), xs = inputs(test, from, b);
      const s = await c.infer(xs, b, { shareholders: (_p, d) => handler(d), middle: (q) => middle.handle(q) });
      const q = await p.infer(xs, b, (r) => middle.handle(r));
      for (let i = 0; i < b; i++) {
        if (argmax(s.logits, 10 * i, 10) === test.labels[from + i]) ok++;
        if (argmax(q.logits, 10 * i, 10) === test.labels[from + i]) okPlain++;
      }
    }
    const sigma = noiseStd(c.noise);
    accuracy.push({ epsilon: eps, images: n, sharedSplit: ok / n, plainSplitPre1: okPlain / n, sigmaGrid: sigma });
    await Promise.all([c.close(), p.close()]);
  }
  const wholeAcc = n > 0 ? await wholeAccuracy(pre1, test, n) : undefined;
  for (const close of closers) await close();

  return {
    wholeMedianUs, plaintextJobBytes: 784 * 4 + 10 * 4, rows, attestation, accuracy, wholeAccuracy: wholeAcc, loadAverage,
    notes: [
      "in one process: the consumer, the three shareholders and the middle share one Node thread; no network round trip is included",
      "Split + TEE runs on the replay test double (no TEE on this machine): the TEE's own run-time cost is not measured",
      "Split + SecretShared: each DEAL carries the public first layer (100,352 weights as CBOR integers), which is most of its bytes",
    ],
  };
}

export function printCombined(r: CombinedBenchResult): void {
  console.log(`\nCombinations, per image (batch of one), in-process; whole model ${r.wholeMedianUs.toFixed(0)} µs, plaintext job ${r.plaintextJobBytes} B`);
  console.log("what                                                   bytes/image     median µs   vs whole   vs split");
  for (const row of r.rows) console.log(`${row.what.padEnd(55)}${String(row.bytesTotal).padStart(11)}${row.medianTotalUs.toFixed(0).padStart(14)}${row.vsWhole.toFixed(1).padStart(10)}x${row.vsSplit === undefined ? "" : `${row.vsSplit.toFixed(1).padStart(10)}x`}`);
  console.log(`Split + TEE attestation (once per session): ${r.attestation.requestBytes} + ${r.attestation.attestationBytes} B, verification ${r.attestation.verifyUs.toFixed(0)} µs`);
  if (r.wholeAccuracy !== undefined) console.log(`accuracy of the whole model on the same images: ${(100 * r.wholeAccuracy).toFixed(1)} %`);
  for (const a of r.accuracy) console.log(`accuracy ε = ${a.epsilon}: Split + SecretShared ${(100 * a.sharedSplit).toFixed(1)} %, plain split pre1 ${(100 * a.plainSplitPre1).toFixed(1)} % (${a.images} images, σ = ${a.sigmaGrid.toFixed(0)} grid units)`);
  for (const n of r.notes) console.log(`note: ${n}`);
  console.log(`note: load average ${r.loadAverage.toFixed(1)} at the start (${os.cpus().length} CPUs)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (n: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1] : undefined; };
  const quick = process.argv.includes("--quick");
  const r = await benchPrivateCombined({ images: Number(arg("images") ?? (quick ? 5 : 20)), accuracyImages: Number(arg("accuracy") ?? (quick ? 0 : 100)) });
  printCombined(r);
  console.log(JSON.stringify(r, null, 1));
}
