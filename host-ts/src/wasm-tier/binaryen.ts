/**
 * Access to binaryen.js. Loading it through a TypeScript loader hook (tsx)
 * costs seconds (the hook processes its 10 MB of JavaScript), so the sandbox
 * worker loads it natively in its plain-JavaScript entry (sandbox-boot.mjs)
 * and publishes it here; other callers use loadBinaryen().
 */
import type binaryenType from "binaryen";

export type Binaryen = typeof binaryenType;
const KEY = Symbol.for("mhr.wasm-tier.binaryen");
type Holder = { [KEY]?: Binaryen };

/** The loaded binaryen module; throws if loadBinaryen() has not completed. */
export function getBinaryen(): Binaryen {
  const b = (globalThis as Holder)[KEY];
  if (!b) throw new Error("binaryen is not loaded: await loadBinaryen() first");
  return b;
}

export async function loadBinaryen(): Promise<Binaryen> {
  const holder = globalThis as Holder;
  if (!holder[KEY]) holder[KEY] = (await import("binaryen")).default;
  return holder[KEY]!;
}

export function setBinaryen(b: Binaryen): void {
  (globalThis as Holder)[KEY] = b;
}
