/**
 * The MNIST classifier of split inference: a ReLU multilayer perceptron with
 * an L2 clip after one hidden layer (the cut), in plain TypeScript. It holds
 * the training code (mini-batch Adam, softmax cross-entropy) and a float
 * forward pass that the ONNX export is checked against. Training is fully
 * deterministic: a seeded PRNG draws the initial weights and the batch order,
 * and every sum runs in a fixed order.
 */

export interface MlpSpec {
  /** Layer widths, input first: [784, 128, 256, 256, 10]. */
  readonly sizes: readonly number[];
  /** Index into `sizes` of the hidden layer whose ReLU output is clipped to `clipNorm` (the cut). */
  readonly clipLayer: number;
  /** The bound C of the clipped activation: a ← a · min(1, C / ‖a‖). */
  readonly clipNorm: number;
  /**
   * Which norm the clip bounds: "l2" (the default) or "l1". An L1 clip suits
   * the discrete Laplace (Δ₁ = 2C on non-negative values, and ‖a‖₂ ≤ ‖a‖₁
   * bounds Δ₂ = √2·C for the Gaussian too).
   */
  readonly clipKind?: ClipKind;
}

export type ClipKind = "l2" | "l1";

export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  /** Row-major [outputs][inputs], as ONNX Gemm with transB = 1 takes it. */
  readonly w: Float32Array;
  readonly b: Float32Array;
}

export interface Mlp {
  readonly spec: MlpSpec;
  readonly layers: readonly DenseLayer[];
}

/** sfc32 seeded through splitmix32: a small, fast, deterministic generator for training (not for privacy). */
export class TrainingRng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }
  /** Uniform in [0, 1) with 32 bits. */
  uniform(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [0, n). Training only: the tiny modulo bias does not matter here. */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }
  /** Standard normal by Box–Muller (training only; never privacy noise). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

export function initMlp(spec: MlpSpec, rng: TrainingRng): Mlp {
  const layers: DenseLayer[] = [];
  for (let l = 0; l + 1 < spec.sizes.length; l++) {
    const inputs = spec.sizes[l], outputs = spec.sizes[l + 1];
    const last = l + 2 === spec.sizes.length;
    // He initialisation for ReLU layers; Glorot-like 1/fan-in for the logits.
    const std = Math.sqrt((last ? 1 : 2) / inputs);
    const w = new Float32Array(inputs * outputs);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
    layers.push({ inputs, outputs, w, b: new Float32Array(outputs) });
  }
  return { spec, layers };
}

/** Clips one activation vector in place to L2 norm ≤ C; returns the norm before clipping. */
export function clipL2InPlace(a: Float32Array, offset: number, n: number, c: number): number {
  let ss = 0;
  for (let i = 0; i < n; i++) ss += a[offset + i] * a[offset + i];
  const norm = Math.sqrt(ss);
  if (norm > c) {
    const s = c / norm;
    for (let i = 0; i < n; i++) a[offset + i] *= s;
  }
  return norm;
}

/**
 * Forward pass of layers [from, to) on one activation vector (float32 at
 * every step, like the ONNX graph): ReLU after every layer but the last, and
 * the clip after layer `clipLayer − 1`.
 */
export function forwardRange(m: Mlp, input: Float32Array, from: number, to: number): Float32Array {
  let a = input;
  for (let l = from; l < to; l++) {
    const L = m.layers[l];
    const z = new Float32Array(L.outputs);
    for (let o = 0; o < L.outputs; o++) {
      let s = 0;
      const row = o * L.inputs;
      for (let i = 0; i < L.inputs; i++) s += L.w[row + i] * a[i];
      z[o] = s + L.b[o];
    }
    if (l + 1 < m.layers.length) for (let o = 0; o < L.outputs; o++) if (!(z[o] > 0)) z[o] = 0;
    if (l + 1 === m.spec.clipLayer) clipFor(m.spec)(z, 0, L.outputs, m.spec.clipNorm);
    a = z;
  }
  return a;
}

/** Clips one non-negative (post-ReLU) activation vector in place to L1 norm ≤ C; returns the norm before clipping. */
export function clipL1InPlace(a: Float32Array, offset: number, n: number, c: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(a[offset + i]);
  if (s > c) {
    const r = c / s;
    for (let i = 0; i < n; i++) a[offset + i] *= r;
  }
  return s;
}

/** The clip of a spec (L2 unless it says L1). */
export const clipFor = (spec: MlpSpec): typeof clipL2InPlace => (spec.clipKind === "l1" ? clipL1InPlace : clipL2InPlace);

export function forward(m: Mlp, input: Float32Array): Float32Array {
  return forwardRange(m, input, 0, m.layers.length);
}

