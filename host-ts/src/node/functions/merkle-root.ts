/**
 * blake3-merkle-4k: the Merkle root of a byte string split into 4 KiB chunks
 * (the Mehr DataObject chunk size), so a node can commit to large content
 * with 32 bytes and prove chunks against it. Leaves are
 * Blake3(0x00 ‖ chunk), inner nodes Blake3(0x01 ‖ left ‖ right) (the
 * domain bytes of RFC 6962, which stop a leaf passing for an inner node); an
 * odd node at the end of a level is carried up unchanged. Empty input is one
 * empty chunk. Output: root (32 bytes) ‖ chunk count (u32 LE).
 */
import { blake3 } from "@noble/hashes/blake3.js";
import type { OpaqueFunction } from "./opaque-function.ts";

export const CHUNK_SIZE = 4096;
export const MERKLE_MAX_INPUT = 4 * 1024 * 1024 - 1024;

export function merkleRoot(data: Uint8Array): { root: Uint8Array; chunks: number } {
  const count = Math.max(1, Math.ceil(data.length / CHUNK_SIZE));
  let level: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = data.subarray(i * CHUNK_SIZE, Math.min(data.length, (i + 1) * CHUNK_SIZE));
    level.push(blake3.create().update(Uint8Array.of(0)).update(chunk).digest());
  }
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(blake3.create().update(Uint8Array.of(1)).update(level[i]).update(level[i + 1]).digest());
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return { root: level[0], chunks: count };
}

export const merkleRootFunction: OpaqueFunction = {
  name: "blake3-merkle-4k",
  description: "Merkle root (Blake3, 4 KiB chunks, RFC 6962 domain bytes) of the input; output root || chunk count u32 LE",
  costPerCall: 2n,
  maxInputBytes: MERKLE_MAX_INPUT,
  maxConcurrent: 4,
  async run(input) {
    if (input.length > MERKLE_MAX_INPUT) return { ok: false, code: 1, message: `input above ${MERKLE_MAX_INPUT} bytes` };
    const { root, chunks } = merkleRoot(input);
    const out = new Uint8Array(36);
    out.set(root);
    new DataView(out.buffer).setUint32(32, chunks, true);
    return { ok: true, output: out };
  },
};
