/**
 * `mhr node start --privacy …` and `mhr node submit --privacy …` (docs/PRIVATE.md,
 * Marketplace integration): flags to node options, inputs to a `private`
 * control request, and the answer printed next to the same computation in
 * plaintext (the whole model on this machine; the workload in doubles).
 */
import { existsSync, readFileSync } from "node:fs";
import { UserError } from "../../model/errors.ts";
import { controlCall, ControlError } from "../../node/control-client.ts";
import { pixelsAsInput, MNIST_PIXELS, MNIST_CLASSES } from "../../node/private/tee-task.ts";
import { plaintextShared, SHARED_WORKLOADS, type SharedJob } from "../../node/private/shared-jobs.ts";
import { PRIVACY_MODES, type PrivacyMode } from "../../node/private/modes.ts";
import type { TeeBackendSpec } from "../../node/private/tee-config.ts";

export interface PrivateFlags {
  privacy?: string;
  image?: string;
  imageFile?: string;
  model?: string;
  epsilon?: string;
  delta?: string;
  teePolicy?: string;
  workload?: string;
  values?: string;
  weights?: string;
  bias?: string;
  list?: string;
  neighbourhood?: string;
}

export function privacyFlags(o: { privacy?: string; teeBackend?: string; teePlatform?: string; teeReport?: string; teeEndorsement?: string }): { split?: boolean; shared?: boolean; tee?: TeeBackendSpec } | undefined {
  if (!o.privacy) return undefined;
  const tiers = o.privacy.split(",").map((x) => x.trim()).filter(Boolean);
  for (const t of tiers) if (!["split", "shared", "tee"].includes(t)) throw new UserError(`--privacy: "${t}" is not split, shared or tee`, 2);
  let tee: TeeBackendSpec | undefined;
  if (tiers.includes("tee")) {
    if (o.teeBackend !== "configfs" && o.teeBackend !== "replay") throw new UserError("--privacy tee needs --tee-backend configfs (a real TEE guest) or replay (the REPLAY TEST DOUBLE)", 2);
    tee = { kind: o.teeBackend, platform: o.teePlatform, report: o.teeReport, endorsement: o.teeEndorsement };
  }
  return { split: tiers.includes("split"), shared: tiers.includes("shared"), tee };
}

const numbers = (v: string | undefined, what: string): number[] | undefined => {
  if (v === undefined) return undefined;
  const xs = v.split(",").map((x) => Number(x.trim()));
  if (!xs.length || xs.some((x) => !Number.isFinite(x))) throw new UserError(`${what}: a comma-separated list of numbers`, 2);
  return xs;
};