export function argmax(v: ArrayLike<number>, offset = 0, n = v.length - offset): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (v[offset + i] > v[offset + best]) best = i;
  return best;
}

// ---- training ------------------------------------------------------------------------------

export interface TrainOptions {
  readonly epochs: number;
  readonly batch: number;
  /** Adam learning rate for epoch e: lr · decay^e. */
  readonly lr: number;
  readonly decay: number;
  readonly seed: number;
  /**
   * Standard deviation of Gaussian noise added to the clipped activation at
   * the cut during training only (noise-aware training; 0 = none). This is
   * training augmentation, not the privacy mechanism: inference noise is the
   * exact discrete sampler in private/dp/.
   */
  readonly cutNoise: number;
  /**
   * Noise-aware training with the inference mechanism itself: called on the
   * clipped cut activations of each mini-batch (batch × width, in place) to
   * apply what the consumer does before sending (quantise, integer clip,
   * exact discrete noise, back to reals). The backward pass treats it as the
   * identity (straight-through), like added noise.
   */
  readonly cutTransform?: (activations: Float32Array, batch: number, width: number) => void;
  readonly onEpoch?: (e: EpochReport) => void;
}

export interface EpochReport {
  readonly epoch: number;
  readonly loss: number;
  readonly trainAccuracy: number;
  readonly seconds: number;
}

interface Adam {
  readonly m: Float32Array[];
  readonly v: Float32Array[];
  t: number;
}

