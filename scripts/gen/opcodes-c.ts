/** firmware/components/mhr_byte/include/mhr_opcodes.h: the C component's constants. */
import type { OpcodeTable } from "../../host-ts/src/spec/table-schema.ts";
import { HEADER, hex2 } from "./util.ts";

export function opcodesC(t: OpcodeTable): string {
  const L: string[] = [`/* ${HEADER} */`, "#ifndef MHR_OPCODES_H", "#define MHR_OPCODES_H", ""];
  L.push(`#define MHR_SPEC_VERSION ${t.specVersion}`, "");
  for (const o of t.opcodes) L.push(`#define MHR_OP_${o.mnemonic} ${hex2(Number(o.byte))}`);
  L.push("");
  for (const s of t.spaces) L.push(`#define MHR_SPACE_${s.name.toUpperCase()} ${hex2(Number(s.byte))}`);
  L.push("");
  for (const l of t.limits) L.push(`#define MHR_LIMIT_${l.name} ${l.value}${l.value > 0x7fffffff ? "ULL" : ""}`);
  L.push("");
  for (const r of t.status) L.push(`#define MHR_STATUS_${r.name} ${r.code}`);
  L.push("");
  for (const r of t.traps) L.push(`#define MHR_TRAP_${r.name} ${r.code}`);
  L.push("");
  for (const r of t.errors) L.push(`#define MHR_ERR_${r.name} ${r.code}`);
  L.push("", "#endif /* MHR_OPCODES_H */");
  return L.join("\n") + "\n";
}