/** "7", "0,3,10-15" → indices. */
function indices(v: string): number[] {
  const out: number[] = [];
  for (const part of v.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UserError(`--image: "${part}" is not an index or a range a-b`, 2);
    const a = Number(m[1]), b = Number(m[2] ?? m[1]);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

async function images(o: PrivateFlags): Promise<{ pixels: Uint8Array; labels?: number[] }> {
  if (o.imageFile) {
    if (!existsSync(o.imageFile)) throw new UserError(`no such file: ${o.imageFile}`);
    const px = new Uint8Array(readFileSync(o.imageFile));
    if (!px.length || px.length % MNIST_PIXELS) throw new UserError(`--image-file: ${px.length} bytes is not a whole number of ${MNIST_PIXELS}-pixel images`, 2);
    return { pixels: px };
  }
  if (!o.image) throw new UserError("--image N (an MNIST test-set index) or --image-file FILE is required", 2);
  const { loadMnist } = await import("../../private/split/mnist-idx.ts");
  const set = loadMnist("test");
  const idx = indices(o.image);
  if (idx.some((i) => i >= set.count)) throw new UserError(`--image: the test set has ${set.count} images`, 2);
  const px = new Uint8Array(idx.length * MNIST_PIXELS);
  idx.forEach((i, k) => px.set(set.pixels.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), k * MNIST_PIXELS));
  return { pixels: px, labels: idx.map((i) => set.labels[i]) };
}

function sharedJob(o: PrivateFlags): SharedJob {
  const workload = o.workload as SharedJob["workload"];
  if (!SHARED_WORKLOADS.includes(workload)) throw new UserError(`--workload: one of ${SHARED_WORKLOADS.join(", ")}`, 2);
  const values = numbers(o.values, "--values");
  if (!values) throw new UserError("--values is required", 2);
  const bias = o.bias === undefined ? undefined : Number(o.bias);
  if (bias !== undefined && !Number.isFinite(bias)) throw new UserError("--bias: a number", 2);
  return { workload, values, weights: numbers(o.weights, "--weights"), list: numbers(o.list, "--list"), ...(bias !== undefined ? { bias } : {}) };
}

interface PrivateJson {
  privacy: string; jobId: string; providers: string[]; prices: string[]; cost: string; attempts: { provider: string; outcome: string; code?: string }[];
  logits?: number[][]; classes?: number[]; answer?: number | boolean; dp?: { epsilon: number | null; delta: number };
  tee?: { platform: number; keyBoundByHardware: boolean; measurement: string }; bytes: { sent: number; received: number };
}

export async function submitPrivate(dir: string, file: string | undefined, o: PrivateFlags & { json?: boolean }): Promise<void> {
  const privacy = o.privacy as PrivacyMode;
  if (!PRIVACY_MODES.includes(privacy)) throw new UserError(`--privacy: one of ${PRIVACY_MODES.join(", ")}`, 2);
  if (file) throw new UserError("--privacy takes no contract file: give --image/--image-file or --workload/--values", 2);
  const params: Record<string, unknown> = { privacy };
  let labels: number[] | undefined, pixels: Uint8Array | undefined, shared: SharedJob | undefined;
  if (privacy === "shared") {
    shared = sharedJob(o);
    params.shared = shared;
  } else {
    ({ pixels, labels } = await images(o));
    params.pixels = Buffer.from(pixels).toString("hex");
    if (o.model) params.model = o.model;
    if (o.epsilon !== undefined) params.epsilon = Number(o.epsilon);
    if (o.delta !== undefined) params.delta = Number(o.delta);
  }
  if (privacy === "tee" || privacy === "split+tee") {
    if (!o.teePolicy) throw new UserError(`--privacy ${privacy} needs --tee-policy FILE (what this consumer accepts)`, 2);
    params.tee = JSON.parse(readFileSync(o.teePolicy, "utf8"));
  }
  if (o.neighbourhood) params.local = o.neighbourhood;
  const show = process.stderr.isTTY || process.env.MHR_PROGRESS === "1";
  let r: PrivateJson;
  try {
    r = (await controlCall(dir, "private", params, show ? (e) => process.stderr.write(`mhr: ${e.stage}${e.detail ? ` ${e.detail}` : ""}\n`) : undefined)) as PrivateJson;
  } catch (e) {
    if (e instanceof ControlError) throw new UserError(/^[A-Z_]+$/.test(e.code) ? `${e.code}: ${e.message}` : e.message);
    throw e;
  }
  const lines = [`privacy     ${r.privacy}`, `providers   ${r.providers.join(", ")}`, `prices      ${r.prices.join(" + ")} µMHR`, `cost        ${r.cost} µMHR`, `bytes       ${r.bytes.sent} sent, ${r.bytes.received} received`];
  const others = r.attempts.filter((a) => a.outcome !== "ok");
  if (others.length) lines.push(`attempts    ${others.map((a) => `${a.provider.slice(0, 8)} ${a.outcome}${a.code ? ` ${a.code}` : ""}`).join("; ")}`);
  const compare: Record<string, unknown> = {};
  if (shared) {
    const plain = plaintextShared(shared);
    lines.push(`answer      ${String(r.answer)}`, `plaintext   ${String(plain)}${typeof plain === "number" ? `  (difference ${Math.abs((r.answer as number) - plain).toExponential(2)})` : r.answer === plain ? "  (equal)" : "  (DIFFERENT)"}`);
    Object.assign(compare, { plaintext: plain });
  } else if (r.logits && pixels) {
    // onnxruntime-node is a native module: loaded only here, not at every `mhr` start-up.
    const [{ OnnxPart }, { committedModel }] = await Promise.all([import("../../private/split/runtime.ts"), import("../../private/split/parts.ts")]);
    const whole = await OnnxPart.load(committedModel(o.model ?? "mnist-mlp"));
    const batch = pixels.length / MNIST_PIXELS;
    const plain = await whole.run(pixelsAsInput(pixels), batch);
    await whole.close();
    const plainClasses = Array.from({ length: batch }, (_, b) => {
      const row = Array.from(plain.subarray(b * MNIST_CLASSES, (b + 1) * MNIST_CLASSES));
      return row.indexOf(Math.max(...row));
    });
    let maxDiff = 0;
    r.logits.forEach((row, b) => row.forEach((x, k) => (maxDiff = Math.max(maxDiff, Math.abs(x - plain[b * MNIST_CLASSES + k])))));
    const same = r.classes!.filter((c, b) => c === plainClasses[b]).length;
    lines.push(`classes     ${r.classes!.join(" ")}`, `plaintext   ${plainClasses.join(" ")}  (same class on ${same}/${batch}; largest logit difference ${maxDiff.toFixed(4)})`);
    if (labels) lines.push(`labels      ${labels.join(" ")}`);
    if (r.dp) lines.push(`dp          ε ${r.dp.epsilon ?? "∞"} per image, δ ${r.dp.delta}`);
    Object.assign(compare, { plaintextClasses: plainClasses, sameClass: same, maxLogitDiff: maxDiff, labels });
  }
  if (r.tee) lines.push(`tee         platform ${r.tee.platform}, measurement ${r.tee.measurement.slice(0, 16)}…, key bound by hardware: ${r.tee.keyBoundByHardware ? "yes" : "NO (pinned-replay test policy)"}`);
  if (o.json) console.log(JSON.stringify({ ...r, ...compare }));
  else console.log(lines.join("\n"));
}
