import type { Command } from "commander";
import { registerBoardCommands } from "./boards.ts";
import { registerAsmCommands } from "./asm.ts";
import { registerVectorCommands } from "./vectors.ts";
import { registerFuzzCommands } from "./fuzz.ts";
import { registerConformCommands } from "./conform.ts";
import { registerWasmCommands } from "./wasm.ts";
import { registerCalibrateCommands } from "./calibrate.ts";
import { registerNodeCommands } from "./node.ts";

/**
 * Each command group lives in its own module and registers itself here, so
 * adding a command never means editing another command's file.
 */
export function registerAll(program: Command): void {
  registerBoardCommands(program);
  registerAsmCommands(program);
  registerVectorCommands(program);
  registerFuzzCommands(program);
  registerConformCommands(program);
  registerWasmCommands(program);
  registerCalibrateCommands(program);
  registerNodeCommands(program);
}
