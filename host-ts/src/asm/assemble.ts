/**
 * The MHR-Byte assembler (docs/ASM.md). One pass collects instructions with
 * their sizes (every instruction's size is known without resolving symbols:
 * targets are fixed u16, PUSH values must be resolved before layout, so PUSH of
 * a label is laid out after a first pass over labels); a second pass encodes.
 */
import { OP_BY_NAME, SPACES, type OpInfo } from "../generated/opcodes.ts";
import { makeContract } from "../model/codec.ts";
import { CONTRACT_VERSION_OF_TABLE, DEFAULT_COST_TABLE } from "../generated/opcodes.ts";
import { hexToBytes } from "../model/bytes.ts";
import type { Contract, FunctionSignature } from "../model/types.ts";

export class AsmError extends Error {
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`);
    this.name = "AsmError";
  }
}

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** Minimal PUSH immediate (SPEC §5.1): length byte then the shortest sign-extending LE bytes. */
export function encodePushImmediate(v: bigint): number[] {
  if (v === 0n) return [0];
  for (let n = 1; n <= 8; n++) {
    const lo = -(1n << BigInt(8 * n - 1));
    const hi = (1n << BigInt(8 * n - 1)) - 1n;
    if (v >= lo && v <= hi) {
      const bytes: number[] = [n];
      let x = BigInt.asUintN(8 * n, v);
      for (let i = 0; i < n; i++) {
        bytes.push(Number(x & 0xffn));
        x >>= 8n;
      }
      return bytes;
    }
  }
  throw new RangeError(`value ${v} does not fit in 64 bits`);
}

type Item =
  | { kind: "op"; line: number; op: OpInfo; arg?: string; space?: number }
  | { kind: "bytes"; line: number; bytes: number[] }
  | { kind: "data"; line: number; addr: string; bytes: number[] };

interface FuncDecl { name: string; args: number; rets: number; entry: string | null; line: number; at: number }

const SPACE_BY_NAME = new Map(SPACES.map((s) => [s.name, s]));

function parseNumber(tok: string): bigint | null {
  const neg = tok.startsWith("-");
  const body = neg || tok.startsWith("+") ? tok.slice(1) : tok;
  let v: bigint;
  if (/^0x[0-9a-fA-F_]+$/.test(body)) v = BigInt("0x" + body.slice(2).replace(/_/g, ""));
  else if (/^0b[01_]+$/.test(body)) v = BigInt("0b" + body.slice(2).replace(/_/g, ""));
  else if (/^[0-9][0-9_]*$/.test(body)) v = BigInt(body.replace(/_/g, ""));
  else if (/^'(.|\\n|\\t|\\0|\\\\|\\')'$/.test(body)) v = BigInt(unescape(body.slice(1, -1)).charCodeAt(0));
  else return null;
  return neg ? -v : v;
}

function unescape(s: string): string {
  return s.replace(/\\(n|t|0|\\|'|"|x[0-9a-fA-F]{2})/g, (_m, c: string) =>
    c === "n" ? "\n" : c === "t" ? "\t" : c === "0" ? "\0" : c.startsWith("x") ? String.fromCharCode(parseInt(c.slice(1), 16)) : c);
}

/** Bytes of a data literal: "text" (UTF-8; escapes \n \t \0 \\ \" and \xNN for a raw byte) or hex:0011… */
function parseDataLiteral(tok: string, line: number): number[] {
  if (tok.startsWith('"') && tok.endsWith('"') && tok.length >= 2) {
    const body = tok.slice(1, -1);
    const out: number[] = [];
    const enc = new TextEncoder();
    for (let i = 0; i < body.length; i++) {
      const c = body[i];
      if (c !== "\\") { out.push(...enc.encode(String.fromCodePoint(body.codePointAt(i)!))); if (body.codePointAt(i)! > 0xffff) i++; continue; }
      const e = body[++i];
      if (e === "x") {
        const h = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new AsmError(`bad \\x escape in ${tok}`, line);
        out.push(parseInt(h, 16));
        i += 2;
      } else if (e === "n") out.push(10);
      else if (e === "t") out.push(9);
      else if (e === "0") out.push(0);
      else if (e === "\\" || e === '"' || e === "'") out.push(e.charCodeAt(0));
      else throw new AsmError(`bad escape \\${e ?? ""} in ${tok}`, line);
    }
    return out;
  }
  if (tok.startsWith("hex:")) {
    try { return [...hexToBytes(tok.slice(4))]; } catch { throw new AsmError(`bad hex literal ${tok}`, line); }
  }
  throw new AsmError(`expected "text" or hex:… data, got ${tok}`, line);
}

/** Splits a line into tokens, keeping quoted strings whole and dropping ; comments. */
function tokenize(text: string, line: number): string[] {
  const toks: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ";" ) break;
    if (c === " " || c === "\t" || c === ",") { i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (j >= text.length) throw new AsmError("unterminated string", line);
      toks.push(text.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < text.length && !" \t,;".includes(text[j])) j += text[j] === "'" && text[j + 2] === "'" ? 3 : 1;
    toks.push(text.slice(i, j));
    i = j;
  }
  return toks;
}

export interface AssembleOptions {
  /** Defaults for directives the source leaves out. */
  defaults?: Partial<Pick<Contract, "maxMemory" | "maxCycles" | "maxStateSize">>;
  /** The cost table the contract names when the source has no `.costs` (default: spec/opcodes.json defaultCostTable). */
  costTable?: string;
}

/** Where each part of the contract came from in the source, so a check of the contract can name a line. */
export interface SourceMap {
  /** The line of the directive that set each limit (absent: the default). */
  limits: Partial<Record<"maxMemory" | "maxCycles" | "maxStateSize", number>>;
  /** One entry per encoded piece of code, in order: its offset, size and source line. */
  code: { offset: number; size: number; line: number }[];
  /** The `.func` line of each function-table entry. */
  functions: number[];
  /** The source's last line. */
  lastLine: number;
}

export interface Assembled {
  contract: Contract;
  /** Label -> code offset (for tools and traces). */
  labels: Map<string, number>;
  source: SourceMap;
}

export function assemble(source: string, options: AssembleOptions = {}): Contract {
  return assembleDetailed(source, options).contract;
}

export function assembleDetailed(source: string, options: AssembleOptions = {}): Assembled {
  let maxMemory = options.defaults?.maxMemory ?? 1024;
  let maxCycles = options.defaults?.maxCycles ?? 1_000_000;
  let maxStateSize = options.defaults?.maxStateSize ?? 4096;
  let stateKey: Uint8Array = new Uint8Array(32);
  const tableVersion = (name: string, line: number): number => {
    const v = CONTRACT_VERSION_OF_TABLE[name];
    if (v === undefined) throw new AsmError(`no cost table ${name} (tables: ${Object.keys(CONTRACT_VERSION_OF_TABLE).join(", ")})`, line);
    return v;
  };
  let version = tableVersion(options.costTable ?? DEFAULT_COST_TABLE, 0);
  const consts = new Map<string, bigint>();
  const items: Item[] = [];
  const labelItem = new Map<string, number>(); // label -> item index it precedes
  const funcs: FuncDecl[] = [];
  const lines = source.split(/\r?\n/);
  const limitLines: SourceMap["limits"] = {};

  const uintDirective = (toks: string[], n: number, max: number): number => {
    const v = toks[1] === undefined ? null : parseNumber(toks[1]);
    if (v === null || v < 0n || v > BigInt(max) || toks.length !== 2) throw new AsmError(`${toks[0]} takes one integer 0..${max}`, n);
    return Number(v);
  };

  const constExpr = (expr: string): bigint | null => {
    const parts = expr.match(/[+-]?[^+-]+/g);
    if (!parts || parts.join("") !== expr) return null;
    let total = 0n;
    for (const p of parts) {
      const sign = p.startsWith("-") ? -1n : 1n;
      const body = p.replace(/^[+-]/, "");
      const v = parseNumber(body) ?? consts.get(body) ?? null;
      if (v === null) return null;
      total += sign * v;
    }
    return total;
  };

  lines.forEach((raw, idx) => {
    const n = idx + 1;
    let toks = tokenize(raw, n);
    while (toks.length && /^[A-Za-z_.$][\w.$]*:$/.test(toks[0])) {
      const name = toks[0].slice(0, -1);
      if (labelItem.has(name) || consts.has(name)) throw new AsmError(`duplicate symbol ${name}`, n);
      labelItem.set(name, items.length);
      toks = toks.slice(1);
    }
    if (!toks.length) return;
    const head = toks[0];
    const lower = head.toLowerCase();
    if (head.startsWith(".")) {
      switch (lower) {
        case ".memory": maxMemory = uintDirective(toks, n, 2 ** 32 - 1); limitLines.maxMemory = n; return;
        case ".cycles": maxCycles = uintDirective(toks, n, Number.MAX_SAFE_INTEGER); limitLines.maxCycles = n; return;
        case ".state": maxStateSize = uintDirective(toks, n, 2 ** 32 - 1); limitLines.maxStateSize = n; return;
        case ".costs": {
          // The contract version names the cost table (SPEC §5).
          if (toks.length !== 2) throw new AsmError(".costs takes a cost table name", n);
          version = tableVersion(toks[1], n);
          return;
        }
        case ".state_key": {
          let b: Uint8Array;
          try { b = hexToBytes(toks[1] ?? ""); } catch { throw new AsmError(".state_key takes 32 bytes of hex", n); }
          if (b.length !== 32 || toks.length !== 2) throw new AsmError(".state_key takes 32 bytes of hex", n);
          stateKey = b;
          return;
        }
        case ".const": {
          // VALUE may be an expression over numbers and earlier constants (labels are not known yet).
          const v = toks.length === 3 ? constExpr(toks[2]) : null;
          if (!toks[1] || !/^[A-Za-z_][\w]*$/.test(toks[1]) || v === null) throw new AsmError(".const NAME VALUE (a number or an expression of earlier constants)", n);
          if (consts.has(toks[1]) || labelItem.has(toks[1])) throw new AsmError(`duplicate symbol ${toks[1]}`, n);
          if (v < I64_MIN || v > I64_MAX) throw new AsmError(`constant ${toks[1]} does not fit in 64 bits`, n);
          consts.set(toks[1], v);
          return;
        }
        case ".func": {
          const [_, name, a, r, entry] = toks;
          const args = a === undefined ? null : parseNumber(a);
          const rets = r === undefined ? null : parseNumber(r);
          if (!name || args === null || rets === null || toks.length > 5 || args < 0n || rets < 0n || args > 255n || rets > 255n) {
            throw new AsmError(".func NAME ARGS RETS [ENTRY_LABEL]", n);
          }
          const nm = name.startsWith('"') ? unescape(name.slice(1, -1)) : name;
          funcs.push({ name: nm, args: Number(args), rets: Number(rets), entry: entry ?? null, line: n, at: items.length });
          return;
        }
        case ".byte":
        case ".bytes": {
          const bytes: number[] = [];
          for (const t of toks.slice(1)) {
            if (t.startsWith('"') || t.startsWith("hex:")) bytes.push(...parseDataLiteral(t, n));
            else {
              const v = parseNumber(t);
              if (v === null || v < 0n || v > 255n) throw new AsmError(`.byte takes values 0..255, got ${t}`, n);
              bytes.push(Number(v));
            }
          }
          items.push({ kind: "bytes", line: n, bytes });
          return;
        }
        case ".data": {
          if (toks.length !== 3) throw new AsmError('.data ADDR "text" | hex:…', n);
          items.push({ kind: "data", line: n, addr: toks[1], bytes: parseDataLiteral(toks[2], n) });
          return;
        }
        default:
          throw new AsmError(`unknown directive ${head}`, n);
      }
    }
    const [mn, spaceName] = head.toUpperCase().split(".");
    const op = OP_BY_NAME.get(mn);
    if (!op) throw new AsmError(`unknown instruction ${head}`, n);
    if (op.immediate === "space") {
      const sp = spaceName === undefined ? undefined : SPACE_BY_NAME.get(spaceName.toLowerCase() as never);
      if (!sp || !sp[op.mnemonic as "LOAD" | "STORE"]) {
        const valid = SPACES.filter((s) => s[op.mnemonic as "LOAD" | "STORE"]).map((s) => `${op.mnemonic}.${s.name}`).join(", ");
        throw new AsmError(`${head} needs a space: ${valid}`, n);
      }
      if (toks.length !== 1) throw new AsmError(`${head} takes no operand`, n);
      items.push({ kind: "op", line: n, op, space: sp.byte });
      return;
    }
    if (spaceName !== undefined) throw new AsmError(`${mn} has no space suffix`, n);
    const wantsArg = op.immediate === "push" || op.immediate === "target";
    if (wantsArg && toks.length !== 2) throw new AsmError(`${mn} takes one operand`, n);
    if (!wantsArg && toks.length !== 1) throw new AsmError(`${mn} takes no operand`, n);
    items.push({ kind: "op", line: n, op, arg: toks[1] });
  });

  // Resolve an expression: term (+|- term)*, terms are numbers, constants or labels.
  const labelOffsets = new Map<string, number>();
  const evaluate = (expr: string, line: number, allowLabels: boolean): bigint => {
    const parts = expr.match(/[+-]?[^+-]+/g);
    if (!parts || parts.join("") !== expr) throw new AsmError(`bad expression ${expr}`, line);
    let total = 0n;
    for (const p of parts) {
      const sign = p.startsWith("-") ? -1n : 1n;
      const body = p.replace(/^[+-]/, "");
      let v = parseNumber(body);
      if (v === null) {
        if (consts.has(body)) v = consts.get(body)!;
        else if (allowLabels && labelOffsets.has(body)) v = BigInt(labelOffsets.get(body)!);
        else throw new AsmError(`unknown symbol ${body}`, line);
      }
      total += sign * v;
    }
    if (total < I64_MIN || total > I64_MAX) throw new AsmError(`value ${expr} does not fit in 64 bits`, line);
    return total;
  };

  // .data expands to PUSH value / PUSH addr / STORE.mN triples.
  type Part = { line: number; op: OpInfo; arg?: bigint | string; space?: number } | { line: number; raw: number[] };
  const expand = (it: Item): Part[] => {
    if (it.kind === "op") return [{ line: it.line, op: it.op, arg: it.arg, space: it.space }];
    if (it.kind === "bytes") return [{ line: it.line, raw: it.bytes }];
    const base = evaluate(it.addr, it.line, false);
    const out: { line: number; op: OpInfo; arg?: bigint | string; space?: number }[] = [];
    let off = 0;
    const widths: [number, number][] = [[8, 0x08], [4, 0x04], [2, 0x02], [1, 0x01]];
    while (off < it.bytes.length) {
      const [w, space] = widths.find(([w]) => it.bytes.length - off >= w)!;
      let v = 0n;
      for (let i = w - 1; i >= 0; i--) v = (v << 8n) | BigInt(it.bytes[off + i]);
      out.push({ line: it.line, op: OP_BY_NAME.get("PUSH")!, arg: BigInt.asIntN(64, v) });
      out.push({ line: it.line, op: OP_BY_NAME.get("PUSH")!, arg: base + BigInt(off) });
      out.push({ line: it.line, op: OP_BY_NAME.get("STORE")!, space });
      off += w;
    }
    return out;
  };

  // Layout: PUSH sizes depend on values, which may name labels; iterate to a fixed point.
  const flat = items.map((it, index) => ({ index, parts: expand(it) }));
  const itemOffsets = new Array<number>(items.length + 1).fill(0);
  const sizeOf = (p: ReturnType<typeof expand>[number], guess: boolean): number => {
    if ("raw" in p) return p.raw.length;
    if (p.op.immediate === "push") {
      if (typeof p.arg === "bigint") return 1 + encodePushImmediate(p.arg).length;
      try { return 1 + encodePushImmediate(evaluate(p.arg!, p.line, true)).length; } catch (e) { if (guess) return 1 + 3; throw e; }
    }
    return p.op.immediate === "target" ? 3 : p.op.immediate === "space" ? 2 : 1;
  };
  for (let round = 0; round < 8; round++) {
    let off = 0;
    flat.forEach(({ index, parts }) => {
      itemOffsets[index] = off;
      for (const p of parts) off += sizeOf(p, round === 0);
    });
    itemOffsets[items.length] = off;
    let changed = false;
    for (const [name, idx] of labelItem) {
      if (labelOffsets.get(name) !== itemOffsets[idx]) { labelOffsets.set(name, itemOffsets[idx]); changed = true; }
    }
    if (!changed && round > 0) break;
  }

  const code: number[] = [];
  const codeMap: SourceMap["code"] = [];
  for (const { parts } of flat) {
    for (const p of parts) {
      const offset = code.length;
      const mapped = () => codeMap.push({ offset, size: code.length - offset, line: p.line });
      if ("raw" in p) { code.push(...p.raw); mapped(); continue; }
      code.push(p.op.byte);
      if (p.op.immediate === "push") code.push(...encodePushImmediate(typeof p.arg === "bigint" ? p.arg : evaluate(p.arg!, p.line, true)));
      else if (p.op.immediate === "space") code.push(p.space!);
      else if (p.op.immediate === "target") {
        const arg = p.arg as string;
        const t = labelOffsets.has(arg) ? BigInt(labelOffsets.get(arg)!) : evaluate(arg, p.line, true);
        if (t < 0n || t > 0xffffn) throw new AsmError(`target ${arg} outside 0..65535`, p.line);
        code.push(Number(t) & 0xff, Number(t) >> 8);
      }
      mapped();
    }
  }

  const functions: FunctionSignature[] = funcs.map((f) => {
    let entry: number;
    if (f.entry === null) entry = itemOffsets[f.at];
    else if (labelOffsets.has(f.entry)) entry = labelOffsets.get(f.entry)!;
    else {
      const v = parseNumber(f.entry);
      if (v === null || v < 0n) throw new AsmError(`unknown entry label ${f.entry}`, f.line);
      entry = Number(v);
    }
    return { name: f.name, entry, args: f.args, rets: f.rets };
  });
  if (!functions.length) throw new AsmError("no .func declared: a contract needs at least one function", lines.length);
  const contract = makeContract({ code: Uint8Array.from(code), maxMemory, maxCycles, maxStateSize, stateKey, functions, version });
  return { contract, labels: labelOffsets, source: { limits: limitLines, code: codeMap, functions: funcs.map((f) => f.line), lastLine: lines.length } };
}

