export { assemble, assembleDetailed, encodePushImmediate, AsmError, type AssembleOptions, type Assembled } from "./assemble.ts";
export { disassemble, decodeAt, type DecodedInstruction } from "./disassemble.ts";
