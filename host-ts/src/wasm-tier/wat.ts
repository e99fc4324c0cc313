/**
 * WebAssembly text to binary for tests, vectors and benchmarks (wabt.js, a
 * dev dependency: the engine never loads this module).
 */
import wabtInit from "wabt";

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt | null = null;

export async function loadWat(): Promise<void> {
  wabt ??= await wabtInit();
}

/** Assembles WAT with every feature wabt knows enabled (validation is the tier's job, not wabt's). */
export function wat(source: string): Uint8Array {
  if (!wabt) throw new Error("call await loadWat() first");
  const m = wabt.parseWat("contract.wat", source, {
    simd: true, multi_value: true, bulk_memory: true, threads: true, mutable_globals: true, sign_extension: true,
    sat_float_to_int: true, reference_types: true, tail_call: true, exceptions: true, memory64: true,
  } as never);
  try {
    return new Uint8Array(m.toBinary({ write_debug_names: false }).buffer);
  } finally {
    m.destroy();
  }
}

/** The host-API import lines for a WAT module (only the named functions). */
export function hostImportsWat(...names: string[]): string {
  const sigs: Record<string, string> = {
    mehr_balance: "(param i32) (result i64)",
    mehr_sender: "(param i32)",
    mehr_self: "(param i32)",
    mehr_epoch: "(result i64)",
    mehr_transfer: "(param i32 i64) (result i32)",
    mehr_log: "(param i32 i32)",
    mehr_store_load: "(param i32 i32 i32 i32) (result i32)",
    mehr_store_save: "(param i32 i32 i32 i32)",
    mehr_store_delete: "(param i32 i32)",
    mehr_hash: "(param i32 i32 i32)",
    mehr_verify_sig: "(param i32 i32 i32 i32) (result i32)",
    mehr_input: "(param i32 i32) (result i32)",
    mehr_emit: "(param i32 i32)",
    mehr_abort: "(param i64)",
  };
  return names.map((n) => `(import "mehr" "${n}" (func $${n} ${sigs[n]}))`).join("\n");
}
