/**
 * Randomness for the DP samplers: uniform integers drawn by rejection from
 * random bytes (no modulo bias), from one of two byte sources.
 *
 * - `cryptoRandom()`: the operating system's CSPRNG (Web Crypto
 *   getRandomValues). This is the source a consumer uses for real noise.
 * - `seededRandom(seed)`: a deterministic stream, Blake3 in keyed XOF mode
 *   (key = Blake3(seed), one 4 KiB block per counter value). It makes tests
 *   and the accuracy report reproducible. Noise from a known seed protects
 *   nothing against whoever knows the seed; never use it for a real query.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { webcrypto } from "node:crypto";

export interface RandomSource {
  /** Fills `out` with uniformly random bytes. */
  fill(out: Uint8Array): void;
  readonly kind: "crypto" | "seeded";
}

const BLOCK = 4096;

/** Buffers a byte source so that many small draws cost one large read. */
export class RandomBytes {
  private buf = new Uint8Array(BLOCK);
  private pos = BLOCK;
  constructor(readonly source: RandomSource) {}
  byte(): number {
    if (this.pos === BLOCK) {
      this.source.fill(this.buf);
      this.pos = 0;
    }
    return this.buf[this.pos++];
  }
  /**
   * A uniform integer in [0, n) for n ≥ 1: draw the minimal number of bytes,
   * mask to the bit length of n − 1, reject and redraw when ≥ n (acceptance
   * probability > 1/2 per try).
   */
  below(n: bigint): bigint {
    if (n <= 0n) throw new RangeError(`uniform below ${n}: need n ≥ 1`);
    if (n === 1n) return 0n;
    const m = n - 1n;
    if (m < 0x1_0000_0000_0000n) return BigInt(this.belowSmall(Number(n)));
    const bits = m.toString(2).length;
    const bytes = Math.ceil(bits / 8);
    const topMask = (1 << (bits - 8 * (bytes - 1))) - 1;
    for (;;) {
      let v = BigInt(this.byte() & topMask);
      for (let i = 1; i < bytes; i++) v = (v << 8n) | BigInt(this.byte());
      if (v < n) return v;
    }
  }
  /** The same rejection rule in Number arithmetic for n ≤ 2^48 (exact: all values stay below 2^53). */
  belowSmall(n: number): number {
    const m = n - 1;
    const bits = m < 0x1_0000_0000 ? 32 - Math.clz32(m) : 64 - Math.clz32(Math.floor(m / 0x1_0000_0000));
    const bytes = Math.ceil(bits / 8);
    const topBits = bits - 8 * (bytes - 1);
    const topMask = (1 << topBits) - 1;
    for (;;) {
      let v = this.byte() & topMask;
      for (let i = 1; i < bytes; i++) v = v * 256 + this.byte();
      if (v < n) return v;
    }
  }
}

export function cryptoRandom(): RandomSource {
  return {
    kind: "crypto",
    fill(out: Uint8Array): void {
      // getRandomValues takes at most 65,536 bytes per call.
      for (let i = 0; i < out.length; i += 65536) webcrypto.getRandomValues(out.subarray(i, Math.min(out.length, i + 65536)) as Uint8Array<ArrayBuffer>);
    },
  };
}

export function seededRandom(seed: string | Uint8Array): RandomSource {
  const key = blake3(typeof seed === "string" ? new TextEncoder().encode(seed) : seed);
  let counter = 0n;
  const ctr = new Uint8Array(8);
  return {
    kind: "seeded",
    fill(out: Uint8Array): void {
      let off = 0;
      while (off < out.length) {
        new DataView(ctr.buffer).setBigUint64(0, counter++, true);
        const block = blake3(ctr, { key, dkLen: Math.min(BLOCK, out.length - off) });
        out.set(block, off);
        off += block.length;
      }
    },
  };
}
