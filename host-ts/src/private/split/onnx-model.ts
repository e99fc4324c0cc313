/**
 * ONNX export of the split-inference MLP, the cutter that turns the whole
 * model into head, middle and tail, and the reader that takes the weights back
 * out of an ONNX file (the committed .onnx is the one copy of the weights).
 *
 * Encoding is deterministic: the same weights give the same bytes (protobufjs
 * writes fields in field-number order; nothing time- or host-dependent is
 * stored), so a part's Blake3 hash identifies it and a provider can prove it
 * runs the agreed middle.
 */
import onnxPkg from "onnx-proto";
import type { Mlp, DenseLayer, MlpSpec } from "./mlp.ts";

const { onnx } = onnxPkg;
type ModelProto = InstanceType<typeof onnx.ModelProto>;
type INodeProto = Parameters<typeof onnx.NodeProto.create>[0] & object;
type ITensorProto = Parameters<typeof onnx.TensorProto.create>[0] & object;
type IValueInfoProto = Parameters<typeof onnx.ValueInfoProto.create>[0] & object;

export class OnnxModelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OnnxModelError";
  }
}

export const OPSET = 17;
const IR_VERSION = 8;
export const INPUT = "input";
export const LOGITS = "logits";

/** Tensor names in the exported graph, layer k = 1..n (1-based like the maths). */
export const tensor = {
  pre: (k: number) => `z${k}`,
  relu: (k: number) => `h${k}`,
  clipped: (k: number) => `c${k}`,
};

function floatTensor(name: string, dims: number[], data: Float32Array): ITensorProto {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i], true);
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function valueInfo(name: string, width: number): IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: "N" }, { dimValue: width }] } } },
  };
}

const attrInt = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const attrInts = (name: string, ints: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints });

/**
 * The whole model as an ONNX graph: Gemm (transB = 1) per layer, Relu after
 * every layer but the last, and after layer `clipLayer` the clip
 * c = h · min(1, C / max(‖h‖, 1e-30)) built from ReduceL2 (or ReduceL1 for
 * an L1 clip), Max, Div, Min, Mul.
 */
