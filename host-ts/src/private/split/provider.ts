/**
 * The provider's side of split inference: it holds the agreed middle (its
 * Blake3 hash checked against the descriptor on load) and answers each
 * MiddleRequest with a MiddleReply or a SplitError. `handle` never throws:
 * every failure becomes an error message with its documented code.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { compareBytes } from "../../model/bytes.ts";
import { SplitErrorCode } from "../../generated/private-protocol.ts";
import { OnnxPart } from "./runtime.ts";
import {
  SplitProtocolError, decodeSplitMessage, dequantize, descriptorId, encodeError, encodeReply, quantize, type ModelDescriptor,
} from "./messages.ts";

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && compareBytes(a, b) === 0;

export interface ProviderTimings {
  /** Decoding and dequantising the request, ms. */
  readonly decodeMs: number;
  /** onnxruntime on the middle, ms. */
  readonly middleMs: number;
  /** Quantising and encoding the reply, ms. */
  readonly encodeMs: number;
}

export class SplitProvider {
  /** Timings of the last request handled (for benchmarks). */
  lastTimings: ProviderTimings = { decodeMs: 0, middleMs: 0, encodeMs: 0 };

  private constructor(
    readonly descriptor: ModelDescriptor,
    readonly id: Uint8Array,
    private readonly middle: OnnxPart,
  ) {}

  /** Loads the middle; refuses bytes whose hash or widths differ from the descriptor's (SPLIT_MODEL_MISMATCH). */
  static async create(descriptor: ModelDescriptor, middleOnnx: Uint8Array): Promise<SplitProvider> {
    if (!eq(blake3(middleOnnx), descriptor.middleHash)) throw new SplitProtocolError(SplitErrorCode.SPLIT_MODEL_MISMATCH, "middle ONNX does not hash to the descriptor's middleHash");
    let part: OnnxPart;
    try {
      part = await OnnxPart.load(middleOnnx);
    } catch (e) {
      throw new SplitProtocolError(SplitErrorCode.SPLIT_MODEL_MISMATCH, `middle ONNX does not load: ${(e as Error).message}`);
    }
    if (part.inputWidth !== descriptor.cutWidth || part.outputWidth !== descriptor.replyWidth) {
      await part.close();
      throw new SplitProtocolError(SplitErrorCode.SPLIT_MODEL_MISMATCH, `middle maps ${part.inputWidth} → ${part.outputWidth}, descriptor says ${descriptor.cutWidth} → ${descriptor.replyWidth}`);
    }
    return new SplitProvider(descriptor, descriptorId(descriptor), part);
  }

  /** Answers one request: reply bytes or error bytes, never an exception. */
  async handle(request: Uint8Array): Promise<Uint8Array> {
    let did: Uint8Array = new Uint8Array(0);
    let rid = 0n;
    try {
      const t0 = performance.now();
      const msg = decodeSplitMessage(request);
      if (msg.type !== "MiddleRequest") throw new SplitProtocolError(SplitErrorCode.SPLIT_MALFORMED, `expected a MiddleRequest, got a ${msg.type}`);
      const r = msg.body;
      did = r.descriptorId;
      rid = r.requestId;
      if (!eq(r.descriptorId, this.id)) throw new SplitProtocolError(SplitErrorCode.SPLIT_UNKNOWN_DESCRIPTOR, "descriptor id is not the one this provider runs");
      const { shape, fracBits, data } = r.tensor;
      if (shape.length !== 2 || shape[1] !== this.descriptor.cutWidth) throw new SplitProtocolError(SplitErrorCode.SPLIT_SHAPE_MISMATCH, `tensor shape [${shape.join(", ")}] is not [batch, ${this.descriptor.cutWidth}]`);
      if (fracBits !== this.descriptor.cutFracBits) throw new SplitProtocolError(SplitErrorCode.SPLIT_SCALE_MISMATCH, `fracBits ${fracBits} is not the agreed ${this.descriptor.cutFracBits}`);
      const input = dequantize(data, fracBits);
      const t1 = performance.now();
      let out: Float32Array;
      try {
        out = await this.middle.run(input, shape[0]);
      } catch (e) {
        throw new SplitProtocolError(SplitErrorCode.SPLIT_INFERENCE_FAILED, `middle failed: ${(e as Error).message}`);
      }
      const t2 = performance.now();
      const reply = encodeReply({
        descriptorId: this.id,
        requestId: rid,
        middleHash: this.descriptor.middleHash,
        tensor: { fracBits: this.descriptor.replyFracBits, shape: [shape[0], this.descriptor.replyWidth], data: quantize(out, this.descriptor.replyFracBits) },
      });
      this.lastTimings = { decodeMs: t1 - t0, middleMs: t2 - t1, encodeMs: performance.now() - t2 };
      return reply;
    } catch (e) {
      const code = e instanceof SplitProtocolError ? e.code : SplitErrorCode.SPLIT_INFERENCE_FAILED;
      return encodeError({ descriptorId: did, requestId: rid, code, text: (e as Error).message });
    }
  }

  async close(): Promise<void> {
    await this.middle.close();
  }
}
