/** Shared by the combination tests: transports that count bytes, and the plaintext first layer in exact integers. */
import type { ShareholderTransport } from "../../../src/private/combined/index.ts";
import type { SplitModel } from "../../../src/private/split/parts.ts";
import { scaled } from "../shamir/helpers.ts";

export interface Counter { sent: number; received: number; calls: number }

/** Wraps a bytes → bytes handler and counts what crosses it (optionally rewriting the answer). */
export function counted(handler: (b: Uint8Array) => Promise<Uint8Array>, c: Counter, rewrite?: (answer: Uint8Array) => Uint8Array): (b: Uint8Array) => Promise<Uint8Array> {
  return async (b) => {
    c.calls++;
    c.sent += b.length;
    let a = await handler(b);
    if (rewrite) a = rewrite(a);
    c.received += a.length;
    return a;
  };
}

export const counter = (): Counter => ({ sent: 0, received: 0, calls: 0 });

/** Three shareholders behind one handler each, with one counter for all of them. */
export function shareholders(handlers: readonly ((b: Uint8Array) => Promise<Uint8Array>)[], c: Counter): ShareholderTransport {
  const wrapped = handlers.map((h) => counted(h, c));
  return (i, deal) => wrapped[i - 1](deal);
}

/**
 * The pre1 cut of each image in plaintext, exactly as the fixed-point MPC
 * defines it (independently of the builder: rounding through exact rationals):
 * round((Σ_j round(w_ij·2^16)·round(x_j·2^16) + round(b_i·2^32)) / 2^(32 − f)), ties away from zero.
 */
export function plaintextCut(model: SplitModel, pixels: Float32Array, batch: number): Int32Array {
  const L = model.mlp.layers[0];
  const shift = BigInt(32 - model.descriptor.cutFracBits), half = 1n << (shift - 1n);
  const W = Array.from(L.w, (w) => scaled(w, 16)), B = Array.from(L.b, (b) => scaled(b, 32));
  const out = new Int32Array(batch * L.outputs);
  for (let b = 0; b < batch; b++) {
    const x = Array.from(pixels.subarray(b * L.inputs, (b + 1) * L.inputs), (v) => scaled(v, 16));
    for (let i = 0; i < L.outputs; i++) {
      let acc = B[i];
      for (let j = 0; j < L.inputs; j++) acc += W[i * L.inputs + j] * x[j];
      out[b * L.outputs + i] = Number(acc >= 0n ? (acc + half) >> shift : -((-acc + half) >> shift));
    }
  }
  return out;
}
