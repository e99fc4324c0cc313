/**
 * The plaintext a TEE job seals (docs/PRIVATE.md §M6): a TeeTask
 * `{0: TEE_TASK_VERSION, 1: task, 2: model, 3: data}` in deterministic
 * CBOR, and the computation the node's TEE provider runs on it. The task
 * codes are spec/private-protocol.json's market TeeTask enum.
 */
import { decodeStrict, encodeCanonical, type CborValue } from "../../model/cbor.ts";
import { MarketLimit, MarketTeeTask, SplitErrorCode } from "../../generated/private-protocol.ts";
import { TeeError } from "../../private/attestation/errors.ts";
import type { TeeCompute } from "../../private/attestation/backend.ts";
import { SplitProtocolError, decodeSplitMessage, encodeError } from "../../private/split/messages.ts";
import type { SplitModels } from "./split-models.ts";

export interface TeeTask {
  task: number;
  model: string;
  data: Uint8Array;
}

export const MNIST_PIXELS = 784;
export const MNIST_CLASSES = 10;

export function encodeTeeTask(t: TeeTask): Uint8Array {
  return encodeCanonical(new Map<CborValue, CborValue>([[0n, BigInt(MarketLimit.TEE_TASK_VERSION)], [1n, BigInt(t.task)], [2n, t.model], [3n, t.data]]));
}

export function decodeTeeTask(bytes: Uint8Array): TeeTask {
  const bad = (why: string): never => {
    throw new TeeError("COMPUTE_FAILED", `TeeTask: ${why}`);
  };
  let v: CborValue;
  try {
    v = decodeStrict(bytes);
  } catch (e) {
    return bad((e as Error).message);
  }
  if (!(v instanceof Map) || v.size !== 4) return bad("a map of keys 0..3");
  const [ver, task, model, data] = [v.get(0n), v.get(1n), v.get(2n), v.get(3n)];
  if (ver !== BigInt(MarketLimit.TEE_TASK_VERSION)) bad(`version ${String(ver)}`);
  if (task !== BigInt(MarketTeeTask.Classify)) bad("unknown task");
  if (typeof model !== "string" || !(data instanceof Uint8Array)) bad("model is text, data is bytes");
  return { task: Number(task), model: model as string, data: data as Uint8Array };
}

/** float32 little-endian bytes of a Float32Array (and back): the Classify output. */
export function float32Bytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  a.forEach((x, i) => dv.setFloat32(i * 4, x, true));
  return out;
}

export function float32sOf(b: Uint8Array): Float32Array {
  if (b.length % 4) throw new RangeError("float32 data is a multiple of 4 bytes");
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  return Float32Array.from({ length: b.length / 4 }, (_, i) => dv.getFloat32(i * 4, true));
}

/** uint8 pixels (value / 255) as the model's float input. */
export function pixelsAsInput(px: Uint8Array): Float32Array {
  return Float32Array.from(px, (p) => p / 255);
}

/**
 * The computation inside the TEE: a TeeTask (key 0 = TEE_TASK_VERSION) runs Classify on the whole model; a split
 * MiddleRequest (key 0 = its type, 2) is Split + TEE — the combined library's TeeSplitConsumer seals exactly that —
 * and is answered by the split provider of the served model its descriptor id names.
 */
export function teeCompute(models: SplitModels): TeeCompute {
  return async (input) => {
    if (isSplitMessage(input)) return middle(models, input);
    const t = decodeTeeTask(input);
    if (t.data.length === 0 || t.data.length % MNIST_PIXELS) throw new TeeError("COMPUTE_FAILED", `Classify: ${t.data.length} bytes is not a whole number of ${MNIST_PIXELS}-pixel images`);
    const whole = await models.whole(t.model);
    return float32Bytes(await whole.run(pixelsAsInput(t.data), t.data.length / MNIST_PIXELS));
  };
}

function isSplitMessage(b: Uint8Array): boolean {
  try {
    const v = decodeStrict(b);
    return v instanceof Map && v.get(0n) !== BigInt(MarketLimit.TEE_TASK_VERSION);
  } catch {
    return false;
  }
}

async function middle(models: SplitModels, request: Uint8Array): Promise<Uint8Array> {
  let descriptorId: Uint8Array = new Uint8Array(0);
  try {
    const m = decodeSplitMessage(request);
    if (m.type !== "MiddleRequest") throw new SplitProtocolError(SplitErrorCode.SPLIT_MALFORMED, `expected a MiddleRequest, got a ${m.type}`);
    descriptorId = m.body.descriptorId;
    const p = await models.providerFor(descriptorId);
    if (!p) throw new SplitProtocolError(SplitErrorCode.SPLIT_UNKNOWN_DESCRIPTOR, "no served model has this descriptor id");
    return await p.handle(request);
  } catch (e) {
    if (!(e instanceof SplitProtocolError)) throw new TeeError("COMPUTE_FAILED", (e as Error).message);
    return encodeError({ descriptorId, requestId: 0n, code: e.code, text: e.message.slice(0, 200) });
  }
}
