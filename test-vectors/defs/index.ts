/** The vector definition files, in output order. */
import type { DefFile } from "./lib.ts";

export async function DEF_FILES(): Promise<DefFile[]> {
  const { stack, arithmetic, bitwise, comparison } = await import("./alu.ts");
  const { control } = await import("./control.ts");
  const { memory } = await import("./memory.ts");
  const { state } = await import("./state.ts");
  const { system } = await import("./system.ts");
  const { crypto } = await import("./crypto.ts");
  const { validation } = await import("./validation.ts");
  const files = [stack, arithmetic, bitwise, comparison, control, memory, state, system, crypto, validation];
  const { examplesDefFile } = await import("./examples-adapter.ts");
  const ex = await examplesDefFile();
  if (ex) files.push(ex);
  return files;
}

/** Definition files written for contract version 2 (generated with table v2 by default): the intrinsic charge and the version rule. */
export async function V2_DEF_FILES(): Promise<DefFile[]> {
  const { intrinsic } = await import("./intrinsic.ts");
  const { compactionVectors } = await import("./compaction.ts");
  const { indexMoveVectors } = await import("./index-moves.ts");
  return [intrinsic, compactionVectors, indexMoveVectors];
}