/** Trains in place on pixels (0..255, count × inputs) and labels; returns the per-epoch reports. */
export function train(m: Mlp, pixels: Uint8Array, labels: Uint8Array, opts: TrainOptions): EpochReport[] {
  const rng = new TrainingRng(opts.seed ^ 0x5eed);
  const n = labels.length;
  const sizes = m.spec.sizes;
  const nIn = sizes[0];
  const B = opts.batch;
  const nl = m.layers.length;
  const params: Float32Array[] = m.layers.flatMap((L) => [L.w, L.b]);
  const adam: Adam = { m: params.map((p) => new Float32Array(p.length)), v: params.map((p) => new Float32Array(p.length)), t: 0 };
  const grads = params.map((p) => new Float32Array(p.length));
  // acts[k]: input to layer k (k = 0: pixels / 255); pre[k]: ReLU output of layer k−1 before the clip.
  const acts = sizes.map((s) => new Float32Array(B * s));
  const relu = sizes.map((s) => new Float32Array(B * s));
  const norms = new Float32Array(B);
  const dA = sizes.map((s) => new Float32Array(B * s));
  const nzIdx = new Int32Array(B * nIn);
  const nzCount = new Int32Array(B);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const reports: EpochReport[] = [];
  const C = m.spec.clipNorm;
  const cut = m.spec.clipLayer;
  const clip = clipFor(m.spec);
  const l1 = m.spec.clipKind === "l1";

  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const t0 = performance.now();
    for (let i = n - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    const lr = opts.lr * opts.decay ** epoch;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start + B <= n; start += B) {
      // Input, and the non-zero pixels of each image (about a fifth of them).
      const x = acts[0];
      for (let b = 0; b < B; b++) {
        const img = order[start + b];
        let c = 0;
        for (let i = 0; i < nIn; i++) {
          const p = pixels[img * nIn + i];
          x[b * nIn + i] = p / 255;
          if (p !== 0) nzIdx[b * nIn + c++] = i;
        }
        nzCount[b] = c;
      }
      // Forward.
      for (let l = 0; l < nl; l++) {
        const L = m.layers[l];
        const inA = acts[l], outZ = acts[l + 1];
        for (let b = 0; b < B; b++) {
          const ib = b * L.inputs, ob = b * L.outputs;
          for (let o = 0; o < L.outputs; o++) {
            const row = o * L.inputs;
            let s = 0;
            if (l === 0) {
              const nb = b * nIn;
              for (let k = 0; k < nzCount[b]; k++) {
                const i = nzIdx[nb + k];
                s += L.w[row + i] * inA[ib + i];
              }
            } else {
              for (let i = 0; i < L.inputs; i++) s += L.w[row + i] * inA[ib + i];
            }
            outZ[ob + o] = s + L.b[o];
          }
        }
        if (l + 1 < nl) {
          for (let k = 0; k < B * L.outputs; k++) if (!(outZ[k] > 0)) outZ[k] = 0;
          if (l + 1 === cut) {
            relu[l + 1].set(outZ);
            for (let b = 0; b < B; b++) norms[b] = clip(outZ, b * L.outputs, L.outputs, C);
            if (opts.cutNoise > 0) for (let k = 0; k < B * L.outputs; k++) outZ[k] += opts.cutNoise * rng.normal();
            opts.cutTransform?.(outZ, B, L.outputs);
          }
        }
      }
      // Softmax cross-entropy; its gradient goes into dA[nl].
      const K = sizes[nl];
      const logits = acts[nl], g = dA[nl];
      for (let b = 0; b < B; b++) {
        const ob = b * K;
        let mx = -Infinity;
        for (let k = 0; k < K; k++) mx = Math.max(mx, logits[ob + k]);
        let se = 0;
        for (let k = 0; k < K; k++) se += Math.exp(logits[ob + k] - mx);
        const y = labels[order[start + b]];
        lossSum += Math.log(se) - (logits[ob + y] - mx);
        if (argmax(logits, ob, K) === y) correct++;
        for (let k = 0; k < K; k++) g[ob + k] = (Math.exp(logits[ob + k] - mx) / se - (k === y ? 1 : 0)) / B;
      }
      // Backward.
      for (const gr of grads) gr.fill(0);
      for (let l = nl - 1; l >= 0; l--) {
        const L = m.layers[l];
        const dZ = dA[l + 1], inA = acts[l];
        const gw = grads[2 * l], gb = grads[2 * l + 1];
        for (let b = 0; b < B; b++) {
          const ib = b * L.inputs, ob = b * L.outputs;
          for (let o = 0; o < L.outputs; o++) {
            const d = dZ[ob + o];
            if (d === 0) continue;
            gb[o] += d;
            const row = o * L.inputs;
            if (l === 0) {
              const nb = b * nIn;
              for (let k = 0; k < nzCount[b]; k++) {
                const i = nzIdx[nb + k];
                gw[row + i] += d * inA[ib + i];
              }
            } else {
              for (let i = 0; i < L.inputs; i++) gw[row + i] += d * inA[ib + i];
            }
          }
        }
        if (l === 0) break;
        const dIn = dA[l];
        dIn.fill(0);
        for (let b = 0; b < B; b++) {
          const ib = b * L.inputs, ob = b * L.outputs;
          for (let o = 0; o < L.outputs; o++) {
            const d = dZ[ob + o];
            if (d === 0) continue;
            const row = o * L.inputs;
            for (let i = 0; i < L.inputs; i++) dIn[ib + i] += d * L.w[row + i];
          }
        }
        const width = L.inputs;
        if (l === cut) {
          // Through the clip: for ‖r‖₂ > C, d/dr (C r/‖r‖₂) = (C/‖r‖₂)(I − r̂ r̂ᵀ);
          // for ‖r‖₁ = s > C (r ≥ 0), d/dr (C r/s) = (C/s)(I − r 1ᵀ/s).
          const r = relu[l];
          for (let b = 0; b < B; b++) {
            const nrm = norms[b];
            if (!(nrm > C)) continue;
            const ib = b * width;
            let dot = 0;
            for (let i = 0; i < width; i++) dot += dIn[ib + i] * r[ib + i];
            const s = C / nrm;
            if (l1) {
              const q = dot / nrm;
              for (let i = 0; i < width; i++) dIn[ib + i] = s * (dIn[ib + i] - q);
            } else {
              const q = dot / (nrm * nrm);
              for (let i = 0; i < width; i++) dIn[ib + i] = s * (dIn[ib + i] - q * r[ib + i]);
            }
          }
          for (let k = 0; k < B * width; k++) if (!(r[k] > 0)) dIn[k] = 0;
        } else {
          const a = acts[l];
          for (let k = 0; k < B * width; k++) if (!(a[k] > 0)) dIn[k] = 0;
        }
      }
      adamStep(params, grads, adam, lr);
    }
    const batches = Math.floor(n / B);
    const rep = { epoch, loss: lossSum / (batches * B), trainAccuracy: correct / (batches * B), seconds: (performance.now() - t0) / 1000 };
    reports.push(rep);
    opts.onEpoch?.(rep);
  }
  return reports;
}

function adamStep(params: Float32Array[], grads: Float32Array[], s: Adam, lr: number): void {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  s.t++;
  const c1 = 1 - b1 ** s.t, c2 = 1 - b2 ** s.t;
  for (let p = 0; p < params.length; p++) {
    const w = params[p], g = grads[p], m = s.m[p], v = s.v[p];
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}

/** Accuracy of the float forward pass on a labelled set (pixels 0..255). */
export function accuracy(m: Mlp, pixels: Uint8Array, labels: Uint8Array): number {
  const nIn = m.spec.sizes[0];
  const x = new Float32Array(nIn);
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    for (let j = 0; j < nIn; j++) x[j] = pixels[i * nIn + j] / 255;
    if (argmax(forward(m, x)) === labels[i]) ok++;
  }
  return ok / labels.length;
}