export function exportOnnx(m: Mlp, docString: string): Uint8Array {
  const nodes: INodeProto[] = [];
  const inits: ITensorProto[] = [];
  const infos: IValueInfoProto[] = [];
  let cur = INPUT;
  const n = m.layers.length;
  m.layers.forEach((L, idx) => {
    const k = idx + 1;
    inits.push(floatTensor(`W${k}`, [L.outputs, L.inputs], L.w), floatTensor(`B${k}`, [L.outputs], L.b));
    const z = k === n ? LOGITS : tensor.pre(k);
    nodes.push({ name: `gemm${k}`, opType: "Gemm", input: [cur, `W${k}`, `B${k}`], output: [z], attribute: [attrInt("transB", 1)] });
    if (k === n) return;
    infos.push(valueInfo(z, L.outputs));
    const h = tensor.relu(k);
    nodes.push({ name: `relu${k}`, opType: "Relu", input: [z], output: [h] });
    infos.push(valueInfo(h, L.outputs));
    cur = h;
    if (k === m.spec.clipLayer) {
      inits.push(floatTensor(`clip${k}_C`, [], Float32Array.of(m.spec.clipNorm)), floatTensor(`clip${k}_one`, [], Float32Array.of(1)), floatTensor(`clip${k}_tiny`, [], Float32Array.of(1e-30)));
      const c = tensor.clipped(k);
      nodes.push(
        { name: `clip${k}_norm`, opType: m.spec.clipKind === "l1" ? "ReduceL1" : "ReduceL2", input: [h], output: [`${h}_norm`], attribute: [attrInts("axes", [1]), attrInt("keepdims", 1)] },
        { name: `clip${k}_safe`, opType: "Max", input: [`${h}_norm`, `clip${k}_tiny`], output: [`${h}_safe`] },
        { name: `clip${k}_ratio`, opType: "Div", input: [`clip${k}_C`, `${h}_safe`], output: [`${h}_ratio`] },
        { name: `clip${k}_scale`, opType: "Min", input: [`${h}_ratio`, `clip${k}_one`], output: [`${h}_scale`] },
        { name: `clip${k}_mul`, opType: "Mul", input: [h, `${h}_scale`], output: [c] },
      );
      infos.push(valueInfo(c, L.outputs));
      cur = c;
    }
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "mhr-compute scripts/train-mnist.ts",
    producerVersion: "1",
    docString,
    graph: {
      name: "mnist_mlp",
      node: nodes,
      initializer: inits,
      input: [valueInfo(INPUT, m.spec.sizes[0])],
      output: [valueInfo(LOGITS, m.spec.sizes[n])],
      valueInfo: infos,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export function decodeOnnx(bytes: Uint8Array): ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxModelError(`not an ONNX model: ${(e as Error).message}`);
  }
}

function widthOf(info: IValueInfoProto | undefined, name: string): number {
  const d = info?.type?.tensorType?.shape?.dim;
  const w = d?.[1]?.dimValue;
  if (!d || d.length !== 2 || w === undefined || w === null) throw new OnnxModelError(`tensor ${name}: no [N, width] shape in the graph`);
  return Number(w);
}

/**
 * The part of the whole model that computes `to` from `from`: the nodes on
 * the path (found backwards from `to`, stopping at `from`), the initializers
 * they read, `from` as the only input and `to` as the only output. Refuses a
 * cut that is not a clean separator (a node that needs another graph input).
 */
export function extractPart(whole: Uint8Array, from: string, to: string, partName: string): Uint8Array {
  const m = decodeOnnx(whole);
  const g = m.graph;
  if (!g) throw new OnnxModelError("model has no graph");
  const producer = new Map<string, INodeProto>();
  for (const nd of g.node ?? []) for (const o of nd.output ?? []) producer.set(o, nd);
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? "", t]));
  const infos = new Map<string, IValueInfoProto>([...(g.valueInfo ?? []), ...(g.input ?? []), ...(g.output ?? [])].map((v) => [v.name ?? "", v]));
  if (!infos.has(from)) throw new OnnxModelError(`cut tensor ${from} is not in the graph`);
  if (!infos.has(to)) throw new OnnxModelError(`cut tensor ${to} is not in the graph`);
  const needed = new Set<INodeProto>();
  const usedInits = new Set<string>();
  const stack = [to];
  const seen = new Set<string>();
  while (stack.length) {
    const t = stack.pop()!;
    if (t === from || seen.has(t)) continue;
    seen.add(t);
    if (inits.has(t)) { usedInits.add(t); continue; }
    const nd = producer.get(t);
    if (!nd) throw new OnnxModelError(`part ${partName}: tensor ${t} is needed but is neither computed from ${from} nor a weight`);
    needed.add(nd);
    for (const i of nd.input ?? []) stack.push(i);
  }
  const order = (g.node ?? []).filter((nd) => needed.has(nd));
  const inside = new Set(order.flatMap((nd) => nd.output ?? []));
  const part = onnx.ModelProto.create({
    irVersion: m.irVersion,
    opsetImport: m.opsetImport,
    producerName: m.producerName,
    producerVersion: m.producerVersion,
    docString: `${partName}: ${from} -> ${to} of ${g.name}`,
    graph: {
      name: `${g.name}_${partName}`,
      node: order,
      initializer: (g.initializer ?? []).filter((t) => usedInits.has(t.name ?? "")),
      input: [infos.get(from)!],
      output: [infos.get(to)!],
      valueInfo: (g.valueInfo ?? []).filter((v) => inside.has(v.name ?? "") && v.name !== to),
    },
  });
  widthOf(infos.get(from), from);
  return onnx.ModelProto.encode(part).finish();
}

export function tensorWidth(bytes: Uint8Array, name: string): number {
  const g = decodeOnnx(bytes).graph;
  const v = [...(g?.valueInfo ?? []), ...(g?.input ?? []), ...(g?.output ?? [])].find((x) => x.name === name);
  return widthOf(v ?? undefined, name);
}

function readFloats(t: ITensorProto): Float32Array {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT || !t.rawData) throw new OnnxModelError(`initializer ${t.name}: not raw float32`);
  const raw = t.rawData;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(raw.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
  return out;
}

/** The MLP whose weights the whole ONNX model holds (the inverse of exportOnnx). */
export function mlpFromOnnx(bytes: Uint8Array): Mlp {
  const g = decodeOnnx(bytes).graph;
  if (!g) throw new OnnxModelError("model has no graph");
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? "", t]));
  const layers: DenseLayer[] = [];
  let clipLayer = 0;
  let clipNorm = 0;
  for (let k = 1; inits.has(`W${k}`); k++) {
    const w = inits.get(`W${k}`)!, b = inits.get(`B${k}`);
    if (!b || w.dims?.length !== 2) throw new OnnxModelError(`layer ${k}: malformed weights`);
    const [outputs, inputs] = w.dims.map(Number);
    layers.push({ inputs, outputs, w: readFloats(w), b: readFloats(b) });
    const c = inits.get(`clip${k}_C`);
    if (c) { clipLayer = k; clipNorm = readFloats(c)[0]; }
  }
  if (!layers.length) throw new OnnxModelError("no layers W1.. in the model");
  const normOp = (g.node ?? []).find((nd) => nd.name === `clip${clipLayer}_norm`)?.opType;
  const clipKind = normOp === "ReduceL1" ? "l1" : "l2";
  const spec: MlpSpec = { sizes: [layers[0].inputs, ...layers.map((L) => L.outputs)], clipLayer, clipNorm, ...(clipKind === "l1" ? { clipKind } : {}) };
  return { spec, layers };
}
