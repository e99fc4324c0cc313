/**
 * Engine names the CLI accepts, created lazily so that `mhr asm` never loads
 * WebAssembly or spawns QEMU.
 */
import { UserError } from "../model/errors.ts";
import type { Engine } from "../model/engine.ts";

export interface EngineSpec {
  name: string;
  tier: "mhr-byte" | "wasm";
  doc: string;
  create: () => Promise<Engine>;
}

export const ENGINES: readonly EngineSpec[] = [
  { name: "reference", tier: "mhr-byte", doc: "TypeScript reference interpreter (the executable specification)", create: async () => (await import("./reference-engine.ts")).createReferenceEngine() },
  { name: "as", tier: "mhr-byte", doc: "AssemblyScript VM release build, in-process WebAssembly", create: async () => (await import("./as-engine.ts")).createAsEngine() },
  { name: "native", tier: "mhr-byte", doc: "wasm2c C build for the host, over the board protocol on stdio", create: async () => (await import("./board-engines.ts")).createBoardEngine("host", { fetchState: true }) },
  { name: "qemu-rv32", tier: "mhr-byte", doc: "virtual RV32IMC board (ESP32-C3 ISA) under QEMU", create: async () => (await import("./board-engines.ts")).createBoardEngine("qemu-rv32", { fetchState: true }) },
  { name: "qemu-lx106", tier: "mhr-byte", doc: "virtual Xtensa lx106 board under QEMU", create: async () => (await import("./board-engines.ts")).createBoardEngine("qemu-lx106", { fetchState: true }) },
  { name: "wasm-tier", tier: "wasm", doc: "fuel-metered WASM tier sandbox", create: async () => (await import("./wasm-tier-engine.ts")).createWasmTierEngine() },
];

export function engineSpec(name: string): EngineSpec {
  const spec = ENGINES.find((e) => e.name === name);
  if (!spec) throw new UserError(`unknown engine "${name}"; known engines: ${ENGINES.map((e) => e.name).join(", ")}`, 2);
  return spec;
}

export async function createEngine(name: string): Promise<Engine> {
  return engineSpec(name).create();
}
