/**
 * One ONNX model (whole, head, middle or tail) in onnxruntime-node, on the
 * CPU with one intra-op thread: the same arithmetic on every run, and timings
 * that do not depend on how many cores the machine happens to have free.
 */
import * as ort from "onnxruntime-node";
import { decodeOnnx, OnnxModelError } from "./onnx-model.ts";

export class OnnxPart {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inputName: string,
    readonly outputName: string,
    readonly inputWidth: number,
    readonly outputWidth: number,
  ) {}

  static async load(bytes: Uint8Array): Promise<OnnxPart> {
    const g = decodeOnnx(bytes).graph;
    const input = g?.input?.[0], output = g?.output?.[0];
    const width = (v: typeof input) => Number(v?.type?.tensorType?.shape?.dim?.[1]?.dimValue ?? NaN);
    if (!input?.name || !output?.name || !Number.isInteger(width(input)) || !Number.isInteger(width(output)) || g?.input?.length !== 1 || g?.output?.length !== 1) {
      throw new OnnxModelError("an ONNX part must have one [N, width] float input and one [N, width] float output");
    }
    const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all" });
    return new OnnxPart(session, input.name, output.name, width(input), width(output));
  }

  /** Runs on `batch` rows of `inputWidth` values; returns batch × outputWidth values. */
  async run(input: Float32Array, batch: number): Promise<Float32Array> {
    if (input.length !== batch * this.inputWidth) throw new RangeError(`ONNX part: ${input.length} values for ${batch} × ${this.inputWidth}`);
    const out = await this.session.run({ [this.inputName]: new ort.Tensor("float32", input, [batch, this.inputWidth]) });
    return out[this.outputName].data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
