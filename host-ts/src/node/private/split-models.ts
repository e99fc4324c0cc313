/**
 * The split-inference models a node serves or uses: the committed ONNX
 * models (models/mnist/) cut at relu1 or pre1 (docs/PRIVATE.md §1.2). A
 * provider resolves a MiddleRequest's descriptor id against them, so a
 * consumer never has to ship a model: the descriptor id names one.
 */
import { equalBytes } from "../../model/bytes.ts";
import { committedModel, CUT_NAMES, splitModel, type CutName, type SplitModel } from "../../private/split/parts.ts";
import { SplitProvider } from "../../private/split/provider.ts";
import { OnnxPart } from "../../private/split/runtime.ts";

export const SERVED_MODELS: readonly string[] = ["mnist-mlp", "mnist-mlp-noisy"];

export class SplitModels {
  private readonly models = new Map<string, SplitModel>();
  private readonly providers = new Map<string, Promise<SplitProvider>>();
  private readonly wholes = new Map<string, Promise<OnnxPart>>();

  constructor(readonly names: readonly string[] = SERVED_MODELS) {}

  /** The model cut at `cut` (cut once, then cached). */
  model(name: string, cut: CutName): SplitModel {
    if (!this.names.includes(name)) throw new RangeError(`model ${name} is not one of ${this.names.join(", ")}`);
    const key = `${name}/${cut}`;
    let m = this.models.get(key);
    if (!m) {
      m = splitModel(committedModel(name), name, cut);
      this.models.set(key, m);
    }
    return m;
  }

  /** The split provider of the served model whose descriptor id this is, or undefined. */
  async providerFor(descriptorId: Uint8Array): Promise<SplitProvider | undefined> {
    for (const name of this.names) {
      for (const cut of CUT_NAMES) {
        const m = this.model(name, cut);
        if (!equalBytes(m.id, descriptorId)) continue;
        const key = `${name}/${cut}`;
        let p = this.providers.get(key);
        if (!p) {
          p = SplitProvider.create(m.descriptor, m.middle);
          this.providers.set(key, p);
        }
        return p;
      }
    }
    return undefined;
  }

  /** The whole model in onnxruntime (the TEE's Classify task). */
  whole(name: string): Promise<OnnxPart> {
    let p = this.wholes.get(name);
    if (!p) {
      p = OnnxPart.load(this.model(name, "relu1").whole);
      this.wholes.set(name, p);
    }
    return p;
  }

  async close(): Promise<void> {
    for (const p of [...this.providers.values()]) await (await p).close();
    for (const p of [...this.wholes.values()]) await (await p).close();
    this.providers.clear();
    this.wholes.clear();
  }
}
