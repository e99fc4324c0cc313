/**
 * The disassembler. Its output re-assembles to the same contract bytes:
 * functions are declared in table order with explicit entry labels, every
 * jump target that is an instruction start gets a label, and anything that
 * does not decode (vectors carry invalid code on purpose) is kept as `.byte`.
 */
import { OP_BY_BYTE, SPACES, costTableNameOf, type OpInfo } from "../generated/opcodes.ts";
import { bytesToHex } from "../model/bytes.ts";
import type { Contract } from "../model/types.ts";

export interface DecodedInstruction {
  offset: number;
  size: number;
  op: OpInfo;
  /** PUSH value, jump target, or space byte. */
  imm?: bigint | number;
}

/** Decodes one instruction, or returns null if the bytes at offset are not a complete, canonical instruction. */
export function decodeAt(code: Uint8Array, offset: number): DecodedInstruction | null {
  const op = OP_BY_BYTE.get(code[offset]);
  if (!op) return null;
  switch (op.immediate) {
    case "none":
      return { offset, size: 1, op };
    case "space": {
      if (offset + 1 >= code.length) return null;
      const sp = SPACES.find((s) => s.byte === code[offset + 1]);
      if (!sp || !sp[op.mnemonic as "LOAD" | "STORE"]) return null;
      return { offset, size: 2, op, imm: sp.byte };
    }
    case "target":
      if (offset + 2 >= code.length) return null;
      return { offset, size: 3, op, imm: code[offset + 1] | (code[offset + 2] << 8) };
    case "push": {
      if (offset + 1 >= code.length) return null;
      const n = code[offset + 1];
      if (n > 8 || offset + 2 + n > code.length) return null;
      let v = 0n;
      for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(code[offset + 2 + i]);
      if (n > 0) v = BigInt.asIntN(8 * n, v);
      // Non-minimal encodings are not instructions (SPEC §5.1).
      if (n === 0 ? false : n === 1 ? v === 0n : BigInt.asIntN(8 * (n - 1), v) === v) return null;
      return { offset, size: 2 + n, op, imm: v };
    }
  }
}

export function disassemble(contract: Contract): string {
  const code = contract.code;
  const insns: (DecodedInstruction | { offset: number; raw: number })[] = [];
  const starts = new Set<number>();
  for (let pc = 0; pc < code.length; ) {
    const d = decodeAt(code, pc);
    if (d) { insns.push(d); starts.add(pc); pc += d.size; }
    else { insns.push({ offset: pc, raw: code[pc] }); pc += 1; }
  }
  const labels = new Map<number, string>();
  const label = (off: number) => { if (!labels.has(off)) labels.set(off, `L${off.toString(16).padStart(4, "0")}`); return labels.get(off)!; };
  for (const f of contract.functions) if (starts.has(f.entry)) label(f.entry);
  for (const i of insns) if ("op" in i && i.op.immediate === "target" && starts.has(i.imm as number)) label(i.imm as number);

  const out: string[] = [];
  out.push(`; MHR-Byte contract ${bytesToHex(contract.hash)}`);
  // The version names the cost table (SPEC §5); said explicitly, so the text re-assembles to the same version.
  const table = costTableNameOf(contract.version);
  out.push(table !== undefined ? `.costs ${table}` : `; contract version ${contract.version} names no cost table (every engine rejects it as UNSUPPORTED_VERSION)`);
  out.push(`.memory ${contract.maxMemory}`, `.cycles ${contract.maxCycles}`, `.state ${contract.maxStateSize}`);
  if (contract.stateKey.some((b) => b !== 0)) out.push(`.state_key ${bytesToHex(contract.stateKey)}`);
  for (const f of contract.functions) {
    const name = /^[A-Za-z_][\w.$-]*$/.test(f.name) ? f.name : JSON.stringify(f.name);
    const entry = labels.get(f.entry) ?? String(f.entry);
    out.push(`.func ${name} ${f.args} ${f.rets} ${entry}`);
  }
  out.push("");
  let rawRun: number[] = [];
  const flushRaw = () => { if (rawRun.length) { out.push(`    .byte ${rawRun.map((b) => "0x" + b.toString(16).padStart(2, "0")).join(" ")}`); rawRun = []; } };
  for (const i of insns) {
    if (labels.has(i.offset)) { flushRaw(); out.push(`${labels.get(i.offset)}:`); }
    if (!("op" in i)) { rawRun.push(i.raw); continue; }
    flushRaw();
    let text = i.op.mnemonic;
    if (i.op.immediate === "push") text += ` ${i.imm}`;
    else if (i.op.immediate === "space") text += `.${SPACES.find((s) => s.byte === i.imm)!.name}`;
    else if (i.op.immediate === "target") {
      const t = i.imm as number;
      text += " " + (labels.get(t) ?? `0x${t.toString(16).padStart(4, "0")}`);
    }
    out.push(`    ${text.padEnd(20)} ; ${i.offset.toString(16).padStart(4, "0")}`);
  }
  flushRaw();
  return out.join("\n") + "\n";
}
