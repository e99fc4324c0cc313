// Worker entry of the WASM-tier sandbox. Plain JavaScript so that it runs in
// any host (tsx, vitest, plain node). binaryen.js is imported natively here
// (through a TypeScript loader hook it takes seconds) and published for
// binaryen.ts; the TypeScript worker is then loaded through tsx's scoped
// loader, which does not touch the rest of the process.
import binaryen from "binaryen";
import { tsImport } from "tsx/esm/api";

globalThis[Symbol.for("mhr.wasm-tier.binaryen")] = binaryen;
await tsImport("./sandbox-worker.ts", import.meta.url);
