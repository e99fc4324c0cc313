/**
 * The split-inference messages (docs/PRIVATE.md, "Tier 1 — SplitInference"):
 * ModelDescriptor, MiddleRequest, MiddleReply and SplitError, each the
 * deterministic CBOR (model/cbor.ts) of a map with small unsigned-integer
 * keys, and the fixed-point tensor they carry. Field keys, limits, dtypes
 * and error codes come from spec/private-protocol.json (generated module).
 *
 * Decoding is strict: non-canonical CBOR, a missing, extra or mistyped
 * field, an over-limit size, or a tensor whose data does not match its
 * shape is a SplitProtocolError with its code, never a crash.
 */
import { blake3 } from "@noble/hashes/blake3.js";
import { CborError, decodeStrict, encodeCanonical, isBytes, isMap, isText, isUint, type CborMap, type CborValue } from "../../model/cbor.ts";
import { SplitDtypeBytes, SplitDtype, SplitErrorCode, SplitKey, SplitLimit, SplitMessageType, type SplitErrorName } from "../../generated/private-protocol.ts";

export class SplitProtocolError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = "SplitProtocolError";
  }
}

const fail = (name: SplitErrorName, message: string): never => {
  throw new SplitProtocolError(SplitErrorCode[name], message);
};

// ---- fixed-point tensors ------------------------------------------------------------------

/** A tensor of integers on the grid 2^−fracBits: value = data[i] × 2^−fracBits. */
export interface FixedTensor {
  readonly fracBits: number;
  readonly shape: readonly number[];
  readonly data: Int32Array;
}

const I16_MIN = -32768, I16_MAX = 32767;

/** The narrowest dtype that holds every value: I16 if all fit, else I32 (the canonical choice). */
export function narrowestDtype(data: Int32Array): number {
  for (let i = 0; i < data.length; i++) if (data[i] < I16_MIN || data[i] > I16_MAX) return SplitDtype.I32;
  return SplitDtype.I16;
}

function checkShape(shape: readonly number[]): number {
  if (shape.length < 1 || shape.length > SplitLimit.MAX_RANK) fail("SPLIT_TOO_LARGE", `tensor rank ${shape.length} outside 1..${SplitLimit.MAX_RANK}`);
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 1) fail("SPLIT_BAD_TENSOR", `tensor dimension ${d} is not a positive integer`);
    n *= d;
    if (n > SplitLimit.MAX_TENSOR_ELEMENTS) fail("SPLIT_TOO_LARGE", `tensor of shape [${shape.join(", ")}] exceeds ${SplitLimit.MAX_TENSOR_ELEMENTS} elements`);
  }
  return n;
}

function checkFracBits(f: number): void {
  if (!Number.isInteger(f) || f < 0 || f > SplitLimit.MAX_FRAC_BITS) fail("SPLIT_BAD_TENSOR", `fracBits ${f} outside 0..${SplitLimit.MAX_FRAC_BITS}`);
}

export function tensorToCbor(t: FixedTensor): CborMap {
  checkFracBits(t.fracBits);
  const n = checkShape(t.shape);
  if (t.data.length !== n) fail("SPLIT_BAD_TENSOR", `tensor has ${t.data.length} values for shape [${t.shape.join(", ")}]`);
  const dtype = narrowestDtype(t.data);
  const width = SplitDtypeBytes[dtype];
  const bytes = new Uint8Array(n * width);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) {
    if (width === 2) view.setInt16(2 * i, t.data[i], true);
    else view.setInt32(4 * i, t.data[i], true);
  }
  const F = SplitKey.FixedTensor;
  return keyed([[F.dtype, BigInt(dtype)], [F.fracBits, BigInt(t.fracBits)], [F.shape, t.shape.map(BigInt)], [F.data, bytes]]);
}

