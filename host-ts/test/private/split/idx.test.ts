/** The IDX parser on hand-made files (every error) and on the installed MNIST files. */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IdxError, loadMnist, mnistDataDir, mnistSet, parseIdx } from "../../../src/private/split/mnist-idx.ts";

function idx(dims: number[], data: number[], type = 0x08): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head.set([0, 0, type, dims.length]);
  const v = new DataView(head.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  return Uint8Array.from([...head, ...data]);
}

describe("IDX parser", () => {
  it("reads dimensions big-endian and the data after the header", () => {
    const a = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]));
    expect(a.dims).toEqual([2, 3]);
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("refuses bad magic, other element types, truncation and size mismatches", () => {
    expect(() => parseIdx(Uint8Array.of(0, 1, 8, 1, 0, 0, 0, 0))).toThrow(IdxError);
    expect(() => parseIdx(idx([2], [1, 2], 0x0d))).toThrow(/not unsigned byte/);
    expect(() => parseIdx(idx([3], [1, 2]))).toThrow(/2 data bytes/);
    expect(() => parseIdx(idx([1], [1, 2]))).toThrow(/2 data bytes/);
    expect(() => parseIdx(Uint8Array.of(0, 0, 8, 2, 0, 0))).toThrow(/truncated header/);
    expect(() => parseIdx(Uint8Array.of(0, 0))).toThrow(IdxError);
    expect(() => mnistSet(parseIdx(idx([1, 1, 1], [0])), parseIdx(idx([1], [10])))).toThrow(/not a digit/);
    expect(() => mnistSet(parseIdx(idx([2, 1, 1], [0, 0])), parseIdx(idx([1], [1])))).toThrow(/2 images but 1 labels/);
  });

  it("loads the installed MNIST files: 60,000 / 10,000 images of 28 × 28 with digit labels", () => {
    const train = loadMnist("train"), test = loadMnist("test");
    expect([train.count, train.rows, train.cols]).toEqual([60000, 28, 28]);
    expect([test.count, test.rows, test.cols]).toEqual([10000, 28, 28]);
    // The first labels of the official files: 5 0 4 1 9 (train) and 7 2 1 0 4 (test).
    expect([...train.labels.subarray(0, 5)]).toEqual([5, 0, 4, 1, 9]);
    expect([...test.labels.subarray(0, 5)]).toEqual([7, 2, 1, 0, 4]);
    const counts = new Array(10).fill(0);
    for (const l of test.labels) counts[l]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it("the installed files are the ones the committed model was trained and measured on (sha256, models/mnist/README.md)", () => {
    const want: Record<string, string> = {
      "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
      "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
      "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
      "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    };
    for (const [f, h] of Object.entries(want)) expect(createHash("sha256").update(readFileSync(join(mnistDataDir(), f))).digest("hex"), f).toBe(h);
  });
});
