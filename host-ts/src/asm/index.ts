export { assemble, assembleDetailed, encodePushImmediate, AsmError, type AssembleOptions, type Assembled, type SourceMap } from "./assemble.ts";
export { disassemble, decodeAt, type DecodedInstruction } from "./disassemble.ts";