function tensorFromCbor(v: CborValue | undefined): FixedTensor {
  const F = SplitKey.FixedTensor;
  const m = fields(v, "FixedTensor", Object.values(F));
  const dtype = uintField(m, F.dtype, "dtype");
  const fracBits = uintField(m, F.fracBits, "fracBits");
  checkFracBits(fracBits);
  const shapeV = m.get(BigInt(F.shape));
  if (!Array.isArray(shapeV)) fail("SPLIT_MALFORMED", "FixedTensor.shape is not an array");
  const shapeArr = shapeV as CborValue[];
  if (shapeArr.length < 1 || shapeArr.length > SplitLimit.MAX_RANK) fail("SPLIT_TOO_LARGE", `tensor rank ${shapeArr.length} outside 1..${SplitLimit.MAX_RANK}`);
  const shape = shapeArr.map((d) => {
    if (!isUint(d) || d > BigInt(SplitLimit.MAX_TENSOR_ELEMENTS)) fail("SPLIT_TOO_LARGE", "tensor dimension is not an unsigned integer within the element limit");
    return Number(d);
  });
  const n = checkShape(shape);
  const width = SplitDtypeBytes[dtype];
  if (width === undefined) fail("SPLIT_BAD_TENSOR", `unknown dtype ${dtype}`);
  const raw = m.get(BigInt(F.data));
  if (!isBytes(raw)) fail("SPLIT_MALFORMED", "FixedTensor.data is not a byte string");
  const bytes = raw as Uint8Array;
  if (bytes.length !== n * width) fail("SPLIT_BAD_TENSOR", `tensor data has ${bytes.length} bytes; shape [${shape.join(", ")}] of ${width}-byte values needs ${n * width}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = width === 2 ? view.getInt16(2 * i, true) : view.getInt32(4 * i, true);
  if (dtype !== narrowestDtype(data)) fail("SPLIT_BAD_TENSOR", "tensor uses I32 although every value fits I16 (not canonical)");
  return { fracBits, shape, data };
}

/** Nearest grid point of each value (ties away from zero); throws SPLIT_OUT_OF_RANGE beyond I32 or for NaN/∞. */
export function quantize(values: ArrayLike<number>, fracBits: number): Int32Array {
  const s = 2 ** fracBits;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i] * s;
    const r = Math.sign(x) * Math.round(Math.abs(x));
    if (!Number.isFinite(r) || r > 0x7fffffff || r < -0x7fffffff) fail("SPLIT_OUT_OF_RANGE", `value ${values[i]} does not fit I32 at 2^-${fracBits}`);
    out[i] = r;
  }
  return out;
}

/** value = integer × 2^−fracBits, as float32 (exact while |integer| < 2^24). */
export function dequantize(data: Int32Array, fracBits: number): Float32Array {
  const s = 2 ** -fracBits;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] * s;
  return out;
}

// ---- messages -----------------------------------------------------------------------------

export interface ModelDescriptor {
  readonly model: string;
  readonly cut: string;
  readonly wholeHash: Uint8Array;
  readonly headHash: Uint8Array;
  readonly middleHash: Uint8Array;
  readonly tailHash: Uint8Array;
  readonly cutWidth: number;
  readonly replyWidth: number;
  readonly cutFracBits: number;
  readonly replyFracBits: number;
}

export interface MiddleRequest {
  readonly descriptorId: Uint8Array;
  readonly requestId: bigint;
  readonly tensor: FixedTensor;
}

export interface MiddleReply {
  readonly descriptorId: Uint8Array;
  readonly requestId: bigint;
  readonly middleHash: Uint8Array;
  readonly tensor: FixedTensor;
}

export interface SplitErrorMessage {
  readonly descriptorId: Uint8Array;
  readonly requestId: bigint;
  readonly code: number;
  readonly text: string;
}

export type SplitMessage =
  | { readonly type: "ModelDescriptor"; readonly body: ModelDescriptor }
  | { readonly type: "MiddleRequest"; readonly body: MiddleRequest }
  | { readonly type: "MiddleReply"; readonly body: MiddleReply }
  | { readonly type: "SplitError"; readonly body: SplitErrorMessage };

function keyed(entries: [number, CborValue][]): CborMap {
  return new Map(entries.map(([k, v]) => [BigInt(k), v] as [CborValue, CborValue]));
}

function fields(v: CborValue | undefined, what: string, keys: readonly number[]): CborMap {
  if (!isMap(v)) return fail("SPLIT_MALFORMED", `${what} is not a map`);
  const want = new Set(keys.map(BigInt));
  for (const k of v.keys()) if (typeof k !== "bigint" || !want.has(k)) fail("SPLIT_MALFORMED", `${what} has an unknown field ${String(k)}`);
  for (const k of want) if (!v.has(k)) fail("SPLIT_MALFORMED", `${what} lacks field ${k}`);
  return v;
}

function uintField(m: CborMap, key: number, name: string, max = BigInt(Number.MAX_SAFE_INTEGER)): number {
  const v = m.get(BigInt(key));
  if (!isUint(v) || v > max) fail("SPLIT_MALFORMED", `${name} is not an unsigned integer ≤ ${max}`);
  return Number(v);
}

function u64Field(m: CborMap, key: number, name: string): bigint {
  const v = m.get(BigInt(key));
  if (!isUint(v) || v >= 1n << 64n) fail("SPLIT_MALFORMED", `${name} is not an unsigned 64-bit integer`);
  return v as bigint;
}

function bytesField(m: CborMap, key: number, name: string, len?: number): Uint8Array {
  const v = m.get(BigInt(key));
  if (!isBytes(v) || (len !== undefined && v.length !== len)) fail("SPLIT_MALFORMED", `${name} is not a byte string${len === undefined ? "" : ` of ${len} bytes`}`);
  return v as Uint8Array;
}

function textField(m: CborMap, key: number, name: string, maxBytes: number): string {
  const v = m.get(BigInt(key));
  if (!isText(v)) fail("SPLIT_MALFORMED", `${name} is not a text string`);
  if (new TextEncoder().encode(v as string).length > maxBytes) fail("SPLIT_TOO_LARGE", `${name} is longer than ${maxBytes} bytes`);
  return v as string;
}

function checkText(s: string, name: string, maxBytes: number): void {
  if (new TextEncoder().encode(s).length > maxBytes) fail("SPLIT_TOO_LARGE", `${name} is longer than ${maxBytes} bytes`);
}

function checkHash(h: Uint8Array, name: string): void {
  if (h.length !== 32) fail("SPLIT_MALFORMED", `${name} is not 32 bytes`);
}

function finish(m: CborMap): Uint8Array {
  const bytes = encodeCanonical(m);
  if (bytes.length > SplitLimit.MAX_MESSAGE_BYTES) fail("SPLIT_TOO_LARGE", `message of ${bytes.length} bytes exceeds ${SplitLimit.MAX_MESSAGE_BYTES}`);
  return bytes;
}

const head = (type: number): [number, CborValue][] => [[0, BigInt(type)], [1, BigInt(SplitLimit.PROTOCOL_VERSION)]];

export function encodeDescriptor(d: ModelDescriptor): Uint8Array {
  const F = SplitKey.ModelDescriptor;
  checkText(d.model, "model", SplitLimit.MAX_NAME_BYTES);
  checkText(d.cut, "cut", SplitLimit.MAX_NAME_BYTES);
  for (const [h, n] of [[d.wholeHash, "wholeHash"], [d.headHash, "headHash"], [d.middleHash, "middleHash"], [d.tailHash, "tailHash"]] as const) checkHash(h, n);
  checkFracBits(d.cutFracBits);
  checkFracBits(d.replyFracBits);
  return finish(keyed([
    ...head(SplitMessageType.ModelDescriptor),
    [F.model, d.model], [F.cut, d.cut],
    [F.wholeHash, d.wholeHash], [F.headHash, d.headHash], [F.middleHash, d.middleHash], [F.tailHash, d.tailHash],
    [F.cutWidth, BigInt(d.cutWidth)], [F.replyWidth, BigInt(d.replyWidth)],
    [F.cutFracBits, BigInt(d.cutFracBits)], [F.replyFracBits, BigInt(d.replyFracBits)],
  ]));
}

/** The descriptor id: Blake3-256 of the descriptor's canonical bytes. */
export function descriptorId(d: ModelDescriptor): Uint8Array {
  return blake3(encodeDescriptor(d));
}

export function encodeRequest(r: MiddleRequest): Uint8Array {
  const F = SplitKey.MiddleRequest;
  checkHash(r.descriptorId, "descriptorId");
  return finish(keyed([...head(SplitMessageType.MiddleRequest), [F.descriptorId, r.descriptorId], [F.requestId, r.requestId], [F.tensor, tensorToCbor(r.tensor)]]));
}

export function encodeReply(r: MiddleReply): Uint8Array {
  const F = SplitKey.MiddleReply;
  checkHash(r.descriptorId, "descriptorId");
  checkHash(r.middleHash, "middleHash");
  return finish(keyed([...head(SplitMessageType.MiddleReply), [F.descriptorId, r.descriptorId], [F.requestId, r.requestId], [F.middleHash, r.middleHash], [F.tensor, tensorToCbor(r.tensor)]]));
}

/** Encodes an error; an over-long text is cut at a character boundary (an error message must always be sendable). */
export function encodeError(e: SplitErrorMessage): Uint8Array {
  const F = SplitKey.SplitError;
  let text = e.text;
  while (new TextEncoder().encode(text).length > SplitLimit.MAX_ERROR_TEXT_BYTES) text = [...text].slice(0, -1).join("");
  return finish(keyed([...head(SplitMessageType.SplitError), [F.descriptorId, e.descriptorId], [F.requestId, e.requestId], [F.code, BigInt(e.code)], [F.text, text]]));
}

const TYPE_NAMES = new Map<number, SplitMessage["type"]>(Object.entries(SplitMessageType).map(([n, c]) => [c, n as SplitMessage["type"]]));

/** Decodes any split message; throws SplitProtocolError with the message's error code. */
export function decodeSplitMessage(bytes: Uint8Array): SplitMessage {
  if (bytes.length > SplitLimit.MAX_MESSAGE_BYTES) fail("SPLIT_TOO_LARGE", `message of ${bytes.length} bytes exceeds ${SplitLimit.MAX_MESSAGE_BYTES}`);
  let v: CborValue;
  try {
    v = decodeStrict(bytes);
  } catch (e) {
    if (e instanceof CborError) return fail("SPLIT_MALFORMED", `not deterministic CBOR: ${e.message}`);
    throw e;
  }
  if (!isMap(v)) fail("SPLIT_MALFORMED", "message is not a map");
  const m = v as CborMap;
  const typeCode = m.get(0n);
  const type = isUint(typeCode) ? TYPE_NAMES.get(Number(typeCode)) : undefined;
  if (!type) return fail("SPLIT_MALFORMED", `unknown message type ${String(typeCode)}`);
  const F = SplitKey[type];
  fields(m, type, Object.values(F));
  if (m.get(1n) !== BigInt(SplitLimit.PROTOCOL_VERSION)) fail("SPLIT_MALFORMED", `${type}: version ${String(m.get(1n))} is not ${SplitLimit.PROTOCOL_VERSION}`);
  switch (type) {
    case "ModelDescriptor": {
      const D = SplitKey.ModelDescriptor;
      const body: ModelDescriptor = {
        model: textField(m, D.model, "model", SplitLimit.MAX_NAME_BYTES),
        cut: textField(m, D.cut, "cut", SplitLimit.MAX_NAME_BYTES),
        wholeHash: bytesField(m, D.wholeHash, "wholeHash", 32),
        headHash: bytesField(m, D.headHash, "headHash", 32),
        middleHash: bytesField(m, D.middleHash, "middleHash", 32),
        tailHash: bytesField(m, D.tailHash, "tailHash", 32),
        cutWidth: uintField(m, D.cutWidth, "cutWidth", BigInt(SplitLimit.MAX_TENSOR_ELEMENTS)),
        replyWidth: uintField(m, D.replyWidth, "replyWidth", BigInt(SplitLimit.MAX_TENSOR_ELEMENTS)),
        cutFracBits: uintField(m, D.cutFracBits, "cutFracBits", BigInt(SplitLimit.MAX_FRAC_BITS)),
        replyFracBits: uintField(m, D.replyFracBits, "replyFracBits", BigInt(SplitLimit.MAX_FRAC_BITS)),
      };
      return { type, body };
    }
    case "MiddleRequest": {
      const R = SplitKey.MiddleRequest;
      return { type, body: { descriptorId: bytesField(m, R.descriptorId, "descriptorId", 32), requestId: u64Field(m, R.requestId, "requestId"), tensor: tensorFromCbor(m.get(BigInt(R.tensor))) } };
    }
    case "MiddleReply": {
      const R = SplitKey.MiddleReply;
      return {
        type,
        body: { descriptorId: bytesField(m, R.descriptorId, "descriptorId", 32), requestId: u64Field(m, R.requestId, "requestId"), middleHash: bytesField(m, R.middleHash, "middleHash", 32), tensor: tensorFromCbor(m.get(BigInt(R.tensor))) },
      };
    }
    case "SplitError": {
      const E = SplitKey.SplitError;
      const d = bytesField(m, E.descriptorId, "descriptorId");
      if (d.length !== 0 && d.length !== 32) fail("SPLIT_MALFORMED", "SplitError.descriptorId is neither empty nor 32 bytes");
      return { type, body: { descriptorId: d, requestId: u64Field(m, E.requestId, "requestId"), code: uintField(m, E.code, "code"), text: textField(m, E.text, "text", SplitLimit.MAX_ERROR_TEXT_BYTES) } };
    }
  }
}
